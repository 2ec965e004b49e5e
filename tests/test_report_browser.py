"""The leader summary as a person sees it: notebook 07 executed in the project kernel, rendered, and opened in
headless Chromium (Debian's chromium package; playwright drives it and never downloads a browser)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_report import MANIFEST, NASTY, make_processed

from analysis import config
from analysis.report import render

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
# Keep Chromium off the network: no background services, updates, sync or first-run fetches.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-default-apps", "--disable-extensions"]


def ensure_chromium() -> Path:
    """Debian's chromium, installed with apt-get when missing (we run as root locally and in CI)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("/usr/bin/chromium is missing and this user cannot install it (needs root and apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], check=True, env=env,
                   timeout=1200)
    assert CHROMIUM.exists(), "apt-get installed chromium but /usr/bin/chromium is missing"
    return CHROMIUM


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    path = ensure_chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(path), args=CHROMIUM_ARGS)
        yield b
        b.close()


def run_report_notebook(processed: Path, reports: Path) -> dict:
    """Execute notebooks/07_report.ipynb like the runner does (papermill, project kernel) → executed notebooks."""
    import papermill as pm

    reports.mkdir(parents=True, exist_ok=True)
    params = {"county": "demo", "year": 2025, "standards_profile": "national", "raw_dir": "",
              "processed_dir": str(processed), "reports_dir": str(reports),
              "processed_root": str(processed.parent.parent)}
    nb = pm.execute_notebook(str(config.NOTEBOOKS / "07_report.ipynb"), str(reports / "07_report.ipynb"),
                             parameters=params, kernel_name=config.KERNEL_NAME, progress_bar=False,
                             cwd=str(config.NOTEBOOKS), log_output=False)
    return {"07_report": nb}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("browser")
    processed = make_processed(root)
    reports = root / "reports" / "demo" / ".staging-2025"
    executed = run_report_notebook(processed, reports)
    paths = render.render_reports(executed, MANIFEST, reports)
    return {"root": root, "processed": processed, "reports": reports, "paths": {p.name: p for p in paths}}


def open_page(browser, path: Path, width: int = 1200):
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    return page, requests


def test_summary_opens_offline_with_the_key_numbers(browser, rendered):
    summary = rendered["paths"]["summary.html"]
    page, requests = open_page(browser, summary)
    shot = rendered["root"] / "summary.png"
    page.screenshot(path=str(shot), full_page=True)
    # nothing but the file itself and inline data: URLs
    assert requests and all(u.startswith(("file:", "data:")) for u in requests), requests
    assert shot.stat().st_size > 50_000
    text = page.inner_text("body")
    assert "示例县 2025 年" in page.title()
    for expected in ("未达到优质均衡", "评估结论：不予认定", "0.568", "0.123", "5,200 元", "93.00%", "≥ 2,000 元/生",
                     "2026 年 市级（省级）督导评估", "共需 24.0 万元"):
        assert expected in text, expected
    assert "display(HTML" not in text and "fragments." not in text  # no code in the leader summary
    assert page.evaluate("document.fonts.check('16px \"CJK Report\"')")
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    page.close()


def test_school_names_with_html_characters_are_shown_as_text(browser, rendered):
    page, _ = open_page(browser, rendered["paths"]["summary.html"])
    assert NASTY in page.inner_text("body")  # shown literally …
    assert page.evaluate("document.querySelectorAll('script').length") == 0  # … and never parsed as markup
    page.close()


def test_summary_prints_to_a4(browser, rendered):
    page, _ = open_page(browser, rendered["paths"]["summary.html"], width=700)  # A4 minus margins ≈ 700 CSS px
    page.emulate_media(media="print")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and 1 <= pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page\r") + pdf.count(
        b"/Type /Page>") + pdf.count(b"/Type /Page/") + pdf.count(b"/Type /Page ") <= 12
    page.close()


def test_audit_links_resolve(browser, rendered):
    page, requests = open_page(browser, rendered["paths"]["audit.html"])
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    missing = page.evaluate("""[...document.querySelectorAll('a[href^="#"]')]
        .map(a => a.getAttribute('href').slice(1))
        .filter(id => id && !document.getElementById(id) && !document.getElementById(decodeURIComponent(id)))""")
    assert missing == []
    page.close()


def test_regeneration_is_byte_identical(rendered):
    """Same inputs → same results.xlsx and HTML (the manifest's time stamp is the same here)."""
    reports = rendered["reports"]
    before = {name: (reports / name).read_bytes() for name in ("results.xlsx", "summary.html", "audit.html")}
    executed = run_report_notebook(rendered["processed"], reports)
    render.render_reports(executed, MANIFEST, reports)
    after = {name: (reports / name).read_bytes() for name in before}
    for name in before:
        assert before[name] == after[name], name
