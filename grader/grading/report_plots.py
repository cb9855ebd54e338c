"""The class report's plots, drawn with matplotlib (Agg) as SVG data URIs.

Each function takes the numbers of a :class:`~calcgrade.grader.grading.class_report.ClassReport`
and returns a ``data:image/svg+xml;base64,...`` URI for an ``<img>``: vector graphics stay
sharp in print, and the page needs no network. The output is deterministic (a fixed SVG
hash salt, no date in the metadata). matplotlib is imported here only, when a report is
drawn, so the command line starts without it; its font cache goes under calcgrade's
cache folder, never the configuration folder.

>>> uri = histogram_uri([1.0, 2.0, 2.5], 4.0)
>>> uri.startswith("data:image/svg+xml;base64,")
True
"""

from __future__ import annotations

import base64
import io
import os

INK, ACCENT, WARN, MUTED = "#1f3b73", "#2e7d32", "#c62828", "#9e9e9e"


def _matplotlib_folder() -> str:
    """Where matplotlib keeps its font cache: calcgrade's own cache folder, never the
    user's configuration folder (which holds the course secret)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "calcgrade", "matplotlib")


def _pyplot():
    os.environ.setdefault("MPLCONFIGDIR", _matplotlib_folder())
    import matplotlib

    matplotlib.use("Agg", force=True)
    matplotlib.rcParams.update({"svg.hashsalt": "calcgrade", "svg.fonttype": "path",
                                "font.size": 10, "axes.spines.top": False,
                                "axes.spines.right": False})
    import matplotlib.pyplot as plt

    return plt


def _uri(figure) -> str:
    plt = _pyplot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram_uri(totals: list[float], total_points: float) -> str:
    """The distribution of the graded students' totals."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 3))
    top = max(total_points, max(totals, default=0.0), 1e-9)
    bins = min(20, max(5, int(round(top)) if top >= 5 else 10))
    axes.hist(totals, bins=bins, range=(0, top), color=INK, edgecolor="white")
    axes.set_xlabel(f"total points (of {total_points:g})")
    axes.set_ylabel("students")
    axes.yaxis.get_major_locator().set_params(integer=True)
    return _uri(figure)


def parts_uri(labels: list[str], correct: list[float], format_error: list[float],
              missing: list[float], discrimination: list[float | None]) -> str:
    """Per part: shares fully right, with a format error and missing (bars), and the
    discrimination index (points) on the same 0–1 scale."""
    plt = _pyplot()
    height = max(2.5, 0.32 * len(labels) + 1.2)
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, height), sharey=True,
                                         gridspec_kw={"width_ratios": [3, 2]})
    positions = list(range(len(labels)))[::-1]
    left.barh(positions, correct, color=ACCENT, label="fully right")
    left.barh(positions, format_error, left=correct, color=WARN, label="format error")
    stacked = [c + f for c, f in zip(correct, format_error)]
    left.barh(positions, missing, left=stacked, color=MUTED, label="missing")
    left.set_xlim(0, 1)
    left.set_yticks(positions, labels)
    left.set_xlabel("share of graded students")
    left.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    shown = [(p, d) for p, d in zip(positions, discrimination) if d is not None]
    right.axvline(0.3, color=MUTED, linestyle="--", linewidth=1)
    right.axvline(0.0, color="black", linewidth=0.8)
    if shown:
        right.scatter([d for _, d in shown], [p for p, _ in shown], color=INK, zorder=3)
    right.set_xlim(-1.08, 1.08)
    right.set_xlabel("discrimination (upper-lower 27%)")
    return _uri(figure)


def mistakes_uri(labels: list[str], counts: list[int]) -> str:
    """How many students made each diagnosed mistake (most frequent on top)."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, max(2.0, 0.32 * len(labels) + 1.0)))
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, counts, color=WARN)
    axes.set_yticks(positions, labels)
    axes.set_xlabel("students")
    axes.xaxis.get_major_locator().set_params(integer=True)
    return _uri(figure)
