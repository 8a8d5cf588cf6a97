"""Runtime code takes derived numbers from ``initref/_generated`` only (DESIGN.md, "one-way data flow").

A tripwire, not a proof: it parses every runtime module outside ``_generated`` and rejects a
float literal equal to a generated constant and any ``sqrt`` of a literal, the two ways a
derived number gets typed in by hand. Exempt: function-argument defaults (they mirror torch's
and JAX's signatures, e.g. ``trunc_normal_(a=-2.0, b=2.0)``) and literals of at most two
significant digits (``2.0``, ``0.5``, ``0.01``: probes, tuning constants and significance levels
look the same as small derived numbers, so only the many-digit ones can be told apart).
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from initref._generated import activations, formulas

RUNTIME = Path(__file__).resolve().parents[1] / "initref"


def generated_constants() -> dict[float, str]:
    """Every numeric constant the generated code exports, with its name."""
    values = {float(v): name for name, v in vars(formulas).items() if name.isupper() and isinstance(v, (int, float))}
    for act, (param, default, _) in activations.PARAMETERS.items():
        values[float(default)] = f"{act} {param}"
    return {v: name for v, name in values.items() if not _short(v)}


def _short(value: float) -> bool:
    """At most two significant digits."""
    return float(f"{value:.1e}") == value


def _defaults(tree: ast.AST) -> set[int]:
    """ids of the nodes that are function-argument defaults."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    found.update(id(n) for n in ast.walk(default))
    return found


def hand_typed_numbers(source: str, constants: dict[float, str]) -> list[str]:
    """Literals in ``source`` that repeat a generated constant, and ``sqrt`` of a literal."""
    tree = ast.parse(source)
    exempt = _defaults(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in exempt:
            continue
        if isinstance(node, ast.Constant) and type(node.value) is float and not _short(node.value):
            name = next((n for v, n in constants.items() if math.isclose(node.value, v, rel_tol=1e-4)), None)
            if name is not None:
                found.append(f"line {node.lineno}: {node.value!r} repeats {name}")
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "sqrt"
                and node.args and isinstance(node.args[0], ast.Constant)):
            found.append(f"line {node.lineno}: sqrt({node.args[0].value!r}) typed by hand")
    return found


MODULES = sorted(p for p in RUNTIME.rglob("*.py") if "_generated" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(RUNTIME)))
def test_runtime_module_types_no_derived_number(path):
    assert hand_typed_numbers(path.read_text(), generated_constants()) == []


def test_the_tripwire_catches_hand_typed_numbers():
    # SELU's lambda typed in by hand, sqrt(2) for ReLU's gain, and torch's 5/3 as a float.
    source = "SCALE = 1.0507009873554805\ndef g():\n    return math.sqrt(2) * 1.6666666666666667\n"
    found = hand_typed_numbers(source, generated_constants())
    assert len(found) == 3, found


def test_the_tripwire_exempts_signature_defaults_and_tolerances():
    source = "def trunc(a=-2.0, b=2.0, rtol=1e-12, slope=1.0507009873554805):\n    return abs(a) < 0.01 * 2.0\n"
    assert hand_typed_numbers(source, generated_constants()) == []
