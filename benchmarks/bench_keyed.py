"""Keyed (counter-based) fills against torch's sequential ones, and where the keyed time goes.

Target (issue 14): ``keyed_trunc_normal_`` on a 4096 x 4096 float32 tensor in at most 2x the time of
``torch.nn.init.normal_`` (torch's ``trunc_normal_`` takes many times that), one pass and no second
full-size buffer. All rows are timed in one run, interleaved (medians; the order alternates).

The keyed fill is Philox words -> 53-bit uniform u -> float64 quantile (erfinv) -> the tensor's
dtype, in chunks. The limit table times each step alone over the same chunks; with the words drawn
on a second thread, the steps after them are the floor with these kernels (torch's float64
``erfinv``, NumPy's C Philox) -- on 2 cores the word thread and torch's ops share the cores, so
the floor is not reached. ``normal_``'s float32 Box-Muller on torch's sequential CPU generator
has no counterpart addressable by index.

Run: ``python benchmarks/bench_keyed.py`` (under a minute on 2 CPU cores; ``--quick`` for fewer
repeats, ``--device cuda`` on a GPU).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.init as tinit
from bench_torch_init import interleaved, peak_extra, timer, verdict
from rich.console import Console
from rich.table import Table

from initref.philox import philox_words, stream_key
from initref.torch import keyed, keyed_normal_, keyed_trunc_normal_

TARGET = 2.0
STD, A, B = 0.02, -0.04, 0.04  # GPT-2 / timm's trunc_normal_(std=.02, a=-2 std, b=2 std)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096, help="n of the n x n float32 tensor (default 4096)")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="3 repeats")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    device, repeats, n = torch.device(args.device), 3 if args.quick else args.repeats, args.size
    measure = timer(device)
    tensor = torch.empty(n, n, device=device)
    generator = torch.Generator(device=device).manual_seed(0)
    fills = {
        "torch normal_": lambda: tinit.normal_(tensor, 0, STD, generator=generator),
        "torch trunc_normal_": lambda: tinit.trunc_normal_(tensor, 0, STD, A, B, generator=generator),
        "keyed_normal_": lambda: keyed_normal_(tensor, 0, STD, seed=0, name="w"),
        "keyed_trunc_normal_": lambda: keyed_trunc_normal_(tensor, 0, STD, A, B, seed=0, name="w"),
    }
    times = dict(zip(fills, interleaved(list(fills.values()), repeats, measure, budget=60.0), strict=True))
    base = times["torch normal_"]
    memory_n = n
    memory = {
        "keyed_trunc_normal_": peak_extra(lambda t, g: keyed_trunc_normal_(t, 0, STD, A, B, seed=0, name="w"),
                                          (memory_n, memory_n), device),
        "torch trunc_normal_": peak_extra(lambda t, g: tinit.trunc_normal_(t, 0, STD, A, B, generator=g),
                                          (memory_n, memory_n), device),
    }

    console = Console(width=140)
    console.print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {device}, "
                  f"{n}x{n} float32, medians of {repeats}")
    table = Table(title="keyed fills against torch.nn.init")
    for column in ("fill", "ms", "x normal_", "goal", ""):
        table.add_column(column, justify="left" if column in ("fill", "goal") else "right")
    for name, t in times.items():
        goal, ok = ("", "")
        if name == "keyed_trunc_normal_":
            goal, ok = f"<= {TARGET}x normal_", verdict(t / base <= TARGET)
        table.add_row(name, f"{t * 1e3:.1f}", f"{t / base:.2f}x", goal, ok)
    console.print(table)
    speedup = times["torch trunc_normal_"] / times["keyed_trunc_normal_"]
    console.print(f"keyed_trunc_normal_ is {speedup:.1f}x faster than torch's trunc_normal_; peak extra memory "
                  f"({memory_n}x{memory_n}, torch.profiler, in tensor sizes): keyed "
                  f"{memory['keyed_trunc_normal_']:.2f}, torch {memory['torch trunc_normal_']:.2f}")

    if device.type == "cpu":
        limit_table(console, n * n, base, times["keyed_trunc_normal_"], repeats)
    return 0


def limit_table(console: Console, count: int, base: float, keyed_time: float, repeats: int) -> None:
    """The keyed fill's steps, each alone over ``count`` elements in chunks, and their sum against ``normal_``."""
    key, chunk = stream_key(0, "w"), keyed.CHUNK
    chunks = count // chunk
    words = torch.from_numpy(philox_words(key, 0, chunk).view(np.int64))
    u = keyed._unit(words)
    values = torch.empty(chunk, dtype=torch.float64)
    out = torch.empty(count, dtype=torch.float32)

    def per_chunk(step: Callable[[int], object]) -> Callable[[], None]:
        return lambda: [step(i) for i in range(chunks)]

    steps = {
        "Philox words (NumPy C)": per_chunk(lambda i: philox_words(key, i * chunk, chunk)),
        "word -> u (shift, float64, affine)": per_chunk(lambda i: keyed._unit(words)),
        "torch.erfinv, float64": per_chunk(lambda i: torch.erfinv(u, out=values)),
        "affine + clamp + copy into float32": per_chunk(
            lambda i: out[i * chunk:(i + 1) * chunk].copy_(values.mul_(1.0).clamp_(-1.0, 1.0))),
    }
    measure = timer(torch.device("cpu"))
    times = dict(zip(steps, interleaved(list(steps.values()), repeats, measure, budget=30.0), strict=True))
    table = Table(title=f"where the keyed time goes ({chunks} chunks of {chunk}, each step alone)")
    for column in ("step", "ms", "x normal_"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for name, t in times.items():
        table.add_row(name, f"{t * 1e3:.1f}", f"{t / base:.2f}x")
    serial = sum(times.values())
    overlapped = serial - times["Philox words (NumPy C)"]
    table.add_row("sum of the steps", f"{serial * 1e3:.1f}", f"{serial / base:.2f}x")
    table.add_row("[b]floor: the sum less the words (drawn on a second thread)[/b]", f"{overlapped * 1e3:.1f}",
                  f"{overlapped / base:.2f}x")
    table.add_row("keyed_trunc_normal_", f"{keyed_time * 1e3:.1f}", f"{keyed_time / base:.2f}x")
    console.print(table)


if __name__ == "__main__":
    raise SystemExit(main())
