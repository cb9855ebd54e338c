"""The base layer: errors, answer kinds and the expression core.

Everything else of calcgrade stands on this package (``solutions`` and ``problems`` on
it, the engine in ``grader`` on all of them); it imports nothing above it.
"""
