"""Argument checks shared by the NumPy initializers: rng, shape, dtype and scalar parameters.

Every check raises a ``TypeError`` or ``ValueError`` that names the argument, says what is
accepted and shows what was given.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "RNGLike", "ShapeLike", "FLOAT_DTYPES", "as_generator", "check_rng", "as_shape", "float_dtype", "any_dtype",
    "finite", "positive", "non_negative", "choice", "axes",
]

#: What ``rng`` accepts: a Generator, an int seed, or None for fresh OS entropy.
RNGLike = np.random.Generator | int | None
#: What ``shape`` accepts: one int or a sequence of ints.
ShapeLike = int | Sequence[int]

#: The floating dtypes the random initializers produce.
FLOAT_DTYPES: tuple[np.dtype, ...] = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def as_generator(rng: RNGLike) -> np.random.Generator:
    """A :class:`numpy.random.Generator` from a Generator (used as is), an int seed, or None."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if _is_int(rng):
        if rng < 0:
            raise ValueError(f"rng must be a non-negative int seed, a numpy.random.Generator or None; got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator, a non-negative int seed or None; got {type(rng).__name__}"
    )


def check_rng(rng: RNGLike) -> None:
    """Validate an ``rng`` that a deterministic initializer accepts for a uniform signature but does not use."""
    if rng is not None:
        as_generator(rng)


def as_shape(shape: ShapeLike, name: str = "shape") -> tuple[int, ...]:
    """A tuple of non-negative ints from an int or a sequence of ints."""
    if _is_int(shape):
        shape = (shape,)  # type: ignore[assignment]
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence) or not all(_is_int(d) for d in shape):
        raise TypeError(f"{name} must be an int or a sequence of ints; got {shape!r}")
    if any(d < 0 for d in shape):
        raise ValueError(f"{name} must have non-negative dimensions; got {tuple(shape)}")
    return tuple(int(d) for d in shape)


def float_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """``dtype`` as a NumPy dtype, which must be float16, float32 or float64."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved not in FLOAT_DTYPES or dtype is None:
        raise TypeError(f"{name} must be one of float16, float32, float64; got {dtype!r}")
    return resolved


def any_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """``dtype`` as a NumPy dtype of numbers or booleans (for the deterministic initializers)."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or dtype is None or resolved.kind not in "biufc":
        raise TypeError(f"{name} must be a numeric NumPy dtype (bool, int, uint, float, complex); got {dtype!r}")
    return resolved


def finite(value: Any, name: str) -> float:
    """A finite real number: ``TypeError`` for a non-number or a bool, ``ValueError`` for nan or inf."""
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a finite real number; got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number; got {value!r}")
    return float(value)


def positive(value: Any, name: str) -> float:
    """A finite real number > 0."""
    number = finite(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be a finite real number > 0; got {value!r}")
    return number


def non_negative(value: Any, name: str) -> float:
    """A finite real number >= 0."""
    number = finite(value, name)
    if number < 0:
        raise ValueError(f"{name} must be a finite real number >= 0; got {value!r}")
    return number


def choice(value: Any, accepted: Sequence[str], name: str) -> str:
    """One of the accepted strings."""
    if not isinstance(value, str) or value not in accepted:
        raise ValueError(f"{name} must be one of {', '.join(repr(a) for a in accepted)}; got {value!r}")
    return value


def axes(value: Any, name: str) -> int | tuple[int, ...]:
    """An int axis or a sequence of int axes (range checked later, against a shape)."""
    if _is_int(value):
        return int(value)
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and all(_is_int(a) for a in value):
        return tuple(int(a) for a in value)
    raise TypeError(f"{name} must be an int or a sequence of ints; got {value!r}")
