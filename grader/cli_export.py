"""``calcgrade export …``: files for the platforms a course already grades on.

    calcgrade export gradescope ASSIGNMENT --roster R --out autograder.zip
                     [--secret-file F] [--identify-by email|id|sid] [--key KEY] [--wheel W]

Registered on the main command group by :mod:`calcgrade.grader.cli`; the work is done by
the modules each command names, imported only when the command runs.

>>> sorted(export.commands)
['gradescope']
"""

from __future__ import annotations

import click


@click.group("export")
def export() -> None:
    """Write files for the platforms a course grades on."""


@export.command("gradescope")
@click.argument("assignment_file", metavar="ASSIGNMENT")
@click.option("--roster", "roster_file", required=True, metavar="ROSTER",
              help="The class roster (CSV with id, and email for --identify-by email).")
@click.option("--out", "out_file", required=True, metavar="ZIP",
              help="The bundle to write, e.g. autograder.zip.")
@click.option("--secret-file", type=click.Path(dir_okay=False),
              help="Where the course secret is (default: $XDG_CONFIG_HOME/calcgrade/secret or "
                   "~/.config/calcgrade/secret); $CALCGRADE_SECRET overrides it.")
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
    from calcgrade.grader.gradescope import export_gradescope
    from calcgrade.grader.secret import load_secret

    secret = load_secret(secret_file)
    bundle = export_gradescope(assignment_file, roster_file, out_file, secret,
                               identify_by=identify_by, key=key_file, wheel=wheel_file,
                               timeout=timeout, memory_mib=memory_mib, reveal=reveal)
    click.echo(f"Wrote {bundle.path}: a Gradescope autograder for {bundle.students} student"
               f"{'s' if bundle.students != 1 else ''}, identified by their {identify_by}, with "
               f"{bundle.wheel}.")
    click.echo("It holds the course secret: upload it to Gradescope (Programming Assignment > "
               "Configure Autograder > Zip file upload) and keep it private.")
