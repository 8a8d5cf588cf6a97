r"""Block-parallel sampling: fixed-size blocks, one counter-based stream per block, a thread pool.

With ``workers=k`` an elementwise initializer fills its flat (C-order) result in blocks of
:data:`BLOCK_SIZE` elements, block :math:`j` covering elements
:math:`[jB, \min((j+1)B, N))`. Block :math:`j` is drawn from its own stream,

.. math:: G_j = \texttt{Generator}(\texttt{Philox}(\texttt{SeedSequence}(\text{entropy}=r,\
          \text{spawn\_key}=(j,)))),

where the root entropy :math:`r` comes from the user's ``rng``:

* an int seed :math:`s`: :math:`r = s`, so :math:`G_j` is seeded by
  ``numpy.random.SeedSequence(s).spawn(n)[j]``;
* a :class:`numpy.random.Generator`: :math:`r` is one 128-bit integer drawn from it
  (``integers(0, 2**64, size=2, dtype=uint64)``, high word first), the only draw it sees;
* None: a 128-bit root from fresh OS entropy.

The blocks are dealt round-robin to a :class:`concurrent.futures.ThreadPoolExecutor` of ``k``
threads (fewer when there are fewer blocks; none when one thread would do); each thread fills
its blocks in place (NumPy releases the GIL inside ``standard_normal(out=)`` and ``random(out=)``,
and in the ufuncs of the transform that follows). Since a block's values depend only on
:math:`r`, :math:`j` and the block's length -- not on ``k``, on which thread ran it, or on the
order -- the result for a given seed is the same for every ``workers >= 1``. It differs from
the ``workers=None`` result (one PCG64 stream for the whole array), and an int seed differs
from ``numpy.random.default_rng(seed)`` passed as a Generator.

:data:`BLOCK_SIZE` is part of that contract: changing it changes the bits.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import numpy as np

from initref.numpy._args import RNGLike, as_generator, check_rng

__all__ = ["BLOCK_SIZE", "BlockStreams", "Source", "block_generator", "check_workers", "root_entropy", "source"]

#: Elements per block, :math:`B = 2^{16}` (256 KiB of float32, a block's transform stays in L2).
BLOCK_SIZE: Final[int] = 2**16

#: What a block filler does: draw into the view from the block's Generator, then transform it in place.
BlockFill = Callable[[np.random.Generator, np.ndarray], None]


def check_workers(workers: object) -> int | None:
    """``workers`` as None or an int >= 1; ``TypeError``/``ValueError`` naming ``workers`` otherwise."""
    if workers is None:
        return None
    if not isinstance(workers, numbers.Integral) or isinstance(workers, (bool, np.bool_)):
        raise TypeError(f"workers must be None or a positive int; got {type(workers).__name__} {workers!r}")
    if workers < 1:
        raise ValueError(f"workers must be None or a positive int (>= 1); got {workers!r}")
    return int(workers)


def root_entropy(rng: RNGLike) -> int:
    """The root :math:`r` of the block streams: the seed itself, or 128 bits drawn once from a Generator."""
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)) and rng >= 0:
        return int(rng)
    high, low = as_generator(rng).integers(0, 2**64, size=2, dtype=np.uint64)  # None: fresh entropy
    return (int(high) << 64) | int(low)


def block_generator(root: int, block: int) -> np.random.Generator:
    """:math:`G_j`: a Philox Generator seeded by ``SeedSequence(entropy=root, spawn_key=(block,))``."""
    return np.random.Generator(np.random.Philox(np.random.SeedSequence(entropy=root, spawn_key=(block,))))


@dataclass(frozen=True)
class BlockStreams:
    """The ``workers=k`` source: the user's ``rng`` (read once, when filling) and the thread count.

    ``block_size`` is :data:`BLOCK_SIZE` for every initializer; another value (the benchmark's
    block-size sweep) gives other bits.
    """

    rng: RNGLike
    workers: int
    block_size: int = BLOCK_SIZE

    def fill(self, out: np.ndarray, fill_block: BlockFill) -> None:
        r"""Fill the C-contiguous ``out`` block by block, ``fill_block(G_j, block_j)``, on the pool.

        Thread :math:`t` of :math:`k` takes blocks :math:`t, t + k, t + 2k, \dots` in one task
        (one future per thread, not per block: the pool's per-task cost is kept off the GIL).
        """
        flat, size = out.reshape(-1), self.block_size
        root = root_entropy(self.rng)
        blocks = math.ceil(flat.size / size)
        threads = max(1, min(self.workers, blocks))

        def run(first: int) -> None:
            for j in range(first, blocks, threads):
                fill_block(block_generator(root, j), flat[j * size:(j + 1) * size])

        if threads == 1:
            run(0)
            return
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="initref-fill") as pool:
            for _ in pool.map(run, range(threads)):  # re-raises a block's exception here
                pass


#: Where an elementwise sampler draws from: one Generator (``workers=None``) or block streams.
Source = np.random.Generator | BlockStreams


def source(rng: RNGLike, workers: object) -> Source:
    """``as_generator(rng)`` for ``workers=None`` (today's single stream), else :class:`BlockStreams`.

    Nothing is drawn here: with workers, a Generator gives its 128-bit root only when the array
    is filled, after every argument check.
    """
    count = check_workers(workers)
    if count is None:
        return as_generator(rng)
    check_rng(rng)  # a bad seed's TypeError/ValueError now, not when filling
    return BlockStreams(rng, count)
