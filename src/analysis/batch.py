"""A province at once (全省批量评估): every county of a province folder, in parallel, on this machine or a Dask cluster.

``analysis batch data/raw/<province>/ --year 2025`` runs :func:`analysis.pipeline.run` for every county folder
found (a folder holding year folders), each county in its own worker process (default: all cores) or, with
``--scheduler tcp://host:port``, on the workers of an existing Dask distributed cluster (every worker must see the
same project folder and data paths). A county that fails is reported with its message; the others go on.
Outputs go to ``data/processed/<province>/<county>/<year>/`` and ``reports/<province>/<county>/<year>/``, and the
province page to ``reports/<province>/index.html``. The numbers are the same whichever way a county ran: each county
is one ordinary run of the pipeline.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from analysis import config, pipeline
from analysis.context import CountyError, check_county_name


@dataclass
class CountyOutcome:
    """What one county's run gave: ``status`` done / failed, the message of a failure, and its time."""

    county: str
    status: str
    seconds: float
    message: str = ""
    ran: int = 0
    skipped: int = 0
    published: list[int] = field(default_factory=list)


@dataclass
class BatchReport:
    province: str
    outcomes: list[CountyOutcome]
    seconds: float
    page: Path | None = None

    def failed(self) -> list[CountyOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def find_counties(province_dir: Path) -> list[str]:
    """County folders of a province: plain names holding at least one year folder (sorted)."""
    found = []
    for folder in sorted(Path(province_dir).iterdir()):
        if folder.is_dir() and not folder.name.startswith(".") and any(
                p.is_dir() and p.name.isdigit() for p in folder.iterdir()):
            found.append(folder.name)
    return found


def county_years(province_dir: Path, county: str, years: Iterable[int] | None) -> list[int]:
    """The requested years this county handed in (all its years when none are requested)."""
    have = sorted(int(p.name) for p in (Path(province_dir) / county).iterdir() if p.is_dir() and p.name.isdigit())
    return [y for y in have if years is None or y in set(years)]


def run_county(county: str, years: list[int], raw_root: str, processed_root: str, reports_root: str,
               profile: str = "", force: bool = False) -> CountyOutcome:
    """One county's ordinary pipeline run in this process (steps one after another, the kernel reused). Never
    raises: a failure comes back as its message, so that one county cannot stop the others."""
    start = time.perf_counter()
    pipeline.KEEP_KERNEL = True  # a batch worker runs county after county in the same kernel
    try:
        report = pipeline.run(county, years, profile, force=force, jobs=1, raw_root=Path(raw_root),
                              processed_root=Path(processed_root), reports_root=Path(reports_root),
                              progress=lambda _: None, index=False)
    except Exception as exc:  # PipelineError, CountyError, ProfileError, or anything unexpected: reported
        return CountyOutcome(county, "failed", round(time.perf_counter() - start, 1), str(exc).strip())
    return CountyOutcome(county, "done", round(time.perf_counter() - start, 1), ran=report.count("ran"),
                         skipped=report.count("skipped"), published=[r.year for r in report if r.published])


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60} 分 {seconds % 60:02d} 秒" if seconds >= 60 else f"{seconds} 秒"


def progress_line(done: int, running: int, failed: int, total: int, elapsed: float, workers: int) -> str:
    """``[████░░░░] 12/40 完成，2 运行中，1 失败，已用 1 分 20 秒，预计剩余 3 分 10 秒``."""
    width = 20
    filled = round(width * done / total) if total else width
    bar = "█" * filled + "░" * (width - filled)
    left = ""
    if 0 < done < total:
        per = elapsed / done * min(workers, total) if workers else elapsed / done
        left = f"，预计剩余 {_duration(per * (total - done) / max(1, min(workers, total)))}"
    return (f"[{bar}] {done}/{total} 完成（其中 {failed} 个失败），{running} 个运行中，"
            f"已用 {_duration(elapsed)}{left}")


def batch(province_dir: Path, years: Iterable[int] | None = None, *, jobs: int | None = None,
          scheduler: str | None = None, profile: str = "", force: bool = False,
          processed_root: Path | None = None, reports_root: Path | None = None,
          progress: Callable[[str], None] = print) -> BatchReport:
    """Run every county of ``province_dir`` for ``years``; write the province page; never stop at a failure."""
    from analysis.report import province as province_page

    started = time.perf_counter()
    province_dir = Path(province_dir)
    if not province_dir.is_dir():
        raise pipeline.PipelineError(f"找不到省（市）数据文件夹：{province_dir}")
    province = check_county_name(province_dir.resolve().name)
    processed_root = Path(processed_root or config.PROCESSED / province)
    reports_root = Path(reports_root or config.REPORTS / province)
    pipeline.check_roots(province_dir, processed_root, reports_root)
    counties = find_counties(province_dir)
    if not counties:
        raise pipeline.PipelineError(f"{province_dir} 下没有县文件夹（县/年份/原始文件）")
    tasks: dict[str, list[int]] = {}
    outcomes: dict[str, CountyOutcome] = {}
    for county in counties:
        try:
            check_county_name(county)
        except CountyError as exc:
            outcomes[county] = CountyOutcome(county, "failed", 0.0, str(exc))
            continue
        wanted = county_years(province_dir, county, years)
        if wanted:
            tasks[county] = wanted
        else:
            outcomes[county] = CountyOutcome(county, "failed", 0.0, f"没有 {'、'.join(map(str, years or []))} 年的数据")
    args = (str(province_dir), str(processed_root), str(reports_root), profile, force)
    total = len(counties)
    workers = max(1, jobs or os.cpu_count() or 1)

    def report_one(outcome: CountyOutcome, running: int) -> None:
        outcomes[outcome.county] = outcome
        word = {"done": "完成", "failed": "失败"}[outcome.status]
        detail = f"：{outcome.message.splitlines()[0]}" if outcome.message else (
            f"（运行 {outcome.ran} 步，跳过 {outcome.skipped} 步）")
        progress(f"  {outcome.county:<12} {word} {outcome.seconds:6.1f} s{detail}")
        n_failed = sum(o.status == "failed" for o in outcomes.values())
        progress(progress_line(len(outcomes), min(running, workers), n_failed, total, time.perf_counter() - started,
                               workers))

    progress(f"{province}：{total} 个县，{'Dask 集群 ' + scheduler if scheduler else f'{workers} 个并行进程'}")
    if scheduler:
        _run_on_dask(scheduler, tasks, args, report_one)
    else:
        _run_local(workers, tasks, args, report_one)
    page = province_page.write_province_page(reports_root, processed_root, province, sorted(
        {y for ys in tasks.values() for y in ys}))
    ordered = [outcomes[c] for c in counties]
    return BatchReport(province, ordered, round(time.perf_counter() - started, 1), page)


def _run_local(workers: int, tasks: dict[str, list[int]], args: tuple, report_one) -> None:
    if workers == 1:
        for county, years in tasks.items():
            report_one(run_county(county, years, *args), 0)
        pipeline.shutdown_kernel()
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=pipeline.worker_init) as pool:
        running = {pool.submit(run_county, county, years, *args): county for county, years in tasks.items()}
        while running:
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                running.pop(fut)
                report_one(fut.result(), len(running))


def _run_on_dask(scheduler: str, tasks: dict[str, list[int]], args: tuple, report_one) -> None:
    from distributed import Client, as_completed

    with Client(scheduler, timeout="30s") as client:
        futures = [client.submit(run_county, county, years, *args, key=f"county-eval-{county}", pure=False)
                   for county, years in tasks.items()]
        remaining = len(futures)
        for fut in as_completed(futures):
            remaining -= 1
            report_one(fut.result(), remaining)


def verdict_table(report: BatchReport, processed_root: Path, year: int | None) -> str:
    """The terminal table: county, name, verdict, failing items, and how its run went."""
    from analysis.report import province as province_page

    rows = province_page.county_rows(Path(processed_root), [o.county for o in report.outcomes], year)
    by_county = {r["county"]: r for r in rows}
    lines = [f"{'县':<12}{'名称':<10}{'结论':<10}{'未达标':>6}  运行"]
    for o in report.outcomes:
        r = by_county.get(o.county, {})
        state = "失败：" + o.message.splitlines()[0][:60] if o.status == "failed" else f"{o.seconds:.1f} s"
        lines.append(f"{o.county:<12}{str(r.get('name', '')):<10}{str(r.get('verdict', '—')):<10}"
                     f"{str(r.get('n_failing', '')):>6}  {state}")
    return "\n".join(lines)
