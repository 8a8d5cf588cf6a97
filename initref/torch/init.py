r"""Drop-in replacements for every public function of ``torch.nn.init`` (PyTorch 2.13).

Same names, signatures, defaults, return value (the tensor passed in), ``generator=`` keyword,
warnings and errors (the same exception types, torch's message first, then what was given).
Given the same :class:`torch.Generator` state, and the same global RNG state where torch reads
it, every random initializer here writes *the same bits* as ``torch.nn.init`` and leaves the
generators in the same state: the scalars (stds, bounds, gains, the normal CDF) come from
``initref._generated.formulas``, which keeps torch's floating-point evaluation order, and the
sampling calls are torch's, in torch's order.

Everything runs in place under :func:`torch.no_grad`, on the tensor's own device and dtype;
``meta`` tensors are left alone as in torch. Differences from torch, all on inputs torch rejects
or mishandles:

- An input that is rejected leaves the tensor exactly as it was. torch writes the orthogonal
  matrix before it multiplies by ``gain``, and writes zeros before it trips over a non-integer
  ``groups`` in :func:`dirac_`; here every argument is checked first.
- :func:`orthogonal_` accepts ``float16``/``bfloat16`` tensors (torch 2.13 raises
  ``NotImplementedError``: there is no half-precision QR): the QR runs in ``float32`` and the
  result is rounded into the tensor.
- :func:`dirac_` rejects ``groups < 0`` (torch silently returns an all-zero tensor).
- ``mode`` of the Kaiming functions must be a ``str``: the error is an exception that is both a
  ``TypeError`` and an ``AttributeError`` (torch raises the latter from ``mode.lower()``).
- ``calculate_gain`` (and so ``nonlinearity=``) also knows activations torch does not; see
  :func:`initref.gains.calculate_gain`. For torch's names it returns torch's floats.

torch's own inconsistencies, reproduced on purpose (the drop-in follows torch):

- :func:`sparse_` draws its values from ``generator`` but its zero pattern from the *global*
  RNG (``torch.randperm`` without a generator, on the default device), even when a generator is
  given and whatever the tensor's device. :func:`initref.torch.extras.sparse_columns_` draws both
  from the generator.
- :func:`trunc_normal_` is a rejection sampler in torch 2.13: each round asks the device whether
  any element is still rejected (one boolean read per round). Matching torch's bits requires the
  same rounds. :func:`initref.torch.extras.variance_scaling_` uses the inverse-CDF sampler, which
  has no loop.
- The Kaiming functions warn and do nothing on zero-element tensors; Xavier, orthogonal and
  sparse do not warn (Xavier raises ``ZeroDivisionError`` when both fans are 0).
- Only :func:`uniform_`, :func:`normal_`, :func:`constant_` and :func:`kaiming_uniform_` honour
  ``__torch_function__`` overrides, as in torch.

References
----------
torch/nn/init.py (PyTorch 2.13).
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import Tensor

from initref import fans as _fans
from initref._generated import formulas
from initref.gains import calculate_gain

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
    # Deprecated aliases, as in torch.nn.init
    "uniform",
    "normal",
    "constant",
    "eye",
    "dirac",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "orthogonal",
    "sparse",
]

_REDUCED_PRECISION = (torch.float16, torch.bfloat16)
_ZERO_ELEMENT_WARNING = "Initializing zero-element tensors is a no-op"


class ModeTypeError(TypeError, AttributeError):
    """``mode`` is not a string: a ``TypeError``, and an ``AttributeError`` as torch raises."""


# ----------------------------------------------------------------------------- helpers


def _dims(tensor: Tensor) -> str:
    return f"got a tensor with {tensor.dim()} dimensions, shape {tuple(tensor.shape)}"


def _has_torch_function(tensor: Any) -> bool:
    return torch.overrides.has_torch_function_variadic(tensor)


def _check_multiplier(name: str, value: object, tensor: Tensor) -> None:
    """Raise now what ``tensor.mul_(value)`` would raise later, after the tensor was written."""
    if isinstance(value, Tensor):
        try:
            fits = torch.broadcast_shapes(value.shape, tensor.shape) == tensor.shape
        except RuntimeError:
            fits = False
        if not fits:
            raise RuntimeError(f"{name} of shape {tuple(value.shape)} does not broadcast to {tuple(tensor.shape)}")
        if not torch.can_cast(torch.result_type(tensor, value), tensor.dtype):
            raise RuntimeError(f"{name} of dtype {value.dtype} can't be cast to the tensor's dtype {tensor.dtype}")
        if value.device != tensor.device and not (value.dim() == 0 and value.device.type == "cpu"):
            raise RuntimeError(f"{name} is on {value.device} but the tensor is on {tensor.device}")
        return
    try:
        torch.empty((), dtype=tensor.dtype).mul_(value)  # type: ignore[arg-type]  # mul_'s argument check
    except TypeError as exc:
        raise TypeError(f"{name} must be a real number or a tensor; got {type(value).__name__}") from exc


def _as_dtype_scalar(value: float, dtype: torch.dtype) -> float:
    """``value`` rounded to ``dtype``, as a Python number (host-side; no device memory is read).

    torch 2.13's trunc_normal_ compares samples against the bounds cast to the tensor's dtype.
    """
    return torch.tensor(value, dtype=dtype).item()


def _normal_matrix(rows: int, cols: int, tensor: Tensor, generator: torch.Generator | None) -> Tensor:
    """A (rows, cols) standard normal matrix on the tensor's device; float32 for half types."""
    dtype = torch.float32 if tensor.dtype in _REDUCED_PRECISION else tensor.dtype
    return tensor.new_empty((rows, cols), dtype=dtype).normal_(0, 1, generator=generator)


def _haar_orthogonal(rows: int, cols: int, tensor: Tensor, generator: torch.Generator | None) -> Tensor:
    """torch's orthogonal_ sampler: QR of a Gaussian matrix, columns signed by diag(R).

    Multiplying by the signs of diag(R) makes Q Haar-distributed (Mezzadri 2007).
    """
    flattened = _normal_matrix(rows, cols, tensor, generator)
    if rows < cols:
        flattened.t_()
    q, r = torch.linalg.qr(flattened)
    q *= torch.diag(r, 0).sign()
    if rows < cols:
        q.t_()
    return q


# ----------------------------------------------------------------------------- basic fills


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    r"""Fill ``tensor`` with values drawn from :math:`\mathcal{U}(a, b)`.

    Parameters
    ----------
    tensor
        An n-dimensional tensor, filled in place.
    a, b
        Lower and upper bound.
    generator
        The generator to sample from (default: torch's default generator of the tensor's device).

    Returns
    -------
    Tensor
        ``tensor``.

    References
    ----------
    torch/nn/init.py ``uniform_``.
    """
    if _has_torch_function(tensor):
        return torch.overrides.handle_torch_function(
            uniform_, (tensor,), tensor=tensor, a=a, b=b, generator=generator)
    with torch.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    r"""Fill ``tensor`` with values drawn from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    Parameters
    ----------
    tensor
        An n-dimensional tensor, filled in place.
    mean, std
        Mean and standard deviation.
    generator
        The generator to sample from.

    Returns
    -------
    Tensor
        ``tensor``.

    References
    ----------
    torch/nn/init.py ``normal_``.
    """
    if _has_torch_function(tensor):
        return torch.overrides.handle_torch_function(
            normal_, (tensor,), tensor=tensor, mean=mean, std=std, generator=generator)
    with torch.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def _reject_normal_(tensor: Tensor, mean: float, std: float, a: float, b: float,
                    generator: torch.Generator | None) -> None:
    """torch 2.13's sampler for a kept mass above the switch: redraw normals outside [a, b].

    The draws are torch's, round for round (a full-size ``normal_`` each round, as the generator
    state must match); the scratch buffers are allocated once instead of once per round.
    """
    lo, hi = _as_dtype_scalar(a, tensor.dtype), _as_dtype_scalar(b, tensor.dtype)
    tensor.normal_(mean, std, generator=generator)
    mask = (tensor < lo).logical_or_(tensor > hi)
    if not mask.any():  # one boolean read from the device per round, as in torch
        return
    fresh = torch.empty_like(tensor)
    while True:
        torch.where(mask, fresh.normal_(mean, std, generator=generator), tensor, out=tensor)
        torch.logical_or(torch.lt(tensor, lo), torch.gt(tensor, hi), out=mask)
        if not mask.any():
            return


def _log_accept_(candidates: Tensor, mean: float, std: float, log_peak: float) -> Tensor:
    """In place: the log acceptance ratio -((x - mean)/std)^2/2 - log_peak of uniform proposals."""
    return candidates.sub_(mean).div_(std).pow_(2).mul_(formulas.NORMAL_LOG_KERNEL_COEFFICIENT).sub_(log_peak)


def _reject_uniform_(tensor: Tensor, mean: float, std: float, a: float, b: float,
                     generator: torch.Generator | None) -> None:
    """torch 2.13's sampler for a small kept mass: uniform proposals on [a, b], accepted by density."""
    log_peak = formulas.standardized_log_kernel(max(a, min(mean, b)), mean, std)
    candidates = torch.empty_like(tensor)
    accept_buf = torch.empty_like(tensor)
    tensor.uniform_(a, b, generator=generator)
    candidates.copy_(tensor)
    _log_accept_(candidates, mean, std, log_peak)
    pending = accept_buf.uniform_(generator=generator).log_().gt(candidates)
    while pending.any():  # one boolean read from the device per round, as in torch
        candidates.uniform_(a, b, generator=generator)
        torch.where(pending, candidates, tensor, out=tensor)
        _log_accept_(candidates, mean, std, log_peak)
        pending.logical_and_(accept_buf.uniform_(generator=generator).log_().gt(candidates))


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Fill ``tensor`` with :math:`\mathcal{N}(\text{mean}, \text{std}^2)` truncated to :math:`[a, b]`.

    Convention: **absolute bounds** -- ``a`` and ``b`` are values, not multiples of ``std``, and
    ``std`` is the std of the *untruncated* normal (the truncated values have a smaller std; see
    :func:`initref.torch.extras.variance_scaling_` for the variance-corrected convention).

    torch 2.13's two rejection samplers are reproduced bit for bit. With kept mass
    :math:`p = \Phi(\tfrac{b-\mu}{\sigma}) - \Phi(\tfrac{a-\mu}{\sigma}) > 0.3` normals outside
    :math:`[a, b]` are redrawn; otherwise uniform proposals on :math:`[a, b]` are accepted with
    probability :math:`\varphi(x)/\varphi(m)`, :math:`m` the mode. Each round reads one boolean
    from the device (whether any element is still pending).

    Parameters
    ----------
    tensor
        An n-dimensional tensor, filled in place.
    mean, std
        Mean and standard deviation of the normal before truncation.
    a, b
        The minimum and maximum cutoff values.
    generator
        The generator to sample from.

    Returns
    -------
    Tensor
        ``tensor``.

    Warns
    -----
    UserWarning
        When ``mean`` is more than ``2 std`` outside :math:`[a, b]`, as torch does.

    References
    ----------
    torch/nn/init.py ``trunc_normal_``; derivation ``truncated-normal-sampling``; Devroye (1986),
    Non-Uniform Random Variate Generation, ch. II.3.
    """
    if tensor.is_meta:
        return tensor
    # torch's warning heuristic (a message threshold of torch/nn/init.py, not a formula)
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    with torch.no_grad():
        p = formulas.normal_cdf((b - mean) / std) - formulas.normal_cdf((a - mean) / std)
        if p > formulas.TORCH_TRUNC_NORMAL_SWITCH:
            _reject_normal_(tensor, mean, std, a, b, generator)
        else:
            _reject_uniform_(tensor, mean, std, a, b, generator)
    return tensor


def constant_(tensor: Tensor, val: float) -> Tensor:
    r"""Fill ``tensor`` with the value ``val``.

    Parameters
    ----------
    tensor
        An n-dimensional tensor, filled in place.
    val
        The value.

    Returns
    -------
    Tensor
        ``tensor``.

    References
    ----------
    torch/nn/init.py ``constant_``.
    """
    if _has_torch_function(tensor):
        return torch.overrides.handle_torch_function(constant_, (tensor,), tensor=tensor, val=val)
    with torch.no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    r"""Fill ``tensor`` with ones.

    References
    ----------
    torch/nn/init.py ``ones_``.
    """
    with torch.no_grad():
        return tensor.fill_(1.0)


def zeros_(tensor: Tensor) -> Tensor:
    r"""Fill ``tensor`` with zeros.

    References
    ----------
    torch/nn/init.py ``zeros_``.
    """
    with torch.no_grad():
        return tensor.zero_()


# ----------------------------------------------------------------------------- identities


def eye_(tensor: Tensor) -> Tensor:
    r"""Fill the 2-dimensional ``tensor`` with the identity matrix :math:`W_{ij} = \delta_{ij}`.

    A non-square matrix gets ones on its leading diagonal: as many inputs as possible pass
    through a ``Linear`` layer unchanged.

    Raises
    ------
    ValueError
        If ``tensor`` is not 2-dimensional.

    References
    ----------
    torch/nn/init.py ``eye_``.
    """
    if tensor.ndimension() != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported; {_dims(tensor)}")
    with torch.no_grad():
        torch.eye(*tensor.shape, out=tensor, requires_grad=tensor.requires_grad)
    return tensor


def _check_groups(groups: object) -> int:
    try:
        groups = operator.index(groups)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"groups must be an int; got {type(groups).__name__} {groups!r}") from None
    if groups < 0:
        raise ValueError(f"groups must be a positive int; got {groups}")
    return groups


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    r"""Fill the {3, 4, 5}-dimensional ``tensor`` with the Dirac delta.

    :math:`W[g n + d, d, \lfloor k/2 \rfloor] = 1` for every group :math:`g` and
    :math:`d < \min(n, \text{in})`, :math:`n` = out channels per group; zero elsewhere. A
    convolution with this kernel passes as many input channels through unchanged as it can.

    Parameters
    ----------
    tensor
        A convolution weight ``(out, in, *kernel)`` with 1, 2 or 3 kernel dimensions.
    groups
        Number of groups of the convolution (default 1).

    Raises
    ------
    ValueError
        If the tensor is not 3-, 4- or 5-dimensional, or ``out`` is not divisible by ``groups``.
    ZeroDivisionError
        If ``groups`` is 0 (as torch).

    References
    ----------
    torch/nn/init.py ``dirac_``.
    """
    dimensions = tensor.ndimension()
    if dimensions not in [3, 4, 5]:
        raise ValueError(f"Only tensors with 3, 4, or 5 dimensions are supported; {_dims(tensor)}")
    sizes = tensor.size()
    groups = _check_groups(groups)
    if sizes[0] % groups != 0:  # groups == 0 raises ZeroDivisionError here, as in torch
        raise ValueError(f"dim 0 must be divisible by groups; got dim 0 = {sizes[0]} and groups = {groups}")
    if tensor.is_meta:
        return tensor
    centre = tuple(size // 2 for size in sizes[2:])
    with torch.no_grad():
        tensor.zero_()
        # (groups, out per group, in) at the kernel centre; its diagonals are the min(out/groups, in) ones
        per_group = tensor.unflatten(0, (groups, sizes[0] // groups))[(slice(None),) * 3 + centre]
        per_group.diagonal(dim1=1, dim2=2).fill_(1)
    return tensor


# ----------------------------------------------------------------------------- fans and variance scaling


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """torch's shape rule: ``(shape[1] * k, shape[0] * k)``, ``k`` the receptive field size."""
    return _fans.calculate_fan_in_and_fan_out(tuple(tensor.shape))


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    """fan_in or fan_out of ``tensor`` by torch's shape rule; ``mode`` is case-insensitive as in torch."""
    if not isinstance(mode, str):
        raise ModeTypeError(f"mode must be a str, 'fan_in' or 'fan_out'; got {type(mode).__name__} {mode!r}")
    lowered = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if lowered not in valid_modes:
        raise ValueError(f"Mode {lowered} not supported, please use one of {valid_modes}; got mode={mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if lowered == "fan_in" else fan_out


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    r"""Fill ``tensor`` from the Xavier/Glorot uniform distribution :math:`\mathcal{U}(-r, r)`.

    .. math::
        \sigma = g \sqrt{\frac{2}{n_\text{in} + n_\text{out}}}, \qquad r = \sqrt{3}\,\sigma

    Parameters
    ----------
    tensor
        An n-dimensional tensor, n >= 2, with torch's layout ``(out, in, *kernel)``.
    gain
        Scaling factor :math:`g`.
    generator
        The generator to sample from.

    Returns
    -------
    Tensor
        ``tensor``.

    Raises
    ------
    ValueError
        If ``tensor`` has fewer than 2 dimensions.

    References
    ----------
    Glorot & Bengio (2010), Understanding the difficulty of training deep feedforward neural
    networks, AISTATS, eq. 16; derivations ``glorot`` and ``uniform-bound``.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = formulas.uniform_bound_from_std(formulas.xavier_std(gain, fan_in, fan_out))
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    r"""Fill ``tensor`` from the Xavier/Glorot normal distribution :math:`\mathcal{N}(0, \sigma^2)`.

    .. math:: \sigma = g \sqrt{\frac{2}{n_\text{in} + n_\text{out}}}

    Parameters
    ----------
    tensor
        An n-dimensional tensor, n >= 2, with torch's layout ``(out, in, *kernel)``.
    gain
        Scaling factor :math:`g`.
    generator
        The generator to sample from.

    Returns
    -------
    Tensor
        ``tensor``.

    References
    ----------
    Glorot & Bengio (2010), AISTATS, eqs. 10-12; derivation ``glorot``.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = formulas.xavier_std(gain, fan_in, fan_out)
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    # ``a`` is leaky ReLU's slope only; torch's calculate_gain ignores it for every other name, and so does this
    # for initref's extra names (elu's alpha is not a = 0: they get their default parameter).
    gain = calculate_gain(nonlinearity, a if nonlinearity == "leaky_relu" else None)
    return formulas.kaiming_std(gain, _calculate_correct_fan(tensor, mode))


def kaiming_uniform_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Fill ``tensor`` from the Kaiming/He uniform distribution :math:`\mathcal{U}(-r, r)`.

    .. math:: \sigma = \frac{g}{\sqrt{n_\text{mode}}}, \qquad r = \sqrt{3}\,\sigma,

    with :math:`g` = ``calculate_gain(nonlinearity, a)``.

    Parameters
    ----------
    tensor
        An n-dimensional tensor, n >= 2, with torch's layout ``(out, in, *kernel)``.
    a
        Negative slope of the rectifier after this layer (used with ``'leaky_relu'`` only).
    mode
        ``'fan_in'`` (default, preserves the forward variance) or ``'fan_out'`` (backward);
        case-insensitive.
    nonlinearity
        Name of the activation after this layer (default ``'leaky_relu'``, which with ``a = 0``
        is ReLU's :math:`\sqrt{2}`).
    generator
        The generator to sample from.

    Returns
    -------
    Tensor
        ``tensor``.

    Warns
    -----
    UserWarning
        ``"Initializing zero-element tensors is a no-op"`` for a tensor with a zero dimension.

    Raises
    ------
    ValueError
        For fewer than 2 dimensions, an unknown ``mode`` or ``nonlinearity``, a bad ``a``.

    References
    ----------
    He, Zhang, Ren & Sun (2015), Delving Deep into Rectifiers, ICCV, eqs. 10 and 14; derivations
    ``kaiming`` and ``uniform-bound``.
    """
    if _has_torch_function(tensor):
        return torch.overrides.handle_torch_function(
            kaiming_uniform_, (tensor,), tensor=tensor, a=a, mode=mode, nonlinearity=nonlinearity,
            generator=generator)
    if 0 in tensor.shape:
        warnings.warn(_ZERO_ELEMENT_WARNING, stacklevel=2)
        return tensor
    bound = formulas.uniform_bound_from_std(_kaiming_std(tensor, a, mode, nonlinearity))
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


def kaiming_normal_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Fill ``tensor`` from the Kaiming/He normal distribution :math:`\mathcal{N}(0, \sigma^2)`.

    .. math:: \sigma = \frac{g}{\sqrt{n_\text{mode}}}

    Parameters are those of :func:`kaiming_uniform_`.

    Returns
    -------
    Tensor
        ``tensor``.

    References
    ----------
    He, Zhang, Ren & Sun (2015), Delving Deep into Rectifiers, ICCV, eq. 10; derivation ``kaiming``.
    """
    if 0 in tensor.shape:
        warnings.warn(_ZERO_ELEMENT_WARNING, stacklevel=2)
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    with torch.no_grad():
        return tensor.normal_(0, std, generator=generator)


# ----------------------------------------------------------------------------- structured random


def orthogonal_(tensor: Tensor, gain: float = 1, generator: torch.Generator | None = None) -> Tensor:
    r"""Fill ``tensor`` with a (semi-)orthogonal matrix, Haar-distributed, times ``gain``.

    The tensor is viewed as a matrix of shape ``(shape[0], numel // shape[0])``. With
    :math:`A` Gaussian and :math:`A = QR`, the result is :math:`g\,Q\,\operatorname{diag}(\operatorname{sign} R_{ii})`
    (transposed for wide matrices), so :math:`W W^\top = g^2 I` (wide) or :math:`W^\top W = g^2 I` (tall).
    ``float16``/``bfloat16`` tensors are factorised in ``float32`` (torch 2.13 raises for them).

    Parameters
    ----------
    tensor
        An n-dimensional tensor, n >= 2.
    gain
        Scaling factor (a real number or a tensor that broadcasts to ``tensor``).
    generator
        The generator to sample from.

    Returns
    -------
    Tensor
        ``tensor``.

    Raises
    ------
    ValueError
        If ``tensor`` has fewer than 2 dimensions.
    TypeError
        If ``gain`` is not a number or tensor (checked before the tensor is written).

    References
    ----------
    Saxe, McClelland & Ganguli (2013), Exact solutions to the nonlinear dynamics of learning in deep
    linear neural networks; Mezzadri (2007), How to generate random matrices from the classical
    compact groups (the sign correction); derivation ``orthogonal``.
    """
    if tensor.ndimension() < 2:
        raise ValueError(f"Only tensors with 2 or more dimensions are supported; {_dims(tensor)}")
    if tensor.numel() == 0 or tensor.is_meta:
        return tensor
    _check_multiplier("gain", gain, tensor)
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    with torch.no_grad():
        matrix = tensor.view(rows, cols)  # torch's view_as(q); a layout that cannot be viewed fails here
        matrix.copy_(_haar_orthogonal(rows, cols, tensor, generator))
        tensor.mul_(gain)
    return tensor


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: torch.Generator | None = None) -> Tensor:
    r"""Fill the 2D ``tensor`` as a sparse matrix: :math:`\lceil s\,\text{rows} \rceil` zeros per column.

    The other entries are drawn from :math:`\mathcal{N}(0, \text{std}^2)` with ``generator``.
    As in torch, the zero positions come from ``torch.randperm(rows)`` per column, which reads the
    **global** RNG of the default device, not ``generator`` (a torch inconsistency kept for
    bit-compatibility; see :func:`initref.torch.extras.sparse_columns_`). The permutations are
    gathered and applied in one indexing operation per block of columns instead of one per column.

    Parameters
    ----------
    tensor
        A 2-dimensional tensor.
    sparsity
        The fraction of elements in each column set to zero.
    std
        Standard deviation of the non-zero values.
    generator
        The generator for the non-zero values.

    Returns
    -------
    Tensor
        ``tensor``.

    References
    ----------
    Martens (2010), Deep learning via Hessian-free optimization, ICML, sec. 5; torch/nn/init.py ``sparse_``.
    """
    if tensor.ndimension() != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported; {_dims(tensor)}")
    if tensor.is_meta:
        return tensor
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    with torch.no_grad():
        tensor.normal_(0, std, generator=generator)
        # columns per block: at most an eighth of them and ~16 MiB of int64 permutations
        block = max(1, min((1 << 21) // max(rows, 1), -(-cols // 8)))
        # torch.randperm(rows) draws on the default device; so does this buffer, and so randperm(out=)
        permutations = torch.empty((min(block, cols), rows), dtype=torch.int64)
        for start in range(0, cols, block):
            count = min(block, cols - start)
            for row in permutations[:count]:
                torch.randperm(rows, out=row)
            zero_rows = permutations[:count, :num_zeros].to(tensor.device)
            tensor.T[start:start + count].scatter_(1, zero_rows, 0.0)
    return tensor


# ----------------------------------------------------------------------------- deprecated aliases

_R = TypeVar("_R")


def _make_deprecate(meth: Callable[..., _R]) -> Callable[..., _R]:
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> _R:
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}` "
                      f"(initref.torch.{new_name}).", FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"Deprecated alias of :func:`{new_name}` (as in torch.nn.init)."
    deprecated_init.__name__ = old_name
    deprecated_init.__qualname__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
