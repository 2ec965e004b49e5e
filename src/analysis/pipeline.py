"""The pipeline runner (流水线): executes the numbered notebooks for a county and year with papermill.

Everything runs inside this one process (papermill and nbconvert through their Python APIs; one kernel per
notebook, named explicitly so a notebook's metadata never picks a kernel that a fresh machine lacks).
Outputs go to staging folders first; only when every notebook has succeeded are they swapped into
``data/processed/<county>/<year>/`` and ``reports/<county>/<year>/``. A failed run leaves earlier outputs
untouched and keeps what it produced (e.g. validation.csv) in ``<year>.failed/`` for the analyst.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from traitlets.config import Config

from analysis import config, io
from analysis.context import county_meta
from analysis.reading import sha256

PACKAGES = ("analysis", "pandas", "numpy", "scipy", "matplotlib", "papermill", "nbconvert", "nbclient",
            "openpyxl", "pandera", "PyYAML", "mplfonts")


class PipelineError(RuntimeError):
    """A notebook failed: names the notebook, the cell and the error."""


@dataclass
class RunResult:
    county: str
    year: int
    processed: Path
    reports: Path
    timings: dict[str, float] = field(default_factory=dict)
    executed: dict[str, nbformat.NotebookNode] = field(default_factory=dict)


def notebook_paths(notebooks_dir: Path | None = None, only: list[str] | None = None) -> list[Path]:
    """``notebooks/NN_*.ipynb`` in order; ``only`` keeps those whose number or name is listed."""
    paths = sorted((notebooks_dir or config.NOTEBOOKS).glob("[0-9][0-9]_*.ipynb"))
    if only:
        paths = [p for p in paths if p.stem[:2] in only or p.stem in only]
    return paths


def git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def input_hashes(raw_dir: Path) -> list[dict]:
    """Every raw file of the county-year (and the county's county.yaml) with its size and SHA-256."""
    files = sorted(p for p in raw_dir.iterdir() if p.is_file())
    meta = raw_dir.parent / "county.yaml"
    if meta.exists():
        files.insert(0, meta)
    return [{"path": str(p.relative_to(raw_dir.parent.parent)), "bytes": p.stat().st_size, "sha256": sha256(p)}
            for p in files]


def build_manifest(county: str, year: int, parameters: dict, raw_dir: Path, notebooks: list[Path]) -> dict:
    return {
        "county": county,
        "year": year,
        "parameters": {k: v for k, v in parameters.items() if not k.endswith(("_dir", "_root"))},
        "inputs": input_hashes(raw_dir),
        "notebooks": [p.name for p in notebooks],
        "versions": package_versions(),
        "git_commit": git_commit(config.PROJECT_ROOT),
        "kernel": config.KERNEL_NAME,
        # The only fields that change between identical runs:
        "run": {"started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "timings_s": {}},
    }


def _failed_cell(exc: Exception) -> str:
    cell = getattr(exc, "exec_count", None) or getattr(exc, "cell_index", "?")
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    return f"cell {cell}: {ename}: {evalue}"


def _swap(staging: Path, final: Path) -> None:
    """Replace ``final`` by ``staging`` with renames, so readers never see a half-written folder."""
    old = final.with_name(f".old-{final.name}")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    if old.exists():
        shutil.rmtree(old)


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def run_year(
    county: str,
    year: int,
    standards_profile: str = "",
    *,
    only: list[str] | None = None,
    raw_root: Path | None = None,
    processed_root: Path | None = None,
    reports_root: Path | None = None,
    notebooks_dir: Path | None = None,
    progress: Callable[[str], None] = print,
) -> RunResult:
    """Execute the numbered notebooks for one county and year; swap outputs in only on success."""
    import papermill as pm

    raw_root, processed_root = raw_root or config.RAW, processed_root or config.PROCESSED
    reports_root = reports_root or config.REPORTS
    raw = config.raw_dir(county, year, raw_root)
    if not raw.is_dir():
        raise PipelineError(f"raw data folder not found: {raw}")
    profile = standards_profile or county_meta(county, raw_root).get("standards_profile", "national")
    final_processed = config.processed_dir(county, year, processed_root)
    final_reports = config.reports_dir(county, year, reports_root)
    staging_processed = _fresh(final_processed.with_name(f".staging-{year}"))
    staging_reports = _fresh(final_reports.with_name(f".staging-{year}"))
    params = {"county": county, "year": int(year), "standards_profile": profile, "raw_dir": str(raw),
              "processed_dir": str(staging_processed), "reports_dir": str(staging_reports),
              "processed_root": str(processed_root)}
    notebooks = notebook_paths(notebooks_dir, only)
    if not notebooks:
        raise PipelineError("no notebooks to run")
    manifest = build_manifest(county, int(year), params, raw, notebooks)
    io.write_json(manifest, staging_reports / "run_manifest.json")
    result = RunResult(county, int(year), final_processed, final_reports)
    for i, nb_path in enumerate(notebooks, 1):
        start = time.perf_counter()
        progress(f"[{county} {year}] ({i}/{len(notebooks)}) {nb_path.name} ...")
        try:
            executed = _execute(pm, nb_path, staging_reports / nb_path.name, params)
        except Exception as exc:  # papermill wraps the kernel's error; name the notebook and cell
            failed = final_processed.with_name(f"{year}.failed")
            if failed.exists():
                shutil.rmtree(failed)
            staging_processed.rename(failed)
            shutil.copy2(staging_reports / nb_path.name, failed / nb_path.name) if (
                staging_reports / nb_path.name).exists() else None
            shutil.rmtree(staging_reports, ignore_errors=True)
            raise PipelineError(
                f"{nb_path.name} failed in {_failed_cell(exc)}\n"
                f"Earlier outputs in {final_processed} and {final_reports} are unchanged; this run's partial "
                f"outputs (validation.csv, the executed notebook) are in {failed}"
            ) from exc
        result.timings[nb_path.stem] = round(time.perf_counter() - start, 3)
        result.executed[nb_path.stem] = executed
        progress(f"[{county} {year}] ({i}/{len(notebooks)}) {nb_path.name} done in {result.timings[nb_path.stem]:.1f} s")
    manifest["run"]["timings_s"] = result.timings
    io.write_json(manifest, staging_reports / "run_manifest.json")
    try:
        _render(result.executed, manifest, staging_reports, progress)
    except Exception as exc:  # e.g. a chart that showed an error instead of a figure
        shutil.rmtree(staging_processed, ignore_errors=True)
        shutil.rmtree(staging_reports, ignore_errors=True)
        raise PipelineError(f"report rendering failed: {exc}\nEarlier outputs in {final_reports} are unchanged") from exc
    _swap(staging_processed, final_processed)
    _swap(staging_reports, final_reports)
    _write_index(reports_root, processed_root)
    return result


def _execute(pm, nb_path: Path, out_path: Path, params: dict):
    """One notebook through papermill with the project's kernel.

    The kernel talks to this process over Unix sockets in a private temporary folder (IPC) rather than loopback
    TCP: both run on the same machine, no port is opened, and ipykernel no longer warns about unencrypted TCP for
    every notebook. Windows has no IPC transport and keeps the default.
    """
    with tempfile.TemporaryDirectory(prefix="county-eval-") as sockets:
        kernel = {} if os.name == "nt" else {
            "config": Config({"KernelManager": {"transport": "ipc", "ip": str(Path(sockets) / "kernel")}})}
        return pm.execute_notebook(str(nb_path), str(out_path), parameters=params, kernel_name=config.KERNEL_NAME,
                                   progress_bar=False, cwd=str(nb_path.parent), log_output=False, **kernel)


def _render(executed: dict, manifest: dict, out_dir: Path, progress: Callable[[str], None]) -> None:
    """HTML of every executed notebook, the summary and the audit report (analysis.reporting)."""
    from analysis import reporting

    for path in reporting.render_reports(executed, manifest, out_dir):
        progress(f"  wrote {path.name}")


def _write_index(reports_root: Path, processed_root: Path) -> None:
    from analysis import reporting

    reporting.write_index(reports_root, processed_root)


def run(county: str, years: list[int], standards_profile: str = "", **kwargs) -> list[RunResult]:
    """Run several years in order (earlier years first, so trends see them)."""
    return [run_year(county, y, standards_profile, **kwargs) for y in sorted(years)]
