"""The family contract, checked for every family over hundreds of seeds (DESIGN §10)."""

from __future__ import annotations

import json

import pytest

from calcgrade.core.answers import answer_matches
from calcgrade.grader.course.jsonio import dumps
from calcgrade.problems import all_families, family_names, get_family
from calcgrade.problems.variant import generator

SEEDS = range(200)


@pytest.fixture(scope="module", params=family_names())
def family(request):
    return get_family(request.param)


@pytest.fixture(scope="module")
def variants(family):
    return [family.sample(generator(seed)) for seed in SEEDS]


def test_same_seed_same_params(family, variants):
    for seed in range(0, len(SEEDS), 20):
        assert family.sample(generator(seed)) == variants[seed]


def test_different_seeds_give_different_variants(variants):
    distinct = {dumps(p) for p in variants}
    assert len(distinct) >= 0.95 * len(variants)


@pytest.mark.slow
def test_a_thousand_seeds_give_at_least_95_percent_distinct_variants(family):
    distinct = {dumps(family.sample(generator(seed))) for seed in range(1000)}
    assert len(distinct) >= 950


def test_sampled_params_validate_unchanged(family, variants):
    for params in variants:
        assert family.validate(json.loads(dumps(params))) == params


def test_answers_are_plain_json_of_the_declared_names(family, variants):
    for params in variants:
        answers = family.solve(params)
        assert set(answers) == set(family.answer_names(params))
        assert json.loads(dumps(answers)) == json.loads(json.dumps(answers))


def test_reference_answers_match_themselves(family, variants):
    for params in variants[:50]:
        answers = family.solve(params)
        specs = family.answer_specs(params)
        for name, value in json.loads(dumps(answers)).items():
            assert answer_matches(specs[name], value, answers[name]), (params, name)


def test_every_mistake_is_rejected_by_the_tolerance(family, variants):
    fired = {m.id: 0 for m in family.mistakes()}
    assert len(fired) >= 3, "each family catalogs at least three mistakes"
    coded = [family.sample(generator(seed), answer="code") for seed in SEEDS[:50]] \
        if family.code_answers else []  # some mistakes arise only in code
    for params in variants + coded:
        reference = family.solve(params)
        specs = family.answer_specs(params)
        for mistake_id, buggy in family.diagnose(params).items():
            fired[mistake_id] += 1
            assert set(buggy) <= set(reference), mistake_id
            wrong = [n for n, v in buggy.items() if not answer_matches(specs[n], v, reference[n])]
            assert wrong, f"{mistake_id} looks right for {params}"
    never = [m for m, count in fired.items() if count == 0]
    assert not never, f"mistakes that never arise over {len(SEEDS)} seeds: {never}"


def test_statement_renders_with_latex(family, variants):
    for params in variants[:20]:
        text = family.statement(params)
        assert "$" in text and text.endswith("\n")


def test_describe_lists_params_answers_and_mistakes(family):
    described = family.describe()
    assert described["name"] == family.name
    assert described["params"] and described["answers"]
    assert len(described["mistakes"]) >= 3


def test_every_family_is_registered():
    assert [f.name for f in all_families()] == family_names()


# order that carries no meaning ------------------------------------------------------------
# Every answer whose order is a convention (a set listed ascending), with its partner when its
# entries pair with another answer's. Every answer not listed keeps its order: iterates,
# components in the order of the variables or parameters, values per example, class, node or
# step, and concavity labels per interval from left to right. Change this table deliberately.
ORDER_FREE = {
    "concavity": {"inflection_points": ""},
    "critical_points_1d": {"points": "labels", "labels": "points"},
    "critical_points_2d": {"points": "labels", "labels": "points"},
    "gd_stability": {"eigenvalues": ""},
    "hessian": {"eigenvalues": ""},
    "non_differentiable": {"points": "kinds", "kinds": "points", "subgradient": ""},
}


def test_order_free_answers_are_exactly_the_listed_ones(family):
    declared = {name: spec.pairs_with for name, spec in family.answers.items() if spec.unordered}
    assert declared == ORDER_FREE.get(family.name, {})
    stray = {name: spec.pairs_with for name, spec in family.answers.items()
             if spec.pairs_with and not spec.unordered}
    assert not stray, "an answer that pairs with another is matched as pairs in any order"


def test_paired_answers_name_each_other_and_have_the_same_length(family, variants):
    for name, spec in family.answers.items():
        if spec.pairs_with:
            partner = family.answers[spec.pairs_with]
            assert partner.pairs_with == name and {spec.kind, partner.kind} in (
                {"vector", "labels"}, {"matrix", "labels"})
    for params in variants[:50]:
        answers = family.solve(params)
        for name, spec in family.answer_specs(params).items():
            if spec.pairs_with:
                assert len(answers[name]) == len(answers[spec.pairs_with])


def test_order_free_references_are_listed_ascending_as_the_statements_say(family, variants):
    for params in variants:
        answers = family.solve(params)
        for name, spec in family.answer_specs(params).items():
            if spec.unordered and spec.kind == "vector":
                assert answers[name] == sorted(answers[name]), (params, name)


def _in_any_order(specs: dict, name: str, given: dict, reference: dict) -> bool:
    """Whether answer ``name`` of ``given`` matches the reference once order is ignored: sorted
    numbers, or (point, label) pairs sorted by point; written here apart from the grader."""
    spec = specs[name]
    if not spec.unordered:
        return answer_matches(spec, given[name], reference[name])
    if not spec.pairs_with:
        return len(given[name]) == len(reference[name]) and answer_matches(
            spec, sorted(given[name]), sorted(reference[name]))
    points, labels = (spec.pairs_with, name) if spec.kind == "labels" else (name, spec.pairs_with)
    mine = sorted(zip(given[points], given[labels]))
    truth = sorted(zip(reference[points], reference[labels]))
    return len(mine) == len(truth) and answer_matches(
        specs[points], [p for p, _ in mine], [p for p, _ in truth]) and [
        label for _, label in mine] == [label for _, label in truth]


def test_every_mistake_stays_distinguishable_when_order_is_ignored(family, variants):
    """A mistake that only reorders an order-free answer would be right: none may."""
    if family.name not in ORDER_FREE:
        pytest.skip("no order-free answers")
    for params in variants:
        reference = json.loads(dumps(family.solve(params)))
        specs = family.answer_specs(params)
        for mistake_id, buggy in family.diagnose(params).items():
            given = {**reference, **json.loads(dumps(buggy))}
            assert any(not _in_any_order(specs, n, given, reference) for n in buggy), (mistake_id, params)
