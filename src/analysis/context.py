"""The context a numbered notebook works in (步骤上下文): paths, county metadata and the standards profile.

Every notebook's parameters cell holds ``county, year, standards_profile, raw_dir, processed_dir,
reports_dir, processed_root``; empty paths fall back to ``analysis.config``. The runner passes staging
folders so that a failed run leaves earlier outputs untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analysis import config
from analysis.standards import load_profile


def county_meta(county: str, raw_root: Path | None = None) -> dict[str, Any]:
    """``data/raw/<county>/county.yaml``: Chinese name, province, default standards profile."""
    path = (raw_root or config.RAW) / county / "county.yaml"
    meta = {"county": county, "name": county, "province": "", "standards_profile": "national"}
    if path.exists():
        meta.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return meta


@dataclass
class StepContext:
    county: str
    year: int
    raw: Path
    processed: Path
    reports: Path
    processed_root: Path
    profile: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def county_name(self) -> str:
        return self.meta.get("name", self.county)

    def processed_year(self, year: int) -> Path:
        """Processed folder of another (earlier) year, for trends; the current year is the staging folder."""
        return self.processed if int(year) == self.year else self.processed_root / self.county / str(year)

    def history_years(self) -> list[int]:
        """Years ≤ the current one with processed outputs (the current year always included)."""
        base = self.processed_root / self.county
        years = {self.year}
        if base.exists():
            years |= {int(p.name) for p in base.iterdir() if p.name.isdigit() and int(p.name) < self.year}
        return sorted(years)


def step_context(
    county: str,
    year: int | str,
    standards_profile: str = "",
    raw_dir: str = "",
    processed_dir: str = "",
    reports_dir: str = "",
    processed_root: str = "",
) -> StepContext:
    """Build the context of one notebook run from its papermill parameters."""
    meta = county_meta(county)
    profile_name = standards_profile or meta.get("standards_profile", "national")
    ctx = StepContext(
        county=county,
        year=int(year),
        raw=Path(raw_dir) if raw_dir else config.raw_dir(county, year),
        processed=Path(processed_dir) if processed_dir else config.processed_dir(county, year),
        reports=Path(reports_dir) if reports_dir else config.reports_dir(county, year),
        processed_root=Path(processed_root) if processed_root else config.PROCESSED,
        profile=load_profile(profile_name),
        meta=meta,
    )
    ctx.processed.mkdir(parents=True, exist_ok=True)
    ctx.reports.mkdir(parents=True, exist_ok=True)
    set_display_options()
    return ctx


def set_display_options() -> None:
    """Tables in the reports show whole texts (reasons, evidence) and every school, never '...'."""
    import pandas as pd

    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", 500)
    pd.set_option("display.max_columns", 60)
    pd.set_option("display.width", 250)
