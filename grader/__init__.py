"""The grading engine: errors, comparison of answers, the command line.

Nothing is imported here so that ``calcgrade.core.errors`` stays cheap to load.
"""
