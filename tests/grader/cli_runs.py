"""Running ``calcgrade`` in the test's own process, and reading its one-line errors.

>>> one_error_line("calcgrade: error: no such file\\n")
'calcgrade: error: no such file'
"""

from __future__ import annotations

from calcgrade.grader.cli import main


def run(capsys, *args) -> tuple[int, str, str]:
    """Run ``calcgrade ARGS`` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    """The single ``calcgrade: error: ...`` line of ``err`` (fails on anything else)."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("calcgrade: error: ")
    return lines[0]
