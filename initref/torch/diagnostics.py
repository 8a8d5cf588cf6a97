r"""Per-layer statistics of one forward and backward pass: ``diagnose(model, sample_input)``.

Forward hooks on the model's leaf modules (and on each ``nn.MultiheadAttention``) record every
output's mean, standard deviation, fraction of exact zeros and fraction of *dead* coordinates
(zero for every sample of the batch, as after a ReLU that never fires). A hook on each output
tensor records the standard deviation of the gradient that reaches it; after the backward pass
each layer's weight gradient is read. A healthy initialization keeps the activation and gradient
standard deviations of a deep stack within a modest factor from layer to layer; a bad one shows
them shrinking or growing geometrically with depth.

The model is left as it was: hooks are removed (also when the forward or backward raises), the
parameters' ``.grad`` are restored, and buffers changed by the pass (BatchNorm running
statistics) are put back.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

__all__ = ["Diagnosis", "LayerStats", "diagnose"]


class _Printable:
    """``__rich__``, ``__str__`` and ``print`` from a ``table()`` method (a :class:`rich.table.Table`).

    Shared by :class:`Diagnosis`, :class:`initref.torch.recipes.InitReport` and
    :class:`initref.torch.checklist.Checklist`.
    """

    _width: ClassVar[int] = 140

    def table(self) -> Any:
        raise NotImplementedError

    def __rich__(self) -> Any:
        return self.table()

    def __str__(self) -> str:
        from rich.console import Console

        buffer = io.StringIO()
        Console(width=self._width, file=buffer).print(self.table())
        return buffer.getvalue()

    def print(self, console: Any = None) -> None:
        """Print the table (to ``console``, a :class:`rich.console.Console`, or stdout)."""
        from rich.console import Console

        (console or Console()).print(self.table())


@dataclass(frozen=True)
class LayerStats:
    """Statistics of one call of one module.

    Attributes
    ----------
    name
        Qualified module name (``"#2"`` appended for its second call, and so on).
    kind
        The module's class name.
    shape
        Shape of the output.
    mean, std
        Mean and standard deviation of the output's elements.
    zero_fraction
        Fraction of the output's elements that are exactly 0.
    dead_fraction
        Fraction of output coordinates (every index but the batch dimensions, ``batch_dim`` of
        :func:`diagnose`) that are 0 for every sample in the batch: units that do not fire.
    grad_std
        Standard deviation of the loss gradient with respect to the output (``None`` without a
        backward pass or when the output does not require grad).
    weight_std, weight_grad_std
        Standard deviation of the module's ``weight`` and of its gradient (``None`` if none).
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    mean: float
    std: float
    zero_fraction: float
    dead_fraction: float
    grad_std: float | None = None
    weight_std: float | None = None
    weight_grad_std: float | None = None


@dataclass(frozen=True)
class Diagnosis(_Printable):
    """The result of :func:`diagnose`: one :class:`LayerStats` per recorded module call.

    Attributes
    ----------
    layers
        In call order.
    loss
        The loss value (``None`` when the backward pass used a random cotangent).
    """

    layers: tuple[LayerStats, ...]
    loss: float | None = None
    _note: str = field(default="", repr=False)
    _width: ClassVar[int] = 160

    def of_kind(self, *kinds: type[nn.Module] | str) -> tuple[LayerStats, ...]:
        """The layers whose module class (or class name) is one of ``kinds``."""
        names = {k if isinstance(k, str) else k.__name__ for k in kinds}
        return tuple(layer for layer in self.layers if layer.kind in names)

    def table(self) -> Any:
        """A :class:`rich.table.Table` with one row per layer."""
        from rich.table import Table

        table = Table(title="diagnose: per-layer statistics", caption=self._note or None)
        for column in ("layer", "kind", "shape", "act mean", "act std", "zero", "dead", "grad std", "weight std",
                       "weight grad std"):
            table.add_column(column, justify="left" if column in ("layer", "kind", "shape") else "right")
        for s in self.layers:
            table.add_row(s.name, s.kind, "×".join(map(str, s.shape)), _fmt(s.mean), _fmt(s.std),
                          f"{s.zero_fraction:.1%}", f"{s.dead_fraction:.1%}", _fmt(s.grad_std), _fmt(s.weight_std),
                          _fmt(s.weight_grad_std))
        return table

    def plot(self, path: str | Path) -> Path:
        """Save a figure of activation std, gradient std and dead fraction per layer to ``path``.

        Uses matplotlib's object API (no global pyplot state); the format follows the suffix.
        """
        from matplotlib.figure import Figure

        path = Path(path)
        index = list(range(len(self.layers)))
        fig = Figure(figsize=(max(6.0, 0.35 * len(index)), 7.5), constrained_layout=True)
        top, middle, bottom = fig.subplots(3, 1, sharex=True)
        top.semilogy(index, [max(s.std, 1e-300) for s in self.layers], "o-")
        top.set_ylabel("activation std")
        grads = [(i, s.grad_std) for i, s in enumerate(self.layers) if s.grad_std]
        middle.semilogy([i for i, _ in grads], [g for _, g in grads], "o-", color="tab:red")
        middle.set_ylabel("gradient std")
        bottom.bar(index, [s.dead_fraction for s in self.layers], color="tab:gray")
        bottom.set_ylabel("dead fraction")
        bottom.set_xticks(index, [f"{s.name} ({s.kind})" for s in self.layers], rotation=90, fontsize=7)
        fig.suptitle("initref diagnose")
        fig.savefig(path)
        return path


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _first_tensor(output: object) -> Tensor | None:
    """The output tensor of a module or model: itself, the first tensor of a tuple/list (attention),
    or the first tensor value of a mapping (a Hugging Face ``ModelOutput``: ``logits`` or
    ``last_hidden_state`` when no loss was asked for)."""
    if isinstance(output, Tensor):
        return output
    if isinstance(output, Mapping):
        output = list(output.values())
    if isinstance(output, (tuple, list)):
        return next((o for o in output if isinstance(o, Tensor)), None)
    return None


def _wide(tensor: Tensor) -> Tensor:
    """At least float32 (half-precision sums lose digits); float64 stays float64."""
    values = tensor.detach()
    return values.float() if values.dtype in (torch.float16, torch.bfloat16) else values


def _std(tensor: Tensor) -> float:
    return float(_wide(tensor).std()) if tensor.numel() > 1 else 0.0


def _dead(zeros: Tensor, batch_dim: tuple[int, ...]) -> Tensor:
    """The coordinates that are 0 at every index of the batch dimensions ``batch_dim``.

    An output with no coordinate besides them (a 1-D output, or fewer dimensions than ``batch_dim``
    names) is judged elementwise.
    """
    n = zeros.dim()
    if any(not -n <= d < n for d in batch_dim):
        return zeros
    dims = tuple(sorted({d % n for d in batch_dim}))
    return zeros if len(dims) >= n else zeros.all(dim=dims)


def _output_stats(output: Tensor, batch_dim: tuple[int, ...]) -> tuple[float, float, float, float]:
    values = _wide(output)
    zeros = values == 0
    dead = _dead(zeros, batch_dim)
    std = float(values.std()) if values.numel() > 1 else 0.0
    return float(values.mean()), std, float(zeros.float().mean()), float(dead.float().mean())


def _recorded(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Leaf modules, and attention modules (whose out_proj is never called as a module)."""
    chosen: list[tuple[str, nn.Module]] = []
    for name, module in model.named_modules():
        inside_attention = any(name.startswith(a + ".") for a, m in chosen if isinstance(m, nn.MultiheadAttention))
        if inside_attention:
            continue
        if isinstance(module, nn.MultiheadAttention) or not any(True for _ in module.children()):
            chosen.append((name, module))
    return chosen


class _Recorder:
    """Collects per-call statistics from forward hooks and output-gradient hooks."""

    def __init__(self, backward: bool, batch_dim: tuple[int, ...]) -> None:
        self.backward = backward
        self.batch_dim = batch_dim
        self.rows: list[dict[str, Any]] = []
        self.calls: dict[str, int] = {}

    def hook(self, name: str, module: nn.Module) -> Callable[..., None]:
        def forward_hook(mod: nn.Module, args: object, output: object) -> None:
            tensor = _first_tensor(output)
            if tensor is None or not tensor.is_floating_point():
                return
            count = self.calls[name] = self.calls.get(name, 0) + 1
            label = name or type(mod).__name__
            row: dict[str, Any] = {"name": label if count == 1 else f"{label}#{count}", "kind": type(mod).__name__,
                                   "shape": tuple(tensor.shape), "module": mod}
            row["mean"], row["std"], row["zero_fraction"], row["dead_fraction"] = _output_stats(tensor, self.batch_dim)
            self.rows.append(row)
            if self.backward and tensor.requires_grad:
                tensor.register_hook(lambda grad: row.__setitem__("grad_std", _std(grad)))

        return forward_hook

    def result(self, loss: float | None, note: str) -> Diagnosis:
        layers = []
        for row in self.rows:
            weight = getattr(row["module"], "weight", None)
            weight = weight if isinstance(weight, Tensor) else None
            grad = None if weight is None else weight.grad
            layers.append(LayerStats(
                row["name"], row["kind"], row["shape"], row["mean"], row["std"], row["zero_fraction"],
                row["dead_fraction"], row.get("grad_std"), None if weight is None else _std(weight),
                None if grad is None else _std(grad)))
        return Diagnosis(tuple(layers), loss, note)


# ----------------------------------------------------------------------------- shared with initref.torch.checklist


def _is_batch_factory(sample_input: object) -> bool:
    """A zero-argument callable standing for its batch (a module is a model, not a batch)."""
    return callable(sample_input) and not isinstance(sample_input, (Tensor, nn.Module))


def _batch(sample_input: object) -> object:
    """``sample_input``, or what it returns when it is a zero-argument callable (called once)."""
    if not _is_batch_factory(sample_input):
        return sample_input
    batch = sample_input()  # type: ignore[operator]
    if _is_batch_factory(batch) or batch is None:
        raise TypeError("sample_input, a callable, must return a tensor, a tuple/list of positional arguments or "
                        f"a mapping of keyword arguments; got {type(batch).__name__}")
    return batch


def _call(model: nn.Module, sample_input: object) -> object:
    """``model`` applied to a batch: ``model(x)``, ``model(*args)`` or ``model(**kwargs)``.

    A callable ``sample_input`` is called first (inside the caller's :func:`kept_state`, so an
    exception it raises leaves the model as it was). An exception of the forward pass gets a note
    naming the batch's form (Python 3.11 and later).
    """
    batch = _batch(sample_input)
    try:
        if isinstance(batch, Mapping):
            return model(**batch)
        if isinstance(batch, (tuple, list)):
            return model(*batch)
        return model(batch)
    except Exception as error:
        if sys.version_info >= (3, 11):  # add_note is new in 3.11
            error.add_note(f"initref: raised by the model called on sample_input as {_form(batch)}")
        raise


def _form(batch: object) -> str:
    if isinstance(batch, Mapping):
        return "keyword arguments " + ", ".join(map(str, batch))
    if isinstance(batch, (tuple, list)):
        return f"{len(batch)} positional arguments"
    return f"one {type(batch).__name__} argument"


def _backward(output: object, loss_fn: Callable[[Any], Tensor] | None,
              generator: torch.Generator | None) -> tuple[float | None, str]:
    if loss_fn is not None:
        loss = loss_fn(output)
        if not isinstance(loss, Tensor) or loss.numel() != 1:
            raise ValueError(f"loss_fn must return a scalar tensor; got {type(loss).__name__} "
                             f"{tuple(loss.shape) if isinstance(loss, Tensor) else ''}")
        loss.backward()
        return float(loss.detach()), "gradients of loss_fn(output)"
    tensor = _first_tensor(output)
    if tensor is None or not tensor.requires_grad:
        return None, "no backward pass: the output does not require grad"
    cotangent = torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype, device=tensor.device)
    tensor.backward(cotangent)
    return None, "gradients of a standard-normal cotangent on the output"


def one_pass(model: nn.Module, sample_input: object, loss_fn: Callable[[Any], Tensor] | None,
             generator: torch.Generator | None, backward: bool = True) -> tuple[float | None, str]:
    """One forward pass on ``sample_input`` and, with ``backward``, one backward pass.

    The backward pass differentiates ``loss_fn(output)``, or without ``loss_fn`` propagates a
    standard-normal cotangent from the output. Returns the loss (or ``None``) and a note saying
    which. Gradients accumulate into ``.grad``; use inside :func:`kept_state`.
    """
    with torch.enable_grad() if backward else torch.no_grad():
        output = _call(model, sample_input)
        return _backward(output, loss_fn, generator) if backward else (None, "forward pass only")


@contextmanager
def kept_state(model: nn.Module) -> Iterator[list[nn.Parameter]]:
    """Run a block on ``model`` with every ``.grad`` cleared, then put the model back as it was.

    Yields the parameters. On exit (also on an exception) each parameter's ``.grad`` is the tensor
    it was before (or ``None``), and every buffer holds its old values (BatchNorm running
    statistics and ``num_batches_tracked`` that a training-mode forward pass updates).
    """
    params = list(model.parameters())
    grads = [p.grad for p in params]
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    try:
        for p in params:
            p.grad = None
        yield params
    finally:
        for p, grad in zip(params, grads, strict=True):
            p.grad = grad
        with torch.no_grad():
            for buffer, value in buffers:
                buffer.copy_(value)


# ----------------------------------------------------------------------------- diagnose


@contextmanager
def _hooked(chosen: list[tuple[str, nn.Module]], recorder: _Recorder) -> Iterator[None]:
    """Forward hooks of ``recorder`` on the ``chosen`` modules, removed on exit (also on an exception)."""
    with ExitStack() as stack:
        for name, module in chosen:
            stack.callback(module.register_forward_hook(recorder.hook(name, module)).remove)
        yield


def _batch_dims(batch_dim: object) -> tuple[int, ...]:
    dims = (batch_dim,) if isinstance(batch_dim, int) else batch_dim
    if not isinstance(dims, tuple) or not dims or any(isinstance(d, bool) or not isinstance(d, int) for d in dims):
        raise TypeError(f"batch_dim must be an int or a non-empty tuple of ints; got {batch_dim!r}")
    return dims


def _chosen(model: nn.Module, modules: Sequence[str] | None) -> list[tuple[str, nn.Module]]:
    if modules is None:
        return _recorded(model)
    named = dict(model.named_modules())
    unknown = [m for m in modules if m not in named]
    if unknown:
        raise ValueError(f"modules must name modules of the model; got unknown {', '.join(unknown)}")
    return [(m, named[m]) for m in modules]


def diagnose(model: nn.Module, sample_input: object, loss_fn: Callable[[Any], Tensor] | None = None, *,
             backward: bool = True, generator: torch.Generator | None = None,
             modules: Sequence[str] | None = None, batch_dim: int | tuple[int, ...] = 0) -> Diagnosis:
    r"""Run one forward (and backward) pass and record per-layer statistics.

    For every recorded module call the output :math:`y` gives its mean, std, the fraction of
    exact zeros and the fraction of dead coordinates (:math:`y_{b,\dots} = 0` for every sample
    :math:`b`); the backward pass gives :math:`\operatorname{std}(\partial L/\partial y)` and the
    std of the weight gradient. Without ``loss_fn`` the backward pass propagates a standard-normal
    cotangent :math:`g \sim \mathcal{N}(0, I)` from the output, which measures the transposed
    Jacobian the way variance-propagation theory does (He et al. 2015, sec. 2.2, backward case).

    Parameters
    ----------
    model
        The model. Call ``model.eval()`` first to leave out dropout.
    sample_input
        The batch: a tensor (``model(x)``), a tuple/list of positional arguments
        (``model(*args)``), a mapping of keyword arguments (``model(**kwargs)``, e.g.
        ``{"input_ids": ids}`` for a Hugging Face model), or a zero-argument callable returning
        one of these (called once). The backward pass starts from the output tensor, the first
        tensor of a tuple, or the first tensor value of a mapping (a ``ModelOutput``'s
        ``logits``).
    loss_fn
        ``loss_fn(output) -> scalar tensor``; ``None`` for a random cotangent.
    backward
        ``False`` to record the forward pass only.
    generator
        Generator for the random cotangent.
    modules
        Qualified names of the modules to record; default every leaf module and every
        ``nn.MultiheadAttention``.
    batch_dim
        The dimension(s) of each output that index samples, for ``dead_fraction``: a coordinate
        is dead when it is 0 at every index of these. Default 0 (batch first); ``1`` for
        sequence-first layers such as ``nn.TransformerEncoderLayer(batch_first=False)``;
        ``(0, 1)`` to count a unit dead only when it is 0 at every sample and position. An output
        with no other dimension is judged elementwise.

    Returns
    -------
    Diagnosis
        ``.layers`` (a tuple of :class:`LayerStats`), ``.table()``, ``.print()``, ``.plot(path)``.

    Raises
    ------
    ValueError
        For a ``modules`` name the model does not have, or a non-scalar loss.
    TypeError
        For a ``model`` that is not an ``nn.Module``, a ``batch_dim`` that is not an int or a
        tuple of ints, or a callable ``sample_input`` that returns ``None`` or another callable.
    Exception
        Whatever the model (or a callable ``sample_input``) raises on the batch, with a note
        naming the batch's form; the model's ``.grad`` and buffers are left as they were.

    References
    ----------
    He, Zhang, Ren & Sun (2015), Delving Deep into Rectifiers, sec. 2.2; Glorot & Bengio (2010),
    sec. 4.2 (per-layer activation and gradient statistics); Lu et al. (2020), Dying ReLU and
    Initialization (dead units).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    recorder = _Recorder(backward, _batch_dims(batch_dim))
    chosen = _chosen(model, modules)
    with kept_state(model), _hooked(chosen, recorder):
        loss, note = one_pass(model, sample_input, loss_fn, generator, backward)
        return recorder.result(loss, note)  # reads the weight gradients before kept_state restores .grad
