"""The code-answer contract, for every family that can ask for code (``answer = "code"``).

Over many seeds: the variant validates unchanged; the reference test cases score full
marks; each catalogued mistake in code gives other outputs than the right function
(the tolerance rejects it) and, returned by a student's function (converted as the
sandbox converts it: an overflow comes back as an ``inf`` marker), is named; the
family's own student implementation, run as a student's cell would run, passes every
test; the statement names every function to implement.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from calcgrade.core import functions
from calcgrade.core.answers import answer_matches
from calcgrade.grader.course.assignment import parse_assignment
from calcgrade.grader.grading.marking import mark_problem
from calcgrade.grader.sandbox.convert import to_plain
from calcgrade.grader.sandbox.runner import call_functions
from calcgrade.problems import all_families
from calcgrade.problems.variant import generator
from tests.sweep import sweep

CODED = [family for family in all_families() if family.code_answers]


def test_the_course_families_can_ask_for_code():
    assert {"sigmoid_gradient", "softmax_cross_entropy", "linear_regression_gd", "gradient_descent",
            "backprop_221"} <= {
        family.name for family in CODED}


@pytest.fixture(params=[family.name for family in CODED])
def family(request):
    return next(f for f in CODED if f.name == request.param)


def _variants(family, count):
    return [family.sample(generator(seed), answer="code") for seed in range(count)]


def _student_namespace(family, params, names):
    """The family's right implementations, defined as a notebook cell defines them."""
    namespace = {"np": np}
    for name in names:
        exec(family.student_source(name, params, name), namespace)  # noqa: S102 - our own text
    return namespace


@pytest.mark.parametrize("count", sweep(200))
def test_code_variants_validate_and_their_references_score_full(family, count):
    for params in _variants(family, count):
        assert family.validate(json.loads(json.dumps(params))) == params
        specs, answers = family.answer_specs(params), family.solve(params)
        assert set(answers) == set(specs) and all(s.kind == "function" for s in specs.values())
        for name, cases in answers.items():
            outputs = [case["expected"] for case in cases]
            outcome = functions.score_cases(specs[name].variables, cases, outputs, 1e-3, 1e-6)
            assert outcome.fraction == 1.0 and outcome.detail == ""
            assert functions.VALUE in {case["checks"] for case in cases}


@pytest.mark.parametrize("count", sweep(200))
def test_every_code_mistake_is_rejected_and_named(family, count):
    seen = set()
    problem = parse_assignment(f'id = "a"\ntitle = "t"\n[[problems]]\nfamily = "{family.name}"\n'
                               'points = 1\noptions = { answer = "code" }\n', "a.toml").problems[0]
    for params in _variants(family, count):
        specs, reference = family.answer_specs(params), family.solve(params)
        diagnosed = family.diagnose(params)
        for mistake, buggy in diagnosed.items():
            assert not all(answer_matches(specs[n], v, reference[n]) for n, v in buggy.items())
            calls = {name: [to_plain(case["expected"]) for case in buggy.get(name, reference[name])]
                     for name in specs}
            answers = {name: {"$marker": "function"} for name in specs}
            marks = mark_problem(problem, params, answers, calls=calls)
            wrong = [m for m in marks if m.status != "correct"]
            assert wrong and all(_same_mistake(diagnosed, m, mistake) for m in wrong), (params, mistake)
            seen.add(mistake)
    assert len(seen) >= 3


def _same_mistake(diagnosed, mark, mistake) -> bool:
    """The part is blamed on ``mistake``, or on one that gives the same outputs there."""
    if mark.mistake == mistake:
        return True
    named = diagnosed.get(mark.mistake, {})
    return mark.answer in named and functions.same_outputs(
        named[mark.answer], diagnosed[mistake][mark.answer], 1e-3, 1e-6)


@pytest.mark.parametrize("count", sweep(100, 5))
def test_the_student_implementation_passes_every_test(family, count):
    for params in _variants(family, count):
        specs, reference = family.answer_specs(params), family.solve(params)
        namespace = _student_namespace(family, params, specs)
        requested = {name: functions.case_inputs(reference[name]) for name in specs}
        calls = call_functions(namespace, requested)
        for name, spec in specs.items():
            outcome = functions.score_cases(spec.variables, reference[name], calls[name],
                                            spec.rtol, spec.atol)
            assert outcome.fraction == 1.0, (params, name, outcome.detail)


def test_the_statement_names_each_function(family):
    params = family.sample(generator(1), answer="code")
    statement = family.statement(params)
    for name, spec in family.answer_specs(params).items():
        assert f"`{name}({', '.join(spec.variables)})`" in statement
    assert "numpy array" in statement


def test_values_stay_the_default(family):
    assert all(family.sample(generator(s)) == family.sample(generator(s), answer="values")
               for s in range(10))
    assert all("answer" not in family.sample(generator(s)) for s in range(10))


def test_describe_lists_the_code_answers_with_their_signatures(family):
    described = family.describe()
    assert "answer" in {o["name"] for o in described["options"]}
    assert all(spec["kind"] == "function" and spec["signature"]
               for spec in described["code_answers"].values())
