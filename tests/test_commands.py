"""What every command shares (keyword_lightning/commands.py): the command table, --help, one-line errors, spellings."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from keyword_lightning import commands
from keyword_lightning.cli import main
from keyword_lightning.commands import COMMANDS, Command, CommandParser, UsageError, run_command, spellings
from tests.conftest import ROOT, run_env

TRAINING = ("fit", "validate", "test", "predict")


def test_help_describes_the_project_and_lists_every_command_in_one_line(capsys):
    main(["--help"])
    out = capsys.readouterr().out
    assert "keyphrase" in out.lower() and "Lightning Trainer command line tool" not in out
    for name in ("keyphrases", *TRAINING, "extract", "serve", "fit-ranker"):
        lines = [line for line in out.splitlines() if line.split()[:1] == [name]]
        assert len(lines) == 1 and len(lines[0].split()) > 3, (name, out)
    names = [c.name for c in COMMANDS]
    assert names[0] == "keyphrases" and names[1:5] == list(TRAINING)  # what a new user runs first, then training


@pytest.mark.parametrize("argv", [["nope"], ["nope", "--help"], []])
def test_an_unknown_or_missing_command_names_them_all_in_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and err.startswith("keyword-lightning: error:")
    assert all(c.name in err for c in COMMANDS) and ("'nope'" in err) == bool(argv)


def test_a_command_is_one_entry_in_the_table(monkeypatch, capsys):
    module = types.ModuleType("kw_test_hello")
    module.main = lambda argv: print("hello", *argv)
    monkeypatch.setitem(sys.modules, "kw_test_hello", module)
    monkeypatch.setattr(commands, "COMMANDS", (*COMMANDS, Command("hello", "say hello", "kw_test_hello:main")))
    import keyword_lightning.cli as cli

    monkeypatch.setattr(cli, "COMMANDS", commands.COMMANDS)
    monkeypatch.setenv("KW_QUIET", "0")
    main(["hello", "--quiet", "false", "world"])
    assert capsys.readouterr().out == "hello world\n"  # --quiet was taken before the command ran
    main(["--help"])
    assert "  hello" in capsys.readouterr().out and commands.overview().count("say hello") == 1


def test_help_needs_no_lightning():
    code = "import sys; from keyword_lightning.cli import main; main(['--help']); print('lightning' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=run_env(), capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("False"), proc.stderr


def test_every_option_has_both_spellings():
    assert spellings(["--max_chars"]) == ["--max_chars", "--max-chars"]
    assert spellings(["--top-k", "-k"]) == ["--top-k", "-k", "--top_k"]
    parser = CommandParser("serve")
    parser.add_argument("--max_chars", type=int)
    assert parser.parse_args(["--max-chars", "3"]).max_chars == 3 == parser.parse_args(["--max_chars", "3"]).max_chars


def test_the_argparse_commands_take_both_spellings_and_quiet():
    from keyword_lightning.corpus.extract import parser as extract_parser
    from keyword_lightning.inference.fit_ranker import parser as fit_ranker_parser
    from keyword_lightning.serve.api import parser as serve_parser

    for parser, needed in (
        (extract_parser(), ["--input", "i", "--output", "o"]),
        (serve_parser(), []),
        (fit_ranker_parser(), ["--documents", "d", "--output", "o"]),
    ):
        for ckpt in ("--ckpt_path", "--ckpt-path"):
            assert parser.parse_args([ckpt, "x", *needed]).ckpt_path == "x"
        assert parser.parse_args(["--ckpt_path", "x", *needed]).quiet is False
    assert serve_parser().parse_args(["--ckpt_path", "x", "--max-chars", "5"]).max_chars == 5
    assert (
        extract_parser().parse_args(["--ckpt_path", "x", "--input", "i", "--output", "o", "--max_chars", "5"]).max_chars
        == 5
    )


def test_an_option_error_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        CommandParser("extract").parse_args(["--nope"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert err.startswith("keyword-lightning extract: error: unrecognized arguments: --nope")


def test_users_errors_are_one_line_and_faults_are_internal(tmp_path, capsys):
    def raises(err: Exception):
        def body():
            raise err

        return body

    cases = [
        (UsageError("bad\nthing"), 2, "prog: error: bad thing"),
        (FileNotFoundError(2, "No such file or directory", str(tmp_path / "x")), 2, f"{tmp_path / 'x'}: No such"),
        (KeyError("k"), 2, "prog: error: 'k'"),  # a kind the command names as a user's
        (ZeroDivisionError("division by zero"), 1, "prog: internal error: ZeroDivisionError: division by zero"),
    ]
    for err, code, needle in cases:
        with pytest.raises(SystemExit) as exit_:
            run_command("prog", raises(err), user=(KeyError,))
        out = capsys.readouterr().err
        assert exit_.value.code == code and needle in out, out
        assert (out.count("\n") == 1) == (code == 2) and ("Traceback" in out) == (code == 1)
    assert run_command("prog", lambda: 7) == 7
