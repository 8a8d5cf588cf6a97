r"""``materialize_(model, recipe, seed=...)``: a recipe's init, the same whatever the sharding or order.

Every claimed parameter is filled from its own keyed stream, :func:`initref.philox.stream_key`
``(seed, qualified name, recipe)``, and every element from its global index
(:mod:`initref.torch.keyed`). So the values depend on neither the order in which parameters are
visited nor on how they are split across processes: each rank of an FSDP2 (``fully_shard``) or
``distribute_tensor`` model fills only its local shard, allocates nothing of the full tensor, and
the gathered model equals, bit for bit, the same call on one process.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from initref.philox import stream_key
from initref.torch.keyed import keyed_fill_, normal_law, trunc_normal_law, uniform_law
from initref.torch.recipes import InitReport, Recipe, Touched
from initref.torch.recipes.draws import Draw
from initref.torch.recipes.registry import _plan

if TYPE_CHECKING:
    from torch.distributed.tensor import DTensor

__all__ = ["materialize_"]

Block = tuple[Tensor, tuple[int, ...], tuple[int, ...]]


def _dtensor(param: Tensor) -> DTensor | None:
    """``param`` as a DTensor, or None for a plain tensor (or a torch built without distributed)."""
    if not torch.distributed.is_available():
        return None
    from torch.distributed.tensor import DTensor

    return param if isinstance(param, DTensor) else None


def _local(param: Tensor) -> Tensor:
    dtensor = _dtensor(param)
    return param if dtensor is None else dtensor.to_local()


def _check_placements(name: str, param: Tensor) -> None:
    dtensor = _dtensor(param)
    if dtensor is None:
        return
    from torch.distributed.tensor import Replicate, Shard

    bad = [p for p in dtensor.placements if type(p) not in (Shard, Replicate)]
    if bad:
        raise ValueError(f"materialize_ fills Shard and Replicate placements; parameter {name!r} has {bad} (a Partial "
                         "tensor's values are a sum over ranks, and _StridedShard's layout is not a block)")


def _block(param: Tensor) -> Block:
    """The local tensor, the global shape and the local tensor's offset in it along each dim."""
    dtensor = _dtensor(param)
    if dtensor is None:
        return param, tuple(param.shape), (0,) * param.dim()
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

    local = dtensor.to_local()
    shape, offset = compute_local_shape_and_global_offset(dtensor.shape, dtensor.device_mesh, dtensor.placements)
    if tuple(shape) != tuple(local.shape):
        raise ValueError(f"a local shard of shape {tuple(local.shape)} does not match its placements "
                         f"{dtensor.placements}, which give {tuple(shape)}")
    return local, tuple(dtensor.shape), tuple(offset)


def _rows(block: Block, rows: tuple[int, int] | None) -> Block | None:
    """The part of ``block`` in global rows ``rows`` (all of it for ``None``; ``None`` if empty)."""
    local, whole, offset = block
    if rows is None:
        return block
    start, stop = max(rows[0], offset[0]), min(rows[1], offset[0] + local.shape[0])
    if start >= stop:
        return None
    return local[start - offset[0]:stop - offset[0]], whole, (start, *offset[1:])


def _orthogonal(block: Block, key: tuple[int, int], gain: float) -> None:
    r"""A (semi-)orthogonal matrix, times ``gain``, as torch's ``orthogonal_`` builds it (QR of a
    Gaussian, signs fixed by :math:`\operatorname{diag} R`), from the keyed Gaussian of the *whole*
    matrix: each rank builds it all (memory of one full matrix) and keeps its block."""
    local, whole, offset = block
    rows, cols = whole[0], math.prod(whole[1:])
    gaussian = keyed_fill_(torch.empty(rows, cols, dtype=torch.float64, device=local.device), normal_law(0.0, 1.0), key)
    flat = gaussian.T if rows < cols else gaussian
    q, r = torch.linalg.qr(flat)
    q *= torch.sign(torch.diagonal(r))
    full = (q.T if rows < cols else q).reshape(whole) * gain
    local.copy_(full[tuple(slice(o, o + n) for o, n in zip(offset, local.shape, strict=True))])


def _fill(block: Block, draw: Draw, key: tuple[int, int]) -> None:
    local, whole, offset = block
    if draw.distribution == "constant":
        local.fill_(draw.mean)
    elif draw.distribution == "orthogonal":
        _orthogonal(block, key, draw.std * math.sqrt(max(whole[0], math.prod(whole[1:]))))
    else:
        if draw.distribution == "normal":
            law = normal_law(draw.mean, draw.std)
        elif draw.distribution == "uniform":
            assert draw.bound is not None
            law = uniform_law(draw.mean - draw.bound, draw.mean + draw.bound)
        else:
            assert draw.sigma is not None and draw.a is not None and draw.b is not None
            law = trunc_normal_law(draw.mean, draw.sigma, draw.a, draw.b)
        keyed_fill_(local, law, key, global_shape=whole, offset=offset)


def _zero_rows(block: Block, rows: tuple[int, ...]) -> None:
    local, _, offset = block
    for row in rows:
        if offset[0] <= row < offset[0] + local.shape[0]:
            local[row - offset[0]].zero_()


def _on_meta(tensors: Mapping[str, Tensor]) -> set[str]:
    return {name for name, t in tensors.items() if _local(t).is_meta}


def _validate(model: nn.Module, report: InitReport, require_meta: bool) -> bool:
    """Every check before the first write; returns whether the model is on ``meta``."""
    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    meta_params, meta_buffers = _on_meta(params), _on_meta(buffers)
    if require_meta and len(meta_params) < len(params):
        names = ", ".join(sorted(set(params) - meta_params)[:6])
        raise ValueError(f"require_meta=True, but {len(params) - len(meta_params)} parameter(s) are not on the meta "
                         f"device ({names}, ...); build the model under `with torch.device('meta'):`")
    on_meta = bool(meta_params or meta_buffers)
    if on_meta and len(meta_params) + len(meta_buffers) < len(params) + len(buffers):
        raise ValueError("some of the model's tensors are on the meta device and some are not; materialize_ "
                         "allocates all of them (Module.to_empty), which would discard the others' values")
    unfilled = [n for n in report.untouched if n in meta_params]
    if unfilled:
        raise ValueError(f"{report.recipe} does not claim parameter(s) {', '.join(unfilled[:6])}, which are on the "
                         "meta device and would be left holding uninitialised memory; use a recipe that claims them")
    resettable = {f"{m}.{b}" if m else b for m, module in model.named_modules()
                  if hasattr(module, "reset_running_stats") for b, _ in module.named_buffers(recurse=False)}
    unknown = sorted(meta_buffers - resettable)
    if unknown:
        raise ValueError(f"buffer(s) {', '.join(unknown[:6])} are on the meta device and materialize_ cannot know "
                         "their values (only norm layers' running statistics are reset); create them on a real device")
    for name, param in params.items():
        _check_placements(name, param)
        _block(param)
    return on_meta


def materialize_(model: nn.Module, recipe: str | Recipe, *, seed: int, device: torch.device | str | None = None,
                 require_meta: bool = False, **options: Any) -> InitReport:
    r"""Initialise ``model`` with ``recipe`` from keyed streams: the same values however it is sharded.

    Each parameter the recipe claims is filled from the stream
    :func:`initref.philox.stream_key` ``(seed, its qualified name, the recipe's name)``; each
    element's value is a function of that stream and of its index in the whole tensor
    (Philox4x64-10, then the inverse-CDF transform of derivation ``keyed-inverse-transform``).
    So the values do not depend on the order of parameters or modules, on the number of
    processes, or on where a shard's boundaries fall (uneven shards included).

    - **Meta models** (built under ``torch.device("meta")``, possibly wrapped by FSDP2's
      ``fully_shard`` first) are allocated with :meth:`torch.nn.Module.to_empty` on ``device``
      and then filled; norm layers' running statistics are reset.
    - **DTensor parameters** (FSDP2, ``distribute_tensor``) with ``Shard``/``Replicate``
      placements: each rank fills only its local shard, from its global offset. No collective
      is called, so no rank waits on another; every check runs on every rank before any write,
      so a bad call raises the same error on every rank.
    - **Plain tensors** are filled in place.
    - **Orthogonal** draws (not elementwise): each rank builds the whole matrix from the keyed
      Gaussian, takes its QR as ``orthogonal_`` does, and keeps its block, so one full matrix
      is allocated per rank for such a parameter.

    The values are not those of :func:`apply_init` with a generator (that replays torch's
    sequential stream); they follow the same distributions.

    Parameters
    ----------
    model
        The model.
    recipe
        A recipe name or :class:`~initref.torch.recipes.Recipe`, as for :func:`~initref.torch.apply_init`.
    seed
        Non-negative integer naming the streams.
    device
        Where meta tensors are allocated (default: ``"cpu"``).
    require_meta
        Refuse a model whose parameters are not all on ``meta`` (a guard against
        re-initialising a trained model).
    **options
        The recipe's options.

    Returns
    -------
    InitReport
        What the recipe claimed, as :func:`~initref.torch.apply_init` reports it.

    Raises
    ------
    ValueError
        ``require_meta=True`` on a model with real parameters; an unknown recipe or bad option; a
        meta parameter the recipe does not claim or a meta buffer it cannot set; a mix of meta
        and real tensors; a DTensor placement other than ``Shard``/``Replicate``; a negative seed.
    TypeError
        Unknown options, a seed that is not an int, or a model that is not an ``nn.Module``.
    """
    chosen, opts, plan = _plan(model, recipe, options)
    report = plan.report(chosen, opts)
    keys = {touched.name: stream_key(seed, touched.name, chosen.name) for touched, _ in plan.entries}
    on_meta = _validate(model, report, require_meta)
    if on_meta:
        model.to_empty(device=device if device is not None else "cpu")
    try:
        with torch.no_grad():
            if on_meta:
                for module in model.modules():
                    reset = getattr(module, "reset_running_stats", None)
                    if callable(reset):
                        reset()
            for touched, _ in plan.entries:
                _fill_touched(model, touched, keys[touched.name])
    except BaseException:
        if on_meta:  # back to meta: nothing half-initialised is left behind
            model.to_empty(device="meta")
        raise
    return report


def _fill_touched(model: nn.Module, touched: Touched, key: tuple[int, int]) -> None:
    block = _rows(_block(model.get_parameter(touched.name)), touched.rows)
    if block is None:
        return
    _fill(block, touched.draw, key)
    _zero_rows(block, touched.zero_rows)
