"""Independent reference answers for the corpus class, and the fair grader's credit rules.

Everything here is computed with sympy, numpy and scipy straight from a variant's params,
never with calcgrade's solvers, so that the corpus checks the grader against a second,
independent reading of every problem.

>>> answers_for("softmax_cross_entropy", {"scores": [0.0, 0.0], "label": 1})["loss"]
0.6931471805599453
>>> close(1.0005, 1.0), close(1.002, 1.0)
(True, False)
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import sympy as sp

RTOL, ATOL = 1e-3, 1e-6


# --- parsing and exactness ----------------------------------------------------------------------

def parse(text: str, names: Sequence[str]) -> sp.Expr:
    """A param's text as an exact sympy expression (decimals become rationals)."""
    symbols = {name: sp.Symbol(name) for name in names}
    return sp.sympify(text, locals={**symbols, "ln": sp.log}, convert_xor=True, rational=True)


def symbols(names: Sequence[str]) -> list[sp.Symbol]:
    return [sp.Symbol(name) for name in names]


def close(student: float, reference: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """|s − r| ≤ atol + rtol·|r|, the course's rule for numbers."""
    return abs(float(student) - float(reference)) <= atol + rtol * abs(float(reference))


def points_close(a: Sequence[float], b: Sequence[float]) -> bool:
    return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))


# --- one function per family ----------------------------------------------------------------------

def _derivative(params):
    var = params.get("var", "x")
    (x,) = symbols([var])
    f = parse(params["f"], [var])
    d = sp.diff(f, x, int(params.get("order", 1)))
    out = {"derivative": d, "value": float(d.subs(x, params["at"]))}
    if int(params.get("order", 1)) == 2:
        sign = sp.sign(d.subs(x, sp.nsimplify(params["at"])))
        out["concavity"] = {1: "concave up", -1: "concave down", 0: "neither"}[int(sign)]
    return out


def _gradient_functions(params):
    names = params["vars"]
    xs = symbols(names)
    f = parse(params["f"], names)
    grads = sp.lambdify(xs, [sp.diff(f, v) for v in xs], "math")
    return f, xs, (lambda p: [float(g) for g in grads(*p)])


def _gradient_descent(params):
    _, _, gradient = _gradient_functions(params)
    point = [float(v) for v in params["x0"]]
    gradients, iterates = [], []
    for _ in range(params["steps"]):
        g = gradient(point)
        gradients.append(g)
        point = [p - params["lr"] * gi for p, gi in zip(point, g)]
        iterates.append(point)
    return {"gradients": gradients, "iterates": iterates}


def newton_step_function(params) -> Callable[[list], list]:
    names = params["vars"]
    xs = symbols(names)
    f = parse(params["f"], names)
    if params["goal"] == "root":
        (x,) = xs
        ratio = sp.lambdify(x, f / sp.diff(f, x), "math")
        return lambda p: [p[0] - float(ratio(p[0]))]
    grad = sp.Matrix([sp.diff(f, v) for v in xs])
    hess = sp.hessian(f, xs)
    g = sp.lambdify(xs, grad, "numpy")
    h = sp.lambdify(xs, hess, "numpy")

    def step(p):
        delta = np.linalg.solve(np.array(h(*p), dtype=float), np.array(g(*p), dtype=float).ravel())
        return [float(a - d) for a, d in zip(p, delta)]
    return step


def gd_step_function(params) -> Callable[[list], list]:
    _, _, gradient = _gradient_functions(params)
    return lambda p: [a - params["lr"] * g for a, g in zip(p, gradient(p))]


def gd_gradient_function(params) -> Callable[[list], list]:
    return _gradient_functions(params)[2]


def _newton(params):
    step = newton_step_function(params)
    point = [float(v) for v in params["x0"]]
    iterates = []
    for _ in range(params["steps"]):
        point = step(point)
        iterates.append(point)
    return {"iterates": iterates}


def classify(eigenvalues) -> str:
    """The eigenvalue test, on exact (sympy) or float eigenvalues."""
    signs = {int(sp.sign(v)) if isinstance(v, sp.Basic) else (0 if abs(v) < 1e-12 else int(np.sign(v)))
             for v in eigenvalues}
    if 1 in signs and -1 in signs:
        return "saddle"
    if 0 in signs:
        return "inconclusive"
    return "minimum" if signs == {1} else "maximum"


def _hessian(params):
    names = params["vars"]
    xs = symbols(names)
    f = parse(params["f"], names)
    at = dict(zip(xs, [sp.nsimplify(v) for v in params["point"]]))
    gradient = [sp.diff(f, v).subs(at) for v in xs]
    hessian = sp.hessian(f, xs).subs(at)
    numeric = np.linalg.eigvalsh(np.array(hessian, dtype=float))
    return {"gradient": [float(g) for g in gradient],
            "hessian": [[float(v) for v in row] for row in hessian.tolist()],
            "eigenvalues": sorted(float(v) for v in numeric),
            "classification": classify_exactly(hessian), "exact_hessian": hessian}


def classify_exactly(hessian) -> str:
    """The eigenvalue test on an exact symmetric 2×2 matrix, from its determinant and trace
    (the eigenvalues' product and sum), in rational arithmetic."""
    det, trace = hessian.det(), hessian.trace()
    if det < 0:
        return "saddle"
    if det == 0:
        return "inconclusive"
    return "minimum" if trace > 0 else "maximum"


def exact_eigenvalues(hessian) -> list:
    out = []
    for value, multiplicity in hessian.eigenvals().items():
        out += [value] * multiplicity
    return out


def _sigmoid(params):
    w, xv, b, y = params["w"], params["x"], params["b"], params["y"]
    z = sum(wi * xi for wi, xi in zip(w, xv)) + b
    s = 1 / (1 + math.exp(-z))
    return {"z": z, "y_hat": s, "loss": -(y * math.log(s) + (1 - y) * math.log(1 - s)),
            "sigmoid_prime": s * (1 - s), "grad_w": [(s - y) * xi for xi in xv], "grad_b": s - y}


def _label_at(d_exact, x, root) -> str:
    """The higher-order test at a stationary point ``root`` of f (``d_exact`` is f′)."""
    derivative, order = d_exact, 1
    while True:
        derivative, order = sp.diff(derivative, x), order + 1
        value = derivative.subs(x, root)
        if value != 0:
            break
    if order % 2:
        return "neither"
    return "local minimum" if value > 0 else "local maximum"


def _critical_points(params):
    (x,) = symbols(["x"])
    f = parse(params["f"], ["x"])
    d = sp.diff(f, x)
    roots = sorted(set(sp.Poly(d, x).real_roots()))
    return {"points": [float(r) for r in roots], "labels": [_label_at(d, x, r) for r in roots],
            "exact_points": roots}


def _sign_changes(expr, x) -> list[float]:
    """Where ``expr`` changes sign: exact for polynomials, else searched on [−20, 20]."""
    if expr.is_polynomial(x):
        poly = sp.Poly(expr, x)
        out = []
        for root in sorted(set(poly.real_roots())):
            multiplicity = sum(1 for r in poly.real_roots() if r == root)
            if multiplicity % 2:
                out.append(float(root))
        return out
    from scipy.optimize import brentq
    g = sp.lambdify(x, expr, "math")
    grid = np.linspace(-20.0, 20.0, 40001) + 1e-4 * math.pi
    values = np.broadcast_to(sp.lambdify(x, expr, "numpy")(grid), grid.shape)
    out = []
    for i in np.nonzero((values[:-1] == 0) | (values[:-1] * values[1:] < 0))[0]:
        out.append(float(brentq(g, grid[i], grid[i + 1], xtol=1e-14)))
    return out


def _concavity(params):
    (x,) = symbols(["x"])
    f = parse(params["f"], ["x"])
    d2 = sp.diff(f, x, 2)
    points = _sign_changes(d2, x)
    g = sp.lambdify(x, d2, "math")
    probes = ([points[0] - 1] if points else [0.5]) + [
        (a + b) / 2 for a, b in zip(points, points[1:])] + ([points[-1] + 1] if points else [])
    labels = ["concave up" if g(t) > 0 else "concave down" for t in probes[: len(points) + 1]]
    return {"second_derivative": d2, "inflection_points": points, "concavity": labels}


def _partials(params):
    names = params["vars"]
    xs = symbols(names)
    f = parse(params["f"], names)
    at = dict(zip(xs, [sp.nsimplify(v) for v in params["point"]]))
    out = {f"f_{name}": sp.diff(f, v) for name, v in zip(names, xs)}
    out["gradient"] = [float(sp.diff(f, v).subs(at)) for v in xs]
    return out


def _linear_regression(params):
    X = np.array(params["X"], dtype=float)
    y = np.array(params["y"], dtype=float)
    m = len(y)
    scale = 1.0 if params.get("scaling", "half_mean") == "half_mean" else 2.0

    def parts(w, b):
        pred = X @ w + b
        err = pred - y
        cost = (err @ err) / (2 * m) * scale
        return pred, cost, scale * X.T @ err / m, scale * err.sum() / m

    w, b = np.array(params["w"], dtype=float), float(params["b"])
    pred, cost, gw, gb = parts(w, b)
    iterates = []
    for _ in range(params["steps"]):
        _, _, gw_k, gb_k = parts(w, b)
        w, b = w - params["lr"] * gw_k, b - params["lr"] * gb_k
        iterates.append([*w.tolist(), float(b)])
    A = np.hstack([X, np.ones((m, 1))])
    normal = np.linalg.solve(A.T @ A, A.T @ y)
    return {"predictions": pred.tolist(), "cost": float(cost), "grad_w": gw.tolist(),
            "grad_b": float(gb), "iterates": iterates, "normal_equation": normal.tolist()}


def linear_regression_step(params):
    X = np.array(params["X"], dtype=float)
    y = np.array(params["y"], dtype=float)
    m = len(y)
    scale = 1.0 if params.get("scaling", "half_mean") == "half_mean" else 2.0

    def step(theta):
        w, b = np.array(theta[:-1]), theta[-1]
        err = X @ w + b - y
        return [*(w - params["lr"] * scale * X.T @ err / m).tolist(),
                float(b - params["lr"] * scale * err.sum() / m)]
    return step


def _softmax(params):
    z = np.array(params["scores"], dtype=float)
    e = np.exp(z - z.max())
    p = e / e.sum()
    onehot = np.eye(len(z))[params["label"]]
    return {"probabilities": p.tolist(), "loss": float(-np.log(p[params["label"]])),
            "gradient": (p - onehot).tolist()}


def logistic_pieces(params):
    X = np.array(params["X"], dtype=float)
    y = np.array(params["y"], dtype=float)
    A = np.hstack([X, np.ones((len(y), 1))])

    def loss(theta):
        p = 1 / (1 + np.exp(-(A @ theta)))
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def grad(theta):
        p = 1 / (1 + np.exp(-(A @ theta)))
        return A.T @ (p - y) / len(y)

    def hess(theta):
        p = 1 / (1 + np.exp(-(A @ theta)))
        return (A.T * (p * (1 - p))) @ A / len(y)
    return loss, grad, hess


def logistic_step(params):
    _, grad, _ = logistic_pieces(params)
    return lambda theta: (np.array(theta) - params["lr"] * grad(np.array(theta))).tolist()


def _logistic(params):
    loss, grad, hess = logistic_pieces(params)
    theta = np.array([*params["w"], params["b"]], dtype=float)
    out = {"loss": loss(theta), "grad": grad(theta).tolist()}
    point, iterates = theta.copy(), []
    for _ in range(params["steps"]):
        point = point - params["lr"] * grad(point)
        iterates.append(point.tolist())
    out["iterates"] = iterates
    out["newton_step"] = (theta - np.linalg.solve(hess(theta), grad(theta))).tolist()
    return out


FAMILIES = {
    "derivative": _derivative, "gradient_descent": _gradient_descent, "newton": _newton,
    "hessian": _hessian, "sigmoid_gradient": _sigmoid, "critical_points_1d": _critical_points,
    "concavity": _concavity, "partial_derivatives": _partials,
    "linear_regression_gd": _linear_regression, "softmax_cross_entropy": _softmax,
    "logistic_regression": _logistic,
}


def answers_for(family: str, params: dict) -> dict:
    """The reference answers of one variant (sympy expressions for expressions; extra
    ``exact_*`` entries carry exact values some cases need)."""
    return FAMILIES[family](params)


# --- the fair grader's credit rules ----------------------------------------------------------------

def entry_share(student: Sequence[float], reference: Sequence[float]) -> float:
    """Credit per entry, in order."""
    return sum(close(s, r) for s, r in zip(student, reference)) / len(reference)


def unordered_share(student: Sequence[float], reference: Sequence[float]) -> float:
    """Credit per entry where the order carries no meaning: each student entry may match
    one unused reference entry."""
    unused = list(reference)
    hits = 0
    for value in student:
        for index, ref in enumerate(unused):
            if close(value, ref):
                hits += 1
                del unused[index]
                break
    return hits / len(reference)


def paired_label_share(points, labels, ref_points, ref_labels) -> float:
    """Labels judged against the label of the reference point each is paired with."""
    hits = 0
    for point, label in zip(points, labels):
        for ref_point, ref_label in zip(ref_points, ref_labels):
            if close(point, ref_point):
                hits += label == ref_label
                break
    return hits / len(ref_points)


def iterate_share(student: Sequence[Sequence[float]], reference, start, step,
                  value_at: Callable | None = None) -> float:
    """Per-step credit with error carried forward: step k earns credit when it matches the
    reference, or the reference rule applied to the student's own previous point, unless
    that point is already stationary (the step leaves it unchanged)."""
    hits = 0
    for k, point in enumerate(student):
        if points_close(point, reference[k]):
            hits += 1
            continue
        if k == 0:
            continue
        before = list(student[k - 1])
        try:
            after = step(before)
            wanted = value_at(before) if value_at else after
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            continue  # the rule cannot be applied there: nothing to carry
        if points_close(after, before):  # already stationary: nothing to carry
            continue
        hits += points_close(point, wanted)
    return hits / len(reference)


def gradient_share(student, reference, iterates, step, gradient) -> float:
    """Per-step credit for the gradients of a descent: gradient k earns credit when it matches
    the reference, or the gradient at the student's own iterate k (k ≥ 1), unless that
    iterate is already stationary."""
    hits = 0
    for k, value in enumerate(student):
        if points_close(value, reference[k]):
            hits += 1
            continue
        if k == 0 or k > len(iterates):
            continue
        point = list(iterates[k - 1])
        try:
            after, wanted = step(point), gradient(point)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            continue
        if not points_close(after, point):
            hits += points_close(value, wanted)
    return hits / len(reference)
