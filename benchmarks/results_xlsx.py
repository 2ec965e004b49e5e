"""Timings of results.xlsx (评估结果 Excel): building the workbook as step 09_report does, and saving it.

Reads the processed outputs of one county-year (a copy, so nothing is written beside them) and prints the fastest
of ``--repeat`` builds and saves. Never asserted. Run:
``.venv/bin/python benchmarks/results_xlsx.py --processed-root data/processed --year 2025 [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from analysis import config
from analysis.context import step_context
from analysis.data.files import save_workbook
from analysis.report import excel
from analysis.report import plan as plan_report
from analysis.report import preschool as preschool_report
from analysis.report import tasks as task_report
from analysis.report.results import load_optional, load_results


def builder(county: str, year: int, processed_root: Path, work: Path):
    """A function that builds the workbook of ``county``/``year`` the way notebooks/09_report.ipynb does."""
    shutil.copytree(processed_root / county, work / "processed" / county)
    ctx = step_context(county, year, processed_dir=str(work / "processed" / county / str(year)),
                       reports_dir=str(work / "reports"), processed_root=str(work / "processed"))
    results = load_results(ctx.load)
    preschool = [load_optional(ctx.load, n) for n in ("preschool_items", "preschool_verdict", "preschool_projection")]
    tracking = task_report.load_tracking(ctx.load)
    planned = plan_report.load_plan(ctx.load)

    def build() -> Workbook:
        workbook = excel.build_workbook(results, ctx.profile)
        task_report.add_sheets(workbook, tracking)
        plan_report.add_plan_sheets(workbook, planned["plan"], planned["plan_check"])
        return preschool_report.add_sheets(workbook, *preschool)

    return build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--county", default="sample")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--processed-root", type=Path, default=config.PROCESSED)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="then profile one build and save (cProfile)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-xlsx-"))
    try:
        build = builder(args.county, args.year, args.processed_root, work)
        path = work / "results.xlsx"
        builds, saves = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            workbook = build()
            built = time.perf_counter()
            save_workbook(workbook, path)
            builds.append(built - start)
            saves.append(time.perf_counter() - built)
        cells = sum(len(ws._cells) for ws in workbook.worksheets)
        print(f"{args.county} {args.year}: {len(workbook.sheetnames)} sheets, {cells} cells, "
              f"{path.stat().st_size / 1e6:.1f} MB")
        print(f"build {min(builds):.3f} s, save {min(saves):.3f} s (fastest of {args.repeat})")
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(lambda: save_workbook(build(), path))
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
