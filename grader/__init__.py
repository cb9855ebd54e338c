"""The engine's two flows and the command line over them.

- :mod:`~calcgrade.grader.course`: what both flows share (assignment file, roster, secret,
  each student's variants);
- :mod:`~calcgrade.grader.generation`: assignment + roster -> notebooks, handouts, key;
- :mod:`~calcgrade.grader.grading`: notebooks handed in -> grades, feedback, gradebook,
  with student code run only in :mod:`~calcgrade.grader.sandbox`;
- :mod:`~calcgrade.grader.integrations`: Gradescope, otter-grader, GitHub, LMS files;
- :mod:`~calcgrade.grader.cli`: the ``calcgrade`` command.

Nothing is imported here, so that loading a submodule stays cheap.
"""
