"""initref's single source of truth: SymPy derivations, their checker and code generation.

``DERIVATIONS`` lists every derivation in reading order; :func:`derivations.core.check`
proves one, ``python -m derivations.codegen`` writes ``initref/_generated``.
"""

from derivations.core import Derivation, Export, Outcome, Step, check
from derivations.theory import (
    depth,
    fans,
    gaussian_moments,
    glorot,
    identity_init,
    inverse_transform,
    kaiming,
    linear_default,
    logistic,
    meanfield,
    orthogonal,
    preactivation,
    recipes,
    residual,
    sampling,
    selu,
    sparse_init,
    torch_gains,
    truncated_normal,
    truncated_sampling,
    uniform,
    variance_scaling,
    zero_hadamard,
)

DERIVATIONS: tuple[Derivation, ...] = (
    uniform.DERIVATION,
    preactivation.DERIVATION,
    glorot.DERIVATION,
    kaiming.DERIVATION,
    depth.DERIVATION,
    logistic.DERIVATION,
    linear_default.DERIVATION,
    variance_scaling.DERIVATION,
    truncated_normal.DERIVATION,
    truncated_sampling.DERIVATION,
    inverse_transform.DERIVATION,
    fans.DERIVATION,
    orthogonal.DERIVATION,
    identity_init.DERIVATION,
    sparse_init.DERIVATION,
    residual.DERIVATION,
    meanfield.DERIVATION,
    torch_gains.DERIVATION,
    gaussian_moments.DERIVATION,
    selu.DERIVATION,
    zero_hadamard.DERIVATION,
    *recipes.DERIVATIONS,
    sampling.DERIVATION,
)

__all__ = ["DERIVATIONS", "Derivation", "Export", "Outcome", "Step", "check"]
