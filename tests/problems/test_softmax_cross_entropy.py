"""The softmax_cross_entropy family: options, validation and its mistakes on a hand example."""

from __future__ import annotations

import math

import pytest

from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from tests.sweep import sweep

family = get_family("softmax_cross_entropy")


def test_option_classes_sets_the_length_and_the_label_range():
    for n in (3, 4, 5):
        for seed in range(20):
            params = family.sample(generator(seed), classes=n)
            assert len(params["scores"]) == n and 0 <= params["label"] < n
    assert {len(family.sample(generator(s))["scores"]) for s in range(60)} == {3, 4, 5}
    with pytest.raises(OptionsError, match="classes"):
        family.sample(generator(0), classes=7)


def test_every_class_is_the_true_one_sometimes():
    assert {family.sample(generator(s), classes=3)["label"] for s in range(60)} == {0, 1, 2}


@pytest.mark.parametrize("params, fragment", [
    ({"scores": [1, 2, 3], "label": 3}, "'label' must be between 0 and 2"),
    ({"scores": [1, 2, 3], "label": 1.0}, "'label' must be a whole number"),
    ({"scores": [1], "label": 0}, "between 2 and 10 entries"),
    ({"scores": [1, "2"], "label": 0}, "'scores' must be a number"),
    ({"scores": [1, 900], "label": 0}, r"must lie in \[-500, 500\]"),
    ({"scores": [1, 2]}, "'label' is missing"),
    ({"scores": [1, 2], "label": 0, "y": 1}, "unknown param 'y'"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_statement_names_the_label_and_every_answer_without_values():
    params = family.validate({"scores": [2, 1, 0.1], "label": 0})
    text = family.statement(params)
    for name in ("`probabilities`", "`loss`", "`gradient`", "`label`", "counted from 0", r"\ln"):
        assert name in text
    assert "0.659" not in text and "0.417" not in text


HAND = {"scores": [2, 1, 0.1], "label": 1}  # p ≈ (0.6590, 0.2424, 0.0986), L = −ln 0.2424


def diagnosed(mistake):
    return family.diagnose(family.validate(HAND)).get(f"softmax_cross_entropy.{mistake}")


def test_log_base_10():
    assert diagnosed("log_base_10")["loss"] == pytest.approx(-math.log10(0.24243), abs=1e-4)


def test_gradient_sign():
    assert diagnosed("gradient_sign")["gradient"] == pytest.approx([-0.6590, 1 - 0.2424, -0.0986], abs=1e-4)


def test_not_normalized():
    buggy = diagnosed("not_normalized")
    assert buggy["probabilities"] == pytest.approx([math.e**2, math.e, math.exp(0.1)])
    assert buggy["loss"] == pytest.approx(-1.0)
    assert buggy["gradient"][1] == pytest.approx(math.e - 1)


def test_largest_probability_only_when_the_label_is_not_the_top_class():
    assert diagnosed("largest_probability")["loss"] == pytest.approx(-math.log(0.65900), abs=1e-4)
    top = family.validate({"scores": [2, 1, 0.1], "label": 0})
    assert "softmax_cross_entropy.largest_probability" not in family.diagnose(top)


def test_every_part_a_mistake_changes_is_wrong_on_the_hand_example():
    from calcgrade.core.answers import answer_matches
    params = family.validate(HAND)
    reference = family.solve(params)
    for mistake_id, buggy in family.diagnose(params).items():
        for name, value in buggy.items():
            assert not answer_matches(family.answers[name], value, reference[name]), (mistake_id, name)


# --- answer = "code" --------------------------------------------------------------------------

def _code_marks(namespace, params):
    import numpy as np  # noqa: F401 - the student functions below use it

    from calcgrade.core.functions import case_inputs
    from calcgrade.grader.course.assignment import parse_assignment
    from calcgrade.grader.grading.marking import mark_problem
    from calcgrade.grader.sandbox.runner import call_functions

    problem = parse_assignment('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "softmax_cross_entropy"\n'
                               'points = 3\noptions = { answer = "code" }\n', "a.toml").problems[0]
    reference, specs = family.solve(params), problem.answer_specs(params)
    calls = call_functions(namespace, {n: case_inputs(reference[n]) for n in specs})
    answers = {n: {"$marker": "function"} for n in specs}
    return {m.answer: m for m in mark_problem(problem, params, answers, calls=calls)}


def test_a_naive_softmax_overflows_and_columns_are_a_named_mistake():
    import numpy as np

    params = family.validate({"scores": [2, 1, 0.1], "label": 0, "answer": "code"})

    def naive(z):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def columns(z):
        e = np.exp(z - z.max(axis=0))
        return e / e.sum(axis=0)

    def loss(z, y):
        return -(y * np.log(naive(z))).sum(axis=-1)

    with np.errstate(all="ignore"):
        marks = _code_marks({"softmax": naive, "loss": loss,
                             "gradient": lambda z, y: columns(z) - y}, params)
    assert marks["softmax"].status == "partial"
    assert "overflows for z = [1002, 1001, 1000.1] (large scores)" in marks["softmax"].feedback
    assert "overflows for z = [-798, 1, 0.1], y = [1, 0, 0] (true class far below)" in marks["loss"].feedback
    assert marks["gradient"].mistake == "softmax_cross_entropy.softmax_over_columns"


@pytest.mark.parametrize("count", sweep(200))
def test_code_cases_agree_with_mpmath(count):
    import mpmath

    mpmath.mp.dps = 50

    def row(z, y):
        exps = [mpmath.exp(mpmath.mpf(v)) for v in z]
        total = mpmath.fsum(exps)
        p = [e / total for e in exps]
        return p, -mpmath.fsum(yi * mpmath.log(pi) for yi, pi in zip(y, p))

    for seed in range(count):
        params = family.sample(generator(seed), answer="code")
        answers = family.solve(params)
        for name in ("softmax", "loss", "gradient"):
            for case in answers[name]:
                z = case["args"][0]
                rows = z if isinstance(z[0], list) else [z]
                ys = (case["args"][1] if isinstance(z[0], list) else [case["args"][1]]) \
                    if name != "softmax" else [[0.0] * len(r) for r in rows]
                got = case["expected"] if isinstance(z[0], list) else [case["expected"]]
                for r, y, out in zip(rows, ys, got):
                    p, loss = row(r, y)
                    truth = {"softmax": p, "loss": [loss],
                             "gradient": [pi - yi for pi, yi in zip(p, y)]}[name]
                    out = out if isinstance(out, list) else [out]
                    assert len(out) == len(truth)
                    assert all(abs(o - float(t)) <= 1e-12 + 1e-9 * abs(float(t))
                               for o, t in zip(out, truth)), (params, name, case["case"])
