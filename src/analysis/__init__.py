"""县域义务教育优质均衡发展评估 — analysis package.

Pure functions on DataFrames for each evaluation step; notebooks in ``notebooks/`` call them.
"""

__version__ = "0.1.0"
