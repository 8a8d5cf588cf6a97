"""Gaussian moments: closed forms, adaptive quadrature against scipy.integrate.quad, divergence, bad input."""

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, special

from initref._generated import activations as registry
from initref.activations import registered, resolve
from initref.moments import (
    DivergentExpectationError,
    Moments,
    UnresolvedSingularityError,
    gaussian_expectation,
    gaussian_expectations,
    moments,
)

# The contract: relative error below 1e-12 (of E|g| for integrands that change sign).
TARGET = 1e-12


def quad_expectation(fn, q=1.0, kinks=()):
    """E[fn(z)], z ~ N(0, q), by scipy.integrate.quad on each smooth piece (an independent method)."""
    density = lambda x: math.exp(-x * x / (2 * q)) / math.sqrt(2 * math.pi * q)  # noqa: E731
    edges = [-math.inf, *sorted(kinks), math.inf]
    total = magnitude = 0.0
    # QUADPACK warns of roundoff on pieces that integrate to 0 (odd integrands); the result is still
    # compared at 1e-12 below, so a wrong reference would fail the test rather than hide.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        for low, high in zip(edges, edges[1:], strict=False):
            # epsrel 1e-13 (a tenth of the target); epsabs 1e-15 (a thousandth of it) for pieces integrating to 0.
            kwargs = {"epsabs": 1e-15, "epsrel": 1e-13, "limit": 400}
            total += integrate.quad(lambda x: float(fn(np.array([x]))[0]) * density(x), low, high, **kwargs)[0]
            magnitude += integrate.quad(lambda x: abs(float(fn(np.array([x]))[0])) * density(x), low, high,
                                        **kwargs)[0]
    return total, magnitude


@pytest.mark.parametrize("name", registered())
@pytest.mark.parametrize("q", [1.0, 3.0])
def test_quadrature_matches_scipy_quad(name, q):
    activation = resolve(name)
    m = moments(name, q, method="quadrature")
    for got, fn in ((m.mean, activation.numpy), (m.second, lambda x: activation.numpy(x) ** 2),
                    (m.derivative_second, lambda x: activation.numpy_derivative(x) ** 2)):
        want, scale = quad_expectation(fn, q, activation.kinks)
        assert abs(got - want) <= TARGET * scale, (got, want)


@pytest.mark.parametrize("name", sorted(registry.CLOSED_FORM))
@pytest.mark.parametrize("q", [0.25, 1.0, 4.0])
def test_closed_forms_match_quadrature(name, q):
    """Two independent routes: SymPy's integrals (derivation gaussian-moments) and numerical quadrature."""
    exact = moments(name, q, method="closed_form")
    numeric = moments(name, q, method="quadrature")
    assert exact.method == "closed form" and numeric.method == "quadrature"
    activation = resolve(name)
    mean_scale = gaussian_expectation(lambda x: np.abs(activation.numpy(x)), q, activation.kinks)  # E|f|
    assert abs(exact.mean - numeric.mean) <= TARGET * mean_scale
    assert exact.second == pytest.approx(numeric.second, rel=TARGET)
    assert exact.derivative_second == pytest.approx(numeric.derivative_second, rel=TARGET)


@pytest.mark.parametrize(("name", "param"), [("leaky_relu", 0.2), ("leaky_relu", -1.5), ("elu", 0.3), ("elu", 2.0)])
def test_closed_forms_with_parameters(name, param):
    exact = moments(name, 1.7, param, method="closed_form")
    numeric = moments(name, 1.7, param, method="quadrature")
    for a, b in ((exact.mean, numeric.mean), (exact.second, numeric.second),
                 (exact.derivative_second, numeric.derivative_second)):
        assert a == pytest.approx(b, rel=TARGET)


def test_relu_family_closed_forms_are_exact():
    # He et al. (2015), eq. 7: E[relu(z)^2] = q/2; E[relu'(z)^2] = 1/2.
    m = moments("relu", 3.0)
    assert (m.second, m.derivative_second, m.method) == (1.5, 0.5, "closed form")
    assert m.mean == pytest.approx(math.sqrt(3.0 / (2 * math.pi)), rel=1e-15)
    leaky = moments("leaky_relu", 2.0, 0.3)
    assert leaky.second == pytest.approx((1 + 0.3**2) * 2.0 / 2, rel=1e-15)
    assert moments("identity", 0.7).second == 0.7
    assert moments("abs", 0.7).second == 0.7


def test_selu_is_a_fixed_point_of_mean_zero_and_variance_one():
    # Klambauer et al. (2017), sec. 3: with alpha_01, lambda_01 the map keeps (mean, variance) = (0, 1).
    m = moments("selu", 1.0)
    assert abs(m.mean) <= TARGET
    assert m.second == pytest.approx(1.0, rel=TARGET)


@pytest.mark.parametrize(
    ("fn", "q", "exact"),
    [
        (lambda x: np.exp(0.7 * x), 2.0, math.exp(0.49 * 2.0 / 2)),  # lognormal mean
        (lambda x: x**4, 1.3, 3 * 1.3**2),  # 3 q^2
        (np.cos, 0.5, math.exp(-0.25)),  # characteristic function
        (lambda x: (x > 0.3).astype(float), 1.0, 0.5 * math.erfc(0.3 / math.sqrt(2))),  # an undeclared jump
        (lambda x: np.exp(x * x / 4), 1.0, math.sqrt(2)),  # 1/sqrt(1 - q/2)
        (lambda x: np.exp(2 * x), 25.0, math.exp(50.0)),  # mass far out: the domain widens
    ],
    ids=["lognormal", "fourth-moment", "cosine", "jump", "exp-x2-over-4", "far-tail"],
)
def test_gaussian_expectation_of_known_integrals(fn, q, exact):
    assert gaussian_expectation(fn, q) == pytest.approx(exact, rel=TARGET)


def test_declared_kinks_save_work():
    relu_squared = lambda x: np.maximum(x - 0.37, 0) ** 2  # noqa: E731
    blind = gaussian_expectations(relu_squared, 1.0)
    told = gaussian_expectations(relu_squared, 1.0, kinks=(0.37,))
    assert told.evaluations < blind.evaluations
    assert told.values[0] == pytest.approx(blind.values[0], rel=TARGET)
    # E[(z - a)_+^2] = (1 + a^2) Phi(-a) - a phi(a)
    a = 0.37
    exact = (1 + a * a) * 0.5 * special.erfc(a / math.sqrt(2)) - a * math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    assert told.values[0] == pytest.approx(exact, rel=TARGET)


def test_error_estimates_are_honest():
    result = gaussian_expectations(lambda x: np.tanh(x) ** 2, 1.0)
    want, _ = quad_expectation(lambda x: np.tanh(x) ** 2)
    assert result.converged
    assert abs(result.values[0] - want) <= result.errors[0] + 4 * np.finfo(float).eps * want


@pytest.mark.parametrize("fn", [lambda x: np.exp(x * x), lambda x: np.exp(x * x / 2), lambda x: np.exp(x**4)],
                         ids=["exp-x2", "exp-x2-over-2", "exp-x4"])
def test_infinite_expectations_are_reported(fn):
    with pytest.raises(DivergentExpectationError) as info:
        gaussian_expectation(fn)
    assert isinstance(info.value, ValueError)
    assert "infinite" in str(info.value)


def test_infinite_second_moment_of_an_activation():
    with pytest.raises(ValueError, match="infinite"):
        moments("exp(x**2)")


def absolute_moment(nu, mu=0.0, q=1.0):
    """E|z - mu|^nu for z ~ N(0, q): Winkelbauer (2012), Moments and absolute moments of the normal
    distribution, eq. 18, sigma^nu 2^(nu/2) Gamma((nu + 1)/2) / sqrt(pi) 1F1(-nu/2; 1/2; -mu^2/(2 sigma^2)),
    evaluated at 30 digits by mpmath."""
    import mpmath

    with mpmath.workdps(30):
        sigma = mpmath.sqrt(q)
        value = sigma**nu * 2 ** (nu / 2) * mpmath.gamma((nu + 1) / 2) / mpmath.sqrt(mpmath.pi)
        return float(value * mpmath.hyp1f1(-nu / 2, 0.5, -(mu**2) / (2 * q)))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8, 0.9, 0.99])
@pytest.mark.parametrize("q", [1.0, 3.0])
def test_integrable_singularity_at_zero_is_integrated_exactly(p, q):
    """|z|^-p for p < 1: the bisection stalls at 0, dyadic shells with a geometric tail finish the integral."""
    result = gaussian_expectations(lambda x: np.abs(x) ** -p, q)
    assert result.converged and result.values[0] == pytest.approx(absolute_moment(-p, q=q), rel=TARGET)
    if p >= 0.5:  # weaker singularities converge under bisection alone
        assert result.singular_points == (0.0,)


def test_integrable_singularity_away_from_zero():
    # |z - 1|^-0.2: the nodes next to z = 1 are rounded at 1e-16, which a weak singularity tolerates ...
    assert gaussian_expectation(lambda x: np.abs(x - 1) ** -0.2) == pytest.approx(absolute_moment(-0.2, 1.0),
                                                                                  rel=TARGET)
    # ... but a strong one keeps 1e-4 of its mass within 1e-10 of 1/3: the value is withheld, not returned wrong.
    with pytest.raises(UnresolvedSingularityError, match="singular at z = 0.333333.*withheld"):
        gaussian_expectation(lambda x: np.abs(x - 1 / 3) ** -0.9)


@pytest.mark.parametrize(
    ("act", "moments_named", "where"),
    [
        ("1/x", "E[f(z)], E[f(z)^2], E[f'(z)^2] are infinite", "near z = 0, f(z) ~ |z|^-1, f(z)^2 ~ |z|^-2"),
        ("1/(x - 1)", "E[f(z)], E[f(z)^2], E[f'(z)^2] are infinite", "near z = 1"),
        ("log(abs(x))", "E[f'(z)^2] is infinite", "near z = 0, f'(z)^2 ~ |z|^-2"),
        ("abs(x)**-0.4", "E[f'(z)^2] is infinite", "f'(z)^2 ~ |z|^-2.8"),
        ("sqrt(abs(x))", "E[f'(z)^2] is infinite", "f'(z)^2 ~ |z|^-1,"),  # a logarithmic divergence
        (lambda x: 1 / x, "E[f(z)], E[f(z)^2], E[f'(z)^2] are infinite", "near z = 0"),
        (lambda x: np.where(np.abs(x) < 0.1, np.inf, x), "E[f(z)], E[f(z)^2] are infinite", "not finite at z ="),
    ],
    ids=["pole", "pole-at-1", "log", "power", "sqrt", "callable-pole", "callable-inf"],
)
def test_non_integrable_singularities_name_the_moment_and_the_point(act, moments_named, where):
    with pytest.raises(DivergentExpectationError) as info:
        moments(act)
    assert moments_named in str(info.value) and where in str(info.value)
    assert isinstance(info.value, ValueError) and info.value.location is not None


def test_finite_moments_of_a_singular_activation():
    # E[f^2] of |z|^-0.4 is E|z|^-0.8, finite though its integrand is singular; E[f'^2] is not (see above).
    m = moments("abs(x)**-0.4", derivative=False)
    assert m.mean == pytest.approx(absolute_moment(-0.4), rel=TARGET)
    assert m.second == pytest.approx(absolute_moment(-0.8), rel=TARGET)
    # log|z| = log(chi^2_1)/2: mean (psi(1/2) + log 2)/2, variance psi'(1/2)/4 = pi^2/8 (Abramowitz & Stegun
    # 6.3.3 and 6.4.4).
    log_moments = moments("log(abs(x))", derivative=False)
    assert log_moments.mean == pytest.approx(-(np.euler_gamma + math.log(2)) / 2, rel=TARGET)
    assert log_moments.variance == pytest.approx(math.pi**2 / 8, rel=TARGET)


def test_finite_differences_that_cannot_see_an_infinite_slope_are_refused():
    # sqrt|x| has f' = sign(x)/(2 sqrt|x|), E[f'^2] infinite; differences of a NumPy callable stay bounded near 0,
    # and only their error bound shows it.
    with pytest.raises(UnresolvedSingularityError, match="finite differences"):
        moments(lambda x: np.sqrt(np.abs(x)))
    assert moments(lambda x: np.sqrt(np.abs(x)), derivative=False).second == pytest.approx(math.sqrt(2 / math.pi),
                                                                                           rel=TARGET)


def test_identically_zero_activation_has_zero_moments():
    m = moments("0*x")
    assert (m.mean, m.second, m.derivative_second) == (0.0, 0.0, 0.0)


def test_variance_property():
    m = Moments(mean=0.5, second=0.75, derivative_second=0.1, q=1.0, method="closed form", errors=(0, 0, 0))
    assert m.variance == 0.5
    sigmoid = moments("sigmoid")
    # E[sigma(z)] = 1/2 by the symmetry sigma(-x) = 1 - sigma(x).
    assert sigmoid.mean == pytest.approx(0.5, rel=TARGET)
    assert sigmoid.variance == pytest.approx(sigmoid.second - 0.25, rel=1e-12)


def test_finite_difference_derivative_carries_its_error():
    m = moments(np.abs)  # no complex step for |x|: Richardson differences, kink found by bisection
    assert m.derivative_second == pytest.approx(1.0, abs=m.errors[2])
    assert m.errors[2] < 1e-9
    assert m.second == pytest.approx(1.0, rel=TARGET)


def test_analytic_callable_is_as_accurate_as_the_registry():
    custom = moments(lambda x: x * np.tanh(np.log1p(np.exp(x))))
    mish = moments("mish")
    assert custom.second == pytest.approx(mish.second, rel=TARGET)
    assert custom.derivative_second == pytest.approx(mish.derivative_second, rel=TARGET)


def test_forward_only_moments_skip_the_derivative():
    m = moments("gelu", derivative=False)
    assert math.isnan(m.derivative_second)
    assert m.second == moments("gelu").second


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"q": 0.0}, ValueError, "q (the pre-activation variance) must be positive"),
        ({"q": -1.0}, ValueError, "must be positive"),
        ({"q": math.nan}, ValueError, "must be positive"),
        ({"q": math.inf}, ValueError, "must be positive"),
        ({"q": "1"}, TypeError, "must be a positive number"),
        ({"q": True}, TypeError, "must be a positive number"),
        ({"method": "exact"}, ValueError, "method must be one of"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error) as info:
        moments("tanh", **kwargs)
    assert message in str(info.value)


def test_closed_form_only_where_derived():
    with pytest.raises(ValueError, match="method='closed_form' needs one of"):
        moments("gelu", method="closed_form")


def test_noisy_integrand_costs_bounded_work_and_keeps_its_accuracy():
    """An integrand known only to 1e-12 (like an inner quadrature's result) cannot meet a 1e-13 target.

    The refinement must recognise noise and stop chasing it (without that rule this integrand takes
    25,722 evaluations; with it, 8,370 for this seed). Each value carries independent relative noise
    of standard deviation 1e-12 (seeded); the quadrature averages at least 738 of them, so its error
    has standard deviation below 1e-12 / sqrt(738 / 3) ~ 6e-14, and a 1e-12 miss is a 16-sigma event.
    """
    rng = np.random.default_rng(20240611)
    noisy = lambda x: np.tanh(x) ** 2 * (1 + 1e-12 * rng.standard_normal(np.shape(x)))  # noqa: E731
    result = gaussian_expectations(noisy, 1.0)
    assert result.evaluations <= 10_000
    assert result.values[0] == pytest.approx(moments("tanh").second, rel=TARGET)
    assert gaussian_expectation(noisy, 1.0, rtol=1e-10) == pytest.approx(moments("tanh").second, rel=TARGET)
