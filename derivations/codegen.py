"""Code generation: derivations → ``initref/_generated/*.py`` through SymPy's printers.

Run ``python -m derivations.codegen`` (or ``initref codegen``) to write the files, and
``--check`` to exit non-zero when a committed file differs from what would be written.
Each target has its printer: ``math`` → :class:`PythonCodePrinter`, ``numpy`` →
:class:`SciPyPrinter` (NumPy, with ``scipy.special`` for erf and friends), ``torch`` →
:class:`TorchPrinter`. Output depends only on the derivations, so it is deterministic.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import sympy as sp
from sympy.printing.codeprinter import CodePrinter
from sympy.printing.numpy import SciPyPrinter
from sympy.printing.pycode import PythonCodePrinter
from sympy.printing.pytorch import TorchPrinter

from derivations.activation_codegen import activation_files
from derivations.core import Derivation, Export
from derivations.generated_header import header

GENERATED_DIR = Path(__file__).resolve().parent.parent / "initref" / "_generated"


class _SciPyPrinter(SciPyPrinter):
    """SymPy's SciPyPrinter, with ``erfinv`` (which it does not print) as ``scipy.special.erfinv``."""

    def _print_erfinv(self, expr: sp.Function) -> str:
        return f"scipy.special.erfinv({self._print(expr.args[0])})"


class _TorchPrinter(TorchPrinter):
    """SymPy's TorchPrinter, with ``erfinv`` (which it does not print) as ``torch.erfinv``."""

    def _print_erfinv(self, expr: sp.Function) -> str:
        return f"torch.erfinv({self._print(expr.args[0])})"


@dataclass(frozen=True)
class Target:
    """A code target: its printer, its import line and the type names of its signatures."""

    printer: Callable[[], CodePrinter]
    imports: str
    value_type: str
    description: str
    numeric_constants: bool = False  # evaluate sqrt(2), pi, ... to 17 digits (array printers need it)
    arg_type: str | None = None  # the arguments' type, when wider than value_type (a torch formula takes floats too)


TARGETS: dict[str, Target] = {
    "math": Target(lambda: PythonCodePrinter({"fully_qualified_modules": True}), "import math",
                   "float", "Scalar formulas (Python floats, the ``math`` module)."),
    "numpy": Target(lambda: _SciPyPrinter({"fully_qualified_modules": True}),
                    "import numpy\nimport scipy.special\nfrom numpy.typing import ArrayLike", "ArrayLike",
                    "Array formulas for NumPy (``scipy.special`` for special functions).", True),
    "torch": Target(lambda: _TorchPrinter({"fully_qualified_modules": True}), "import torch", "torch.Tensor",
                    "Array formulas for torch tensors (device and dtype follow the inputs).", True,
                    "torch.Tensor | float"),
}


def numeric_constants(expr: sp.Expr) -> sp.Expr:
    """Irrational constants (``sqrt(2)``, ``pi``, ...) as 17-digit floats, for array printers."""
    return expr.replace(lambda e: e.is_number and e.is_rational is False, lambda e: sp.N(e, 17))


def render_export(export: Export, derivation: Derivation, target: Target) -> str:
    """One function (or constant) of one target."""
    expr = numeric_constants(export.expr) if target.numeric_constants else export.expr
    code = target.printer().doprint(expr)
    source = f"{export.doc}\n\n    Derivation ``{derivation.slug}``: {derivation.reference}"
    if not export.args:
        return f"{export.name}: float = {code}\n\"\"\"{export.doc} Derivation ``{derivation.slug}``.\"\"\"\n"
    typed = ", ".join(f"{a.name}: {target.arg_type or target.value_type}" for a in export.args)
    return (
        f"def {export.name}({typed}) -> {target.value_type}:\n"
        f'    """{source}\n    """\n'
        f"    return {code}\n"
    )


def render_formulas(derivations: Iterable[Derivation], target_name: str) -> str:
    """The ``formulas*.py`` module of one target: every export that names it."""
    target = TARGETS[target_name]
    pairs = [(e, d) for d in derivations for e in d.exports if target_name in e.targets]
    slugs = list(dict.fromkeys(d.slug for _, d in pairs))
    body = "\n\n".join(render_export(e, d, target) for e, d in pairs)
    names = ", ".join(f'"{e.name}"' for e, _ in pairs)
    return (
        f"{header(slugs, target.description)}\n"
        f"{target.imports}\n\n__all__ = [{names}]\n\n\n{body}"
    )


FILE_NAMES = {"math": "formulas.py", "numpy": "formulas_numpy.py", "torch": "formulas_torch.py"}


def formula_files() -> dict[str, str]:
    """``formulas.py``, ``formulas_numpy.py`` and ``formulas_torch.py``."""
    from derivations import DERIVATIONS

    return {FILE_NAMES[t]: render_formulas(DERIVATIONS, t) for t in TARGETS}


#: Every generator returns ``{file name in initref/_generated: source}``; add new ones here.
GENERATORS: list[Callable[[], dict[str, str]]] = [formula_files, activation_files]


def generate() -> dict[Path, str]:
    """All generated files, in memory, keyed by their path."""
    files = {GENERATED_DIR / "__init__.py": header(["all"], "Code generated from derivations/.")}
    for generator in GENERATORS:
        files.update({GENERATED_DIR / name: source for name, source in generator().items()})
    return files


def drift(files: dict[Path, str]) -> list[str]:
    """Unified diffs of every file whose committed content differs from ``files``."""
    diffs = []
    for path, source in sorted(files.items()):
        current = path.read_text() if path.exists() else ""
        if current != source:
            diffs.append("".join(difflib.unified_diff(
                current.splitlines(keepends=True), source.splitlines(keepends=True),
                f"{path.name} (committed)", f"{path.name} (generated)")))
    stale = sorted(set(GENERATED_DIR.glob("*.py")) - set(files))
    diffs += [f"{p.name}: not produced by any generator (delete it)\n" for p in stale]
    return diffs


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the generated files; 0 on success, 1 on drift."""
    parser = argparse.ArgumentParser(prog="initref codegen", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file is out of date")
    args = parser.parse_args(argv)
    files = generate()
    if args.check:
        diffs = drift(files)
        sys.stdout.write("".join(diffs) or f"{len(files)} generated files are current\n")
        return 1 if diffs else 0
    GENERATED_DIR.mkdir(parents=True, exist_ok=True)
    for path, source in files.items():
        path.write_text(source)
    print(f"wrote {len(files)} files to {GENERATED_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
