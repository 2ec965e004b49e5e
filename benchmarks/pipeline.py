"""Timings of the runner on the sample county (流水线基准), printed as ratios measured in the same run.

1. The five sample years from nothing (a fresh processed/reports root): target ≤ 90 s on a 2-core machine.
2. The same command again with nothing changed: target < 5 % of (1).
3. One county-year with all reports (2025, ``force``), against the same number of trivial notebooks run the same
   way (the same runner, reused kernels, the audit page rendered; both from new worker processes, as a fresh
   command starts them): target ≤ 1.5×.

Never asserted. Run: ``.venv/bin/python benchmarks/pipeline.py [--jobs N]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from analysis import config
from analysis.data import catalog
from analysis.pipeline import close_workers, run

YEARS = [2021, 2022, 2023, 2024, 2025]
TRIVIAL = """import pandas as pd
import matplotlib.pyplot as plt
frame = pd.DataFrame({"x": range(10), "y": range(10)})
fig, ax = plt.subplots()
ax.plot(frame["x"], frame["y"])
frame.describe()"""


def trivial_notebooks(folder: Path) -> Path:
    """One trivial notebook per catalog step, under the step's name (so the runner runs them as its steps)."""
    folder.mkdir(parents=True)
    for step in catalog.STEPS.values():
        nb = nbformat.v4.new_notebook()
        nb.metadata = {"kernelspec": {"name": config.KERNEL_NAME, "display_name": "trivial", "language": "python"},
                       "language_info": {"name": "python"}}
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {step.name}"),
                    nbformat.v4.new_code_cell("county = 'x'", metadata={"tags": ["parameters"]}),
                    nbformat.v4.new_code_cell(TRIVIAL)]
        nbformat.write(nb, folder / step.notebook)
    return folder


def timed(label: str, cold: bool = False, **kwargs) -> tuple[float, object]:
    if cold:  # as a fresh command would: worker processes and their kernels started by this run
        close_workers()
    start = time.perf_counter()
    report = run(progress=lambda _: None, **kwargs)
    seconds = time.perf_counter() - start
    print(f"{label:<58}{seconds:8.2f} s   ran {report.count('ran'):2d}, skipped {report.count('skipped'):2d}")
    return seconds, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        roots = {"processed_root": work / "processed", "reports_root": work / "reports"}
        first, _ = timed("1. five sample years from nothing", county="sample", years=YEARS, jobs=args.jobs, **roots)
        again, _ = timed("2. the same again, nothing changed", county="sample", years=YEARS, jobs=args.jobs, **roots)
        one, report = timed("3. one county-year (2025), all steps and reports, forced", cold=True, county="sample",
                            years=[2025], force=True, jobs=args.jobs, **roots)
        trivial_roots = {"processed_root": work / "t_processed", "reports_root": work / "t_reports"}
        base, _ = timed(f"   {len(catalog.STEPS)} trivial notebooks + reports, run the same way", cold=True,
                        county="sample",
                        years=[2025], notebooks_dir=trivial_notebooks(work / "trivial"), jobs=args.jobs,
                        **trivial_roots)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\nsteps of (3):")
    for node in report.nodes:
        print(f"  {node.step:<24}{node.seconds:7.2f} s")
    print(f"\n(1) five years: {first:.1f} s (target ≤ 90 s: {first / 90:.2f} of the target)")
    print(f"(2) unchanged rerun / (1): {again / first:.1%} (target < 5 %)")
    print(f"(3) one county-year / trivial notebooks: {one / base:.2f}× (target ≤ 1.5×)")


if __name__ == "__main__":
    main()
