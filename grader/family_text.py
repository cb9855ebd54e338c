"""The problem families as ``calcgrade families`` prints them: a narrow list, or one family.

Both work on :meth:`Family.describe` (the same data as ``calcgrade families --json``) and
fit the given width: long descriptions wrap under their own column.

>>> d = {"name": "sigmoid_gradient", "version": 1, "topic": "sigmoid and log-loss",
...      "summary": "σ(z) and σ′(z) of one logistic unit", "skills": ["chain rule"],
...      "params": [{"name": "z", "type": "a number", "required": False,
...                  "description": "the input of the sigmoid"}],
...      "options": [{"name": "mode", "default": "z", "choices": ["z", "example"],
...                   "description": "what to ask"}],
...      "answers": {"sigmoid": {"kind": "scalar", "description": "σ(z)"}},
...      "mistakes": {"sigmoid.prime_is_sigma": "σ′ is σ(1 − σ), not σ"}}
>>> print(family_list([d], width=60))
sigmoid_gradient  σ(z) and σ′(z) of one logistic unit
>>> print(family_details(d, width=60))  # doctest: +NORMALIZE_WHITESPACE
sigmoid_gradient (version 1): sigmoid and log-loss
σ(z) and σ′(z) of one logistic unit
Skills: chain rule
<BLANKLINE>
Params (fixed params in an assignment, or 'calcgrade solve'):
  z     optional, a number  the input of the sigmoid
<BLANKLINE>
Options (how variants are drawn: options = { ... } in an assignment, or 'calcgrade sample --option'):
  mode  "z" (default) or "example"  what to ask
<BLANKLINE>
Answers (the notebook's q<N>_<answer> variables):
  sigmoid  scalar  σ(z)
<BLANKLINE>
Mistakes it recognises:
  sigmoid.prime_is_sigma  σ′ is σ(1 − σ), not σ
"""

from __future__ import annotations

import json
import textwrap


def family_list(described: list[dict], width: int = 80) -> str:
    """One line per family: its name and its one-line summary, cut to ``width``."""
    column = max(len(d["name"]) for d in described) + 2
    lines = []
    for d in described:
        summary = d.get("summary") or d.get("topic", "")
        room = max(20, width - column)
        if len(summary) > room:
            summary = summary[:room - 1].rstrip() + "…"
        lines.append(d["name"].ljust(column) + summary)
    return "\n".join(lines)


def _value(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _option_values(option: dict) -> str:
    default = option.get("default")
    if option.get("choices"):
        shown = [_value(c) + (" (default)" if c == default else "") for c in option["choices"]]
        return ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]
    bounds = ""
    if "minimum" in option or "maximum" in option:
        low, high = option.get("minimum", ""), option.get("maximum", "")
        bounds = f"{_value(low) if low != '' else ''}…{_value(high) if high != '' else ''}, "
    return f"{bounds}default {_value(default)}"


def _table(rows: list[tuple[str, ...]], width: int) -> list[str]:
    """Rows whose last cell wraps under its own column."""
    if not rows:
        return ["  (none)"]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    indent = 2 + sum(w + 2 for w in widths)
    if indent > width // 2:  # too wide: the description goes on the next lines
        lines = []
        for row in rows:
            lines += textwrap.wrap("  ".join(c for c in row[:-1]), width, initial_indent="  ",
                                   subsequent_indent=" " * 4)
            lines += textwrap.wrap(row[-1], width, initial_indent=" " * 6,
                                   subsequent_indent=" " * 6) or [""]
        return lines
    lines = []
    for row in rows:
        head = "  " + "".join(c.ljust(w + 2) for c, w in zip(row[:-1], widths))
        wrapped = textwrap.wrap(row[-1], max(20, width - indent)) or [""]
        lines.append(head + wrapped[0])
        lines += [" " * indent + more for more in wrapped[1:]]
    return lines


def family_details(d: dict, width: int = 80) -> str:
    """Everything about one family: params, options, answers and catalogued mistakes."""
    lines = [f"{d['name']} (version {d['version']}): {d['topic']}"]
    lines += textwrap.wrap(d.get("summary", ""), width)
    if d.get("skills"):
        lines += textwrap.wrap("Skills: " + ", ".join(d["skills"]), width)
    params = [(p["name"], ("required" if p["required"] else "optional") + f", {p['type']}",
               p["description"]) for p in d["params"]]
    lines += ["", "Params (fixed params in an assignment, or 'calcgrade solve'):", *_table(params, width)]
    options = [(o["name"], _option_values(o), o["description"]) for o in d["options"]]
    lines += ["", *textwrap.wrap("Options (how variants are drawn: options = { ... } in an "
                                 "assignment, or 'calcgrade sample --option'):", width),
              *_table(options, width)]
    answers = []
    for name, spec in d["answers"].items():
        kind = spec["kind"]
        if spec.get("labels"):
            kind += ": " + " | ".join(spec["labels"])
        answers.append((name, kind, spec.get("description", "")))
    lines += ["", "Answers (the notebook's q<N>_<answer> variables):", *_table(answers, width)]
    mistakes = [(mistake_id, message) for mistake_id, message in d["mistakes"].items()]
    lines += ["", "Mistakes it recognises:", *_table(mistakes, width)]
    return "\n".join(lines)
