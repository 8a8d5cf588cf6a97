r"""Fans of weight tensors: torch's shape rule, JAX's axis rule, and the correct conv fans.

The fan-in of a weight is the number of products summed into one output unit, the fan-out
the number of output units one input feeds (derivation ``fans``). torch reads both off the
shape, ``(shape[1] * k, shape[0] * k)`` with receptive field :math:`k = \prod_i k_i`; that is
right for dense layers and for the fan-in of convolutions, but not for the fan-out of grouped
convolutions nor for transposed convolutions. :func:`conv_fans` gives the correct values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from initref._generated import formulas

__all__ = ["LAYOUTS", "calculate_fan_in_and_fan_out", "compute_fans", "conv_fans", "fan", "layer_fans"]

MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
#: Weight layouts of :func:`layer_fans`: torch's ``(out, in, *kernel)`` (``nn.Linear``, ``nn.ConvNd``)
#: and ``(in, out)`` (Hugging Face transformers' ``Conv1D``, JAX/Flax ``Dense``).
LAYOUTS = ("out_in", "in_out")


def calculate_fan_in_and_fan_out(shape: Sequence[int]) -> tuple[int, int]:
    """torch's shape rule for a weight of shape ``(out, in, *kernel)``.

    Same values and error as ``torch.nn.init._calculate_fan_in_and_fan_out``.
    """
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def compute_fans(
    shape: Sequence[int], in_axis: int | Sequence[int] = -2, out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
) -> tuple[float, float]:
    """JAX's axis rule: the receptive field is every axis not named in, out or batch.

    Parameters
    ----------
    shape
        Weight shape, e.g. ``(in, out)`` for a dense layer or ``(*kernel, in, out)`` for a conv.
    in_axis, out_axis, batch_axis
        Axis or axes holding the inputs, the outputs, and independent batch copies.
    """
    if len(shape) < 2:
        raise ValueError(f"shape must have at least 2 dimensions to have fans; got {tuple(shape)}")
    named = {}
    for label, axes in (("in_axis", in_axis), ("out_axis", out_axis), ("batch_axis", batch_axis)):
        axes = (axes,) if isinstance(axes, int) else tuple(axes)
        for axis in axes:
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"{label} {axis} is out of range for shape {tuple(shape)}")
        named[label] = {axis % len(shape) for axis in axes}
    receptive = [d for i, d in enumerate(shape) if i not in set().union(*named.values())]
    receptive_field = math.prod(receptive)
    fan_in = math.prod(shape[i] for i in named["in_axis"]) * receptive_field
    fan_out = math.prod(shape[i] for i in named["out_axis"]) * receptive_field
    return fan_in, fan_out


def conv_fans(
    shape: Sequence[int], groups: int = 1, transposed: bool = False, stride: int | Sequence[int] = 1
) -> tuple[float, float]:
    """Correct fans of a torch convolution weight (derivation ``fans``).

    Parameters
    ----------
    shape
        ``(out, in // groups, *kernel)`` for a convolution, ``(in, out // groups, *kernel)`` for
        a transposed convolution (torch's layouts).
    groups
        Number of groups.
    transposed
        Whether the weight belongs to a ``ConvTransposeNd``.
    stride
        Stride of a transposed convolution (an int or one per spatial dimension); an output
        gathers ``k / stride`` kernel positions on average.

    Returns
    -------
    (fan_in, fan_out)
        For a convolution: ``(shape[1] k, shape[0] k / groups)``; torch's fan-out is ``groups``
        times larger. For a transposed convolution: ``(shape[0] k / (groups s), shape[1] k)``;
        torch swaps these and ignores the stride.
    """
    if len(shape) < 3:
        raise ValueError(f"shape must be (channels, channels, *kernel) with a kernel; got {tuple(shape)}")
    if groups < 1 or shape[0] % groups:
        raise ValueError(f"groups must be a positive divisor of shape[0]={shape[0]}; got {groups}")
    kernel = shape[2:]
    strides = (stride,) * len(kernel) if isinstance(stride, int) else tuple(stride)
    if len(strides) != len(kernel) or min(strides) < 1:
        raise ValueError(f"stride must be a positive int or {len(kernel)} positive ints; got {stride}")
    receptive_field = math.prod(kernel)
    if transposed:
        return (
            formulas.conv_transpose_fan_in(shape[0], groups, receptive_field, math.prod(strides)),
            formulas.conv_transpose_fan_out(shape[1] * groups, groups, receptive_field),
        )
    return (
        formulas.conv_fan_in(shape[1] * groups, groups, receptive_field),
        formulas.conv_fan_out(shape[0], groups, receptive_field),
    )


def fan(fan_in: float, fan_out: float, mode: str) -> float:
    """The fan a variance-scaling mode divides by: fan_in, fan_out, their mean or geometric mean."""
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    if mode == "fan_avg":
        return formulas.fan_avg(fan_in, fan_out)
    if mode == "fan_geo_avg":
        return formulas.fan_geo_avg(fan_in, fan_out)
    raise ValueError(f"mode must be one of {', '.join(repr(m) for m in MODES)}; got {mode!r}")


def layer_fans(
    shape: Sequence[int], layout: str = "out_in", *, groups: int = 1, transposed: bool = False,
    stride: int | Sequence[int] = 1, correct: bool = False,
) -> tuple[float, float]:
    r"""``(fan_in, fan_out)`` of a layer's weight: the one place the recipes read fans from.

    Parameters
    ----------
    shape
        The weight's shape.
    layout
        ``"out_in"``: torch's ``(out, in, *kernel)`` (``(in, out // groups, *kernel)`` for a
        transposed convolution); ``"in_out"``: a dense ``(in, out)`` weight, as transformers'
        ``Conv1D`` stores it (``y = x W + b``), fans ``(shape[0], shape[1])``.
    groups, transposed, stride
        A convolution's groups, whether it is transposed, and its stride.
    correct
        ``False``: torch's shape rule :func:`calculate_fan_in_and_fan_out` for the ``"out_in"``
        layout (what ``torch.nn.init`` and the layers' own ``reset_parameters`` use);
        ``True``: the counted fans of :func:`conv_fans` for grouped or transposed convolutions.

    References
    ----------
    transformers/pytorch_utils.py ``Conv1D`` (weight ``(nx, nf)``, ``forward`` is ``x @ weight + bias``);
    derivation ``fans``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(repr(v) for v in LAYOUTS)}; got {layout!r}")
    if layout == "in_out":
        if len(shape) != 2:
            raise ValueError(f"an 'in_out' weight is a matrix (in, out); got shape {tuple(shape)}")
        return shape[0], shape[1]
    if correct and (groups != 1 or transposed) and len(shape) > 2:
        return conv_fans(shape, groups=groups, transposed=transposed, stride=stride)
    return calculate_fan_in_and_fan_out(shape)
