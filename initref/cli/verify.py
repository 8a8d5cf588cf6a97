"""``initref verify``: Monte Carlo check that an initializer preserves variance, forward and backward."""

from __future__ import annotations

import argparse
import sys
from typing import Any

#: Gain multipliers of the contrast runs drawn by ``--plot``: too small, as given, too large.
PLOT_MULTIPLIERS: tuple[tuple[str, float], ...] = (("too small (x0.8)", 0.8), ("as given", 1.0),
                                                   ("too large (x1.25)", 1.25))


def register(subparsers: argparse._SubParsersAction) -> None:
    from initref.montecarlo.backends import BACKENDS
    from initref.montecarlo.engine import STORES
    from initref.montecarlo.networks import ARCHITECTURES
    from initref.montecarlo.weights import GAIN_CRITERIA, INITIALIZERS

    parser = subparsers.add_parser(
        "verify", help="simulate deep networks: is the variance preserved forward and backward?",
        description="Simulate independent deep networks with an initializer and an activation, measure the "
        "second moment of every layer forward (pre-activations) and backward (gradients), and test the "
        "per-layer growth factor against 1: preserved, vanishing or exploding, per direction, with the "
        "mean-field prediction beside it. The false-alarm probability of the two verdicts together is "
        "at most --level (generalized confidence intervals over networks, Bonferroni over directions).",
    )
    parser.add_argument("--activation", default="relu", metavar="ACT",
                        help="a registered activation, or an expression in x (default: relu)")
    parser.add_argument("--param", type=float, help="the activation's parameter (e.g. leaky_relu's slope)")
    parser.add_argument("--init", default="kaiming_normal", choices=tuple(INITIALIZERS), metavar="NAME",
                        help=f"initializer: {', '.join(INITIALIZERS)} (default: kaiming_normal)")
    scale = parser.add_mutually_exclusive_group()
    scale.add_argument("--gain", type=float, metavar="G", help="gain g, Var(w) = g^2/fan (default: derived)")
    scale.add_argument("--std", type=float, metavar="S", help="the weights' standard deviation")
    parser.add_argument("--criterion", default="forward", choices=GAIN_CRITERIA,
                        help="gain criterion when no gain is given (default: forward)")
    parser.add_argument("--bias-variance", type=float, default=0.0, metavar="V", help="variance of the biases")
    parser.add_argument("--depth", type=int, default=32, metavar="D", help="layers (default: 32)")
    parser.add_argument("--width", type=int, default=256, metavar="W", help="units per layer (default: 256)")
    parser.add_argument("--batch", type=int, default=128, metavar="B", help="inputs per network (default: 128)")
    parser.add_argument("--networks", type=int, default=8, metavar="R", help="independent networks (default: 8)")
    parser.add_argument("--architecture", default="dense", choices=ARCHITECTURES, help="(default: dense)")
    parser.add_argument("--alpha", type=float, default=1.0, help="residual branch scale (default: 1)")
    parser.add_argument("--kernel-size", type=int, default=3, help="conv kernel side (default: 3)")
    parser.add_argument("--spatial", type=int, default=8, help="conv image side (default: 8)")
    parser.add_argument("--backend", default="numpy", choices=BACKENDS, help="(default: numpy)")
    parser.add_argument("--device", help="torch device, e.g. cuda (default: cuda when available)")
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"), help="(default: float32)")
    parser.add_argument("--store", default="checkpoint", choices=STORES,
                        help="checkpoint: O(sqrt(depth)) memory (default); all: keep every layer")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--level", type=float, default=0.01,
                        help="false-alarm probability of the two verdicts together (default: 0.01)")
    parser.add_argument("--plot", metavar="FILE",
                        help="save depth profiles and histograms: gain x0.8, x1, x1.25, or --compare's initializers")
    parser.add_argument("--compare", nargs="+", choices=tuple(INITIALIZERS), metavar="NAME",
                        help="with --plot: draw these initializers (each at its default gain) beside --init")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--all", action="store_true",
                        help="every registered activation with its derived gain: a table of verdicts")
    parser.set_defaults(run=run)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "init": args.init, "param": args.param, "criterion": args.criterion, "bias_variance": args.bias_variance,
        "depth": args.depth, "width": args.width, "batch": args.batch, "networks": args.networks,
        "architecture": args.architecture, "alpha": args.alpha, "kernel_size": args.kernel_size,
        "spatial": args.spatial, "backend": args.backend, "device": args.device, "dtype": args.dtype,
        "seed": args.seed, "level": args.level, "store": args.store,
    }


def _interval(direction: Any) -> str:
    low, high = direction.interval
    number = lambda v: f"{v:.4f}" if abs(v) < 100 else f"{v:.3g}"  # noqa: E731
    return f"{number(direction.factor)} [{number(low)}, {number(high)}]"


_ATTRACTS = {"stable": "attracts", "marginal": "is marginal (nearby q neither approach nor leave it geometrically)",
             "unstable": "repels (finite-width fluctuations grow)"}

_COLOURS = {"preserved": "green", "vanishing": "yellow", "exploding": "red"}


def _verdict(text: str) -> str:
    return f"[{_COLOURS.get(text, 'white')}]{text}[/]"


def _progress(console: Any) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def _verify_with_bar(console: Any, description: str, activation: str, **options: Any) -> Any:
    from initref.montecarlo import verify

    with _progress(console) as bar:
        task = bar.add_task(description, total=None)
        return verify(activation, progress=lambda done, total: bar.update(task, completed=done, total=total),
                      **options)


def _summary(console: Any, result: Any) -> None:
    from rich.table import Table

    from initref.montecarlo.statistics import PIVOT_DRAWS

    scale = f"gain {result.gain:.6g}" if result.gain is not None else (
        f"std {result.std:.6g}" if result.std is not None else "callable")
    config = result.config
    console.print(
        f"[bold]{result.activation}[/bold], {result.init} ({scale}; criterion tested: {result.criterion}), "
        f"sigma_w^2 = {result.weight_variance:.6g}, sigma_b^2 = {config['bias_variance']:g}; "
        f"{config['architecture']} depth {config['depth']}, width {config['width']}, batch {config['batch']}, "
        f"{config['networks']} networks, {config['backend']} on {config['device']}, {result.elapsed_s:.2f} s")
    table = Table(title="per-layer growth factor of the second moment")
    for column in ("direction", "verdict", "per layer \\[interval]", "mean field", "p-value"):
        table.add_column(column, no_wrap=True)
    floor = 1.0 / PIVOT_DRAWS
    for direction in (result.forward, result.backward):
        p_value = f"< {floor:.0e}" if direction.p_value <= floor else f"{direction.p_value:.3g}"
        table.add_row(direction.direction, _verdict(direction.verdict), _interval(direction),
                      f"{direction.mean_field_factor:.4f}", p_value)
    console.print(table)
    point = result.fixed_point
    if point:
        number = lambda v: "inf" if v is None else f"{v:.6g}"  # noqa: E731
        console.print(f"mean field: q* = {number(point['q_star'])}, chi_1 = {number(point['chi_1'])} "
                      f"({point['phase']}), L'(q*) = {number(point['slope'])}: fixed point "
                      f"{_ATTRACTS[point['stability']]}")
    console.print(f"generalized confidence intervals over networks, level {1 - result.forward.alpha:g} per direction; "
                  f"false-alarm probability of both verdicts together <= {result.level:g}")


def _plot(console: Any, args: argparse.Namespace, result: Any, options: dict[str, Any]) -> None:
    from initref.montecarlo.plots import plot_verification

    runs = _compared(console, args, result, options) if args.compare else _contrasts(console, args, result, options)
    console.print(f"figure: {plot_verification(runs, args.plot)}")


def _label(result: Any) -> str:
    scale = f"gain {result.gain:.3g}" if result.gain is not None else (
        f"std {result.std:.3g}" if result.std is not None else "callable")
    return f"{result.init} ({scale})"


def _compared(console: Any, args: argparse.Namespace, result: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The main run and one run per ``--compare`` initializer, at its default gain."""
    runs = {_label(result): result}
    for name in dict.fromkeys(args.compare):
        if name != args.init:
            other = _verify_with_bar(console, name, args.activation, **{**options, "init": name})
            runs[_label(other)] = other
    return runs


def _contrasts(console: Any, args: argparse.Namespace, result: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The main run and the same initializer with its gain (or std) too small and too large."""
    runs = {}
    for label, multiplier in PLOT_MULTIPLIERS:
        if multiplier == 1.0:
            runs[label] = result
            continue
        scaled = dict(options)
        if result.std is not None:
            scaled["std"] = result.std * multiplier
        elif result.gain is not None:
            scaled["gain"] = result.gain * multiplier
        runs[label] = _verify_with_bar(console, label, args.activation, **scaled)
    return runs


def _run_all(console: Any, args: argparse.Namespace, options: dict[str, Any]) -> int:
    import json

    from rich import box
    from rich.table import Table

    from initref.activations import registered
    from initref.montecarlo import verify

    names = registered()
    results = {}
    with _progress(console) as bar:
        task = bar.add_task("activations", total=len(names))
        for name in names:
            bar.update(task, description=f"verifying {name}")
            results[name] = verify(name, **options)
            bar.advance(task)
    if args.json:
        print(json.dumps({name: result.to_dict() for name, result in results.items()}))
        return 0
    table = Table(title=f"every registered activation at its derived gain (criterion: {args.criterion}); "
                  f"{args.architecture}, depth {args.depth}, width {args.width}, {args.networks} networks",
                  box=box.SIMPLE_HEAD, padding=(0, 1))
    for column in ("activation", "gain", "forward", "per layer", "backward", "per layer", "chi_1", "L'(q*)"):
        table.add_column(column, no_wrap=True)
    unstable = []
    for name, result in results.items():
        slope = (result.fixed_point or {}).get("slope")
        if (result.fixed_point or {}).get("stability") == "unstable":
            unstable.append(name)
        table.add_row(name, f"{result.gain:.4f}" if result.gain is not None else "-",
                      _verdict(result.forward.verdict), _compact(result.forward),
                      _verdict(result.backward.verdict), _compact(result.backward),
                      f"{result.backward.mean_field_factor:.4f}", "-" if slope is None else f"{slope:.3f}")
    console.print(table)
    console.print("per layer: growth factor of the expected second moment (interval); chi_1: mean-field gradient "
                  "factor; L'(q*): slope of the length map at its fixed point (> 1: unstable).")
    if unstable:
        console.print(f"unstable fixed point at this gain ({', '.join(unstable)}): finite-width fluctuations grow by "
                      "L'(q*) per layer, so the variance drifts although the mean field says it stays.")
    console.print(f"false-alarm probability per activation <= {args.level:g} (both directions together; "
                  "generalized confidence intervals over networks, Bonferroni).")
    return 0


def _short(value: float) -> str:
    return f"{value:.3f}" if abs(value) < 100 else f"{value:.2g}"


def _compact(direction: Any) -> str:
    low, high = direction.interval
    return f"{_short(direction.factor)} ({_short(low)}-{_short(high)})"


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console(stderr=args.json)
    if not console.is_terminal:  # piped (e.g. into a log): do not squeeze the tables into 80 columns
        console = Console(stderr=args.json, width=max(console.width, 110))
    options = _options(args)
    if args.compare and not args.plot:
        raise ValueError("--compare draws a figure: give --plot FILE too")
    if args.all:
        if args.gain is not None or args.std is not None:
            raise ValueError("--all uses each activation's derived gain; drop --gain/--std")
        return _run_all(console, args, options)
    if args.gain is not None:
        options["gain"] = args.gain
    if args.std is not None:
        options["std"] = args.std
    result = _verify_with_bar(console, f"verifying {args.activation}", args.activation, **options)
    if args.plot:
        _plot(console, args, result, options)
    if args.json:
        sys.stdout.write(result.to_json() + "\n")
    else:
        _summary(console, result)
    return 0
