"""The name an answer goes by in a student's notebook: ``q<N>_<answer>``.

Generation declares it, the self-check and the grader look it up, feedback and the key
show it; all of them build it here.

>>> answer_variable(3, "iterates")
'q3_iterates'
"""

from __future__ import annotations


def answer_variable(problem_number: int, answer: str) -> str:
    """The notebook variable of answer ``answer`` of problem ``problem_number`` (counted from 1)."""
    return f"q{problem_number}_{answer}"
