"""The runner: notebook hygiene, the catalog, caching, parallel steps, atomic publication, refusals."""

import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from rawfactory import make_county, school_row, teacher_row, write_xlsx

from analysis import config, pipeline
from analysis.context import CountyError
from analysis.data import catalog
from analysis.pipeline import PipelineError, RunLocked, notebook_paths, run, run_year
from analysis.standards import ProfileError

PARAMETERS = {"county", "year", "standards_profile", "raw_dir", "processed_dir", "reports_dir", "processed_root"}
SRC = Path(pipeline.__file__).resolve().parent


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.name)
def test_notebook_hygiene(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "papermill only warns when the parameters cell is missing: exactly one is required"
    names = {line.split("=")[0].strip() for line in tagged[0].source.splitlines() if "=" in line}
    assert names == PARAMETERS
    assert nb.metadata["kernelspec"]["name"] == config.KERNEL_NAME
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, "commit notebooks without outputs"
            assert "def " not in cell.source and "class " not in cell.source, "logic belongs in src/analysis"


def test_notebooks_are_the_catalog_steps_in_order():
    assert [p.name for p in notebook_paths()] == [s.notebook for s in catalog.STEPS.values()]
    assert sorted(p.name for p in config.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) == [p.name for p in notebook_paths()]
    catalog.check_catalog()


def _code_strings(source: str) -> list[str]:
    """String constants of Python code, docstrings left out (they may describe a file to the reader)."""
    tree = ast.parse(source)
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docs]


def test_the_catalog_is_the_only_place_a_file_name_appears():
    names = {d.file for d in catalog.DATASETS.values()} | {
        catalog.MANIFEST_FILE, catalog.SUMMARY_FILE, catalog.AUDIT_FILE, catalog.INDEX_FILE, catalog.STATE_FILE}
    found = []
    sources = {p: p.read_text(encoding="utf-8") for p in SRC.rglob("*.py") if p.name != "catalog.py"}
    for nb_path in notebook_paths():
        nb = nbformat.read(nb_path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                sources[Path(f"{nb_path.name}#cell{i}")] = cell.source
    for path, source in sources.items():
        for text in _code_strings(source):
            found += [f"{path}: {name!r} in {text[:60]!r}" for name in names if name in text]
    assert not found, "file names outside data/catalog.py:\n" + "\n".join(found)


def test_catalog_read_and_write_round_trip(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"school_code": ["0012"], "name": ["=HYPERLINK(\"x\")"]})
    catalog.write(tmp_path, "excluded_schools", frame)
    back = catalog.read(tmp_path, "excluded_schools")
    assert back["school_code"].tolist() == ["0012"] and back["name"].tolist() == ["'=HYPERLINK(\"x\")"]
    with pytest.raises(FileNotFoundError, match="由步骤 03_variation"):
        catalog.read(tmp_path, "cv")
    assert catalog.loader(tmp_path)("classes") is None  # optional dataset: absent is None
    with pytest.raises(KeyError, match="数据目录中没有"):
        catalog.dataset("cv.csv")


# ------------------------------------------------------------------------------------------------- a demo county
def _demo(root: Path, years=(2025,)) -> Path:
    for k, year in enumerate(years):
        schools = [school_row(f"50010000{i:02d}", f"小学{i}", primary=300 + 37 * i + 5 * k) for i in range(6)]
        schools.append(school_row("5001000100", "城关中学", "初级中学", primary=0, junior=900))
        teachers = [teacher_row(f"50010000{i:02d}", n=300 + 37 * i, 县级及以上骨干教师数=i + 1) for i in range(6)]
        teachers.append(teacher_row("5001000100", "初中", 900))
        make_county(root / "raw" / "demo" / str(year), schools=schools, teachers=teachers)
    return root / "raw" / "demo"


def _roots(root: Path) -> dict:
    return {"raw_root": root / "raw", "processed_root": root / "processed", "reports_root": root / "reports"}


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every published file (the runner's own lock file left out)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def _statuses(report) -> dict[tuple[int, str], str]:
    return {(n.year, n.step): n.status for n in report.nodes}


def _changed_steps(year: int, before: dict[str, bytes], after: dict[str, bytes], years: tuple[int, ...]) -> set[str]:
    """Steps of ``year`` whose declared inputs (this year) or history (this and earlier years) changed content
    between two snapshots of the processed folder: by the catalog, exactly the steps the cache must rerun."""
    def changed(d: str, y: int) -> bool:
        key = f"{y}/{catalog.dataset(d).file}"
        return before.get(key) != after.get(key)

    return {s.name for s in catalog.STEPS.values()
            if any(changed(d, year) for d in s.inputs)
            or any(changed(d, y) for d in s.history for y in years if y <= year)}


@pytest.mark.slow
def test_cache_reruns_exactly_what_changed(tmp_path, monkeypatch):
    years = (2024, 2025)
    steps = len(catalog.STEPS)
    _demo(tmp_path, years)
    first = run("demo", list(years), "national", progress=lambda _: None, **_roots(tmp_path))
    assert first.count("ran") == len(years) * steps and all(r.published for r in first)
    out = tmp_path / "processed" / "demo"
    before = _snapshot(out)

    lines: list[str] = []
    with monkeypatch.context() as m:  # nothing to run: no worker (nor kernel) is even started
        m.setattr(pipeline, "worker_pool", lambda *a: pytest.fail("an unchanged rerun started workers"))
        m.setattr(pipeline, "_kernel", lambda: pytest.fail("an unchanged rerun started a kernel"))
        again = run("demo", list(years), "national", progress=lines.append, **_roots(tmp_path))
    assert again.count("ran") == 0 and again.count("skipped") == len(years) * steps, "an unchanged rerun runs nothing"
    assert not any(r.published for r in again) and _snapshot(out) == before
    assert sum("跳过" in line for line in lines) == len(years) * (steps + 1)  # one line per skipped step and render

    # a new teacher sheet for 2024: its steps rerun, and of 2025 exactly the steps whose declared inputs or
    # history (catalog) changed content: the projection reads 2024's teachers, what reads its outputs follows
    rows = [teacher_row(f"50010000{i:02d}", n=300 + 37 * i, 县级及以上骨干教师数=i + 2) for i in range(6)]
    rows.append(teacher_row("5001000100", "初中", 900))
    write_xlsx(tmp_path / "raw" / "demo" / "2024" / "专任教师情况.xlsx", list(dict.fromkeys(h for r in rows for h in r)), rows)
    third = run("demo", list(years), "national", progress=lambda _: None, **_roots(tmp_path))
    status = _statuses(third)
    preschool = {catalog.PRESCHOOL, catalog.PRESCHOOL_PROJECTION}  # read no compulsory table: their inputs are unchanged
    assert {s for (y, s), v in status.items() if y == 2024 and v == "ran"} == set(catalog.STEPS) - preschool | {"render"}
    ran_2025 = {s for (y, s), v in status.items() if y == 2025 and v == "ran"} - {"render"}
    assert ran_2025 == _changed_steps(2025, before, _snapshot(out), years)
    assert catalog.PROJECTION in ran_2025 and catalog.CLEAN not in ran_2025  # history read, raw data unchanged
    assert _snapshot(out / "2025")["school_indicators.csv"] == before["2025/school_indicators.csv"]

    forced = run("demo", [2025], "national", force=True, progress=lambda _: None, **_roots(tmp_path))
    assert forced.count("ran") == steps


@pytest.mark.slow
def test_failed_run_leaves_earlier_outputs_untouched(tmp_path):
    raw = _demo(tmp_path) / "2025"
    run_year("demo", 2025, "national", only=["01", "02"], progress=lambda _: None, **_roots(tmp_path))
    processed = tmp_path / "processed" / "demo" / "2025"
    reports = tmp_path / "reports" / "demo" / "2025"
    assert (processed / "school_indicators.csv").exists()
    before = _snapshot(processed), _snapshot(reports)

    manifest = json.loads((reports / "run_manifest.json").read_text(encoding="utf-8"))
    assert {i["path"] for i in manifest["inputs"]} == {"demo/2025/学校基本情况.xlsx", "demo/2025/专任教师情况.xlsx"}
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["parameters"]["standards_profile"] == "national"
    assert manifest["versions"]["pandas"] and manifest["git_commit"]
    assert set(manifest["run"]["timings_s"]) == {"01_clean", "02_indicators"}
    assert set(manifest["steps"]) == {"01_clean", "02_indicators"}

    bad = [school_row("5001000000", "小学0", primary=300, 小学在校生数="约300")]
    shutil.rmtree(raw)
    make_county(raw, schools=bad, teachers=[teacher_row("5001000000")])
    with pytest.raises(PipelineError) as exc:
        run_year("demo", 2025, "national", only=["01", "02"], progress=lambda _: None, **_roots(tmp_path))
    message = str(exc.value)
    assert "01_clean.ipynb failed in cell" in message and "InputError" in message
    assert "学校基本情况.xlsx" in message and "第4行" in message and "约300" in message
    assert "are unchanged" in message
    assert (_snapshot(processed), _snapshot(reports)) == before
    failed = processed.with_name("2025.failed")
    validation = (failed / "validation.csv").read_text(encoding="utf-8-sig")
    assert "约300" in validation and "小学在校生数" in validation
    assert not list((tmp_path / "processed" / "demo").glob(".staging-*")), "no staging folder left behind"


@pytest.mark.slow
def test_killing_a_run_leaves_earlier_outputs_and_the_next_run_succeeds(tmp_path):
    _demo(tmp_path)
    roots = _roots(tmp_path)
    run_year("demo", 2025, "national", only=["01", "02"], progress=lambda _: None, **roots)
    processed, reports = tmp_path / "processed" / "demo" / "2025", tmp_path / "reports" / "demo" / "2025"
    before = _snapshot(processed), _snapshot(reports)
    code = ("import sys; from pathlib import Path; from analysis.pipeline import run; r = Path(sys.argv[1]); "
            "run('demo', [2025], 'national', force=True, raw_root=r / 'raw', processed_root=r / 'processed', "
            "reports_root=r / 'reports')")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list((tmp_path / "processed" / "demo").glob(".staging-*/2025/schools.csv")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its workers and kernels, mid-step
    proc.wait(timeout=30)
    assert (_snapshot(processed), _snapshot(reports)) == before
    # the next run succeeds (the steps of the first run suffice: what is asserted is the recovery, not the report)
    after = run_year("demo", 2025, "national", only=["01", "02"], progress=lambda _: None, **roots)
    assert after.published and (processed / "school_indicators.csv").exists()
    assert not list((tmp_path / "processed" / "demo").glob(".staging-*")), "the killed run's staging is cleared"


def test_outputs_never_go_into_raw_data(tmp_path):
    raw = _demo(tmp_path)
    before = _snapshot(raw)
    with pytest.raises(PipelineError, match="原始数据"):
        run("demo", [2025], "national", raw_root=tmp_path / "raw", processed_root=tmp_path / "raw" / "out",
            reports_root=tmp_path / "reports", progress=lambda _: None)
    with pytest.raises(PipelineError, match="原始数据"):
        run("demo", [2025], "national", raw_root=tmp_path / "raw", processed_root=tmp_path / "processed",
            reports_root=tmp_path, progress=lambda _: None)
    for county in ("../raw/demo", "../../tmp/x", "demo/2025", "", "."):
        with pytest.raises(CountyError, match="县名"):
            run(county, [2025], "national", progress=lambda _: None, **_roots(tmp_path))
    assert _snapshot(raw) == before


def test_a_profile_is_a_project_profile_or_a_file_in_the_county_folder(tmp_path):
    _demo(tmp_path)
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "evilprofile.yaml").write_text("extends: national\ncv: {primary: {limit: 9.99}}\n", encoding="utf-8")
    for name in (str(evil / "evilprofile"), "../../../../" + str(evil / "evilprofile").lstrip("/"),
                 "file:../../evil/evilprofile.yaml", "nosuchprofile"):
        with pytest.raises(ProfileError):
            run("demo", [2025], name, progress=lambda _: None, **_roots(tmp_path))
    assert not (tmp_path / "processed" / "demo" / "2025").exists(), "refused before any notebook ran"
    (tmp_path / "raw" / "demo" / "county.yaml").write_text("standards_profile: ../../evil/evilprofile\n",
                                                           encoding="utf-8")
    with pytest.raises(ProfileError):
        run("demo", [2025], progress=lambda _: None, **_roots(tmp_path))


def test_unsafe_county_yaml_is_refused_with_its_file_and_line(tmp_path):
    _demo(tmp_path)
    meta = tmp_path / "raw" / "demo" / "county.yaml"
    for text in ("name: !!python/object/apply:os.system ['echo hi']\n",
                 "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n", "name: [unclosed\n"):
        meta.write_text(text, encoding="utf-8")
        with pytest.raises(CountyError, match="county.yaml"):
            run("demo", [2025], "national", progress=lambda _: None, **_roots(tmp_path))


def test_a_second_run_of_the_same_county_is_refused(tmp_path):
    _demo(tmp_path)
    with pipeline.county_lock(tmp_path / "processed", "demo"), pytest.raises(RunLocked, match="正在由另一个运行处理"):
        run("demo", [2025], "national", progress=lambda _: None, **_roots(tmp_path))
    assert not (tmp_path / "processed" / "demo" / "2025").exists()


def test_unknown_notebooks_are_refused_with_the_valid_ones():
    with pytest.raises(PipelineError, match="01_clean"):
        notebook_paths(only=["99"])


def test_kernel_is_reused_over_private_unix_sockets_with_a_clean_namespace(tmp_path, capfd):
    """IPC transport, no TCP warning; the second notebook sees the modules but not the variables of the first."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import json, sys, os\nprint(json.load(open(sys.argv[-1]))['transport'], os.getpid())"),
        nbformat.v4.new_code_cell("print('left' in dir(), 'json' in sys.modules)\nleft = 1")])
    nb.metadata["kernelspec"] = {"name": config.KERNEL_NAME, "display_name": config.KERNEL_NAME, "language": "python"}
    nbformat.write(nb, tmp_path / "probe.ipynb")
    try:
        outs = []
        for k in range(2):
            ok, _, error = pipeline.execute_notebook(tmp_path / "probe.ipynb", tmp_path / f"out{k}.ipynb", {"x": 1})
            assert ok, error
            outs.append(nbformat.read(tmp_path / f"out{k}.ipynb", as_version=4))
        transport, pid = outs[0].cells[-2].outputs[0]["text"].split()
        assert transport == "ipc" and outs[1].cells[-2].outputs[0]["text"].split()[1] == pid  # one kernel
        assert outs[1].cells[-1].outputs[0]["text"].strip() == "False True"  # variables gone, modules kept
        assert [c.execution_count for c in outs[1].cells if c.cell_type == "code"] == [1, 2, 3, 4]
        sockets = pipeline._KERNEL["sockets"]
    finally:
        pipeline.shutdown_kernel()
    assert "running over TCP" not in capfd.readouterr().err
    assert not Path(sockets).exists(), "sockets left behind"


def _probe_notebooks(folder: Path, code: str) -> Path:
    """One small notebook per catalog step (the runner's notebooks folder), each running ``code``."""
    folder.mkdir(parents=True, exist_ok=True)
    for step in catalog.STEPS.values():
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 0", metadata={"tags": ["parameters"]}),
                                             nbformat.v4.new_code_cell(code)])
        nb.metadata["kernelspec"] = {"name": config.KERNEL_NAME, "display_name": config.KERNEL_NAME,
                                     "language": "python"}
        nbformat.write(nb, folder / step.notebook)
    return folder


def test_workers_are_kept_for_the_next_run_and_replaced_when_the_code_changes(tmp_path):
    """The pool of a run is reused by the next run of the process (same code, notebooks, worker count), and
    replaced when the package code's fingerprint differs: a kernel never runs a step with modules of older code.
    The warmed kernel has the notebooks' modules loaded and none of the warm-up's names."""
    folder = _probe_notebooks(tmp_path / "nbs", "import colorsys\nx")
    code = "import sys\nprint('colorsys' in sys.modules, '_warm' in dir(), os.getpid())"
    try:
        first = pipeline.worker_pool(2, folder, "code-a")
        assert pipeline.worker_pool(2, folder, "code-a") is first
        ok, _, error = first.submit(pipeline.execute_notebook, _probe_notebooks(tmp_path / "probe", code)
                                    / catalog.STEPS[catalog.CLEAN].notebook, tmp_path / "out.ipynb", {"x": 1}).result()
        assert not ok and "NameError" in error  # os was not imported by this notebook: nothing leaks into it
        _probe_notebooks(tmp_path / "probe", "import os\n" + code)
        ok, _, error = first.submit(pipeline.execute_notebook, tmp_path / "probe" / catalog.STEPS[catalog.CLEAN].notebook,
                                    tmp_path / "out.ipynb", {"x": 1}).result()
        assert ok, error
        loaded, leaked, _ = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[-1].outputs[0]["text"].split()
        assert (loaded, leaked) == ("True", "False")  # warmed with the notebooks' imports, no warm-up names left
        second = pipeline.worker_pool(2, folder, "code-b")
        assert second is not first and first._shutdown_thread
        assert pipeline.worker_pool(2, folder, "code-b") is second
    finally:
        pipeline.close_workers()
    assert not pipeline._POOL


@pytest.mark.slow
def test_a_year_is_published_whole_or_not_at_all(tmp_path, monkeypatch):
    """If the reports folder cannot be swapped in (read-only, full disk), the processed folder is put back and the
    message says nothing was published for that year."""
    _demo(tmp_path)
    roots = _roots(tmp_path)
    run_year("demo", 2025, "national", only=["01"], progress=lambda _: None, **roots)
    processed, reports = tmp_path / "processed" / "demo" / "2025", tmp_path / "reports" / "demo" / "2025"
    before = _snapshot(processed), _snapshot(reports)
    real = pipeline._swap_in

    def failing(staging, final):
        if final == reports:
            raise OSError(30, "Read-only file system")
        return real(staging, final)

    monkeypatch.setattr(pipeline, "_swap_in", failing)
    with pytest.raises(PipelineError, match="2025 年未发布，原有结果不变") as exc:
        run_year("demo", 2025, "national", only=["01"], force=True, jobs=1, progress=lambda _: None, **roots)
    assert "已发布的年份" not in str(exc.value)
    assert (_snapshot(processed), _snapshot(reports)) == before


@pytest.mark.slow
def test_a_county_with_preschool_data_only_gets_the_preschool_report(tmp_path):
    from analysis.data.columns import TABLES
    from analysis.data.reading import find_input_files

    raw = tmp_path / "raw" / "pre" / "2025"
    raw.mkdir(parents=True)
    for table_id, path in find_input_files(config.RAW / "sample" / "2025").items():
        if TABLES[table_id].part == "preschool":
            shutil.copy2(path, raw / path.name)
    report = run("pre", [2025], "chongqing", progress=lambda _: None, **_roots(tmp_path))
    status = _statuses(report)
    compulsory = [s.name for s in catalog.STEPS.values() if s.part == "compulsory"]
    assert compulsory and all(status[(2025, s)] == "skipped" for s in compulsory)
    assert all(status[(2025, s)] == "ran" for s in catalog.STEPS if s not in compulsory)
    summary = (tmp_path / "reports" / "pre" / "2025" / catalog.SUMMARY_FILE).read_text(encoding="utf-8")
    assert "未提供" in summary and "学前教育" in summary
