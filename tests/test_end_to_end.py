"""End to end on the sample county: the contract files exist, agree with each other and are reproducible."""

import re
import shutil

import numpy as np
import pytest

from analysis.data import files
from analysis.evaluate.indicators import output_columns
from analysis.evaluate.variation import weighted_cv
from analysis.pipeline import run_year
from analysis.standards import load_profile

pytestmark = pytest.mark.slow
YEAR = 2025


def _processed(sample_run, year=YEAR):
    return sample_run["processed_root"] / "sample" / str(year)


def test_contract_files_exist_for_every_year(sample_run):
    for year in (2023, 2024, 2025):  # conftest.SAMPLE_YEARS
        folder = _processed(sample_run, year)
        for name in ("schools.csv", "teachers.csv", "validation.csv", "school_indicators.csv",
                     "excluded_schools.csv", "cv.csv"):
            assert (folder / name).exists(), f"{year}/{name}"


def test_school_indicators_contract(sample_run):
    si = files.read_csv(_processed(sample_run) / "school_indicators.csv")
    profile = load_profile("chongqing")
    assert list(si.columns) == output_columns(profile)
    assert set(si["section"]) == {"primary", "junior"}
    excluded = files.read_csv(_processed(sample_run) / "excluded_schools.csv")
    assert {"special_ed_school", "vocational_school", "teaching_point"} <= set(excluded["school_type"])
    assert not set(excluded["school_code"]) & set(si["school_code"])
    # realistic: some schools fail, most pass
    assert 0 < (~si["school_pass"]).sum() < len(si) / 2


def test_cv_csv_recomputes_from_school_values(sample_run):
    si = files.read_csv(_processed(sample_run) / "school_indicators.csv")
    cv = files.read_csv(_processed(sample_run) / "cv.csv")
    assert list(cv.columns[:8]) == ["section", "indicator", "name_zh", "weighted_mean", "std", "cv", "limit",
                                    "comparator"]
    for r in cv.itertuples():
        part = si[si["section"] == r.section]
        assert r.cv == pytest.approx(weighted_cv(part[r.indicator], part["students"]), rel=1e-12)
        assert r.n_schools == len(part)
        assert r.passed == (r.cv <= r.limit)


def test_html_numbers_equal_csv(sample_run):
    audit = (sample_run["reports_root"] / "sample" / str(YEAR) / "audit.html").read_text(encoding="utf-8")
    cv = files.read_csv(_processed(sample_run) / "cv.csv")
    for value in cv["cv"]:
        assert f"{value:.4f}" in audit
    si = files.read_csv(_processed(sample_run) / "school_indicators.csv")
    failing = si[~si["school_pass"]]
    for reason in failing["reason"]:
        assert reason in audit


@pytest.mark.parametrize("step", ["03_variation", "05_projection"])
def test_a_notebook_alone_gives_the_outputs_of_the_full_run(sample_run, tmp_path, step):
    """Run from its parameters alone, in a fresh kernel (papermill): nothing depends on state another notebook
    left in the reused kernel of the full run."""
    import papermill as pm

    from analysis import config
    from analysis.data import catalog

    processed = tmp_path / "processed" / "sample" / str(YEAR)
    shutil.copytree(_processed(sample_run), processed)
    outputs = catalog.STEPS[step].outputs
    for name in outputs:
        (processed / catalog.dataset(name).file).unlink()
    pm.execute_notebook(str(config.NOTEBOOKS / catalog.STEPS[step].notebook), str(tmp_path / "alone.ipynb"),
                        parameters={"county": "sample", "year": YEAR, "processed_dir": str(processed),
                                    "reports_dir": str(tmp_path / "reports"),
                                    "processed_root": str(sample_run["processed_root"])},
                        kernel_name=config.KERNEL_NAME, progress_bar=False, cwd=str(config.NOTEBOOKS))
    for name in outputs:
        file = catalog.dataset(name).file
        assert (processed / file).read_bytes() == (_processed(sample_run) / file).read_bytes(), file


def test_rerun_is_byte_identical(sample_run, tmp_path):
    processed = tmp_path / "processed"
    for year in (2023, 2024):  # history as the first run left it
        shutil.copytree(_processed(sample_run, year), processed / "sample" / str(year))
    run_year("sample", YEAR, processed_root=processed, reports_root=tmp_path / "reports", progress=lambda _: None)
    first, second = _processed(sample_run), processed / "sample" / str(YEAR)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    rep1, rep2 = sample_run["reports_root"] / "sample" / str(YEAR), tmp_path / "reports" / "sample" / str(YEAR)
    for path in rep1.iterdir():
        if path.suffix == ".xlsx":
            assert path.read_bytes() == (rep2 / path.name).read_bytes(), path.name
        if path.suffix == ".html":
            a, b = path.read_text(encoding="utf-8"), (rep2 / path.name).read_text(encoding="utf-8")
            stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d（北京时间）|\d+\.\d+ s")
            assert stamp.sub("", a) == stamp.sub("", b), path.name


def test_values_have_full_precision(sample_run):
    text = (_processed(sample_run) / "cv.csv").read_text(encoding="utf-8-sig")
    digits = [len(m) for m in re.findall(r"\.(\d+)", text)]
    assert np.median(digits) > 8  # no rounding in stored values
