"""jinja2 templates: problem statements (``statements/<family>.md.j2``), notebook cells,
feedback pages and handouts.

HTML templates (``*.html.j2``) are auto-escaped: every value is escaped unless the code
that passes it marks it as HTML with :class:`markupsafe.Markup`, which only the handout's
Markdown-and-MathML converter does. Markdown and Python templates are not escaped.

>>> from calcgrade.templates import environment
>>> environment().get_template("statements/sigmoid_gradient.md.j2").name
'statements/sigmoid_gradient.md.j2'
>>> environment().from_string("{{ x }}").render(x="<b>")  # not an HTML template
'<b>'
>>> environment().autoescape("feedback.html.j2"), environment().autoescape("notebook/answers.py.j2")
(True, False)
"""

from __future__ import annotations

from functools import lru_cache

import jinja2

from calcgrade.core.names import answer_variable


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared jinja2 environment over this package's files (strict about undefined names),
    with :func:`~calcgrade.core.names.answer_variable` as a global."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("calcgrade.templates", ""),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"),
                                            default_for_string=False, default=False),
    )
    env.globals["answer_variable"] = answer_variable
    return env
