"""A ready assignment file and roster (``assignment.toml``, ``roster.csv``) for the README
and ``calcgrade demo``.

>>> from importlib.resources import files
>>> (files("calcgrade.examples") / "assignment.toml").is_file()
True
"""
