"""The plan a recipe builds: claims on parameters, in fill order, each parameter at most once."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from torch import Tensor, nn

from initref.torch.recipes.draws import Draw, _ones, _zeros
from initref.torch.recipes.layers import Activation, _activations_ahead, _is_dense, _is_weight_layer
from initref.torch.recipes.report import InitReport, Touched

if TYPE_CHECKING:
    from initref.torch.recipes.registry import Recipe


def _qualified(prefix: str, name: str) -> str:
    return ".".join(part for part in (prefix, name) if part)


def _patterns(option: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise TypeError(f"{option} must be a str or a sequence of str (module names or glob patterns); got {value!r}")


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    """``name`` or its last component matches one of the glob ``patterns``."""
    last = name.rsplit(".", 1)[-1]
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(last, p) for p in patterns)


class _Plan:
    """Claims, in order; a parameter is claimed at most once (the first claim wins).

    ``entries`` is the list of ``(Touched, Tensor)`` in fill order; a parameter reached again
    under another name (tied weights: GPT-2's ``lm_head.weight`` is ``transformer.wte.weight``)
    is recorded in ``tied`` and never filled twice.
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.modules: dict[str, nn.Module] = dict(model.named_modules())
        self._names = list(self.modules)
        self._index = {name: i for i, name in enumerate(self._names)}
        self._ahead: list[Activation | None] | None = None
        self.entries: list[tuple[Touched, Tensor]] = []
        self.tied: list[tuple[str, str]] = []
        self.constants: dict[str, float] = {}
        self.notes: list[str] = []
        self._claimed: dict[tuple[int, tuple[int, int] | None], str] = {}

    def claim(self, prefix: str, module: nn.Module, pname: str, role: str, draw: Draw,
              rows: tuple[int, int] | None = None, zero_rows: tuple[int, ...] = (), departure: str = "") -> None:
        param = getattr(module, pname, None)
        if param is None:
            return
        name = _qualified(prefix, pname)
        if isinstance(param, nn.parameter.UninitializedParameter):
            raise ValueError(f"parameter {name!r} of a lazy module is not materialized yet; run one forward pass "
                             "before apply_init")
        key = (id(param), rows)
        if key in self._claimed:
            if self._claimed[key] != name:
                self.tied.append((name, self._claimed[key]))
            return
        self._claimed[key] = name
        self.entries.append((Touched(name, type(module).__name__, role, draw, rows, zero_rows, departure), param))

    def is_claimed(self, param: Tensor) -> bool:
        """Whether ``param`` (whole or a block of it) is claimed already."""
        return any(key[0] == id(param) for key in self._claimed)

    def layers(self) -> Iterator[tuple[str, nn.Module]]:
        """Every module, in registration order."""
        return iter(self.modules.items())

    def activation_after(self, name: str) -> Activation | None:
        """The activation of the first leaf module registered after module ``name``'s subtree.

        Dropout, norm, pooling and reshaping modules are passed over; ``None`` when another
        module comes first, :data:`_OUTPUT` when none follows. One pass over the model, cached.
        """
        if self._ahead is None:
            self._ahead = _activations_ahead(list(self.modules.values()))
        end = self._index[name] + 1
        while end < len(self._names) and self._names[end].startswith(name + "."):
            end += 1
        return self._ahead[end]

    def report(self, recipe: Recipe, options: Mapping[str, Any]) -> InitReport:
        claimed = {key[0] for key in self._claimed}
        untouched = tuple(n for n, p in self.model.named_parameters() if id(p) not in claimed)
        return InitReport(recipe.name, recipe.reference, MappingProxyType(dict(options)),
                          tuple(t for t, _ in self.entries), untouched, tuple(self.tied),
                          MappingProxyType(dict(self.constants)), tuple(self.notes))


def _claim_bias_zero(plan: _Plan, prefix: str, module: nn.Module, role: str = "bias") -> None:
    plan.claim(prefix, module, "bias", role, _zeros())


def _claim_norm(plan: _Plan, prefix: str, module: nn.Module) -> None:
    """Norm layers start as the identity: weight 1, bias 0 (1-D affine parameters only)."""
    for pname, draw in (("weight", _ones()), ("bias", _zeros())):
        param = getattr(module, pname, None)
        if isinstance(param, Tensor) and param.dim() == 1:
            plan.claim(prefix, module, pname, f"norm {pname}", draw)


def _module_names(plan: _Plan, kind: str = "dense", limit: int = 8) -> str:
    """Up to ``limit`` names of the model's dense layers (``kind="dense"``) or weight layers."""
    test = _is_dense if kind == "dense" else _is_weight_layer
    names = [n for n, m in plan.modules.items() if test(m)]
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "") or "none"


def _select_modules(plan: _Plan, option: str, value: object) -> list[str]:
    """Module names matching ``value`` (names, globs or module objects), outermost matches only."""
    if isinstance(value, nn.Module):
        value = [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, nn.Module) for v in value):
        ids = {id(v) for v in value}
        chosen = [n for n, m in plan.modules.items() if id(m) in ids]
    else:
        patterns = _patterns(option, value)
        chosen = [n for n in plan.modules if n and _matches(n, patterns)]
    outermost = [n for n in chosen if not any(n.startswith(other + ".") for other in chosen)]
    if not outermost:
        candidates = ", ".join(n for n in list(plan.modules)[1:9]) or "none"
        raise ValueError(f"{option}={value!r} matches no module of the model (modules: {candidates}, ...)")
    return outermost


def _weight_layers_in(plan: _Plan, root: str) -> list[str]:
    module = plan.modules[root]
    if _is_weight_layer(module):
        return [root]
    return [_qualified(root, n) for n, m in module.named_modules() if n and _is_weight_layer(m)]
