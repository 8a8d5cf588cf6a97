"""The ``initref verify`` command: table, JSON, plot, --all, errors."""

import json
import subprocess
import sys

import pytest

from initref.activations import registered
from initref.cli import main

SMALL = ["--depth", "8", "--width", "32", "--batch", "8", "--networks", "8"]


def run(*args):
    return subprocess.run([sys.executable, "-m", "initref.cli", "verify", *args], capture_output=True, text=True)


def test_json_holds_verdict_factor_interval_and_moments(capsys):
    assert main(["verify", "--activation", "tanh", "--init", "xavier_normal", *SMALL, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["verdict"]) == {"forward", "backward"}
    for direction in ("forward", "backward"):
        factor = data["per_layer_factor"][direction]
        assert factor["interval"][0] <= factor["estimate"] <= factor["interval"][1]
        assert factor["mean_field"] > 0
        assert len(data["second_moments"][direction]) == 9
    assert data["criterion"] == "forward" and data["init"] == "xavier_normal"
    assert data["config"]["depth"] == 8 and data["config"]["networks"] == 8


def test_table_names_the_criterion_and_the_level():
    result = run("--activation", "relu", "--gain", "1.0", *SMALL)
    assert result.returncode == 0, result.stderr
    assert "criterion tested: gain" in result.stdout
    assert "vanishing" in result.stdout and "false-alarm probability" in result.stdout


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "verify.png"
    assert main(["verify", "--activation", "relu", *SMALL, "--plot", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_draws_several_initializers_on_one_axis(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from initref.montecarlo import plots

    drawn = {}
    monkeypatch.setattr(plots, "plot_verification", lambda runs, path: drawn.update(runs) or path)
    path = tmp_path / "compare.png"
    assert main(["verify", "--activation", "tanh", "--init", "xavier_normal", *SMALL, "--plot", str(path),
                 "--compare", "orthogonal", "kaiming_uniform", "xavier_normal"]) == 0
    assert [r.init for r in drawn.values()] == ["xavier_normal", "orthogonal", "kaiming_uniform"]
    assert all(label.startswith(r.init) for label, r in drawn.items())


def test_compare_needs_plot(capsys):
    assert main(["verify", "--compare", "orthogonal", *SMALL]) == 2
    assert "--plot" in capsys.readouterr().err


def test_all_lists_every_registered_activation():
    result = run("--all", "--depth", "4", "--width", "16", "--batch", "4", "--networks", "3")
    assert result.returncode == 0, result.stderr
    for name in registered():
        assert name in result.stdout
    assert "false-alarm probability" in result.stdout


def test_all_as_json(capsys):
    assert main(["verify", "--all", "--depth", "3", "--width", "8", "--batch", "2", "--networks", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == list(registered())
    assert all(set(entry["verdict"]) == {"forward", "backward"} for entry in data.values())


@pytest.mark.parametrize("args, message", [
    (["--networks", "1"], "networks must be an int >= 2"),
    (["--activation", "not_an_activation"], "not_an_activation"),
    (["--all", "--gain", "2"], "--all uses each activation's derived gain"),
])
def test_bad_input_exits_2_with_a_message(args, message, capsys):
    assert main(["verify", *args, "--depth", "2", "--width", "8", "--batch", "2"]) == 2
    assert message in capsys.readouterr().err


def test_unknown_init_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as info:
        main(["verify", "--init", "kaiming"])
    assert info.value.code == 2
    assert "kaiming_normal" in capsys.readouterr().err


def test_help_lists_verify():
    result = subprocess.run([sys.executable, "-m", "initref.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "verify" in result.stdout
