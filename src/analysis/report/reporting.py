"""The report entry points ``analysis.pipeline`` calls (报告入口): render one year's reports, write the index.

The reports themselves are built in :mod:`analysis.report.fragments`, :mod:`analysis.report.render` and
:mod:`analysis.report.index`; this module only keeps the names the runner imports.
"""

from analysis.report.index import write_index
from analysis.report.render import render_reports

__all__ = ["render_reports", "write_index"]
