"""The pipeline runner (流水线): the numbered notebooks of a county over one or more years, cached and parallel.

- **Graph.** Each year's steps come from the catalog (:data:`analysis.data.catalog.STEPS`): a step waits for the
  steps of the same year that write what it reads, and for those of every earlier year of the run when it reads
  their history (the projection of 2025 needs the indicators of 2021–2025).
- **Cache.** A step is skipped when the fingerprint of everything it depends on is the one recorded at its last
  successful run: its notebook, the package code, the standards profile, its parameters, the raw files (step 01)
  and the content of every dataset it reads. ``force=True`` reruns everything. (The way owid/etl decides what to
  rebuild: content hashes, not time stamps.)
- **Parallel.** Steps whose inputs are ready run at the same time in worker processes (default: all cores).
  Each worker keeps one started Jupyter kernel with one connected client and clears its namespace between
  notebooks (``%reset -f``, one round trip), so the imports are paid once per worker, not once per notebook. The
  workers start together when the first step runs (an unchanged rerun starts none), each loading the notebooks'
  imports into its kernel at once, and are kept for the next run of the same process while the package code is
  unchanged (:func:`worker_pool`).
- **Safe publication.** Outputs are written to staging folders that this run created; only when every step of
  a year has succeeded are they swapped into ``data/processed/<county>/<year>/`` and ``reports/<county>/<year>/``.
  A failed run leaves earlier outputs untouched and keeps its partial outputs in ``<year>.failed/``. One run at a
  time per county (a lock); raw data is never written, moved or deleted.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import errno
import hashlib
import importlib.metadata as md
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from analysis import config
from analysis.context import check_county_name, county_meta, resolve_profile
from analysis.data import catalog, files
from analysis.data.reading import InputFileError, earlier_year_folders, parts_in_folder, sha256, table_file

PACKAGES = ("analysis", "pandas", "numpy", "scipy", "matplotlib", "papermill", "nbconvert", "nbclient",
            "openpyxl", "pandera", "PyYAML", "mplfonts")
RENDER = "render"  # the node that writes summary.html and audit.html of a year
PART_ZH = {"compulsory": "义务教育", "preschool": "学前教育"}
OURS = ".county-eval"  # marker file in every folder this runner creates (and so may delete)
CELL_TIMEOUT_S = 900


class PipelineError(RuntimeError):
    """A run that could not be done: names the notebook, the cell and the error, or why it was refused."""


class RunLocked(PipelineError):
    """Another run of the same county holds the lock."""


@dataclass
class NodeResult:
    year: int
    step: str
    status: str  # ran / skipped / failed / blocked
    seconds: float = 0.0
    message: str = ""


@dataclass
class RunResult:
    county: str
    year: int
    processed: Path
    reports: Path
    published: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    steps: dict[str, str] = field(default_factory=dict)


@dataclass
class RunReport:
    """What a run did: one :class:`RunResult` per year and every node's outcome, in order."""

    county: str
    years: list[RunResult]
    nodes: list[NodeResult]
    seconds: float = 0.0

    def __iter__(self):
        return iter(self.years)

    def __len__(self) -> int:
        return len(self.years)

    def __getitem__(self, i: int) -> RunResult:
        return self.years[i]

    def count(self, status: str) -> int:
        return sum(n.status == status for n in self.nodes if n.step != RENDER)

    def table(self) -> str:
        """The final table: one line per year, the status of each step."""
        steps = list(catalog.STEPS)
        head = "年份  " + "  ".join(s[:2] for s in steps) + "  报告  用时(s)"
        lines = [head]
        symbol = {"ran": "运行", "skipped": "跳过", "failed": "失败", "blocked": "未运行"}
        for r in self.years:
            by_step = {n.step: n for n in self.nodes if n.year == r.year}
            cells = [symbol.get(by_step[s].status, "-") if s in by_step else "-" for s in [*steps, RENDER]]
            total = sum(n.seconds for n in by_step.values())
            lines.append(f"{r.year}  " + "  ".join(cells) + f"  {total:6.1f}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# Paths: what a county is, and where a run may write.


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def check_roots(raw_root: Path, processed_root: Path, reports_root: Path) -> None:
    """Outputs never go into the raw data folder (nor raw data into an output folder)."""
    for name, out in (("processed", processed_root), ("reports", reports_root)):
        if _inside(out, raw_root) or _inside(raw_root, out):
            raise PipelineError(f"输出目录 {out}（{name}）与原始数据目录 {raw_root} 重叠：拒绝运行，原始数据不能被覆盖")


def notebook_paths(notebooks_dir: Path | None = None, only: list[str] | None = None) -> list[Path]:
    """The catalog's notebooks in order; ``only`` keeps those whose number or name is listed."""
    folder = notebooks_dir or config.NOTEBOOKS
    paths = [folder / s.notebook for s in catalog.STEPS.values()]
    if only:
        unknown = [o for o in only if not any(p.stem[:2] == o or p.stem == o for p in paths)]
        if unknown:
            raise PipelineError(f"未知的步骤 {'、'.join(unknown)}；可选：" + "、".join(p.stem for p in paths))
        paths = [p for p in paths if p.stem[:2] in only or p.stem in only]
    return paths


# ---------------------------------------------------------------------------------------------------------
# Manifest facts.


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
    found = sorted(p for p in raw_dir.iterdir() if p.is_file()) if raw_dir.is_dir() else []
    meta = raw_dir.parent / catalog.COUNTY_META_FILE
    if meta.exists():
        found.insert(0, meta)
    return [{"path": str(p.relative_to(raw_dir.parent.parent)), "bytes": p.stat().st_size, "sha256": sha256(p)}
            for p in found]


def raw_history_files(raw_dir: Path, tables: Iterable[str]) -> list[Path]:
    """The files of ``tables`` in the earlier raw year folders beside ``raw_dir`` (``Step.raw_history``)."""
    found = []
    for earlier in earlier_year_folders(raw_dir):
        for table_id in tables:
            with contextlib.suppress(InputFileError):  # two files of one table: the step itself says so
                path = table_file(earlier, table_id)
                if path is not None:
                    found.append(path)
    return sorted(found)


def raw_history_hashes(raw_dir: Path, tables: Iterable[str]) -> dict[str, str]:
    """SHA-256 of the files of ``tables`` in the earlier raw year folders beside ``raw_dir`` (``<year>/<file>``)."""
    return {f"{p.parent.name}/{p.name}": sha256(p) for p in raw_history_files(raw_dir, tables)}


def earlier_input_hashes(raw_dir: Path) -> list[dict]:
    """The earlier year folders' files a step may read for this year (质量监测结果 of an earlier round), listed with
    the year's own inputs in the manifest and the audit (same fields as :func:`input_hashes`)."""
    tables = dict.fromkeys(t for s in catalog.STEPS.values() for t in s.raw_history)
    return [{"path": str(p.relative_to(raw_dir.parent.parent)), "bytes": p.stat().st_size, "sha256": sha256(p)}
            for p in raw_history_files(raw_dir, tables)]


def code_fingerprint() -> str:
    """SHA-256 over the package's own files (code, profiles, templates): a change reruns every step."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc"}:
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Folders this run owns.


def _own_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / OURS).touch()
    return path


def _remove_ours(path: Path) -> None:
    """Delete a folder only if this runner created it (it holds the marker)."""
    if path.is_dir() and (path / OURS).exists():
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def county_lock(processed_root: Path, county: str):
    """One run per county at a time: a second one is refused with the holder's pid and start time."""
    import fcntl

    folder = processed_root / county
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".lock"
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the duration of the run
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "另一个进程"
            raise RunLocked(f"{county} 正在由另一个运行处理（{holder}）；本次未运行、未发布任何结果。请等它结束后再运行。"
                            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}，开始于 {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC")
        handle.flush()
        yield
    finally:
        handle.close()


def _swap_in(staging: Path, final: Path) -> Path | None:
    """Move ``final`` aside (to ``.old-<name>``) and ``staging`` into its place; returns the old folder to drop, or
    ``None``. On a failed rename the previous folder is put back and the error re-raised."""
    old = final.with_name(f".old-{final.name}")
    _remove_ours(old)
    if old.exists():
        raise PipelineError(f"{old} 已存在且不是本程序创建的：请人工检查后删除；未发布任何结果")
    moved = final.exists()
    if moved:
        final.rename(old)
    try:
        staging.rename(final)
    except OSError:
        if moved:
            old.rename(final)
        raise
    return old if moved else None


def _swap_back(staging: Path, final: Path, old: Path | None) -> None:
    """Undo :func:`_swap_in` (the other folder of the same year could not be published)."""
    final.rename(staging)
    if old is not None:
        old.rename(final)


def _drop_old(old: Path | None) -> None:
    if old is not None:
        (old / OURS).touch()
        _remove_ours(old)


def _check_writable(folder: Path) -> None:
    probe = folder / f".write-test-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise PipelineError(f"无法写入 {folder}（{exc.strerror}）；未发布任何结果，原有结果不变") from None


# ---------------------------------------------------------------------------------------------------------
# Executing one notebook in a reused kernel.

_KERNEL: dict[str, Any] = {}
KEEP_KERNEL = False  # a batch worker keeps its kernel from one county's run to the next


def _kernel():
    """This process's kernel and its one client, started once (IPC transport: Unix sockets in a private folder,
    no TCP port). The client stays connected from one notebook to the next: connecting a client and waiting for
    the kernel to answer costs about 0.4 s, more than a small notebook itself."""
    from jupyter_client.manager import KernelManager

    km, kc = _KERNEL.get("km"), _KERNEL.get("kc")
    if km is not None and kc is not None and km.is_alive():
        return km, kc
    shutdown_kernel()
    sockets = tempfile.mkdtemp(prefix="county-eval-")
    kwargs = {} if os.name == "nt" else {"transport": "ipc", "ip": str(Path(sockets) / "kernel")}
    km = KernelManager(kernel_name=config.KERNEL_NAME, **kwargs)
    km.start_kernel(cwd=str(config.NOTEBOOKS))
    _KERNEL.update(km=km, sockets=sockets)  # from here on, shutdown_kernel() cleans up whatever follows fails
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    kc.allow_stdin = False
    if not _KERNEL.get("atexit"):
        atexit.register(shutdown_kernel)  # e.g. a Dask worker that ends: its kernel and sockets go with it
    _KERNEL.update(kc=kc, atexit=True)
    return km, kc


def shutdown_kernel() -> None:
    """Stop this process's kernel (if any) and remove its socket folder."""
    kc = _KERNEL.pop("kc", None)
    if kc is not None:
        with contextlib.suppress(Exception):
            kc.stop_channels()
    km = _KERNEL.pop("km", None)
    if km is not None:
        with contextlib.suppress(Exception):
            km.shutdown_kernel(now=True)
        with contextlib.suppress(Exception):
            km.cleanup_resources()
    sockets = _KERNEL.pop("sockets", None)
    if sockets:
        shutil.rmtree(sockets, ignore_errors=True)


# Between notebooks: figures are closed and the variables of the previous notebook are gone (modules stay imported).
RESET_CODE = ("import sys as _s\n_p = _s.modules.get('matplotlib.pyplot')\nif _p is not None:\n    _p.close('all')\n"
              "%reset -f")


def _reset_namespace(kc) -> None:
    """Clear the kernel's namespace through the connected client (one round trip, no new connection)."""
    reply = kc.execute_interactive(RESET_CODE, timeout=60, output_hook=lambda _msg: None, stop_on_error=True)
    if reply["content"].get("status") != "ok":
        raise RuntimeError(f"内核无法清空变量：{reply['content'].get('evalue', '')}")


def _failed_cell(nb) -> str:
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"cell {cell.get('execution_count') or i}: {out.get('ename', '')}: {out.get('evalue', '')}"
    return "cell ?"


def _renumber(nb) -> None:
    """Execution counts 1, 2, … per notebook, whatever ran before in the reused kernel (stable pages)."""
    n = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            if cell.get("execution_count") is None:
                continue
            n += 1
            cell.execution_count = n
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = n


def execute_notebook(nb_path: Path, out_path: Path, params: dict) -> tuple[bool, float, str]:
    """Run one notebook with ``params`` injected (papermill's parameter cell) in this process's kernel; write the
    executed notebook to ``out_path`` even when it fails. Returns ``(ok, seconds, error)``."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    start = time.perf_counter()
    nb = load_notebook_node(str(nb_path))  # as papermill reads it: every cell has metadata.tags
    nb = parameterize_notebook(nb, params, kernel_name=config.KERNEL_NAME, language="python")
    nb.metadata["papermill"] = {"input_path": str(nb_path), "output_path": str(out_path), "parameters": params}
    error = ""
    try:
        km, kc = _kernel()
        _reset_namespace(kc)
        client = NotebookClient(nb, km=km, kernel_name=config.KERNEL_NAME, timeout=CELL_TIMEOUT_S,
                                allow_errors=False, record_timing=False,
                                resources={"metadata": {"path": str(nb_path.parent)}})
        client.kc = kc  # the connected client: nbclient then neither connects nor waits for the kernel again
        client.execute()
    except CellExecutionError:
        error = _failed_cell(nb)
    except DeadKernelError as exc:
        error = f"内核意外退出（{exc}）"
        shutdown_kernel()
    except Exception as exc:  # a timeout, a kernel that does not start: named, never a bare traceback
        error = f"{type(exc).__name__}: {exc}"
    _renumber(nb)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_path)
    return not error, round(time.perf_counter() - start, 3), error


def render_year(reports_dir: Path, manifest: dict, notebooks: list[str]) -> tuple[bool, float, str]:
    """summary.html and audit.html of one year from its executed notebooks (analysis.report.render)."""
    from analysis.report.render import render_reports

    start = time.perf_counter()
    try:
        executed = {Path(n).stem: nbformat.read(reports_dir / n, as_version=4) for n in notebooks
                    if (reports_dir / n).exists()}
        render_reports(executed, manifest, reports_dir)
    except Exception as exc:  # e.g. a chart that showed an error instead of a figure
        return False, round(time.perf_counter() - start, 3), f"报告生成失败：{exc}"
    return True, round(time.perf_counter() - start, 3), ""


def notebook_imports(notebooks_dir: Path | None = None) -> list[str]:
    """The import statements of the notebooks' code cells, each once, in order (what a warm kernel has loaded)."""
    import ast

    found: dict[str, None] = {}
    for path in notebook_paths(notebooks_dir):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:  # IPython syntax (a magic): the notebook itself says what is wrong
                continue
            found.update((ast.unparse(n), None) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom))
    return list(found)


def warm_kernel(notebooks_dir: Path | None = None) -> None:
    """Start this process's kernel and load the modules the notebooks import, before any notebook is run: a
    worker does this while the first steps run elsewhere, instead of paying it inside its first notebook. Only
    modules are loaded (inside a function, then the namespace is reset): no notebook depends on it, each still
    imports what it uses. Nothing here may fail a worker: a kernel that cannot start, or a notebook that cannot
    be read, is left to the step that needs it to report."""
    with contextlib.suppress(Exception):
        lines = "".join(f"    try:\n        {stmt}\n    except Exception:\n        pass\n"
                        for stmt in notebook_imports(notebooks_dir))
        _, kc = _kernel()
        # gc.freeze: the loaded modules' objects are left out of every later full collection (they live as long
        # as the kernel), which the large frames and figures of a notebook would otherwise set off again and again
        kc.execute_interactive(f"def _warm():\n{lines or '    pass'}\n_warm()\n%reset -f\nimport gc\ngc.freeze()",
                               timeout=CELL_TIMEOUT_S, output_hook=lambda _msg: None)


def worker_init(notebooks_dir: str | None = None, warm: bool = False) -> None:
    """Initializer of a worker process: its kernel is shut down when it exits; with ``warm``, started now."""
    import multiprocessing.util

    multiprocessing.util.Finalize(None, shutdown_kernel, exitpriority=10)
    if warm:
        warm_kernel(Path(notebooks_dir) if notebooks_dir else None)


def _noop() -> None:
    """A task that only makes the pool start a worker (see :func:`worker_pool`)."""


_POOL: dict[str, Any] = {}


def worker_pool(n_jobs: int, notebooks_dir: Path | None = None, code: str = "") -> ProcessPoolExecutor:
    """``n_jobs`` worker processes, all started at once and each warming its kernel (:func:`warm_kernel`); the
    pool would otherwise start a worker only when a task finds none idle.

    The pool is kept for the next run of this process (tests, benchmarks, a notebook calling ``run`` again),
    so its kernels are started once, and replaced when the package code (``code``, its fingerprint), the
    notebooks folder or the number of workers differ: a kernel never runs a step with modules of older code."""
    import multiprocessing

    key = (n_jobs, str(notebooks_dir or ""), code)
    pool = _POOL.get("pool")
    if pool is not None and _POOL.get("key") == key and not getattr(pool, "_broken", False):
        return pool
    close_workers()
    pool = ProcessPoolExecutor(max_workers=n_jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=worker_init, initargs=(str(notebooks_dir or ""), True))
    for _ in range(n_jobs):  # each submit finds no idle worker and starts one
        pool.submit(_noop)
    if not _POOL:
        atexit.register(close_workers)
    _POOL.update(pool=pool, key=key)
    return pool


def close_workers() -> None:
    """Stop the kept worker processes (their kernels stop with them)."""
    pool = _POOL.pop("pool", None)
    _POOL.pop("key", None)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


_RENDER_READY: dict[str, bool] = {}


def _warm_render(notebooks_dir: Path | None) -> None:
    """Rendering's start-up in this process, once (see :func:`analysis.report.render.warm_up`); never fails a run:
    the first report then pays it itself."""
    if _RENDER_READY.get("done"):
        return
    with contextlib.suppress(Exception):
        from analysis.report.render import warm_up

        warm_up(notebooks_dir)
        _RENDER_READY["done"] = True


def _work(kind: str, *args) -> tuple[bool, float, str]:
    try:
        return execute_notebook(*args) if kind == "notebook" else render_year(*args)
    except Exception as exc:  # never lose the message to a pickling error in the pool
        return False, 0.0, f"{type(exc).__name__}: {exc}"


class _Inline:
    """The pool's interface, in this process (jobs=1): simpler to debug, and the kernel is reused all the same."""

    def submit(self, fn, *args) -> Future:
        fut: Future = Future()
        fut.set_result(fn(*args))
        return fut

    def shutdown(self, wait: bool = True) -> None:
        if not KEEP_KERNEL:
            shutdown_kernel()


# ---------------------------------------------------------------------------------------------------------
# The run.


@dataclass
class _Year:
    year: int
    raw: Path
    final_processed: Path
    final_reports: Path
    staging_processed: Path
    staging_reports: Path
    previous: dict  # the published manifest (its step records decide what is unchanged)
    staged: bool = False
    failed: bool = False

    def processed(self) -> Path:
        return self.staging_processed if self.staged else self.final_processed

    def reports(self) -> Path:
        return self.staging_reports if self.staged else self.final_reports


def _copy_tree(src: Path, dst: Path) -> None:
    if src.is_dir():
        for p in src.iterdir():
            if p.is_file() and p.name != OURS:
                shutil.copy2(p, dst / p.name)


def _file_hash(path: Path) -> str | None:
    return sha256(path) if path.is_file() else None


def run(
    county: str,
    years: Iterable[int],
    standards_profile: str = "",
    *,
    force: bool = False,
    jobs: int | None = None,
    only: list[str] | None = None,
    raw_root: Path | None = None,
    processed_root: Path | None = None,
    reports_root: Path | None = None,
    notebooks_dir: Path | None = None,
    progress: Callable[[str], None] = print,
    index: bool = True,
) -> RunReport:
    """Run the steps of ``county`` for ``years``: skip what is unchanged, run the rest in parallel, publish each
    year whose steps all succeeded (and, with ``index``, refresh ``reports/index.html``). Raises
    :class:`PipelineError` (after publishing the years that succeeded) when a step failed."""
    started = time.perf_counter()
    check_county_name(county)
    raw_root = Path(raw_root or config.RAW)
    processed_root = Path(processed_root or config.PROCESSED)
    reports_root = Path(reports_root or config.REPORTS)
    check_roots(raw_root, processed_root, reports_root)
    years = sorted({int(y) for y in years})
    if not years:
        raise PipelineError("没有要运行的年份")
    meta = county_meta(county, raw_root)
    profile_name = str(standards_profile or meta.get("standards_profile", "national"))
    profile = resolve_profile(profile_name, county, raw_root)  # refused here, before any notebook runs
    for y in years:
        if not config.raw_dir(county, y, raw_root).is_dir():
            raise PipelineError(f"找不到原始数据文件夹：{config.raw_dir(county, y, raw_root)}")
    notebooks = notebook_paths(notebooks_dir, only)
    selected = {p.stem for p in notebook_paths(notebooks_dir)} if not only else {p.stem for p in notebooks}
    with county_lock(processed_root, county):
        return _run_locked(county, years, profile_name, profile, meta, force, jobs, selected,
                           raw_root, processed_root, reports_root, notebooks_dir or config.NOTEBOOKS, progress,
                           started, index)


def _run_locked(county, years, profile_name, profile, meta, force, jobs, selected, raw_root, processed_root,
                reports_root, notebooks_dir, progress, started, index) -> RunReport:
    token = f".staging-{os.getpid()}-{int(time.time() * 1000) % 10**8}"
    stage_p = processed_root / county / token
    stage_r = reports_root / county / token
    for root in (processed_root / county, reports_root / county):  # left by a killed run (we hold the lock)
        for old in root.glob(".staging-*") if root.is_dir() else []:
            _remove_ours(old)
    code = code_fingerprint()
    profile_hash = _digest(profile)
    county_yaml = _file_hash(raw_root / county / catalog.COUNTY_META_FILE)
    state: dict[int, _Year] = {}
    for y in years:
        final_r = config.reports_dir(county, y, reports_root)
        previous = {}
        with contextlib.suppress(OSError, ValueError):
            previous = files.read_json(final_r / catalog.MANIFEST_FILE)
        state[y] = _Year(y, config.raw_dir(county, y, raw_root), config.processed_dir(county, y, processed_root),
                         final_r, stage_p / str(y), stage_r / str(y), previous if isinstance(previous, dict) else {})

    steps = list(catalog.STEPS.values())
    nodes: list[tuple[int, str]] = [(y, s.name) for y in years for s in steps] + [(y, RENDER) for y in years]

    def deps(node: tuple[int, str]) -> list[tuple[int, str]]:
        y, name = node
        if name == RENDER:
            return [(y, s.name) for s in steps]
        step = catalog.STEPS[name]
        out = {(y, catalog.producer(d)) for d in step.inputs}
        out |= {(yy, catalog.producer(d)) for d in step.history for yy in years if yy <= y}
        out.discard(node)
        return sorted(out)

    def folder_of(y: int) -> Path:
        return state[y].processed() if y in state else config.processed_dir(county, y, processed_root)

    def history_years(y: int) -> list[int]:
        found = {y}
        base = processed_root / county
        if base.is_dir():
            found |= {int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit() and int(p.name) < y}
        found |= {yy for yy in years if yy < y}
        return sorted(found)

    def fingerprint(node: tuple[int, str]) -> str:
        y, name = node
        step = catalog.STEPS[name]
        parts: dict[str, Any] = {
            "step": name, "notebook": _file_hash(notebooks_dir / step.notebook), "code": code,
            "profile": profile_hash, "params": [county, y, profile_name], "county_yaml": county_yaml,
            "inputs": {d: _file_hash(folder_of(y) / catalog.dataset(d).file) for d in step.inputs},
            "history": {f"{d}/{yy}": _file_hash(folder_of(yy) / catalog.dataset(d).file)
                        for d in step.history for yy in history_years(y)},
        }
        if step.raw:
            parts["raw"] = [(i["path"], i["sha256"]) for i in input_hashes(state[y].raw)]
        if step.raw_history:  # earlier raw year folders the step may read (ctx.load_history(name, raw=True))
            parts["raw_history"] = raw_history_hashes(state[y].raw, step.raw_history)
        return _digest(parts)

    def outputs_present(y: int, name: str) -> bool:
        st = state[y]
        step = catalog.STEPS[name]
        if not (st.reports() / step.notebook).exists():
            return False
        needed = [d for d in step.outputs if not catalog.dataset(d).optional]
        return all(((st.reports() if catalog.dataset(d).where == "reports" else st.processed())
                    / catalog.dataset(d).file).exists() for d in needed)

    def stage(y: int) -> None:
        st = state[y]
        if st.staged:
            return
        _own_dir(stage_p)
        _own_dir(stage_r)
        _own_dir(st.staging_processed)
        _own_dir(st.staging_reports)
        _copy_tree(st.final_processed, st.staging_processed)
        _copy_tree(st.final_reports, st.staging_reports)
        st.staged = True

    def clear_outputs(y: int, name: str) -> None:
        st = state[y]
        step = catalog.STEPS[name]
        for d in step.outputs:
            ds = catalog.dataset(d)
            (st.staging_reports if ds.where == "reports" else st.staging_processed).joinpath(ds.file).unlink(
                missing_ok=True)
        (st.staging_reports / step.notebook).unlink(missing_ok=True)

    def params_of(y: int) -> dict:
        st = state[y]
        return {"county": county, "year": y, "standards_profile": profile_name, "raw_dir": str(st.raw),
                "processed_dir": str(st.staging_processed), "reports_dir": str(st.staging_reports),
                "processed_root": str(processed_root)}

    step_parts: dict[int, list[str]] = {}

    def parts_steps(y: int) -> list[str]:
        """The steps of the parts (义务教育, 学前教育) this county-year hands in; a folder that is not readable
        keeps every step, so that step 01 reports why."""
        if y not in step_parts:
            try:
                step_parts[y] = catalog.part_steps(parts_in_folder(state[y].raw) or ["compulsory"])
            except Exception:  # reported by step 01 with file, sheet, row and column
                step_parts[y] = list(catalog.STEPS)
        return step_parts[y]

    results: dict[tuple[int, str], NodeResult] = {}
    fingerprints: dict[tuple[int, str], str] = {}
    record: dict[tuple[int, str], dict] = {}
    n_jobs = max(1, jobs or os.cpu_count() or 1)
    pools: list[Any] = []  # made when the first step runs: an unchanged rerun starts no worker

    def submit(kind: str, *args: Any) -> Future:
        """A notebook to a worker, a report to the render thread (``kind`` as for :func:`_work`)."""
        if not pools:
            pools.append(_Inline() if n_jobs == 1 else worker_pool(n_jobs, notebooks_dir, code))
            if n_jobs > 1:
                # the reports are rendered by one thread of this process, which waits for the workers anyway:
                # it gets ready (templates, formulas, font) while the first steps run
                pools.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="render"))
                pools[1].submit(_warm_render, notebooks_dir)
        return (pools[1] if kind == "render" and len(pools) > 1 else pools[0]).submit(_work, kind, *args)

    running: dict[Future, tuple[int, str]] = {}
    pending = list(nodes)

    def say(y: int, name: str, text: str) -> None:
        progress(f"[{county} {y}] {name:<22} {text}")

    def finish(node, res: NodeResult) -> None:
        results[node] = res
        y, name = node
        if res.status == "failed":
            state[y].failed = True
            say(y, name, f"失败（{res.seconds:.1f} s）：{res.message.splitlines()[0] if res.message else ''}")
        elif res.status == "ran":
            say(y, name, f"完成（{res.seconds:.1f} s）")
        elif res.status == "skipped":
            say(y, name, "跳过（输入、参数和代码均未变化）" if not res.message else f"跳过（{res.message}）")
        else:
            say(y, name, f"未运行：{res.message}")

    try:
        while pending or running:
            progressed = False
            for node in list(pending):
                y, name = node
                dep = deps(node)
                if any(d in pending or any(d == r for r in running.values()) for d in dep):
                    continue
                pending.remove(node)
                progressed = True
                bad = [d for d in dep if results[d].status in ("failed", "blocked")]
                if bad:
                    finish(node, NodeResult(y, name, "blocked", message=f"依赖的步骤 {bad[0][1]}（{bad[0][0]} 年）未成功"))
                    continue
                if name == RENDER:
                    ran = any(results[d].status == "ran" for d in dep)
                    have = all((state[y].reports() / f).exists() for f in (catalog.SUMMARY_FILE, catalog.AUDIT_FILE))
                    if not ran and have:
                        finish(node, NodeResult(y, name, "skipped"))
                        continue
                    stage(y)
                    manifest = _year_manifest(county, y, meta, profile_name, profile, state[y], record, results)
                    files.write_json(manifest, state[y].staging_reports / catalog.MANIFEST_FILE)
                    say(y, name, "开始")
                    running[submit("render", state[y].staging_reports, manifest,
                                   [s.notebook for s in steps])] = node
                    continue
                fp = fingerprint(node)
                fingerprints[node] = fp
                previous = (state[y].previous.get("steps") or {}).get(name) or {}
                if name not in parts_steps(y):  # e.g. the compulsory steps of a county that handed in preschool only
                    finish(node, NodeResult(y, name, "skipped", message=f"未提供{PART_ZH.get(catalog.STEPS[name].part, '')}数据"))
                    continue
                if name not in selected:  # --notebooks: earlier results (if any) stay as they are
                    record[node] = previous
                    finish(node, NodeResult(y, name, "skipped", message="本次未选择该步骤"))
                    continue
                if not force and previous.get("fingerprint") == fp and outputs_present(y, name):
                    record[node] = previous
                    finish(node, NodeResult(y, name, "skipped"))
                    continue
                stage(y)
                clear_outputs(y, name)
                step = catalog.STEPS[name]
                say(y, name, "开始")
                running[submit("notebook", notebooks_dir / step.notebook,
                               state[y].staging_reports / step.notebook, params_of(y))] = node
            if running and not progressed:
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in done:
                    node = running.pop(fut)
                    ok, seconds, error = fut.result()
                    y, name = node
                    if ok and name != RENDER:
                        record[node] = {"fingerprint": fingerprints[node], "seconds": seconds,
                                        "ran_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
                    finish(node, NodeResult(y, name, "ran" if ok else "failed", seconds, error))
            elif not running and not progressed and pending:  # pragma: no cover - a cycle in the catalog
                raise PipelineError(f"步骤依赖无法满足：{pending}")
    except BaseException:  # interrupted or a worker died: no step may go on writing into the staging folders
        if pools and not isinstance(pools[0], _Inline):
            close_workers()
        raise
    finally:
        if pools and isinstance(pools[0], _Inline):
            pools[0].shutdown()
        for extra in pools[1:]:
            extra.shutdown(wait=True, cancel_futures=True)

    report = RunReport(county, [], [results[n] for n in nodes if n in results])
    failures = []
    for y in years:
        st = state[y]
        res = RunResult(county, y, st.final_processed, st.final_reports)
        res.steps = {n.step: n.status for n in report.nodes if n.year == y}
        res.timings = {n.step: n.seconds for n in report.nodes if n.year == y and n.status == "ran"}
        report.years.append(res)
        if st.failed or any(s == "blocked" for s in res.steps.values()):
            failures.append((y, [n for n in report.nodes if n.year == y and n.status in ("failed", "blocked")]))
            if st.staged:
                _keep_failed(st)
            continue
        if st.staged:
            try:
                _publish(st)
                res.published = True
            except PipelineError as exc:
                failures.append((y, [NodeResult(y, RENDER, "failed", 0.0, str(exc))]))
                _keep_failed(st)
    with contextlib.suppress(OSError):
        _remove_ours(stage_p)
        _remove_ours(stage_r)
    if index and any(r.published for r in report.years):
        try:
            _write_index(reports_root, processed_root)
        except OSError as exc:  # the year is published; only the list of reports could not be refreshed
            progress(f"提示：未能更新报告索引（{exc}）；各年报告已发布")
    report.seconds = round(time.perf_counter() - started, 1)
    if failures:
        lines = []
        for y, bad in failures:
            first = next((n for n in bad if n.status == "failed"), bad[0])
            nb = catalog.STEPS[first.step].notebook if first.step in catalog.STEPS else first.step
            kept = state[y].final_processed.with_name(f"{y}.failed")
            lines.append(f"{y} 年：{nb} failed in {first.message}" if first.status == "failed"
                         else f"{y} 年：{first.step} 未运行（{first.message}）")
            lines.append(f"  Earlier outputs in {state[y].final_processed} and {state[y].final_reports} are unchanged"
                         + (f"; this run's partial outputs ({catalog.dataset('validation').file}, the executed "
                            f"notebook) are in {kept}"
                            if kept.exists() else ""))
        published = [str(r.year) for r in report.years if r.published]
        if published:
            lines.append(f"已发布的年份：{'、'.join(published)}")
        err = PipelineError("\n".join(lines))
        err.report = report  # type: ignore[attr-defined]
        raise err
    return report


def _year_manifest(county, y, meta, profile_name, profile, st: _Year, record, results) -> dict:
    steps = {name: rec for (yy, name), rec in record.items() if yy == y and rec}
    return {
        "county": county,
        "county_name": meta.get("name", county),
        "year": y,
        "parameters": {"county": county, "year": y, "standards_profile": profile_name},
        "standards": {"name": profile.get("name", profile_name), "title": profile.get("title", "")},
        "inputs": input_hashes(st.raw) + earlier_input_hashes(st.raw),
        "notebooks": [s.notebook for s in catalog.STEPS.values()],
        "versions": package_versions(),
        "git_commit": git_commit(config.PROJECT_ROOT),
        "kernel": config.KERNEL_NAME,
        "steps": dict(sorted(steps.items())),
        # The only fields that change between identical runs:
        "run": {"started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "timings_s": {name: r.seconds for (yy, name), r in results.items() if yy == y and r.status == "ran"}},
    }


def _publish(st: _Year) -> None:
    """Swap the staged year in (processed, then reports); nothing is published if either parent is not writable."""
    for final in (st.final_processed, st.final_reports):
        _check_writable(final.parent)
    for path in (st.staging_processed, st.staging_reports):
        (path / OURS).unlink(missing_ok=True)
    try:
        old_p = _swap_in(st.staging_processed, st.final_processed)
    except OSError as exc:
        raise PipelineError(f"无法发布 {st.final_processed}（{exc.strerror}）；未发布任何结果，原有结果不变") from None
    try:
        old_r = _swap_in(st.staging_reports, st.final_reports)
    except (OSError, PipelineError) as exc:  # put the processed folder back: a year is published whole or not at all
        _swap_back(st.staging_processed, st.final_processed, old_p)
        raise PipelineError(f"无法发布 {st.final_reports}（{getattr(exc, 'strerror', exc)}）；{st.year} 年未发布，"
                            "原有结果不变") from None
    _drop_old(old_p)
    _drop_old(old_r)


def _keep_failed(st: _Year) -> None:
    """Move the failed year's partial outputs to ``<year>.failed/`` (processed outputs and the failing notebook);
    if even that fails (a full disk), drop them: earlier outputs stay untouched either way."""
    failed = st.final_processed.with_name(f"{st.year}.failed")
    try:
        _remove_ours(failed)
        if failed.exists():
            failed = failed.with_name(f"{st.year}.failed-{os.getpid()}")
        st.staging_processed.rename(failed)
        for nb in sorted(st.staging_reports.glob("*.ipynb")):
            shutil.copy2(nb, failed / nb.name)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS, errno.ENOENT):
            raise
        _remove_ours(failed)
    finally:
        _remove_ours(st.staging_processed)
        _remove_ours(st.staging_reports)


def _write_index(reports_root: Path, processed_root: Path) -> None:
    from analysis.report.index import write_index

    write_index(reports_root, processed_root)


def run_year(county: str, year: int, standards_profile: str = "", **kwargs) -> RunResult:
    """One county-year (see :func:`run`)."""
    return run(county, [year], standards_profile, **kwargs).years[0]
