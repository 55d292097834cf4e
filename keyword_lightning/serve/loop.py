"""How the model worker of ``keyword-lightning serve`` gathers batches, and keeps its memory flat.

``GatherLoop`` is a LitServe ``BatchedLoop`` whose only change is how a batch is gathered; it
reads LitServe's request queue as litserve 0.2.19 (pinned in pyproject) lays it out.
"""

from __future__ import annotations

import time
from queue import Empty

from litserve.loops import BatchedLoop
from litserve.loops.base import _SENTINEL_VALUE, _StopLoopError


class GatherLoop(BatchedLoop):
    """Batches without polling: waits for a first request, then gathers while more keep coming.

    After the first request it takes the next ones as long as each arrives within ``GAP``
    seconds of the one before, up to ``max_batch_size`` and at most ``batch_timeout`` seconds
    in all. One client waits ``GAP`` at most; many clients, who all send again when a batch
    answers them, share the next forward pass (per pass, the Viterbi decoding costs the same
    for 1 document as for 32). LitServe's own loop polls its queue every millisecond, which
    costs a core on a small machine.
    """

    GAP = 0.004

    def get_batch_requests(self, lit_api, request_queue, transport) -> tuple[list, list]:
        """Up to ``max_batch_size`` queued requests, and those that waited past the server's timeout."""
        payloads, timed_out, deadline = [], [], None
        timeout = lit_api.request_timeout if lit_api.request_timeout not in (False, -1, None) else None
        while len(payloads) < lit_api.max_batch_size:
            try:
                if deadline is None:
                    item = request_queue.get(timeout=1.0)
                elif deadline > time.monotonic():
                    item = request_queue.get(timeout=min(self.GAP, deadline - time.monotonic()))
                else:
                    item = request_queue.get_nowait()
            except Empty:
                break
            if item == _SENTINEL_VALUE:
                raise _StopLoopError()
            response_queue_id, uid, timestamp, body = item
            if timeout is not None and time.monotonic() - timestamp > timeout:
                timed_out.append((response_queue_id, uid))
            else:
                payloads.append((response_queue_id, uid, body))
            if deadline is None:
                deadline = time.monotonic() + lit_api.batch_timeout
        return payloads, timed_out


class SteadyMalloc:
    """Keeps a model worker's RSS flat under glibc: a fixed mmap threshold, and a trim every few batches.

    A batch's tensors differ in size from one batch to the next, and the freed memory between
    them fragments glibc's heap: with glibc's defaults a worker's RSS crept up over a long run.
    A low mmap threshold (1 MiB) made every batch's activations fresh mmaps, whose page faults
    took a large share of the worker's time, and RSS still crept. What holds it is
    ``malloc_trim(0)`` every ``TRIM_EVERY`` batches, which gives the free pages inside the heap
    back to the system (after every batch its page faults cost time; every 16, nothing
    measurable), with the threshold fixed at 64 MiB (above any batch of abstracts) so that glibc
    stops moving it. Elsewhere than glibc this does nothing. (Measured:
    benchmarks/results/NOTES.md#serve-loop.)
    """

    TRIM_EVERY = 16
    MMAP_THRESHOLD = 64 * 1024 * 1024

    def __init__(self) -> None:
        import ctypes
        import ctypes.util

        self.batches, self._trim = 0, None
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.mallopt(-3, self.MMAP_THRESHOLD)  # M_MMAP_THRESHOLD (setting it also stops glibc moving it)
            self._trim = libc.malloc_trim
        except (OSError, AttributeError):
            pass

    def after_batch(self) -> None:
        """Count a batch; every ``TRIM_EVERY`` batches, return the heap's free pages to the system."""
        self.batches += 1
        if self._trim is not None and self.batches % self.TRIM_EVERY == 0:
            self._trim(0)
