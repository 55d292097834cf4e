"""What every ``keyword-lightning`` command shares: the command table, one-line errors, ``--quiet``, ``--ckpt_path``.

``COMMANDS`` is the table ``keyword-lightning --help`` lists and ``cli.main`` dispatches on: a
command is one ``Command`` entry (its name, a one-line summary and ``module:function``, imported
only when the command runs). ``fit``, ``validate``, ``test`` and ``predict`` are LightningCLI's
subcommands (``training/lightning_cli.py``); the others are argparse commands built on
``CommandParser``:

- errors a user can fix (``UsageError`` and the error classes a command names) end in one line,
  ``keyword-lightning CMD: error: ...``, exit status 2; anything else is a fault of this program,
  shown with its traceback and an ``internal error`` line, exit status 1 (``run_command``);
- every option has both spellings (``--max_chars`` and ``--max-chars``), and ``--quiet``;
- ``--ckpt_path PATH|best|last`` goes through ``resolve_checkpoint`` (``runs.SEARCH_ORDER``).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from keyword_lightning.runs import RunError, find_run_checkpoint
from keyword_lightning.runtime import QUIET_ENV, say, set_quiet

PROG = "keyword-lightning"
LIGHTNING = "keyword_lightning.training.lightning_cli:main"  # fit, validate, test, predict


@dataclass(frozen=True)
class Command:
    """One ``keyword-lightning`` command: ``entry`` (``module:function``) gets the arguments after its name.

    ``subcommand``: the entry gets the name too (LightningCLI parses ``fit ...`` itself).
    """

    name: str
    summary: str
    entry: str
    subcommand: bool = False


COMMANDS: tuple[Command, ...] = (
    Command(
        "keyphrases",
        "each document's ranked keyphrases (PDF, HTML, DOCX, Markdown, text or stdin), by the shipped model",
        "keyword_lightning.inference.keyphrases_command:main",
    ),
    Command("fit", "train a model from a YAML config (--config configs/inspec.yaml) into runs/", LIGHTNING, True),
    Command("validate", "score a checkpoint on the validation split", LIGHTNING, True),
    Command("test", "score a checkpoint on the test split", LIGHTNING, True),
    Command(
        "predict", "tag raw text, a file or a split with a checkpoint: records on stdout or in a file", LIGHTNING, True
    ),
    Command(
        "extract",
        "tag a corpus (JSONL, Parquet, .txt, PDF, HTML, DOCX or Markdown files) into sharded records, resumable, "
        "locally or on Ray",
        "keyword_lightning.corpus.extract:main",
    ),
    Command(
        "serve",
        "serve a checkpoint over HTTP: POST /predict, GET /health, and a page at /",
        "keyword_lightning.serve.api:main",
    ),
    Command(
        "fit-ranker",
        "fit a checkpoint's document-level ranking on your own labelled documents (the tagger is kept)",
        "keyword_lightning.inference.fit_ranker:main",
    ),
)


def command(name: str) -> Command:
    """The entry of ``COMMANDS`` named ``name`` (KeyError: none)."""
    return {c.name: c for c in COMMANDS}[name]


def overview() -> str:
    """What ``keyword-lightning --help`` prints: the project in a line, then each command in a line."""
    width = max(len(c.name) for c in COMMANDS) + 2
    lines = [
        f"usage: {PROG} COMMAND [options]   ({PROG} COMMAND --help: the command's options)",
        "",
        "Keyphrase extraction with a two-head BiLSTM tagger, trained and served with PyTorch Lightning:",
        "give it documents, get back each one's keyphrases with character offsets and scores.",
        "",
        "commands:",
        *(f"  {c.name:{width}}{c.summary}" for c in COMMANDS),
        "",
        f"Every command takes --quiet (only errors on stderr, or {QUIET_ENV}=1); errors are one line, exit status 2.",
    ]
    return "\n".join(lines) + "\n"


def unknown_command(name: str) -> str:
    """The one-line error for a command that is not in ``COMMANDS``, naming every command."""
    names = ", ".join(c.name for c in COMMANDS)
    return f"{PROG}: error: unknown command {name!r}: the commands are {names} (see {PROG} --help)"


class UsageError(Exception):
    """A problem the user can fix (an option, a file, an output that cannot be written): one line, exit 2."""


def fail(prog: str, message: Any, code: int = 2) -> NoReturn:
    """One line on stderr (even with ``--quiet``), ``PROG: error: MESSAGE``, then exit ``code``."""
    text = " ".join(str(message).split())  # one line, whatever the message holds
    print(f"{prog}: error: {text}", file=sys.stderr, flush=True)
    sys.exit(code)


def spellings(names: Sequence[str]) -> list[str]:
    """``names`` with each long option's other spelling added: ``--max_chars`` and ``--max-chars``."""
    out = list(names)
    for name in names:
        if name.startswith("--"):
            for other in ("--" + name[2:].replace("_", "-"), "--" + name[2:].replace("-", "_")):
                if other not in out:
                    out.append(other)
    return out


class CommandParser(argparse.ArgumentParser):
    """argparse for ``keyword-lightning NAME``: one-line errors (exit 2), both spellings of each option, ``--quiet``.

    ``--quiet`` applies as soon as the line is parsed (``runtime.set_quiet``).
    """

    def __init__(self, name: str, description: str | None = None) -> None:
        summary = command(name).summary if description is None else description
        super().__init__(prog=f"{PROG} {name}", description=summary[:1].upper() + summary[1:] + ".")
        self.add_argument("--quiet", action="store_true", help=f"only errors on stderr (or {QUIET_ENV}=1)")

    def add_argument(self, *names: str, **kwargs: Any) -> argparse.Action:
        """``ArgumentParser.add_argument`` with both spellings of a long option (the first gives ``dest``)."""
        return super().add_argument(*spellings(names), **kwargs)

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> argparse.Namespace:
        """Parse; ``--quiet`` takes effect here."""
        parsed = super().parse_args(args, namespace)
        if parsed.quiet:
            set_quiet(True)
        return parsed

    def error(self, message: str) -> NoReturn:
        """``keyword-lightning NAME: error: MESSAGE (see ... --help)``, exit 2."""
        fail(self.prog, f"{message} (see {self.prog} --help)")


def whole_number(text: str) -> int:
    """An argparse type: a whole number, 0 or more (``--top-k -1`` is refused in one line)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative: give a whole number, 0 or more")
    return value


def take_quiet(argv: list[str]) -> list[str]:
    """``argv`` less ``--quiet [true|false]`` (anywhere on the line, for every command), which takes effect now."""
    argv = list(argv)
    if "--quiet" in argv:
        at = argv.index("--quiet")
        value = argv[at + 1].lower() if at + 1 < len(argv) and argv[at + 1].lower() in ("true", "false") else None
        del argv[at : at + (2 if value else 1)]
        set_quiet(value != "false")
    return argv


def resolve_checkpoint(value: str | Path | None, root: str | Path | None = None, check: bool = True) -> Path:
    """``--ckpt_path``: ``best`` / ``last``, a path, or ``pretrained`` (and None: none named).

    ``best`` / ``last``: ``runs.SEARCH_ORDER`` (the file found is said on stderr); ``pretrained``:
    the general model shipped in the package (``model/shipped.py``).

    With ``check`` the checkpoint is read and validated here, once (``CheckpointError``: one line
    naming the file); ``RunError`` when there is no run to take ``best`` or ``last`` from.
    """
    if value is None or str(value) == PRETRAINED:
        from keyword_lightning.model import shipped

        path = shipped.path()  # ShippedModelError (a CheckpointError) when this installation has none
    elif str(value) in ("best", "last"):
        path = find_run_checkpoint(root, str(value))
        say(f"--ckpt_path {value}: {path}")
    else:
        path = Path(value)
    if check:
        from keyword_lightning.model.checkpoint import read_checkpoint

        read_checkpoint(path)
    return path


# --ckpt_path's help where there is no --trainer.default_root_dir (runs.SEARCH_ORDER's other places)
PRETRAINED = "pretrained"  # --ckpt_path pretrained: the general model shipped in the package
CKPT_HELP = (
    "PATH | best | last (the newest fit run in runs/ under the working directory, else anywhere under it) | "
    "pretrained (the general model shipped in the package, which keyphrases, predict, extract and serve take "
    "when none is given)"
)


def run_command(prog: str, body: Callable[[], Any], user: tuple[type[Exception], ...] = ()) -> Any:
    """``body()``, its errors shown by whose they are.

    A user's (``UsageError``, ``RunError``, ``CheckpointError`` and the command's own ``user``
    kinds; an ``OSError``, naming its file): one line, exit 2. Any other is a fault of this program,
    however it looks (numpy's ``LinAlgError`` is a ``ValueError``): its traceback, then one
    ``internal error`` line, exit 1. ``SystemExit`` and ``KeyboardInterrupt`` go through.
    """
    from keyword_lightning.model.checkpoint import CheckpointError

    try:
        return body()
    except (UsageError, RunError, CheckpointError, *user) as err:
        fail(prog, err)
    except OSError as err:  # a file the user named, a folder that cannot be written, a port in use
        fail(prog, f"{err.filename}: {err.strerror or err}" if err.filename else (err.strerror or err))
    except Exception as err:  # noqa: BLE001 - every other error is a bug: say so, with where it happened
        traceback.print_exc(file=sys.stderr)
        where = "a fault of this program, not of its input: the traceback above says where"
        print(f"{prog}: internal error: {type(err).__name__}: {err} ({where})", file=sys.stderr, flush=True)
        sys.exit(1)
