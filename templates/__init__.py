"""jinja2 templates: problem statements (``statements/<family>.md.j2``) and, later,
notebook cells, feedback and reports.

>>> from calcgrade.templates import environment
>>> environment().get_template("statements/sigmoid_gradient.md.j2").name
'statements/sigmoid_gradient.md.j2'
"""

from __future__ import annotations

from functools import lru_cache

import jinja2


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared jinja2 environment over this package's files (strict about undefined names)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("calcgrade.templates", ""),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
