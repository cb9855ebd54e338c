"""The family contract, checked for every family over hundreds of seeds (DESIGN §10)."""

from __future__ import annotations

import json

import pytest

from calcgrade.core.answers import answer_matches
from calcgrade.grader.jsonio import dumps
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
    for params in variants:
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
