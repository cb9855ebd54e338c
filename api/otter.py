"""calcgrade's otter-grader plugin, by the name courses list in ``otter_config.json``:
``calcgrade.otter.CalcgradePlugin`` (see :mod:`calcgrade.grader.integrations.otter_plugin`).

Needs the ``otter`` extra: ``pip install "calcgrade[otter]"``.
"""

from calcgrade.grader.integrations.otter_plugin import CalcgradePlugin, CalcgradeTestFile

__all__ = ["CalcgradePlugin", "CalcgradeTestFile"]
