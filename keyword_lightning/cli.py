"""``keyword-lightning``: the console entry point, which runs the command ``commands.COMMANDS`` names.

``keyword-lightning --help`` lists every command with one line; ``keyword-lightning COMMAND
--help`` gives its options. ``--quiet`` is taken here, anywhere on the line and for every
command, before anything logs. A command's module is imported only when it runs, so that
``--help`` and the light commands do not wait for Lightning.
"""

from __future__ import annotations

import importlib
import sys

from keyword_lightning.commands import COMMANDS, LIGHTNING, PROG, Command, overview, take_quiet, unknown_command
from keyword_lightning.runtime import quiet_third_parties

HELP = ("-h", "--help")


def entry_of(command: Command):
    """The function ``command.entry`` (``module:function``) names."""
    module, _, function = command.entry.partition(":")
    return getattr(importlib.import_module(module), function)


def main(args: list[str] | None = None) -> None:
    """Run ``keyword-lightning ARGS``: the overview for ``--help``, one line naming the commands for an unknown one."""
    argv = take_quiet(sys.argv[1:] if args is None else args)
    quiet_third_parties()
    first = argv[0] if argv else None
    if first in HELP:
        sys.stdout.write(overview())
        return
    if first is None:
        names = ", ".join(c.name for c in COMMANDS)
        print(f"{PROG}: error: name a command: {names} (see {PROG} --help)", file=sys.stderr)
        sys.exit(2)
    if first.startswith("-"):  # LightningCLI's own options before a subcommand (--print_config, ...)
        return entry_of(Command("", "", LIGHTNING))(argv)
    known = {c.name: c for c in COMMANDS}
    if first not in known:
        print(unknown_command(first), file=sys.stderr)
        sys.exit(2)
    command = known[first]
    return entry_of(command)(argv if command.subcommand else argv[1:])


if __name__ == "__main__":
    main()
