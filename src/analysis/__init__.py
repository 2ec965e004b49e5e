"""县域义务教育优质均衡发展评估 — analysis package.

Pure functions on DataFrames for each evaluation step; notebooks in ``notebooks/`` call them.
"""

import sys

__version__ = "0.1.0"

# nbformat validates notebooks with jsonschema, whose format checker imports the optional ``rfc3987_syntax`` when
# it is installed (JupyterLab's dependencies install it); that module compiles some forty grammars at import, about
# a second in every process that reads or writes a notebook (the command line, each worker). Notebook schemas use
# no IRI formats, so the module is left out here: jsonschema then simply has no IRI check.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
