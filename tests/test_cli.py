"""The ``initref`` command line: derive and codegen."""

import dataclasses
import subprocess
import sys

import pytest

from initref.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "initref.cli", *args], capture_output=True, text=True)


def test_derive_check_proves_everything():
    result = run("derive", "--check", "--only", "uniform-bound", "--only", "glorot")
    assert result.returncode == 0, result.stderr
    assert "uniform-bound" in result.stdout and "proven" in result.stdout and "FAILED" not in result.stdout


def test_derive_check_fails_on_a_false_step(monkeypatch, capsys):
    """A derivation whose first step is made false: ``--check`` exits 1 and names the failed step."""
    import derivations
    from derivations.core import Step, check, eq

    good = derivations.DERIVATIONS[0]
    first = good.steps[0]
    broken = dataclasses.replace(good, steps=(Step(eq(first.claim.lhs, first.claim.rhs + 1), first.why,
                                                   first.method), *good.steps[1:]))
    monkeypatch.setattr(derivations, "DERIVATIONS", (broken,))
    assert main(["derive", "--check"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and f"{len(check(broken)) - 1}/{len(check(broken))}" in out
    assert main(["derive"]) == 0  # without --check the table is a report, not a gate


def test_derive_rejects_unknown_slug(capsys):
    assert main(["derive", "--only", "nope"]) == 2
    assert "--only must name derivations among" in capsys.readouterr().err


def test_codegen_check_passes():
    result = run("codegen", "--check")
    assert result.returncode == 0, result.stdout
    assert "current" in result.stdout


def test_help_lists_the_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("derive", "codegen"):
        assert command in result.stdout


def test_missing_command_is_an_error():
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
