"""initref.numpy's ``workers=`` against the single-stream raw fill, and where the time goes.

Target (issue 14): ``initref.numpy.normal((4096, 4096), rng=0, workers=2)`` (float32) at least
1.8x faster than ``np.random.default_rng(0).standard_normal((4096, 4096), dtype=np.float32)``; the
``workers=1`` overhead against the same single stream is shown beside it. Every row is the best
of several repeats, all candidates timed in turn within each repeat (same run, same load).

The diagnosis table splits the ratio into its factors:

- the raw fill per thread: a PCG64 Generator (what ``default_rng`` uses) against a Philox one
  (what each block uses), both into a preallocated array on one thread;
- the ideal two-thread Philox fill: two raw threads, each its own Philox, each half the array,
  no blocks and no pool -- the best ``workers=2`` can do on this machine, hence the limit
  ``t(single stream) / t(ideal)``;
- the same ideal split with PCG64 (how well two threads scale here at all);
- the per-block costs: building one block's ``Generator(Philox(SeedSequence(...)))`` and
  starting and stopping a two-thread pool;
- ``workers=2`` with other block sizes (``BlockStreams(block_size=...)``; only the default
  ``BLOCK_SIZE`` is used by the initializers, another changes the bits).

Run: ``python benchmarks/bench_numpy_workers.py`` (about a minute on 2 cores; ``--quick`` for
fewer repeats).
"""

from __future__ import annotations

import argparse
import math
import os
import threading
import time
from collections.abc import Callable

import numpy as np
from rich.console import Console
from rich.table import Table

import initref.numpy as inp
from initref.numpy import _parallel, _sampling

Call = Callable[[], object]
TARGET = 1.8


def best_of(calls: dict[str, Call], repeats: int) -> dict[str, float]:
    """Best seconds of each call; every repeat times all of them once, in rotating order."""
    names = list(calls)
    best = dict.fromkeys(names, math.inf)
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            calls[name]()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def two_threads(bit_generator: type, n: int) -> Call:
    """Two raw threads, each with its own Generator, each filling half of a new array."""
    def run() -> None:
        out = np.empty(n, dtype=np.float32)
        gens = [np.random.Generator(bit_generator(i)) for i in range(2)]
        halves = (out[:n // 2], out[n // 2:])
        threads = [threading.Thread(target=g.standard_normal, kwargs={"dtype": np.float32, "out": h})
                   for g, h in zip(gens, halves, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return run


def blocked(n: int, block_size: int, workers: int = 2) -> Call:
    """``workers`` threads over blocks of ``block_size`` (the initializer's path, any block size)."""
    def run() -> None:
        streams = _parallel.BlockStreams(0, workers, block_size)
        _sampling._sample(streams, (n,), np.dtype(np.float32), _sampling._standard_normal, lambda out: None)
    return run


def pool_cycle() -> None:
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(int, range(2)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096, help="n of the n x n float32 array")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="5 repeats")
    args = parser.parse_args()
    repeats = 5 if args.quick else args.repeats
    shape, n = (args.size, args.size), args.size * args.size
    console = Console(width=150)
    console.print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
                  f"BLOCK_SIZE = 2**{int(math.log2(_parallel.BLOCK_SIZE))}, {math.ceil(n / _parallel.BLOCK_SIZE)} "
                  f"blocks; best of {repeats}")

    pcg, philox = np.random.Generator(np.random.PCG64(0)), np.random.Generator(np.random.Philox(0))
    buffer = np.empty(n, dtype=np.float32)
    sizes = (14, 15, 16, 17, 18, 20)
    t = best_of({
        "single": lambda: np.random.default_rng(0).standard_normal(shape, dtype=np.float32),
        "w1": lambda: inp.normal(shape, rng=0, workers=1),
        "w2": lambda: inp.normal(shape, rng=0, workers=2),
        "single_u": lambda: np.random.default_rng(0).random(shape, dtype=np.float32),
        "w2_u": lambda: inp.uniform(shape, rng=0, workers=2),
        "pcg_raw": lambda: pcg.standard_normal(dtype=np.float32, out=buffer),
        "philox_raw": lambda: philox.standard_normal(dtype=np.float32, out=buffer),
        "pcg_2": two_threads(np.random.PCG64, n),
        "philox_2": two_threads(np.random.Philox, n),
        **{f"b{k}": blocked(n, 2**k) for k in sizes},
    }, repeats)
    per_block = best_of({"gen": lambda: _parallel.block_generator(12345, 7)}, 200)["gen"]
    pool = best_of({"pool": pool_cycle}, 50)["pool"]

    table = Table(title=f"workers= against the single stream ({args.size}x{args.size} float32, best of {repeats})")
    for column in ("initref.numpy", "reference", "ours ms", "ref ms", "speed-up", "goal", ""):
        table.add_column(column, justify="right" if "ms" in column or column == "speed-up" else "left")
    reached = t["single"] / t["w2"] >= TARGET
    rows = [("normal, workers=2", "default_rng(0).standard_normal(f32)", t["w2"], t["single"], f">= {TARGET}x",
             "[green]PASS[/green]" if reached else "[red]MISS[/red]"),
            ("normal, workers=1", "default_rng(0).standard_normal(f32)", t["w1"], t["single"], "overhead", ""),
            ("uniform, workers=2", "default_rng(0).random(f32)", t["w2_u"], t["single_u"], "info", "")]
    for name, ref, ours, theirs, goal, verdict in rows:
        table.add_row(name, ref, f"{ours * 1e3:.1f}", f"{theirs * 1e3:.1f}", f"{theirs / ours:.2f}x", goal, verdict)
    console.print(table)

    why = Table(title="Where the time goes (normal, float32)")
    for column in ("measurement", "ms", "note"):
        why.add_column(column, justify="right" if column == "ms" else "left")
    limit = t["single"] / t["philox_2"]
    blocks = math.ceil(n / _parallel.BLOCK_SIZE)
    why.add_row("raw fill, PCG64, 1 thread", f"{t['pcg_raw'] * 1e3:.1f}", "preallocated array")
    why.add_row("raw fill, Philox, 1 thread", f"{t['philox_raw'] * 1e3:.1f}",
                f"{t['philox_raw'] / t['pcg_raw']:.2f}x PCG64: the per-thread price of a counter-based stream")
    why.add_row("2 raw PCG64 threads, halves", f"{t['pcg_2'] * 1e3:.1f}",
                f"{t['single'] / t['pcg_2']:.2f}x the single stream: two-thread scaling on this machine")
    why.add_row("2 raw Philox threads, halves", f"{t['philox_2'] * 1e3:.1f}",
                f"limit for workers=2 here: {limit:.2f}x (workers=2 reaches {t['single'] / t['w2']:.2f}x, "
                f"{t['philox_2'] / t['w2']:.0%} of it)")
    why.add_row("one block's Generator(Philox(SeedSequence))", f"{per_block * 1e3:.3f}",
                f"x {blocks} blocks = {per_block * blocks * 1e3:.1f} ms, GIL held")
    why.add_row("ThreadPoolExecutor(2) start + shutdown", f"{pool * 1e3:.3f}", "once per call")
    for k in sizes:
        mark = " (BLOCK_SIZE)" if 2**k == _parallel.BLOCK_SIZE else ""
        why.add_row(f"workers=2, blocks of 2**{k}{mark}", f"{t[f'b{k}'] * 1e3:.1f}",
                    f"{t['single'] / t[f'b{k}']:.2f}x the single stream, {math.ceil(n / 2**k)} blocks")
    console.print(why)
    console.print(f"target {TARGET}x {'met' if reached else 'missed'}: workers=2 gives {t['single'] / t['w2']:.2f}x; "
                  f"with Philox per block on these cores at most {limit:.2f}x "
                  f"(= 2 threads x PCG64/Philox speed x two-thread scaling). Load average at the end "
                  f"{os.getloadavg()[0]:.1f}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
