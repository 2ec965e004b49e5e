"""Completeness forecast (完整性预判): which items of the verdict will read 缺少数据, and why, before a run.

``analysis validate`` runs the county-level checks (政府保障、教育质量、社会认可度、否决事项) on the cleaned tables,
exactly as step 04 does, and lists every item that comes out 缺少数据 with the evaluation's own reason: no 班级学生数
table (G5), no survey (S1), blank optional teacher columns (G9, G11, G12), county item codes missing or blank (G1,
G8, Q1, V1 …), no monitoring results (Q9). A county-items value the evaluation cannot read is an error the run
would stop on. Nothing here decides a threshold: the evaluation modules do.
"""

from __future__ import annotations

import pandas as pd

from analysis.data.columns import TABLES
from analysis.evaluate import guarantee, quality, recognition, verdict
from analysis.standards.status import MISSING

# The input table whose data an item needs (the rest come from the 县级指标 sheet).
SOURCE_TABLE = {"G3": "schools", "G4": "schools", "G5": "classes", "G6": "schools", "G9": "teachers",
                "G11": "teachers", "G12": "teachers", "Q3": "schools", "Q4": "schools", "Q6": "schools",
                "Q9": "monitoring_results", "S1": "survey"}
COLUMNS = ["item_id", "parent_id", "name_zh", "table", "note"]


def county_level_items(tables: dict[str, pd.DataFrame], profile: dict, year: int,
                       earlier: dict[str, dict[int, pd.DataFrame]] | None = None) -> pd.DataFrame:
    """Every county-level item row (G, Q, S1, V) step 04 would give for these cleaned tables; ``earlier`` gives the
    monitoring tables of earlier year folders (``{"monitoring_results": {2024: frame}}``), as step 04 reads them."""
    schools, teachers, county_items = tables["schools"], tables["teachers"], tables.get("county_items")
    earlier = earlier or {}

    def by_year(table_id: str) -> dict[int, pd.DataFrame]:
        return {**earlier.get(table_id, {}), **({year: tables[table_id]} if table_id in tables else {})}

    results, scores = quality.monitoring_inputs(by_year("monitoring_results"), by_year("monitoring"))
    q9 = profile["quality"]["Q9"]
    estimates = None
    if len(scores):
        summary = quality.school_score_summary(scores, q9["variance_ddof"])
        estimates = quality.between_school_rates(summary, q9["estimate_method"], q9["variance_ddof"])
    survey = tables.get("survey")
    table = recognition.recognition_table(survey, profile) if survey is not None else None
    return pd.concat([
        guarantee.guarantee_items(schools, teachers, tables.get("classes"), county_items, profile),
        quality.quality_items(schools, county_items, results, estimates, profile, year),
        guarantee.items_frame([recognition.s1_row(table, profile)]),
        verdict.veto_rows(county_items, profile),
    ], ignore_index=True)


def missing_items(tables: dict[str, pd.DataFrame], profile: dict, year: int,
                  earlier: dict[str, dict[int, pd.DataFrame]] | None = None) -> pd.DataFrame:
    """The items that will read 缺少数据 (:data:`COLUMNS`): id, name, the table that would supply them, the reason.

    Raises :class:`analysis.evaluate.guarantee.CountyItemError` on a county-items value the run cannot read."""
    rows = county_level_items(tables, profile, year, earlier)
    rows = rows[rows["status"] == MISSING]
    table = rows["parent_id"].map(lambda p: SOURCE_TABLE.get(p, "county_items"))
    return pd.DataFrame({"item_id": rows["item_id"], "parent_id": rows["parent_id"], "name_zh": rows["name_zh"],
                         "table": table, "note": rows["note"].fillna("")}, columns=COLUMNS).reset_index(drop=True)


def table_title(table_id: str) -> str:
    """The Chinese title of an input table (学校基本情况表 …), for messages."""
    return TABLES[table_id].title
