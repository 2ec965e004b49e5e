"""Time the planner (evaluate/plan) on a synthetic 300-school county: one milestone, minimum-cost variant.

    PYTHONPATH=src python benchmarks/planner.py [n_schools]

Prints the time and its ratio to the 10 s target (never asserted: machines differ).
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
import pandas as pd

from analysis.evaluate import plan
from analysis.standards import load_profile

TARGET_S = 10.0


def synthetic_county(n_schools: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Primary and junior schools around their standards (some below, a few far above): every lever is needed."""
    rng = np.random.default_rng(seed)
    schools, teachers, classes = [], [], []
    for k in range(n_schools):
        sec = "primary" if k % 4 else "junior"
        n = int(rng.integers(120, 1900))
        grades = 6 if sec == "primary" else 3
        per_class = int(rng.integers(36, 47 if sec == "primary" else 52))
        n_classes = grades * math.ceil(n / per_class / grades)
        std = {"primary": (4.2, 1.0, 0.9, 4.5, 7.5, 2000, 2.3), "junior": (5.3, 1.0, 0.9, 5.8, 10.2, 2500, 2.4)}[sec]
        f = rng.uniform(0.7, 1.4, 7) * np.where(rng.random(7) < 0.05, 3.0, 1.0)
        code = f"5009{k:06d}"
        rooms = max(1, math.ceil(n_classes / 12)) - int(rng.random() < 0.2)
        schools.append({"school_code": code, "school_name": f"学校{k}", "school_type":
                        "primary_school" if sec == "primary" else "junior_school", "ownership": "public",
                        "urban_rural": "rural", "township": f"镇{k % 20}", "founded_year": 1990,
                        "students_primary": n if sec == "primary" else 0, "students_junior": n if sec == "junior" else 0,
                        "students_senior": 0, "classes_primary": n_classes if sec == "primary" else 0,
                        "classes_junior": n_classes if sec == "junior" else 0, "classes_senior": 0,
                        "land_area_m2": 25.0 * n, "teaching_rooms_m2": std[3] * n * f[3], "indoor_sports_rooms_m2": 0.0,
                        "sports_area_m2": std[4] * n * f[4], "equipment_value_yuan": std[5] * n * f[5],
                        "equipment_value": std[5] * n * f[5] / 1e4, "multimedia_classrooms": round(std[6] * n * f[6] / 100),
                        "music_rooms": rooms, "music_rooms_m2": float(rng.choice([80.0, 100.0])),
                        "music_rooms_m2_basis": "per_room_min", "art_rooms": rooms, "art_rooms_m2": 95.0,
                        "art_rooms_m2_basis": "per_room_min"})
        pma = round(std[2] * n * f[2] / 100)
        teachers.append({"school_code": code, "section": sec, "teachers": math.ceil(n / 14),
                         "teachers_above_degree": round(std[0] * n * f[0] / 100),
                         "key_teachers": min(round(std[1] * n * f[1] / 100), math.ceil(n / 14)),
                         "pe_teachers": pma // 2, "music_teachers": pma - pma // 2, "art_teachers": 0,
                         "rotation_eligible": math.ceil(n / 14), "rotated_teachers": 0, "rotated_key_teachers": 0})
        first = 1 if sec == "primary" else 7
        for g in range(grades):
            c = n_classes // grades
            size = n // grades
            classes += [{"school_code": code, "section": sec, "grade": first + g, "class_no": j + 1,
                         "students": size // c + (1 if j < size % c else 0)} for j in range(c)]
    return {"schools": pd.DataFrame(schools), "teachers": pd.DataFrame(teachers), "classes": pd.DataFrame(classes)}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    tables = synthetic_county(n)
    profile = load_profile("national")
    start = time.perf_counter()
    result = plan.make_plan(tables, None, None, profile, [{"year": 2026, "zh": "市级督导评估"}], 2025)
    elapsed = time.perf_counter() - start
    total = result.plan["cost"].sum() / 1e4 if len(result.plan) else 0.0
    print(f"planner, {n} schools: {elapsed:.2f} s ({elapsed / TARGET_S:.2f} × the {TARGET_S:.0f} s target); "
          f"{result.variant}; {len(result.plan)} actions, {total:,.0f} 万元; "
          f"check ok: {bool(result.check['ok'].all()) if len(result.check) else None}; {result.message or ''}"
          f"{'; '.join(result.notes)}")


if __name__ == "__main__":
    main()
