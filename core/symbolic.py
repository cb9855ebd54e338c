"""Symbolic confirmation with sympy, in a bounded helper process (DESIGN §5).

When sampling cannot decide whether two expressions are equal, sympy may: ``simplify(a -
b) == 0`` proves them equal, a difference sympy proves non-zero proves them different.
sympy can take unbounded time and memory, so it never runs in the grading process: a
:class:`SymbolicChecker` starts one helper process on first use (``python -m
calcgrade.core.symbolic``), reuses it across questions, limits its address space, gives
each question a wall-clock timeout, and kills it (to be restarted on the next question)
when the timeout passes. Trees travel as JSON data (:func:`tree_to_data`) and are rebuilt
with constructors on the other side; no text is ever parsed or evaluated.

>>> from calcgrade.core.expr import Sym
>>> tree_to_data(Sym("x") ** 2 / 3)
['mul', [['num', 1, 3], ['pow', ['sym', 'x'], ['num', 2, 1]]]]
>>> tree_from_data(tree_to_data(Sym("x") ** 2 / 3)) == Sym("x") ** 2 / 3
True
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
import weakref
from fractions import Fraction

from calcgrade.core import expr as ex

DEFAULT_TIMEOUT = 5.0          # seconds of wall clock per question
STARTUP_TIMEOUT = 20.0         # seconds for the helper to import sympy
RETRY_AFTER = 60.0             # seconds without a new helper after one failed to start
MEMORY_LIMIT = 1 << 30         # bytes of address space for the helper
MAX_REQUEST_BYTES = 4_000_000  # a question larger than this is not sent
MAX_REPLY_BYTES = 4096

# Environment variables the helper inherits; nothing else (no course secret) crosses over.
_ENV_KEEP = ("PATH", "PYTHONPATH", "PYTHONHOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


def tree_to_data(tree: ex.Expr):
    """The tree as nested JSON-able lists: ``['add', [...]]``, ``['num', p, q]``, ..."""
    if isinstance(tree, ex.Num):
        return ["num", tree.value.numerator, tree.value.denominator] if isinstance(tree.value, Fraction) \
            else ["num", tree.value, 1]
    if isinstance(tree, ex.Sym):
        return ["sym", tree.name]
    if isinstance(tree, ex.Const):
        return ["const", tree.name]
    if isinstance(tree, ex.Add):
        return ["add", [tree_to_data(t) for t in tree.terms]]
    if isinstance(tree, ex.Mul):
        return ["mul", [tree_to_data(f) for f in tree.factors]]
    if isinstance(tree, ex.Pow):
        return ["pow", tree_to_data(tree.base), tree_to_data(tree.exp)]
    if isinstance(tree, ex.Fn):
        return ["fn", tree.name, tree_to_data(tree.arg)]
    raise TypeError(f"cannot send {type(tree).__name__}")


def tree_from_data(data) -> ex.Expr:
    """The tree again, built node by node with the constructors (no simplification)."""
    kind = data[0]
    if kind == "num":
        return ex.Num(Fraction(int(data[1]), int(data[2])))
    if kind == "sym":
        return ex.Sym(str(data[1]))
    if kind == "const":
        return ex.Const(str(data[1]))
    if kind == "add":
        return ex.Add(tuple(tree_from_data(t) for t in data[1]))
    if kind == "mul":
        return ex.Mul(tuple(tree_from_data(f) for f in data[1]))
    if kind == "pow":
        return ex.Pow(tree_from_data(data[1]), tree_from_data(data[2]))
    if kind == "fn":
        return ex.Fn(str(data[1]), tree_from_data(data[2]))
    raise ValueError(f"unknown node {kind!r}")


_LIVE: "weakref.WeakSet[SymbolicChecker]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for checker in list(_LIVE):
        checker.close()


class SymbolicChecker:
    """A reusable sympy helper process: :meth:`decide` asks it one question at a time.

    Thread-safe; :meth:`close` (also run at exit) kills the helper. A process forked from
    the owner never touches the owner's helper.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, memory_limit: int = MEMORY_LIMIT,
                 startup_timeout: float = STARTUP_TIMEOUT):
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen | None = None
        self._buffer = b""
        self._owner = os.getpid()
        self._lock = threading.Lock()
        self._retry_at = 0.0
        _LIVE.add(self)

    @property
    def pid(self) -> int | None:
        """The helper's process id while it runs."""
        return self._process.pid if self._process is not None else None

    def decide(self, a: ex.Expr, b: ex.Expr, timeout: float | None = None) -> bool | None:
        """True if sympy proves ``a == b``, False if it proves them different, else None.

        None also when the helper runs out of time or memory, crashes, or cannot start.
        """
        request = json.dumps({"a": tree_to_data(a), "b": tree_to_data(b)}).encode() + b"\n"
        if len(request) > MAX_REQUEST_BYTES:
            return None
        with self._lock:
            if os.getpid() != self._owner:
                return None
            try:
                if not self._ensure_started():
                    return None
                self._send(request)
                reply = self._read_line(time.monotonic() + (self.timeout if timeout is None else timeout))
            except (OSError, TimeoutError, ValueError):
                self._stop()
                return None
        try:
            result = json.loads(reply).get("result")
        except (ValueError, AttributeError):
            return None
        return {"equal": True, "different": False}.get(result)

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing to report at collection time
            pass

    def close(self) -> None:
        """Kill the helper (a later question starts a new one)."""
        if os.getpid() != self._owner:
            return
        with self._lock:
            self._stop()

    # process -------------------------------------------------------------------------
    def _ensure_started(self) -> bool:
        if self._process is not None and self._process.poll() is None:
            return True
        self._stop()
        if time.monotonic() < self._retry_at:
            return False
        env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   PYTHONDONTWRITEBYTECODE="1")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "calcgrade.core.symbolic", str(self.memory_limit), str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, close_fds=True, cwd=os.path.abspath(os.sep),
        )
        self._buffer = b""
        try:
            ready = json.loads(self._read_line(time.monotonic() + self.startup_timeout))
            if not isinstance(ready, dict) or ready.get("ready") is not True:
                raise ValueError("the symbolic helper did not start")
        except (OSError, TimeoutError, ValueError):
            self._stop()
            self._retry_at = time.monotonic() + RETRY_AFTER
            return False
        return True

    def _send(self, data: bytes) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(data)
        self._process.stdin.flush()

    def _read_line(self, deadline: float) -> bytes:
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the symbolic helper did not answer in time")
            readable, _, _ = select.select([fd], [], [], left)
            if not readable:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise OSError("the symbolic helper stopped")
            self._buffer += chunk
            if len(self._buffer) > MAX_REPLY_BYTES:
                raise ValueError("the symbolic helper's reply is too long")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _stop(self) -> None:
        process, self._process = self._process, None
        self._buffer = b""
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except (OSError, AttributeError):
                pass


# the helper process ------------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies (a no-op elsewhere)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(0)


def decide_with_sympy(a, b) -> str:
    """``'equal'``, ``'different'`` or ``'unknown'`` for two sympy expressions."""
    import sympy

    difference = a - b
    if difference == 0:
        return "equal"
    if difference.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return "unknown"
    for step in (sympy.expand, sympy.simplify):
        difference = step(difference)
        if difference == 0:
            return "equal"
        if difference.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            return "unknown"
        if difference.is_zero is False:
            return "different"
    return "unknown"


def _serve(memory_limit: int, parent: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    _die_with_parent(parent)
    import sympy  # noqa: F401  (paid once, before the first question)

    out = sys.stdout.buffer
    out.write(b'{"ready": true}\n')
    out.flush()
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
            a = to_sympy(tree_from_data(request["a"]))
            b = to_sympy(tree_from_data(request["b"]))
            result = decide_with_sympy(a, b)
        except (MemoryError, RecursionError):
            result = "unknown"
        except Exception:  # noqa: BLE001 - any failure of sympy is "cannot decide"
            result = "unknown"
        out.write(json.dumps({"result": result}).encode() + b"\n")
        out.flush()


def to_sympy(expr: ex.Expr):
    """The same expression as a sympy object (for symbolic checks and test oracles)."""
    import sympy

    if isinstance(expr, ex.Num):
        return sympy.Rational(expr.value.numerator, expr.value.denominator)
    if isinstance(expr, ex.Sym):
        return sympy.Symbol(expr.name, real=True)
    if isinstance(expr, ex.Const):
        return sympy.E if expr.name == "E" else sympy.pi
    if isinstance(expr, ex.Add):
        return sympy.Add(*(to_sympy(t) for t in expr.terms))
    if isinstance(expr, ex.Mul):
        return sympy.Mul(*(to_sympy(f) for f in expr.factors))
    if isinstance(expr, ex.Pow):
        base, exponent = to_sympy(expr.base), to_sympy(expr.exp)
        if isinstance(expr.exp, ex.Num) and expr.exp.value.denominator % 2 == 1 \
                and expr.exp.value.denominator > 1:
            return sympy.real_root(base, expr.exp.value.denominator) ** expr.exp.value.numerator
        return sympy.Pow(base, exponent)
    if isinstance(expr, ex.Fn):
        return getattr(sympy, expr.name)(to_sympy(expr.arg))
    raise TypeError(f"cannot convert {type(expr).__name__}")


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
