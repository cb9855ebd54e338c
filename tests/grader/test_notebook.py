"""Answer cells and handouts: what each answer's comment says, and math rendered as MathML."""

from __future__ import annotations

import pytest

from calcgrade.core.answers import expressions_equivalent
from calcgrade.grader.generation.handout import markdown_to_html
from calcgrade.grader.generation.notebook import answer_entry, expression_example, points_text
from calcgrade.problems.family import AnswerSpec

from ..sweep import sweep


def test_each_kind_of_answer_gets_a_comment_on_its_type_and_shape():
    cases = [
        (AnswerSpec("scalar", ""), 0.5, "a number", {}),
        (AnswerSpec("vector", ""), [1, 2, 3], "a list of 3 numbers", {"shape": [3]}),
        (AnswerSpec("matrix", ""), [[1, 2], [3, 4]], "a list of 2 rows, each a list of 2 numbers",
         {"shape": [2, 2]}),
        (AnswerSpec("iterates", ""), [[1.5]], "a list of 1 point, each a list of 1 number",
         {"shape": [1, 1], "rtol": 1e-3, "atol": 1e-6}),
        (AnswerSpec("label", "", labels=("minimum", "saddle"), synonyms={"min": "minimum"}),
         "saddle", 'one of "minimum", "saddle"',
         {"labels": ["minimum", "saddle"], "synonyms": ["min"]}),
    ]
    for spec, reference, comment, extra in cases:
        entry = answer_entry(4, "part", spec, reference)
        assert entry["variable"] == "q4_part" and entry["comment"] == comment
        assert entry["expected"] == {"name": "q4_part", "kind": spec.kind, **extra}


def test_the_expected_shape_never_carries_a_value():
    entry = answer_entry(1, "value", AnswerSpec("scalar", ""), 0.2350037)
    assert "0.235" not in repr(entry)


def test_an_expression_example_is_never_the_answer():
    for reference in ("3*x**2 + exp(x)", "x*exp(x) - log(x)", "2*x**3 + sin(x)", "6*x"):
        example = expression_example(reference, ["x"])
        assert expressions_equivalent(example, reference, ["x"]) is False
    two = expression_example("2*x*y + exp(y)", ["x", "y"])
    assert "y" in two and expressions_equivalent(two, "2*x*y + exp(y)", ["x", "y"]) is False
    entry = answer_entry(1, "derivative", AnswerSpec("expression", ""), "3*x**2 + exp(x)")
    assert entry["comment"].startswith('expression in x as text, e.g. "')
    assert "3*x**2 + exp(x)" not in entry["comment"]


def test_points_read_naturally():
    assert [points_text(p) for p in (0, 1, 2, 2.5)] == ["0 points", "1 point", "2 points", "2.5 points"]


def test_inline_and_display_math_become_mathml():
    html = markdown_to_html("Let $f(x) = x^2$. Then\n$$f'(x) = 2x.$$\n\n$$\\int_0^1 f$$")
    assert html.count("<math") == 3
    assert html.count('display="block"') == 2 and "$" not in html
    assert "<p>" in html and "<div class=\"math display\">" in html


def test_latex_that_cannot_be_converted_is_shown_as_its_source():
    html = markdown_to_html("Odd: $\\notacommand{x}$")
    assert '<code class="tex">' in html and "notacommand" in html


def test_raw_html_is_escaped():
    html = markdown_to_html("<script>alert(1)</script> and *emphasis*")
    assert "<script>" not in html and "&lt;script&gt;" in html and "<em>emphasis</em>" in html


@pytest.mark.parametrize("count", sweep(40, few=8))
def test_every_familys_statements_convert_to_mathml_without_fallback(count):
    from calcgrade.problems import all_families
    from calcgrade.problems.variant import generator

    for family in all_families():
        for seed in range(count):
            html = markdown_to_html(family.statement(family.sample(generator(seed))))
            assert "<math" in html and 'class="tex"' not in html, (family.name, seed)
