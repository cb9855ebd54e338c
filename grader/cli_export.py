"""``calcgrade export``: files for the places where courses already grade.

    calcgrade export grades OUT --format canvas|moodle|csv [--out FILE] [--roster R]
                     [--canvas-assignment-id ID] [--identify-by email|idnumber|username]
                     [--missing blank|zero]
    calcgrade export github-actions [--out FILE] [--assignment A] [--roster R]
                     [--notebooks GLOB] [--install SPEC] [--python X.Y] [--fail-under SCORE]

Each subcommand is a thin layer over one module (:mod:`calcgrade.grader.lms`,
:mod:`calcgrade.grader.github`); more integrations add their subcommand to :data:`export`.

>>> sorted(export.commands)[:2]
['github-actions', 'grades']
"""

from __future__ import annotations

import click


@click.group("export")
def export() -> None:
    """Write files for an LMS gradebook, GitHub Actions and other graders."""


def _write_output(text: str, out_file: str | None, what: str) -> None:
    """``text`` to ``out_file`` (atomically; its folder is created) or to stdout."""
    if out_file is None:
        click.echo(text, nl=False)
        return
    from pathlib import Path

    from calcgrade.core.errors import UsageError
    from calcgrade.grader.reports import write_atomic

    try:
        write_atomic(Path(out_file), text)
    except OSError as error:
        raise UsageError(f"cannot write {out_file}: {error.strerror}") from None
    click.echo(f"Wrote {what} to {out_file}", err=True)


@export.command("grades")
@click.argument("graded", metavar="OUT")
@click.option("--format", "fmt", type=click.Choice(["canvas", "moodle", "csv"]), required=True,
              help="canvas: Canvas's gradebook import; moodle: Moodle's CSV grade import; "
                   "csv: every student with status and points per problem.")
@click.option("--out", "out_file", metavar="FILE", help="Where to write (default: stdout).")
@click.option("--roster", "roster_file", metavar="ROSTER",
              help="A roster whose columns (names, e-mails, LMS ids) replace those recorded "
                   "when grading, e.g. one with canvas_id or sis_user_id added.")
@click.option("--canvas-assignment-id", metavar="ID",
              help="Canvas's number of the assignment (from its address): the column is "
                   "then 'Title (ID)' and updates that assignment.")
@click.option("--identify-by", type=click.Choice(["email", "idnumber", "username"]),
              default="email", show_default=True, help="Moodle: the roster column that "
              "identifies each student.")
@click.option("--missing", type=click.Choice(["blank", "zero"]), default="blank",
              show_default=True, help="The grade of a student with no submission.")
def grades(graded: str, fmt: str, out_file: str | None, roster_file: str | None,
           canvas_assignment_id: str | None, identify_by: str, missing: str) -> None:
    """Write the grades of the graded folder OUT (from 'calcgrade grade') for an LMS."""
    from calcgrade.grader.lms import export_grades

    text = export_grades(graded, fmt, roster=roster_file, canvas_assignment_id=canvas_assignment_id,
                         identify_by=identify_by, missing=missing)
    _write_output(text, out_file, f"the {fmt} grades")


@export.command("github-actions")
@click.option("--out", "out_file", metavar="FILE",
              help="Where to write (default: stdout), e.g. .github/workflows/classroom.yml.")
@click.option("--assignment", default="assignment.toml", show_default=True, metavar="PATH",
              help="The assignment file's path in the repository.")
@click.option("--roster", default="roster.csv", show_default=True, metavar="PATH",
              help="The roster's path in the repository (an id column is enough).")
@click.option("--notebooks", default="*.ipynb", show_default=True, metavar="GLOB",
              help="The notebooks to grade, relative to the repository.")
@click.option("--install", default="calcgrade", show_default=True, metavar="SPEC",
              help="What 'pip install' installs: a name, a wheel in the repository, a URL.")
@click.option("--python", default="3.12", show_default=True, metavar="X.Y",
              help="The Python version of the job.")
@click.option("--fail-under", type=float, metavar="SCORE",
              help="Fail the job when the score is below SCORE.")
def github_actions(out_file: str | None, assignment: str, roster: str, notebooks: str,
                   install: str, python: str, fail_under: float | None) -> None:
    """Write a GitHub Actions workflow that grades the notebook a student pushes."""
    from calcgrade.grader.github import workflow_yaml

    text = workflow_yaml(assignment, roster, notebooks, install, python, fail_under)
    _write_output(text, out_file, "the workflow")
