"""A province at once (全省批量基准): the synthetic 40-county province, one year, every step and report.

Writes the province with ``analysis.data.province`` into a temporary folder, runs ``analysis.batch.batch`` on it
(local worker processes, default all cores) and prints the total time, the time per county and the ratio to the
6-minute target. Never asserted. Run: ``.venv/bin/python benchmarks/province.py [--counties 40] [--jobs N]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from analysis import batch
from analysis.data import province

TARGET_S = 6 * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=province.DEFAULT_COUNTIES)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-province-"))
    try:
        raw = work / "raw" / "bench_province"
        start = time.perf_counter()
        province.write_province(raw, args.counties, (args.year,))
        t_write = time.perf_counter() - start
        start = time.perf_counter()
        report = batch.batch(raw, [args.year], jobs=args.jobs, processed_root=work / "processed",
                             reports_root=work / "reports", progress=lambda _: None)
        t_run = time.perf_counter() - start
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = len(report.outcomes)
    print(f"province written: {args.counties} counties in {t_write:.1f} s")
    print(f"batch, one year, all steps and reports: {t_run:.1f} s for {n} counties "
          f"({t_run / n:.1f} s per county; {len(report.failed())} failed)")
    per = sorted(o.seconds for o in report.outcomes)
    print(f"one county's run: min {per[0]:.1f} s, median {per[n // 2]:.1f} s, max {per[-1]:.1f} s")
    print(f"total / 6-minute target: {t_run / TARGET_S:.2f}")


if __name__ == "__main__":
    main()
