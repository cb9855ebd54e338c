"""The mlp_backprop family: finite differences of an independent numpy network over hundreds
of seeds, two networks worked by hand, options, validation and the statement."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.grader.course.assignment import parse_assignment
from calcgrade.grader.grading.marking import mark_problem
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

from ..sweep import sweep

family = get_family("mlp_backprop")

ACTIVATIONS = ("sigmoid", "tanh", "relu")
OUTPUTS = ("sigmoid_mse", "sigmoid_cross_entropy", "softmax_cross_entropy")
COMBINATIONS = list(itertools.product((1, 2), ACTIVATIONS, OUTPUTS))
H = 1e-6


# the oracle: the network written again with numpy, differentiated by central differences --

def layer_count(params) -> int:
    return 3 if "W3" in params else 2


def numpy_forward(params, masks=None, bump=None):
    """zs, activations and loss; ``masks`` freezes each ReLU layer to z ↦ mask·z, ``bump``
    = (layer, index, h) adds h to z[layer][index] before its activation."""
    a = np.asarray(params["x"], dtype=float)
    y = np.asarray(params["y"], dtype=float)
    zs, activations = [], [a]
    count = layer_count(params)
    for l in range(1, count + 1):
        W = np.asarray(params[f"W{l}"], dtype=float)
        z = W @ a + np.asarray(params[f"b{l}"], dtype=float)
        if bump is not None and bump[0] == l:
            z = z.copy()
            z[bump[1]] += bump[2]
        zs.append(z)
        if l < count:
            kind = params["activation"]
            if kind == "sigmoid":
                a = 1 / (1 + np.exp(-z))
            elif kind == "tanh":
                a = np.tanh(z)
            else:
                a = masks[l - 1] * z if masks is not None else np.maximum(z, 0.0)
        elif params["output"].startswith("softmax"):
            e = np.exp(z - z.max())
            a = e / e.sum()
        else:
            a = 1 / (1 + np.exp(-z))
        activations.append(a)
    if params["output"] == "sigmoid_mse":
        loss = 0.5 * np.sum((a - y) ** 2)
    elif params["output"] == "sigmoid_cross_entropy":
        loss = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a))
    else:
        loss = -np.sum(y * np.log(a))
    return zs, activations, float(loss)


def bumped(params, name, index, h):
    """A copy of params with entry ``index`` (a tuple) of ``name`` moved by h."""
    value = np.array(params[name], dtype=float)
    value[index] += h
    return {**params, name: value.tolist()}


def relu_masks(params):
    """The ReLU pattern at the given params, a unit with z = 0 inactive (ReLU′(0) = 0):
    the loss with the pattern frozen is smooth and its gradient is the convention's."""
    if params["activation"] != "relu":
        return None
    zs, _, _ = numpy_forward(params)
    return [(z > 0).astype(float) for z in zs[:-1]]


def difference(params, name, index, masks):
    up = numpy_forward(bumped(params, name, index, H), masks)[2]
    down = numpy_forward(bumped(params, name, index, -H), masks)[2]
    return (up - down) / (2 * H)


def assert_close(value, expected, what):
    value, expected = np.asarray(value, dtype=float), np.asarray(expected, dtype=float)
    assert value.shape == expected.shape, what
    assert np.allclose(value, expected, rtol=1e-5, atol=1e-7), (what, value, expected)


def check_against_oracle(params):
    answers = family.solve(params)
    masks = relu_masks(params)
    zs, activations, loss = numpy_forward(params)
    count = layer_count(params)
    assert_close(answers["loss"], loss, "loss")
    for l in range(1, count + 1):
        assert_close(answers[f"z{l}"], zs[l - 1], f"z{l}")
        assert_close(answers[f"a{l}"], activations[l], f"a{l}")
        W = np.asarray(params[f"W{l}"], dtype=float)
        grad_W = [[difference(params, f"W{l}", (i, j), masks) for j in range(W.shape[1])]
                  for i in range(W.shape[0])]
        assert_close(answers[f"grad_W{l}"], grad_W, f"grad_W{l}")
        grad_b = [difference(params, f"b{l}", (i,), masks) for i in range(W.shape[0])]
        assert_close(answers[f"grad_b{l}"], grad_b, f"grad_b{l}")
        delta = [(numpy_forward(params, masks, (l, i, H))[2] - numpy_forward(params, masks, (l, i, -H))[2])
                 / (2 * H) for i in range(W.shape[0])]
        assert_close(answers[f"delta{l}"], delta, f"delta{l}")


@pytest.mark.parametrize("count", sweep(300))
def test_every_gradient_matches_finite_differences_of_an_independent_network(count):
    for seed in range(count):
        layers, activation, output = COMBINATIONS[seed % len(COMBINATIONS)]
        params = family.sample(generator(seed), layers=layers, activation=activation, output=output)
        check_against_oracle(params)


@pytest.mark.parametrize("count", sweep(200))
def test_default_variants_match_the_oracle_too(count):
    for seed in range(count):
        check_against_oracle(family.sample(generator(10_000 + seed)))


def test_relu_units_sit_exactly_at_zero_in_some_variants_and_pass_no_error_back():
    at_zero = 0
    for seed in range(100):
        params = family.sample(generator(seed), activation="relu")
        answers = family.solve(params)
        for l in range(1, layer_count(params)):
            for i, z in enumerate(answers[f"z{l}"]):
                if z == 0:
                    at_zero += 1
                    assert answers[f"delta{l}"][i] == 0 and answers[f"a{l}"][i] == 0
    assert at_zero >= 3


@st.composite
def networks(draw):
    """Any small network with real-valued parameters (not only the sampler's nice numbers)."""
    numbers = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3))
    sizes = draw(st.lists(st.integers(1, 3), min_size=3, max_size=4))
    output = draw(st.sampled_from(OUTPUTS))
    if output.startswith("softmax"):
        sizes[-1] = max(sizes[-1], 2)
    params = {"x": draw(st.lists(numbers, min_size=sizes[0], max_size=sizes[0])),
              "activation": draw(st.sampled_from(ACTIVATIONS)), "output": output}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = [draw(st.lists(numbers, min_size=sizes[l - 1], max_size=sizes[l - 1]))
                           for _ in range(sizes[l])]
        params[f"b{l}"] = draw(st.lists(numbers, min_size=sizes[l], max_size=sizes[l]))
    if output.startswith("softmax"):
        label = draw(st.integers(0, sizes[-1] - 1))
        params["y"] = [1 if i == label else 0 for i in range(sizes[-1])]
    else:
        params["y"] = draw(st.lists(st.sampled_from((0, 0.25, 1)), min_size=sizes[-1], max_size=sizes[-1]))
    return params


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_explicit_networks_with_any_numbers_match_finite_differences(params):
    params = family.validate(params)
    if params["activation"] == "relu":  # keep away from the kink, where differences jump
        zs, _, _ = numpy_forward(params)
        assume(all(abs(v) > 1e-3 for z in zs[:-1] for v in z))
    check_against_oracle(params)


# worked by hand ------------------------------------------------------------------------------

RELU_NET = {"x": [2, 1], "y": [1],
            "W1": [[1, -1], [-1, 0.5], [0.5, -1]], "b1": [0, 0.5, 0],
            "W2": [[1, 2, -1]], "b2": [-1],
            "activation": "relu", "output": "sigmoid_cross_entropy"}


def test_a_two_layer_relu_network_worked_by_hand():
    # z1 = W1 x + b1 = (2 − 1 + 0, −2 + 0.5 + 0.5, 1 − 1 + 0) = (1, −1, 0)
    # a1 = ReLU(z1) = (1, 0, 0)
    # z2 = 1·1 + 2·0 − 1·0 − 1 = 0, so ŷ = σ(0) = 1/2 and L = −ln(1/2) = ln 2
    # δ2 = ŷ − y = −1/2 (sigmoid with cross-entropy: the σ′ cancels)
    # W2ᵀ δ2 = (−1/2, −1, 1/2); ReLU′(z1) = (1, 0, 0) with ReLU′(0) = 0, so δ1 = (−1/2, 0, 0)
    # ∂L/∂W2 = δ2 a1ᵀ = (−1/2, 0, 0); ∂L/∂b2 = δ2
    # ∂L/∂W1 = δ1 xᵀ = ((−1, −1/2), (0, 0), (0, 0)); ∂L/∂b1 = δ1
    answers = family.solve(family.validate(RELU_NET))
    assert answers["z1"] == [1, -1, 0] and answers["a1"] == [1, 0, 0]
    assert answers["z2"] == [0] and answers["a2"] == [0.5]
    assert answers["loss"] == pytest.approx(math.log(2))
    assert answers["delta2"] == [-0.5] and answers["delta1"] == [-0.5, 0, 0]
    assert answers["grad_W2"] == [[-0.5, 0, 0]] and answers["grad_b2"] == [-0.5]
    assert answers["grad_W1"] == [[-1, -0.5], [0, 0], [0, 0]] and answers["grad_b1"] == [-0.5, 0, 0]


def diagnosed(params):
    return {mistake.split(".")[1]: buggy for mistake, buggy in family.diagnose(family.validate(params)).items()}


def test_the_mistakes_on_the_relu_network_worked_by_hand():
    buggy = diagnosed(RELU_NET)
    # ReLU′(0) = 1 lets the unit at z = 0 pass W2ᵀδ2 = 1/2 back; no activation derivative passes all
    assert buggy["relu_prime_at_zero"]["delta1"] == [-0.5, 0, 0.5]
    assert buggy["relu_prime_at_zero"]["grad_W1"] == [[-1, -0.5], [0, 0], [1, 0.5]]
    assert buggy["no_activation_derivative"]["delta1"] == [-0.5, -1, 0.5]
    # σ′(0) = 1/4 multiplied in once too often
    assert buggy["cross_entropy_with_sigma_prime"]["delta2"] == [-0.125]
    assert buggy["cross_entropy_with_sigma_prime"]["delta1"] == [-0.125, 0, 0]
    assert buggy["zero_bias_gradient"] == {"grad_b1": [0, 0, 0], "grad_b2": [0]}
    # δ a ᵀ the other way round: a 2 × 3 matrix where W1 is 3 × 2; grad_W2 is one row either way
    assert buggy["transposed_weight_gradient"] == {"grad_W1": [[-1, 0, 0], [-0.5, 0, 0]]}
    # W2 is not square (and δ2 has one entry), MSE is not the loss: these do not arise
    assert "transposed_backprop" not in buggy and "mse_without_sigma_prime" not in buggy


def test_with_the_squared_error_the_output_delta_keeps_sigma_prime():
    params = family.validate({**RELU_NET, "output": "sigmoid_mse"})
    answers = family.solve(params)
    # L = ½(ŷ − y)² = 1/8; δ2 = (ŷ − y) σ′(0) = −1/2 · 1/4
    assert answers["loss"] == 0.125 and answers["delta2"] == [-0.125]
    assert answers["grad_W1"] == [[-0.25, -0.125], [0, 0], [0, 0]]
    buggy = diagnosed(params)
    assert buggy["mse_without_sigma_prime"]["delta2"] == [-0.5]
    assert buggy["mse_without_sigma_prime"]["grad_W1"] == [[-1, -0.5], [0, 0], [0, 0]]
    assert "cross_entropy_with_sigma_prime" not in buggy


SOFTMAX_NET = {"x": [1, 2], "y": [1, 0],
               "W1": [[1, 0], [-1, 1]], "b1": [0, 0],
               "W2": [[1, 0], [2, -1]], "b2": [0, 0],
               "activation": "relu", "output": "softmax_cross_entropy"}


def test_a_softmax_network_worked_by_hand_and_its_transposes():
    # z1 = (1, −1 + 2) = (1, 1) = a1; z2 = (1, 2 − 1) = (1, 1), so p = (1/2, 1/2), L = ln 2
    # δ2 = p − y = (−1/2, 1/2); W2ᵀ δ2 = (−1/2 + 1, 0 − 1/2) = (1/2, −1/2) = δ1 (both units active)
    answers = family.solve(family.validate(SOFTMAX_NET))
    assert answers["a2"] == [0.5, 0.5] and answers["loss"] == pytest.approx(math.log(2))
    assert answers["delta2"] == [-0.5, 0.5] and answers["delta1"] == [0.5, -0.5]
    assert answers["grad_W1"] == [[0.5, 1], [-0.5, -1]]
    assert answers["grad_W2"] == [[-0.5, -0.5], [0.5, 0.5]]
    buggy = diagnosed(SOFTMAX_NET)
    # W2 δ2 instead of W2ᵀ δ2: (−1/2, −1 − 1/2)
    assert buggy["transposed_backprop"]["delta1"] == [-0.5, -1.5]
    assert buggy["transposed_weight_gradient"] == {"grad_W1": [[0.5, -0.5], [1, -1]],
                                                   "grad_W2": [[-0.5, 0.5], [-0.5, 0.5]]}
    # p ⊙ (1 − p) = 1/4 on each entry
    assert buggy["cross_entropy_with_sigma_prime"]["delta2"] == [-0.125, 0.125]


def test_every_part_a_mistake_changes_is_wrong_on_the_hand_examples():
    for net in (RELU_NET, SOFTMAX_NET):
        params = family.validate(net)
        reference, specs = family.solve(params), family.answer_specs(params)
        for mistake, buggy in family.diagnose(params).items():
            for name, value in buggy.items():
                assert not answer_matches(specs[name], value, reference[name]), (mistake, name)


def test_a_transposed_gradient_is_a_shape_error_named_as_the_mistake_when_graded():
    text = ('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "mlp_backprop"\npoints = 13\n'
            'params = { x = [2, 1], y = [1], W1 = [[1, -1], [-1, 0.5], [0.5, -1]], b1 = [0, 0.5, 0], '
            'W2 = [[1, 2, -1]], b2 = [-1], activation = "relu", output = "sigmoid_cross_entropy" }\n')
    problem = parse_assignment(text, "a.toml").problems[0]
    answers = family.solve(problem.params)
    submitted = {**answers, "grad_W1": [[-1, 0, 0], [-0.5, 0, 0]]}
    marks = {m.answer: m for m in mark_problem(problem, problem.params, submitted)}
    assert marks["grad_W1"].status == "format_error" and marks["grad_W1"].score == 0
    assert marks["grad_W1"].mistake == "mlp_backprop.transposed_weight_gradient"
    assert "3 rows" in marks["grad_W1"].feedback
    assert all(marks[name].status == "correct" for name in answers if name != "grad_W1")


# options, sampling, validation, statement ----------------------------------------------------

def test_options_choose_the_architecture():
    for layers, activation, output in COMBINATIONS:
        for seed in range(3):
            params = family.sample(generator(seed), layers=layers, activation=activation, output=output)
            assert layer_count(params) == layers + 1
            assert params["activation"] == activation and params["output"] == output
            outputs = len(params["y"])
            assert outputs == 1 if output.startswith("sigmoid") else outputs in (2, 3)
            assert sum(params["y"]) == 1 if output.startswith("softmax") else params["y"] in ([0], [1])
    with pytest.raises(OptionsError, match="layers"):
        family.sample(generator(0), layers=3)
    with pytest.raises(OptionsError, match="activation"):
        family.sample(generator(0), activation="softplus")


def test_default_sampling_covers_every_architecture():
    seen = set()
    for seed in range(150):
        params = family.sample(generator(seed))
        seen.add((layer_count(params) - 1, params["activation"], params["output"]))
    assert seen == set(COMBINATIONS)


def test_sampled_numbers_are_halves_a_student_can_work_with():
    for seed in range(100):
        params = family.sample(generator(seed))
        for name, value in params.items():
            if name.startswith(("W", "b", "x")):
                entries = np.ravel(np.asarray(value, dtype=float))
                assert np.all(entries * 2 == np.round(entries * 2)) and np.all(np.abs(entries) <= 2)
        zs, _, _ = numpy_forward(params)
        assert all(np.all(np.abs(z) <= 4) for z in zs)


def test_answer_names_follow_the_number_of_layers():
    assert family.answer_names(family.validate(RELU_NET)) == [
        "z1", "a1", "z2", "a2", "loss", "delta2", "delta1", "grad_W1", "grad_b1", "grad_W2", "grad_b2"]
    params = family.sample(generator(0), layers=2)
    assert family.answer_names(params) == [
        "z1", "a1", "z2", "a2", "z3", "a3", "loss", "delta3", "delta2", "delta1",
        "grad_W1", "grad_b1", "grad_W2", "grad_b2", "grad_W3", "grad_b3"]
    assert set(family.solve(params)) == set(family.answer_names(params))


@pytest.mark.parametrize("change, fragment", [
    ({"W1": [[1, -1, 2], [-1, 0.5, 2], [0.5, -1, 2]]}, r"W1 must have one column per unit of layer 0 \(x has 2"),
    ({"b1": [0, 0.5]}, "b1 must have 3 entries, one per row of W1, not 2"),
    ({"W2": [[1, 2]]}, r"W2 must have one column per unit of layer 1 \(W1 has 3 rows\), not 2"),
    ({"y": [1, 0]}, "y must have 1 entry, one per output unit"),
    ({"y": [2]}, r"'y' must lie in \[0, 1\], not 2"),
    ({"W3": [[1]]}, "'W3' needs 'b3'"),
    ({"W1": [[1, -1], [-1]]}, "every row of 'W1' must have 2 entries"),
    ({"W1": [1, 2]}, "'W1' must be a matrix given as a list of rows"),
    ({"W1": [[1, "a"], [0, 1], [1, 1]]}, "'W1' must be a number"),
    ({"W1": [[1e9, 1], [0, 1], [1, 1]]}, r"'W1' must lie in"),
    ({"activation": "softplus"}, "'activation' must be one of sigmoid, tanh, relu"),
    ({"output": "softmax_cross_entropy"}, "a softmax output needs at least 2 units"),
    ({"loss": "mse"}, "unknown param 'loss'"),
])
def test_bad_params_are_named(change, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate({**RELU_NET, **change})


def test_a_softmax_target_must_be_one_hot():
    with pytest.raises(ParamsError, match="y must be one-hot"):
        family.validate({**SOFTMAX_NET, "y": [1, 1]})


def test_a_missing_layer_param_is_named():
    params = dict(RELU_NET)
    del params["b2"]
    with pytest.raises(ParamsError, match="'b2' is missing"):
        family.validate(params)


def test_the_statement_states_every_convention_and_names_every_answer_without_values():
    params = family.validate(RELU_NET)
    text = family.statement(params)
    for fragment in ("column vectors", r"W^{[l]}\,\mathbf{a}^{[l-1]} + \mathbf{b}^{[l]}",
                     r"n_l \times n_{l-1}", r"\operatorname{ReLU}'(0) = 0", r"\ln", "(2, 3, 1)",
                     r"\begin{pmatrix} 1 & -1 \\ -1 & 0.5 \\ 0.5 & -1 \end{pmatrix}",
                     "3 rows of 2 numbers"):
        assert fragment in text, fragment
    for name in family.answer_names(params):
        assert f"`{name}`" in text
    assert "0.693" not in text
    mse = family.statement(family.validate({**RELU_NET, "output": "sigmoid_mse", "activation": "tanh"}))
    assert r"\tfrac{1}{2}" in mse and r"1 - \tanh^2(z)" in mse and "ReLU" not in mse
    softmax = family.statement(family.validate(SOFTMAX_NET))
    assert "softmax" in softmax and "one-hot" in softmax
