"""Timing of the sample county's full run against trivial notebooks run the same way (流水线基准).

Runs ``analysis.pipeline.run_year`` for the sample county (one year, into a temporary folder), then the same
number of trivial notebooks (import pandas and matplotlib, draw one chart) through papermill in the same
process with the same kernel, plus their HTML export, and prints both times and the ratio. Target ≤ 2×.
Never asserted. Run: ``.venv/bin/python benchmarks/pipeline.py [year]``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter

from analysis import config
from analysis.pipeline import notebook_paths, run_year

TRIVIAL = """import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
frame = pd.DataFrame({"x": range(10), "y": range(10)})
fig, ax = plt.subplots()
ax.plot(frame["x"], frame["y"])
frame.describe()"""


def trivial_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": config.KERNEL_NAME, "display_name": "trivial", "language": "python"},
                   "language_info": {"name": "python"}}
    nb.cells = [nbformat.v4.new_code_cell("county = 'x'", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(TRIVIAL)]
    nbformat.write(nb, path)
    return path


def main() -> None:
    year = int(sys.argv[1]) if len(sys.argv) > 1 else 2025
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        processed, reports = work / "processed", work / "reports"
        # history for the projection step: copy processed earlier years if a previous `make run` left them
        src = config.PROCESSED / "sample"
        if src.exists():
            for old in src.iterdir():
                if old.name.isdigit() and int(old.name) < year:
                    shutil.copytree(old, processed / "sample" / old.name)
        start = time.perf_counter()
        result = run_year("sample", year, processed_root=processed, reports_root=reports, progress=lambda _: None)
        t_run = time.perf_counter() - start
        count = len(notebook_paths())
        start = time.perf_counter()
        exporter = HTMLExporter()
        for i in range(count):
            path = trivial_notebook(work / f"trivial_{i}.ipynb")
            executed = pm.execute_notebook(str(path), str(work / f"out_{i}.ipynb"), parameters={"county": "y"},
                                           kernel_name=config.KERNEL_NAME, progress_bar=False)
            exporter.from_notebook_node(executed)
        t_trivial = time.perf_counter() - start
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"sample county {year}: {count} notebooks + reports in {t_run:.2f} s")
    for name, seconds in result.timings.items():
        print(f"  {name:<24}{seconds:.2f} s")
    print(f"{count} trivial notebooks (same kernel, papermill + nbconvert in-process): {t_trivial:.2f} s")
    print(f"ratio full run / trivial: {t_run / t_trivial:.2f}×   target ≤ 2×")


if __name__ == "__main__":
    main()
