"""A test double of :class:`~calcgrade.grader.sandbox.executor.SandboxExecutor`.

**For tests only.** :class:`InProcessExecutor` has the same interface (``run``,
``run_many``, context manager) and returns the same :class:`ExecutionResult` shapes,
so comparison and grading logic can be tested in milliseconds without processes.
It is *not* a sandbox: in execute mode it runs notebook code in the calling process
with ``exec``, with no isolation and no limits. Use it only with notebooks written by
the test itself, never with a student's file.

Two modes:

- canned: ``InProcessExecutor(answers={...}, functions={...})`` returns those values
  (converted exactly as the sandbox converts them) for every notebook; the notebook
  argument is not even opened. ``status``/``reason`` simulate failures;
- execute: ``InProcessExecutor()`` reads the notebook (``invalid`` if it is not one)
  and ``exec``s its code cells in a fresh namespace, in order (IPython magics are not
  supported: such a cell is recorded as a SyntaxError, like any cell that raises).

>>> fake = InProcessExecutor(answers={"x": float("nan")}, functions={"f": lambda z: z + 1})
>>> result = fake.run("ignored.ipynb", answers=["x"], functions={"f": [1, [1, 2]]})
>>> result.answers, result.function_results
({'x': {'$marker': 'nan'}}, {'f': [2.0, [2.0, 3.0]]})
>>> InProcessExecutor(status="timeout", reason="simulated").run("x.ipynb").status
'timeout'
>>> len(fake.calls)
1
"""

from __future__ import annotations

import contextlib
import io
import time

from calcgrade.grader.sandbox.convert import type_name
from calcgrade.grader.sandbox.executor import Job
from calcgrade.grader.sandbox.limits import Limits
from calcgrade.grader.sandbox.result import MEMORY, OK, ExecutionResult
from calcgrade.grader.sandbox.runner import _message, call_functions, extract_answers
from calcgrade.grader.sandbox.submission import (InvalidSubmission, Submission, check_request,
                                                 load_submission)


class InProcessExecutor:
    """Same interface as SandboxExecutor; see the module docstring (tests only)."""

    def __init__(self, answers: dict | None = None, functions: dict | None = None, *,
                 status: str = OK, reason: str = "", stdout: str = "",
                 limits: Limits | None = None):
        self.canned_answers = answers
        self.canned_functions = functions or {}
        self.status = status
        self.reason = reason
        self.stdout = stdout
        self.limits = limits or Limits()
        self.calls: list[tuple] = []

    def start(self) -> "InProcessExecutor":
        return self

    def close(self) -> None:
        pass

    def __enter__(self) -> "InProcessExecutor":
        return self

    def __exit__(self, *exc) -> None:
        pass

    def run(self, notebook, answers=(), functions=None, limits: Limits | None = None
            ) -> ExecutionResult:
        """Canned answers, or the notebook's cells executed in this process."""
        answers, functions = check_request(answers, functions)
        self.calls.append((notebook, tuple(answers), functions))
        limits = limits or self.limits
        start = time.monotonic()
        if self.status != OK:
            return ExecutionResult(self.status, reason=self.reason, stdout=self.stdout)
        if self.canned_answers is not None:
            namespace = {**self.canned_answers, **self.canned_functions}
            cell_errors, memory_error, stdout = [], False, self.stdout
        else:
            try:
                submission = notebook if isinstance(notebook, Submission) else \
                    load_submission(notebook, limits.notebook_bytes)
            except InvalidSubmission as error:
                return ExecutionResult.invalid(error.reason)
            namespace, cell_errors, memory_error, stdout = _execute(submission)
        result = ExecutionResult(
            MEMORY if memory_error else OK,
            reason="the notebook ran out of memory" if memory_error else "",
            answers=extract_answers(namespace, answers),
            function_results=call_functions(namespace, functions),
            cell_errors=cell_errors, stdout=stdout[-limits.output_tail:],
            seconds=round(time.monotonic() - start, 4), network_isolated=False,
            isolation={"namespaces": "none (in-process fake)"})
        return result

    def run_many(self, jobs) -> list[ExecutionResult]:
        """Run jobs one after the other (same argument forms as SandboxExecutor)."""
        jobs = [job if isinstance(job, Job) else Job(*job) for job in jobs]
        return [self.run(job.notebook, job.answers, job.functions, job.limits) for job in jobs]


def _execute(submission: Submission):
    """exec each code cell of a trusted test notebook; returns namespace, errors, ..."""
    namespace = {"__name__": "__main__"}
    errors, memory_error = [], False
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        for index, source in submission.code_cells:
            try:
                code = compile(source, f"<cell {index}>", "exec")
                exec(code, namespace)  # noqa: S102 - trusted test source only (see module doc)
            except BaseException as error:  # noqa: BLE001
                memory_error = memory_error or isinstance(error, MemoryError)
                errors.append({"cell": index, "name": type_name(error), "message": _message(error)})
    return namespace, errors, memory_error, buffer.getvalue()
