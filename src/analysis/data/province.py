"""A synthetic province (虚构省) for tests and benchmarks: about forty fictional counties from the sample generator.

``python -m analysis.data.province --out data/raw/示例省 [--counties 40] [--years 2023 2024 2025]``

Each county is the sample county's generator with its own seed and size: a deterministic share of its village
schools and teaching points is left out (never a school another school merges into), and some counties hand in
only their last one or two years, as most counties do when they start. Same arguments → byte-identical files.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data import sample

DEFAULT_COUNTIES = 40
DEFAULT_YEARS = (2023, 2024, 2025)
PROVINCE_SEED = 20261202
SMALL_GROUPS = ("rural", "point")  # the schools a smaller county has fewer of


def county_id(k: int) -> str:
    """Folder name of the k-th county (a plain county name the runner accepts)."""
    return f"county{k + 1:02d}"


def county_plan(k: int, years: Iterable[int], seed: int = PROVINCE_SEED) -> dict:
    """Seed, size (share of village schools kept) and years handed in of the k-th county."""
    rng = np.random.default_rng([seed, k])
    years = sorted(years)
    n_years = len(years) if k % 5 else max(1, len(years) - 2 + k % 2)  # every fifth county: one or two years
    return {"seed": int(seed * 100 + k), "keep": float(rng.uniform(0.35, 1.0)), "years": years[-n_years:]}


def smaller_roster(roster: pd.DataFrame, keep: float, seed: int) -> pd.DataFrame:
    """The roster with only ``keep`` of its village schools and teaching points (merge targets always kept)."""
    rng = np.random.default_rng([seed, 7])
    merged_into = roster["merged_into"].fillna("").astype(str).str.strip()
    small = roster["group"].isin(SMALL_GROUPS) & ~roster["school_code"].astype(str).isin(set(merged_into) - {""})
    small &= (merged_into == "") & (roster["opened"] == 0) & (roster["closed"] == 0)
    drop = small & (rng.random(len(roster)) > keep)
    return roster.loc[~drop].reset_index(drop=True)


def county_yaml_text(k: int, province: str) -> str:
    return (f"name: 样例{k + 1:02d}县\n"
            f"province: {province}\n"
            f"standards_profile: {sample.PROFILE}\n"
            "note: 虚构的县（fictional），由 analysis.data.province 按固定随机种子生成，用于测试与基准。\n")


def write_province(out: Path, n_counties: int = DEFAULT_COUNTIES, years: Iterable[int] = DEFAULT_YEARS,
                   seed: int = PROVINCE_SEED, province: str = "示例省（虚构）") -> list[Path]:
    """Write ``n_counties`` county folders (``county01`` …) with their county.yaml and year folders under ``out``."""
    out = Path(out)
    written: list[Path] = []
    for k in range(n_counties):
        plan = county_plan(k, years, seed)
        folder = out / county_id(k)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "county.yaml").write_text(county_yaml_text(k, province), encoding="utf-8")
        written.append(folder / "county.yaml")
        roster = smaller_roster(sample.build_roster(plan["seed"]), plan["keep"], plan["seed"])
        for year in plan["years"]:
            tables = sample.generate_year(year, plan["seed"], roster)
            written += sample.write_year(tables, folder / str(year), year, plan["seed"])
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.data.province", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="province folder to write, e.g. data/raw/示例省")
    parser.add_argument("--counties", type=int, default=DEFAULT_COUNTIES, help="number of counties (default 40)")
    parser.add_argument("--years", type=int, nargs="+", default=list(DEFAULT_YEARS), help="years (default 2023–2025)")
    parser.add_argument("--seed", type=int, default=PROVINCE_SEED)
    args = parser.parse_args(argv)
    paths = write_province(Path(args.out), args.counties, args.years, args.seed)
    print(f"{len(paths)} files written under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
