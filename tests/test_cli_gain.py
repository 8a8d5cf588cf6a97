"""``initref gain``: the table, the JSON, and errors."""

import json
import math
import subprocess
import sys

import pytest
import torch

from initref.cli import main
from initref.meanfield import length_map


def run_json(capsys, *args):
    assert main(["gain", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_for_relu(capsys):
    data = run_json(capsys, "relu")
    assert data["forward_gain"] == math.sqrt(2) and data["backward_gain"] == math.sqrt(2)
    assert data["torch_gain"] == torch.nn.init.calculate_gain("relu")
    assert data["moments"]["second"] == 0.5 and data["moments"]["method"] == "closed form"
    assert data["moments"]["variance"] == 0.5 - 1 / (2 * math.pi)
    assert data["chi_1_at_forward_gain"] == 1.0


def test_json_for_an_expression_with_mean_field(capsys):
    data = run_json(capsys, "x*tanh(log(1+exp(x)))", "--bias-variance", "0.1", "--weight-variance", "1.5")
    assert data["derivative_method"] == "symbolic" and data["torch_gain"] is None
    assert data["bias_variance"] == 0.1
    point = data["fixed_point"]
    assert point["bias_variance"] == 0.1 and point["weight_variance"] == 1.5
    # Mish grows like ReLU, E[f(sqrt(q) z)^2] ~ q/2: at sigma_w^2 = 1.5 the length map contracts, q* is finite.
    assert point["q_star"] == pytest.approx(length_map("mish", point["q_star"], 1.5, 0.1), rel=1e-11)
    assert point["stability"] == "stable" and point["stable"] is True


def test_json_fixed_point_at_infinity(capsys):
    # At the forward gain sigma_w^2 = 1/E[mish(z)^2] = 2.21 > 2 with a bias, the length map grows like
    # 1.1 q for large q: the fixed point is at infinity, written as the string "inf" (strict JSON).
    point = run_json(capsys, "mish", "--bias-variance", "0.1")["fixed_point"]
    assert point["q_star"] == "inf" and point["stability"] == "unstable"


def test_json_is_strict_json(capsys):
    assert main(["gain", "tanh", "--json"]) == 0
    text = capsys.readouterr().out
    assert "Infinity" not in text and "NaN" not in text
    json.loads(text)


def test_parameter_reaches_the_activation(capsys):
    data = run_json(capsys, "leaky_relu", "--param", "0.2")
    assert data["param"] == 0.2
    assert data["torch_gain"] == torch.nn.init.calculate_gain("leaky_relu", 0.2)


def test_table_shows_gains_and_torchs_convention():
    result = subprocess.run([sys.executable, "-m", "initref.cli", "gain", "tanh"], capture_output=True, text=True,
                            env={"COLUMNS": "160", "PATH": ""})
    assert result.returncode == 0, result.stderr
    for text in ("forward gain", "backward gain", "mean-corrected gain", "E[f'(z)^2]", "1.66666666666667",
                 "1.59253741972283", "stable (slope of the length map 0.461071)"):
        assert text in result.stdout


def test_unknown_activation_is_a_clean_error(capsys):
    assert main(["gain", "gleu"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'gelu'" in err and "Traceback" not in err


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "initref.cli", "gain", *args], capture_output=True, text=True,
                          env={"COLUMNS": "160", "PATH": ""})


@pytest.mark.parametrize(
    ("activation", "message"),
    [
        ("x*tanh(", "could not parse"),
        ("gleu", "unknown activation 'gleu'"),
        ("exp(x**2)", "infinite"),
        ("0*x", "identically zero"),
        ("1/x", "E[f(z)], E[f(z)^2], E[f'(z)^2] are infinite"),
        ('__import__("sys").stdout.write("INJECTED ")', "may not use attribute access"),
        ("().__class__", "may not use attribute access"),
    ],
    ids=["unparseable", "unknown-name", "infinite-second-moment", "identically-zero", "pole", "injection",
         "dunder-escape"],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(activation, message):
    """The issue's bad-input classes, through the real console entry point."""
    result = run_cli(activation)
    assert result.returncode == 2 and result.stdout == ""  # the injection would have written INJECTED there
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("initref: error: ") and message in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_parameter_is_a_clean_error(capsys):
    assert main(["gain", "relu", "--param", "0.3"]) == 2
    assert "takes no parameter" in capsys.readouterr().err


def test_help_lists_gain():
    result = subprocess.run([sys.executable, "-m", "initref.cli", "--help"], capture_output=True, text=True)
    assert "gain" in result.stdout
