"""Township breakdown (乡镇/学区): compliance, gaps and recognition per township.

000_7663589297cde400.txt 附件1 三 and 004_bc97163581bd74c7.txt (学区) hold townships responsible for their schools;
the breakdown shows each one its part. Per township (``township`` of the school table; 未填乡镇 when blank):

* evaluated school-sections and the share meeting the 6-of-7 rule (校校达标), the indicators missed (gaps, e.g.
  "R2×3、R6×1");
* schools short of the G3 music/art rooms, over the G4 size cap, and oversized classes (G5);
* recognition: respondents, rate (满意类回答 ÷ 有效回答, as S1) from the survey's 乡镇 column.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from analysis.evaluate import guarantee, recognition
from analysis.standards.compare import meets
from analysis.standards.status import FAIL

TOWNSHIP_COLUMNS = ["township", "schools", "school_sections", "compliant_sections", "compliant_share", "gaps",
                    "g3_failing", "g4_failing", "oversized_classes", "respondents", "recognition_rate",
                    "recognition_passed"]
BLANK = "未填乡镇"


def _town(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.strip().replace("", BLANK)


def township_table(school_indicators: pd.DataFrame, schools: pd.DataFrame, classes: pd.DataFrame | None,
                   survey: pd.DataFrame | None, profile: dict) -> pd.DataFrame:
    """One row per township (sorted by compliant share, lowest first), columns :data:`TOWNSHIP_COLUMNS`."""
    si = school_indicators.assign(township=_town(school_indicators.get("township", pd.Series(index=school_indicators.index, dtype=object))))
    passed = si["school_pass"].astype(str).str.lower().isin(["true", "1"])
    town_of = dict(zip(schools["school_code"], _town(schools.get("township", pd.Series("", index=schools.index))),
                       strict=True))
    rooms = guarantee.music_art_rooms(schools, profile, reasons=False)
    sizes = guarantee.school_size(schools, profile)
    over = (guarantee.class_sizes(classes, schools, profile).query("oversized") if classes is not None
            else pd.DataFrame(columns=["school_code"]))
    survey_by_town = _recognition_by_township(survey, profile)
    towns = sorted(set(si["township"]) | set(town_of.values()))
    rows = []
    for town in towns:
        part = si[si["township"] == town]
        ok = passed[part.index]
        gaps = Counter(i for m in part.loc[~ok, "missed"].dropna() for i in str(m).split(";") if i)
        rate = survey_by_town.get(town, (0, np.nan, None))
        rows.append({"township": town, "schools": int(part["school_code"].nunique()),
                     "school_sections": len(part), "compliant_sections": int(ok.sum()),
                     "compliant_share": float(ok.mean()) if len(part) else np.nan,
                     "gaps": "、".join(f"{k}×{v}" for k, v in sorted(gaps.items())),
                     "g3_failing": _failing_in(rooms, town_of, town), "g4_failing": _failing_in(sizes, town_of, town),
                     "oversized_classes": int(over["school_code"].map(town_of).eq(town).sum()),
                     "respondents": rate[0], "recognition_rate": rate[1], "recognition_passed": rate[2]})
    frame = pd.DataFrame(rows, columns=TOWNSHIP_COLUMNS)
    return frame.sort_values(["compliant_share", "township"], kind="stable", na_position="last").reset_index(drop=True)


def _failing_in(table: pd.DataFrame, town_of: dict, town: str) -> int:
    """Schools of ``town`` failing a per-school rule table (G3 rooms, G4 size)."""
    return int(table.loc[table["status"] == FAIL, "school_code"].map(town_of).eq(town).sum())


def _recognition_by_township(survey: pd.DataFrame | None, profile: dict) -> dict[str, tuple]:
    """township → (respondents, rate, passed) with the S1 rule of the profile."""
    if survey is None or survey.empty or "township" not in survey:
        return {}
    cfg = profile["recognition"]
    answers = recognition.scored_answers(survey, profile).assign(township=_town(survey["township"]).to_numpy())
    out = {}
    for town, part in answers.groupby("township"):
        n = int(part["valid"].sum())
        if not n:
            continue
        rate = part["favourable"].sum() / n
        out[town] = (int(part.loc[part["valid"], "respondent_id"].nunique()), float(rate),
                     bool(meets(rate, cfg["threshold"], cfg["comparator"])))
    return out
