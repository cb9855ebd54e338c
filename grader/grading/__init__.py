"""The second flow: from the notebooks handed in to grades, feedback and the gradebook (student code runs in :mod:`calcgrade.grader.sandbox`)."""
