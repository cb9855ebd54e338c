"""The students' self-check: is every answer there and readable as its kind asks?

Standard-library Python only: this source is embedded in the last cell of every
notebook (after :mod:`calcgrade.core.reading` and the expression notation modules), so
the cell runs where calcgrade is not installed. It reads each answer with the very
readers the grader uses (:func:`~calcgrade.core.reading.read_answer`), so "ready" here
means "readable" there. It looks only at the format, never at whether an answer is
right: it is told each answer's name, kind and shape, never a value.

>>> expected = [{"name": "q1_value", "kind": "scalar"},
...             {"name": "q1_grad", "kind": "vector", "shape": [2]}]
>>> calcgrade_self_check({"q1_value": ..., "q1_grad": [1, 2, 3]}, expected)
Self-check: 0 of 2 answers ready (it checks the format only, not whether an answer is right).
<BLANKLINE>
Still empty (replace the ... with your answer):
  q1_value
<BLANKLINE>
Cannot be read yet:
  q1_grad: expected a list of 2 numbers, found a list of 3 numbers; write it like q1_grad = [1.0, 1.5]
"""

import textwrap

try:  # in a notebook, given by the modules embedded before this one
    NoAnswer, Unreadable, plain_value, read_answer
except NameError:  # imported as part of calcgrade
    from calcgrade.core.reading import NoAnswer, Unreadable, plain_value, read_answer

READY, EMPTY, UNDEFINED, UNREADABLE, COMPUTED = "ready", "empty", "undefined", "unreadable", "computed"


def check_answer(namespace, answer):
    """``(status, message)`` for one expected answer in ``namespace`` (live objects)."""
    name = answer["name"]
    if name not in namespace:
        return UNDEFINED, ""
    if answer.get("kind") == "function" and callable(namespace[name]):
        return check_function(namespace[name], answer)
    try:
        reading = read_answer(answer, plain_value(namespace[name]))
    except NoAnswer:
        return EMPTY, ""
    except Unreadable as problem:
        return UNREADABLE, str(problem)
    except Exception as error:  # a value whose methods fail: report, never crash
        return UNREADABLE, f"cannot be checked ({type(error).__name__})"
    return READY, reading.note


def check_function(function, answer):
    """Call a function answer once on the first test input (whose result is not checked):
    still a stub, raising, or returning None is reported; the grader calls it on more."""
    args = answer.get("try")
    if args is None:
        return READY, ""
    try:
        import numpy
        called = [numpy.asarray(a, dtype=float) if type(a) is list else float(a) for a in args]
    except Exception:  # no numpy here: numbers as they are
        called = list(args)
    shown = ", ".join(str(a) for a in args)
    try:
        result = function(*called)
    except NotImplementedError:
        return EMPTY, ""
    except Exception as error:  # the student's code: report, never crash
        return UNREADABLE, f"calling it with ({shown[:80]}) raised {type(error).__name__}: {str(error)[:120]}"
    if result is None:
        return UNREADABLE, f"calling it with ({shown[:80]}) returned None: end it with return ..."
    return READY, ""


def calcgrade_self_check(namespace, expected, skip=(), results=None):
    """Print whether every answer is filled in and readable; ``results`` (a list) gets
    ``(status, name)`` pairs. Answers named in ``skip`` are computed by code that was
    not run (``calcgrade check`` on a notebook file)."""
    groups = {EMPTY: [], UNDEFINED: [], UNREADABLE: [], COMPUTED: [], READY: []}
    notes = []
    for answer in expected:
        name = answer["name"]
        if name in skip:
            status, message = COMPUTED, ""
        else:
            status, message = check_answer(namespace, answer)
        groups[status].append((name, message))
        if status == READY and message:
            notes.append((name, message))
        if results is not None:
            results.append((status, name))

    count = len(expected)
    lines = [f"Self-check: {len(groups[READY])} of {count} answer{'s' if count != 1 else ''} ready "
             "(it checks the format only, not whether an answer is right)."]

    def names(title, items):
        if items:
            lines.extend(["", title])
            lines.extend(textwrap.wrap(", ".join(name for name, _ in items), 88,
                                       initial_indent="  ", subsequent_indent="  "))

    def details(title, items):
        if items:
            lines.extend(["", title])
            lines.extend(f"  {name}: {message}" for name, message in items)

    names("Still empty (replace the ... with your answer):", groups[EMPTY])
    names("Not defined (run the problem cells above first, and keep the variable names):",
          groups[UNDEFINED])
    details("Cannot be read yet:", groups[UNREADABLE])
    names("Computed by code, so not checked here (run the self-check cell in the notebook):",
          groups[COMPUTED])
    details("Read, with a note:", notes)
    if len(groups[READY]) == count:
        lines.extend(["", "Every answer is filled in and can be read."])
    print("\n".join(lines))
