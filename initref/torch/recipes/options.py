"""Recipe options: the :data:`REQUIRED` marker, value checks, and values read from ``model.config``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from torch import nn

__all__ = ["REQUIRED"]


class _Required:
    def __repr__(self) -> str:
        return "<required>"


#: The default of an option that has none: the caller (or the model's config) must give it.
REQUIRED: Any = _Required()


def _positive_int(option: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{option} must be a positive int; got {value!r}")
    return value


def _nonnegative_float(option: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{option} must be a finite float >= 0; got {value!r}")
    return float(value)


def _choice(option: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{option} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
    return str(value)


def _from_config(model: nn.Module, sources: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, Any]]:
    """``{option: (attribute, value)}`` for the options ``model.config`` holds.

    ``sources`` maps an option to the config attributes that hold it, first match wins
    (Hugging Face configs: ``initializer_range``, ``n_layer``/``num_hidden_layers``; nanoGPT's
    ``GPTConfig``: ``n_layer``). A model without a ``config`` attribute gives ``{}``.
    """
    config = getattr(model, "config", None)
    if config is None or isinstance(config, (str, bytes, int, float)):
        return {}
    found: dict[str, tuple[str, Any]] = {}
    for option, attributes in sources.items():
        for attribute in attributes:
            value = getattr(config, attribute, None)
            if value is not None:
                found[option] = (attribute, value)
                break
    return found


def _agree(given: object, configured: object) -> bool:
    """A given option equals the config's value (numbers compared as numbers, bools excluded)."""
    numbers = (int, float)
    if isinstance(given, numbers) and isinstance(configured, numbers) and not isinstance(given, bool) \
            and not isinstance(configured, bool):
        return float(given) == float(configured)
    return given == configured
