"""``calcgrade export``: files for the places where courses already grade.

    calcgrade export grades OUT --format canvas|moodle|csv [--out FILE] [--roster R]
                     [--canvas-assignment-id ID] [--identify-by email|idnumber|username]
                     [--missing blank|zero]
    calcgrade export github-actions [--out FILE] [--assignment A] [--roster R]
                     [--notebooks GLOB] [--install SPEC] [--python X.Y] [--fail-under SCORE]
    calcgrade export gradescope ASSIGNMENT --roster R --out autograder.zip
                     [--secret-file F] [--identify-by email|id|sid] [--key KEY] [--wheel W]

Each subcommand is a thin layer over one module (:mod:`calcgrade.grader.integrations.lms`,
:mod:`calcgrade.grader.integrations.github`, :mod:`calcgrade.grader.integrations.gradescope`), imported only when
the command runs; more integrations add their subcommand to :data:`export`.

>>> sorted(export.commands)
['github-actions', 'grades', 'gradescope']
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
    from calcgrade.grader.grading.reports import write_atomic

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
    from calcgrade.grader.integrations.lms import export_grades

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
    from calcgrade.grader.integrations.github import workflow_yaml

    text = workflow_yaml(assignment, roster, notebooks, install, python, fail_under)
    _write_output(text, out_file, "the workflow")


@export.command("gradescope")
@click.argument("assignment_file", metavar="ASSIGNMENT")
@click.option("--roster", "roster_file", required=True, metavar="ROSTER",
              help="The class roster (CSV with id, and email for --identify-by email).")
@click.option("--out", "out_file", required=True, metavar="ZIP",
              help="The bundle to write, e.g. autograder.zip.")
@click.option("--secret-file", type=click.Path(dir_okay=False),
              help="Where the course secret is (default: $XDG_CONFIG_HOME/calcgrade/secret or "
                   "~/.config/calcgrade/secret, which $CALCGRADE_SECRET replaces); the flag always wins.")
@click.option("--identify-by", type=click.Choice(["email", "id", "sid"]), default="email",
              show_default=True,
              help="Which field of Gradescope's submitter names the roster student: 'email' "
                   "matches the roster's email column; 'sid' (the student ID) and 'id' "
                   "(Gradescope's user id) match the roster's id column.")
@click.option("--key", "key_file", metavar="KEY",
              help="The class's key.json from 'calcgrade generate': each submission's variants "
                   "are made from its draw numbers (recommended for a large class).")
@click.option("--wheel", "wheel_file", metavar="WHEEL",
              help="A calcgrade wheel to put in the bundle (default: one of this calcgrade).")
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds the notebook may run.")
@click.option("--memory", "memory_mib", type=click.IntRange(min=128), default=2048,
              show_default=True, help="Memory limit for the notebook, in MiB.")
@click.option("--reveal", is_flag=True, help="Show the reference answers in the feedback.")
def gradescope(assignment_file: str, roster_file: str, out_file: str, secret_file: str | None,
               identify_by: str, key_file: str | None, wheel_file: str | None, timeout: float,
               memory_mib: int, reveal: bool) -> None:
    """Write a Gradescope autograder bundle (zip) for ASSIGNMENT."""
    from calcgrade.grader.integrations.gradescope import export_gradescope
    from calcgrade.grader.course.secret import load_secret

    secret = load_secret(secret_file)
    bundle = export_gradescope(assignment_file, roster_file, out_file, secret,
                               identify_by=identify_by, key=key_file, wheel=wheel_file,
                               timeout=timeout, memory_mib=memory_mib, reveal=reveal)
    click.echo(f"Wrote {bundle.path}: a Gradescope autograder for {bundle.students} student"
               f"{'s' if bundle.students != 1 else ''}, identified by their {identify_by}, with "
               f"{bundle.wheel}.")
    click.echo("It holds the course secret: upload it to Gradescope (Programming Assignment > "
               "Configure Autograder > Zip file upload) and keep it private.")
