"""One RNN layer over a padded batch, exact under padding, in three ways (``sequence_mode``).

- ``packed``: ``pack_padded_sequence``, the textbook way.
- ``padded``: run the plain padded batch. The forward direction reads pads only after every
  real token, so its outputs at real positions are exact. The backward direction instead gets
  each sequence reversed *within its own length*, so it too starts at the last real token.
  On a CPU this is much faster than packed: packed backward passes slow down badly when
  lengths differ in a batch, most of all for a BiLSTM (measured: benchmarks/results/NOTES.md#model-rnn).
- ``segmented``: ``padded``, but the time axis is cut into a few segments and each segment
  runs only the sequences still going, handing their final state to the next segment. It
  skips most pad steps (a length-bucketed Inspec batch of 64 has 11% pads; segmented runs
  about 1%) for a handful of extra RNN calls.
``auto`` picks padded on CUDA and segmented on a CPU. (On an H200 the default BiLSTM model
trained much faster on padded length-bucketed batches of 32 than on packed ones: cuDNN's
packed calls cost more than the few pads they skip; measured: benchmarks/results/gpu.md.) The
initial hidden state is zero.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
SEQUENCE_MODES = ("auto", "packed", "padded", "segmented")


def resolve_mode(mode: str, on_cuda: bool) -> str:
    """The mode to run: ``auto`` is ``padded`` on a GPU and ``segmented`` on a CPU.

    cuDNN's padded kernels beat its packed ones on bucketed batches; a CPU's RNN cost follows
    the rows x steps computed, which segmented runs keep to the real tokens.
    """
    if mode != "auto":
        return mode
    return "padded" if on_cuda else "segmented"


def reverse_within_length(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence of ``x`` [B,T,...] in its first ``lengths[b]`` steps; pads stay put.

    Applying it twice gives ``x`` back. One ``index_select`` of whole rows of the flattened
    [B*T,...] batch: on a CPU much faster than a ``gather`` over every element (measured:
    benchmarks/results/NOTES.md#model-rnn).
    """
    batch, steps = x.shape[:2]
    t = torch.arange(steps, device=x.device).unsqueeze(0)  # [1,T]
    rev = lengths.to(x.device).unsqueeze(1) - 1 - t  # [B,T]
    rows = torch.where(rev >= 0, rev, t) + steps * torch.arange(batch, device=x.device).unsqueeze(1)  # [B,T]
    return x.reshape(batch * steps, *x.shape[2:]).index_select(0, rows.view(-1)).view_as(x)


def time_segments(lengths: torch.Tensor, shrink: float = 0.25) -> list[tuple[int, int, int]]:
    """Cut the time axis for ``lengths`` sorted longest first into ``(start, stop, rows)`` segments.

    In segment ``[start, stop)`` the first ``rows`` sequences are still going; a segment ends
    where that count has fallen by about ``shrink``, so pads run on at most that share of rows.
    """
    ls = lengths.tolist()
    out, start, rows = [], 0, len(ls)
    while rows and ls[0] > start:
        keep = int(rows * (1 - shrink))  # sequences that should still be running after the segment
        stop = ls[keep] if keep > 0 and ls[keep] > start else ls[0]
        out.append((start, stop, rows))
        start = stop
        while rows and ls[rows - 1] <= start:
            rows -= 1
    return out


class MaskedRNN(nn.Module):
    """One RNN layer (rnn, gru or lstm), optionally bidirectional, exact under padding."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, bidirectional: bool) -> None:
        super().__init__()
        rnn = CELLS[cell]
        self.forward_rnn = rnn(input_size, hidden_size, batch_first=True)
        self.backward_rnn = rnn(input_size, hidden_size, batch_first=True) if bidirectional else None

    @staticmethod
    def _run(rnn: nn.Module, x: torch.Tensor, lengths: torch.Tensor, packed: bool) -> torch.Tensor:
        if not packed:
            return rnn(x)[0]
        seq = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        return pad_packed_sequence(rnn(seq)[0], batch_first=True, total_length=x.shape[1])[0]

    @staticmethod
    def _run_segments(rnn: nn.Module, x: torch.Tensor, segments: list[tuple[int, int, int]]) -> torch.Tensor:
        """``x`` [B,T,D] with rows sorted longest first: each segment runs its rows from the last state."""
        # split() rather than x[:, start:stop]: the backward pass of a slice writes a zero tensor
        # of the whole input, once per segment; split's backward is one cat.
        pieces = x.split([stop - start for start, stop, _ in segments] + [x.shape[1] - segments[-1][1]], dim=1)
        outs, state = [], None
        for piece, (_, _, rows) in zip(pieces, segments):
            if state is not None:  # the rows going on were real through the whole last segment
                state = tuple(s[:, :rows] for s in state) if isinstance(state, tuple) else state[:, :rows]
            out, state = rnn(piece[:rows] if rows < x.shape[0] else piece, state)  # [rows, stop-start, H]
            outs.append(F.pad(out, (0, 0, 0, 0, 0, x.shape[0] - rows)))  # finished rows: zeros
        out = torch.cat(outs, dim=1)
        return F.pad(out, (0, 0, 0, x.shape[1] - out.shape[1]))  # [B,T,H]

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, mode: str) -> torch.Tensor:
        """``x`` [B,T,D] -> outputs [B,T,H] (or [B,T,2H], forward then backward).

        ``mode``: ``packed``, ``padded`` or ``segmented`` (module docstring); ``lengths`` on the host.
        """
        order, segments = None, None
        if mode == "segmented":
            order = torch.argsort(lengths, descending=True, stable=True)
            if bool((order == torch.arange(len(order))).all()):
                order = None  # already longest first (the bucket sampler's order)
            else:
                x, lengths = x[order.to(x.device)], lengths[order]
            segments = time_segments(lengths) or None  # None: nothing but empty documents

        def run(rnn: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
            if segments is not None:
                return self._run_segments(rnn, inputs, segments)
            return self._run(rnn, inputs, lengths, mode == "packed")

        out = run(self.forward_rnn, x)
        if self.backward_rnn is not None:
            back = run(self.backward_rnn, reverse_within_length(x, lengths))
            out = torch.cat([out, reverse_within_length(back, lengths)], dim=-1)
        if order is not None:
            out = out[torch.argsort(order).to(out.device)]
        return out
