"""initref.verify: Monte Carlo verdicts per direction, mean-field agreement, the decision rule's level.

Every run has a fixed seed. Verdicts come from the rule under test (false-alarm probability at most
``level`` = 0.01 per run for both directions together); tolerances of the other statistical checks
are derived from a stated false-failure probability next to them.
"""

import functools
import math

import numpy as np
import pytest
from scipy import stats

import initref
from initref import gains, meanfield
from initref._generated import formulas
from initref.activations import registered
from initref.montecarlo import jacobian_singular_values, statistics
from initref.montecarlo.backends import get_backend
from initref.montecarlo.engine import simulate
from initref.montecarlo.networks import Network
from initref.montecarlo.weights import weight_spec

#: A deep, moderately wide stack: depth >= 32 as the issue asks; wide enough that the O(1/width)
#: corrections to mean-field theory stay inside the intervals, cheap enough for the suite.
RUN = {"depth": 32, "width": 256, "batch": 32, "networks": 8, "seed": 0}
#: Representatives run in the fast suite; the full registry runs under ``-m slow``.
FAST = ("identity", "relu", "tanh", "selu", "sigmoid", "gelu")


def _forward_slope(name):
    """L'(1) at the forward gain: > 1 means q = 1 is an unstable fixed point of the length map."""
    return meanfield.fixed_point(name, gains.gain(name) ** 2, 0.0, correlation=False).slope


def _consistent_with_mean_field(direction_result):
    """The interval holds the mean-field factor, an alarm points its way, and a 2% effect is seen."""
    mean_field, factor = direction_result.mean_field_factor, direction_result.factor
    if not direction_result.agrees_with_mean_field:
        return False
    if direction_result.verdict != "preserved" and (factor - 1) * (mean_field - 1) <= 0:
        return False
    return abs(mean_field - 1) < 0.02 or direction_result.verdict != "preserved"


def _check_forward_gain(name):
    result = initref.verify(name, **RUN)
    assert result.criterion == "forward"
    assert result.gain == pytest.approx(gains.gain(name), rel=1e-15)
    slope = _forward_slope(name)
    if slope > 1 + 1e-9:
        # GELU, SiLU, Mish, hardswish: at the forward gain q = 1 is an *unstable* fixed point of a
        # convex length map (L'(1) > 1, 0 attracts below, infinity above). Finite-width spread of
        # the per-input second moments is pushed up by the convexity and amplified by L'(1) per
        # layer, so the expected second moment grows although the mean field says it stays.
        assert result.forward.mean_field_factor == pytest.approx(1.0)
        assert result.forward.factor > 1 and result.forward.verdict != "vanishing"
        if slope >= 1.1:  # GELU 1.14, SiLU 1.17, hardswish 1.22; Mish (1.08) drifts too slowly to be sure
            assert result.forward.verdict == "exploding"
        return
    assert result.forward.verdict == "preserved"
    assert result.forward.agrees_with_mean_field
    # backward: the factor is chi_1 (1.18 for tanh, 1 for ReLU), not 1 -- assert what is true
    assert _consistent_with_mean_field(result.backward)


@pytest.mark.parametrize("name", FAST)
def test_forward_gain_preserves_forward_and_backward_follows_chi1(name):
    _check_forward_gain(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in registered() if n not in FAST])
def test_forward_gain_for_every_registered_activation(name):
    _check_forward_gain(name)


def test_tanh_trap_forward_preserved_backward_exploding_by_chi1():
    # DESIGN.md: at tanh's forward gain, chi_1 = sigma_w^2 E[tanh'(z)^2] ~ 1.18 per layer.
    result = initref.verify("tanh", **RUN)
    chi_1 = meanfield.chi_1("tanh", 1.0, result.weight_variance)
    assert chi_1 == pytest.approx(1.178, abs=1e-3)
    assert result.verdict == {"forward": "preserved", "backward": "exploding"}
    assert result.backward.interval[0] <= chi_1 <= result.backward.interval[1]
    assert result.backward.mean_field_factor == pytest.approx(chi_1, rel=1e-12)


def _check_gain_error(name, multiplier, expected):
    result = initref.verify(name, gain=gains.gain(name) * multiplier, **RUN)
    assert result.forward.verdict == expected
    assert result.forward.agrees_with_mean_field
    if name in ("identity", "relu", "leaky_relu", "abs"):  # homogeneous: chi_1 = sigma_w^2 E[f'^2] moves too
        assert result.backward.verdict == expected


@pytest.mark.parametrize("name", ["relu", "identity", "tanh"])
@pytest.mark.parametrize("multiplier, expected", [(1.1, "exploding"), (0.9, "vanishing")])
def test_ten_percent_gain_error_is_detected(name, multiplier, expected):
    _check_gain_error(name, multiplier, expected)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in registered() if n not in ("relu", "identity", "tanh", "gelu",
                                                                         "gelu_tanh")])
@pytest.mark.parametrize("multiplier, expected", [(1.1, "exploding"), (0.9, "vanishing")])
def test_ten_percent_gain_error_for_every_registered_activation(name, multiplier, expected):
    # (GELU and its tanh approximation at 0.9x fall towards q = 0 faster than the mean field predicts
    # at this width, the unstable fixed point again; their verdicts are checked, without the
    # mean-field comparison, in test_gelu_gain_error_verdicts.)
    _check_gain_error(name, multiplier, expected)


def test_gelu_gain_error_verdicts():
    for multiplier, expected in ((1.1, "exploding"), (0.9, "vanishing")):
        result = initref.verify("gelu", gain=gains.gain("gelu") * multiplier, **RUN)
        assert result.forward.verdict == expected


def test_sigmoid_with_torchs_gain_is_not_preserved():
    # torch.nn.init.calculate_gain("sigmoid") == 1 (torch/nn/init.py): q settles at q* ~ 0.3 < 1.
    result = initref.verify("sigmoid", criterion="torch", **RUN)
    assert result.gain == 1.0 and result.criterion == "torch"
    assert result.forward.verdict == "vanishing"
    assert result.forward.agrees_with_mean_field
    assert result.fixed_point["q_star"] < 0.5


def test_relu_with_gain_one_vanishes_at_half_per_layer():
    result = initref.verify("relu", gain=1.0, **RUN)
    assert result.verdict == {"forward": "vanishing", "backward": "vanishing"}
    for direction in (result.forward, result.backward):
        assert direction.mean_field_factor == pytest.approx(0.5, rel=1e-12)  # sigma_w^2 / 2
        assert direction.agrees_with_mean_field


def test_bias_variance_follows_the_mean_field_path():
    result = initref.verify("tanh", gain=1.2, bias_variance=0.3, **RUN)
    assert result.forward.agrees_with_mean_field and result.backward.agrees_with_mean_field
    point = meanfield.fixed_point("tanh", 1.44, 0.3)
    assert result.fixed_point["q_star"] == pytest.approx(point.q_star, rel=1e-12)
    # the measured second moment settles at q*: its last-layer interval holds the fixed point
    assert result.forward.second_moment_low[-1] <= point.q_star <= result.forward.second_moment_high[-1]


def test_residual_branch_scaling_grows_as_one_plus_alpha_squared():
    alpha = 0.3
    result = initref.verify("relu", architecture="residual", alpha=alpha, **RUN)
    growth = formulas.residual_variance_growth(alpha, RUN["depth"]) ** (1 / RUN["depth"])  # derivation residual
    assert result.forward.mean_field_factor == pytest.approx(growth, rel=1e-12)
    assert result.forward.verdict == "exploding" and result.forward.agrees_with_mean_field
    assert result.backward.verdict == "exploding" and result.backward.agrees_with_mean_field


def test_conv_stack_with_kaiming_is_preserved():
    result = initref.verify("relu", architecture="conv", width=16, kernel_size=3, spatial=6, depth=32, batch=4,
                            networks=8, seed=0)
    assert result.verdict == {"forward": "preserved", "backward": "preserved"}
    assert result.weight_variance == pytest.approx(2.0, rel=1e-12)  # fan_in = channels * 3 * 3


def test_initref_numpy_callable_initializer():
    init = functools.partial(initref.numpy.kaiming_normal, nonlinearity="relu")
    result = initref.verify("relu", init, **RUN)
    assert result.weight_variance_measured and result.criterion == "callable"
    # sigma_w^2 = fan_in * mean(w^2) over N = depth * networks * width^2 normal draws of variance
    # 2/fan_in: relative sd sqrt(2/N); two-sided p_fail = 1e-6 -> z = 4.89
    draws = RUN["depth"] * RUN["networks"] * RUN["width"] ** 2
    assert result.weight_variance == pytest.approx(2.0, rel=4.89 * math.sqrt(2 / draws))
    assert result.verdict == {"forward": "preserved", "backward": "preserved"}


def test_named_initializers_use_their_fan_and_distribution():
    for init in ("kaiming_uniform", "xavier_normal", "orthogonal", "truncated_normal"):
        result = initref.verify("relu", init, **{**RUN, "depth": 8})
        assert result.weight_variance == pytest.approx(2.0, rel=1e-12)
        assert result.forward.verdict == "preserved"
    lecun = initref.verify("selu", "lecun_normal", **{**RUN, "depth": 8})
    assert lecun.gain == 1.0 and lecun.criterion == "lecun" and lecun.forward.verdict == "preserved"


def _raw_moments(activation, direction, networks, *, width, batch, depth, seed):
    act = initref.activations.resolve(activation)
    spec = weight_spec("kaiming_normal", act, None, gain=None, std=None, criterion="forward")
    raw = simulate(Network("dense", width), spec, get_backend("numpy", act, dtype="float64"), depth=depth,
                   networks=networks, batch=batch, bias_std=0.0, input_std=1.0, seed=seed)
    return raw.forward_second if direction == "forward" else raw.backward_second


@pytest.mark.parametrize("activation, direction", [("identity", "forward"), ("identity", "backward"),
                                                   ("relu", "forward")])
def test_false_alarm_rate_matches_the_stated_level(activation, direction):
    # Many cheap runs of 6 networks each, at a gain under which E[q_L] = q_0 holds *exactly* at any
    # width (martingale: linear nets both ways, ReLU forward). Per-direction level 0.1 so that
    # false alarms are frequent enough to count; the rule must raise them at that rate. (20 000
    # pivot draws instead of 200 000: at level 0.1 each tail still holds 1 000 of them.)
    runs, size, alpha = 600, 6, 0.1
    moments = _raw_moments(activation, direction, runs * size, width=16, batch=8, depth=8, seed=11)
    alarms = sum(statistics.decide(moments[i:i + size], direction, alpha, draws=20_000).verdict != "preserved"
                 for i in range(0, runs * size, size))
    # binomial(600, 0.1): two-sided p_fail = 1e-6 interval for the count
    low_count, high_count = stats.binom.ppf([5e-7, 1 - 5e-7], runs, alpha)
    assert low_count <= alarms <= high_count


def test_family_wise_level_is_bonferroni():
    assert statistics.direction_level(0.01) == 0.005
    result = initref.verify("identity", **{**RUN, "depth": 4})
    assert result.forward.alpha == result.backward.alpha == 0.005 and result.level == 0.01


def test_orthogonal_weights_keep_every_singular_value_gaussian_ones_spread():
    # Saxe et al. (2013); Pennington et al. (2017): a deep linear net with orthogonal weights is an
    # isometry (every squared singular value 1); Gaussian weights spread them with variance ~ depth
    # (derivation ``orthogonal``, width -> infinity). At finite width n the exact expectation of the
    # empirical variance is m2 - s from the recurrences m2' = (1 + 1/n) m2 + s, s' = s + 2 m2 / n^2
    # (E[S_ij S_kl] for S = W^T W, Wishart moments), m2 = s = 1 at depth 0.
    depth, width, networks = 8, 64, 16
    orthogonal = jacobian_singular_values("identity", "orthogonal", depth=depth, width=width, networks=4)
    assert np.max(np.abs(orthogonal**2 - 1)) < 1e-10
    gaussian = jacobian_singular_values("identity", "kaiming_normal", depth=depth, width=width, networks=networks)
    spread = (gaussian**2).var(axis=1)
    m2 = s = 1.0
    for _ in range(depth):
        m2, s = (1 + 1 / width) * m2 + s, s + 2 * m2 / width**2
    # t interval over independent networks, two-sided p_fail = 1e-6
    t = stats.t.ppf(1 - 5e-7, networks - 1)
    assert abs(spread.mean() - (m2 - s)) <= t * spread.std(ddof=1) / math.sqrt(networks)
    assert m2 - s == pytest.approx(formulas.gaussian_jacobian_spectrum_variance(depth), rel=0.5)  # O(depth/n)
    assert spread.min() > 1.0  # far from isometry, unlike the orthogonal net


def test_checkpointing_gives_the_same_numbers_with_less_memory():
    act = initref.activations.resolve("tanh")
    spec = weight_spec("kaiming_normal", act, None, gain=None, std=None, criterion="forward")
    backend = get_backend("numpy", act)
    runs = {store: simulate(Network("dense", 64), spec, backend, depth=25, networks=3, batch=16, bias_std=0.1,
                            input_std=1.0, seed=4, store=store) for store in ("checkpoint", "all")}
    for field in ("forward_second", "forward_mean", "backward_ratio", "backward_correlation"):
        np.testing.assert_array_equal(getattr(runs["checkpoint"], field), getattr(runs["all"], field))
    layer = 3 * 16 * 64 * 4 + 3 * 64 * 64 * 4  # one stored signal and one weight, float32
    assert runs["all"].stored_bytes >= 25 * 3 * 16 * 64 * 4
    assert runs["checkpoint"].stored_bytes <= (2 * math.isqrt(25) + 2) * layer


def test_keep_activations_and_samples():
    result = initref.verify("relu", keep_activations=True, sample_layers=(0, 4), **{**RUN, "depth": 4})
    assert len(result.activations) == 5 and result.activations[0].shape == (8, 32, 256)
    assert sorted(result.samples) == [0, 4] and result.samples[0].size == 4096
    np.testing.assert_array_equal(result.samples[4], result.activations[4][0].ravel()[:4096])


def test_torch_backend_agrees_and_reads_no_device_value_inside_the_loop(monkeypatch):
    torch = pytest.importorskip("torch")

    def forbidden(*_args, **_kwargs):
        raise AssertionError("a host synchronisation inside the layer loop")

    result_numpy = initref.verify("tanh", **RUN)
    for name in ("item", "tolist", "__bool__", "__float__", "__int__"):
        monkeypatch.setattr(torch.Tensor, name, forbidden)
    act = initref.activations.resolve("tanh")
    spec = weight_spec("kaiming_normal", act, None, gain=None, std=None, criterion="forward")
    simulate(Network("dense", 32), spec, get_backend("torch", act, device="cpu"), depth=6, networks=2, batch=8,
             bias_std=0.1, input_std=1.0, seed=0)
    monkeypatch.undo()
    result_torch = initref.verify("tanh", backend="torch", device="cpu", **RUN)
    assert result_torch.config["device"] == "cpu"
    assert result_torch.verdict == result_numpy.verdict == {"forward": "preserved", "backward": "exploding"}
    assert result_torch.backward.agrees_with_mean_field


def test_result_json_has_the_promised_fields():
    import json

    result = initref.verify("relu", **{**RUN, "depth": 4})
    data = json.loads(result.to_json())
    assert data["verdict"] == {"forward": result.forward.verdict, "backward": result.backward.verdict}
    for direction in ("forward", "backward"):
        factor = data["per_layer_factor"][direction]
        assert factor["interval"][0] <= factor["estimate"] <= factor["interval"][1]
        assert len(data["second_moments"][direction]) == 5
    assert data["criterion"] == "forward" and "Bonferroni" in data["decision_rule"]


@pytest.mark.parametrize("kwargs, message", [
    ({"networks": 1}, "networks must be an int >= 2"),
    ({"depth": 0}, "depth must be an int >= 1"),
    ({"init": "kaiming"}, "init must be one of"),
    ({"gain": 1.0, "std": 0.1}, "give gain or std, not both"),
    ({"gain": -1.0}, "gain must be a positive finite number"),
    ({"backend": "jax"}, "backend must be one of 'numpy', 'torch'"),
    ({"architecture": "transformer"}, "architecture must be one of 'dense', 'conv', 'residual'"),
    ({"criterion": "fastest"}, "criterion must be one of"),
    ({"level": 1.5}, "level must be a probability"),
    ({"dtype": "float16"}, "dtype must be one of 'float32', 'float64'"),
    ({"store": "none"}, "store must be one of 'checkpoint', 'all'"),
    ({"bias_variance": -0.1}, "bias_variance must be a finite number >= 0"),
])
def test_bad_input_names_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        initref.verify("relu", **{**{"depth": 2, "width": 8, "batch": 2, "networks": 2}, **kwargs})


def test_plots_are_written(tmp_path):
    pytest.importorskip("matplotlib")
    from initref.montecarlo import plots

    base = gains.gain("tanh")
    runs = {f"x{m}": initref.verify("tanh", gain=base * m, **{**RUN, "depth": 8, "width": 64, "batch": 8})
            for m in (0.8, 1.0, 1.25)}
    for draw in (plots.plot_depth_profiles, plots.plot_histograms, plots.plot_verification):
        path = draw(runs, tmp_path / f"{draw.__name__}.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bare = {"none": initref.verify("tanh", sample_layers=(), **{**RUN, "depth": 4, "width": 32, "batch": 4})}
    with pytest.raises(ValueError, match="no samples"):
        plots.plot_histograms(bare, tmp_path / "empty.png")


def test_depth_profiles_draw_each_run_with_its_verdict_and_the_mean_field(tmp_path, monkeypatch):
    """What the figure shows: per direction, a log axis with a measured and a dashed mean-field curve per run."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from initref.montecarlo import plots

    saved = []
    monkeypatch.setattr(Figure, "savefig", lambda figure, path: saved.append(figure))
    runs = {f"x{m}": initref.verify("relu", gain=gains.gain("relu") * m, **{**RUN, "depth": 8, "width": 64,
                                                                            "batch": 8}) for m in (0.8, 1.25)}
    plots.plot_depth_profiles(runs, tmp_path / "profiles.png")
    forward, backward = saved[0].axes
    for axis, direction in ((forward, "forward"), (backward, "backward")):
        assert axis.get_yscale() == "log" and axis.get_title().startswith(direction)
        assert [line.get_linestyle() for line in axis.get_lines()] == ["-", "--", "-", "--"]
        legend = [text.get_text() for text in axis.get_legend().get_texts()]
        assert legend[0].startswith("x0.8: vanishing") and legend[1].startswith("x1.25: exploding")
        measured = axis.get_lines()[0].get_ydata()  # gain too small: smaller away from where the signal enters
        assert (measured[-1] < measured[0]) if direction == "forward" else (measured[0] < measured[-1])


def test_histogram_grid_has_a_row_per_run_and_a_column_per_sampled_layer(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from initref.montecarlo import plots

    saved = []
    monkeypatch.setattr(Figure, "savefig", lambda figure, path: saved.append(figure))
    runs = {label: initref.verify("tanh", sample_layers=(0, 2, 4), **{**RUN, "depth": 4, "width": 32, "batch": 4})
            for label in ("a", "b")}
    plots.plot_histograms(runs, tmp_path / "grid.png")
    grid = saved[0].axes
    assert [axis.get_title() for axis in grid] == [f"layer {layer}" for _ in "ab" for layer in (0, 2, 4)]
    assert [grid[0].get_ylabel(), grid[3].get_ylabel()] == ["a", "b"]
    assert all(axis.patches for axis in grid)  # every panel holds a histogram


@pytest.mark.parametrize(("name", "param"), [("leaky_relu", 0.25), ("elu", 0.5)])
def test_a_parameter_sets_the_derived_gain(name, param):
    result = initref.verify(name, param=param, depth=4, width=16, batch=4, networks=2)
    assert result.gain == gains.gain(name, param) != gains.gain(name)
