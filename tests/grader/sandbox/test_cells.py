"""Cells run in the sandbox child: plain Python directly, IPython only where needed.

The choice is checked against IPython's own input transformer (a cell run as plain
Python must be the program IPython would have run), and the behaviour end to end in
the real sandbox: plain and IPython cells share one namespace, a failing cell is
recorded and the next one runs, top-level ``await`` and ``!`` commands work.
"""

from __future__ import annotations

import ast

from hypothesis import given, settings
from hypothesis import strategies as st
from IPython.core.inputtransformer2 import TransformerManager

from calcgrade.grader.sandbox.runner import plain_code, plain_source

# Lines of plain Python, of IPython syntax, and of text on the border between them.
LINES = [
    "x = 1", "y = x % 2", "print(x != 2)", "s = '%s!' % x", "# why?", "print('?')",
    "a = (1,", "  % 2)", "x = [i for i in range(3)]", "a, b = 1, 2", "def f():",
    "    return 1", "if x:", "    pass", "class A:", "    ...", "...", "... ", "x = ...",
    "s = '''", "'''", "  text", "\ttext", "", "   ", "\t", "    x = 2", "@f", "x = 1;",
    "%time x = 1", "%%time", "!ls", "!!ls", "files = !ls", "x = %pwd", "x?", "?x", "x??",
    "f(x)?", ">>> x = 1", "    >>> x = 1", "In [1]: x = 1", "   ...: x = 2", "...: y",
    "await g()", "async def g():", "    await g()", ",f 1", ";f 1", "/f 1", "pwd", "ls",
    "exit", "lambda: 0", "\\", "x = 1 \\", "  + 2",
]


def _program(text: str):
    """The syntax tree of ``text``, or None when it is not Python."""
    try:
        return ast.dump(ast.parse(text))
    except (SyntaxError, ValueError):
        return None


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=6), st.booleans())
def test_a_cell_run_as_plain_python_is_the_program_ipython_would_run(lines, newline):
    source = "\n".join(lines) + ("\n" if newline else "")
    plain = plain_source(source, magics={"pwd", "ls", "time"})
    if plain is None or _program(plain) is None:
        return  # IPython runs it (or reports its syntax error), as before
    transformed = TransformerManager().transform_cell(source)
    assert _program(transformed) == _program(plain), (source, transformed)


def test_ipython_syntax_and_invalid_python_go_to_ipython():
    for source in ("%time x = 1", "%%time\nx = 1", "!ls", "files = !ls", "x = %pwd", "x?",
                   "await f()", "async with a:\n    pass", ">>> x = 1", "  x = 1",
                   "def f(:\n  pass", "x = 'a\x00'"):
        assert plain_code(source, "cell") is None, source
    assert plain_code("pwd", "cell", magics={"pwd"}) is None
    assert plain_code("pwd = 1", "cell") is not None


def test_a_future_import_changes_how_later_plain_cells_compile():
    import __future__

    flag = __future__.annotations.compiler_flag
    first = plain_code("from __future__ import annotations", "cell")
    assert first.co_flags & flag
    later = plain_code("def f(x: Undefined): pass", "cell", flags=flag)
    namespace = {}
    exec(later, namespace)
    assert namespace["f"].__annotations__ == {"x": "Undefined"}


# --- in the real sandbox ---------------------------------------------------------------


def _python_error(source: str) -> tuple[str, str]:
    """Type and message of the exception plain CPython raises for ``source``."""
    try:
        exec(compile(source, "oracle", "exec"), {})
    except Exception as error:  # noqa: BLE001 - the oracle of the expected record
        return type(error).__name__, str(error)
    raise AssertionError(f"{source!r} did not raise")


def test_plain_and_magic_cells_share_one_namespace(sandbox, notebook):
    path = notebook("a = 2", "%time b = a * 3", "c = b + 1", "%%time\nd = c * 2", "e = d - 1",
                    "pwd", "shown = type(get_ipython()).__name__\ndisplay(a)")
    result = sandbox.run(path, ["a", "b", "c", "d", "e", "shown"])
    assert result.status == "ok", result.reason
    assert list(result.cell_errors) == []
    assert result.answers == {"a": 2, "b": 6, "c": 7, "d": 14, "e": 13,
                              "shown": "InteractiveShell"}
    assert "Wall time" in result.stdout  # the magics ran


def test_a_failing_cell_is_recorded_and_later_cells_run(sandbox, notebook):
    undefined = "y = undefined_name + 1"
    dividing = "%time z = 1 / 0"
    path = notebook("x = 1", undefined, dividing, "def f(:\n  pass", "import sys\nsys.exit(3)",
                    "w = x + 1")
    result = sandbox.run(path, ["x", "y", "z", "w"])
    assert result.status == "ok", result.reason
    assert result.answers["x"] == 1 and result.answers["w"] == 2
    assert result.answers["y"] == {"$marker": "missing"}
    records = [(e.cell, e.name, e.message) for e in result.cell_errors]
    assert records[:2] == [(1, *_python_error(undefined)), (2, *_python_error("z = 1 / 0"))]
    assert [(cell, name) for cell, name, _ in records[2:]] == \
        [(3, "SyntaxError"), (4, "SystemExit")]
    assert "NameError" in result.stdout and "ZeroDivisionError" in result.stdout


def test_a_name_error_keeps_the_message_marking_reads(sandbox, notebook):
    result = sandbox.run(notebook("q1_derivative = 3*x**2"), ["q1_derivative"])
    assert [(e.name, e.message) for e in result.cell_errors] == \
        [_python_error("q1_derivative = 3*x**2")]


def test_top_level_await_runs(sandbox, notebook):
    path = notebook("import asyncio\nasync def twice(v):\n    await asyncio.sleep(0)\n"
                    "    return 2 * v", "value = await twice(21)", "after = value + 1")
    result = sandbox.run(path, ["value", "after"])
    assert result.status == "ok", result.reason
    assert list(result.cell_errors) == []
    assert result.answers == {"value": 42, "after": 43}


def test_shell_escapes_run_as_in_jupyter(sandbox, notebook):
    path = notebook("lines = !echo calcgrade\nfirst = lines[0]", "!exit 3\ncode = _exit_code",
                    "after = 1")
    result = sandbox.run(path, ["first", "code", "after"])
    assert result.status == "ok", result.reason
    assert result.answers == {"first": "calcgrade", "code": 3, "after": 1}


def test_pasted_prompts_and_an_indented_cell_run_as_ipython_reads_them(sandbox, notebook):
    path = notebook(">>> p = 4\n>>> q = p + 1", "    r = 5\n    s = r + 1",
                    "text = '''a\n   \nb'''")
    result = sandbox.run(path, ["p", "q", "r", "s", "text"])
    assert list(result.cell_errors) == []
    assert result.answers == {"p": 4, "q": 5, "r": 5, "s": 6, "text": "a\n\nb"}


def test_an_unchanged_self_check_cell_never_reaches_the_child(sandbox):
    from calcgrade.grader.grade import without_selfcheck
    from calcgrade.grader.sandbox.submission import Submission
    from calcgrade.grader.selfcheck import cell_source

    check = cell_source([{"name": "q1_value", "kind": "scalar"}])
    for cells, ran in ((((0, "q1_value = 1.5"), (1, check)), False),
                       (((0, "q1_value = 1.5"), (1, check + "edited = 1\n")), True)):
        submission = Submission(name="s.ipynb", text="{}", code_cells=cells)
        result = sandbox.run(without_selfcheck(submission), ["q1_value", "_calcgrade"])
        assert result.status == "ok", result.reason
        assert result.answers["q1_value"] == 1.5
        # The cell leaves its module in `_calcgrade` and prints its report when it runs.
        assert (result.answers["_calcgrade"] != {"$marker": "missing"}) is ran
        assert ("Self-check:" in result.stdout) is ran


def test_tb_shows_the_last_error_of_a_plain_cell(sandbox, notebook):
    path = notebook("def inner():\n    raise KeyError('deep')\ninner()", "%tb", "after = 1")
    result = sandbox.run(path, ["after"])
    assert result.answers == {"after": 1}
    assert [(e.cell, e.name) for e in result.cell_errors] == [(0, "KeyError")]
    assert result.stdout.count("KeyError: 'deep'") == 2  # the cell's traceback, then %tb's
