"""The ``calcgrade`` command.

Every user error becomes one line on stderr and exit code 2; internal errors exit 1.

    calcgrade families [--json]
    calcgrade sample FAMILY --seed N [--option key=value ...]
    calcgrade sample FAMILY --seeds A:B [--option key=value ...]
    calcgrade solve FAMILY --params JSON
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from calcgrade.grader.errors import CalcgradeError, ParamsError, UsageError
from calcgrade.grader.jsonio import dumps


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="calcgrade")
def cli() -> None:
    """Randomized, self-grading exercises in the calculus of machine learning."""


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the full description as JSON.")
def families(as_json: bool) -> None:
    """List the problem families with their params and answers."""
    from calcgrade.problems import all_families

    described = [family.describe() for family in all_families()]
    if as_json:
        click.echo(dumps({"families": described}, indent=2))
        return
    rows = [("FAMILY", "TOPIC", "PARAMS", "ANSWERS")]
    for d in described:
        params = ", ".join(p["name"] + ("" if p["required"] else "?") for p in d["params"])
        rows.append((d["name"], d["topic"], params, ", ".join(d["answers"])))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])
    click.echo("\n'?' marks optional params; 'calcgrade families --json' gives details.")


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
    from calcgrade.problems import get_family

    family = get_family(family_name)
    params = _load_json_argument(params_text, "--params")
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


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command, turn errors into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="calcgrade", standalone_mode=False)
        return 0
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
