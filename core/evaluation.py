"""Real-domain evaluation of expression trees: fast floats that say where they fail, and
high precision where they do.

Floats overflow (``exp(800*x)``), underflow (``(x - 2)**6000`` near 2) and lose digits
to cancellation. :func:`evaluate_floats` evaluates a tree at many points at once, with the
semantics of :func:`calcgrade.core.expr.compile_numeric`, and sorts every point into one
of three cases: a trusted finite value, *undefined* in the reals (``log`` of a negative
number, a pole, an even root of a negative number, found from trusted inputs), or
*untrusted* (an overflow, an underflow or a cancellation that ate half the digits
happened on the way, so nothing is known).
:func:`precise_value` evaluates one point with mpmath, whose exponent range is
unbounded, at a precision that covers every magnitude met on the way (cancellation loses
nothing) and again at twice that, under a work :class:`Budget`; it returns ``None``
where the expression is undefined and raises :class:`Unrepresentable` where the two
disagree or the work would be too much.

>>> import mpmath, numpy as np
>>> from calcgrade.core.expr import Sym, exp, log
>>> x = Sym("x")
>>> values, undefined, untrusted = evaluate_floats(exp(800 * x) + log(x), {"x": np.array([0.5, -1.0, 2.0])})
>>> undefined.tolist(), untrusted.tolist()
([False, True, False], [False, False, True])
>>> precise = precise_value(exp(800 * x), {"x": 2.0}, Budget())
>>> mpmath.nstr(precise, 8)  # e**1600, far beyond the largest float
'7.4331183e+694'
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from calcgrade.core import expr as ex

# Beyond 2**MAX_BITS in magnitude a value is not worth computing (exp of a million).
MAX_BITS = 1 << 22
# Trigonometric arguments beyond 2**MAX_TRIG_BITS need that many extra bits of precision.
MAX_TRIG_BITS = 4096
# A float sum that loses more bits than this to cancellation is recomputed precisely
# (26 of 53 left: a relative error near 1e-8, far below any grading tolerance).
MAX_LOST_BITS = 27
# A float trigonometric function of a computed argument larger than this is recomputed.
MAX_TRIG_ARGUMENT = 1e7


class Unrepresentable(ArithmeticError):
    """The value exists but is out of the range or the work this module allows."""


class Budget:
    """A wall-clock deadline and a count of node evaluations for precise evaluation.

    >>> budget = Budget(seconds=1.0, operations=2)
    >>> budget.spend(); budget.spend(); budget.spend()
    Traceback (most recent call last):
    ...
    calcgrade.core.evaluation.Unrepresentable: the evaluation budget is spent
    """

    def __init__(self, seconds: float = 1.0, operations: int = 200_000):
        self.deadline = time.monotonic() + seconds
        self.operations = operations

    def spend(self) -> None:
        self.operations -= 1
        if self.operations < 0 or (self.operations % 16 == 0 and time.monotonic() > self.deadline):
            self.operations = -1
            raise Unrepresentable("the evaluation budget is spent")

    @property
    def spent(self) -> bool:
        return self.operations < 0 or time.monotonic() > self.deadline


# floats ----------------------------------------------------------------------------------

_State = tuple  # (values, undefined, untrusted), three arrays of the same length


def evaluate_floats(expr: ex.Expr, columns: dict[str, np.ndarray],
                    memo: dict | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(values, undefined, untrusted)`` of ``expr`` at the points given by ``columns``.

    ``columns`` maps each symbol to a 1-D float array (one entry per point). ``values`` is
    nan wherever the point is undefined or untrusted; the two masks never overlap.
    ``memo``, if given, receives the same triple for every subexpression.
    """
    n = len(next(iter(columns.values()))) if columns else 1
    memo = {} if memo is None else memo
    with np.errstate(all="ignore"):
        return _floats(expr, columns, n, memo)


def _constant(value: Fraction | int, n: int) -> _State:
    number = _as_float(value)
    untrusted = not np.isfinite(number) or (number == 0.0 and value != 0)
    return (np.full(n, np.nan if untrusted else number), np.zeros(n, bool), np.full(n, untrusted))


def _floats(node: ex.Expr, columns, n: int, memo) -> _State:
    hit = memo.get(node)
    if hit is not None:
        return hit
    if isinstance(node, ex.Num):
        state = _constant(node.value, n)
    elif isinstance(node, ex.Const):
        state = (np.full(n, ex.Const.VALUES[node.name]), np.zeros(n, bool), np.zeros(n, bool))
    elif isinstance(node, ex.Sym):
        values = np.asarray(columns[node.name], dtype=float)
        state = (values, np.zeros(n, bool), ~np.isfinite(values))
    else:
        children = [_floats(arg, columns, n, memo) for arg in node.args]
        state = _combine(node, children)
    memo[node] = state
    return state


def _combine(node: ex.Expr, children: list[_State]) -> _State:
    undefined, untrusted = children[0][1], children[0][2]
    for child in children[1:]:
        undefined = undefined | child[1]
        untrusted = untrusted | child[2]
    untrusted = untrusted & ~undefined
    clean = ~(undefined | untrusted)
    args = [c[0] for c in children]
    value, domain, imprecise = _apply(node, args)
    domain = clean & domain
    finite = np.isfinite(value)
    overflow = clean & ~domain & ~finite
    imprecise = clean & ~domain & imprecise
    undefined = undefined | domain
    untrusted = (untrusted | overflow | imprecise) & ~undefined
    value = np.where(undefined | untrusted, np.nan, value)
    return value, undefined, untrusted


def _apply(node: ex.Expr, args: list[np.ndarray]):
    """The numpy value, the domain-error mask and the imprecision mask of one node.

    Imprecise: an underflow, a sum that cancelled more than ``MAX_LOST_BITS`` of its
    terms' bits, or a trigonometric function of an argument too large to be accurate.
    """
    no = np.zeros(len(args[0]), bool)
    if isinstance(node, ex.Add):
        total, largest = args[0], np.abs(args[0])
        for arg in args[1:]:
            total = total + arg
            largest = np.maximum(largest, np.abs(arg))
        return total, no, np.abs(total) * 2.0 ** MAX_LOST_BITS < largest
    if isinstance(node, ex.Mul):
        total, nonzero = args[0], args[0] != 0
        for arg in args[1:]:
            total = total * arg
            nonzero = nonzero & (arg != 0)
        return total, no, nonzero & (total == 0)
    if isinstance(node, ex.Pow):
        base, exponent = args
        value, domain = _float_power(node, base, exponent)
        return value, domain, (base != 0) & (value == 0)
    name, arg = node.name, args[0]
    value = ex.FUNCTIONS[name](arg)
    if name == "log":
        return value, arg <= 0, no
    if name in ("asin", "acos"):
        return value, np.abs(arg) > 1, no
    if name == "exp":
        return value, no, value == 0
    if name in ("sin", "cos", "tan"):
        return value, no, np.abs(arg) > MAX_TRIG_ARGUMENT
    return value, no, no


def _float_power(node: ex.Pow, base: np.ndarray, exponent: np.ndarray):
    if isinstance(node.exp, ex.Num):
        p, q = node.exp.value.numerator, node.exp.value.denominator
        pole = (base == 0) & (p < 0)
        if q == 1:
            return np.power(base, _as_float(p)), pole
        if q % 2 == 1:  # odd roots are real for negative bases
            return np.power(np.sign(base) * np.abs(base) ** (1.0 / q), _as_float(p)), pole
        return np.power(base, _as_float(Fraction(p, q))), pole | (base < 0)
    whole = exponent == np.round(exponent)
    domain = ((base < 0) & ~whole) | ((base == 0) & (exponent < 0))
    return np.power(base, exponent), domain


def _as_float(value) -> float:
    try:
        return float(value)
    except OverflowError:
        return np.inf if value > 0 else -np.inf


# complex ----------------------------------------------------------------------------------


def evaluate_complex(expr: ex.Expr, columns: dict[str, np.ndarray]) -> np.ndarray:
    """The principal complex value of ``expr`` at each point (constants included).

    >>> evaluate_complex(ex.log(ex.Sym("x")) + ex.log(-1), {"x": np.array([-2.0])}).round(6).tolist()
    [(0.693147+6.283185j)]
    """
    n = len(next(iter(columns.values()))) if columns else 1
    with np.errstate(all="ignore"):
        return np.broadcast_to(_complex(expr, columns, n, {}), (n,))


def _complex(node: ex.Expr, columns, n: int, memo: dict) -> np.ndarray:
    hit = memo.get(node)
    if hit is not None:
        return hit
    if isinstance(node, ex.Num):
        value = np.full(n, complex(_as_float(node.value)))
    elif isinstance(node, ex.Const):
        value = np.full(n, complex(ex.Const.VALUES[node.name]))
    elif isinstance(node, ex.Sym):
        value = np.asarray(columns[node.name], dtype=complex)
    else:
        args = [_complex(a, columns, n, memo) for a in node.args]
        if isinstance(node, ex.Add):
            value = sum(args[1:], args[0])
        elif isinstance(node, ex.Mul):
            value = args[0]
            for arg in args[1:]:
                value = value * arg
        elif isinstance(node, ex.Pow):
            value = np.power(args[0], args[1])
        else:
            value = ex.FUNCTIONS[node.name](args[0])
    memo[node] = value
    return value


# high precision --------------------------------------------------------------------------

BASE_BITS = 128            # working precision for values near 1
MAX_PRECISION_BITS = 1 << 15

_CONTEXTS: dict[int, "mpmath.ctx_mp.MPContext"] = {}


def precise_context(bits: int):
    """A private mpmath context of ``bits`` bits (mpmath's global one is left alone).

    >>> precise_context(128).prec
    128
    """
    ctx = _CONTEXTS.get(bits)
    if ctx is None:
        import mpmath  # on first use: most answers never need it, and it takes a while to load

        ctx = mpmath.MPContext()
        ctx.prec = bits
        if len(_CONTEXTS) < 64:
            _CONTEXTS[bits] = ctx
    return ctx


class _Undefined(Exception):
    pass


class _Cancellation:
    """The most bits any sum lost to cancellation, and the smallest magnitude met."""

    def __init__(self):
        self.lost, self.low = 0, 0

    def see(self, ctx, value) -> None:
        if value:
            self.low = min(self.low, int(ctx.mag(value)))

    def see_sum(self, ctx, terms, total) -> None:
        largest = max((int(ctx.mag(t)) for t in terms if t), default=None)
        if largest is None:
            return
        # a sum that came out 0 may have lost everything down to the smallest value met
        floor = int(ctx.mag(total)) if total else self.low - 64
        self.lost = max(self.lost, largest - floor)


def evaluate_precise(expr: ex.Expr, point: dict[str, float], bits: int, budget: Budget,
                     seen: _Cancellation | None = None):
    """The real value of ``expr`` at ``point`` as an mpmath number of ``bits`` bits.

    ``None`` where the expression is undefined in the reals; raises
    :class:`Unrepresentable` when the value is too large to be worth computing or the
    ``budget`` is spent.
    """
    ctx = precise_context(bits)
    try:
        return _precise(expr, point, ctx, budget, {}, seen or _Cancellation())
    except _Undefined:
        return None
    except (OverflowError, MemoryError, ValueError, ZeroDivisionError) as error:
        raise Unrepresentable(str(error)) from None


def precise_value(expr: ex.Expr, point: dict[str, float], budget: Budget, resolution=0.0):
    """The value at ``point`` to within ``resolution`` (absolute) plus 2**-60 relative.

    A first pass at ``BASE_BITS`` measures how many bits the sums lose to cancellation;
    when they lose more than half, the value is computed again at a precision that covers
    them, and at twice that; ``None`` if both say undefined. Raises :class:`Unrepresentable` if they
    disagree, about the value or about whether it is defined.

    >>> x = ex.Sym("x")
    >>> precise_value(ex.Add((ex.exp(40 * x), ex.ONE, -ex.exp(40 * x))), {"x": 17.0}, Budget())
    mpf('1.0')
    """
    seen = _Cancellation()
    first = evaluate_precise(expr, point, BASE_BITS, budget, seen)
    if seen.lost <= BASE_BITS // 2:  # at least 64 good bits: nothing more to learn
        return first
    bits = min(BASE_BITS + seen.lost, MAX_PRECISION_BITS)
    low = evaluate_precise(expr, point, bits, budget)
    high = evaluate_precise(expr, point, 2 * bits, budget)
    if low is None and high is None:
        return None
    if low is None or high is None:
        raise Unrepresentable("defined at one precision only")
    if abs(low - high) > resolution + abs(high) * 2.0 ** -60:
        raise Unrepresentable("the two precisions disagree")
    return high


def _magnitude(ctx, value) -> int:
    return 0 if not value else abs(int(ctx.mag(value)))


def _precise(node: ex.Expr, point, ctx, budget: Budget, memo: dict, seen: _Cancellation):
    hit = memo.get(node)
    if hit is not None:
        return hit
    budget.spend()
    if isinstance(node, ex.Num):
        value = ctx.mpf(node.value.numerator) / node.value.denominator
    elif isinstance(node, ex.Const):
        value = +ctx.pi if node.name == "pi" else +ctx.e
    elif isinstance(node, ex.Sym):
        value = ctx.mpf(point[node.name])
    else:
        args = [_precise(a, point, ctx, budget, memo, seen) for a in node.args]
        if isinstance(node, ex.Add):
            value = ctx.fsum(args)
            seen.see_sum(ctx, args, value)
        elif isinstance(node, ex.Mul):
            if sum(_magnitude(ctx, a) for a in args) > MAX_BITS:
                raise Unrepresentable("the product is too large")
            value = ctx.fprod(args)
        elif isinstance(node, ex.Pow):
            value = _precise_power(node, args[0], args[1], ctx)
        else:
            value = _precise_function(node.name, args[0], ctx)
    seen.see(ctx, value)
    memo[node] = value
    return value


def _precise_power(node: ex.Pow, base, exponent, ctx):
    if isinstance(node.exp, ex.Num):
        p, q = node.exp.value.numerator, node.exp.value.denominator
        _check_power_size(ctx, base, abs(Fraction(p, q)))
        if base == 0:
            if p < 0:
                raise _Undefined
            return ctx.mpf(0)
        if q == 1:
            return base ** p
        if base < 0:
            if q % 2 == 0:
                raise _Undefined
            return (-ctx.root(-base, q)) ** p
        return ctx.root(base, q) ** p
    _check_power_size(ctx, base, abs(exponent))
    if base == 0:
        if exponent < 0:
            raise _Undefined
        return ctx.mpf(1) if exponent == 0 else ctx.mpf(0)
    if base < 0:
        if not ctx.isint(exponent):
            raise _Undefined
        return base ** int(exponent)
    return ctx.power(base, exponent)


def _check_power_size(ctx, base, exponent) -> None:
    if base and (_magnitude(ctx, base) + 1) * exponent > MAX_BITS:
        raise Unrepresentable("the power is too large")


def _precise_function(name: str, arg, ctx):
    if name in ("exp", "sinh", "cosh") and abs(arg) > MAX_BITS * 0.69:
        raise Unrepresentable(f"{name} of a number this large")
    if name in ("sin", "cos", "tan") and _magnitude(ctx, arg) > MAX_TRIG_BITS:
        raise Unrepresentable(f"{name} of a number this large")
    if name == "log":
        if arg <= 0:
            raise _Undefined
        return ctx.log(arg)
    if name in ("asin", "acos") and abs(arg) > 1:
        raise _Undefined
    if name == "Abs":
        return abs(arg)
    return getattr(ctx, name)(arg)
