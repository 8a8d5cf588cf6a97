r"""Keyed, counter-based random streams: Philox4x64-10 words addressed by an element's global index.

A *stream* is named by a 128-bit key; :func:`stream_key` derives it from ``(seed, name, recipe)``
with BLAKE2b, a stable hash (the same key on every machine, process and Python version, unlike
``hash()``): the first 16 bytes of the digest of the UTF-8 string

.. code-block:: text

    initref-keyed-v1 \0 <seed in decimal> \0 <recipe> \0 <name>

read as two little-endian unsigned 64-bit integers :math:`(k_0, k_1)`.

Element :math:`i` of a stream (its index in the row-major flattening of the *global* tensor) is
word :math:`i \bmod 4` of the Philox4x64-10 block with counter :math:`(\lfloor i/4 \rfloor, 0, 0, 0)`
and key :math:`(k_0, k_1)` (Salmon et al. 2011, Parallel Random Numbers: As Easy as 1, 2, 3,
SC11). So an element's word depends on nothing but the key and its own index: the same for the
whole tensor and for any shard of it, in any order, on any number of processes.
:func:`philox_words` computes a contiguous range with NumPy's C implementation of the same
generator (:class:`numpy.random.Philox`, which conforms to the Random123 known-answer vectors).
"""

from __future__ import annotations

import hashlib
import numbers

import numpy as np

__all__ = ["KEY_VERSION", "philox_at", "philox_words", "stream_key"]

#: The version tag hashed into every key: changing the key derivation changes it.
KEY_VERSION = "initref-keyed-v1"
_WORDS_PER_BLOCK = 4
_MASK64 = (1 << 64) - 1


def stream_key(seed: int, name: str, recipe: str = "") -> tuple[int, int]:
    """The 128-bit Philox key of the stream for parameter ``name`` under ``recipe`` and ``seed``.

    Parameters
    ----------
    seed
        A non-negative integer.
    name
        The parameter's qualified name (``"transformer.h.0.attn.c_attn.weight"``).
    recipe
        The recipe's name; ``""`` for a stream not tied to one.

    Returns
    -------
    tuple of int
        ``(k0, k1)``, each in ``[0, 2**64)``.

    Raises
    ------
    TypeError
        For a seed that is not an int (``bool`` included), or a name or recipe that is not a str.
    ValueError
        For a negative seed.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative int; got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed!r}")
    for label, value in (("name", name), ("recipe", recipe)):
        if not isinstance(value, str):
            raise TypeError(f"{label} must be a str; got {type(value).__name__}")
    text = "\0".join((KEY_VERSION, str(int(seed)), recipe, name))
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
    return int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little")


def philox_at(key: tuple[int, int], start: int) -> np.random.Philox:
    """NumPy's Philox for stream ``key``, positioned so that its next raw word is word ``start``.

    NumPy's :class:`~numpy.random.Philox` advances its counter *before* each block, so the counter
    is set one block before the first one wanted, and the words before ``start`` in that block
    are drawn and dropped. ``random_raw(n)`` then yields words ``start, start + 1, ...``.
    """
    if start < 0:
        raise ValueError(f"start must be >= 0; got {start}")
    block, skip = divmod(start, _WORDS_PER_BLOCK)
    generator = np.random.Philox()
    state = generator.state
    state["state"]["counter"] = np.array([(block - 1) & _MASK64] + [0 if block else _MASK64] * 3, dtype=np.uint64)
    state["state"]["key"] = np.array(key, dtype=np.uint64)
    state["buffer_pos"] = _WORDS_PER_BLOCK
    generator.state = state
    if skip:
        generator.random_raw(skip)
    return generator


def philox_words(key: tuple[int, int], start: int, count: int) -> np.ndarray:
    """Words ``start, ..., start + count - 1`` of the stream ``key``, as a ``uint64`` array."""
    if count < 0:
        raise ValueError(f"count must be >= 0; got {count}")
    return philox_at(key, start).random_raw(count)
