"""The ``calcgrade`` command.

Every user error becomes one line on stderr and exit code 2; internal errors exit 1.

    calcgrade families [NAME] [--json]
    calcgrade sample FAMILY --seed N [--option key=value ...]
    calcgrade sample FAMILY --seeds A:B [--option key=value ...]
    calcgrade solve FAMILY --params JSON
    calcgrade init [--secret-file FILE] [--force]
    calcgrade generate ASSIGNMENT --roster ROSTER --out DIR [--secret-file FILE]
                       [--jobs N | --scheduler ADDRESS | --cluster local:N]
    calcgrade preview ASSIGNMENT --student ID [--key KEY | --roster ROSTER] [--secret-file FILE]
    calcgrade grade SUBMISSIONS... --assignment A --roster R --out OUT [--student ID]
                    [--pick newest|last-path|FILE ...] [--key KEY] [...]
    calcgrade check NOTEBOOK
    calcgrade report OUT
    calcgrade review OUT [--student ID --part qN_name (--accept | --reject | --score P) [--comment T]]
    calcgrade export grades OUT --format canvas|moodle|csv [--out FILE]
    calcgrade export github-actions [--out FILE]
    calcgrade demo [--out DIR]        (generate, simulate submissions, grade)
    calcgrade export gradescope ASSIGNMENT --roster R --out ZIP [...]
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from calcgrade.core.errors import CalcgradeError, ParamsError, UsageError


def dumps(value: Any, **options) -> str:
    """:func:`calcgrade.grader.course.jsonio.dumps`, imported when first needed (it loads numpy,
    which most commands' start does not need)."""
    from calcgrade.grader.course.jsonio import dumps as dump_json

    return dump_json(value, **options)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="calcgrade")
def cli() -> None:
    """Randomized, self-grading exercises in the calculus of machine learning."""


@cli.command()
@click.argument("family_name", metavar="[NAME]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the full description as JSON.")
def families(family_name: str | None, as_json: bool) -> None:
    """List the problem families; with NAME, one family's params, options, answers and mistakes."""
    import shutil

    from calcgrade.grader.family_text import family_details, family_list
    from calcgrade.problems import all_families, get_family

    width = min(100, shutil.get_terminal_size((80, 24)).columns)
    if family_name is not None:
        described = get_family(family_name).describe()
        click.echo(dumps(described, indent=2) if as_json else family_details(described, width))
        return
    described = [family.describe() for family in all_families()]
    if as_json:
        click.echo(dumps({"families": described}, indent=2))
        return
    click.echo(family_list(described, width))
    click.echo(f"\n{len(described)} families. 'calcgrade families NAME' shows one family's params, "
               "options, answers and mistakes; --json gives everything as JSON.")


def _parse_options(pairs: tuple[str, ...]) -> dict[str, Any]:
    options = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--option takes key=value, not {pair!r}")
        try:
            options[key] = json.loads(raw)
        except json.JSONDecodeError:
            options[key] = raw
    return options


def _parse_seed_range(text: str) -> range:
    start, sep, stop = text.partition(":")
    try:
        first, last = int(start), int(stop)
    except ValueError:
        raise UsageError(f"--seeds takes A:B with whole numbers A < B, not {text!r}") from None
    if not sep or first < 0 or last <= first:
        raise UsageError(f"--seeds takes A:B with whole numbers 0 <= A < B, not {text!r}")
    return range(first, last)


@cli.command()
@click.argument("family_name", metavar="FAMILY")
@click.option("--seed", type=click.IntRange(min=0), help="Seed of one variant.")
@click.option("--seeds", "seed_range", help="A:B, one compact JSON line for each seed A..B-1.")
@click.option("--option", "option_pairs", multiple=True, metavar="KEY=VALUE",
              help="A sampling option (repeatable); the value is JSON or plain text.")
def sample(family_name: str, seed: int | None, seed_range: str | None,
           option_pairs: tuple[str, ...]) -> None:
    """Sample variants of FAMILY: params, statement and answers as JSON."""
    from calcgrade.problems import get_family
    from calcgrade.problems.variant import sample_variant

    family = get_family(family_name)
    options = _parse_options(option_pairs)
    if (seed is None) == (seed_range is None):
        raise UsageError("give exactly one of --seed N or --seeds A:B")
    if seed is not None:
        click.echo(dumps(sample_variant(family, seed, options), indent=2))
        return
    for each in _parse_seed_range(seed_range):
        click.echo(dumps(sample_variant(family, each, options), compact=True))


@cli.command()
@click.argument("family_name", metavar="FAMILY")
@click.option("--params", "params_text", required=True, metavar="JSON",
              help="The params as a JSON object (or @FILE to read them from a file).")
def solve(family_name: str, params_text: str) -> None:
    """Solve FAMILY for explicit params."""
    from calcgrade.grader.course.assignment import check_param_names
    from calcgrade.problems import get_family

    family = get_family(family_name)
    params = _load_json_argument(params_text, "--params")
    if isinstance(params, dict):
        check_param_names(family, params)  # every unknown and missing param at once
    checked = family.validate(params)
    click.echo(dumps({"family": family.name, "params": checked, "answers": family.solve(checked)},
                     indent=2))


def _load_json_argument(text: str, flag: str) -> Any:
    source = flag
    if text.startswith("@"):
        source = text[1:]
        try:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as error:
            raise UsageError(f"{flag}: cannot read {source}: {error.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ParamsError(f"{source}: not valid JSON: {error.msg} at line {error.lineno} "
                          f"column {error.colno}") from None


# --- assignments: init, generate, preview, check, demo -------------------------------------

_SECRET_FILE_HELP = ("The file holding the course secret. Without it: $CALCGRADE_SECRET if set, "
                     "else $XDG_CONFIG_HOME/calcgrade/secret or ~/.config/calcgrade/secret. "
                     "Given, it wins over $CALCGRADE_SECRET.")


def _show_progress() -> bool:
    """A progress bar only for a person at a terminal (not when piped, not in CI)."""
    import os

    return sys.stdout.isatty() and not os.environ.get("CI")


class _ProgressBar:
    """A rich progress bar for ``generate``; a no-op when :func:`_show_progress` is false."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.task = None

    def __enter__(self):
        if _show_progress():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self.bar = Progress("[progress.description]{task.description}", BarColumn(),
                                MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
            self.bar.__enter__()
        return self

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            return
        if self.task is None:
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


def _dask_options(what: str, stays: str):
    """``--scheduler ADDRESS`` and ``--cluster local:N``, the same for ``generate`` and
    ``grade`` (``what`` runs there, ``stays`` says what does not leave this process)."""
    scheduler = click.option(
        "--scheduler", metavar="ADDRESS",
        help=f"{what} on the workers of this Dask scheduler (tcp://host:8786); {stays}. "
             "Needs calcgrade[dask].")
    cluster = click.option(
        "--cluster", metavar="local:N",
        help=f"{what} on a Dask cluster of N worker processes on this machine. "
             "Needs calcgrade[dask].")
    return lambda command: scheduler(cluster(command))


@cli.command()
@click.option("--secret-file", type=click.Path(dir_okay=False), help="Where to write the secret "
              "(default: $XDG_CONFIG_HOME/calcgrade/secret or ~/.config/calcgrade/secret).")
@click.option("--force", is_flag=True, help="Replace an existing secret (every variant changes).")
def init(secret_file: str | None, force: bool) -> None:
    """Create the course secret (32 random bytes, file mode 0600)."""
    from calcgrade.grader.course.secret import ENV_VAR, init_secret

    path = init_secret(secret_file, force=force)
    click.echo(f"Wrote a new course secret to {path} (readable only by you).")
    click.echo("Every student's variants and notebook tokens derive from it: back it up and keep "
               "it private.")
    click.echo(f"For CI, set the environment variable {ENV_VAR} to the file's contents.")


@cli.command()
@click.argument("assignment_file", metavar="ASSIGNMENT")
@click.option("--roster", "roster_file", required=True, metavar="ROSTER",
              help="CSV with an id column (and optional name, email).")
@click.option("--out", "out_dir", required=True, metavar="DIR", help="The output folder.")
@click.option("--secret-file", type=click.Path(dir_okay=False), help=_SECRET_FILE_HELP)
@click.option("--jobs", type=click.IntRange(min=1), metavar="N",
              help="Processes to use (default: one per CPU for 100 students or more).")
@_dask_options("Render the notebooks and handouts",
               "drawing, solving, signing and the key stay here")
def generate(assignment_file: str, roster_file: str, out_dir: str, secret_file: str | None,
             jobs: int | None, scheduler: str | None = None, cluster: str | None = None) -> None:
    """Write one notebook and handout per student, the key and a manifest into DIR."""
    from contextlib import nullcontext

    from calcgrade.grader.generation.generate import generate as generate_class
    from calcgrade.grader.course.secret import load_secret

    secret = load_secret(secret_file)
    dask_cluster = _dask_cluster(scheduler, cluster)
    if dask_cluster is not None and jobs is not None:
        raise UsageError("--jobs sets this machine's processes; with --scheduler or --cluster "
                         "the Dask workers render: give one or the other")
    with dask_cluster or nullcontext():
        renderer = None
        if dask_cluster is not None:
            from calcgrade.grader.generation.dask_render import DaskRenderer

            renderer = DaskRenderer(dask_cluster.client, dask_cluster.tries)
        with _ProgressBar("Generating") as bar:
            result = generate_class(assignment_file, roster_file, out_dir, secret, bar.update,
                                    jobs, renderer)
    _report_generated(result)


def _report_generated(result) -> None:
    out = result.out
    click.echo(f"Generated {result.students} notebook{'s' if result.students != 1 else ''} "
               f"with {result.problems} problem{'s' if result.problems != 1 else ''} each in {out}:")
    click.echo(f"  notebooks  {out / 'notebooks'}")
    click.echo(f"  handouts   {out / 'handouts'}")
    click.echo(f"  key        {out / 'key.json'} and {out / 'key.csv'} (keep these private)")
    click.echo(f"  manifest   {out / 'manifest.json'}")
    for number, students in sorted(result.shared.items()):
        click.echo(f"Warning: problem {number}: its options allow too few variants; "
                   f"{len(students)} student(s) share a variant with someone earlier in the roster "
                   f"(first: {students[0]}). Widen the options to give everyone their own.", err=True)


@cli.command()
@click.argument("assignment_file", metavar="ASSIGNMENT")
@click.option("--student", "student_id", required=True, metavar="ID", help="The student's id.")
@click.option("--roster", "roster_file", metavar="ROSTER",
              help="The class roster: with it the variants match 'generate' exactly (a student "
                   "whose draw collides with an earlier student's is re-drawn).")
@click.option("--key", "key_file", metavar="KEY",
              help="The class's key.json: the student's variants are made from its draw "
                   "numbers, without drawing the rest of the class.")
@click.option("--secret-file", type=click.Path(dir_okay=False), help=_SECRET_FILE_HELP)
@click.option("--markdown", "as_markdown", is_flag=True,
              help="Print the statements as Markdown with LaTeX, exactly as in the notebook "
                   "(by default math is shown as plain Unicode text).")
def preview(assignment_file: str, student_id: str, roster_file: str | None, key_file: str | None,
            secret_file: str | None, as_markdown: bool) -> None:
    """Print one student's problem statements, math as readable text."""
    from calcgrade.grader.course.assignment import load_assignment
    from calcgrade.grader.generation.notebook import points_text
    from calcgrade.grader.course.roster import id_problem, load_roster
    from calcgrade.grader.course.secret import load_secret
    from calcgrade.grader.course.variants import key_draws, student_variants

    assignment = load_assignment(assignment_file)
    problem = id_problem(student_id)
    if problem:
        raise UsageError(f"--student: {problem}")
    roster = load_roster(roster_file) if roster_file else None
    roster_ids = [s.id for s in roster] if roster is not None else None
    if roster_ids is not None and student_id not in roster_ids:
        raise UsageError(f"--student: {student_id!r} is not in {roster_file}")
    name = next((s.name for s in roster or () if s.id == student_id and s.name), "")
    secret = load_secret(secret_file)
    if key_file is not None:
        draws = key_draws(key_file, assignment)
        if student_id not in draws:
            raise UsageError(f"--student: {student_id!r} is not in {key_file}")
        variants = draws.variants(secret, student_id)
    else:
        variants = student_variants(assignment, secret, student_id, roster_ids)
    parts = [f"# {assignment.title}", f"Student: {name + ' (' + student_id + ')' if name else student_id}"
             + (f" · Due: {assignment.due}" if assignment.due else "")]
    for variant in variants:
        problem = variant.problem
        heading = f"## Problem {problem.number}" + (f": {problem.title}" if problem.title else "")
        names = ", ".join(f"`q{problem.number}_{name}`" for name in variant.specs)
        parts.append(f"{heading} ({points_text(problem.points)}, {problem.family})\n\n"
                     f"{variant.statement.strip()}\n\nAnswers: {names}")
    text = "\n\n".join(parts) + "\n"
    if as_markdown:
        click.echo(text, nl=False)
        return
    from calcgrade.grader.terminal_math import markdown_math_to_text

    if sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(markdown_math_to_text(text, escape=True)))
    else:
        click.echo(markdown_math_to_text(text), nl=False)


@cli.command()
@click.argument("notebook_file", metavar="NOTEBOOK")
def check(notebook_file: str) -> None:
    """Self-check a notebook: empty answers, wrong types or shapes (never right or wrong)."""
    import nbformat

    from calcgrade.core.errors import AnswerFormatError
    from calcgrade.grader.generation.selfcheck import check_notebook

    try:
        notebook = nbformat.read(notebook_file, as_version=4)
    except FileNotFoundError:
        raise UsageError(f"{notebook_file}: no such notebook") from None
    except IsADirectoryError:
        raise UsageError(f"{notebook_file}: is a folder, not a notebook") from None
    except Exception as error:  # nbformat raises several kinds on a file that is no notebook
        raise UsageError(f"{notebook_file}: not a Jupyter notebook ({type(error).__name__})") from None
    try:
        issues = check_notebook(notebook)
    except UsageError as error:
        raise UsageError(f"{notebook_file}: {error}") from None
    blocking = [name for kind, name in issues if kind != "computed"]
    if blocking:
        raise AnswerFormatError(f"{notebook_file}: {len(blocking)} answer"
                                f"{'s are' if len(blocking) != 1 else ' is'} not ready (see above)")


@cli.command()
@click.option("--out", "out_dir", metavar="DIR", help="A new or empty folder (default: a new "
              "temporary folder).")
def demo(out_dir: str | None) -> None:
    """Generate the example class, simulate submissions and grade them."""
    from calcgrade.grader.demo import SIMULATED, grade_demo, run_demo

    with _ProgressBar("Generating") as bar:
        result = run_demo(out_dir, bar.update)
    folder = result.folder
    click.echo(f"Demo class in {folder}")
    click.echo(f"  assignment  {result.assignment}")
    click.echo(f"  roster      {result.roster}")
    click.echo(f"  secret      {result.secret_file} (throw-away, for this demo only)")
    _report_generated(result.generated)
    with _ProgressBar("Grading") as bar:
        grade_demo(result, bar.update)
    click.echo(f"\nSimulated submissions in {result.submissions}: "
               + ", ".join(SIMULATED) + " (in roster order). Grades:\n")
    _report_graded(result.graded, full_table=True)
    first = sorted((result.generated.out / "notebooks").iterdir())[0]
    click.echo("\nTry:")
    for line in open_notebook_hint(first):
        click.echo(f"  {line}")
    click.echo(f"  calcgrade check {first}")
    click.echo(f"  calcgrade preview {result.assignment} --student {first.stem} "
               f"--roster {result.roster} --secret-file {result.secret_file}")
    click.echo(f"  calcgrade grade {result.submissions} --assignment {result.assignment} "
               f"--roster {result.roster} --out {folder / 'grades'} --secret-file {result.secret_file}")


def open_notebook_hint(notebook) -> list[str]:
    """How to open ``notebook`` with what is installed: JupyterLab or the classic Notebook
    when one is on the PATH, else how to install JupyterLab (calcgrade does not need it)."""
    import shutil

    for program, command in (("jupyter-lab", "jupyter lab"), ("jupyter-notebook", "jupyter notebook")):
        if shutil.which(program):
            return [f"{command} {notebook}"]
    return [f"pip install jupyterlab && jupyter lab {notebook}"
            "    # or open it in VS Code or Google Colab"]


# --- grading ---------------------------------------------------------------------------------


@cli.command()
@click.argument("submissions", nargs=-1, required=True, metavar="SUBMISSIONS...")
@click.option("--assignment", "assignment_file", required=True, metavar="ASSIGNMENT",
              help="The assignment file the notebooks were generated from.")
@click.option("--roster", "roster_file", required=True, metavar="ROSTER", help="The class roster (CSV).")
@click.option("--out", "out_dir", required=True, metavar="OUT", help="Where grades and reports go.")
@click.option("--student", metavar="ID", help="Whose submission a single notebook is.")
@click.option("--pick", multiple=True, metavar="newest|last-path|FILE",
              help="Which file counts when a student has several: 'last-path' (default, the "
                   "last in path order), 'newest' (latest modification time), or a FILE that "
                   "counts for its student (repeat for several students).")
@click.option("--secret-file", type=click.Path(dir_okay=False), help=_SECRET_FILE_HELP)
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds each notebook may run.")
@click.option("--memory", "memory_mib", type=click.IntRange(min=128), default=2048, show_default=True,
              help="Memory limit per notebook, in MiB.")
@click.option("--workers", type=click.IntRange(min=1, max=64), default=2, show_default=True,
              help="Sandbox worker processes.")
@click.option("--reveal", is_flag=True, help="Show the reference answers in the feedback.")
@click.option("--key", "key_file", metavar="KEY",
              help="The class's key.json from 'calcgrade generate': each student's variants "
                   "are made from its draw numbers, without drawing the rest of the class.")
@_dask_options("Run the notebooks", "marking stays here")
@click.option("--allow-unverified", is_flag=True,
              help="Grade even when most notebooks carry a token that does not verify under "
                   "this secret (by default that stops the batch: the secret or the assignment "
                   "differs from the one the notebooks were generated with).")
@click.option("--submitted-at", "submitted_at", metavar="mtime|CSV",
              help="When each submission came in, to mark late ones against the assignment's "
                   "deadline: 'mtime' (the files' modification times) or a CSV with a column "
                   "student (or file) and a column submitted_at (ISO 8601 with a zone).")
@click.option("--fail-under", type=float, metavar="SCORE",
              help="Exit with code 1 when the score of the (single) student graded is below "
                   "SCORE (for CI such as GitHub Actions).")
def grade(submissions: tuple[str, ...], assignment_file: str, roster_file: str, out_dir: str,
          student: str | None, pick: tuple[str, ...], secret_file: str | None, timeout: float,
          memory_mib: int, workers: int, reveal: bool, key_file: str | None,
          allow_unverified: bool, fail_under: float | None = None, scheduler: str | None = None,
          cluster: str | None = None, submitted_at: str | None = None) -> None:
    """Grade SUBMISSIONS (notebooks, folders, zip archives) into OUT.

    Prints a summary and the students who need attention; grades.csv in OUT has everyone."""
    from contextlib import nullcontext

    from calcgrade.grader.course.secret import load_secret
    from calcgrade.grader.grading.late import submission_times

    secret = load_secret(secret_file)
    submission_times(submitted_at)  # a bad CSV stops here, before any worker starts
    dask_cluster = _dask_cluster(scheduler, cluster)
    with dask_cluster or nullcontext():
        if dask_cluster is None:
            sandbox = _launch_sandbox(submissions, workers, timeout, memory_mib)
        else:
            from calcgrade.grader.sandbox.limits import Limits

            sandbox = dask_cluster.sandbox(Limits(wall_seconds=timeout,
                                                  memory_bytes=memory_mib * 1024 * 1024)).launch()
        summary = _grade_with(sandbox, submissions, assignment_file, roster_file, out_dir, secret,
                              student, timeout, memory_mib, workers, reveal, pick, key_file,
                              allow_unverified, secret_file, submitted_at)
    _report_graded(summary)
    _report_github(summary.out, fail_under)


def _grade_with(sandbox, submissions, assignment_file, roster_file, out_dir, secret, student,
                timeout, memory_mib, workers, reveal, pick, key_file, allow_unverified,
                secret_file, submitted_at=None):
    """Grade the batch with ``sandbox`` (None: a pool of this machine started by grading)."""
    from calcgrade.grader.course.secret import secret_source

    try:
        # loads while the workers start
        from calcgrade.grader.grading.grade import UnverifiedTokensError, grade as grade_batch

        try:
            with _ProgressBar("Grading") as bar:
                summary = grade_batch(list(submissions), assignment_file, roster_file, out_dir,
                                      secret, student=student, timeout=timeout,
                                      memory_mib=memory_mib, workers=workers, reveal=reveal,
                                      pick=pick, progress=bar.update, key=key_file,
                                      allow_unverified=allow_unverified, sandbox=sandbox,
                                      submitted_at=submitted_at)
        except UnverifiedTokensError as error:
            raise UsageError(f"{error} (this run's secret: {secret_source(secret_file)})") from None
    except BaseException:
        if sandbox is not None:
            sandbox.close()  # a no-op once grading has closed it
        raise
    return summary


def _report_github(out, fail_under: float | None) -> None:
    """The points line, GitHub's step summary and outputs, and ``--fail-under``'s exit code."""
    from calcgrade.grader.integrations.github import report_run

    code = report_run(out, fail_under, echo=click.echo)
    if code:
        raise click.exceptions.Exit(code)


def _dask_cluster(scheduler: str | None, cluster: str | None):
    """The Dask cluster of ``--scheduler``/``--cluster`` (not yet entered), or None."""
    if scheduler is None and cluster is None:
        return None
    if scheduler is not None and cluster is not None:
        raise UsageError("give --scheduler ADDRESS or --cluster local:N, not both")
    try:
        from calcgrade.grader.sandbox.dask_pool import DaskCluster, parse_cluster
    except ImportError:
        raise UsageError("--scheduler and --cluster need Dask: pip install \"calcgrade[dask]\""
                         ) from None
    if cluster is not None:
        local = parse_cluster(cluster)
        if local is None:
            raise UsageError(f"--cluster takes local:N, not {cluster!r} (a scheduler's address "
                             "goes to --scheduler)")
        return DaskCluster(local=local)
    return DaskCluster(address=scheduler)


def _launch_sandbox(submissions: tuple[str, ...], workers: int, timeout: float,
                    memory_mib: int):
    """When every submission is a notebook file, start the sandbox workers now, so that
    they boot while the grading modules load and the inputs are read; None otherwise
    (folders and archives are counted by the grading itself, which then starts them)."""
    import os

    if not all(path.lower().endswith(".ipynb") and os.path.isfile(path) for path in submissions):
        return None
    from calcgrade.grader.sandbox.executor import pool_for
    from calcgrade.grader.sandbox.limits import Limits

    limits = Limits(wall_seconds=timeout, memory_bytes=memory_mib * 1024 * 1024)
    return pool_for(len(set(submissions)), workers, limits).launch()


def _report_graded(summary, full_table: bool = False) -> None:
    """The class in a few lines and the rows that need attention (every row with
    ``full_table``, as the demo shows it); grades.csv holds the full table."""
    from calcgrade.grader.grading.summary import summarize

    out = summary.out
    if full_table:
        _print_table(out / "grades.csv")
        click.echo("")
    if summary.inputs == 1 and not full_table:
        _report_one(summary)
        return
    found = summarize(out)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(
        found.statuses.items(), key=lambda item: (item[0] != "graded", item[0] == "missing", item[0])))
    click.echo(f"{found.students} student{'s' if found.students != 1 else ''}: {counts}.")
    if found.mean is not None:
        click.echo(f"Scores of the graded: mean {_points(found.mean)}, median "
                   f"{_points(found.median)} of {found.max_points}.")
    ignored = f", {summary.ignored} not notebooks or not read" if summary.ignored else ""
    click.echo(f"{summary.inputs} submission(s): {summary.graded} graded now, "
               f"{summary.skipped} already graded, {summary.failed} with errors{ignored}.")
    if not full_table:
        _report_attention(found)
    click.echo("\nEvery student's grade is in grades.csv; every file handed in, in submissions.csv:")
    click.echo(f"  grades       {out / 'grades.csv'}")
    click.echo(f"  submissions  {out / 'submissions.csv'}")
    click.echo(f"  parts        {out / 'parts.csv'}")
    click.echo(f"  feedback     {out / 'feedback'}")
    click.echo(f"  gradescope   {out / 'results'}")
    click.echo(f"  gradebook    {out / 'gradebook.sqlite'}")
    click.echo(f"  report       {out / 'report.html'}")


def _report_one(summary) -> None:
    """One file graded (a student's own notebook, in CI): its result, not the class's."""
    from calcgrade.grader.grading.summary import one_submission

    out = summary.out
    row = one_submission(out)
    who = row.student or "no student"
    click.echo(f"{who}: {row.status}, {row.total} of {row.max} points"
               + ("" if summary.graded else " (already graded)" if summary.skipped else ""))
    if row.reason:
        click.echo(f"  {row.reason}")
    feedback = out / "feedback" / f"{row.student}.md"
    click.echo(f"  feedback     {feedback if row.student and feedback.exists() else out / 'feedback'}")
    click.echo(f"  grades       {out / 'grades.csv'}")
    click.echo(f"  submissions  {out / 'submissions.csv'}")


def _points(value: float) -> str:
    from calcgrade.grader.grading.reports import number

    return number(value)


def _print_table(grades_csv) -> None:
    """grades.csv's student, status, total, max and per-problem columns, aligned."""
    import csv

    with open(grades_csv, encoding="utf-8", newline="") as handle:
        header, *body = list(csv.reader(handle))
    wanted = ["student", "status", "total", "max"]
    columns = [header.index(c) for c in wanted] + [i for i, c in enumerate(header) if c.startswith("q")]
    table = [[header[i] for i in columns]] + [[row[i] for i in columns] for row in body]
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def _clip(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _more(shown: int, count: int) -> str:
    return f" … and {count - shown} more" if count > shown else ""


def _report_attention(found) -> None:
    if found.attention:
        click.echo(f"\nNeeds attention ({found.attention_count} student"
                   f"{'s' if found.attention_count != 1 else ''}):")
        table = [("student", "status", "points", "why")] + [
            (row.student, row.status, f"{row.total}/{row.max}", _clip(row.reason))
            for row in found.attention]
        widths = [max(len(r[i]) for r in table) for i in range(3)]
        for row in table:
            click.echo("  " + "  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])
        if found.attention_count > len(found.attention):
            click.echo(f"  … and {found.attention_count - len(found.attention)} more (see grades.csv)")
    missing = found.statuses.get("missing", 0)
    if missing:
        click.echo(f"\nMissing, no submission ({missing}): {', '.join(found.missing)}"
                   f"{_more(len(found.missing), missing)}")
    if found.unassigned_notebook_count:
        click.echo(f"\nNotebooks that name no student ({found.unassigned_notebook_count}; rename "
                   "them <id>.ipynb or grade each with --student):")
        for path, _reason in found.unassigned_notebooks:
            click.echo(f"  {path}")
        if found.unassigned_notebook_count > len(found.unassigned_notebooks):
            click.echo(f"  … and {found.unassigned_notebook_count - len(found.unassigned_notebooks)} "
                       "more (see submissions.csv)")
    if found.unassigned_other_count:
        count = found.unassigned_other_count
        click.echo(f"\n{count} other file{'s name' if count != 1 else ' names'} no student and "
                   f"{'were' if count != 1 else 'was'} not graded (not a notebook, or not read): "
                   "see submissions.csv")


@cli.command()
@click.argument("out_dir", metavar="OUT")
def report(out_dir: str) -> None:
    """Write the class report of the graded folder OUT: report.html (plots, per-part
    statistics, diagnosed mistakes, review and flags) with report.json and CSV beside it."""
    from calcgrade.grader.grading.class_report import write_class_report

    click.echo(f"class report  {write_class_report(out_dir)}")


@cli.command()
@click.argument("out_dir", metavar="OUT")
@click.option("--student", metavar="ID", help="The student whose part you decide on.")
@click.option("--part", metavar="qN_NAME", help="The part, as its notebook variable (e.g. q2_derivative).")
@click.option("--accept", "choice", flag_value="accept", help="Give the part full points.")
@click.option("--reject", "choice", flag_value="reject", help="Give the part no points.")
@click.option("--score", type=float, metavar="POINTS", help="Give the part POINTS points.")
@click.option("--comment", default="", help="A comment the student reads in the feedback.")
@click.option("--all", "show_all", is_flag=True, help="List decided parts too.")
def review(out_dir: str, student: str | None, part: str | None, choice: str | None,
           score: float | None, comment: str, show_all: bool) -> None:
    """List the parts of OUT marked for review, or record a decision on one.

    Without --student, lists each undecided part with the student's answer beside the
    reference. With --student, --part and one of --accept, --reject or --score, records the
    decision in the gradebook and writes grades.csv, feedback, Gradescope results and the
    report again; a rerun of 'calcgrade grade' keeps it."""
    from calcgrade.core.names import answer_variable
    from calcgrade.grader.grading.reports import number
    from calcgrade.grader.grading.review import record_decision, review_items, rewrite_outputs

    deciding = student is not None or part is not None or choice is not None or score is not None
    if not deciding:
        items = review_items(out_dir, pending_only=not show_all)
        if not items:
            click.echo("No part is waiting for review." if not show_all else "No part was marked for review.")
            return
        for item in items:
            decided = f"  [{item.decision}{': ' + item.comment if item.comment else ''}]" \
                if item.decision else ""
            click.echo(f"{item.student}  {answer_variable(item.problem, item.answer)}  "
                       f"({number(item.score)}/{number(item.max)}){decided}")
            click.echo(f"    answer:    {_clip(item.found)}")
            click.echo(f"    reference: {_clip(item.reference)}")
        click.echo(f"\n{len(items)} part(s). Decide with: calcgrade review {out_dir} --student ID "
                   "--part qN_NAME --accept | --reject | --score POINTS [--comment TEXT]")
        return
    if student is None or part is None:
        raise UsageError("a decision needs --student ID and --part qN_NAME")
    if (choice is not None) == (score is not None):
        raise UsageError("give exactly one of --accept, --reject or --score POINTS")
    made = record_decision(out_dir, student, part, choice or "score", score, comment)
    rewrite_outputs(out_dir)
    shown = made.decision if made.score is None else f"{number(made.score)} points"
    click.echo(f"{student} {part}: {shown}. grades.csv, feedback, results and report.html "
               "written again.")


from calcgrade.grader.cli_export import export  # noqa: E402  (the export group, its own module)

cli.add_command(export)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command, turn errors into one line and an exit code."""
    try:
        result = cli.main(args=argv, prog_name="calcgrade", standalone_mode=False)
        return result if isinstance(result, int) else 0  # an Exit's code, e.g. --fail-under
    except CalcgradeError as error:
        click.echo(f"calcgrade: error: {error}", err=True)
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.exceptions.Abort:
        click.echo("calcgrade: aborted", err=True)
        return 130
    except click.ClickException as error:
        hint = ""
        if isinstance(error, click.UsageError) and error.ctx is not None:
            hint = f" (see '{error.ctx.command_path} --help')"
        click.echo(f"calcgrade: error: {error.format_message()}{hint}", err=True)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        click.echo("calcgrade: interrupted", err=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
