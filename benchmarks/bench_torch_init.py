"""initref.torch against torch.nn.init (and SciPy for orthogonal): wall time and peak extra memory.

Every row times both sides in one run, interleaved (the order alternates between repeats), and
reports the median of each and their ratio. Targets (issue 3):

- each drop-in initializer on a 4096 x 4096 float32 tensor within 1.05x of torch.nn.init;
- orthogonal_ on 2048 x 2048 within 1.2x of torch.nn.init.orthogonal_ and at least 5x faster
  than scipy.stats.ortho_group.rvs;
- elementwise initializers allocate no second full-size buffer (peak extra memory, measured
  with torch.profiler on a smaller tensor, in units of the tensor's size); ``trunc_normal_``
  rejection-samples like torch (the same bits need the same draws and scratch), so its target is
  torch's own peak.

Run: ``python benchmarks/bench_torch_init.py`` (about a minute on 2 CPU cores; ``--quick`` for
fewer repeats, ``--device cuda`` on a GPU).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable

import scipy.stats
import torch
import torch.nn.init as tinit
from rich.console import Console
from rich.table import Table
from torch.profiler import ProfilerActivity, profile

import initref.torch as init
from initref._generated import formulas

Fill = Callable[[torch.Tensor, torch.Generator], object]

#: (name, shape builder from n, our call, torch's call).
CASES: list[tuple[str, Callable[[int], tuple[int, ...]], Fill, Fill | None]] = [
    ("uniform_", lambda n: (n, n), lambda t, g: init.uniform_(t, -1, 1, generator=g),
     lambda t, g: tinit.uniform_(t, -1, 1, generator=g)),
    ("normal_", lambda n: (n, n), lambda t, g: init.normal_(t, 0, 0.02, generator=g),
     lambda t, g: tinit.normal_(t, 0, 0.02, generator=g)),
    ("trunc_normal_", lambda n: (n, n), lambda t, g: init.trunc_normal_(t, 0, 0.02, -0.04, 0.04, generator=g),
     lambda t, g: tinit.trunc_normal_(t, 0, 0.02, -0.04, 0.04, generator=g)),
    ("constant_", lambda n: (n, n), lambda t, g: init.constant_(t, 0.5), lambda t, g: tinit.constant_(t, 0.5)),
    ("ones_", lambda n: (n, n), lambda t, g: init.ones_(t), lambda t, g: tinit.ones_(t)),
    ("zeros_", lambda n: (n, n), lambda t, g: init.zeros_(t), lambda t, g: tinit.zeros_(t)),
    ("eye_", lambda n: (n, n), lambda t, g: init.eye_(t), lambda t, g: tinit.eye_(t)),
    ("dirac_", lambda n: (n, n, 1), lambda t, g: init.dirac_(t), lambda t, g: tinit.dirac_(t)),
    ("xavier_uniform_", lambda n: (n, n), lambda t, g: init.xavier_uniform_(t, generator=g),
     lambda t, g: tinit.xavier_uniform_(t, generator=g)),
    ("xavier_normal_", lambda n: (n, n), lambda t, g: init.xavier_normal_(t, generator=g),
     lambda t, g: tinit.xavier_normal_(t, generator=g)),
    ("kaiming_uniform_", lambda n: (n, n), lambda t, g: init.kaiming_uniform_(t, generator=g),
     lambda t, g: tinit.kaiming_uniform_(t, generator=g)),
    ("kaiming_normal_", lambda n: (n, n), lambda t, g: init.kaiming_normal_(t, generator=g),
     lambda t, g: tinit.kaiming_normal_(t, generator=g)),
    ("sparse_", lambda n: (n, n), lambda t, g: init.sparse_(t, 0.1, generator=g),
     lambda t, g: tinit.sparse_(t, 0.1, generator=g)),
]
def torch_variance_corrected(tensor: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """torch's trunc_normal_ set up for the law of variance_scaling_(tensor) (scale 1, fan_in)."""
    std = formulas.variance_scaling_std(1.0, tensor.shape[1]) / formulas.TRUNCATED_NORMAL_STD_CORRECTION
    bound = formulas.TRUNCATED_NORMAL_BOUND * std
    return tinit.trunc_normal_(tensor, 0.0, std, -bound, bound, generator=generator)


#: Additions, timed against the nearest torch.nn.init call (information only, no target).
EXTRA_CASES: list[tuple[str, str, Callable[[int], tuple[int, ...]], Fill, Fill]] = [
    ("variance_scaling_ (trunc. normal, inverse CDF)", "trunc_normal_ (rejection)", lambda n: (n, n),
     lambda t, g: init.variance_scaling_(t, generator=g),
     lambda t, g: torch_variance_corrected(t, g)),
    ("lecun_normal_", "kaiming_normal_ (linear)", lambda n: (n, n), lambda t, g: init.lecun_normal_(t, generator=g),
     lambda t, g: tinit.kaiming_normal_(t, nonlinearity="linear", generator=g)),
    ("zero_init_ (ZerO, widening)", "eye_", lambda n: (n, n // 2), lambda t, g: init.zero_init_(t),
     lambda t, g: tinit.eye_(t)),
    ("sparse_columns_", "sparse_", lambda n: (n, n), lambda t, g: init.sparse_columns_(t, 0.1, generator=g),
     lambda t, g: tinit.sparse_(t, 0.1, generator=g)),
]
MIN_SAMPLE = 0.05  # seconds: fast calls are batched into samples at least this long
ELEMENTWISE = {"uniform_", "normal_", "constant_", "ones_", "zeros_", "xavier_uniform_", "xavier_normal_",
               "kaiming_uniform_", "kaiming_normal_", "eye_"}
#: Rejection sampling needs scratch (fresh draws and an acceptance mask); drawing torch's bits means drawing
#: them the same way, so the target is torch's own peak, not zero.
AS_TORCH = {"trunc_normal_"}


def timer(device: torch.device) -> Callable[[Callable[[], object]], float]:
    def run(fn: Callable[[], object]) -> float:
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start
    return run


def interleaved(fns: list[Callable[[], object]], repeats: int, measure: Callable[[Callable[[], object]], float],
                budget: float = float("inf"), warmup: bool = True) -> list[float]:
    """Median wall time per call of each function, run in alternating order.

    One warm-up call each (timed, to size the run); then ``repeats`` rounds, fewer (at least 3)
    when the rounds would not fit in ``budget`` seconds. A call faster than ``MIN_SAMPLE`` is
    repeated inside one sample, so each sample lasts at least that long.
    """
    inner = 1
    if warmup:
        per_round = sum(measure(fn) for fn in fns)
        inner = max(1, int(MIN_SAMPLE / max(per_round / len(fns), 1e-9)))
        repeats = max(3, min(repeats, int(budget / max(per_round * inner, 1e-9))))

    def batch(fn: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(inner):
                fn()
        return run

    batches = [batch(fn) for fn in fns]
    times: list[list[float]] = [[] for _ in fns]
    for r in range(repeats):
        order = range(len(fns)) if r % 2 == 0 else reversed(range(len(fns)))
        for i in order:
            times[i].append(measure(batches[i]) / inner)
    return [statistics.median(t) for t in times]


def time_pair(theirs: Fill, ours: Fill, shape: tuple[int, ...], device: torch.device, repeats: int,
              measure: Callable[[Callable[[], object]], float], budget: float) -> tuple[float, float]:
    """Median times of torch's and initref's call on one preallocated tensor, same seed each call."""
    tensor = torch.empty(shape, device=device)

    def gen() -> torch.Generator:
        return torch.Generator(device=device).manual_seed(0)

    t_torch, t_ours = interleaved([lambda: theirs(tensor, gen()), lambda: ours(tensor, gen())], repeats, measure,
                                  budget)
    return t_torch, t_ours


def peak_extra(fill: Fill, shape: tuple[int, ...], device: torch.device) -> float:
    """Peak memory allocated during one call, in units of the tensor's size (torch.profiler)."""
    tensor = torch.empty(shape, device=device)
    generator = torch.Generator(device=device).manual_seed(0)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities, profile_memory=True) as prof:
        fill(tensor, generator)
    field = "self_device_memory_usage" if device.type == "cuda" else "self_cpu_memory_usage"
    events = sorted((e for e in prof.events() if getattr(e, field)), key=lambda e: e.time_range.start)
    running = peak = 0
    for event in events:
        running += getattr(event, field)
        peak = max(peak, running)
    return peak / (tensor.numel() * tensor.element_size())


def verdict(ok: bool) -> str:
    return "[green]PASS[/green]" if ok else "[red]MISS[/red]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096, help="n of the n x n tensors (default 4096)")
    parser.add_argument("--ortho-size", type=int, default=2048, help="n of the orthogonal benchmark (default 2048)")
    parser.add_argument("--repeats", type=int, default=7, help="repeats per side (default 7)")
    parser.add_argument("--budget", type=float, default=4.0,
                        help="seconds per row; slow rows get fewer repeats, at least 3 (default 4)")
    parser.add_argument("--quick", action="store_true", help="3 repeats")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    device = torch.device(args.device)
    measure = timer(device)
    console = Console(width=max(Console().width, 132))
    began = time.perf_counter()
    warnings.simplefilter("ignore")  # trunc_normal_'s far-window warning is not the subject here

    table = Table(title=f"initref.torch vs torch.nn.init: {args.size}x{args.size} float32 on {device}, "
                        f"median of up to {repeats} interleaved repeats (at least 3)")
    for column in ("function", "torch (ms)", "initref (ms)", "ratio", "target", "", "peak extra mem torch / ours"):
        table.add_column(column, justify="left" if column == "function" else "right")
    memory_shape_n = min(args.size, 1024)
    for name, shape_of, ours, theirs in CASES:
        t_torch, t_ours = time_pair(theirs, ours, shape_of(args.size), device, repeats, measure, args.budget)
        ratio = t_ours / t_torch
        mem_t = peak_extra(theirs, shape_of(memory_shape_n), device)
        mem_o = peak_extra(ours, shape_of(memory_shape_n), device)
        mem = f"{mem_t:.2f} / {mem_o:.2f}"
        if name in ELEMENTWISE:
            mem += "  " + verdict(mem_o < 1)
        elif name in AS_TORCH:
            mem += "  " + verdict(mem_o <= mem_t + 0.01) + " (<= torch)"
        table.add_row(name, f"{1e3 * t_torch:.1f}", f"{1e3 * t_ours:.1f}", f"{ratio:.3f}", "<= 1.05",
                      verdict(ratio <= 1.05), mem)

    n = args.ortho_size
    t_torch, t_ours = time_pair(lambda t, g: tinit.orthogonal_(t, generator=g),
                                lambda t, g: init.orthogonal_(t, generator=g), (n, n), device, repeats, measure,
                                args.budget)
    table.add_section()
    table.add_row(f"orthogonal_ {n}x{n}", f"{1e3 * t_torch:.1f}", f"{1e3 * t_ours:.1f}", f"{t_ours / t_torch:.3f}",
                  "<= 1.2", verdict(t_ours / t_torch <= 1.2), "")
    tensor = torch.empty(n, n, device=device)
    t_scipy, t_ours_again = interleaved(  # SciPy takes seconds: few interleaved rounds, no warm-up
        [lambda: scipy.stats.ortho_group.rvs(n, random_state=0),
         lambda: init.orthogonal_(tensor, generator=torch.Generator(device=device).manual_seed(0))],
        1 if args.quick else 3, measure, warmup=False)
    table.add_row(f"orthogonal_ vs scipy ortho_group.rvs({n})", f"scipy {1e3 * t_scipy:.1f}",
                  f"{1e3 * t_ours_again:.1f}", f"{t_scipy / t_ours_again:.1f}x faster", ">= 5x faster",
                  verdict(t_scipy / t_ours_again >= 5), "")

    table.add_section()
    for name, reference, shape_of, ours, theirs in EXTRA_CASES:
        t_torch, t_ours = time_pair(theirs, ours, shape_of(args.size), device, repeats, measure, args.budget)
        mem_t = peak_extra(theirs, shape_of(memory_shape_n), device)
        mem_o = peak_extra(ours, shape_of(memory_shape_n), device)
        table.add_row(f"{name}\n  vs torch {reference}", f"{1e3 * t_torch:.1f}", f"{1e3 * t_ours:.1f}",
                      f"{t_ours / t_torch:.3f}", "info", "", f"{mem_t:.2f} / {mem_o:.2f}")

    console.print(table)
    console.print(f"peak extra memory: measured on a {memory_shape_n}x{memory_shape_n} tensor with torch.profiler, "
                  "in units of the tensor's size (0 = nothing allocated beyond the tensor itself).")
    console.print(f"total time {time.perf_counter() - began:.0f} s; torch {torch.__version__}, "
                  f"{torch.get_num_threads()} threads")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
