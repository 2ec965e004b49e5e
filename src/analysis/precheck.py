"""``analysis validate`` (数据预检): every problem of a raw county-year folder in one pass, and the forecast of the
items that will read 缺少数据, as a Chinese table in the terminal and in validation.csv.

Cleaning and validation (analysis.data) give the errors and warnings of the files; the completeness forecast
(analysis.evaluate.completeness) adds one warning per item the run would show as 缺少数据, with its reason.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd

from analysis.data import catalog
from analysis.data.cleaning import CleanResult, InputError, clean_folder, earlier_tables
from analysis.data.columns import TABLES
from analysis.data.files import write_csv
from analysis.data.validation import ISSUE_COLUMNS, Issue, issues_frame
from analysis.evaluate.completeness import missing_items
from analysis.evaluate.guarantee import CountyItemError

ISSUE_HEADERS_ZH = {"severity": "级别", "file": "文件", "sheet": "工作表", "row": "行", "column": "列", "value": "值",
                    "expected": "说明（应为）", "rule": "规则"}
SEVERITY_ZH = {"error": "错误", "warning": "警告"}
RULE_ZH = {
    "file": "文件", "schema": "表结构", "required": "必填", "range": "取值范围", "unique": "重复", "type": "类型",
    "section_type": "学段与办学类型", "section_missing": "缺少学段在校生数", "code_length": "代码位数",
    "outlier": "异常值", "lost_zeros": "代码丢失前导0", "empty_section": "学段无学生", "one_school_section": "学段仅1所学校",
    "unknown_school": "未知学校", "subset": "分项大于总数", "missing_teacher_row": "缺少教师行",
    "class_total": "班级人数合计", "class_count": "班级行数", "unknown_column": "未识别的列", "empty": "空表",
    "missing_data": "将缺少数据", "county_item": "县级指标", "earlier_folder": "取自往年文件夹",
}


def completeness_issues(result: CleanResult, profile: dict, year: int) -> list[Issue]:
    """One warning per item that will read 缺少数据 (file = the table that would supply it); an unreadable
    county-items value is an error. Needs the school and teacher tables: without them nothing can be forecast.
    Monitoring tables of earlier year folders count, as in step 04; one warning says which year folder gives them."""
    if not {"schools", "teachers"} <= set(result.tables):
        return []
    earlier, issues = earlier_inputs(folder_of(result), result)
    try:
        missing = missing_items(result.tables, profile, year, earlier)
    except CountyItemError as exc:
        src = result.sources.get("county_items")
        return [Issue(src.file if src else TABLES["county_items"].zh, src.sheet if src else "", None, "数值", "",
                      str(exc), "error", "county_item")]
    except (KeyError, ValueError, TypeError) as exc:  # data the errors above already name
        if result.has_errors or issues:
            return [*issues, Issue("", "", None, "", "", "改正上面的错误后，才能预判哪些项目将显示为“缺少数据”",
                                   "warning", "missing_data")]
        raise RuntimeError(f"预判“缺少数据”项目时出错：{exc}") from exc
    for r in missing.itertuples(index=False):
        src = result.sources.get(r.table)
        file = src.file if src else f"{TABLES[r.table].zh}（未提供）"
        issues.append(Issue(file, src.sheet if src else "", None, r.item_id, "",
                            f"{r.item_id} {r.name_zh} 将显示为“缺少数据”：{r.note}", "warning", "missing_data"))
    return issues


def earlier_inputs(folder: Path | None, result: CleanResult) -> tuple[dict[str, dict[int, pd.DataFrame]], list[Issue]]:
    """The tables step 04 reads from earlier year folders (``Step.raw_history``) when this folder lacks them, and
    an issue per table taken from there (which year folder) or per error found in such a file."""
    earlier: dict[str, dict[int, pd.DataFrame]] = {}
    issues: list[Issue] = []
    if folder is None:
        return earlier, issues
    for table_id in catalog.STEPS[catalog.GUARANTEE].raw_history:
        try:
            earlier[table_id] = earlier_tables(folder, table_id)
        except InputError as exc:
            issues += as_issues(exc.issues)
            continue
    # published results decide Q9; scores of an earlier folder matter only when no results exist at all
    results = "monitoring_results" in result.tables or bool(earlier.get("monitoring_results"))
    for table_id, by_year in earlier.items():
        if table_id in result.tables or not by_year or (table_id == "monitoring" and results):
            continue
        zh = TABLES[table_id].zh
        issues.append(Issue(f"{zh}（未提供）", "", None, "", "",
                            f"本年文件夹没有{zh}：评估采用往年文件夹（{max(by_year)} 年）中的{zh}", "warning",
                            "earlier_folder"))
    return earlier, issues


def folder_of(result: CleanResult) -> Path | None:
    """The county-year folder the cleaned files came from."""
    return next((src.path.parent for src in result.sources.values()), None)


def precheck(folder: Path, profile: dict, year: int) -> pd.DataFrame:
    """Every issue of ``folder`` (errors first), the completeness forecast included."""
    try:
        result = clean_folder(folder)
    except InputError as exc:  # no readable folder or a required file missing: nothing else can be checked
        return exc.issues
    return issues_frame(as_issues(result.issues) + completeness_issues(result, profile, year))


def as_issues(frame: pd.DataFrame) -> list[Issue]:
    """The rows of an issue table back as :class:`Issue` objects (to add more and sort again)."""
    out = []
    for values in frame[ISSUE_COLUMNS].itertuples(index=False, name=None):
        record = dict(zip(ISSUE_COLUMNS, values, strict=True))
        record["row"] = None if pd.isna(record["row"]) else int(record["row"])
        out.append(Issue(**record))
    return out


def chinese_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """The issue table with Chinese headers and values (错误/警告, rule names): what a county reads."""
    out = issues[["severity", "file", "sheet", "row", "column", "value", "expected", "rule"]].copy()
    out["severity"] = out["severity"].map(SEVERITY_ZH).fillna(out["severity"])
    out["rule"] = out["rule"].map(RULE_ZH).fillna(out["rule"])
    out["row"] = out["row"].map(lambda v: "" if pd.isna(v) else str(int(v)))
    return out.rename(columns=ISSUE_HEADERS_ZH).fillna("")


def write_issues(issues: pd.DataFrame, out_dir: Path) -> Path:
    """validation.csv (Chinese headers, UTF-8 with BOM for Excel) in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_csv(chinese_issues(issues), out_dir / catalog.dataset("validation").file)


def display_width(text: str) -> int:
    """Columns a text takes in a terminal: wide and full-width characters (CJK, ，。：) take 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def terminal_table(frame: pd.DataFrame, max_width: int = 40) -> str:
    """A table aligned for CJK text (every column but the last padded to its display width; long cells cut
    to ``max_width`` columns with …, the last column is never cut)."""
    def cut(text: str) -> str:
        if display_width(text) <= max_width:
            return text
        out = ""
        for ch in text:
            if display_width(out + ch) > max_width - 1:
                break
            out += ch
        return out + "…"

    header = [str(c) for c in frame.columns]
    rows = [[str(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    rows = [[cut(v) if j < len(header) - 1 else v for j, v in enumerate(row)] for row in rows]
    widths = [max(display_width(r[j]) for r in [header, *rows]) for j in range(len(header))]
    widths[-1] = display_width(header[-1])  # the last column is not padded: its rule is as wide as its header
    lines = []
    for row in [header, *rows]:
        cells = [pad(v, widths[j]) if j < len(row) - 1 else v for j, v in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
