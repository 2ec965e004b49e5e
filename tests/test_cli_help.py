"""The command line: every option says what it does with an example; bad step numbers and profiles are refused
cleanly (exit 2, the valid choices listed, no traceback) before anything runs."""

import argparse

import pytest

from analysis import cli
from analysis.data import catalog


def subparsers() -> dict[str, argparse.ArgumentParser]:
    captured = {}
    original = argparse.ArgumentParser.parse_args

    def capture(self, args=None, namespace=None):
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                captured.update(action.choices)
        raise SystemExit(0)

    argparse.ArgumentParser.parse_args = capture
    try:
        with pytest.raises(SystemExit):
            cli.main([])
    finally:
        argparse.ArgumentParser.parse_args = original
    return captured


def test_every_option_of_every_subcommand_has_a_description_and_an_example():
    subs = subparsers()
    assert set(subs) == {"run", "batch", "validate", "templates", "sample"}
    for name, parser in subs.items():
        assert "例：" in (parser.epilog or ""), name
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help and "例：" in action.help, f"{name} {action.dest}"


def test_unknown_notebook_is_refused_with_the_valid_ones(capsys):
    assert cli.main(["run", "--county", "sample", "--years", "2025", "--notebooks", "99"]) == 2
    err = capsys.readouterr().err
    assert "未知的步骤 99" in err and all(s in err for s in catalog.STEPS)
    assert "Traceback" not in err


def test_unknown_profile_is_refused_before_any_step(capsys, tmp_path):
    assert cli.main(["run", "--county", "sample", "--years", "2025", "--profile", "nope"]) == 2
    err = capsys.readouterr().err
    assert "未知的评估口径 'nope'" in err and "national" in err and "Traceback" not in err
    assert cli.main(["templates", str(tmp_path), "--profile", "nope"]) == 2
    assert not list(tmp_path.iterdir())
