"""The grading engine: errors, comparison of answers, the command line.

Nothing is imported here so that ``calcgrade.grader.errors`` stays cheap to load.
"""
