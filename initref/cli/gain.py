"""``initref gain``: gains, moments, torch's value and the mean-field fixed point of an activation."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gain", help="gains and Gaussian moments of any activation",
        description="Derive the forward, backward and mean-corrected gains of an activation (a registered "
        "name such as gelu, or an expression in x such as 'x*tanh(log(1+exp(x)))'), its Gaussian moments, "
        "torch's calculate_gain value where one exists, and the mean-field fixed point and chi_1.",
    )
    parser.add_argument("activation", metavar="ACTIVATION", help="registered name or expression in x")
    parser.add_argument("--param", type=float, help="the activation's parameter (negative_slope, alpha, beta)")
    parser.add_argument("--q", type=float, default=1.0, help="pre-activation variance for moments and gains "
                        "(default 1)")
    parser.add_argument("--weight-variance", type=float, help="sigma_w^2 for the mean-field fixed point "
                        "(default: the forward gain squared)")
    parser.add_argument("--bias-variance", type=float, default=0.0, help="sigma_b^2 (default 0)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=run)


def _plain(value: Any) -> Any:
    """JSON-safe: dataclasses as dicts, inf as the string 'inf', NaN as null."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def _number(value: float | None, digits: int = 15) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}g}"


def run(args: argparse.Namespace) -> int:
    from initref.gains import analyze_activation

    analysis = analyze_activation(args.activation, args.param, q=args.q, bias_variance=args.bias_variance,
                                  weight_variance=args.weight_variance)
    if args.json:
        payload = _plain(analysis)
        payload["moments"]["variance"] = analysis.moments.variance
        print(json.dumps(payload, indent=2))
        return 0
    _table(analysis)
    return 0


def _table(analysis: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    m = analysis.moments
    title = f"initref gain: {analysis.name}" + (f" (param {analysis.param:g})" if analysis.param is not None else "")
    table = Table(title=title, show_header=True)
    for column in ("quantity", "value", "meaning"):
        table.add_column(column)
    rows = [
        ("f(x)", analysis.expression or "(callable)", f"f' by {analysis.derivative_method}"),
        ("forward gain", _number(analysis.forward_gain), f"1/sqrt(E[f(z)^2]), z ~ N(0, {analysis.q:g})"),
        ("backward gain", _number(analysis.backward_gain), "1/sqrt(E[f'(z)^2])"),
        ("mean-corrected gain", _number(analysis.mean_corrected_gain), "1/sqrt(Var f(z))"),
        ("torch calculate_gain", _number(analysis.torch_gain), "torch's value (tanh 5/3, selu 3/4 are conventions)"
         if analysis.torch_gain is not None else "not one of torch's names"),
        ("E[f(z)]", _number(m.mean), f"{m.method}, error ~ {m.errors[0]:.1e}"),
        ("E[f(z)^2]", _number(m.second), f"error ~ {m.errors[1]:.1e}"),
        ("E[f'(z)^2]", _number(m.derivative_second), f"error ~ {m.errors[2]:.1e}"),
        ("Var f(z)", _number(m.variance), ""),
        ("chi_1 at forward gain", _number(analysis.chi_1_at_forward_gain),
         "per-layer gradient factor when sigma_w^2 = forward gain^2, sigma_b^2 = 0"),
    ]
    point = analysis.fixed_point
    if point is not None:
        rows += [
            ("sigma_w^2, sigma_b^2", f"{point.weight_variance:.12g}, {point.bias_variance:.12g}", "mean-field network"),
            ("fixed point q*", _number(point.q_star), "q* = sigma_w^2 E[f(sqrt(q*) z)^2] + sigma_b^2; "
             f"{point.stability} (slope of the length map {_number(point.slope, 6)})"),
            ("chi_1 at q*", _number(point.chi_1), f"phase: {point.phase} (Poole et al. 2016; Schoenholz et al. 2017)"),
        ]
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    console = Console()
    console.print(table)
    if analysis.note:
        console.print(f"[yellow]note:[/yellow] {escape(analysis.note)}")
