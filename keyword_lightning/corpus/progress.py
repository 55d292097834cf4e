"""Progress of ``extract`` on stderr: documents, documents/s, the share of the input done, elapsed time and ETA.

On a terminal one line is rewritten in place; otherwise (a log, a pipe) a line every ``every``
seconds, like ``fit``'s line per epoch. ``--quiet`` (``KW_QUIET=1``): none. The ETA is read
from the input bytes done, since the number of documents is not known before they are read.
"""

from __future__ import annotations

import datetime
import sys
import time
from typing import TextIO

from keyword_lightning.runtime import is_quiet

TERMINAL_SECONDS = 0.5  # how often the line on a terminal is redrawn


def clock(seconds: float) -> str:
    """``0:01:02``."""
    return str(datetime.timedelta(seconds=int(seconds)))


class Progress:
    """Counts documents and input bytes done, and says so now and then (``update``)."""

    def __init__(self, total_bytes: int, every: float = 10.0, stream: TextIO | None = None) -> None:
        self.total, self.every = max(1, total_bytes), every
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.enabled = not is_quiet()
        self.start = self.last = time.monotonic()
        self.docs = self.bytes = 0
        self.drawn = False

    def update(self, docs: int, done_bytes: int, force: bool = False) -> None:
        """The counts so far (``docs`` tagged or reported, ``done_bytes`` of the input); a line when one is due."""
        self.docs, self.bytes = docs, min(done_bytes, self.total)
        now = time.monotonic()
        if self.enabled and (force or now - self.last >= (TERMINAL_SECONDS if self.tty else self.every)):
            self.last = now
            line = self.line(now)
            if self.tty:
                self.stream.write("\r\033[K" + line)
                self.drawn = True
            else:
                self.stream.write(line + "\n")
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        """``extract: N documents  R docs/s  P% of the input  elapsed H:MM:SS  eta H:MM:SS``."""
        elapsed = max(1e-9, (now or time.monotonic()) - self.start)
        done = self.bytes / self.total
        eta = f"  eta {clock(elapsed * (1 - done) / done)}" if 0 < done < 1 else ""
        return (
            f"extract: {self.docs:,} documents  {self.docs / elapsed:,.0f} docs/s  {done:.0%} of the input  "
            f"elapsed {clock(elapsed)}{eta}"
        )

    def close(self) -> None:
        """End the terminal's line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
