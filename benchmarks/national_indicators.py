"""National-scale timing of the indicator + CV step (全国规模基准).

≈2,900 counties, ≈200,000 school-sections (synthetic, fixed seed). Times ``indicators.evaluate`` (exclusions,
split, R1–R7, 6-of-7 rule with reasons) plus ``variation.cv_table(by=("county",))``, and a bare numpy pass over
the same input arrays computing the same numbers (exclusions, split, teacher stocks, values, ratios, met counts,
pass flags, weighted CVs by county and section). Both are timed the same way (best and median of 7 warm runs);
prints both and their ratio; the numbers are checked equal. Never asserted in tests.
Run: ``.venv/bin/python benchmarks/national_indicators.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from analysis.evaluate.indicators import evaluate
from analysis.evaluate.variation import cv_table
from analysis.standards import load_profile

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


def floor_arrays(schools: pd.DataFrame, teachers: pd.DataFrame, profile) -> dict[str, np.ndarray]:
    """The input tables as a bare numpy implementation would be handed them: numeric columns as arrays, school
    type and teacher section as small integer codes, and each teacher row's school row already resolved (bare
    numpy has no string join, so the floor gets that lookup for free)."""
    arrays = {c: schools[c].to_numpy(dtype=float) for c in
              ("students_primary", "students_junior", "students_senior", *profile["split_fields"])}
    types = list(dict.fromkeys(schools["school_type"]))
    arrays["type_code"] = schools["school_type"].map({t: k for k, t in enumerate(types)}).to_numpy()
    arrays["excluded_types"] = np.array([types.index(t) for t in profile["exclusions"]["school_types"] if t in types])
    arrays["teaching_point"] = np.array(types.index("teaching_point"))
    arrays["county"] = schools["county"].to_numpy()
    arrays["teacher_school"] = pd.Index(schools["school_code"]).get_indexer(teachers["school_code"])
    arrays["teacher_primary"] = (teachers["section"] == "primary").to_numpy()
    for c in ("teachers", "teachers_above_degree", "key_teachers"):
        arrays["t_" + c] = teachers[c].to_numpy(dtype=float)
    arrays["t_pe_music_art_teachers"] = teachers[["pe_teachers", "music_teachers", "art_teachers"]].sum(axis=1).to_numpy(float)
    return arrays


def numpy_floor(a: dict[str, np.ndarray], profile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same numbers from bare arrays: exclusions, section rows, 1:1.1 split, teacher stocks per section,
    R1–R7 values and ratios, met counts, pass flags, weighted CVs by county and section."""
    excl, w, rule = profile["exclusions"], profile["split_weights"], profile["school_rule"]
    prim, jun = a["students_primary"], a["students_junior"]
    compulsory = prim + jun
    out = (np.isin(a["type_code"], a["excluded_types"]) | (compulsory <= 0)
           | ((a["type_code"] == a["teaching_point"]) & (compulsory < excl["teaching_point_min_students"])))
    weighted = prim * w["primary"] + jun * w["junior"] + a["students_senior"] * w["senior"]
    rows_p, rows_j = np.flatnonzero(~out & (prim > 0)), np.flatnonzero(~out & (jun > 0))
    rows = np.concatenate([rows_p, rows_j])
    is_primary = np.arange(len(rows)) < len(rows_p)
    n = np.concatenate([prim[rows_p], jun[rows_j]])
    share = n * np.where(is_primary, w["primary"], w["junior"]) / weighted[rows]
    stock = {c: a[c][rows] * share for c in profile["split_fields"]}
    slot_p, slot_j = np.full(len(prim), -1), np.full(len(prim), -1)
    slot_p[rows_p], slot_j[rows_j] = np.arange(len(rows_p)), len(rows_p) + np.arange(len(rows_j))
    slot = np.where(a["teacher_primary"], slot_p[a["teacher_school"]], slot_j[a["teacher_school"]])
    keep = slot >= 0
    for c in ("teachers", "teachers_above_degree", "key_teachers", "pe_music_art_teachers"):
        stock[c] = np.bincount(slot[keep], weights=a["t_" + c][keep], minlength=len(rows))
    group = a["county"][rows] * 2 + (~is_primary)
    ngroups = group.max() + 1
    total = np.bincount(group, weights=n, minlength=ngroups)
    met = np.zeros(len(n), dtype=int)
    floor_ok = np.ones(len(n), dtype=bool)
    values, cvs = [], []
    for spec in profile["resources"].values():
        x = stock[spec["numerator"]] * spec["per"] / n
        std = np.where(is_primary, spec["primary"], spec["junior"])
        ratio = x / std
        met += ratio >= 1
        floor_ok &= ratio >= rule["floor_ratio"]
        mean = np.bincount(group, weights=n * x, minlength=ngroups) / total
        var = np.bincount(group, weights=n / total[group] * (x - mean[group]) ** 2, minlength=ngroups)
        values.append(x)
        cvs.append(np.sqrt(var) / mean)
    return np.array(values), (met >= rule["min_met"]) & floor_ok, np.array(cvs)


def best_of(runs: int, call) -> tuple[float, float, object]:
    """(best, median) seconds of ``runs`` calls, and the last result; the same method for package and floor."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return min(times), float(np.median(times)), result


def main(runs: int = 7) -> None:
    profile = load_profile("national")
    schools, teachers = synthetic()
    start = time.perf_counter()
    with_package(schools, teachers, profile)
    t_cold = time.perf_counter() - start
    t_pkg, m_pkg, (si, cv) = best_of(runs, lambda: with_package(schools, teachers, profile))
    arrays = floor_arrays(schools, teachers, profile)
    t_np, m_np, (values, passed, cvs) = best_of(runs, lambda: numpy_floor(arrays, profile))
    ids = list(profile["resources"])
    assert np.allclose(si[ids].to_numpy().T, values, rtol=1e-12), "numpy floor disagrees with the package (values)"
    assert (passed == si["school_pass"].to_numpy()).all(), "numpy floor disagrees with the package (pass flags)"
    pkg_cv = cv.pivot_table(index="indicator", columns=["county", "section"], values="cv", sort=False)
    assert np.allclose(np.sort(pkg_cv.loc[ids].to_numpy(), axis=1), np.sort(cvs, axis=1), rtol=1e-9), "CVs disagree"
    print(f"counties={schools['county'].nunique():,} schools={len(schools):,} school-sections={len(si):,}")
    print(f"package (evaluate + cv_table by county): best {t_pkg:.3f} s, median {m_pkg:.3f} s of {runs}"
          f" (first call {t_cold:.3f} s)   target < 2 s")
    print(f"numpy floor (same numbers from the same arrays): best {t_np:.3f} s, median {m_np:.3f} s")
    print(f"ratio package / numpy floor: best {t_pkg / t_np:.1f}×, median {m_pkg / m_np:.1f}×   target ≤ 5×")
    shuffled = teachers.sample(frac=1.0, random_state=1).reset_index(drop=True)
    t_shuf, _, (si_shuf, _) = best_of(runs, lambda: with_package(schools, shuffled, profile))
    assert si_shuf[ids].equals(si[ids]), "teacher row order changed the result"
    print(f"  teacher rows in another order than the schools (looked up by code): best {t_shuf:.3f} s,"
          f" {t_shuf / t_np:.1f}×")
    print("  the package also writes exclusion reasons, reason sentences, standards, gaps and labelled tables;")
    print("  where its time goes (best of the same runs):")
    for label, seconds in step_breakdown(schools, teachers, profile, runs).items():
        print(f"  {label:<34}{seconds:.3f} s")


def step_breakdown(schools, teachers, profile, runs: int) -> dict[str, float]:
    from analysis.evaluate.indicators import indicator_values, school_compliance, school_sections

    sections = school_sections(schools, teachers, profile)[0]
    values = indicator_values(sections, profile)
    si = school_compliance(values, profile)
    return {
        "exclusions + split + teacher join": best_of(runs, lambda: school_sections(schools, teachers, profile))[0],
        "R1–R7 values": best_of(runs, lambda: indicator_values(sections, profile))[0],
        "6-of-7 rule, gaps, reasons": best_of(runs, lambda: school_compliance(values, profile))[0],
        "weighted CV by county": best_of(runs, lambda: cv_table(si, profile, by=("county",)))[0],
    }


if __name__ == "__main__":
    main()
