"""示例县 — the fictional sample county (虚构样例县): deterministic raw data for every input table.

``python -m analysis.data.sample --out data/raw/sample [--seed N] [--years 2021 ... 2025] [--defects DIR]``

The county is modelled on the non-compliance pattern of a real Chongqing county (003_1c8462c5537f038e.txt):
crowded urban schools short of sports ground and class space, village schools short of key teachers, music/art
rooms and equipment, rural enrollment falling while town and urban enrollment grows, a few oversized schools and
classes, a national quality-monitoring round every three years. Every number is drawn from a seeded numpy
Generator, one independent stream per (purpose, year), so a year's files do not depend on which other years are
generated and the same seed gives byte-identical files.

Generation functions are pure and return DataFrames whose columns are the English ids of ``analysis.columns``
with the values as a county would enter them (Chinese labels, 是/否, equipment in 万元). The writer at the edge
turns them into the Excel/CSV files a county hands in, including the quirks the reader must absorb (merged title
row, trailing spaces, thousands separators, a full-width number, a 合计 row, GBK text).
Design parameters are calibrated against the standards profile (thresholds are read from it, never typed here).
"""

from __future__ import annotations

import argparse
import csv
import io as _io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import yaml

from analysis.data.columns import (
    CLASSES,
    COUNTY_ITEMS,
    KG_CLASSES,
    KG_STAFF,
    KINDERGARTENS,
    MONITORING,
    MONITORING_RESULTS,
    PRESCHOOL_INCIDENTS,
    PRESCHOOL_ITEMS,
    PRESCHOOL_POPULATION,
    PRESCHOOL_SPENDING,
    PRESCHOOL_SURVEY,
    SCHOOLS,
    SURVEY,
    TARGETS,
    TEACHERS,
)
from analysis.data.files import save_workbook
from analysis.standards import load_profile
from analysis.standards.sources import citation

COUNTY_NAME = "示例县"
PROVINCE = "重庆市（虚构）"
PROFILE = "chongqing"
DEFAULT_SEED = 20201118  # the publication date of 003_1c8462c5537f038e.txt
FIRST_YEAR = 2021
LAST_YEAR = 2030
DEFAULT_YEARS = (2021, 2022, 2023, 2024, 2025)
MONITORING_YEARS = (2021, 2024)  # national monitoring every three years
DEFECT_YEAR = 2024

# Independent random streams: one per purpose (and year), so generating a subset of years changes nothing.
_STREAMS = {"roster": 1, "enrollment": 2, "classes": 3, "teachers": 4, "finance": 5, "rooms": 6,
            "monitoring": 7, "survey": 8, "quirks": 9, "kindergartens": 10, "kg_classes": 11, "kg_survey": 12}

# File names (stems are what analysis.reading recognises).
FILES = {
    "schools": "学校基本情况.xlsx",
    "teachers": "专任教师情况.xlsx",
    "classes": "班级学生数.csv",
    "county_items": "县级指标.xlsx",
    "monitoring": "质量监测.csv",
    "monitoring_results": "质量监测结果.csv",
    "survey": "社会认可度调查.csv",
    "targets": "年度目标.csv",
}
EQUIPMENT_HEADER = "教学仪器设备资产值（万元）"

URBAN_STREETS = ("东城街道", "西城街道", "南山街道")
TOWNS = ("龙池镇", "桃源镇", "白沙镇", "双河镇", "杨柳镇", "凤鸣镇", "马鞍镇", "新田镇", "石门镇", "青龙镇")
XIANG_NINE = ("金竹乡", "云台乡", "柏林乡", "高峰乡", "红岩乡")  # 乡 whose central school is a nine-year school
XIANG_OTHER = ("三溪乡", "太平乡", "安乐乡")
VILLAGES = (
    "石桥村", "杨家村", "花园村", "金山村", "高坪村", "长岭村", "大湾村", "水井村", "新华村", "红星村", "黄坪村",
    "中坝村", "岩口村", "松林村", "竹园村", "柳树村", "桂花村", "堰塘村", "河坝村", "茶园村", "凉水村", "大石村",
    "鱼泉村", "青杠村", "五星村", "龙井村", "马家村", "田坝村", "银杏村", "核桃村", "新场村", "梨树村", "沙坝村",
    "三合村", "团结村", "光明村", "向阳村", "双龙村", "白果村", "紫荆村", "凤凰村", "枫香村", "桃坪村", "杉木村",
    "清泉村", "铜鼓村", "回龙村", "兴隆村", "永安村", "明月村", "李家村", "张家村", "何家村", "岩门村", "大坪村",
)
VILLAGES_PER_TOWN = (4, 4, 4, 4, 3, 3, 3, 3, 3, 3)
VILLAGES_PER_XIANG = (3, 3, 3, 3, 3, 2, 2, 3)  # XIANG_NINE then XIANG_OTHER
POINTS_PER_TOWN = (2, 2, 1, 1, 1, 1, 1, 1, 1, 1)
POINTS_PER_XIANG = (1, 1, 1, 1, 0, 0, 0, 0)

# School groups drive the design parameters below (not written to the files). Resource levels are multiples of
# the standard in 2021 ("rho"): R2 key teachers, R3 PE/arts teachers, R4 rooms, R5 sports ground, R6 equipment,
# R7 multimedia rooms; ptr = students per teacher, deg = share of teachers above the required degree.
GROUP_PARAMS = ("rho2", "rho3", "rho4", "rho5", "rho6", "rho7", "ptr_p", "ptr_j", "deg_p", "deg_j")
GROUPS = {
    #             rho2  rho3  rho4  rho5  rho6  rho7  ptr_p ptr_j deg_p deg_j
    "flagship":   (3.50, 1.10, 1.06, 0.80, 1.12, 1.00, 20.5, 14.2, 0.97, 0.86),
    "urban":      (1.30, 1.12, 1.10, 1.02, 1.14, 1.05, 19.0, 13.6, 0.96, 0.85),
    "town":       (1.12, 1.15, 1.16, 1.08, 1.14, 1.12, 17.5, 12.6, 0.95, 0.84),
    "rural":      (1.15, 1.25, 1.45, 1.75, 1.15, 1.30, 14.5, 11.2, 0.94, 0.82),
    "point":      (1.00, 1.30, 1.40, 2.00, 1.10, 1.50, 14.0, 11.0, 0.92, 0.80),
    "new":        (0.60, 1.10, 1.45, 1.25, 1.30, 1.30, 19.0, 13.6, 0.99, 0.90),
    "special":    (3.00, 4.00, 3.00, 3.00, 3.00, 5.00, 3.2, 3.2, 0.98, 0.95),
    "vocational": (1.50, 1.00, 1.20, 1.00, 1.50, 1.20, 14.0, 14.0, 0.95, 0.90),
}
GROUP_SD = {"rho2": 0.10, "rho3": 0.08, "rho4": 0.08, "rho5": 0.10, "rho6": 0.06, "rho7": 0.06, "ptr_p": 1.0,
            "ptr_j": 0.8, "deg_p": 0.02, "deg_j": 0.04}
# The one indicator a school is short of in 2021 (at 87–99% of the standard), by group; "" = none.
WEAK = {"urban": {"R5": 0.45, "R4": 0.3, "R6": 0.15, "": 0.1},
        "town": {"R2": 0.5, "R6": 0.35, "R4": 0.05, "R5": 0.05, "": 0.05},
        "rural": {"R2": 0.45, "R6": 0.35, "R3": 0.1, "": 0.1},
        "point": {"R6": 0.5, "": 0.5}}
# Yearly change of the multiples: key teachers spread out of the flagship schools, weak items catch up.
TRENDS = {"rho2_flagship": -0.24, "rho2_new": 0.3, "rho2_weak": 0.035, "rho2": 0.01, "rho3_weak": 0.03, "rho3": 0.01,
          "rho6_weak": 0.045, "rho6": 0.03}
N_DOUBLE_WEAK = 8  # schools short of a second indicator below 85% in 2021 (they fail until it is fixed)
N_NO_KEY = 3  # village schools without any key teacher in 2021; one gains one per year
GROWTH = {"flagship": 0.022, "urban": 0.02, "town": 0.012, "rural": -0.05, "point": -0.06, "new": 0.08,
          "special": 0.02, "vocational": 0.0}

# Oversized classes (大班额) shrink year by year in crowded schools: target average class size by year.
CROWDED_CLASS_SIZE = {"primary": {2021: 46.5, 2022: 45.8, 2023: 45.3, 2024: 44.8, 2025: 44.3},
                      "junior": {2021: 51.5, 2022: 50.8, 2023: 50.3, 2024: 49.8, 2025: 49.3}}
NORMAL_CLASS_SIZE = {"primary": 41.0, "junior": 46.0}

# County-level schedules (values as the county reports them); later years repeat the last value.
TRAINING_COMPLETION = {2021: 0.962, 2022: 0.976, 2023: 0.988, 2024: 0.996, 2025: 1.0}
ROTATION = {2021: (0.082, 0.24), 2022: (0.108, 0.15), 2023: (0.118, 0.25), 2024: (0.124, 0.27),
            2025: (0.13, 0.28)}  # (rotated / eligible, key among rotated)
UNCERTIFIED = {2021: 3, 2022: 1}  # teachers without certificate in the private school
RECOGNITION = {2021: 0.83, 2022: 0.855, 2023: 0.87, 2024: 0.88, 2025: 0.89}
# Between-school share of score variance by year and grade (校际差异率 target: 2021 over 0.15, 2024 under) and
# the county mean above 500 by subject (2024 语文 reaches level IV).
MONITORING_BETWEEN_SHARE = {2021: {4: 0.165, 8: 0.192}, 2024: {4: 0.118, 8: 0.134}}
MONITORING_SUBJECT_SPREAD = {"语文": 1.0, "数学": 1.06, "科学": 0.93}
MONITORING_SUBJECT_SHIFT = {2021: {"语文": -4.0, "数学": 2.0, "科学": -6.0}, 2024: {"语文": 16.0, "数学": 6.0, "科学": 2.0}}
SURVEY_ANSWERS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")
SURVEY_GROUPS = {  # expected responses, offset of favourable probability
    "学生": (190, 0.02), "家长": (250, -0.01), "教师": (120, 0.03), "校长": (30, 0.06),
    "人大代表": (15, 0.04), "政协委员": (8, 0.02), "社区群众": (90, -0.05),
}
SUBJECTS = ("语文", "数学", "科学")


def _rng(seed: int, stream: str, year: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAMS[stream], year])


def _by_year(schedule: dict, year: int):
    """Value of a year schedule; years after the last key repeat the last value."""
    keys = sorted(k for k in schedule if k <= year)
    return schedule[keys[-1]] if keys else schedule[min(schedule)]


def _check_years(years: Iterable[int]) -> list[int]:
    out = sorted({int(y) for y in years})
    bad = [y for y in out if not FIRST_YEAR <= y <= LAST_YEAR]
    if bad:
        raise ValueError(f"sample years must lie in {FIRST_YEAR}–{LAST_YEAR}, got {bad}")
    return out


# ---------------------------------------------------------------------------------------------------------------
# Roster (学校名录): fixed attributes and design parameters of every school that ever exists in the county.


def _unit_standards(profile: dict) -> dict[str, dict[str, float]]:
    """Standard per *weighted* student (primary weight 1) for primary-led and junior-led schools, per indicator."""
    w = profile["split_weights"]
    res = profile["resources"]
    return {
        "primary": {i: float(res[i]["primary"]) for i in ("R4", "R5", "R6", "R7")},
        "junior": {i: float(res[i]["junior"]) / w["junior"] for i in ("R4", "R5", "R6", "R7")},
    }


def build_roster(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Every school of 示例县 with fixed attributes (code, name, type, place) and its design parameters.

    Internal columns (``group``, ``p0``/``j0``/``s0`` base enrollment, ``growth``, ``opened``, ``closed``,
    ``merged_into``, ``rho*`` facility multiples, ...) drive the yearly tables and are never written out.
    """
    rng = _rng(seed, "roster")
    rows: list[dict] = []
    serial: dict[tuple[int, int], int] = {}
    type_digit = {"小学": 1, "教学点": 2, "初级中学": 3, "九年一贯制学校": 4, "完全中学": 5, "特殊教育学校": 6,
                  "职业学校": 7}
    townships = [*URBAN_STREETS, *TOWNS, *XIANG_NINE, *XIANG_OTHER]

    def add(township, name, school_type, urban, group, p0=0, j0=0, s0=0, **extra):
        tw = townships.index(township) + 1
        key = (tw, type_digit[school_type])
        serial[key] = serial.get(key, 0) + 1
        rows.append({"school_code": f"5001{tw:02d}{type_digit[school_type]}{serial[key]:03d}",
                     "school_name": name, "school_type": school_type, "urban_rural": urban,
                     "township": township, "group": group, "p0": p0, "j0": j0, "s0": s0, **extra})

    c = COUNTY_NAME
    # Urban area (城区): the crowded flagship schools, a private school, a new school opening in 2024.
    add("东城街道", f"{c}实验小学", "小学", "城区", "flagship", 2350, founded=1952, crowded=True, expand=False)
    add("东城街道", f"{c}东城小学", "小学", "城区", "flagship", 2120, founded=1978, crowded=True)
    add("西城街道", f"{c}西城小学", "小学", "城区", "flagship", 1850, founded=1985, crowded=True)
    add("南山街道", f"{c}南山小学", "小学", "城区", "urban", 1650, founded=1993, crowded=True)
    add("南山街道", f"{c}城南小学", "小学", "城区", "urban", 1450, founded=2001, crowded=True)
    add("西城街道", f"{c}育才小学", "小学", "城区", "urban", 1150, founded=2008)
    add("东城街道", f"{c}启明小学", "小学", "城区", "urban", 880, founded=2012, ownership="民办")
    add("南山街道", f"{c}滨江小学", "小学", "城区", "new", 640, founded=2024, opened=2024,
        draws={f"{c}东城小学": 350, f"{c}实验小学": 150, f"{c}南山小学": 140})
    add("东城街道", f"{c}实验学校", "九年一贯制学校", "城区", "flagship", 1480, 1130, founded=2003, crowded=True,
        growth=-0.012)
    add("东城街道", f"{c}第一中学", "完全中学", "城区", "flagship", 0, 1500, 2300, founded=1941, crowded=True,
        growth=0.01)
    add("西城街道", f"{c}第二中学", "初级中学", "城区", "flagship", 0, 1780, founded=1958, crowded=True,
        growth=0.012)
    add("南山街道", f"{c}第三中学", "初级中学", "城区", "urban", 0, 1600, founded=1988, crowded=True)
    add("西城街道", f"{c}城北中学", "初级中学", "城区", "urban", 0, 1250, founded=1998)
    add("西城街道", f"{c}特殊教育学校", "特殊教育学校", "城区", "special", 62, 38, founded=2010)
    add("南山街道", f"{c}职业教育中心", "职业学校", "城区", "vocational", 0, 0, 1850, founded=1984)

    # Towns (镇): central primary and junior school in the town seat (镇区), village schools (乡村).
    centre_p = (1300, 1100, 950, 900, 820, 760, 700, 650, 600, 560)
    centre_j = (1050, 900, 800, 760, 700, 640, 600, 560, 520, 480)
    second_p = (750, 620, 520, 460)
    second_j = (380, 320, 290, 250)
    for k, town in enumerate(TOWNS):
        add(town, f"{town}中心小学", "小学", "镇区", "town", centre_p[k], crowded=k < 3)
        add(town, f"{town}中学", "初级中学", "镇区", "town", 0, centre_j[k], crowded=k < 2, boarding=True)
        if k < len(second_p):
            add(town, f"{town}第二小学", "小学", "镇区", "town", second_p[k])
            add(town, f"{town}第二中学", "初级中学", "乡村", "rural", 0, second_j[k], boarding=True)
    for k, xiang in enumerate(XIANG_NINE):
        p, j = (480, 430, 380, 330, 290)[k], (380, 330, 300, 260, 220)[k]
        add(xiang, f"{xiang}九年一贯制学校", "九年一贯制学校", "乡村", "rural", p, j, boarding=True,
            growth=-0.035)
    for k, xiang in enumerate(XIANG_OTHER):
        add(xiang, f"{xiang}中心小学", "小学", "乡村", "rural", (380, 320, 260)[k], growth=-0.03)
        add(xiang, f"{xiang}中学", "初级中学", "乡村", "rural", 0, (260, 230, 210)[k], boarding=True,
            growth=-0.03)

    # Village primary schools (村小) and teaching points (教学点).
    n_points = sum(POINTS_PER_TOWN) + sum(POINTS_PER_XIANG)
    point_sizes = np.concatenate([rng.integers(12, 47, size=n_points - 6), rng.integers(52, 111, size=6)])
    point_sizes = rng.permutation(point_sizes)
    village_places = [(t, n) for t, n in zip(TOWNS, VILLAGES_PER_TOWN, strict=True)] + [
        (x, n) for x, n in zip((*XIANG_NINE, *XIANG_OTHER), VILLAGES_PER_XIANG, strict=True)]
    point_counts = dict(zip([p for p, _ in village_places], [*POINTS_PER_TOWN, *POINTS_PER_XIANG], strict=True))
    pi = 0
    for place, n_villages in village_places:
        names = rng.choice(len(VILLAGES), size=n_villages + point_counts[place], replace=False)
        for v in names[:n_villages]:
            size = int(np.clip(rng.lognormal(math.log(150), 0.55), 45, 430))
            add(place, f"{place}{VILLAGES[v]}小学", "小学", "乡村", "rural", size)
        for v in names[n_villages:]:
            add(place, f"{place}{VILLAGES[v]}教学点", "教学点", "乡村", "point", int(point_sizes[pi]))
            pi += 1

    roster = pd.DataFrame(rows)
    n = len(roster)
    # The smallest village school of 桃源镇 closes in 2023 and is merged into the town's central school.
    villages_t = roster[(roster["township"] == "桃源镇") & (roster["group"] == "rural")
                        & (roster["school_type"] == "小学")]
    closing = villages_t["p0"].idxmin()
    roster.loc[closing, "p0"] = 68
    roster["closed"] = 0
    roster["merged_into"] = ""
    roster.loc[closing, "closed"] = 2023
    roster.loc[closing, "merged_into"] = roster.loc[roster["school_name"] == "桃源镇中心小学", "school_code"].iloc[0]

    roster["ownership"] = roster.get("ownership", pd.Series(dtype=object)).fillna("公办")
    roster["opened"] = roster.get("opened", pd.Series(dtype=float)).fillna(0).astype(int)
    roster["crowded"] = roster.get("crowded", pd.Series(dtype=object)).fillna(False).astype(bool)
    roster["expand"] = roster.get("expand", pd.Series(dtype=object)).fillna(True).astype(bool)
    roster["boarding"] = roster.get("boarding", pd.Series(dtype=object)).fillna(False).astype(bool)
    founded = rng.integers(1950, 2013, size=n)
    roster["founded"] = roster.get("founded", pd.Series(dtype=float)).fillna(pd.Series(founded)).astype(int)
    default_growth = roster["group"].map(GROWTH) + rng.normal(0, 0.008, size=n)
    roster["growth"] = roster.get("growth", pd.Series(dtype=float)).fillna(default_growth)
    roster["draws"] = roster.get("draws", pd.Series(dtype=object)).apply(lambda d: d if isinstance(d, dict) else {})

    # Design parameters: group level plus school noise; every level is then at or above the standard ...
    base = pd.DataFrame([GROUPS[g] for g in roster["group"]], columns=GROUP_PARAMS)
    for p in GROUP_PARAMS:
        scale = base[p] if p.startswith("rho") else 1.0
        roster[p] = base[p] + rng.normal(0, 1, size=n) * GROUP_SD[p] * scale
    rural = roster["group"].isin(["rural", "point"])
    # Rural sports grounds and rooms vary far more than urban ones (old village sites, hillside land).
    roster.loc[rural, "rho5"] = roster.loc[rural, "rho5"] * rng.lognormal(0, 0.3, size=int(rural.sum()))
    roster.loc[rural, "rho4"] = roster.loc[rural, "rho4"] * rng.lognormal(0, 0.15, size=int(rural.sum()))
    fixed = roster["group"].isin(["new", "special", "vocational"])  # one school each: no noise
    roster.loc[fixed, list(GROUP_PARAMS)] = base.loc[fixed, list(GROUP_PARAMS)]
    ordinary = ~roster["group"].isin(["flagship", "new", "special", "vocational"])
    for p in ("rho2", "rho3", "rho4", "rho5", "rho6", "rho7"):
        roster.loc[ordinary, p] = roster.loc[ordinary, p].clip(lower=1.05 if p == "rho6" else 1.02)
    roster.loc[roster["group"] == "flagship", "rho5"] = rng.uniform(0.72, 0.95, size=int((roster["group"] == "flagship").sum()))
    roster.loc[roster["school_name"] == f"{c}实验小学", "rho5"] = 0.6  # land-locked old campus
    roster[["deg_p", "deg_j"]] = roster[["deg_p", "deg_j"]].clip(upper=1.0)
    # ... except the school's one weak indicator (short, above 85%), and a few schools with a second, deeper gap.
    roster["weak"] = [rng.choice(list(WEAK[g]), p=list(WEAK[g].values())) if g in WEAK else "" for g in roster["group"]]
    for ind in ("R2", "R3", "R4", "R5", "R6"):
        mask = roster["weak"] == ind
        roster.loc[mask, f"rho{ind[1]}"] = rng.uniform(0.87, 0.99, size=int(mask.sum()))
    roster["weak2"] = ""
    candidates = roster.index[roster["group"].isin(["town", "rural"]) & roster["weak"].isin(["R2", "R3", "R4"])]
    double = rng.choice(candidates, size=min(N_DOUBLE_WEAK, len(candidates)), replace=False)
    roster.loc[double, "weak2"] = "R6"
    roster.loc[double, "rho6"] = rng.uniform(0.74, 0.84, size=len(double))
    villages = roster.index[(roster["group"] == "rural") & roster["school_name"].str.endswith("村小学")
                            & (roster["p0"] > 100) & (roster["closed"] == 0)]
    no_key = rng.choice(villages, size=N_NO_KEY, replace=False)
    roster["key_from"] = 0
    roster.loc[no_key, "key_from"] = [2022, 2023, 2026]

    # Building projects (改扩建): crowded and town schools gain rooms and sports ground in one year.
    can_expand = roster["expand"] & roster["group"].isin(["flagship", "urban", "town"])
    roll = rng.random(n)
    roster["expand_year"] = np.where(can_expand & (roll < np.where(roster["crowded"], 0.9, 0.6)),
                                     rng.integers(2022, 2026, size=n), 0)
    roster["expand_r4"] = rng.uniform(0.08, 0.2, size=n)
    roster["expand_r5"] = rng.uniform(0.4, 0.8, size=n)

    # Music/art rooms (G3): the year a school first has enough rooms of full size; 0 = not within 2021–2025.
    g3_years = np.array([2020, 2022, 2023, 2024, 2025, 0])
    p_by_group = {"flagship": [0.2, 0.1, 0.2, 0.2, 0.1, 0.2], "urban": [0.1, 0.1, 0.2, 0.2, 0.2, 0.2],
                  "town": [0.15, 0.15, 0.2, 0.2, 0.15, 0.15], "rural": [0.05, 0.1, 0.15, 0.2, 0.2, 0.3],
                  "point": [0.0, 0.0, 0.0, 0.1, 0.1, 0.8], "new": [1, 0, 0, 0, 0, 0],
                  "special": [1, 0, 0, 0, 0, 0], "vocational": [1, 0, 0, 0, 0, 0]}
    roster["g3_year"] = [int(rng.choice(g3_years, p=p_by_group[g])) for g in roster["group"]]
    roster["g3_mode"] = rng.choice(["none", "few", "small"], size=n, p=[0.3, 0.35, 0.35])
    roster.loc[roster["group"] == "point", "g3_mode"] = "none"
    roster.loc[roster["group"].isin(["flagship", "urban"]), "g3_mode"] = "few"
    roster["music_m2"] = rng.uniform(96, 125, size=n).round(1)
    roster["art_m2"] = rng.uniform(90, 118, size=n).round(1)
    roster["music_small_m2"] = rng.uniform(54, 92, size=n).round(1)
    roster["art_small_m2"] = rng.uniform(50, 86, size=n).round(1)
    roster["mm_extra"] = rng.integers(0, 4, size=n)
    roster["indoor_share"] = np.where(roster["group"].isin(["flagship", "urban", "town", "new"]),
                                      rng.uniform(0.04, 0.12, size=n), 0.0)
    roster["migrant_share"] = np.select(
        [roster["urban_rural"] == "城区", roster["urban_rural"] == "镇区"],
        [rng.uniform(0.07, 0.16, size=n), rng.uniform(0.03, 0.08, size=n)], rng.uniform(0.0, 0.02, size=n))
    roster["max_grade"] = np.where(roster["group"] == "point", np.where(roster["p0"] >= 50, 6, 4), 6)
    roster["moral_good"] = rng.random(n) < 0.45  # 优秀 rather than 良好
    return roster


# ---------------------------------------------------------------------------------------------------------------
# Enrollment and classes (在校生与班级).


def _open_in(roster: pd.DataFrame, year: int) -> pd.Series:
    opened = (roster["opened"] == 0) | (roster["opened"] <= year)
    closed = (roster["closed"] > 0) & (roster["closed"] <= year)
    return opened & ~closed


def enrollment(roster: pd.DataFrame, year: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Students per school and section in ``year`` (在校生数), for every roster school (0 when not open).

    Base enrollment grows by the school's rate with a little yearly noise; a closed school's pupils move to the
    school it merged into; the new school draws pupils from its neighbours from its first year on.
    """
    rng = _rng(seed, "enrollment", year)
    noise = 1 + rng.normal(0, 0.012, size=(len(roster), 3))
    t = np.where(roster["opened"] > 0, year - roster["opened"], year - FIRST_YEAR)
    factor = (1 + roster["growth"].to_numpy()) ** t
    out = pd.DataFrame({"school_code": roster["school_code"]})
    for k, (col, base) in enumerate((("students_primary", "p0"), ("students_junior", "j0"),
                                     ("students_senior", "s0"))):
        out[col] = np.round(roster[base].to_numpy() * factor * noise[:, k]).astype(int)
    is_open = _open_in(roster, year).to_numpy()
    codes = roster["school_code"].tolist()
    for i, r in roster.iterrows():
        if r["closed"] and year >= r["closed"]:
            j = codes.index(r["merged_into"])
            out.loc[j, "students_primary"] += out.loc[i, "students_primary"]
        if r["draws"] and is_open[i]:
            for name, count in r["draws"].items():
                j = roster.index[roster["school_name"] == name][0]
                out.loc[j, "students_primary"] -= int(round(count * (1 + GROWTH["urban"]) ** (year - r["opened"])))
    cols = ["students_primary", "students_junior", "students_senior"]
    out.loc[~is_open, cols] = 0
    return out


def _grade_counts(n: int, grades: Sequence[int], growth: float, rng: np.random.Generator) -> np.ndarray:
    """Split a section's students over its grades; growing schools have larger lower grades."""
    i = np.arange(len(grades))
    p = (1 + growth) ** (-i) * (1 + rng.normal(0, 0.04, size=len(grades)))
    return rng.multinomial(n, p / p.sum())


def _split_classes(n: int, k: int, rng: np.random.Generator) -> list[int]:
    """``n`` students in ``k`` classes as evenly as a school does it, then a few pupils shifted between classes."""
    sizes = [n // k + (1 if c < n % k else 0) for c in range(k)]
    for _ in range(k // 2):
        a, b = rng.integers(0, k, size=2)
        move = int(rng.integers(0, 3))
        if a != b and sizes[a] - move >= 1:
            sizes[a] -= move
            sizes[b] += move
    return sizes


def classes_table(roster: pd.DataFrame, students: pd.DataFrame, year: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """One row per class (班级学生数): school_code, section (小学/初中), grade 1–9, class_no, students.

    Crowded schools run oversized classes (大班额) that shrink year by year; sums equal the school totals.
    """
    rng = _rng(seed, "classes", year)
    rows = []
    for r, s in zip(roster.itertuples(index=False), students.itertuples(index=False), strict=True):
        for section, zh, n, grades in (("primary", "小学", s.students_primary, range(1, r.max_grade + 1)),
                                       ("junior", "初中", s.students_junior, range(7, 10))):
            if n <= 0:
                continue
            size = _by_year(CROWDED_CLASS_SIZE[section], year) if r.crowded else NORMAL_CLASS_SIZE[section]
            if r.group == "special":
                size = 9.0
            counts = _grade_counts(int(n), list(grades), r.growth, rng)
            for grade, n_g in zip(grades, counts, strict=True):
                if n_g == 0:
                    continue
                k = max(1, math.ceil(n_g / size))
                for no, count in enumerate(_split_classes(int(n_g), k, rng), start=1):
                    rows.append((r.school_code, zh, grade, no, count))
    return pd.DataFrame(rows, columns=[c.id for c in CLASSES.columns])


# ---------------------------------------------------------------------------------------------------------------
# Schools sheet (学校基本情况).


def _weighted(students: pd.DataFrame, profile: dict) -> pd.Series:
    w = profile["split_weights"]
    return (students["students_primary"] * w["primary"] + students["students_junior"] * w["junior"]
            + students["students_senior"] * w["senior"])


def _lead_section(roster: pd.DataFrame) -> pd.Series:
    return np.where(roster["school_type"].isin(["小学", "教学点"]), "primary", "junior")


def facilities(roster: pd.DataFrame, year: int, seed: int = DEFAULT_SEED, profile: dict | None = None) -> pd.DataFrame:
    """Building, ground, equipment and multimedia stocks of every school in ``year`` (before splitting).

    Stocks are set against the base-year weighted enrollment and stay put (rooms do not move when pupils leave),
    so per-student values rise in shrinking village schools and fall in growing town schools; building projects
    add rooms and ground in their year; equipment grows with yearly purchases.
    """
    profile = profile or load_profile(PROFILE)
    unit = _unit_standards(profile)
    lead = _lead_section(roster)
    base_students = enrollment(roster, FIRST_YEAR, seed)
    opened = roster["opened"] > FIRST_YEAR
    if opened.any():  # a new school is built for its first-year enrollment
        for i in roster.index[opened]:
            first = enrollment(roster, int(roster.at[i, "opened"]), seed)
            base_students.loc[i] = first.loc[i]
    w0 = _weighted(base_students, profile).astype(float)
    std = {ind: np.where(lead == "primary", unit["primary"][ind], unit["junior"][ind]) for ind in unit["primary"]}
    expanded = (roster["expand_year"] > 0) & (roster["expand_year"] <= year)
    rooms = roster["rho4"] * std["R4"] * w0 * np.where(expanded, 1 + roster["expand_r4"], 1)
    sports = roster["rho5"] * std["R5"] * w0 * np.where(expanded, 1 + roster["expand_r5"], 1)
    t = np.where(roster["opened"] > 0, year - roster["opened"], year - FIRST_YEAR).clip(min=0)
    trend = np.where((roster["weak"] == "R6") | (roster["weak2"] == "R6"), TRENDS["rho6_weak"], TRENDS["rho6"])
    equipment_yuan = (roster["rho6"] + trend * t) * std["R6"] * w0
    now = enrollment(roster, year, seed)
    w_now = _weighted(now, profile).astype(float)
    multimedia = np.ceil(roster["rho7"] * std["R7"] * np.maximum(w0, w_now) / 100)
    out = pd.DataFrame({
        "school_code": roster["school_code"],
        "teaching_rooms_m2": rooms.round(1),
        "indoor_sports_rooms_m2": (rooms * roster["indoor_share"]).round(1),
        "sports_area_m2": sports.round(1),
        "land_area_m2": (rooms * 1.1 + sports * 1.15 + 800).round(1),
        "equipment_value": (equipment_yuan / 10_000).round(2),
        "multimedia_classrooms": multimedia.astype(int) + roster["mm_extra"].to_numpy(),
    })
    return out


def _music_art(roster: pd.DataFrame, classes: pd.Series, year: int) -> pd.DataFrame:
    """G3 rooms: compliant from ``g3_year``; before that too few rooms, rooms too small, or none at all."""
    rows = []
    for r, n_classes in zip(roster.itertuples(index=False), classes, strict=True):
        required = max(1, math.ceil(n_classes / 12))
        ok = 0 < r.g3_year <= year
        if ok:
            rows.append((required, r.music_m2, required, r.art_m2))
        elif r.g3_mode == "none":
            rows.append((0, 0.0, 0, 0.0))
        elif r.g3_mode == "few" and required > 1:
            rows.append((required - 1, r.music_m2, max(1, required - 2), r.art_m2))
        else:
            rows.append((required, r.music_small_m2, required, r.art_small_m2))
    return pd.DataFrame(rows, columns=["music_rooms", "music_rooms_m2", "art_rooms", "art_rooms_m2"])


def schools_table(roster: pd.DataFrame, year: int, seed: int = DEFAULT_SEED,
                  classes: pd.DataFrame | None = None, profile: dict | None = None) -> pd.DataFrame:
    """学校基本情况: one row per school open in ``year``, columns = ``columns.SCHOOLS`` ids, values as entered."""
    profile = profile or load_profile(PROFILE)
    students = enrollment(roster, year, seed)
    if classes is None:
        classes = classes_table(roster, students, year, seed)
    count = classes.groupby(["school_code", "section"]).size()
    rng = _rng(seed, "finance", year)
    n = len(roster)
    out = pd.DataFrame({
        "school_code": roster["school_code"],
        "school_name": roster["school_name"],
        "school_type": roster["school_type"],
        "ownership": roster["ownership"],
        "urban_rural": roster["urban_rural"],
        "township": roster["township"],
        "boarding": np.where(roster["boarding"], "是", "否"),
        "founded_year": roster["founded"],
    })
    for col in ("students_primary", "students_junior", "students_senior"):
        out[col] = students[col]
    out["classes_primary"] = [int(count.get((c, "小学"), 0)) for c in roster["school_code"]]
    out["classes_junior"] = [int(count.get((c, "初中"), 0)) for c in roster["school_code"]]
    out["classes_senior"] = np.ceil(students["students_senior"] / 50).astype(int)
    total = students[["students_primary", "students_junior", "students_senior"]].sum(axis=1)
    out["migrant_students"] = np.round(total * roster["migrant_share"]).astype(int)
    disabled = rng.poisson(np.where(roster["group"].isin(["special", "vocational"]), 0, 0.8 + total / 900))
    out["disabled_students"] = disabled
    fac = facilities(roster, year, seed, profile)
    for col in ("land_area_m2", "teaching_rooms_m2", "indoor_sports_rooms_m2", "sports_area_m2", "equipment_value",
                "multimedia_classrooms"):
        out[col] = fac[col]
    compulsory_classes = out["classes_primary"] + out["classes_junior"]
    rooms = _music_art(roster, compulsory_classes, year)
    for col in rooms:
        out[col] = rooms[col].to_numpy()

    # Public funds (公用经费): per-student base quota by section; village schools under 100 pupils are funded
    # as if they had 100 (G6) — except one teaching point in 2021; special school per G7 schedule.
    quota_p, quota_j = 650.0, 850.0
    compulsory = students["students_primary"] + students["students_junior"]
    per_student = np.where(students["students_junior"] > 0,
                           (students["students_primary"] * quota_p + students["students_junior"] * quota_j)
                           / compulsory.where(compulsory > 0, 1), quota_p)
    per_student = np.where(roster["group"] == "special", _by_year(_G7, year), per_student)
    per_student = np.where(roster["group"] == "vocational", 1600.0, per_student)
    out["public_funds_per_student"] = np.round(per_student, 2)
    funded = np.where(roster["group"].isin(["rural", "point"]) & (compulsory < 100), 100, compulsory)
    funded = np.where(roster["group"] == "vocational", students["students_senior"], funded)
    points = roster.index[roster["group"] == "point"]
    if year == FIRST_YEAR and len(points):
        i = points[0]
        funded[i] = compulsory[i]  # G6 gap: funded by actual pupils
    out["public_funds_total"] = np.round(per_student * funded).astype(int)
    out["public_funds_budget"] = np.round(out["public_funds_total"] * rng.uniform(1.0, 1.06, size=n)).astype(int)
    share = rng.uniform(0.05, 0.085, size=n)
    low = {2021: 2, 2022: 1}.get(year, 0)  # Q4 gaps: a few schools below 5% in the early years
    share[rng.choice(np.flatnonzero(roster["group"] == "rural"), size=low, replace=False)] = 0.042
    out["training_budget"] = np.ceil(out["public_funds_budget"] * share).astype(int)
    out["has_charter"] = "是"
    out["digitized"] = "是"
    out["moral_rating"] = np.where(roster["moral_good"], "优秀", "良好")
    if year == FIRST_YEAR and len(points):
        out.loc[points[0], "has_charter"] = "否"
    gaps = {2021: 2, 2022: 1}.get(year, 0)
    if gaps:
        out.loc[points[1:1 + gaps], "digitized"] = "否"
    if year == FIRST_YEAR:
        out.loc[roster.index[roster["group"] == "rural"][5], "moral_rating"] = "合格"

    out = out.loc[_open_in(roster, year)].reset_index(drop=True)
    return out[[c.id for c in SCHOOLS.columns]]


# ---------------------------------------------------------------------------------------------------------------
# Teachers (专任教师情况).


def _stochastic_round(x: np.ndarray | float, rng: np.random.Generator) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return np.floor(x + rng.random(size=x.shape)).astype(int)


def _rho_now(r: pd.Series, ind: str, t: int) -> float:
    """A teacher multiple (R2/R3) of the standard ``t`` years after the base year."""
    key = f"rho{ind[1]}"
    if ind == "R2" and r["group"] in ("flagship", "new"):
        step = TRENDS[f"rho2_{r['group']}"]
    else:
        step = TRENDS[f"{key}_weak"] if r["weak"] == ind else TRENDS[key]
    return max(0.0, r[key] + step * t)


def _whole_teachers(n: int, rho: float, standard: float, weak: bool) -> int:
    """Teachers for ``rho`` × the standard per 100 pupils, in whole persons.

    Rounded up, so a school at or above the standard never drops below it by rounding; a school whose weak
    indicator this is gets the number rounded down when that still leaves it above 86% of the standard (a small
    school cannot be "slightly short": one teacher fewer is a deep gap, so it is rounded up instead).
    """
    exact = n * rho * standard / 100
    up = math.ceil(exact - 1e-9)
    down = math.floor(exact + 1e-9)
    if weak and rho < 1 and down < exact and down * 100 / n >= 0.86 * standard:
        return down
    return up


def teachers_table(roster: pd.DataFrame, schools: pd.DataFrame, year: int, seed: int = DEFAULT_SEED,
                   profile: dict | None = None) -> pd.DataFrame:
    """专任教师情况: one row per school and section taught (小学/初中/高中), ``columns.TEACHERS`` ids."""
    profile = profile or load_profile(PROFILE)
    res = profile["resources"]
    rng = _rng(seed, "teachers", year)
    info = roster.set_index("school_code")
    rows = []
    for s in schools.itertuples(index=False):
        r = info.loc[s.school_code]
        t = year - (r["opened"] if r["opened"] > 0 else FIRST_YEAR)
        for section, zh, n, n_classes in (("primary", "小学", s.students_primary, s.classes_primary),
                                          ("junior", "初中", s.students_junior, s.classes_junior),
                                          ("senior", "高中", s.students_senior, s.classes_senior)):
            if n <= 0:
                continue
            std = section if section != "senior" else "junior"
            ptr = r["ptr_p"] if section == "primary" else r["ptr_j"]
            if r["group"] == "flagship":
                ptr -= 0.25 * t  # the county recruits for its crowded schools
            per_class = 1.0 if r["group"] == "point" else 1.3 if section == "primary" else 2.8
            teachers = max(int(round(n / ptr)), math.ceil(n_classes * per_class) if n < 400 else 0, 2)
            deg = r["deg_p"] if section == "primary" else r["deg_j"]
            deg = min(1.0, deg + (0.006 if section == "primary" else 0.015) * t)
            above = min(teachers, int(_stochastic_round(teachers * deg, rng)))
            key = _whole_teachers(n, _rho_now(r, "R2", t), res["R2"][std], r["weak"] == "R2")
            if r["key_from"] and year < r["key_from"]:
                key = 0
            pma = _whole_teachers(n, _rho_now(r, "R3", t), res["R3"][std], r["weak"] == "R3")
            pma = min(pma, max(0, teachers - 1))
            key = min(key, teachers)
            pe = math.ceil(pma * 0.45)
            music = int(round((pma - pe) * 0.55))
            rows.append({"school_code": s.school_code, "section": zh, "teachers": teachers,
                         "teachers_above_degree": above, "key_teachers": key, "pe_teachers": pe,
                         "music_teachers": music, "art_teachers": pma - pe - music})
    out = pd.DataFrame(rows)
    total = int(out["teachers"].sum())

    # Certificates (G12): a few uncertified teachers in the private school in the early years.
    out["certified_teachers"] = out["teachers"]
    missing = UNCERTIFIED.get(year, 0)
    private = schools.loc[schools["ownership"] == "民办", "school_code"]
    if missing and len(private):
        i = out.index[out["school_code"] == private.iloc[0]][0]
        out.loc[i, "certified_teachers"] -= missing

    # 360-hour training (G9): the county shortfall spread over schools in proportion to their teachers.
    deficit = int(round((1 - _by_year(TRAINING_COMPLETION, year)) * total))
    short = rng.multinomial(deficit, out["teachers"] / total) if deficit else np.zeros(len(out), dtype=int)
    out["trained_360h"] = out["teachers"] - np.minimum(short, out["teachers"])

    # Rotation (G11): eligible = teachers with 6+ years in the same school; the county's rotation rate.
    rate, key_share = _by_year(ROTATION, year)
    out["rotation_eligible"] = np.round(out["teachers"] * rng.uniform(0.3, 0.5, size=len(out))).astype(int)
    out["rotated_teachers"] = rng.binomial(out["rotation_eligible"], rate)
    out["rotated_key_teachers"] = np.minimum(rng.binomial(out["rotated_teachers"], key_share), out["key_teachers"])
    return out[[c.id for c in TEACHERS.columns]]


# ---------------------------------------------------------------------------------------------------------------
# County items (县级指标).

_G7 = {2021: 6000.0, 2022: 6300.0, 2023: 6500.0, 2024: 6800.0, 2025: 7200.0}
_PAY = {2021: (105_600, 106_200), 2022: (110_400, 108_900), 2023: (114_100, 111_300), 2024: (117_300, 113_800),
        2025: (120_500, 116_200)}  # (teachers, civil servants): 2021 below parity
_G13 = {2021: ("100%", "93%"), 2022: ("100%", "94.2%"), 2023: ("100%", "95.6%"), 2024: ("100%", "96.8%"),
        2025: ("100%", "97.5%")}
_G14 = {2021: 0.5, 2022: 0.52, 2023: 0.55, 2024: 0.58, 2025: 0.6}
_G15 = {2021: 0.83, 2022: 0.87, 2023: 0.9, 2024: 0.92, 2025: 0.93}
_Q1 = {2021: 0.962, 2022: 0.968, 2023: 0.972, 2024: 0.975, 2025: 0.978}
_Q2 = {2021: 0.952, 2022: 0.958, 2023: 0.963, 2024: 0.968, 2025: 0.972}
# 000's extras (profile chongqing): staff payroll and the continuing-education budget (≥ 1.5%, 2021 below it);
# comprehensive-practice and labour-practice class hours per school year (≥ 50%)
_PAYROLL = {2021: (398_600_000, 5_580_000), 2022: (411_200_000, 6_170_000), 2023: (423_900_000, 6_480_000),
            2024: (436_500_000, 6_720_000), 2025: (449_800_000, 6_930_000)}
_LABOUR = {2021: (72, 34), 2022: (72, 36), 2023: (72, 38), 2024: (72, 38), 2025: (72, 40)}


def county_items_table(schools: pd.DataFrame, classes: pd.DataFrame, year: int) -> pd.DataFrame:
    """县级指标: every county-level item (G1 … V6) with name, value as reported, unit and evidence (佐证材料)."""
    y = year
    teacher_pay, civil_pay = _by_year(_PAY, y)
    zoned_p, zoned_j = _by_year(_G13, y)
    public_migrants = int(schools.loc[schools["ownership"] == "公办", "migrant_students"].sum())
    eligible = int(round(public_migrants / _by_year(_G15, y)))
    graduates = int(classes.loc[classes["grade"] == 9, "students"].sum())
    t_in, t_out, deaths = round(graduates * 0.014), round(graduates * 0.026), 3 + y % 3
    intake = int(round(graduates / _by_year(_Q1, y))) - t_in + t_out + deaths
    special = schools["school_type"] == "特殊教育学校"
    enrolled = int(schools.loc[special, ["students_primary", "students_junior"]].to_numpy().sum()
                   + schools["disabled_students"].sum()) + 24  # 24 送教上门
    population = int(round(enrolled / _by_year(_Q2, y)))
    doc = f"示府办发〔{y}〕"
    items = [
        ("G1", "县域内义务教育学校规划布局合理，符合国家规定要求", "是", "",
         "《示例县中小学校布局专项规划（2021—2030年）》（示府发〔2021〕12号）"),
        ("G2", "城乡学校建设标准、教师编制标准、生均公用经费基准定额、基本装备配置标准统一", "是", "",
         "《示例县推进城乡义务教育一体化改革发展实施方案》（示府发〔2019〕8号）；县编办、县财政局联合文件"),
        ("G7", "特殊教育学校生均公用经费", _by_year(_G7, y), "元", f"县财政局{y}年部门预算批复（示财教〔{y}〕3号）"),
        ("G8_teacher_pay", "教师年平均工资收入", teacher_pay, "元", f"县人力社保局{y}年工资统计年报"),
        ("G8_civil_servant_pay", "当地公务员年平均工资收入", civil_pay, "元", f"县人力社保局{y}年工资统计年报"),
        ("G8_performance_pay", "按规定足额核定教师绩效工资总量", "是", "", f"《{y}年教师绩效工资总量核定表》（示人社〔{y}〕21号）"),
        ("G10", "县级教育行政部门在核定的编制总额和岗位总量内统筹分配各校编制和岗位", "是", "",
         "《示例县县管校聘管理改革实施方案》（示教发〔2021〕45号）"),
        ("G13_primary", "城区和镇区公办小学（不含寄宿制学校）就近划片入学比例", zoned_p, "%",
         f"县教委{y}年秋季招生工作方案及新生入学登记统计"),
        ("G13_junior", "城区和镇区公办初中（不含寄宿制学校）就近划片入学比例", zoned_j, "%",
         f"县教委{y}年秋季招生工作方案及新生入学登记统计"),
        ("G14_quota_share", "优质高中招生名额分配到区域内初中的比例", _by_year(_G14, y), "比例",
         f"《示例县{y}年普通高中招生工作实施意见》（{doc}17号）"),
        ("G14_rural_tilt", "名额分配向农村初中倾斜", "是", "", f"《示例县{y}年普通高中招生工作实施意见》附件3 分配方案"),
        ("G15_care_system", "留守儿童关爱保护体系健全", "是", "", "《示例县农村留守儿童关爱保护工作实施方案》（示府办发〔2020〕33号）"),
        ("G15_migrant_eligible", "符合条件的随迁子女数", eligible, "人", f"县教委{y}年随迁子女入学统计台账"),
        ("G15_migrant_public", "其中在公办学校和政府购买服务的民办学校就读数", public_migrants, "人",
         f"县教委{y}年随迁子女入学统计台账"),
        ("Q1_intake", "三年前初一入学人数", intake, "人", f"{y - 2}年教育事业统计报表"),
        ("Q1_graduates", "初三在校（毕业）人数", graduates, "人", f"{y}年教育事业统计报表"),
        ("Q1_transfer_in", "三年内转入人数", t_in, "人", "学籍管理系统转学记录"),
        ("Q1_transfer_out", "三年内转出人数", t_out, "人", "学籍管理系统转学记录"),
        ("Q1_deaths", "三年内死亡人数", deaths, "人", "学籍管理系统学籍异动记录"),
        ("Q2_disabled_enrolled", "残疾儿童少年入学人数（含特教学校、随班就读、送教上门）", enrolled, "人",
         f"县残联、县教委{y}年残疾儿童少年入学比对台账"),
        ("Q2_disabled_population", "适龄残疾儿童少年数", population, "人", f"县残联{y}年适龄残疾儿童少年实名台账"),
        ("Q5", "教师能熟练运用信息化手段组织教学，设施设备利用率达到较高水平", "是", "",
         f"县教委{y}年教育信息化应用评估报告"),
        ("Q7", "课程开齐开足，教学秩序规范，综合实践活动有效开展", "是", "", f"县教育督导室{y}年课程实施专项督导报告"),
        ("Q8", "无过重课业负担", "是", "", f"县教育督导室{y}年“双减”专项督查通报"),
        ("X_staff_payroll", "教职工工资总额", _by_year(_PAYROLL, y)[0], "元", f"县人力社保局{y}年工资统计年报"),
        ("X_continuing_education_budget", "教师继续教育经费预算", _by_year(_PAYROLL, y)[1], "元",
         f"县财政局{y}年部门预算批复（示财教〔{y}〕3号）"),
        ("X_comprehensive_practice_hours", "综合实践活动课时（学年）", _by_year(_LABOUR, y)[0], "课时",
         f"县教委{y}学年课程计划"),
        ("X_labour_practice_hours", "其中劳动实践课时", _by_year(_LABOUR, y)[1], "课时", f"县教委{y}学年课程计划"),
        ("V1", "存在以考试方式招生", "否", "", f"县教委{y}年招生工作自查报告"),
        ("V2", "存在违规择校行为", "否", "", f"县教委{y}年招生工作自查报告"),
        ("V3", "存在重点学校或重点班", "否", "", f"县教委{y}年均衡编班情况核查表"),
        ("V4", "有弄虚作假行为", "否", "", "县政府教育督导委员会核查意见"),
        ("V5", "教育系统存在重大安全责任事故或严重违纪违规事件", "否", "", f"县应急管理局、县纪委监委{y}年情况说明"),
        ("V6", "存在“有编不补”或长期聘用编外教师情况", "否", "", f"县委编办{y}年编制使用情况说明"),
    ]
    return pd.DataFrame(items, columns=[c.id for c in COUNTY_ITEMS.columns])


# ---------------------------------------------------------------------------------------------------------------
# Quality monitoring (质量监测), survey (社会认可度调查), county targets (年度目标).


def monitoring_table(roster: pd.DataFrame, schools: pd.DataFrame, year: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """质量监测: one row per tested student (grade 4 and 8, 语文/数学/科学) in sampled schools; empty off-cycle.

    School effects (urban ahead, village schools behind, plus noise) are scaled so that the between-school share
    of score variance is exactly ``MONITORING_BETWEEN_SHARE[year][grade]`` for every subject (before the scores
    are rounded to 0.1): within-school residuals are centred on the school and scaled to the complementary share.
    """
    cols = ["school_code", "grade", "subject", "score"]
    if year not in MONITORING_YEARS:
        return pd.DataFrame(columns=cols)
    rng = _rng(seed, "monitoring", year)
    place = schools["urban_rural"].map({"城区": 1.0, "镇区": 0.2, "乡村": -1.0}).to_numpy()
    rows = []
    for grade, col, n_schools in ((4, "students_primary", 14), (8, "students_junior", 10)):
        pool = schools[(schools[col] >= 60) & schools["school_type"].isin(
            ["小学", "九年一贯制学校", "初级中学", "完全中学"])]
        pick = np.sort(rng.choice(pool.index.to_numpy(), size=min(n_schools, len(pool)), replace=False,
                                  p=(pool[col] / pool[col].sum()).to_numpy()))
        sizes = np.array([min(30, int(schools.at[i, col] / (6 if grade == 4 else 3))) for i in pick])
        school_effect = place[pick] * 0.55 + rng.normal(0, 0.85, size=len(pick))
        for subject in SUBJECTS:
            share = MONITORING_BETWEEN_SHARE[year][grade] * MONITORING_SUBJECT_SPREAD[subject]
            b = school_effect + rng.normal(0, 0.3, size=len(pick))  # subjects differ a little
            b = b - np.average(b, weights=sizes)
            between = float((sizes * b**2).sum())
            w = [rng.normal(0, 1, size=k) for k in sizes]
            w = [x - x.mean() for x in w]
            within = float(sum((x**2).sum() for x in w))
            scale_b = math.sqrt(share / between) * 100 * math.sqrt(sizes.sum())
            scale_w = math.sqrt((1 - share) / within) * 100 * math.sqrt(sizes.sum())
            mean = 500 + MONITORING_SUBJECT_SHIFT[year].get(subject, 0)
            for i, bj, wj in zip(pick, b, w, strict=True):
                scores = np.clip(mean + bj * scale_b + wj * scale_w, 150, 850)
                rows += [(schools.at[i, "school_code"], grade, subject, f"{v:.1f}") for v in scores]
    return pd.DataFrame(rows, columns=cols)


def between_school_share(scores: pd.DataFrame) -> pd.DataFrame:
    """Share of score variance between schools (校际方差占比), per grade and subject: Σnⱼ(x̄ⱼ−x̄)² / Σ(xᵢ−x̄)²."""
    x = scores.assign(score=pd.to_numeric(scores["score"]))
    rows = []
    for (grade, subject), part in x.groupby(["grade", "subject"], sort=True):
        mean = part["score"].mean()
        school = part.groupby("school_code")["score"].agg(["mean", "size"])
        between = float((school["size"] * (school["mean"] - mean) ** 2).sum())
        total = float(((part["score"] - mean) ** 2).sum())
        rows.append({"grade": int(grade), "subject": subject, "share": between / total, "mean": mean})
    return pd.DataFrame(rows)


def monitoring_results_table(scores: pd.DataFrame, year: int) -> pd.DataFrame:
    """质量监测结果 as published for the county (国家监测): achievement level and 校际差异率 per grade and subject."""
    cols = [c.id for c in MONITORING_RESULTS.columns]
    if scores.empty:
        return pd.DataFrame(columns=cols)
    shares = between_school_share(scores)
    level = np.where(shares["mean"] >= 510, 4, 3)
    return pd.DataFrame({"source": "国家", "year": year, "grade": shares["grade"], "subject": shares["subject"],
                         "achievement_level": level, "between_school_diff_rate": shares["share"].round(4)})[cols]


def survey_table(schools: pd.DataFrame, year: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """社会认可度调查: one row per questionnaire, six questions answered on the five-point satisfaction scale."""
    rng = _rng(seed, "survey", year)
    base = _by_year(RECOGNITION, year)
    favourable_mix = np.array([0.34, 0.44, 0.22])
    unfavourable_mix = np.array([0.75, 0.25])
    rows = []
    k = 0
    compulsory = schools[(schools["students_primary"] + schools["students_junior"]) > 0]
    weights = (compulsory["students_primary"] + compulsory["students_junior"]).to_numpy(float)
    townships = sorted(schools["township"].unique())
    for group, (expected, offset) in SURVEY_GROUPS.items():
        n = max(5, int(rng.poisson(expected)))
        for _ in range(n):
            k += 1
            if group in ("学生", "家长", "教师", "校长"):
                p = weights / weights.sum() if group in ("学生", "家长") else None
                i = rng.choice(len(compulsory), p=p)
                code, township = compulsory.iloc[i]["school_code"], compulsory.iloc[i]["township"]
            else:
                code, township = "", townships[int(rng.integers(len(townships)))]
            p_fav = float(np.clip(base + offset + rng.normal(0, 0.07), 0.3, 0.995))
            answers = []
            for _q in range(6):
                if rng.random() < p_fav:
                    answers.append(SURVEY_ANSWERS[rng.choice(3, p=favourable_mix)])
                else:
                    answers.append(SURVEY_ANSWERS[3 + rng.choice(2, p=unfavourable_mix)])
            rows.append((f"WJ{year}-{k:04d}", group, code, township, *answers))
    cols = [c.id for c in SURVEY.columns] + [f"题{q}" for q in range(1, 7)]
    return pd.DataFrame(rows, columns=cols)


def targets_table() -> pd.DataFrame:
    """年度目标: 003_1c8462c5537f038e.txt 四, row by row as the xiushan profile quotes it (``yearly_targets``):
    shares of schools, R4+R5 as one joint share, counts of new schools, no target the seed does not set."""
    cols = [c.id for c in TARGETS.columns]
    rows = [{c: t.get(c) for c in cols} for t in load_profile("xiushan")["yearly_targets"]]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------------------------------------------
# One year, the whole county.


def generate_year(year: int, seed: int = DEFAULT_SEED, roster: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every raw table of 示例县 for ``year`` (table id → DataFrame with ``columns`` ids; optional ones may be empty)."""
    (year,) = _check_years([year])
    profile = load_profile(PROFILE)
    roster = build_roster(seed) if roster is None else roster
    students = enrollment(roster, year, seed)
    classes = classes_table(roster, students, year, seed)
    schools = schools_table(roster, year, seed, classes=classes, profile=profile)
    teachers = teachers_table(roster, schools, year, seed, profile)
    monitoring = monitoring_table(roster, schools, year, seed)
    return {
        "schools": schools,
        "teachers": teachers,
        "classes": classes,
        "county_items": county_items_table(schools, classes, year),
        "monitoring": monitoring,
        "monitoring_results": monitoring_results_table(monitoring, year),
        "survey": survey_table(schools, year, seed),
        "targets": targets_table(),
    }


def generate_county(years: Iterable[int] = DEFAULT_YEARS, seed: int = DEFAULT_SEED) -> dict[int, dict[str, pd.DataFrame]]:
    """``generate_year`` for several years sharing one roster."""
    roster = build_roster(seed)
    return {y: generate_year(y, seed, roster) for y in _check_years(years)}


# ---------------------------------------------------------------------------------------------------------------
# Writing (the edge): Excel/CSV files as a county hands them in.


def _cell(value):
    """A plain Python value for openpyxl / csv (numpy scalars unwrapped, NaN → empty)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA:
        return None
    return value


def _text(value) -> str:
    value = _cell(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _write_text_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence], encoding: str = "utf-8",
                    bom: bool = False) -> Path:
    buffer = _io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_text(v) for v in row])
    data = buffer.getvalue().encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def _headers(table, overrides: dict[str, str] | None = None) -> list[str]:
    return [(overrides or {}).get(c.id, c.zh) for c in table.columns]


def school_sheet_cells(schools: pd.DataFrame, year: int, seed: int = DEFAULT_SEED) -> list[list]:
    """The data rows of 学校基本情况 as written, with the quirks of real returns (and a 合计 row at the end).

    Quirks: two school names with trailing spaces, two areas typed as text with thousands separators, one count
    in full-width digits. Every value still parses to the number generated.
    """
    rng = _rng(seed, "quirks", year)
    cells = [[_cell(v) for v in row] for row in schools.itertuples(index=False)]
    ids = [c.id for c in SCHOOLS.columns]
    col = {c: ids.index(c) for c in ids}
    n = len(cells)
    big = schools.index[(schools["teaching_rooms_m2"] >= 1000)].to_numpy()
    spaces = rng.choice(n, size=2, replace=False)
    for i in spaces:
        cells[i][col["school_name"]] = f"{cells[i][col['school_name']]}  "
    thousands = rng.choice(big, size=2, replace=False)
    for i, field in zip(thousands, ("teaching_rooms_m2", "sports_area_m2"), strict=True):
        v = cells[i][col[field]]
        cells[i][col[field]] = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
    full = int(rng.choice(np.setdiff1d(np.arange(n), thousands)))
    v = cells[full][col["multimedia_classrooms"]]
    cells[full][col["multimedia_classrooms"]] = str(v).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    total = [None] * len(ids)
    total[col["school_name"]] = "合计"
    for field in ("students_primary", "students_junior", "students_senior", "classes_primary", "classes_junior",
                  "classes_senior", "migrant_students", "disabled_students"):
        total[col[field]] = int(schools[field].sum())
    cells.append(total)
    return cells


def _title_workbook(sheet: str, title: str | None, headers: list[str], rows: Iterable[Sequence],
                    blank_after_title: bool = True) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        if blank_after_title:
            ws.append([])
    ws.append(headers)
    for row in rows:
        ws.append([_cell(v) for v in row])
    return wb


def write_year(tables: dict[str, pd.DataFrame], folder: Path, year: int, seed: int = DEFAULT_SEED,
               quirks: bool = True) -> list[Path]:
    """Write one year's tables into ``folder`` (学校基本情况.xlsx, 专任教师情况.xlsx, ...); returns the paths.

    ``quirks=False`` writes the schools sheet plainly (no trailing spaces, text numbers or 合计 row).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES.values():  # a regenerated year never keeps a stale optional file
        (folder / name).unlink(missing_ok=True)
    written = []
    schools = tables["schools"]
    headers = _headers(SCHOOLS, {"equipment_value": EQUIPMENT_HEADER})
    cells = (school_sheet_cells(schools, year, seed) if quirks
             else [[_cell(v) for v in row] for row in schools.itertuples(index=False)])
    wb = _title_workbook("学校基本情况", f"{COUNTY_NAME}{year}年义务教育学校基本情况表", headers, cells)
    notes = wb.create_sheet("填表说明")
    for line in (f"1. 数据来源：{year}年教育事业统计基层报表、校舍及装备台账、财务台账（虚构样例数据）。",
                 f"2. 统计时点：{year}年秋季学期开学（{year}/{year + 1}学年初）。",
                 "3. 音乐、美术专用教室面积填写各间中最小一间的使用面积（㎡）。",
                 "4. 教学仪器设备资产值单位为万元；其余金额单位为元。"):
        notes.append([line])
    written.append(save_workbook(wb, folder / FILES["schools"]))

    wb = _title_workbook("专任教师情况", None, _headers(TEACHERS), tables["teachers"].itertuples(index=False))
    written.append(save_workbook(wb, folder / FILES["teachers"]))

    wb = _title_workbook("县级指标", f"{COUNTY_NAME}{year}年县级指标及佐证材料", _headers(COUNTY_ITEMS),
                         tables["county_items"].itertuples(index=False), blank_after_title=False)
    written.append(save_workbook(wb, folder / FILES["county_items"]))

    written.append(_write_text_csv(folder / FILES["classes"], _headers(CLASSES),
                                   tables["classes"].itertuples(index=False)))
    if not tables["monitoring"].empty:
        written.append(_write_text_csv(folder / FILES["monitoring"], _headers(MONITORING)[:4],
                                       tables["monitoring"].itertuples(index=False), encoding="gbk"))
    if not tables["monitoring_results"].empty:
        written.append(_write_text_csv(folder / FILES["monitoring_results"], _headers(MONITORING_RESULTS),
                                       tables["monitoring_results"].itertuples(index=False)))
    survey = tables["survey"]
    written.append(_write_text_csv(folder / FILES["survey"], [*_headers(SURVEY), *survey.columns[4:]],
                                   survey.itertuples(index=False), bom=True))
    written.append(_write_text_csv(folder / FILES["targets"], _headers(TARGETS),
                                   tables["targets"].itertuples(index=False)))
    return written


def county_yaml_text() -> str:
    return (f"name: {COUNTY_NAME}\n"
            f"province: {PROVINCE}\n"
            f"standards_profile: {PROFILE}\n"
            "note: >-\n"
            "  虚构的样例县（fictional）。全部数据由 analysis.data.sample 按固定随机种子生成，\n"
            f"  学校、乡镇、人数与金额均不对应任何真实地区；其达标格局参照{citation('003')}。\n")


def write_county(out: Path, years: Iterable[int] = DEFAULT_YEARS, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write ``county.yaml`` and every year folder of the sample county under ``out`` (compulsory and preschool)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "county.yaml").write_text(county_yaml_text(), encoding="utf-8")
    written = [out / "county.yaml"]
    for year, tables in generate_county(years, seed).items():
        written += write_year(tables, out / str(year), year, seed)
        written += write_preschool_year(preschool_year(year, seed), out / str(year), year)
    return written


# ---------------------------------------------------------------------------------------------------------------
# Preschool (学前教育): about 40 kindergartens of 示例县, 2021–2025, for the 普及普惠 evaluation (004 附件1).
# Not tidy on purpose: 安乐乡 has no public central kindergarten, a few classes are over the caps of 《幼儿园工作规程》,
# private kindergartens move into 普惠 (2023, 2025), one unlicensed kindergarten until 2022 (closed in 2023), a
# serious safety accident in 2021 (P19 fails while it is within two years), vacant posts until 2022.

PRESCHOOL_FILES = {
    "kindergartens": "幼儿园基本情况.xlsx", "kg_classes": "幼儿园班级.csv", "kg_staff": "幼儿园教职工.xlsx",
    "preschool_county_items": "学前教育县级指标.xlsx", "preschool_spending": "学前教育财政投入.csv",
    "preschool_incidents": "学前教育安全与师德事件.csv", "preschool_survey": "学前教育社会认可度调查.csv",
    "preschool_population": "出生人口.csv",
}
BIRTHS = {2015: 3480, 2016: 3620, 2017: 3390, 2018: 3150, 2019: 2980, 2020: 2760, 2021: 2590, 2022: 2410,
          2023: 2330, 2024: 2280, 2025: 2240}
GROSS_ENROLLMENT = {2021: 0.872, 2022: 0.884, 2023: 0.893, 2024: 0.905, 2025: 0.912}
KG_RECOGNITION = {2021: 0.84, 2022: 0.855, 2023: 0.87, 2024: 0.88, 2025: 0.885}
KG_SURVEY_GROUPS = {"家长": (260, 0.0), "教职工": (85, 0.03), "园长": (28, 0.05), "人大代表": (12, 0.02),
                    "政协委员": (8, 0.02), "其他群众": (60, -0.04)}
# (township, name suffix, type by year {from: type}, sponsor, central, estate, weight, opened, closed)
_KG = [
    ("东城街道", "实验幼儿园", {2021: "公办"}, "教育部门", False, False, 3.2, 0, 0),
    ("西城街道", "机关幼儿园", {2021: "公办"}, "其他部门", False, False, 2.4, 0, 0),
    ("南山街道", "南山幼儿园", {2021: "公办"}, "教育部门", False, False, 2.6, 0, 0),
    ("东城街道", "电力公司幼儿园", {2021: "公办"}, "企事业", False, False, 1.2, 0, 0),
    ("西城街道", "锦绣花园幼儿园", {2021: "公办"}, "教育部门", False, True, 1.5, 2022, 0),
    ("南山街道", "滨江小区幼儿园", {2021: "普惠性民办"}, "", False, True, 1.4, 0, 0),
    ("东城街道", "小天使幼儿园", {2021: "普惠性民办"}, "", False, False, 1.8, 0, 0),
    ("西城街道", "童心幼儿园", {2021: "普惠性民办"}, "", False, False, 1.6, 0, 0),
    ("南山街道", "金色摇篮幼儿园", {2021: "非普惠性民办", 2023: "普惠性民办"}, "", False, False, 1.7, 0, 0),
    ("东城街道", "蓝天幼儿园", {2021: "非普惠性民办", 2023: "普惠性民办"}, "", False, False, 1.5, 0, 0),
    ("西城街道", "贝贝幼儿园", {2021: "非普惠性民办", 2025: "普惠性民办"}, "", False, False, 1.3, 0, 0),
    ("南山街道", "双语艺术幼儿园", {2021: "非普惠性民办"}, "", False, False, 1.4, 0, 0),
    ("东城街道", "启蒙幼儿园", {2021: "非普惠性民办"}, "", False, False, 1.1, 0, 0),
    *[(t, f"{t[:-1]}中心幼儿园", {2021: "公办"}, "教育部门", True, False, w, 0, 0)
      for t, w in zip(TOWNS, (2.0, 1.8, 1.6, 1.5, 1.4, 1.3, 1.2, 1.1, 1.0, 1.0), strict=True)],
    *[(t, f"{t[:-1]}中心幼儿园", {2021: "公办"}, "教育部门", True, False, 0.7, 0, 0)
      for t in (*XIANG_NINE, *XIANG_OTHER) if t != "安乐乡"],
    ("龙池镇", "龙池镇阳光幼儿园", {2021: "普惠性民办"}, "", False, False, 1.0, 0, 0),
    ("桃源镇", "桃源镇七彩幼儿园", {2021: "非普惠性民办", 2023: "普惠性民办"}, "", False, False, 0.9, 0, 0),
    ("白沙镇", "白沙镇快乐幼儿园", {2021: "非普惠性民办"}, "", False, False, 0.8, 0, 0),
    ("双河镇", "双河镇育苗幼儿园", {2021: "普惠性民办"}, "", False, False, 0.7, 0, 0),
    ("安乐乡", "安乐乡小太阳幼儿园", {2021: "普惠性民办"}, "", False, False, 0.6, 0, 0),
    ("金竹乡", "金竹乡石桥村幼儿园", {2021: "公办"}, "村集体", False, False, 0.35, 0, 0),
    ("杨柳镇", "杨柳镇花园村幼儿园", {2021: "公办"}, "村集体", False, False, 0.35, 0, 0),
    ("青龙镇", "青龙镇新苗看护点", {2021: "非普惠性民办"}, "", False, False, 0.3, 0, 2023),  # unlicensed
]
UNLICENSED = "青龙镇新苗看护点"
KG_CLASS_CAPS = (("small", "小班"), ("middle", "中班"), ("large", "大班"))


def _kg_population(year: int) -> int:
    """3—5岁人口 as the county reports it: births of the three cohorts, less 3% moved away."""
    return round(sum(BIRTHS[year - a] for a in (3, 4, 5)) * 0.97)


def _kg_type(types: dict[int, str], year: int) -> str:
    return _by_year(types, year)


def preschool_year(year: int, seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Every preschool table of 示例县 for ``year`` (table id → DataFrame with ``columns`` ids)."""
    (year,) = _check_years([year])
    profile = load_profile(PROFILE)
    caps = {k: v for k, v in profile["preschool"]["class_caps"].items() if k != "source"}
    rng = _rng(seed, "kindergartens", year)
    townships = [*URBAN_STREETS, *TOWNS, *XIANG_NINE, *XIANG_OTHER]
    population = _kg_population(year)
    children_total = population * _by_year(GROSS_ENROLLMENT, year)
    open_kg = [k for k in _KG if (not k[7] or k[7] <= year) and (not k[8] or year < k[8])]
    weights = np.array([k[6] for k in open_kg]) * rng.uniform(0.93, 1.07, len(open_kg))
    children = np.maximum(12, np.round(children_total * weights / weights.sum())).astype(int)
    kg_rows, class_rows, staff_rows = [], [], []
    for k, n in zip(open_kg, children, strict=True):
        township, name, types, sponsor, central, estate, _w, opened, _closed = k
        serial = _KG.index(k) + 1
        code = f"5001{townships.index(township) + 1:02d}8{serial:03d}"
        kg_type = _kg_type(types, year)
        full = name if name.startswith(township) else f"{COUNTY_NAME}{name}"
        unlicensed = name == UNLICENSED
        design = opened or (2018 if estate else 1990 + (serial * 7) % 27)
        last = year - (serial + year) % 4
        if serial == 20 and year == 2023:
            last = 2018  # one town centre overdue for its supervision in 2023 (P22)
        kg_rows.append({
            "kg_code": code, "kg_name": full, "township": township, "kg_type": kg_type,
            "sponsor": sponsor if kg_type == "公办" else "", "township_central": "是" if central else "否",
            "estate": "是" if estate else "否",
            "estate_operation": ("公办" if kg_type == "公办" else "委托办普惠") if estate else "",
            "design_year": design, "meets_building_standard": "是",
            "licensed": "否" if unlicensed else "是", "annual_inspection": "未年检" if unlicensed else "合格",
            "last_supervised": "" if unlicensed else last,
            "supervisor": "" if unlicensed or (serial == 7 and year == 2021) else f"督学{serial:02d}",
            "fee_per_month": 380 if kg_type == "公办" else 560 if kg_type == "普惠性民办" else 1350,
            "children": int(n)})
        mixed = n < 60 or sponsor == "村集体"
        groups = [("mixed", n)] if mixed else list(zip(("small", "middle", "large"),
                                                      np.diff(np.round(np.linspace(0, n, 4))).astype(int), strict=True))
        for ctype, m in groups:
            per = caps[ctype] - 3
            k_classes = max(1, math.ceil(m / per))
            sizes = _split_classes(int(m), k_classes, rng)
            if ctype == "large" and (serial in (1, 3, 9) and year <= 2023 or serial == 1):  # crowded urban large classes
                sizes = [sizes[0] + (sizes[1] if len(sizes) > 1 else 0), *sizes[2:]]
            for no, size in enumerate(sizes, 1):
                class_rows.append({"kg_code": code, "class_type": dict(KG_CLASS_CAPS).get(ctype, "混龄班"),
                                   "class_no": no, "children": int(size)})
        ptr = (12.5 if kg_type == "公办" else 14.0) + rng.normal(0, 0.8)
        teachers = max(1, round(n / ptr))
        uncertified = 1 if (kg_type != "公办" and year <= 2022 and serial % 3 == 0) else 0
        staff_rows.append({"kg_code": code, "teachers": teachers, "caregivers": max(1, round(n / 30)),
                           "health_staff": 1, "certified_teachers": teachers - uncertified,
                           "vacant_posts": (2 if year <= 2022 and central and serial % 5 == 0 else 0)
                           if kg_type == "公办" else "",
                           "trained": teachers})
    items = [("P1_population_3_5", "3—5岁人口数", population, "人",
              f"县统计局{year}年常住人口抽样调查推算（出生人口{year - 5}—{year - 3}年合计×0.97）")]
    for item_id, spec in profile["preschool"]["items"].items():
        if spec["kind"] != "evidence":
            continue
        answer = "否" if (item_id == "P29" and year <= 2022) or (item_id == "P14" and year == 2021) else "是"
        items.append((item_id, spec["zh"], answer, "", f"{year}年{item_id}佐证材料（县教委文件汇编）"))
    spend = [(y, round(1.02e4 * (1 + 0.06 * (y - 2021)), 1), "", round(_kg_population(y) * _by_year(GROSS_ENROLLMENT, y)))
             for y in range(2020, year + 1)]
    incidents = [("安全事故", 2021, kg_rows[5]["kg_code"], "是", "户外活动器械伤害事故，造成较大社会影响"),
                 ("安全事故", 2022, kg_rows[12]["kg_code"], "否", "幼儿食物过敏，及时处置，未造成社会影响")]
    incidents = [r for r in incidents if r[1] <= year]
    survey = _kg_survey(year, [r["kg_code"] for r in kg_rows], seed)
    births = [(y, b, "", "县卫生健康委出生登记") for y, b in BIRTHS.items() if y <= year]
    return {
        "kindergartens": pd.DataFrame(kg_rows, columns=[c.id for c in KINDERGARTENS.columns]),
        "kg_classes": pd.DataFrame(class_rows, columns=[c.id for c in KG_CLASSES.columns]),
        "kg_staff": pd.DataFrame(staff_rows, columns=[c.id for c in KG_STAFF.columns]),
        "preschool_county_items": pd.DataFrame(items, columns=[c.id for c in PRESCHOOL_ITEMS.columns]),
        "preschool_spending": pd.DataFrame(spend, columns=[c.id for c in PRESCHOOL_SPENDING.columns]),
        "preschool_incidents": pd.DataFrame(incidents, columns=[c.id for c in PRESCHOOL_INCIDENTS.columns]),
        "preschool_survey": survey,
        "preschool_population": pd.DataFrame(births, columns=[c.id for c in PRESCHOOL_POPULATION.columns]),
    }


def _kg_survey(year: int, codes: list[str], seed: int) -> pd.DataFrame:
    rng = _rng(seed, "kg_survey", year)
    base = _by_year(KG_RECOGNITION, year)
    rows, k = [], 0
    for group, (expected, offset) in KG_SURVEY_GROUPS.items():
        for _ in range(max(5, int(rng.poisson(expected)))):
            k += 1
            code = codes[int(rng.integers(len(codes)))] if group in ("家长", "教职工", "园长") else ""
            p_fav = float(np.clip(base + offset + rng.normal(0, 0.06), 0.3, 0.995))
            answers = [SURVEY_ANSWERS[rng.choice(3)] if rng.random() < p_fav else SURVEY_ANSWERS[3 + rng.choice(2)]
                       for _q in range(5)]
            rows.append((f"XQ{year}-{k:04d}", group, code, "", *answers))
    return pd.DataFrame(rows, columns=[c.id for c in PRESCHOOL_SURVEY.columns] + [f"题{q}" for q in range(1, 6)])


def write_preschool_year(tables: dict[str, pd.DataFrame], folder: Path, year: int) -> list[Path]:
    """Write one year's preschool tables (幼儿园基本情况.xlsx with a title row, the rest plain)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for tid, name in PRESCHOOL_FILES.items():
        table = {t.id: t for t in (KINDERGARTENS, KG_CLASSES, KG_STAFF, PRESCHOOL_ITEMS, PRESCHOOL_SPENDING,
                                   PRESCHOOL_INCIDENTS, PRESCHOOL_SURVEY, PRESCHOOL_POPULATION)}[tid]
        frame = tables[tid]
        headers = [*_headers(table), *frame.columns[len(table.columns):]]
        path = folder / name
        if name.endswith(".xlsx"):
            title = f"{COUNTY_NAME}{year}年幼儿园基本情况表" if tid == "kindergartens" else None
            written.append(save_workbook(_title_workbook(table.zh, title, headers, frame.itertuples(index=False)),
                                         path))
        else:
            written.append(_write_text_csv(path, headers, frame.itertuples(index=False)))
    return written


# ---------------------------------------------------------------------------------------------------------------
# Defect fixture (tests/fixtures/defects): one reduced year with deliberate errors and one warning.


def _fixture_schools(roster: pd.DataFrame, schools: pd.DataFrame) -> list[str]:
    """About fifteen schools covering every kind of school the validation rules look at."""
    r = roster.set_index("school_code").loc[schools["school_code"]]
    pick: list[str] = []

    def take(mask, k):
        codes = [c for c in r.index[mask] if c not in pick]
        pick.extend(codes[:k])

    take(r["school_type"] == "小学", 0)
    take((r["group"] == "flagship") & (r["school_type"] == "小学"), 1)
    take((r["group"] == "urban") & (r["school_type"] == "小学"), 1)
    take(r["school_type"] == "九年一贯制学校", 2)
    take(r["school_type"] == "完全中学", 1)
    take(r["school_type"] == "初级中学", 2)
    take((r["group"] == "town") & (r["school_type"] == "小学"), 2)
    take((r["group"] == "rural") & (r["school_type"] == "小学"), 4)
    take(r["school_type"] == "教学点", 2)
    take(r["school_type"] == "特殊教育学校", 1)
    return pick


def defect_tables(seed: int = DEFAULT_SEED) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The clean, reduced tables of the defect fixture (before the defects are put in) and the schools kept."""
    roster = build_roster(seed)
    tables = generate_year(DEFECT_YEAR, seed, roster)
    keep = _fixture_schools(roster, tables["schools"])
    out = {}
    for tid, frame in tables.items():
        if "school_code" in frame.columns and tid != "survey":
            frame = frame[frame["school_code"].isin(keep)]
        out[tid] = frame.reset_index(drop=True)
    survey = tables["survey"]
    out["survey"] = survey[survey["school_code"].isin(keep) | (survey["school_code"] == "")].head(120)
    out["survey"] = out["survey"].reset_index(drop=True)
    order = {c: i for i, c in enumerate(keep)}
    out["schools"] = out["schools"].sort_values("school_code", key=lambda s: s.map(order)).reset_index(drop=True)
    return out, keep


def write_defect_fixture(out: Path, seed: int = DEFAULT_SEED) -> Path:
    """Write the reduced 2024 files with deliberate defects and ``defects.yaml`` describing each one.

    Rows are Excel row numbers as a person sees them: the schools sheet has a title row and a blank row above its
    header, so its first school is row 4; the teacher sheet and the CSV files have their header in row 1. The
    schools sheet is written without the random quirks so that every row stays where ``defects.yaml`` says.
    """
    out = Path(out)
    tables, _keep = defect_tables(seed)
    clean = tables["schools"]
    schools = clean.astype(object)
    teachers = tables["teachers"].astype(object)
    classes = tables["classes"].astype(object)
    defects: list[dict] = []
    school_first_row, table_first_row = 4, 2
    primaries = clean.index[clean["school_type"] == "小学"].tolist()
    dup, neg, text, mixed, outlier = primaries[:5]

    def school_defect(i, field, value, severity, kind, note):
        schools.at[i, field] = value
        header = EQUIPMENT_HEADER if field == "equipment_value" else SCHOOLS.column(field).zh
        defects.append({"id": kind, "severity": severity, "file": FILES["schools"], "sheet": "学校基本情况",
                        "row": school_first_row + i, "column": header, "value": value, "note": note})

    school_defect(neg, "teaching_rooms_m2", -float(clean.at[neg, "teaching_rooms_m2"]), "error", "negative_area",
                  "教学及辅助用房面积为负数")
    school_defect(text, "students_primary", f"约{round(int(clean.at[text, 'students_primary']), -2)}", "error",
                  "non_numeric", "小学在校生数不是数字（该校班级合计因此无法核对）")
    school_defect(mixed, "students_junior", 38, "error", "section_inconsistent_with_type",
                  "小学填报了初中在校生（初中班数也填了1）；专任教师表另有该校一条初中行")
    schools.at[mixed, "classes_junior"] = 1
    students = clean["students_primary"] + clean["students_junior"]
    median = float((clean["teaching_rooms_m2"] / students).median())
    school_defect(outlier, "teaching_rooms_m2", round(float(students[outlier]) * median * 25, 1), "warning",
                  "outlier", "生均教学及辅助用房面积约为全县中位数的25倍（多录了数位？）")
    # A school row pasted twice: the copy at the end of the sheet repeats the 学校标识码.
    schools = pd.concat([schools, schools.iloc[[dup]]], ignore_index=True)
    defects.append({"id": "duplicate_school_code", "severity": "error", "file": FILES["schools"],
                    "sheet": "学校基本情况", "row": school_first_row + len(schools) - 1, "column": "学校标识码",
                    "value": clean.at[dup, "school_code"], "first_row": school_first_row + dup,
                    "note": f"与第{school_first_row + dup}行学校标识码重复（整行重复粘贴）"})

    # Teacher rows: one for an unknown school, one 初中 row for the 小学 above.
    extra = []
    for code, section in (("5001999001", "小学"), (clean.at[mixed, "school_code"], "初中")):
        row = {c.id: 0 for c in TEACHERS.columns}
        row.update(school_code=code, section=section, teachers=4, teachers_above_degree=4, pe_teachers=1,
                   certified_teachers=4, trained_360h=4, rotation_eligible=1)
        extra.append(row)
    teachers = pd.concat([teachers, pd.DataFrame(extra).astype(object)], ignore_index=True)
    defects.append({"id": "unknown_school", "severity": "error", "file": FILES["teachers"], "sheet": "专任教师情况",
                    "row": table_first_row + len(teachers) - 2, "column": "学校标识码", "value": "5001999001",
                    "note": "学校基本情况表中没有这个学校标识码"})
    defects.append({"id": "section_inconsistent_with_type", "severity": "error", "file": FILES["teachers"],
                    "sheet": "专任教师情况", "row": table_first_row + len(teachers) - 1, "column": "学段",
                    "value": "初中", "note": f"小学（{clean.at[mixed, 'school_code']}）填报了初中专任教师行"})

    # A class with negative students; another class of the same grade carries the difference so totals agree.
    used = {clean.at[i, "school_code"] for i in (dup, neg, text, mixed, outlier)}
    per_grade = classes.groupby(["school_code", "section", "grade"]).size()
    school, section, grade = next(k for k, size in per_grade.items() if size >= 2 and k[0] not in used)
    a, b = classes.index[(classes["school_code"] == school) & (classes["section"] == section)
                         & (classes["grade"] == grade)][:2]
    old = int(classes.at[a, "students"])
    classes.at[a, "students"] = -old
    classes.at[b, "students"] = int(classes.at[b, "students"]) + 2 * old
    defects.append({"id": "negative_class_students", "severity": "error", "file": FILES["classes"], "sheet": "",
                    "row": table_first_row + int(a), "column": "学生数", "value": -old,
                    "note": "班级学生数为负数（同年级另一班多记了相应人数，学校合计不变）"})

    out.mkdir(parents=True, exist_ok=True)
    (out / "defects.yaml").unlink(missing_ok=True)
    write_year(dict(tables, schools=schools, teachers=teachers, classes=classes), out, DEFECT_YEAR, seed,
               quirks=False)
    meta = {"county": COUNTY_NAME, "year": DEFECT_YEAR, "seed": seed,
            "generated_by": "analysis.data.sample.write_defect_fixture",
            "rows": "Excel row numbers as a person sees them; a CSV header is row 1",
            "defects": [{k: _cell(v) for k, v in d.items()} for d in defects]}
    text = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=110)
    (out / "defects.yaml").write_text(text, encoding="utf-8")
    return out


# ---------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.data.sample", description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="county folder to write (e.g. data/raw/sample)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--years", type=int, nargs="+", default=list(DEFAULT_YEARS))
    parser.add_argument("--defects", help="also write the defect fixture to this folder")
    args = parser.parse_args(argv)
    if not args.out and not args.defects:
        parser.error("give --out and/or --defects")
    if args.out:
        paths = write_county(Path(args.out), args.years, args.seed)
        print(f"{len(paths)} files written under {args.out}")
    if args.defects:
        print(f"defect fixture written to {write_defect_fixture(Path(args.defects), args.seed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
