"""The papermill pipeline: notebook hygiene, one real execution, atomic failure, manifest, reproducibility."""

import json
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from rawfactory import make_county, school_row, teacher_row

from analysis import config
from analysis.pipeline import PipelineError, notebook_paths, run_year

PARAMETERS = {"county", "year", "standards_profile", "raw_dir", "processed_dir", "reports_dir", "processed_root"}


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


def test_notebooks_are_numbered_in_order():
    names = [p.name for p in notebook_paths()]
    assert names[:3] == ["01_clean.ipynb", "02_indicators.ipynb", "03_variation.ipynb"]
    assert names == sorted(names)


def _demo(root: Path) -> Path:
    schools = [school_row(f"50010000{i:02d}", f"小学{i}", primary=300 + 37 * i) for i in range(6)]
    schools.append(school_row("5001000100", "城关中学", "初级中学", primary=0, junior=900))
    teachers = [teacher_row(f"50010000{i:02d}", n=300 + 37 * i, 县级及以上骨干教师数=i + 1) for i in range(6)]
    teachers.append(teacher_row("5001000100", "初中", 900))
    return make_county(root / "raw" / "demo" / "2025", schools=schools, teachers=teachers)


def _roots(root: Path) -> dict:
    return {"raw_root": root / "raw", "processed_root": root / "processed", "reports_root": root / "reports"}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_failed_run_leaves_earlier_outputs_untouched(tmp_path):
    raw = _demo(tmp_path)
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

    bad = [school_row("5001000000", "小学0", primary=300, 小学在校生数="约300")]
    shutil.rmtree(raw)
    make_county(raw, schools=bad, teachers=[teacher_row("5001000000")])
    with pytest.raises(PipelineError) as exc:
        run_year("demo", 2025, "national", only=["01", "02"], progress=lambda _: None, **_roots(tmp_path))
    message = str(exc.value)
    assert "01_clean.ipynb failed in cell" in message and "InputError" in message
    assert "学校基本情况.xlsx" in message and "row 4" in message and "约300" in message
    assert (_snapshot(processed), _snapshot(reports)) == before
    failed = processed.with_name("2025.failed")
    validation = (failed / "validation.csv").read_text(encoding="utf-8-sig")
    assert "约300" in validation and "小学在校生数" in validation


@pytest.mark.slow
def test_notebook_01_executes_on_the_sample_county(tmp_path):
    import papermill as pm

    out = tmp_path / "processed"
    pm.execute_notebook(str(config.NOTEBOOKS / "01_clean.ipynb"), str(tmp_path / "01.ipynb"),
                        parameters={"county": "sample", "year": 2025, "processed_dir": str(out),
                                    "reports_dir": str(tmp_path / "reports")},
                        kernel_name=config.KERNEL_NAME, progress_bar=False)
    from analysis.data.files import read_csv

    schools = read_csv(out / "schools.csv")
    assert 120 <= len(schools) <= 140
    assert schools["school_code"].str.len().eq(10).all()
    validation = read_csv(out / "validation.csv")
    assert not (validation["severity"] == "error").any()


def test_kernel_talks_over_private_unix_sockets(tmp_path, capfd):
    """IPC transport: no TCP port is opened, no per-notebook warning, and the socket folder is cleaned up."""
    import papermill as pm

    from analysis.pipeline import _execute

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import json, sys\nprint(json.load(open(sys.argv[-1]))['transport'])")])
    nb.metadata["kernelspec"] = {"name": config.KERNEL_NAME, "display_name": config.KERNEL_NAME, "language": "python"}
    nbformat.write(nb, tmp_path / "probe.ipynb")
    out = _execute(pm, tmp_path / "probe.ipynb", tmp_path / "out.ipynb", {"x": 1})
    assert out.cells[-1].outputs[0]["text"].strip() == "ipc"
    assert "running over TCP" not in capfd.readouterr().err
    assert not list(Path(tempfile.gettempdir()).glob("county-eval-*/kernel*")), "sockets left behind"
