"""Inside the sandbox child: run the cells, extract answers, call function answers.

:func:`child_main` is what a forked worker child executes: it isolates itself
(:mod:`~calcgrade.grader.sandbox.jail`), lowers its resource limits, runs the code
cells in order in the namespace of the worker's pre-warmed IPython shell (a cell that
raises is recorded and the next cell still runs; magics, ``!cmd`` and top-level
``await`` work as in Jupyter), then converts the requested variables and the results of the requested function calls to
plain JSON data (:mod:`~calcgrade.grader.sandbox.convert`) and writes one
size-capped frame to the result pipe.

Most cells are plain Python: those are compiled and executed directly, which costs a
fraction of ``InteractiveShell.run_cell``; only a cell that IPython would read
differently goes through the shell (:func:`plain_source`, :func:`run_cells`).

The extraction helpers also work in-process (the test fake uses them):

>>> namespace = {"x": 2.5, "f": lambda z: 2 * z, "g": 3}
>>> extract_answers(namespace, ["x", "y"])
{'x': 2.5, 'y': {'$marker': 'missing'}}
>>> call_functions(namespace, {"f": [1, [1, 2], {"args": [3]}], "g": [0]})
{'f': [2.0, [2.0, 4.0], 6.0], 'g': [{'$marker': 'unconvertible', 'type': 'int', 'reason': 'not callable'}]}
"""

from __future__ import annotations

import __future__
import io
import linecache
import os
import re
import signal
import sys
import threading
import time
import traceback

import numpy as np

from calcgrade.grader.sandbox import convert, jail, limits as limits_module, protocol
from calcgrade.grader.sandbox.convert import (ERROR, MISSING, TIMEOUT, TOO_LARGE,
                                              UNCONVERTIBLE, clean_text, marker, to_plain,
                                              type_name)

MAX_CELL_ERRORS = 200
MAX_RESULT_ITEMS = 10_000  # per call of a function answer: a test's output is small
MAX_TIMEOUTS = 2  # a function that ran out of time this often is not called again
RESULT_FD = 3

_asarray = np.asarray
_float = float
_callable = callable
_dict_get = dict.get


# --- time budgets -------------------------------------------------------------------


class _Deadline(BaseException):
    """Raised by SIGALRM when a call runs out of time (not an Exception subclass)."""


class _Alarm:
    fired = False


def _on_alarm(signum, frame):
    _Alarm.fired = True
    raise _Deadline()


def guarded(function, seconds: float | None):
    """``function()`` under a time budget; failures become markers.

    The budget uses SIGALRM, so it only applies in the main thread; elsewhere (the
    in-process fake) ``function`` runs without one.
    """
    use_timer = seconds is not None and threading.current_thread() is threading.main_thread()
    _Alarm.fired = False
    try:
        try:
            if use_timer:
                signal.signal(signal.SIGALRM, _on_alarm)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
                signal.setitimer(signal.ITIMER_REAL, seconds)
            value = function()
        finally:
            if use_timer:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _Deadline:
        return marker(TIMEOUT)
    except MemoryError:
        return marker(ERROR, error="MemoryError", message="out of memory")
    except BaseException as error:  # noqa: BLE001 - student code may raise anything
        return marker(ERROR, error=type_name(error), message=_message(error))
    if _Alarm.fired:
        return marker(TIMEOUT)
    return value


def _message(error: BaseException) -> str:
    """``str(error)`` cut to 500 characters; empty if even that fails."""
    try:
        text = BaseException.__str__(error)
        return clean_text(text, 500) if type(text) is str else ""
    except BaseException:  # noqa: BLE001
        return ""


# --- answers and function calls ------------------------------------------------------


def extract_answers(namespace: dict, names, seconds: float | None = None) -> dict:
    """Each name's value converted to plain data (``missing`` when undefined)."""
    answers = {}
    for name in names:
        value = _dict_get(namespace, name, _MISSING)
        if value is _MISSING:
            answers[name] = marker(MISSING)
        else:
            answers[name] = guarded(lambda value=value: to_plain(value), seconds)
    return answers


class _Missing:
    pass


_MISSING = _Missing()


def _argument(value):
    """A test input as the student's function receives it: floats and float arrays."""
    if type(value) in (int, float):
        return _float(value)
    if type(value) is list:
        try:
            return _asarray(value, dtype=_float)
        except (TypeError, ValueError):
            return list(value)
    return value


def _arguments(test_input) -> list:
    if type(test_input) is dict and type(test_input.get("args")) is list:
        return [_argument(value) for value in test_input["args"]]
    return [_argument(test_input)]


def call_functions(namespace: dict, functions: dict, seconds: float | None = None) -> dict:
    """For each function name, one converted result (or marker) per test input.

    An input is a number (passed as a float), a list (passed as a float numpy array)
    or ``{"args": [...]}`` for several arguments; a nested list arrives as a float array
    of its shape. Each call and the conversion of its result share a budget of
    ``seconds``; a result of more than :data:`MAX_RESULT_ITEMS` numbers is ``too_large``;
    after :data:`MAX_TIMEOUTS` time-outs a function's remaining inputs are time-outs too.
    """
    results = {}
    for name, inputs in functions.items():
        function = _dict_get(namespace, name, _MISSING)
        if function is _MISSING:
            results[name] = [marker(MISSING) for _ in inputs]
        elif not _callable(function):
            results[name] = [marker(UNCONVERTIBLE, type=type_name(function), reason="not callable")
                             for _ in inputs]
        else:
            results[name] = out = []
            for test_input in inputs:
                if sum(1 for r in out if type(r) is dict and r.get(convert.MARKER) == TIMEOUT) \
                        >= MAX_TIMEOUTS:  # it loops: the rest would only spend the wall clock
                    out.append(marker(TIMEOUT))
                    continue
                out.append(guarded(lambda args=_arguments(test_input): to_plain(
                    function(*args), max_items=MAX_RESULT_ITEMS), seconds))
    return results


# --- the IPython shell ----------------------------------------------------------------


def make_shell():
    """A Jupyter-like InteractiveShell without history, colours or a kernel."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor" if _ipython_major() >= 9 else "NoColor"
    shell = InteractiveShell.instance(config=config)
    # `!cmd` through subprocess (as ipykernel does), not pexpect: no pty, no delays;
    # its output goes to the inherited fds 1 and 2, which the worker captures.
    shell.system = shell.system_raw
    return shell


def _ipython_major() -> int:
    import IPython

    return int(IPython.__version__.split(".")[0])


WARM_UP = (
    "import numpy as np\n_x = np.linspace(0.0, 1.0, 5)\n_x.sum()",
    "def _f(z):\n    return 1 / (1 + np.exp(-z))\nprint(_f(_x).round(3))",
    "1 / 0",
    "%time _y = sum(range(10))",
    "_broken(",
)


def warm_up(shell) -> None:
    """Run representative cells, plain and IPython ones, once (lazy imports, caches),
    then forget them."""
    run_cells(shell, enumerate(WARM_UP))
    for name in [name for name in linecache.cache if name.startswith("<cell ")]:
        del linecache.cache[name]
    shell.reset(new_session=False)
    shell.execution_count = 1


# --- running the cells -------------------------------------------------------------------

# Text that may compile as Python but that IPython's input transformer would still
# change: pasted prompts (``>>>`` at any indent, ``... `` starting a line, ``...:``,
# ``In [1]: ``) and an indented first line (IPython dedents the whole cell).
_IPYTHON_TEXT = re.compile(r"^\s*>>>|^\.\.\.(?: |$)|^\s*\.{3,}:"
                           r"|^\s*(?:\[(?:nav|ins)\])?\s*In \[\d+\]:"
                           r"|\A(?:[ \t\f]*\r?\n)*[ \t\f]+\S", re.MULTILINE)
# IPython blanks whitespace-only lines (textwrap.dedent), in strings too.
_WHITESPACE_ONLY = re.compile(r"^[ \t]+$", re.MULTILINE)
# The word a one-line cell starts with, as IPython's prefilter reads it.
_FIRST_WORD = re.compile(r"\s*([\w.*]+)")
_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


def plain_source(source: str, magics=(), namespace=None) -> str | None:
    """The cell as the plain Python IPython would run, or None when it needs IPython.

    A cell needs IPython when it is not valid Python (magics ``%``/``%%``, ``!cmd``,
    ``x = !cmd``, help ``?``, top-level ``await``, or a real syntax error, which IPython
    then reports as it always did; :func:`plain_code` finds those by compiling), or
    when IPython would change it although it compiles: pasted prompts, an indented
    first line, and a one-line cell whose first word is one of ``magics`` (IPython's
    automagic runs ``pwd`` as ``%pwd``), ``exit`` or ``quit``, or names an IPython
    object (a macro) in ``namespace``. Every IPython escape sits where Python allows
    no token, so "compiles" is the exact test for those. Whitespace-only lines are
    blanked, as IPython does.

    >>> plain_source("x = 1\\n    \\ny = 2")
    'x = 1\\n\\ny = 2'
    >>> [plain_source(text, magics={"pwd"}) for text in (">>> x = 1", "  # note\\nx = 1", "pwd")]
    [None, None, None]
    """
    if _IPYTHON_TEXT.search(source) is not None:
        return None
    text = source.strip()
    if "\n" not in text and "\r" not in text:
        word = _FIRST_WORD.match(text)
        if word is not None and _prefiltered(word.group(1), magics, namespace):
            return None
    if "\n " in source or "\n\t" in source or source[:1] in (" ", "\t"):
        source = _WHITESPACE_ONLY.sub("", source)
    return source


def plain_code(source: str, filename: str, flags: int = 0, magics=(), namespace=None):
    """The cell compiled as plain Python (:func:`plain_source`), or None when it needs
    IPython. ``flags`` are the ``__future__`` features in force.

    >>> plain_code("x = 1", "cell") is not None
    True
    >>> [plain_code(text, "cell") for text in ("%time x = 1", "!ls", "x?", "await f()")]
    [None, None, None, None]
    """
    text = plain_source(source, magics, namespace)
    if text is None:
        return None
    try:
        return compile(text, filename, "exec", flags & _FUTURE_FLAGS, True)
    except BaseException:  # noqa: BLE001 - SyntaxError, ValueError (NUL bytes), MemoryError...
        return None


def _prefiltered(word: str, magics, namespace) -> bool:
    """Whether IPython's prefilter may turn a one-line cell starting with ``word`` into
    something else: a magic (automagic), an exit call, a macro."""
    if word in magics or word in ("exit", "quit"):
        return True
    if namespace is not None and type(namespace) is dict:
        value = namespace.get(word)
        return value is not None and type(value).__module__.startswith("IPython.")
    return False


def run_cells(shell, cells) -> tuple[list[dict], bool]:
    """Run ``(index, source)`` cells in order; returns (cell errors, ran out of memory).

    A plain Python cell is compiled and executed in the shell's namespace with the
    shell's builtins in place (``get_ipython``, ``display``), as IPython would, minus
    the display of the last expression and the ``_``/``Out`` history. Any other cell
    (:func:`plain_code`) goes through ``shell.run_cell``. Either way a cell that raises
    is recorded with its exception's type and message, its traceback is printed, and
    the next cell runs.
    """
    errors = []
    memory_error = False
    original = shell.user_ns
    compiler = shell.compile
    with shell.builtin_trap:
        for index, source in cells:
            error = _run_cell(shell, compiler, original, int(index), source)
            if error is not None:
                memory_error = memory_error or issubclass(type(error), MemoryError)
                if len(errors) < MAX_CELL_ERRORS:
                    errors.append({"cell": int(index), "name": type_name(error),
                                   "message": _message(error)})
    return errors, memory_error


def _run_cell(shell, compiler, original: dict, index: int, source) -> BaseException | None:
    """One cell; returns the exception it raised, if any."""
    try:
        source = str(source)
        filename = f"<cell {index}>"
        code = plain_code(source, filename, compiler.flags, shell.magics_manager.magics["line"],
                          shell.user_ns)
        if code is None:
            outcome = shell.run_cell(source, store_history=True)
            return outcome.error_before_exec or outcome.error_in_exec
        compiler.flags |= code.co_flags & _FUTURE_FLAGS  # a __future__ import holds on
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        namespace = shell.user_ns
        if type(namespace) is not dict:  # replaced by the student with something odd
            namespace = original
        try:
            exec(code, namespace)
        except BaseException as raised:  # noqa: BLE001 - student code may raise anything
            _show_traceback(raised)
            return raised
        return None
    except BaseException as raised:  # noqa: BLE001 - IPython itself failed
        return raised


def _show_traceback(error: BaseException) -> None:
    """Print a failing plain cell's traceback (without this module's frame) and keep it
    where ``%tb`` and ``%debug`` look for the last one, as IPython does."""
    try:
        trace = error.__traceback__.tb_next
        sys.last_type, sys.last_value, sys.last_traceback = type(error), error, trace
        traceback.print_exception(type(error), error, trace, file=sys.stdout)
    except BaseException:  # noqa: BLE001 - a broken stdout or a hostile exception
        pass


# --- the child process ------------------------------------------------------------------


def _fit(payload: dict, max_bytes: int) -> bytes:
    """The result frame, with the largest answers replaced by markers until it fits."""
    while True:
        try:
            return protocol.encode_frame(payload, max_bytes)
        except protocol.ProtocolError:
            pass
        sizes = []
        for section in ("answers", "functions"):
            for name, value in payload[section].items():
                if convert.marker_kind(value) != TOO_LARGE:
                    size = len(protocol._ENCODER.encode(value))
                    sizes.append((size, section, name))
        if not sizes:
            payload["cell_errors"] = payload["cell_errors"][:10]
            return protocol.encode_frame(payload, max_bytes)
        _, section, name = max(sizes)
        payload[section][name] = marker(TOO_LARGE, type="result")
        payload["truncated"] = True


def _redirect_fds(result_fd: int, output_fd: int) -> None:
    """fd 0 = /dev/null, 1 and 2 = the output pipe, 3 = the result pipe, no others."""
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.dup2(result_fd, RESULT_FD, inheritable=False)
    os.closerange(RESULT_FD + 1, max(os.sysconf("SC_OPEN_MAX"), 1024))
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False),
                                                 encoding="utf-8")
    for number, name in ((1, "stdout"), (2, "stderr")):
        stream = io.TextIOWrapper(io.FileIO(number, "w", closefd=False), encoding="utf-8",
                                  errors="backslashreplace", line_buffering=True)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def child_main(shell, plan: jail.Plan, header: dict, body: bytearray,
               result_fd: int, output_fd: int) -> None:
    """Everything a submission child does; never returns (``os._exit``).

    ``header`` is the run request (answers, functions, limits); ``body`` the raw JSON
    of ``{"cells", "notebook"}``, decoded here rather than in the worker.
    """
    me = os.getpid()
    clock = time.perf_counter()
    timing = {}
    target = result_fd  # where the result pipe is (fd 3 once the descriptors are arranged)
    payload = {"answers": {}, "functions": {}, "cell_errors": [], "memory_error": False,
               "isolation": {}}
    max_bytes = 1024 * 1024
    try:
        request = {**header, **protocol.decode_body(bytes(body))}
        limits = limits_module.Limits.from_dict(request["limits"])
        max_bytes = limits.result_bytes
        try:
            os.setsid()
        except OSError:  # the worker already made us a process group leader
            pass
        _redirect_fds(result_fd, output_fd)
        target = RESULT_FD
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        payload["isolation"] = jail.enter(plan, limits.disk_bytes, plan.extra)
        if plan.root and os.path.dirname(plan.root) in sys.path:  # the worker's directory
            sys.path.remove(os.path.dirname(plan.root))
        jail.prctl(jail.PR_SET_PDEATHSIG, signal.SIGKILL)
        home = os.getcwd()
        os.environ.update({"HOME": home, "PWD": home,
                           "TMPDIR": "/tmp" if payload["isolation"]["filesystem"] else home,
                           "MPLCONFIGDIR": os.path.join(home, ".matplotlib")})
        _write_copy(request.get("notebook") or {})
        timing["setup"] = time.perf_counter() - clock
        failed = limits_module.apply_rlimits(limits)
        if failed:
            payload["isolation"]["rlimits_failed"] = failed
        original = shell.user_ns
        errors, memory_error = run_cells(shell, request.get("cells", []))
        payload["cell_errors"] = errors
        payload["memory_error"] = memory_error
        timing["cells"] = time.perf_counter() - clock
        namespace = shell.user_ns
        if type(namespace) is not dict:  # replaced by the student with something odd
            namespace = original
        payload["answers"] = extract_answers(namespace, request.get("answers", []),
                                             limits.call_seconds)
        payload["functions"] = call_functions(namespace, request.get("functions", {}),
                                              limits.call_seconds)
        _flush()
        timing["answers"] = time.perf_counter() - clock
        payload["timing"] = {key: round(value, 4) for key, value in timing.items()}
        frame = _fit(payload, max_bytes)
    except MemoryError:
        frame = _emergency({"memory_error": True,
                            "fatal": "out of memory while extracting the answers"}, payload)
    except BaseException as error:  # noqa: BLE001
        frame = _emergency({"fatal": f"sandbox error: {type_name(error)}: {_message(error)}"},
                           payload)
    try:
        if os.getpid() == me:  # a copy forked by student code never reports
            protocol.write_all(target, frame)
    finally:
        os._exit(0)


def _emergency(fields: dict, payload: dict) -> bytes:
    try:
        return protocol.encode_frame({"answers": {}, "functions": {}, "cell_errors": [],
                                      "memory_error": False,
                                      "isolation": payload.get("isolation", {}), **fields})
    except BaseException:  # noqa: BLE001
        return protocol.encode_frame({"fatal": "sandbox error"})


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - the student may have replaced them
            pass


def _write_copy(notebook: dict) -> None:
    """Put a copy of the submission in the working directory."""
    name = os.path.basename(str(notebook.get("name") or "submission.ipynb"))
    if not name or name.startswith(".") or len(name) > 200:
        name = "submission.ipynb"
    with open(name, "w", encoding="utf-8") as handle:
        handle.write(str(notebook.get("text") or ""))

