"""Project paths (项目路径). Notebooks and the runner take every path from here, never by string building."""

from __future__ import annotations

import os
from pathlib import Path

# The project root is found from the package location (editable install) or overridden for tests.
PROJECT_ROOT = Path(os.environ.get("ANALYSIS_ROOT", Path(__file__).resolve().parents[2]))
NOTEBOOKS = PROJECT_ROOT / "notebooks"
RAW = PROJECT_ROOT / "data" / "raw"
PROCESSED = PROJECT_ROOT / "data" / "processed"
REPORTS = PROJECT_ROOT / "reports"
KERNEL_NAME = "county-eval"

SECTIONS = ("primary", "junior")
SECTION_ZH = {"primary": "小学", "junior": "初中", "senior": "高中"}


def raw_dir(county: str, year: int | str, root: Path | None = None) -> Path:
    """``data/raw/<county>/<year>/`` — immutable inputs of one statistical year."""
    return (root or RAW) / county / str(year)


def processed_dir(county: str, year: int | str, root: Path | None = None) -> Path:
    """``data/processed/<county>/<year>/`` — regenerated outputs of the cleaning and analysis steps."""
    return (root or PROCESSED) / county / str(year)


def reports_dir(county: str, year: int | str, root: Path | None = None) -> Path:
    """``reports/<county>/<year>/`` — executed notebooks, HTML and Excel for one county and year."""
    return (root or REPORTS) / county / str(year)
