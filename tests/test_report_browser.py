"""The leader summary as a person sees it: the report notebook executed in the project kernel, rendered, and opened in
headless Chromium (Debian's chromium package; playwright drives it and never downloads a browser)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from test_report import MANIFEST, NASTY, make_processed

from analysis import config
from analysis.data import catalog
from analysis.report import render

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
# Keep Chromium off the network: no background services, updates, sync or first-run fetches.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-default-apps", "--disable-extensions"]


def ensure_chromium() -> Path:
    """Debian's chromium, installed with apt-get when missing (we run as root locally and in CI)."""
    import fcntl

    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("/usr/bin/chromium is missing and this user cannot install it (needs root and apt-get)")
    # Several pytest-xdist workers reach this at once: one installs, the others wait for it (apt-get refuses a
    # second install while the first holds the dpkg lock).
    with open(Path(os.environ.get("TMPDIR", "/tmp")) / "county-eval-chromium.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not CHROMIUM.exists():
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            wait = ["-o", "DPkg::Lock::Timeout=600"]
            subprocess.run(["apt-get", *wait, "update", "-qq"], check=True, env=env, timeout=600)
            subprocess.run(["apt-get", *wait, "install", "-y", "-qq", "--no-install-recommends", "chromium"],
                           check=True, env=env, timeout=1200)
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
    """Execute the report notebook (catalog.REPORT) like the runner does (papermill, project kernel) → executed notebooks."""
    import papermill as pm

    reports.mkdir(parents=True, exist_ok=True)
    params = {"county": "demo", "year": 2025, "standards_profile": "national", "raw_dir": "",
              "processed_dir": str(processed), "reports_dir": str(reports),
              "processed_root": str(processed.parent.parent)}
    notebook = catalog.STEPS[catalog.REPORT].notebook
    nb = pm.execute_notebook(str(config.NOTEBOOKS / notebook), str(reports / notebook),
                             parameters=params, kernel_name=config.KERNEL_NAME, progress_bar=False,
                             cwd=str(config.NOTEBOOKS), log_output=False)
    return {Path(notebook).stem: nb}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("browser")
    processed = make_processed(root)
    reports = root / "reports" / "demo" / ".staging-2025"
    executed = run_report_notebook(processed, reports)
    paths = render.render_reports(executed, MANIFEST, reports)
    return {"root": root, "processed": processed, "reports": reports, "paths": {p.name: p for p in paths}}


def open_page(browser, path: Path, width: int = 1200, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
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


# ------------------------------------------------------------------------------------------ charts, phone, print
def test_summary_has_three_charts_in_sections_two_to_five(browser, rendered):
    page, _ = open_page(browser, rendered["paths"]["summary.html"])
    charts = page.evaluate("""() => {
      const out = []; let section = '';
      for (const el of document.querySelectorAll('h2, img.chart')) {
        if (el.tagName === 'H2') section = el.textContent.trim().slice(0, 2);
        else out.push([section, el.alt, el.src.slice(0, 22), el.naturalWidth > 0]);
      }
      return out;
    }""")
    assert [c[:2] for c in charts] == [["二、", "各指标校际差异系数与限值图"], ["二、", "各指标达标学校比例图"],
                                       ["五、", "差异系数与校校达标比例预测图"]]
    assert all(src == "data:image/png;base64," and loaded for _, _, src, loaded in charts)
    page.close()


# Everything a reader must see, checked at phone width: on screen, or in a sideways-scrolling table box that is
# itself on screen and keeps its first (name) column in view (position: sticky).
PHONE_CHECK = """() => {
  const vw = document.documentElement.clientWidth;
  const onScreen = r => r.left >= -1 && r.right <= vw + 1;
  const off = [];
  for (const el of document.querySelectorAll(
      'td, th, img, .rpt-banner, .rpt-banner *, .rpt p, .rpt li, .milestone, h1, h2, h3, .report-foot')) {
    const r = el.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    const box = el.closest('.table-scroll');
    if (!onScreen(r) && !(box && onScreen(box.getBoundingClientRect())))
      off.push(`${el.tagName}.${el.className} ${Math.round(r.left)}–${Math.round(r.right)}: ${el.textContent.slice(0, 30)}`);
    if (!box && ['P', 'LI', 'H1', 'H2', 'H3'].includes(el.tagName) && el.scrollWidth > el.clientWidth + 1)
      off.push(`text overflows ${el.tagName}: ${el.textContent.slice(0, 30)}`);
  }
  const boxes = [...document.querySelectorAll('.table-scroll')].map(box => {
    const firsts = [...box.querySelectorAll('tr > :first-child')];
    const scrolls = box.scrollWidth > box.clientWidth;
    let stays = true;
    if (scrolls) {  // scrolled to the far right, the name column is still at the box's left edge
      box.scrollLeft = box.scrollWidth;
      const left = box.getBoundingClientRect().left;
      // a group heading spanning the whole row (colspan) has nowhere to stick to: only the name cells count
      stays = firsts.filter(c => c.colSpan === 1).every(c => Math.abs(c.getBoundingClientRect().left - left) < 2);
      box.scrollLeft = 0;
    }
    return {overflow: getComputedStyle(box).overflowX, scrolls, stays,
            sticky: firsts.every(c => getComputedStyle(c).position === 'sticky')};
  });
  const images = [...document.images].map(i => i.getBoundingClientRect().width);
  return {vw, pageWidth: document.documentElement.scrollWidth, off, boxes, images,
          tables: document.querySelectorAll('table').length,
          wrapped: document.querySelectorAll('.table-scroll > table').length};
}"""


def test_summary_fits_a_phone(browser, rendered):
    page, _ = open_page(browser, rendered["paths"]["summary.html"], width=390, height=844)
    seen = page.evaluate(PHONE_CHECK)
    assert seen["vw"] == 390 and seen["pageWidth"] <= 390  # the page itself never scrolls sideways
    assert seen["off"] == []
    assert seen["tables"] == seen["wrapped"] == len(seen["boxes"]) > 0
    assert all(b["overflow"] == "auto" and b["sticky"] and b["stays"] for b in seen["boxes"]), seen["boxes"]
    assert any(b["scrolls"] for b in seen["boxes"])  # the fixture's wide tables do scroll at this width
    assert seen["images"] and max(seen["images"]) <= 390
    banner = page.evaluate("(() => { const r = document.querySelector('.rpt-banner').getBoundingClientRect();"
                           " return [r.left, r.right]; })()")
    assert banner[0] >= 0 and banner[1] <= 390
    page.close()


def pdf_text(pdf: bytes) -> str:
    """Text of a PDF: with pypdf when installed, else from Chromium's (Skia) PDF directly: each page's hex-coded
    strings decoded through its fonts' ToUnicode maps. Empty when the file's structure is not understood."""
    try:
        from pypdf import PdfReader
    except ImportError:
        pass
    else:
        import io

        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    objects = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}

    def stream(n: int) -> bytes:
        body = objects.get(n, b"")
        m = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
        return b"" if not m else zlib.decompress(m.group(1)) if b"FlateDecode" in body else m.group(1)

    def to_unicode(n: int) -> dict[int, str]:
        text, out = stream(n).decode("latin-1"), {}
        for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
            for code, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                out[int(code, 16)] = bytes.fromhex(uni).decode("utf-16-be")
        for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
            for lo, hi, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                base = int(uni, 16)
                out.update({k: chr(base + k - int(lo, 16)) for k in range(int(lo, 16), int(hi, 16) + 1)})
        return out

    maps = {n: to_unicode(int(m.group(1))) for n, body in objects.items()
            if (m := re.search(rb"/ToUnicode (\d+) 0 R", body))}
    pages = []
    for body in (b for b in objects.values() if re.search(rb"/Type\s*/Page\b(?!s)", b)):
        ref = re.search(rb"/Resources (\d+) 0 R", body)
        resources = objects.get(int(ref.group(1)), b"") if ref else body
        fonts = re.search(rb"/Font\s*<<(.*?)>>", resources, re.S)
        names = {k: int(v) for k, v in re.findall(rb"/(\w+) (\d+) 0 R", fonts.group(1))} if fonts else {}
        contents = re.search(rb"/Contents\s*(\[.*?\]|\d+ 0 R)", body, re.S)
        data = b"".join(stream(int(c)) for c in re.findall(rb"(\d+) 0 R", contents.group(1))) if contents else b""
        text, cmap = [], {}
        for token in re.finditer(rb"/(\w+) [\d.]+ Tf|<([0-9A-Fa-f]*)>|\bET\b", data):
            if token.group(1):
                cmap = maps.get(names.get(token.group(1), -1), {})
            elif token.group(2) is not None:
                hexed = token.group(2).decode()
                text.append("".join(cmap.get(int(hexed[k:k + 4], 16), "") for k in range(0, len(hexed), 4)))
            else:
                text.append(" ")
        pages.append("".join(text))
    return "\n".join(pages)


def test_summary_print_header_page_numbers_and_plain_links(browser, rendered):
    page, _ = open_page(browser, rendered["paths"]["summary.html"], width=700)
    page.emulate_media(media="print")
    hints = page.evaluate("[...document.querySelectorAll('.hint')].map(e => getComputedStyle(e).display)")
    assert len(hints) >= 2 and set(hints) == {"none"}  # no "数字可点击" on paper
    links = page.evaluate("""[...document.querySelectorAll('a')].filter(a => a.getClientRects().length).map(a => {
        const s = getComputedStyle(a);
        return [s.textDecorationLine, s.borderBottomStyle, s.color === getComputedStyle(a.parentElement).color];
    })""")
    assert links and all(link == ["none", "none", True] for link in links), links
    css = page.evaluate("[...document.querySelectorAll('style')].map(s => s.textContent).join('\\n')")
    assert re.search(r'@page \{ @top-center \{ content: "示例县 2025 年[^"]*"; \} \}', css)
    assert re.search(r"@bottom-center \{ content: \"第 \" counter\(page\) \" 页", css)
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    if int(browser.version.split(".")[0]) >= 131:  # CSS @page margin boxes are printed since Chromium 131
        text = pdf_text(pdf)
        if text.strip():  # a PDF layout this reader does not understand leaves the CSS checks above
            assert "示例县 2025 年" in text
            assert re.search(r"第\s*1\s*页\s*/\s*共\s*\d+\s*页", text) and re.search(r"第\s*2\s*页", text)
            assert "数字可点击" not in text
    page.close()
