r"""Keyed initialisers: every element a pure function of (stream key, its global index).

The bits are Philox4x64-10 words addressed by the element's index in the *global* tensor
(:mod:`initref.philox`); a word :math:`w` becomes :math:`u = (\lfloor w/2^{11}\rfloor + \tfrac12)\,2^{-53}`
in :math:`(0, 1)` and :math:`u` the value through the quantile function (derivation
``keyed-inverse-transform``, generated into ``initref._generated.formulas_torch``):

.. math::

    x = \mu + \sigma\sqrt2\,\operatorname{erf}^{-1}(2u - 1), \qquad
    x = \mu + \sigma\sqrt2\,\operatorname{erf}^{-1}\bigl(e_\alpha + u(e_\beta - e_\alpha)\bigr),
    \quad e_t = \operatorname{erf}(t/\sqrt2),

for the normal and the normal truncated to :math:`[a, b]` (:math:`\alpha = (a-\mu)/\sigma`,
:math:`\beta = (b-\mu)/\sigma`): one pass, no redraw loop. Values are computed in float64, in
chunks of :data:`CHUNK` elements (never a second full-size buffer), and rounded once to the
tensor's dtype.

A shard is filled with ``global_shape`` (the whole tensor's shape) and ``offset`` (where the
shard starts along each dim): it then holds exactly the elements the whole tensor would hold
there. On CPU a shard that is one contiguous range of the global tensor takes its words from
NumPy's C Philox; any other shard, and every shard on another device, computes Philox with
torch's 64-bit integer ops. The words are identical either way (tested); the values are
identical for the same ``torch.erfinv`` (CPU and CUDA implementations may differ in the last
bits of float64, so CPU and CUDA agree bit for bit in the words and to about 1e-15 in the values).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from torch import Tensor

from initref._generated import formulas
from initref._generated import formulas_torch as ft
from initref.philox import philox_at, stream_key

__all__ = ["CHUNK", "keyed_fill_", "keyed_normal_", "keyed_trunc_normal_", "keyed_uniform_", "philox_words_at"]

#: Elements per chunk: 2**18 float64 values (2 MiB) in flight at a time.
CHUNK = 1 << 18

Law = Callable[[Tensor], Tensor]

# Philox4x64 constants: Salmon et al. (2011), Table 2 and sec. 3.3 (Random123's philox.h, PHILOX_M4x64_* and
# PHILOX_W64_*); their agreement with NumPy's Philox is tested word for word.
_M = (0xD2E7470EE14C6C93, 0xCA5A826395121157)
_W = (0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B)
_ROUNDS = 10
_LOW32 = (1 << 32) - 1
_SHIFT = 64 - int(formulas.KEYED_UNIT_BITS)
_UNIT_MASK = (1 << int(formulas.KEYED_UNIT_BITS)) - 1


def _signed(value: int) -> int:
    """The int64 with the bit pattern of the unsigned 64-bit ``value``."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def _high32(x: Tensor) -> Tensor:
    """Bits 32..63 of int64 ``x`` as a non-negative int64 (a logical shift)."""
    return (x >> 32) & _LOW32


def _mulhilo(multiplier: int, x: Tensor) -> tuple[Tensor, Tensor]:
    """High and low 64-bit halves of the 128-bit product ``multiplier * x`` (``x`` read as unsigned).

    int64 products wrap modulo :math:`2^{64}`, so the low half is one multiply; the high half is
    assembled from 32-bit limbs (every partial sum stays below :math:`2^{64}`).
    """
    m0, m1 = multiplier & _LOW32, multiplier >> 32
    x0, x1 = x & _LOW32, _high32(x)
    t = x0 * m0
    u = x1 * m0 + _high32(t)
    v = x0 * m1 + (u & _LOW32)
    return x1 * m1 + _high32(u) + _high32(v), x * _signed(multiplier)


def _philox_blocks(key: tuple[int, int], counter: Tensor) -> Tensor:
    """Philox4x64-10 of the counters ``(counter, 0, 0, 0)``: an ``(n, 4)`` int64 tensor of word bits."""
    zero = torch.zeros_like(counter)
    c0, c1, c2, c3 = counter, zero, zero, zero
    k0, k1 = key
    for _ in range(_ROUNDS):
        hi0, lo0 = _mulhilo(_M[0], c0)
        hi1, lo1 = _mulhilo(_M[1], c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ _signed(k0), lo1, hi0 ^ c3 ^ _signed(k1), lo0
        k0, k1 = (k0 + _W[0]) & ((1 << 64) - 1), (k1 + _W[1]) & ((1 << 64) - 1)
    return torch.stack((c0, c1, c2, c3), dim=-1)


def philox_words_at(key: tuple[int, int], index: Tensor) -> Tensor:
    """The stream's words at the global indices ``index`` (int64), as int64 bit patterns, on ``index``'s device."""
    return _philox_blocks(key, index >> 2).gather(-1, (index & 3).unsqueeze(-1)).squeeze(-1)


def _words_range(key: tuple[int, int], start: int, count: int, device: torch.device) -> Tensor:
    """Words ``start .. start + count - 1`` as int64 bit patterns, computed on ``device`` with torch ops."""
    first = start >> 2
    blocks = torch.arange(first, ((start + count - 1) >> 2) + 1, dtype=torch.int64, device=device)
    return _philox_blocks(key, blocks).reshape(-1)[start - 4 * first:start - 4 * first + count]


def _cpu_range_chunks(key: tuple[int, int], start: int, total: int) -> Iterator[Tensor]:
    """Words of a contiguous range, chunk by chunk, from NumPy's C Philox in a second thread.

    NumPy releases the GIL while it generates, so chunk ``i + 1`` is drawn while torch turns
    chunk ``i`` into values.
    """
    generator = philox_at(key, start)
    sizes = [min(CHUNK, total - local) for local in range(0, total, CHUNK)]
    if len(sizes) == 1:
        yield torch.from_numpy(generator.random_raw(sizes[0]).view(np.int64))
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(generator.random_raw, sizes[0])
        for size in sizes[1:]:
            words = pending.result()
            pending = pool.submit(generator.random_raw, size)
            yield torch.from_numpy(words.view(np.int64))
        yield torch.from_numpy(pending.result().view(np.int64))


def _word_chunks(key: tuple[int, int], shape: tuple[int, ...], whole: tuple[int, ...], start: tuple[int, ...],
                 device: torch.device) -> Iterator[Tensor]:
    """The block's words in local row-major order, :data:`CHUNK` at a time."""
    total = math.prod(shape)
    first = _contiguous_start(shape, whole, start)
    if first is not None and device.type == "cpu":
        yield from _cpu_range_chunks(key, first, total)
        return
    for local in range(0, total, CHUNK):
        count = min(CHUNK, total - local)
        if first is not None:
            yield _words_range(key, first + local, count, device)
        else:
            yield philox_words_at(key, _block_indices(local, count, shape, whole, start, device))


def _unit(words: Tensor) -> Tensor:
    """:math:`u = (k + \\tfrac12)\\,2^{-53}` of the top 53 bits :math:`k` of each word (float64, in (0, 1))."""
    k = ((words >> _SHIFT) & _UNIT_MASK).to(torch.float64)
    return k.add_(formulas.KEYED_UNIT_OFFSET).mul_(formulas.KEYED_UNIT_SCALE)


# ----------------------------------------------------------------------------- the laws


def normal_law(mean: float, std: float) -> Law:
    r""":math:`\mathcal{N}(\mu, \sigma^2)` by the normal quantile function."""
    return lambda u: ft.keyed_normal(u, mean, std)


def uniform_law(low: float, high: float) -> Law:
    r""":math:`\mathcal{U}(\text{low}, \text{high})`."""
    return lambda u: ft.keyed_uniform(u, low, high)


def trunc_normal_law(mean: float, std: float, a: float, b: float) -> Law:
    r""":math:`\mathcal{N}(\mu, \sigma^2)` conditioned on :math:`[a, b]` (absolute bounds), by inversion.

    The clamp to :math:`[a, b]` only guards the last bit of float64 rounding at the bounds.
    """
    lower = formulas.symmetric_normal_cdf((a - mean) / std)
    upper = formulas.symmetric_normal_cdf((b - mean) / std)
    return lambda u: ft.keyed_trunc_normal(u, mean, std, lower, upper).clamp_(a, b)


# ----------------------------------------------------------------------------- geometry and filling


def _geometry(tensor: Tensor, global_shape: Sequence[int] | None,
              offset: Sequence[int] | None) -> tuple[tuple[int, ...], tuple[int, ...]]:
    shape = tuple(tensor.shape)
    whole = tuple(shape if global_shape is None else (int(n) for n in global_shape))
    start = tuple((0,) * len(shape) if offset is None else (int(o) for o in offset))
    if len(whole) != len(shape) or len(start) != len(shape):
        raise ValueError(f"global_shape {whole} and offset {start} must have the tensor's {len(shape)} dims")
    for dim, (n, o, total) in enumerate(zip(shape, start, whole, strict=True)):
        if o < 0 or o + n > total:
            raise ValueError(f"a shard of size {n} at offset {o} lies outside dim {dim} of global_shape {whole}")
    return whole, start


def _contiguous_start(shape: tuple[int, ...], whole: tuple[int, ...], start: tuple[int, ...]) -> int | None:
    """The global flat index of the block's first element if the block is one contiguous range, else None."""
    dims = len(shape)
    inner = next((d for d in range(dims) if shape[d] != 1), dims)  # leading size-1 dims never break a range
    if any(shape[d] != whole[d] for d in range(inner + 1, dims)):
        return None
    strides = [math.prod(whole[d + 1:]) for d in range(dims)]
    return sum(o * s for o, s in zip(start, strides, strict=True))


def _block_indices(local: int, count: int, shape: tuple[int, ...], whole: tuple[int, ...],
                   start: tuple[int, ...], device: torch.device) -> Tensor:
    """Global flat indices of local flat elements ``local .. local + count - 1`` of a strided block."""
    flat = torch.arange(local, local + count, dtype=torch.int64, device=device)
    index = torch.zeros_like(flat)
    stride = 1
    for dim in reversed(range(len(shape))):
        index += ((flat % shape[dim]) + start[dim]) * stride
        flat //= shape[dim]
        stride *= whole[dim]
    return index


def keyed_fill_(tensor: Tensor, law: Law, key: tuple[int, int], *, global_shape: Sequence[int] | None = None,
                offset: Sequence[int] | None = None) -> Tensor:
    """Fill ``tensor`` (the block of the global tensor at ``offset``) with ``law`` of its keyed uniforms.

    ``law`` maps a float64 tensor of uniforms to values (:func:`normal_law`, :func:`uniform_law`,
    :func:`trunc_normal_law`); ``key`` is :func:`initref.philox.stream_key`'s. Returns ``tensor``.
    """
    whole, start = _geometry(tensor, global_shape, offset)
    target = tensor if tensor.is_contiguous() else torch.empty_like(tensor, memory_format=torch.contiguous_format)
    flat = target.view(-1)
    local = 0
    with torch.no_grad():
        for words in _word_chunks(key, tuple(tensor.shape), whole, start, tensor.device):
            flat[local:local + words.numel()].copy_(law(_unit(words)))
            local += words.numel()
        if target is not tensor:
            tensor.copy_(target)
    return tensor


# ----------------------------------------------------------------------------- torch.nn.init-style entry points


def keyed_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, *, seed: int, name: str, recipe: str = "",
                  global_shape: Sequence[int] | None = None, offset: Sequence[int] | None = None) -> Tensor:
    r"""Fill ``tensor`` with :math:`\mathcal{N}(\text{mean}, \text{std}^2)` from the stream ``(seed, name, recipe)``.

    Parameters
    ----------
    tensor
        The tensor, or a shard of the global tensor (then give ``global_shape`` and ``offset``).
    mean, std
        As in :func:`torch.nn.init.normal_`.
    seed, name, recipe
        The stream (:func:`initref.philox.stream_key`).
    global_shape, offset
        The whole tensor's shape and where ``tensor`` starts in it along each dim (default: the
        tensor is whole).

    Returns
    -------
    Tensor
        ``tensor``, filled in place.
    """
    if not std >= 0:
        raise ValueError(f"std must be >= 0; got {std!r}")
    return keyed_fill_(tensor, normal_law(mean, std), stream_key(seed, name, recipe),
                       global_shape=global_shape, offset=offset)


def keyed_uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, *, seed: int, name: str, recipe: str = "",
                   global_shape: Sequence[int] | None = None, offset: Sequence[int] | None = None) -> Tensor:
    r"""Fill ``tensor`` with :math:`\mathcal{U}(a, b)` from the stream ``(seed, name, recipe)``.

    Parameters are those of :func:`keyed_normal_`, with ``a``, ``b`` as in :func:`torch.nn.init.uniform_`.
    """
    if not a <= b:
        raise ValueError(f"uniform needs a <= b; got a={a!r}, b={b!r}")
    return keyed_fill_(tensor, uniform_law(a, b), stream_key(seed, name, recipe),
                       global_shape=global_shape, offset=offset)


def keyed_trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, *,
                        seed: int, name: str, recipe: str = "", global_shape: Sequence[int] | None = None,
                        offset: Sequence[int] | None = None) -> Tensor:
    r"""Fill ``tensor`` with :math:`\mathcal{N}(\text{mean}, \text{std}^2)` truncated to :math:`[a, b]`, by inversion.

    ``a``, ``b`` are absolute bounds, as in :func:`torch.nn.init.trunc_normal_`; one pass, no
    redraw. Other parameters are those of :func:`keyed_normal_`.
    """
    if not (std > 0 and a < b):
        raise ValueError(f"trunc_normal needs std > 0 and a < b; got std={std!r}, a={a!r}, b={b!r}")
    return keyed_fill_(tensor, trunc_normal_law(mean, std, a, b), stream_key(seed, name, recipe),
                       global_shape=global_shape, offset=offset)
