"""The pages students read: statements, handouts, notebooks and a feedback page.

Every family's statements (each option's variants, several seeds) are rendered as the
handout renders them and read back as a tree: no raw Markdown, LaTeX or template syntax
may be left in the text, and no two numbers may stand side by side in the MathML (``3``
times ``3^x`` must never read as ``33^x``). The browser tests load whole handouts and a
feedback page in headless Chromium (``--dump-dom``, no network) and apply the same checks
to the document the browser built, and save a screenshot under ``tmp_path``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcgrade.core import expr as ex
from calcgrade.core.errors import UsageError
from calcgrade.core.parse import parse_expression
from calcgrade.grader.course.assignment import parse_assignment
from calcgrade.grader.generation.generate import generate_class
from calcgrade.grader.generation.handout import markdown_to_html, math_html
from calcgrade.grader.generation.mathml import polish_mathml
from calcgrade.grader.generation.notebook import precision_text, tolerance_note
from calcgrade.grader.course.roster import Student
from calcgrade.problems import all_families, get_family
from calcgrade.problems.variant import generator

from .classes import SECRET
from calcgrade.core.printing import to_latex

SEEDS = range(6)
TABLE_FAMILIES = {"optimize_closed_form": {"kind": "line"}, "linear_regression_gd": {},
                  "perceptron_classification": {}, "logistic_regression": {}}


# reading a page back ------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass
class Node:
    """An element of a parsed page: tag, attributes, children (nodes and text)."""

    tag: str
    attrs: dict = field(default_factory=dict)
    children: list = field(default_factory=list)

    def elements(self):
        return [c for c in self.children if isinstance(c, Node)]

    def iter(self):
        yield self
        for child in self.elements():
            yield from child.iter()

    def text(self, skip=lambda node: False) -> str:
        if skip(self):
            return " "
        parts = [c if isinstance(c, str) else c.text(skip) for c in self.children]
        return "".join(parts)


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_page(text: str) -> Node:
    """The element tree of an HTML page (or fragment)."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def _is_code(node: Node) -> bool:
    """Code the student should type: its text is meant to be raw (but not LaTeX shown raw)."""
    return node.tag in ("code", "pre", "style", "script", "title") and "tex" not in node.attrs.get(
        "class", "")


_RAW_MARKDOWN = (("|---", "a pipe table left as text"), ("**", "bold markers left as text"),
                 ("$", "a dollar sign left from LaTeX"))
_RAW_LATEX = (r"\frac", r"\cdot", "^{", r"\left", r"\sqrt", r"\begin")
_TEMPLATE = ("{{", "{%", "%}", "}}")
_SCRIPTED = {"msup", "msub", "msubsup", "munder", "mover", "munderover"}
_TRANSPARENT = {"mrow", "mstyle", "mpadded", "semantics"}
_ROWS = _TRANSPARENT | {"math", "mtd", "msqrt", "menclose", "mphantom"}


def _leading(node: Node) -> Node | None:
    """The first token a reader sees in ``node`` (on the baseline)."""
    while node.tag in _TRANSPARENT | _SCRIPTED and node.elements():
        node = node.elements()[0]
    return node if node.tag.startswith("m") else None


def _trailing(node: Node) -> Node | None:
    """The last baseline token of ``node`` (None after a script: it is raised)."""
    while node.tag in _TRANSPARENT and node.elements():
        node = node.elements()[-1]
    return None if node.tag in _SCRIPTED else node


def adjacent_numbers(math: Node) -> list[str]:
    """Pairs of numbers in a row with no operator between them, as ``"3 3"``."""
    found = []
    for node in math.iter():
        if node.tag not in _ROWS:  # the parts of a fraction or a power are not side by side
            continue
        row = [c for c in node.elements() if c.tag != "mspace"]
        for before, after in zip(row, row[1:]):
            last, first = _trailing(before), _leading(after)
            if last is not None and first is not None and last.tag == first.tag == "mn":
                found.append(f"{last.text().strip()} {first.text().strip()}")
    return found


def page_problems(root: Node) -> list[str]:
    """What a student would stumble on in a page: raw Markdown, LaTeX or template syntax in
    the text, and numbers side by side in its MathML."""
    problems = []
    visible = root.text(skip=_is_code)
    everything = root.text(skip=lambda node: node.tag in ("style", "script"))
    for mark, what in _RAW_MARKDOWN:
        if mark in visible:
            problems.append(f"{what}: {_around(visible, mark)}")
    for mark in _RAW_LATEX:
        if mark in visible:
            problems.append(f"raw LaTeX {mark}: {_around(visible, mark)}")
    for mark in _TEMPLATE:
        if mark in everything:
            problems.append(f"template syntax {mark}: {_around(everything, mark)}")
    for node in root.iter():
        if node.tag in ("p", "li", "td", "th", "h1", "h2", "h3") \
                and node.text(skip=_is_code).lstrip().startswith("#"):
            problems.append(f"a Markdown heading left as text: {node.text()[:60]!r}")
        if node.tag == "math":
            problems += [f"numbers side by side: {pair}" for pair in adjacent_numbers(node)]
    return problems


def _around(text: str, mark: str) -> str:
    at = text.index(mark)
    return repr(text[max(0, at - 40):at + 40])


# statements of every family, every option --------------------------------------------------

def option_variants(family) -> list[dict]:
    """The default options, then each other value of each option (one change at a time)."""
    variants: list[dict] = [{}]
    for option in family.options:
        default = option.default
        if option.choices:
            values = [c for c in option.choices if c != default]
        elif isinstance(default, bool):
            values = [not default]
        elif isinstance(default, int) and option.minimum is not None \
                and option.maximum is not None and option.maximum - option.minimum <= 4:
            values = [v for v in range(int(option.minimum), int(option.maximum) + 1) if v != default]
        elif isinstance(default, (list, tuple)) and len(default) > 1:
            values = [[item] for item in default]
        else:
            values = []
        variants += [{option.name: value} for value in values]
    return variants


def sampled_statements(family, seeds=SEEDS):
    """``(options, seed, statement)`` for every option variant the family can sample."""
    for options in option_variants(family):
        for seed in seeds:
            try:
                params = family.sample(generator(seed), **options)
            except UsageError:  # a combination no variant satisfies: nothing to show
                break
            yield options, seed, family.statement(params)


@pytest.mark.parametrize("name", sorted(f.name for f in all_families()))
def test_every_statement_renders_without_raw_syntax_or_adjacent_numbers(name):
    family = get_family(name)
    checked = 0
    for options, seed, statement in sampled_statements(family):
        problems = page_problems(parse_page(markdown_to_html(statement)))
        assert problems == [], (name, options, seed, problems)
        checked += 1
    assert checked >= len(SEEDS)


def test_the_page_checks_catch_what_students_stumbled_on():
    from markdown_it import MarkdownIt

    without_tables = MarkdownIt("commonmark").render("| x | y |\n|---|---|\n| 1 | 2 |\n")
    assert any("pipe table" in p for p in page_problems(parse_page(without_tables)))
    assert page_problems(parse_page(markdown_to_html("| x | y |\n|---|---|\n| 1 | 2 |\n"))) == []
    assert any("bold" in p for p in page_problems(parse_page("<p>See **this**</p>")))
    old_printer = parse_page(math_html("f(x) = 3 3^{x}", False))
    assert page_problems(old_printer) == ["numbers side by side: 3 3"]
    raw_tex = parse_page('<p>where <code class="tex">\\frac{1}{2}</code></p><p># Title {{ x }}</p>')
    found = " ".join(page_problems(raw_tex))
    assert "\\frac" in found and "heading" in found and "{{" in found
    typed = parse_page("<p>Type <code>x**2 + $y</code></p>")
    assert page_problems(typed) == [], "code the student types is meant to be raw"


# the LaTeX printer -----------------------------------------------------------------------------

def test_a_number_times_a_numeric_power_gets_a_dot():
    x = ex.Sym("x")
    assert to_latex(ex.mul(ex.Num(3), ex.power(ex.Num(3), x))) == r"3 \cdot 3^{x}"
    assert to_latex(parse_expression("-1.5*5**x", ["x"])) == r"-1.5 \cdot 5^{x}"
    assert to_latex(parse_expression("x**2 + 2*2**x*x", ["x"])) == r"x^{2} + 2 \cdot 2^{x} x"
    assert to_latex(parse_expression("3*x*exp(x)", ["x"])) == r"3 x e^{x}", "no dot needed"


FACTORS = st.sampled_from([
    ex.Num(2), ex.Num(3), ex.Num(-1), ex.Num(ex.Fraction(3, 2)), ex.Num(ex.Fraction(1, 3)),
    ex.Sym("x"), ex.Sym("y"), ex.power(ex.Num(3), ex.Sym("x")), ex.power(ex.Num(5), ex.Sym("y")),
    ex.power(ex.Num(2), ex.Num(-1) * ex.Sym("x")), ex.sqrt(ex.Num(2)), ex.exp(ex.Sym("x")),
    ex.power(ex.Sym("x"), ex.Num(2)), ex.Sym("x") + 1, ex.fn("sin", ex.Sym("y")),
    ex.power(ex.Sym("x") + 1, ex.Num(ex.Fraction(1, 3))),
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(FACTORS, min_size=1, max_size=4), min_size=1, max_size=3))
def test_printed_products_never_put_two_numbers_side_by_side(terms):
    tree = ex.add(*(ex.mul(*factors) for factors in terms))
    latex = to_latex(tree)
    assert not re.search(r"[\d})]\s+\d", latex), latex
    assert adjacent_numbers(parse_page(math_html(latex, False))) == [], latex


def test_the_reported_derivative_variant_puts_a_dot_between_numbers():
    statement = get_family("derivative").statement(
        get_family("derivative").sample(generator(12018), rules=["exp"]))
    assert r"3 \cdot 3^{x}" in statement


def test_cube_roots_print_as_real_roots_with_a_python_spelling():
    x = ex.Sym("x")
    assert to_latex(ex.power(3 * x + 1, ex.Num(ex.Fraction(1, 3)))) == r"\sqrt[3]{3 x + 1}"
    assert to_latex(ex.power(x, ex.Num(ex.Fraction(2, 3)))) == r"\sqrt[3]{x^{2}}"
    assert to_latex(ex.power(x, ex.Num(ex.Fraction(-1, 5)))) == r"\frac{1}{\sqrt[5]{x}}"
    family = get_family("inverse_derivative")
    params = family.sample(generator(26))
    assert params["f"] == "(3*x + 1)**(1/3)" and params["y"] == -2
    statement = family.statement(params)
    assert r"\sqrt[3]{3 x + 1}" in statement and "Cube roots are real" in statement
    spelling = re.search(r"in Python: `([^`]+)`", statement).group(1)
    answers = family.solve(params)
    # the spelling the statement gives, typed into Python, is the real function: f(x) = y
    value = eval(compile(spelling, "<statement>", "eval"), {"__builtins__": {}, "np": np},
                 {"x": answers["x"]})
    assert np.isrealobj(value) and float(value) == pytest.approx(-2.0)
    assert complex((3 * answers["x"] + 1) ** (1 / 3)).imag != 0, "what the plain text would give"


# tables -------------------------------------------------------------------------------------------

def test_pipe_tables_become_html_tables():
    page = parse_page(markdown_to_html("| $x_i$ | $y_i$ |\n|---|---|\n| -1 | 4 |\n| 2 | 0.5 |"))
    table = next(node for node in page.iter() if node.tag == "table")
    rows = [node for node in table.iter() if node.tag == "tr"]
    assert [[cell.text().strip() for cell in row.elements()] for row in rows[1:]] == [
        ["-1", "4"], ["2", "0.5"]]
    assert all(cell.elements()[0].attrs["class"] == "math inline"
               for cell in rows[0].elements()), "math in the header"


@pytest.mark.parametrize("name", sorted(TABLE_FAMILIES))
def test_data_tables_of_statements_become_html_tables(name):
    family = get_family(name)
    for seed in SEEDS:
        params = family.sample(generator(seed), **TABLE_FAMILIES[name])
        statement = family.statement(params)
        assert "|---" in statement or "|--" in statement, "the statement has a pipe table"
        page = parse_page(markdown_to_html(statement))
        tables = [node for node in page.iter() if node.tag == "table"]
        assert len(tables) == 1, (name, seed)
        body_rows = [n for n in tables[0].iter() if n.tag == "tr"][1:]
        table_lines = [line for line in statement.splitlines() if line.startswith("|")]
        assert len(body_rows) == len(table_lines) - 2, (name, seed)
        assert "|" not in page.text(skip=_is_code)


# the MathML browsers get ------------------------------------------------------------------------

def test_mathml_polish_marks_signs_primes_and_matrix_fences():
    signs = parse_page(math_html("(-2, x - 1) = -x", False))
    minus = [n for n in signs.iter() if n.tag == "mo" and n.text() == "\u2212"]
    assert [n.attrs.get("form") for n in minus] == ["prefix", None, "prefix"]
    prime = parse_page(math_html("f''(x)", False))
    assert not any(n.tag == "msup" for n in prime.iter())
    assert [n.text() for n in prime.iter() if n.tag == "mo"][0] == "\u2033"
    matrix = parse_page(math_html(r"A = \begin{pmatrix} 2 & -1 \\ -1 & 3 \end{pmatrix}", False))
    fences = [n for n in matrix.iter() if n.tag == "mo" and n.text() in "()"]
    assert [(n.attrs.get("stretchy"), n.attrs.get("form")) for n in fences] == [
        ("true", "prefix"), ("true", "postfix")]
    simple = parse_page(math_html(r"\ln\left(x + 1\right)", False))
    assert {n.attrs.get("stretchy") for n in simple.iter() if n.tag == "mo" and n.text() in "()"} \
        == {"false"}, "parentheses around x + 1 need not grow"
    assert polish_mathml("<math><mi>x</mi>") == "<math><mi>x</mi>", "not XML: left alone"


# how precise answers must be ---------------------------------------------------------------------

PRECISION_ASSIGNMENT = """\
id = "p1"
title = "Precision"
{top}
[[problems]]
family = "derivative"
options = {{ at = true }}
[problems.tolerance.value]
rtol = 5e-3

[[problems]]
family = "gradient_descent"
"""


def _class(tmp_path: Path, top: str = "") -> Path:
    assignment = parse_assignment(PRECISION_ASSIGNMENT.format(top=top), "p1.toml")
    out = tmp_path / "out"
    generate_class(assignment, [Student("ann")], SECRET, out)
    return out


def test_notebooks_and_handouts_say_to_keep_full_precision_and_how_answers_compare(tmp_path):
    import json

    out = _class(tmp_path)
    notebook = json.loads((out / "notebooks" / "ann.ipynb").read_text(encoding="utf-8"))
    intro = "".join(notebook["cells"][0]["source"])
    assert "Keep full precision" in intro and "never round intermediate results" in intro
    assert r"$|s - r| \le 10^{-6} + 0.001\,|r|$" in intro
    statement = next("".join(c["source"]) for c in notebook["cells"] if c["id"] == "p1-statement")
    assert "`q1_value` is compared with" in statement and r"\mathrm{rtol} = 0.005" in statement
    assert "`q1_derivative`" not in statement.split("Tolerance")[1].split("\n")[0], \
        "parts at the stated tolerance are not listed"
    second = next("".join(c["source"]) for c in notebook["cells"] if c["id"] == "p2-statement")
    assert "Tolerance" not in second
    page = parse_page((out / "handouts" / "ann.html").read_text(encoding="utf-8"))
    text = page.text(skip=lambda n: n.tag == "style")
    assert "Keep full precision" in text and "q1_value is compared with" in " ".join(text.split())
    assert page_problems(page) == []


def test_an_assignment_tolerance_is_the_one_stated(tmp_path):
    out = _class(tmp_path, top="[tolerance]\nrtol = 1e-2\natol = 0.0\n")
    import json

    notebook = json.loads((out / "notebooks" / "ann.ipynb").read_text(encoding="utf-8"))
    intro = "".join(notebook["cells"][0]["source"])
    assert r"$|s - r| \le 0 + 0.01\,|r|$" in intro
    statement = next("".join(c["source"]) for c in notebook["cells"] if c["id"] == "p1-statement")
    assert r"\mathrm{rtol} = 0.005" in statement and r"\mathrm{atol} = 0" in statement


def test_tolerance_notes_group_parts_and_skip_the_stated_tolerance():
    assignment = parse_assignment('id = "a"\ntitle = "T"\n[[problems]]\nfamily = "derivative"\n')
    entries = [{"variable": "q1_a", "tolerance": {"rtol": 1e-3, "atol": 1e-6}},
               {"variable": "q1_b", "tolerance": {"rtol": 1e-2, "atol": 1e-6}},
               {"variable": "q1_c", "tolerance": {"rtol": 1e-2, "atol": 1e-6}},
               {"variable": "q1_d"}]
    note = tolerance_note(assignment, entries)
    assert note.count("compared with") == 1 and "`q1_b`, `q1_c` are compared" in note
    assert "q1_a" not in note and "q1_d" not in note
    assert tolerance_note(assignment, entries[:1]) == ""
    assert "Keep full precision" in precision_text(assignment)


# in a real browser --------------------------------------------------------------------------------

def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


BROWSER_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars")


def run_chromium(*arguments: str) -> str:
    """Run headless Chromium on a file (network off, a throw-away profile); its stdout."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([_chromium(), *BROWSER_FLAGS, f"--user-data-dir={profile}", *arguments],
                              capture_output=True, text=True, timeout=180, check=False,
                              env={**os.environ, "HOME": profile})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def every_family_assignment() -> str:
    """An assignment with one problem per family and option variant."""
    lines = ['id = "pages"', 'title = "Every family"', 'instructions = "Read **each** problem."']
    for family in all_families():
        for options in option_variants(family):
            try:
                family.sample(generator(0), **options)
            except UsageError:
                continue
            inline = ", ".join(f"{k} = {_toml(v)}" for k, v in options.items())
            lines += ["", "[[problems]]", f'family = "{family.name}"']
            if inline:
                lines.append(f"options = {{ {inline} }}")
    return "\n".join(lines) + "\n"


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


needs_chromium = pytest.mark.skipif(
    _chromium() is None, reason="chromium is not on PATH (.ci/run installs it: apt-get install chromium)")


@pytest.mark.slow
@needs_chromium
def test_every_familys_handout_reads_cleanly_in_chromium(tmp_path):
    assignment = parse_assignment(every_family_assignment(), "pages.toml")
    assert {p.family for p in assignment.problems} == {f.name for f in all_families()}
    students = [Student(f"s{number}") for number in range(3)]
    out = tmp_path / "class"
    generate_class(assignment, students, SECRET, out)
    for student in students:
        page = out / "handouts" / f"{student.id}.html"
        dom = parse_page(run_chromium("--dump-dom", page.as_uri()))
        sections = [n for n in dom.iter() if n.tag == "section" and "problem" in n.attrs.get("class", "")]
        assert len(sections) == len(assignment.problems)
        assert sum(n.tag == "table" for n in dom.iter()) >= len(TABLE_FAMILIES)
        assert sum(n.tag == "math" for n in dom.iter()) > 5 * len(assignment.problems)
        assert page_problems(dom) == [], student.id
    screenshot = tmp_path / "handout.png"
    run_chromium(f"--screenshot={screenshot}", "--window-size=1000,3000",
                 (out / "handouts" / "s0.html").as_uri())
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000


@pytest.mark.slow
@needs_chromium
def test_a_feedback_page_reads_cleanly_in_chromium(tmp_path):
    from calcgrade.grader.demo import grade_demo, run_demo

    result = grade_demo(run_demo(tmp_path / "demo"))
    pages = sorted((Path(result.folder) / "grades" / "feedback").glob("*.html"))
    assert pages, "the demo writes feedback pages"
    for page in pages:
        dom = parse_page(run_chromium("--dump-dom", page.as_uri()))
        assert any(n.tag == "h1" for n in dom.iter())
        assert page_problems(dom) == [], page.name
    run_chromium(f"--screenshot={tmp_path / 'feedback.png'}", "--window-size=1000,3000",
                 pages[0].as_uri())
    assert (tmp_path / "feedback.png").stat().st_size > 10_000
