"""Assignment files: the example loads; every mistake gets one message naming file, line and fix."""

from __future__ import annotations

import pytest

from calcgrade.grader.course.assignment import load_assignment, parse_assignment
from calcgrade.core.errors import OptionsError, ParamsError, UnknownFamilyError, UsageError
from calcgrade.problems import family_names

from .classes import EXAMPLE_ASSIGNMENT, SIGMOID_ASSIGNMENT

NAMED_FAMILIES = {"derivative", "gradient_descent", "sigmoid_gradient", "newton", "hessian"}


def parse(text: str):
    return parse_assignment(text, "hw.toml")


def error_of(text: str, kind=UsageError) -> str:
    with pytest.raises(kind) as caught:
        parse(text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("hw.toml: ")
    return message


def test_the_example_uses_all_five_families_a_fixed_variant_and_a_tolerance_override():
    assignment = load_assignment(EXAMPLE_ASSIGNMENT)
    assert {p.family for p in assignment.problems} == NAMED_FAMILIES <= set(family_names())
    assert assignment.id and assignment.title and assignment.due and assignment.instructions
    assert any(p.fixed for p in assignment.problems)
    assert any(p.tolerances for p in assignment.problems)
    assert [p.number for p in assignment.problems] == list(range(1, len(assignment.problems) + 1))
    assert len({p.slot for p in assignment.problems}) == len(assignment.problems)


def test_the_example_documents_every_key_with_a_comment():
    text = EXAMPLE_ASSIGNMENT.read_text(encoding="utf-8")
    for key in ("id", "title", "due", "instructions", "tolerance", "family", "points", "options",
                "params", "rtol", "atol"):
        assert any(line.lstrip().startswith("#") and key in line for line in text.splitlines()), key


def test_a_small_assignment_reads_into_problems():
    assignment = parse(SIGMOID_ASSIGNMENT)
    first, second = assignment.problems
    assert (assignment.id, assignment.due, assignment.total_points) == ("quiz1", "Monday", 3)
    assert (first.slot, first.points, first.options, first.fixed) == ("1", 2, {"mode": "example"}, False)
    assert (second.slot, second.points, second.params, second.fixed) == ("textbook", 1, {"z": 0.5}, True)
    assert len(assignment.sha256) == 64


def test_tolerances_apply_to_the_answer_specs():
    text = """
id = "q"
title = "t"
[tolerance]
atol = 0.001

[[problems]]
family = "sigmoid_gradient"
params = { z = 0.5 }
[problems.tolerance.sigmoid_prime]
rtol = 0.01
"""
    problem = parse(text).problems[0]
    specs = problem.answer_specs(problem.params)
    assert (specs["sigmoid_prime"].rtol, specs["sigmoid_prime"].atol) == (0.01, 0.001)
    assert (specs["sigmoid"].rtol, specs["sigmoid"].atol) == (1e-3, 0.001)


def test_malformed_toml_names_the_line():
    message = error_of('id = "a"\ntitle = "t"\n[[problems]]\nfamily = derivative\n')
    assert "not valid TOML" in message and "line 4" in message


def test_an_unknown_family_names_the_problem_and_suggests():
    message = error_of('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "derivative"\n'
                       '[[problems]]\nfamily = "newtn"\n', UnknownFamilyError)
    assert "line 6" in message and "problem 2" in message  # the family's own line
    assert "'newtn'" in message and "did you mean 'newton'" in message


def test_an_unknown_option_lists_the_options():
    message = error_of('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "sigmoid_gradient"\n'
                       'options = { mood = "z" }\n', OptionsError)
    assert message == ("hw.toml: line 5: problem 1 (sigmoid_gradient): unknown option 'mood' "
                       "(options: mode, features, answer)")


def test_a_bad_option_value_is_reported():
    message = error_of('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "sigmoid_gradient"\n'
                       'options = { features = 99 }\n', OptionsError)
    assert "problem 1 (sigmoid_gradient)" in message and "features" in message


def test_fixed_params_are_checked_by_the_family():
    message = error_of('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "sigmoid_gradient"\n'
                       'params = { z = "half" }\n', ParamsError)
    assert "problem 1 (sigmoid_gradient)" in message and "'z'" in message


def test_params_and_options_together_are_refused():
    message = error_of('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "sigmoid_gradient"\n'
                       'params = { z = 1 }\noptions = { mode = "z" }\n')
    assert "either params" in message


@pytest.mark.parametrize("text, expected", [
    ('title = "t"\n[[problems]]\nfamily = "newton"\n', "'id' is missing"),
    ('id = "a/b"\ntitle = "t"\n[[problems]]\nfamily = "newton"\n', "line 1: 'id' must be"),
    ('id = "a"\n[[problems]]\nfamily = "newton"\n', "'title' is missing"),
    ('id = "a"\ntitle = 3\n[[problems]]\nfamily = "newton"\n', "line 2: 'title' must be text"),
    ('id = "a"\ntitle = "t"\n', "no problems"),
    ('id = "a"\ntitle = "t"\ntitel = "x"\n[[problems]]\nfamily = "newton"\n', "did you mean 'title'"),
    ('id = "a"\ntitle = "t"\n[[problems]]\npoints = 2\n', "problem 1: no family"),
    ('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "newton"\npoints = -1\n', "points must be"),
    ('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "newton"\noption = {}\n', "did you mean 'options'"),
    ('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "newton"\nid = "p"\n'
     '[[problems]]\nfamily = "newton"\nid = "p"\n', "id 'p' is already used by problem 1"),
    ('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "sigmoid_gradient"\n'
     '[problems.tolerance.sigma]\nrtol = 0.1\n', "unknown answer 'sigma'"),
    ('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "sigmoid_gradient"\n'
     '[problems.tolerance.loss]\nrtol = -0.1\n', "rtol must be a number >= 0"),
    ('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "sigmoid_gradient"\n'
     '[problems.tolerance.loss]\nrtl = 0.1\n', "did you mean 'rtol'"),
])
def test_each_mistake_gets_a_message_that_says_what_to_fix(text, expected):
    assert expected in error_of(text)


LINES = """\
id = "a"
title = "t"

[[problems]]
family = "derivative"
points = 2

[[problems]]
family = "sigmoid_gradient"
title = "The sigmoid"
points = 3
options = { mode = "example", features = 2 }

[[problems]]
family = "newton"
id = "fixed"
params = { f = "x^2 - 2", vars = ["x"], x0 = [1], steps = 3, goal = "root" }

[problems.tolerance.iterates]
rtol = 1e-3
atol = 1e-6

[[problems]]
family = "hessian"

[problems.options]
classification = "minimum"
dims = 2
"""

# (the line to change, what it becomes, the line the message must name, a word of the message)
KEY_LINES = [
    ('points = 3', 'points = -3', 11, "points must be"),
    ('title = "The sigmoid"', 'title = 5', 10, "'title' must be text"),
    ('family = "sigmoid_gradient"', 'family = "sigmoid"', 9, "unknown family"),
    ('points = 3', 'pionts = 3', 11, "did you mean 'points'"),
    ('features = 2 }', 'features = 99 }', 12, "features"),
    ('mode = "example"', 'mood = "example"', 12, "unknown option 'mood'"),
    ('id = "fixed"', 'id = "a/b"', 16, "'id' must be"),
    ('x0 = [1]', 'x0 = "one"', 17, "'x0'"),
    ('steps = 3, goal', 'stepz = 3, goal', 17, "unknown param 'stepz'"),
    ('atol = 1e-6', 'atol = -1', 21, "atol must be a number >= 0"),
    ('rtol = 1e-3', 'rtl = 1e-3', 20, "did you mean 'rtol'"),
    ('[problems.tolerance.iterates]', '[problems.tolerance.iterate]', 19, "unknown answer 'iterate'"),
    ('dims = 2', 'dims = 7', 28, "dims"),
    ('classification = "minimum"', 'classification = "minimal"', 27, "classification"),
    ('classification = "minimum"', 'clasification = "minimum"', 27, "unknown option 'clasification'"),
]


@pytest.mark.parametrize("old, new, line, words", KEY_LINES)
def test_a_mistake_names_the_line_of_its_own_key(old, new, line, words):
    parse(LINES)  # the file as written is right
    assert LINES.count(old) == 1
    message = error_of(LINES.replace(old, new))
    assert message.startswith(f"hw.toml: line {line}: problem "), message
    assert words in message
    assert new.split("=")[0].strip() in LINES.replace(old, new).splitlines()[line - 1]


@pytest.mark.parametrize("table, line", [
    ('[tolerance]\nrtol = 1e-3\natol = -1\n', 5),
    ('[tolerance]\nrtl = 1e-3\n', 4),
    ('tolerance = { rtol = "x" }\n', 3),
])
def test_a_default_tolerance_mistake_names_its_line(table, line):
    text = 'id = "a"\ntitle = "t"\n' + table + '\n[[problems]]\nfamily = "newton"\n'
    assert error_of(text).startswith(f"hw.toml: line {line}: ")


def test_every_unknown_and_missing_param_is_reported_at_once():
    text = LINES.replace('params = { f = "x^2 - 2", vars = ["x"], x0 = [1], steps = 3, goal = "root" }',
                         'params = { f = "x^2 - 2", start = [1], step = 3 }')
    message = error_of(text)
    assert message.startswith("hw.toml: line 17: problem 3 (newton): "), message
    assert "unknown params 'start' and 'step'" in message
    assert "params 'vars', 'x0', 'steps' and 'goal' are missing" in message


def test_a_tolerance_for_a_label_answer_is_refused():
    message = error_of('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "hessian"\n'
                       '[problems.tolerance.classification]\nrtol = 0.1\n')
    assert "classification" in message and "label" in message


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(UsageError, match="no such assignment file"):
        load_assignment(tmp_path / "nope.toml")
    with pytest.raises(UsageError, match="is a folder"):
        load_assignment(tmp_path)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"id = \"\xff\"\n")
    with pytest.raises(UsageError, match="not UTF-8"):
        load_assignment(binary)
