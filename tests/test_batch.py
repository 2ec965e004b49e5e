"""A province at once: local processes and a Dask cluster give the same bytes as single-county runs."""

from html.parser import HTMLParser
from pathlib import Path

import pytest

from analysis import batch, pipeline
from analysis.data import province

OUTPUT_SUFFIXES = (".csv", ".json", ".xlsx")


def _outputs(*roots: Path) -> dict[str, bytes]:
    found = {}
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.is_file() and p.suffix in OUTPUT_SUFFIXES and p.name != "run_manifest.json":
                found[str(p.relative_to(root))] = p.read_bytes()
    return found


def test_synthetic_province_is_deterministic_and_varied(tmp_path):
    plans = [province.county_plan(k, (2023, 2024, 2025)) for k in range(10)]
    assert {len(p["years"]) for p in plans} >= {1, 3} and len({p["seed"] for p in plans}) == 10
    assert len({round(p["keep"], 3) for p in plans}) == 10
    a = province.write_province(tmp_path / "a", 2, (2025,))
    b = province.write_province(tmp_path / "b", 2, (2025,))
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert batch.find_counties(tmp_path / "a") == ["county01", "county02"]


def test_progress_line_counts_and_time_left():
    line = batch.progress_line(10, 2, 1, 40, 100.0, 2)
    assert "10/40 完成（其中 1 个失败），2 个运行中" in line and "已用 1 分 40 秒" in line and "预计剩余" in line
    assert "预计剩余" not in batch.progress_line(40, 0, 0, 40, 100.0, 2)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bad = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "img") or any(k.startswith("on") for k, _ in attrs):
            self.bad.append((tag, attrs))


@pytest.mark.slow
def test_batch_local_and_dask_and_single_runs_give_the_same_bytes(tmp_path):
    from distributed import LocalCluster

    # one good county (with a hostile name) and one broken one: every way of running must give the same bytes;
    # more good counties would only repeat the same comparison at ~20 s each
    prov = tmp_path / "raw" / "demo_province"
    province.write_province(prov, 1, (2025,))
    (prov / "county01" / "county.yaml").write_text(
        "name: <script>alert(1)</script>县\nstandards_profile: chongqing\n", encoding="utf-8")
    broken = prov / "county02" / "2025"
    broken.mkdir(parents=True)
    (broken / "学校基本情况.xlsx").write_bytes(b"")  # a zero-byte file: this county fails, the others go on

    local = {"processed_root": tmp_path / "local" / "processed", "reports_root": tmp_path / "local" / "reports"}
    lines: list[str] = []
    report = batch.batch(prov, [2025], jobs=2, progress=lines.append, **local)
    status = {o.county: o.status for o in report.outcomes}
    assert status == {"county01": "done", "county02": "failed"}
    assert "01_clean" in next(o for o in report.outcomes if o.county == "county02").message
    assert any("2/2 完成（其中 1 个失败）" in line for line in lines)
    page = report.page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;县" in page and 'href="county01/2025/summary.html"' in page
    parser = _Tags()
    parser.feed(page)
    assert not parser.bad

    dask = {"processed_root": tmp_path / "dask" / "processed", "reports_root": tmp_path / "dask" / "reports"}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = batch.batch(prov, [2025], scheduler=cluster.scheduler_address, progress=lambda _: None, **dask)
    assert {o.county: o.status for o in on_dask.outcomes} == status

    single = {"processed_root": tmp_path / "single" / "processed", "reports_root": tmp_path / "single" / "reports"}
    pipeline.run("county01", [2025], raw_root=prov, progress=lambda _: None, **single)
    a = _outputs(local["processed_root"], local["reports_root"])
    assert a == _outputs(dask["processed_root"], dask["reports_root"])
    b = _outputs(single["processed_root"], single["reports_root"])
    assert b and all(a[k] == v for k, v in b.items())
