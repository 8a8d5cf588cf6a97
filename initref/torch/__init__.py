"""initref.torch: a drop-in for ``torch.nn.init``, plus clearly separate additions.

``import initref.torch as init`` gives every public function of ``torch.nn.init`` (PyTorch
2.13) with torch's names, signatures, defaults, errors, warnings and -- for the same generator
state -- torch's bits (:mod:`initref.torch.init`). The additions live in
:mod:`initref.torch.extras` and are re-exported here: :func:`variance_scaling_`,
:func:`lecun_uniform_`, :func:`lecun_normal_`, :func:`delta_orthogonal_`, :func:`zero_init_`
(ZerO), :func:`sparse_columns_` and :func:`layer_fans` (correct fans of grouped and transposed
convolutions). :func:`materialize_` and the ``keyed_*_`` initialisers fill tensors from keyed,
counter-based streams (:mod:`initref.torch.keyed`): the same values for a tensor and each of its
shards, whatever the order or the number of processes.
"""

from initref.torch import extras, init
from initref.torch.extras import (
    delta_orthogonal_,
    layer_fans,
    lecun_normal_,
    lecun_uniform_,
    sparse_columns_,
    variance_scaling_,
    zero_,
    zero_init_,
)
from initref.torch.init import (
    calculate_gain,
    constant,
    constant_,
    dirac,
    dirac_,
    eye,
    eye_,
    kaiming_normal,
    kaiming_normal_,
    kaiming_uniform,
    kaiming_uniform_,
    normal,
    normal_,
    ones_,
    orthogonal,
    orthogonal_,
    sparse,
    sparse_,
    trunc_normal_,
    uniform,
    uniform_,
    xavier_normal,
    xavier_normal_,
    xavier_uniform,
    xavier_uniform_,
    zeros_,
)

__all__ = [
    # drop-in names of torch.nn.init (2.13), torch's order
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
    # torch's deprecated aliases
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
    # additions (initref.torch.extras)
    "variance_scaling_",
    "lecun_uniform_",
    "lecun_normal_",
    "delta_orthogonal_",
    "zero_init_",
    "zero_",
    "sparse_columns_",
    "layer_fans",
    # whole-model tools (initref.torch.recipes, .diagnostics, .checklist)
    "apply_init",
    "diagnose",
    "checklist",
    "materialize_",
    # keyed (counter-based) initialisers, initref.torch.keyed
    "keyed_normal_",
    "keyed_uniform_",
    "keyed_trunc_normal_",
    # submodules
    "extras",
    "init",
]

# Imported last: they initialize through the functions above.
from initref.torch.checklist import checklist  # noqa: E402
from initref.torch.diagnostics import diagnose  # noqa: E402
from initref.torch.keyed import keyed_normal_, keyed_trunc_normal_, keyed_uniform_  # noqa: E402
from initref.torch.materialize import materialize_  # noqa: E402
from initref.torch.recipes import apply_init  # noqa: E402
