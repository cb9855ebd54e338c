"""Where courses already grade: Gradescope, otter-grader, GitHub Actions and LMS grade files, thin layers over the grading flow."""
