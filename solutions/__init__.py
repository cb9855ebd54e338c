"""Reference solvers: pure functions of a family's params, with no I/O and no randomness.

The symbolic core they share lives here too: :mod:`.expr` (trees, printing, numbers),
:mod:`.parse` (safe parsing of math text) and :mod:`.calculus` (differentiation).
"""
