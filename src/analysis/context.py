"""The context a numbered notebook works in (步骤上下文): county metadata, the standards profile, and the named
datasets of the catalog.

Every notebook's parameters cell holds ``county, year, standards_profile, raw_dir, processed_dir, reports_dir,
processed_root``; empty paths fall back to ``analysis.config``. The runner passes staging folders, so that a
failed run leaves earlier outputs untouched. A notebook never names a file: ``ctx.load("school_indicators")``,
``ctx.load_history("schools")`` (every year up to this one), ``ctx.save("cv", cv)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import config
from analysis.data import catalog
from analysis.data.cleaning import earlier_tables
from analysis.data.files import SafeYamlError, safe_yaml
from analysis.standards import ProfileError, load_profile, profile_from_file

# The mime type of the marker that ``save`` leaves in its cell's outputs: the audit report finds the cell that
# computed a dataset by this marker, never by reading the notebook's source.
SAVED_MIME = "application/vnd.county-eval.saved+json"
COUNTY_NAME = re.compile(r"^[A-Za-z0-9_\-\u4e00-\u9fff]{1,64}$")


class CountyError(ValueError):
    """A county name or county.yaml that cannot be used (names the file and what was expected)."""


def check_county_name(county: str) -> str:
    """A county is a plain folder name under ``data/raw/`` (letters, digits, Chinese, ``_`` ``-``): never a path."""
    if not isinstance(county, str) or not COUNTY_NAME.match(county) or county in {".", ".."}:
        raise CountyError(f"县名 {county!r} 无效：只能是 data/raw/ 下的一个文件夹名（字母、数字、汉字、_ 或 -），不能含路径")
    return county


def county_meta(county: str, raw_root: Path | None = None) -> dict[str, Any]:
    """``data/raw/<county>/county.yaml``: Chinese name, province, default standards profile (safe YAML only)."""
    check_county_name(county)
    path = (raw_root or config.RAW) / county / catalog.COUNTY_META_FILE
    meta: dict[str, Any] = {"county": county, "name": county, "province": "", "standards_profile": "national"}
    if path.exists():
        try:
            data = safe_yaml(path)
        except SafeYamlError as exc:
            raise CountyError(str(exc)) from None
        if not isinstance(data, dict):
            raise CountyError(f"{path}：应为“键: 值”形式（name、province、standards_profile），实际为 {type(data).__name__}")
        meta.update({k: v for k, v in data.items() if isinstance(k, str)})
    return meta


def resolve_profile(name: str, county: str, raw_root: Path | None = None) -> dict[str, Any]:
    """The standards profile of a run: one of the project's profiles, or a YAML file inside the county's own folder
    (``standards_profile: file:口径.yaml``), shown as such in every report. Anything else is refused."""
    name = str(name or "national")
    if name.startswith("file:"):
        county_dir = ((raw_root or config.RAW) / check_county_name(county)).resolve()
        path = (county_dir / name[len("file:"):]).resolve()
        if county_dir not in path.parents or path.suffix not in {".yaml", ".yml"}:
            raise ProfileError(f"评估口径文件 {name[5:]!r} 必须是县文件夹 {county_dir} 内的 .yaml 文件")
        return profile_from_file(path, label=f"县自定口径文件 {path.name}")
    return load_profile(name)


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
        return str(self.meta.get("name", self.county))

    def header(self):
        """The line under each notebook's title: county, year and standards profile, every text escaped (a county
        name such as ``<img onerror=…>`` is shown as text, never run)."""
        from IPython.display import Markdown

        return Markdown(f"**{md_text(self.county_name)}**　{self.year} 学年　评估口径：{md_text(self.profile['title'])}"
                        f"（{md_text(self.profile['name'])}）")

    def table(self, data: Any, formats: dict[str, Any] | None = None) -> Any:
        """A table as the audit report shows it: Chinese headers and values (学段 小学, 是/否, — for missing);
        the frame itself and what ``save`` writes keep their machine names
        (:func:`analysis.report.tables.audit_table`)."""
        from analysis.report.tables import audit_table

        return audit_table(data, self.profile, formats)

    # -- where a year's datasets are ---------------------------------------------------------------------------
    def processed_year(self, year: int) -> Path:
        """Processed folder of a year. The current year is this run's staging folder; an earlier year of the
        same run is its sibling staging folder; any other year is the published ``data/processed`` folder."""
        if int(year) == self.year:
            return self.processed
        sibling = self.processed.parent / str(int(year))
        if self.processed.name == str(self.year) and sibling.is_dir():
            return sibling
        return self.processed_root / self.county / str(int(year))

    def history_years(self) -> list[int]:
        """Years ≤ the current one with processed outputs (the current year always included)."""
        years = {self.year}
        for base in {self.processed_root / self.county, self.processed.parent}:
            if base.is_dir():
                years |= {int(p.name) for p in base.iterdir()
                          if p.is_dir() and p.name.isdigit() and int(p.name) < self.year}
        return sorted(years)

    def path(self, name: str, year: int | None = None) -> Path:
        """The file of dataset ``name`` for ``year`` (default: this year), from the catalog."""
        ds = catalog.dataset(name)
        if ds.where == "reports":
            if year not in (None, self.year):
                raise ValueError(f"{name} 只属于本年度报告")
            return self.reports / ds.file
        return self.processed_year(self.year if year is None else year) / ds.file

    # -- reading and writing named datasets --------------------------------------------------------------------
    def load(self, name: str, year: int | None = None) -> Any:
        """Dataset ``name`` of this year (or ``year``); ``None`` for an optional dataset that is absent.

        A required dataset that is absent raises and names the step that writes it."""
        ds = catalog.dataset(name)
        path = self.path(name, year)
        if ds.optional and not path.exists():
            return None
        return catalog.read(path.parent, name)

    def load_history(self, name: str, raw: bool = False) -> dict[int, pd.DataFrame]:
        """Dataset ``name`` of every year up to this one that has it: ``{year: frame}``, oldest first.

        With ``raw`` (an input table a step lists in ``Step.raw_history``), an earlier year that has not been
        processed is read from its raw year folder beside this one: a county running one year still finds the
        质量监测结果 it handed in with an earlier year."""
        out = {}
        for y in self.history_years():
            if self.path(name, y).exists():
                out[y] = self.load(name, y)
        if raw:
            out.update(earlier_tables(self.raw, name, skip=out))
        return dict(sorted(out.items()))

    def save(self, name: str, data: Any) -> Path:
        """Write dataset ``name`` (a DataFrame, a dict for JSON, an openpyxl workbook for xlsx) to its catalog
        file and mark the cell, so that the audit report links the numbers of ``name`` to this cell."""
        ds = catalog.dataset(name)
        path = catalog.write(self.path(name).parent, name, data)
        rows = {"csv": lambda: f"{len(data)} 行", "json": lambda: "JSON",
                "xlsx": lambda: f"{len(data.sheetnames)} 个工作表"}[ds.kind]()
        _mark_saved(name, ds, rows)
        return path


def md_text(value: Any) -> str:
    """Text for a Markdown cell output: HTML special characters escaped and Markdown markup neutralised."""
    import html

    text = html.escape(str(value), quote=True)
    return re.sub(r"([\\`*_\[\]{}()#+!|~>-])", r"\\\1", text)


def _mark_saved(name: str, ds: catalog.Dataset, rows: str) -> None:
    """Leave the saved-marker output in the running cell (no-op outside a kernel)."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    if get_ipython() is None:
        return
    display({SAVED_MIME: {"dataset": name, "file": ds.file},
             "text/markdown": f"已保存：**{ds.title_zh}**（`{ds.file}`，{rows}）"}, raw=True)


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
    raw = Path(raw_dir) if raw_dir else config.raw_dir(county, year)
    raw_root = raw.parent.parent  # <raw_root>/<county>/<year>: county.yaml sits beside the year folders
    meta = county_meta(county, raw_root)
    profile_name = standards_profile or meta.get("standards_profile", "national")
    ctx = StepContext(
        county=county,
        year=int(year),
        raw=raw,
        processed=Path(processed_dir) if processed_dir else config.processed_dir(county, year),
        reports=Path(reports_dir) if reports_dir else config.reports_dir(county, year),
        processed_root=Path(processed_root) if processed_root else config.PROCESSED,
        profile=resolve_profile(profile_name, county, raw_root),
        meta=meta,
    )
    ctx.processed.mkdir(parents=True, exist_ok=True)
    ctx.reports.mkdir(parents=True, exist_ok=True)
    set_display_options()
    return ctx


def set_display_options() -> None:
    """Tables in the reports show whole texts (reasons, evidence) and every school, never '...'."""
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", 500)
    pd.set_option("display.max_columns", 60)
    pd.set_option("display.width", 250)
    pd.set_option("styler.format.escape", "html")  # texts from input files are shown, never run as HTML
