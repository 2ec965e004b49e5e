"""National-scale timing of the indicator + CV step (全国规模基准).

≈2,900 counties, ≈200,000 school-sections (synthetic, fixed seed). Times ``indicators.evaluate`` (exclusions,
split, R1–R7, 6-of-7 rule with reasons) plus ``variation.cv_table(by=("county",))``, and a bare numpy pass over
the same arrays computing the same numbers (values, met counts, pass flags, weighted CVs by county and section).
Prints both times and their ratio; the numbers are checked equal. Never asserted in tests.
Run: ``.venv/bin/python benchmarks/national_indicators.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from analysis.indicators import evaluate
from analysis.standards import load_profile
from analysis.variation import cv_table

COUNTIES, SCHOOLS_PER_COUNTY = 2_900, 60  # 60 schools → ≈69 school-sections per county with the nine-year split


def synthetic(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = COUNTIES * SCHOOLS_PER_COUNTY
    kind = rng.choice(["primary_school", "junior_school", "nine_year_school", "teaching_point"], n,
                      p=[0.62, 0.2, 0.13, 0.05])
    prim = np.where(np.isin(kind, ["primary_school", "nine_year_school"]), rng.integers(80, 2000, n), 0)
    prim = np.where(kind == "teaching_point", rng.integers(20, 120, n), prim)
    jun = np.where(np.isin(kind, ["junior_school", "nine_year_school"]), rng.integers(150, 1800, n), 0)
    total = prim + jun
    schools = pd.DataFrame({
        "county": np.repeat(np.arange(COUNTIES), SCHOOLS_PER_COUNTY),
        "school_code": [f"{i:010d}" for i in range(n)], "school_name": [f"学校{i}" for i in range(n)],
        "school_type": kind, "urban_rural": rng.choice(["urban", "town", "rural"], n), "township": "",
        "ownership": "public", "founded_year": 2000,
        "students_primary": prim, "students_junior": jun, "students_senior": 0,
        "land_area_m2": total * rng.uniform(10, 40, n), "teaching_rooms_m2": total * rng.uniform(2, 9, n),
        "indoor_sports_rooms_m2": 0.0, "sports_area_m2": total * rng.uniform(3, 15, n),
        "equipment_value_yuan": total * rng.uniform(800, 4000, n),
        "multimedia_classrooms": np.maximum(1, (total * rng.uniform(0.01, 0.04, n)).astype(int)),
    })
    rows = []
    for section, col in (("primary", prim), ("junior", jun)):
        has = col > 0
        m = has.sum()
        s = col[has]
        rows.append(pd.DataFrame({
            "school_code": schools["school_code"].to_numpy()[has], "section": section,
            "teachers": (s * rng.uniform(0.05, 0.08, m)).astype(int) + 1,
            "teachers_above_degree": (s * rng.uniform(0.03, 0.07, m)).astype(int),
            "key_teachers": (s * rng.uniform(0.002, 0.02, m)).astype(int),
            "pe_teachers": (s * rng.uniform(0.002, 0.006, m)).astype(int),
            "music_teachers": (s * rng.uniform(0.001, 0.003, m)).astype(int),
            "art_teachers": (s * rng.uniform(0.001, 0.003, m)).astype(int),
        }))
    return schools, pd.concat(rows, ignore_index=True)


def with_package(schools, teachers, profile):
    si, excluded = evaluate(schools, teachers, profile)  # `county` is carried through as an id column
    return si, cv_table(si, profile, by=("county",))


def floor_arrays(si: pd.DataFrame, schools: pd.DataFrame) -> dict[str, np.ndarray]:
    """What a bare numpy implementation would be handed: per school-section rows aligned with their school's
    unsplit facility stocks and student counts, and their section's teacher stocks."""
    pos = pd.Index(schools["school_code"]).get_indexer(si["school_code"])
    arrays = {c: si[c].to_numpy(dtype=float) for c in
              ("students", "teachers_above_degree", "key_teachers", "pe_music_art_teachers")}
    for c in ("teaching_rooms_m2", "sports_area_m2", "equipment_value_yuan", "multimedia_classrooms",
              "students_primary", "students_junior", "students_senior"):
        arrays["school_" + c] = schools[c].to_numpy(dtype=float)[pos]
    arrays["county"] = si["county"].to_numpy()
    arrays["is_primary"] = (si["section"] == "primary").to_numpy()
    return arrays


def numpy_floor(sections: dict[str, np.ndarray], profile) -> tuple[np.ndarray, np.ndarray]:
    """The same arithmetic on bare arrays: section split, values, met counts, pass flags, grouped weighted CVs."""
    ids = list(profile["resources"])
    w = profile["split_weights"]
    n = sections["students"]
    weighted = (sections["school_students_primary"] * w["primary"] + sections["school_students_junior"] * w["junior"]
                + sections["school_students_senior"] * w["senior"])
    share = n * np.where(sections["is_primary"], w["primary"], w["junior"]) / weighted
    sections = dict(sections)
    for c in ("teaching_rooms_m2", "sports_area_m2", "equipment_value_yuan", "multimedia_classrooms"):
        sections[c] = sections["school_" + c] * share
    prim = sections["is_primary"]
    group = sections["county"] * 2 + (~prim)
    ngroups = group.max() + 1
    total = np.bincount(group, weights=n, minlength=ngroups)
    met = np.zeros(len(n), dtype=int)
    floor_ok = np.ones(len(n), dtype=bool)
    cvs = []
    rule = profile["school_rule"]
    for ind in ids:
        spec = profile["resources"][ind]
        x = sections[spec["numerator"]] * spec["per"] / n
        std = np.where(prim, spec["primary"], spec["junior"])
        ok = x >= std
        met += ok
        floor_ok &= ok | (x >= rule["floor_ratio"] * std)
        mean = np.bincount(group, weights=n * x, minlength=ngroups) / total
        var = np.bincount(group, weights=n / total[group] * (x - mean[group]) ** 2, minlength=ngroups)
        cvs.append(np.sqrt(var) / mean)
    return (met >= rule["min_met"]) & floor_ok, np.array(cvs)


def main() -> None:
    profile = load_profile("national")
    schools, teachers = synthetic()
    start = time.perf_counter()
    si, cv = with_package(schools, teachers, profile)
    t_pkg = time.perf_counter() - start
    arrays = floor_arrays(si, schools)
    floors = []
    for _ in range(5):
        start = time.perf_counter()
        passed, cvs = numpy_floor(arrays, profile)
        floors.append(time.perf_counter() - start)
    t_np = min(floors)
    assert (passed == si["school_pass"].to_numpy()).all(), "numpy floor disagrees with the package (pass flags)"
    pkg_cv = cv.sort_values(["indicator", "county", "section"], key=lambda c: c.map(
        {"primary": 0, "junior": 1}) if c.name == "section" else c)["cv"].to_numpy().reshape(len(profile["resources"]), -1)
    assert np.allclose(np.sort(pkg_cv, axis=1), np.sort(cvs, axis=1), rtol=1e-9), "CVs disagree"
    print(f"counties={schools['county'].nunique():,} schools={len(schools):,} school-sections={len(si):,}")
    print(f"package (evaluate + cv_table by county): {t_pkg:.3f} s   target < 2 s")
    print(f"numpy floor (same arithmetic, bare arrays): {t_np:.3f} s")
    print(f"ratio package / numpy floor: {t_pkg / t_np:.1f}×   target ≤ 5×")
    print("  (the floor computes no exclusion reasons, no per-school reason sentences and no labelled tables;")
    print("   see the step breakdown below for where the package spends the rest)")
    for label, seconds in step_breakdown(schools, teachers, profile).items():
        print(f"  {label:<34}{seconds:.3f} s")


def step_breakdown(schools, teachers, profile) -> dict[str, float]:
    from analysis.indicators import indicator_values, school_compliance, school_sections

    times = {}
    start = time.perf_counter()
    sections, _ = school_sections(schools, teachers, profile)
    times["exclusions + split + teacher join"] = time.perf_counter() - start
    start = time.perf_counter()
    values = indicator_values(sections, profile)
    times["R1–R7 values"] = time.perf_counter() - start
    start = time.perf_counter()
    si = school_compliance(values, profile)
    times["6-of-7 rule + reason sentences"] = time.perf_counter() - start
    start = time.perf_counter()
    cv_table(si, profile, by=("county",))
    times["weighted CV by county"] = time.perf_counter() - start
    return times


if __name__ == "__main__":
    main()
