"""Rendering the executed notebooks (报告生成): the leader summary (no code) and the audit report (all code,
inputs with hashes, anchors), called by ``analysis.pipeline`` after all notebooks ran.

Both are self-contained: CSS, charts, formulas and a subset of the CJK font are inlined; no URL is referenced,
so they open offline and print to A4. Identical inputs give identical HTML except the run's time stamp: cell
ids are positional, pandas Styler's random table ids are renumbered, the run's folders are shown at their
standard place in the project (data/processed/<县>/<年> …), PNG/SVG carry no time stamp, the font subset always
holds printable ASCII."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import html
import io
import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from analysis import config
from analysis.data import catalog
from analysis.report.format import (
    AUDIT_FILE,
    FONT_FAMILY,
    FONT_PLACEHOLDER,
    MANIFEST_FILE,
    RESULTS_XLSX,
    SUMMARY_FILE,
    TEMPLATE_DIR,
    TEMPLATE_FILE,
    TEMPLATE_NAME,
    anchor_dataset,
    audit_anchor,
    esc,
    fmt_number,
    template_text,
)
from analysis.standards.sources import cite_html

_STYLER_ID = re.compile(r"\bT_([0-9a-f]{5})(?=[_\"'\s])")
_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.S)
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$", re.M)
_ID = re.compile(r'\bid="([^"]+)"')
_TABLE_TAG = re.compile(r"<table\b[^>]*>|</table\s*>", re.I)
SCROLL_CLASS = "table-scroll"  # page.css: scrolls sideways, the first column sticky


def stable_styler_ids(text: str) -> str:
    """Renumber pandas Styler's random table ids (``T_1a2b3``) in order of appearance: same table, same id."""
    mapping: dict[str, str] = {}

    def sub(m: re.Match) -> str:
        return "T_" + mapping.setdefault(m.group(1), f"s{len(mapping):04d}")

    return _STYLER_ID.sub(sub, text)


class _LogToError:
    """Collects mathtext's logged warnings (a missing glyph is logged, then drawn as a dummy box)."""

    def __init__(self) -> None:
        import logging

        self.records: list[str] = []
        self.handler = logging.Handler(logging.WARNING)
        self.handler.emit = lambda record: self.records.append(record.getMessage())  # type: ignore[method-assign]
        self.logger = logging.getLogger("matplotlib.mathtext")

    def __enter__(self) -> _LogToError:
        self.logger.addHandler(self.handler)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)


@cache
def math_svg(tex: str, display: bool = False) -> str:
    """A TeX formula as an inline ``<img>`` (SVG drawn by matplotlib mathtext; offline, no MathJax).

    Raises ``ValueError`` when mathtext cannot typeset it or a glyph is missing; the caller then shows the TeX
    as code. The SVG has no date, creator or random ids (stable bytes).
    """
    import warnings

    import matplotlib
    from matplotlib.figure import Figure

    from analysis.report.plotting import MISSING_GLYPH, cjk_font_name

    rc: dict[str, Any] = {"svg.hashsalt": "county-eval", "svg.fonttype": "path"}
    body = tex.strip()
    if display:  # display formulas: full-size fractions as in LaTeX's display style
        body = re.sub(r"\\frac(?=[{\s])", r"\\dfrac", body)
    if any(ord(c) >= 0x2E80 for c in body):
        # Chinese words in a formula (\text{校}): upright text from the CJK font, math italic from DejaVu Sans
        body = body.replace("\\text{", "\\mathrm{")
        body = re.sub(r"(?<!\\mathrm\{)([\u2e80-\uffef]+)", r"\\mathrm{\1}", body)  # bare Chinese words upright
        rc.update({"mathtext.fontset": "custom", "mathtext.rm": cjk_font_name(), "mathtext.sf": cjk_font_name(),
                   "mathtext.it": "DejaVu Sans:italic", "mathtext.bf": "DejaVu Sans:bold",
                   "mathtext.cal": "DejaVu Sans", "mathtext.tt": "DejaVu Sans Mono", "mathtext.fallback": "cm"})
    buffer = io.BytesIO()
    with warnings.catch_warnings(), _LogToError() as log, matplotlib.rc_context(rc):
        warnings.filterwarnings("error", message=MISSING_GLYPH)
        fig = Figure(figsize=(0.01, 0.01))  # inside the rc context: the text keeps the math font set
        fig.text(0, 0, f"${body}$", fontsize=14 if display else 12)
        try:
            fig.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.02, transparent=True,
                        metadata={"Date": None, "Creator": None})
        except Exception as exc:  # mathtext raises ValueError for unsupported TeX; missing glyphs warn→raise
            raise ValueError(f"cannot typeset {tex!r}: {exc}") from exc
    if log.records:
        raise ValueError(f"cannot typeset {tex!r}: {log.records[0]}")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    cls = "math display" if display else "math"
    img = f'<img class="{cls}" alt="{esc(tex.strip())}" src="data:image/svg+xml;base64,{data}">'
    return f'<div class="math-display">{img}</div>' if display else img


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: quotes, backslashes, control characters and ``<`` ``>`` ``&`` as CSS
    escapes, so a county name can neither end the string nor the ``<style>`` element it sits in."""
    def one(c: str) -> str:
        return f"\\{ord(c):x} " if c in "\"'\\<>&" or ord(c) < 0x20 or ord(c) == 0x7F else c

    return '"' + "".join(one(c) for c in text) + '"'


def page_header_css(header: str) -> str:
    """``@page`` rule putting ``header`` (county, year, report) at the top of every printed page; the page
    numbers at the bottom are static (page.css)."""
    return f"@page {{ @top-center {{ content: {css_string(header)}; }} }}\n"


def scroll_tables(page: str) -> str:
    """Wrap every outermost ``<table>`` in a box that scrolls sideways, so on a phone no column is cut off and
    the first (name) column stays in view (page.css makes it sticky)."""
    out, depth, start = [], 0, 0
    for m in _TABLE_TAG.finditer(page):
        closing = m.group(0).startswith("</")
        if not closing:
            if depth == 0:
                out.append(page[start:m.start()])
                start = m.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                out.append(f'<div class="{SCROLL_CLASS}">{page[start:m.end()]}</div>')
                start = m.end()
    out.append(page[start:])
    return "".join(out)


def render_math(markdown: str) -> str:
    """Replace ``$…$`` and ``$$…$$`` outside code by SVG images; formulas mathtext cannot draw stay as code."""
    def one(m: re.Match) -> str:
        display = m.group(1) is not None
        tex = m.group(1) if display else m.group(2)
        try:
            out = math_svg(tex, display)
        except ValueError:
            out = f"<code>{esc(tex)}</code>"
        return f"\n\n{out}\n\n" if display else out

    parts = _CODE.split(markdown)
    return "".join(p if i % 2 else _MATH.sub(one, p) for i, p in enumerate(parts))


def _plain_heading(text: str) -> str:
    text = re.sub(r"[`*_]", "", text)
    return re.sub(r"\$([^$]*)\$", r"\1", text).strip()


def saved_datasets(cell: Any) -> list[str]:
    """Catalog datasets a code cell saved: the markers ``ctx.save`` leaves in the cell's outputs."""
    from analysis.context import SAVED_MIME

    return [out["data"][SAVED_MIME]["dataset"] for out in cell.get("outputs", [])
            if "data" in out and SAVED_MIME in out["data"]]


def _tags(cell: Any) -> list[str]:
    return list((cell.get("metadata") or {}).get("tags") or [])


def parameter_cells(nb: Any, shown: str | None = None) -> set[int]:
    """Positions of the parameter cells an audit reader need not see again: the notebook's default
    ``parameters`` cell when papermill injected the run's values after it, and the ``injected-parameters`` cell
    when it holds the same values as the one ``shown`` before (every step of a run gets the same ones)."""
    tags = [_tags(c) for c in nb.cells]
    if not any("injected-parameters" in t for t in tags):
        return set()  # a notebook run without papermill: its defaults are the values it ran with
    return {i for i, t in enumerate(tags) if "parameters" in t
            or ("injected-parameters" in t and nb.cells[i].source == shown)}


def merge_notebooks(executed: Mapping[str, Any], wanted: Iterable[str] = ()) -> tuple[Any, list[dict]]:
    """One notebook of all executed ones in order, with stable cell ids, notebook heads and dataset anchors.

    Returns ``(notebook, toc)``; ``toc`` lists each notebook's anchor, title and its ## headings. The code cell
    that saved a dataset (its ``ctx.save`` marker) gets the anchor ``out-<dataset>``; a dataset the report links
    to but no executed cell saved points at the start of the notebook of the step that writes it (catalog).
    The run's parameters are shown once, in the first notebook (:func:`parameter_cells`).
    ``wanted``: anchors the summary links to (``cv-primary-R1`` …); one that no output carries (a step that did
    not draw its worked blocks) falls back to the anchor of its dataset, so no link of the summary is dead.
    """
    import nbformat

    from analysis.context import SAVED_MIME

    merged = nbformat.v4.new_notebook()
    merged.metadata = {"language_info": {"name": "python"}}
    toc: list[dict] = []
    placed: set[str] = set()
    starts: dict[str, Any] = {}
    shown_parameters: str | None = None
    shown: set[str] = set()  # ids carried by the outputs themselves (the worked blocks of the audit trail)
    anchored: dict[str, Any] = {}  # out-<dataset> → the cell that carries it
    for stem in sorted(executed):
        nb = executed[stem]
        entry = {"anchor": f"nb-{stem}", "stem": stem, "title": stem, "sections": []}
        hidden = parameter_cells(nb, shown_parameters)
        injected = [c.source for i, c in enumerate(nb.cells) if "injected-parameters" in _tags(c) and i not in hidden]
        entry["shows_parameters"] = bool(injected)
        shown_parameters = injected[0] if injected else shown_parameters
        for i, src_cell in enumerate(nb.cells):
            if i in hidden:
                continue
            cell = copy.deepcopy(src_cell)
            cell.id = f"{stem}-{i}"  # the position in the notebook: ids stay put when a cell is hidden
            marks: dict[str, Any] = {}
            if stem not in starts:
                marks["notebook_head"] = f"<b>{esc(stem)}.ipynb</b>"
                marks["notebook_anchor"] = entry["anchor"]
                starts[stem] = cell
            if cell.cell_type == "markdown":
                for level, text in _HEADING.findall(cell.source):
                    if len(level) == 1 and entry["title"] == stem:
                        entry["title"] = _plain_heading(text)
                    elif len(level) == 2:
                        entry["sections"].append({"anchor": cell.id, "title": _plain_heading(text)})
                cell.source = render_math(cell.source)
            elif cell.cell_type == "code":
                for name in saved_datasets(cell):
                    if name not in placed:
                        marks.setdefault("anchors", []).append(audit_anchor(name))
                        anchored[audit_anchor(name)] = cell
                        placed.add(name)
                for out in cell.get("outputs", []):
                    data = out.get("data", {})
                    data.pop(SAVED_MIME, None)
                    if "text/html" in data:
                        html_text = data["text/html"]
                        shown.update(_ID.findall("".join(html_text) if isinstance(html_text, list) else html_text))
                    if "text/markdown" in data:
                        data["text/markdown"] = render_math(data["text/markdown"])
            if marks:
                cell.metadata["report"] = marks
            merged.cells.append(cell)
        toc.append(entry)
    for name, ds in catalog.DATASETS.items():
        if name not in placed and ds.step in starts:
            starts[ds.step].metadata.setdefault("report", {}).setdefault("anchors", []).append(audit_anchor(name))
            anchored[audit_anchor(name)] = starts[ds.step]
            placed.add(name)
    if merged.cells:  # anything still unplaced points at the top of the first notebook
        first = merged.cells[0].metadata.setdefault("report", {}).setdefault("anchors", [])
        first.extend(audit_anchor(n) for n in catalog.DATASETS if n not in placed)
        for anchor in dict.fromkeys(wanted):
            if anchor in shown or anchor in anchored or anchor in first:
                continue
            dataset = anchor_dataset(anchor)
            target = anchored.get(audit_anchor(dataset)) if dataset else None
            (target.metadata["report"]["anchors"] if target is not None else first).append(anchor)
    return merged, toc


def _county_name(manifest: Mapping) -> str:
    if manifest.get("county_name"):
        return str(manifest["county_name"])
    from analysis.context import county_meta

    return str(county_meta(str(manifest.get("county", "")))["name"])


def run_stamp(manifest: Mapping) -> str:
    """The run's start as stored in the manifest (UTC, ``2026-12-02T09:33:05Z``)."""
    return str((manifest.get("run") or {}).get("started_at") or manifest.get("started_at") or "")


def profile_title(manifest: Mapping) -> str:
    """The standards profile as a reader knows it: its title (``重庆市（渝府办发〔2018〕70号…）``), else its name."""
    standards = manifest.get("standards") or {}
    return str(standards.get("title") or standards.get("name")
               or (manifest.get("parameters") or {}).get("standards_profile", ""))


def profile_file(name: str) -> str:
    """Where the audit reader finds the profile: ``standards/chongqing.yaml``, or the county's own file."""
    name = str(name or "")
    return name.removeprefix("file:") if name.startswith("file:") else (f"standards/{name}.yaml" if name else "")


BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")  # China has one time zone and no daylight saving


def beijing_time(stamp: str) -> str:
    """A stored UTC time stamp as readers in China read it: ``2026-12-02 17:33:05（北京时间）``; a text that is
    not an ISO time is returned as given (the manifest keeps UTC, only the display changes)."""
    try:
        when = dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return str(stamp)
    if when.tzinfo is None:  # a stamp without zone is UTC, as the runner writes it
        when = when.replace(tzinfo=dt.UTC)
    return f"{when.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}（北京时间）"


def audit_header(manifest: Mapping, toc: list[dict], county_name: str) -> str:
    """Top of audit.html: run facts, input files with SHA-256, package versions and the table of contents."""
    year = manifest.get("year", "")
    params = manifest.get("parameters", {})
    facts = [("县（区）", f"{county_name}（{manifest.get('county', '')}）"), ("年份", year),
             ("评估口径", profile_title(manifest)), ("评估口径文件", profile_file(params.get("standards_profile", ""))),
             ("代码版本（git）", manifest.get("git_commit", "")),
             ("运行开始时间", beijing_time(run_stamp(manifest))), ("Jupyter 内核", manifest.get("kernel", "")),
             ("执行的笔记本", "、".join(manifest.get("notebooks", [])))]
    fact_rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts)
    shown = [e["stem"] for e in toc if e.get("shows_parameters")]
    if len(toc) > 1 and len(shown) == 1:
        fact_rows += (f'<tr><th>运行参数</th><td>各步骤相同，只在 <a href="#nb-{esc(shown[0])}">{esc(shown[0])}.ipynb</a>'
                      " 开头显示一次（papermill 注入的参数单元格）</td></tr>")
    inputs = manifest.get("inputs", [])
    input_rows = "".join(
        f"<tr><td>{esc(i.get('path'))}</td><td>{fmt_number(i.get('bytes'), 0)}</td>"
        f"<td class=\"hash\">{esc(i.get('sha256'))}</td></tr>" for i in inputs) or (
        '<tr><td colspan="3">清单中没有输入文件</td></tr>')
    versions = manifest.get("versions", {})
    version_text = "；".join(f"{esc(k)} {esc(v)}" for k, v in sorted(versions.items()))
    toc_items = []
    for entry in toc:
        subs = "".join(f'<li><a href="#{esc(s["anchor"])}">{esc(s["title"])}</a></li>' for s in entry["sections"])
        toc_items.append(f'<li><a href="#{esc(entry["anchor"])}">{esc(entry["stem"])}　{esc(entry["title"])}</a>'
                         + (f"<ol>{subs}</ol>" if subs else "") + "</li>")
    return (
        '<header class="report-head" id="top"><div class="kicker">审计报告 · 全部计算步骤、代码、输入与输出</div>'
        f"<h1>{esc(county_name)} {esc(year)} 年义务教育优质均衡发展评估</h1></header>"
        f'<table class="meta"><tbody>{fact_rows}</tbody></table>'
        "<h2>输入文件及校验值（SHA-256）</h2>"
        '<p class="note">原始文件只读不改；用同一 SHA-256 校验值的文件重新运行，得到相同的结果。</p>'
        f'<table class="meta"><thead><tr><th>文件</th><th>字节</th><th>SHA-256</th></tr></thead>'
        f"<tbody>{input_rows}</tbody></table>"
        f'<p class="note">软件版本：{version_text}</p>'
        '<p class="note">运行所用的文件夹（含临时目录 .staging-年份）在本报告中按项目内的标准位置显示'
        f"（data/raw/县/年份、data/processed/县/年份、reports/县/年份）；各步骤耗时见 {MANIFEST_FILE}。</p>"
        f'<h2>目录</h2><nav class="toc"><ol>{"".join(toc_items)}</ol></nav>'
    )


def summary_footer(manifest: Mapping) -> str:
    """Bottom of summary.html: provenance in one line."""
    stamp = beijing_time(run_stamp(manifest))
    return (f'<footer class="report-foot">生成时间：{esc(stamp)}　评估口径：{esc(profile_title(manifest))}　'
            f"代码版本：{esc(str(manifest.get('git_commit', ''))[:12])}　"
            f'计算过程与输入文件校验值见 <a href="{AUDIT_FILE}">审计报告</a>；明细数据见 {RESULTS_XLSX}。</footer>')


def _path_aliases(executed: Mapping[str, Any], out_dir: Path | None) -> list[tuple[str, str]]:
    """The folders a run used → their standard place in the project (data/raw/<县>/<年>, data/processed/<县>/<年>,
    reports/<县>/<年>, data/processed), so staging folders and machine-specific roots never show in a report
    and the same inputs give the same HTML on any machine."""
    aliases: dict[str, str] = {}
    for nb in executed.values():
        params = (nb.metadata.get("papermill") or {}).get("parameters") or {}
        county, year = params.get("county"), params.get("year")
        if not county or not year:
            continue
        standard = {"raw_dir": f"data/raw/{county}/{year}", "processed_dir": f"data/processed/{county}/{year}",
                    "reports_dir": f"reports/{county}/{year}", "processed_root": "data/processed"}
        for key, new in standard.items():
            if params.get(key):
                aliases[str(params[key]).rstrip("/")] = new
        if out_dir is not None:
            aliases[str(out_dir).rstrip("/")] = standard["reports_dir"]
    root = str(config.PROJECT_ROOT.resolve())
    aliases = {old: new for old, new in aliases.items() if old not in ("", ".", "/", root)}
    return sorted(aliases.items(), key=lambda a: -len(a[0]))


def font_face_css(text: str) -> str:
    """``@font-face`` with the CJK font subset to the characters of ``text`` (base64 WOFF, deterministic)."""
    # all printable ASCII always: a path or number differing between machines must not change the font bytes
    return _font_face_css("".join(sorted({c for c in text if ord(c) >= 0x20} | {chr(c) for c in range(0x20, 0x7F)})))


@lru_cache(maxsize=16)
def _font_face_css(chars: str) -> str:
    """The subset for one set of characters; kept, since the index pages of a run repeat the same ones."""
    from fontTools import subset

    from analysis.report.plotting import cjk_font_path

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = []  # horizontal text needs none; halves the size and the time
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # names incl. copyright and licence (SIL OFL)
    options.hinting = False
    options.notdef_outline = True
    font = subset.load_font(str(cjk_font_path()), options)  # recalc_timestamp is off: stable bytes
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    font.close()  # the font file stays open for lazy reading until closed
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: 100 900; font-style: normal; '
            f'src: url(data:font/woff;base64,{data}) format("woff"); }}')


def with_font(page: str) -> str:
    return page.replace(FONT_PLACEHOLDER, font_face_css(page), 1)


_NO_ALT_IMG = re.compile(r"<img(?![^>]*\balt=)", re.I)
_CLASS_ATTR = re.compile(r' class="([^"<>]*)"')
_CHAR_REF = re.compile(r"&#(?:(\d+)|[xX]([0-9a-fA-F]+));")


def _literal_char(m: re.Match) -> str:
    """A numeric character reference outside ASCII as the character itself (headings come out of ElementTree
    as ``&#20108;…``): the page is UTF-8, readers search it, and the font subset is made from its characters.
    ASCII references (``&#60;``) stay escaped."""
    code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
    return chr(code) if 0x80 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group(0)


@cache
def _exporter_class() -> type:
    """nbconvert's HTML exporter without its last pass: ``HTMLExporter.from_notebook_node`` parses the whole page
    with BeautifulSoup and writes it out again, only to give images without alt text a placeholder (its other edit
    needs a ``.jp-Notebook`` container, which these pages do not have). That pass took about three quarters of the
    audit page's time. Its effects that matter are made on the text here: images get an alt text, class lists are
    tidied, and characters written as numeric references are written as themselves."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):  # type: ignore[override]
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code",
                                 self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            page = _CHAR_REF.sub(_literal_char, _NO_ALT_IMG.sub('<img alt="图表"', page))
            return _CLASS_ATTR.sub(lambda m: f' class="{" ".join(m.group(1).split())}"', page), resources

    return ReportExporter


def _export(nb: Any, *, summary: bool, title: str, top_html: str, bottom_html: str) -> str:
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATE_DIR)]
    c.HTMLExporter.template_name = TEMPLATE_NAME
    c.HTMLExporter.template_file = TEMPLATE_FILE
    c.HTMLExporter.exclude_input = summary
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True
    c.HTMLExporter.sanitize_html = False
    exporter = _exporter_class()(config=c)
    resources = {
        "metadata": {"name": title, "path": str(config.NOTEBOOKS)},
        "report": {"title": title, "kind": "summary" if summary else "audit", "font_css": FONT_PLACEHOLDER,
                   "page_css": template_text("page.css") + page_header_css(title), "top_html": top_html,
                   "bottom_html": bottom_html},
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def _finish(page: str, aliases: list[tuple[str, str]], font: bool = True) -> str:
    """Final page text: staging paths shown at their standard place, stable ids, seed documents cited by title
    (a last safety net: sources are cited by title where they are written), and (``font``) the CJK font subset
    embedded; with ``font=False`` the placeholder stays for :func:`render_reports` to fill once."""
    for old, new in aliases:
        page = page.replace(old, new)
    page = cite_html(stable_styler_ids(page))
    return with_font(page) if font else page


def summary_notebook(nb: Any) -> Any:
    """Copy of the report notebook for leaders: positional cell ids, no stderr (warnings) outputs."""
    out = copy.deepcopy(nb)
    for i, cell in enumerate(out.cells):
        cell.id = f"summary-{i}"
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        elif cell.cell_type == "markdown":
            cell.source = render_math(cell.source)
    return out


def _report_notebook(executed: Mapping[str, Any]) -> Any | None:
    report = Path(catalog.STEPS[catalog.REPORT].notebook).stem  # the catalog's report step, else a *_report one
    if report in executed:
        return executed[report]
    for stem in sorted(executed):
        if stem.endswith("_report"):
            return executed[stem]
    return None


def summary_targets(summary: str) -> list[str]:
    """The audit anchors a summary page links to (``href="audit.html#…"``), in order, each once."""
    found = re.findall(rf'href="{re.escape(AUDIT_FILE)}#([^"]+)"', summary)
    return list(dict.fromkeys(html.unescape(a) for a in found))


def render_summary(executed: Mapping[str, Any], manifest: Mapping, out_dir: Path, font: bool = True) -> str | None:
    """summary.html text from the executed report notebook (no code, no prompts), or None without it."""
    nb = _report_notebook(executed)
    if nb is None:
        return None
    county_name = _county_name(manifest)
    title = f"{county_name} {manifest.get('year', '')} 年义务教育优质均衡发展评估 · 领导摘要"
    page = _export(summary_notebook(nb), summary=True, title=title, top_html="",
                   bottom_html=summary_footer(manifest))
    return _finish(scroll_tables(page), _path_aliases(executed, out_dir), font)


def render_audit(executed: Mapping[str, Any], manifest: Mapping, out_dir: Path, font: bool = True,
                 wanted: Iterable[str] = ()) -> str:
    """audit.html text: every executed notebook in order with code, inputs (hashes) and anchors (``wanted``:
    the anchors the summary links to, see :func:`merge_notebooks`)."""
    county_name = _county_name(manifest)
    merged, toc = merge_notebooks(executed, wanted)
    title = f"{county_name} {manifest.get('year', '')} 年义务教育优质均衡发展评估 · 审计报告"
    page = _export(merged, summary=False, title=title, top_html=audit_header(manifest, toc, county_name),
                   bottom_html='<p class="back-top"><a href="#top">回到顶部</a></p>')
    return _finish(page, _path_aliases(executed, out_dir), font)


def notebook_html(nb: Any, title: str | None = None, font: bool = True) -> str:
    """One executed notebook as a self-contained HTML page with its code (the runner writes ``NN_name.html``).

    Same template, formulas, font subset and normalisation as audit.html: staging paths shown as final ones,
    positional cell ids, renumbered Styler ids.
    """
    stem = str((nb.metadata.get("papermill") or {}).get("input_path") or "notebook")
    stem = Path(stem).stem
    merged, _ = merge_notebooks({stem: nb})
    for cell in merged.cells:  # a single notebook needs no notebook header
        cell.metadata.get("report", {}).pop("notebook_head", None)
    heading = next((_plain_heading(t) for c in nb.cells if c.cell_type == "markdown"
                    for lvl, t in _HEADING.findall(c.source) if len(lvl) == 1), stem)
    page = _export(merged, summary=False, title=title or heading, top_html="",
                   bottom_html=f'<footer class="report-foot">{esc(stem)}.ipynb · 完整计算过程见 {AUDIT_FILE}</footer>')
    params = (nb.metadata.get("papermill") or {}).get("parameters") or {}
    out_dir = Path(params["reports_dir"]) if params.get("reports_dir") else Path(".")
    return _finish(page, _path_aliases({stem: nb}, out_dir), font)


class NotebookOutputError(RuntimeError):
    """An executed notebook holds an error output although its cells ran (e.g. a chart that failed to render)."""


def output_errors(executed: Mapping[str, Any]) -> list[str]:
    """Error outputs left in executed notebooks. IPython catches exceptions raised while *displaying* a result
    (a chart with a glyph missing from the fonts, a broken table) and shows them as output instead of failing
    the cell, so the run would otherwise go on with a chart missing; each entry names notebook, cell, error."""
    found = []
    for stem in sorted(executed):
        for i, cell in enumerate(executed[stem].cells):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    found.append(f"{stem}.ipynb cell {i}: {out.get('ename', '')}: {out.get('evalue', '')}")
    return found


def warm_up(notebooks_dir: Path | None = None) -> None:
    """Load and compile what rendering needs (nbconvert's templates, the code highlighter, the font subsetter, the
    formulas of the notebooks' text) ahead of the first report of a process."""
    import nbformat

    for path in sorted(Path(notebooks_dir or config.NOTEBOOKS).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                render_math(cell.source)  # math_svg keeps each formula for this process
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 预热"), nbformat.v4.new_code_cell("x = 1")])
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    font_face_css(_export(nb, summary=False, title="", top_html="", bottom_html=""))


def render_reports(executed: dict[str, Any], manifest: dict, out_dir: Path, notebook_pages: bool = False
                   ) -> list[Path]:
    """Write ``summary.html`` (if the report notebook ran)
    and ``audit.html`` into ``out_dir``.

    Called by :func:`analysis.pipeline.run_year` with the executed notebooks (stem → NotebookNode) and the
    run manifest, before the staging folder is swapped in. The CJK font is subset once, to the characters of
    all the pages together (subsetting is the slow part), and embedded in each. Returns the written paths.
    Raises :class:`NotebookOutputError` when a notebook holds an error output (see :func:`output_errors`).
    """
    errors = output_errors(executed)
    if errors:
        raise NotebookOutputError("executed notebooks contain errors shown as output (the reports would hide "
                                  "them):\n" + "\n".join(errors))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pages: dict[Path, str] = {}
    if notebook_pages:
        for stem, nb in executed.items():
            pages[out_dir / f"{stem}.html"] = notebook_html(nb, font=False)
    summary = render_summary(executed, manifest, out_dir, font=False)
    if summary is not None:
        pages[out_dir / SUMMARY_FILE] = summary
    pages[out_dir / AUDIT_FILE] = render_audit(executed, manifest, out_dir, font=False,
                                               wanted=summary_targets(summary or ""))
    css = font_face_css("".join(pages.values()))
    for path, page in pages.items():
        path.write_text(page.replace(FONT_PLACEHOLDER, css, 1), encoding="utf-8")
    return list(pages)
