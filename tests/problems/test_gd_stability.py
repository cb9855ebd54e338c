"""The gd_stability family: options, validation messages and each mistake on a hand example."""

from __future__ import annotations

import numpy as np
import pytest

from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

family = get_family("gd_stability")
HAND = {"A": [[5, 2], [2, 2]]}  # eigenvalues 1 and 6


@pytest.mark.parametrize("dims", [2, 3])
def test_option_dims_gives_symmetric_positive_definite_integer_matrices(dims):
    for seed in range(30):
        matrix = family.sample(generator(seed), dims=dims)["A"]
        a = np.array(matrix)
        assert a.shape == (dims, dims) and a.dtype.kind == "i"
        assert (a == a.T).all() and np.linalg.eigvalsh(a)[0] > 0


def test_both_sizes_occur_by_default():
    assert {len(family.sample(generator(s))["A"]) for s in range(30)} == {2, 3}


def test_statement_names_the_answers_and_states_the_update():
    text = family.statement(family.validate(HAND))
    for name in ("max_rate", "best_rate", "factor", "eigenvalues"):
        assert f"`{name}`" in text
    assert r"\theta - \alpha \nabla f(\theta)" in text and r"\tfrac{1}{2}" in text
    assert "1/3" not in text and "0.333" not in text


@pytest.mark.parametrize("matrix, fragment", [
    ([[1, 0], [0, 1], [0, 0]], "must be square"),
    ([[1, 2, 3], [2, 1, 3]], "must be square"),
    ([[1]], "2×2 or 3×3"),
    ("[[1, 0], [0, 1]]", "2×2 or 3×3"),
    ([[2, 1], [0, 2]], "must be symmetric"),
    ([[1, 2], [2, 1]], "must be positive definite"),
    ([[1, 0], [0, "x"]], "must be a number"),
])
def test_bad_params_are_named(matrix, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate({"A": matrix})


def test_mistakes_on_the_hand_example():
    params = family.validate(HAND)
    answers = family.solve(params)
    assert answers["eigenvalues"] == pytest.approx([1, 6])
    assert answers["max_rate"] == pytest.approx(1 / 3)
    assert answers["best_rate"] == pytest.approx(2 / 7)
    assert answers["factor"] == pytest.approx(5 / 7)
    found = family.diagnose(params)
    assert found["gd_stability.one_over_lmax"] == {"max_rate": pytest.approx(1 / 6)}
    assert found["gd_stability.two_over_lmin"] == {"max_rate": pytest.approx(2.0)}
    assert found["gd_stability.kappa_as_factor"] == {"factor": pytest.approx(6.0)}
    assert found["gd_stability.used_trace"] == {"max_rate": pytest.approx(2 / 7)}
    diagonal = found["gd_stability.diagonal_as_eigenvalues"]
    assert diagonal["eigenvalues"] == [2.0, 5.0] and diagonal["max_rate"] == pytest.approx(0.4)
    assert family.answers["eigenvalues"].unordered  # [6, 1] is right too, so no mistake names it
    assert set(found) == {m.id for m in family.mistakes()}


def test_diagonal_mistake_does_not_arise_for_a_diagonal_matrix():
    found = family.diagnose(family.validate({"A": [[2, 0], [0, 8]]}))
    assert "gd_stability.diagonal_as_eigenvalues" not in found
