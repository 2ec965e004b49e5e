"""The one plotting set-up (analysis.plotting): CJK font from the project's own install, no boxes, stable PNGs."""

from __future__ import annotations

import base64
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from analysis.report import plotting


def _chart(title: str) -> Figure:
    fig = Figure(figsize=(4, 3))
    ax = fig.subplots()
    ax.bar(["小学", "初中"], [0.32, 0.51], color=[plotting.COLOURS["pass"], plotting.COLOURS["fail"]])
    ax.axhline(0.45, ls="--")
    ax.set_title(title)
    ax.set_ylabel("差异系数")
    return fig


def test_font_comes_from_the_installed_package():
    path = plotting.cjk_font_path()
    assert path.name == "NotoSansCJKsc-Regular.otf" and "mplfonts" in str(path)
    assert plotting.cjk_font_name() == "Noto Sans CJK SC"


def test_chinese_chart_renders_with_the_cjk_font(recwarn):
    plotting.setup_plotting()
    assert plt.rcParams["font.sans-serif"][0] == "Noto Sans CJK SC"
    png = plotting.figure_png(_chart("各指标校际差异系数（县域）"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert not [w for w in recwarn if "missing from font" in str(w.message)]


@pytest.mark.parametrize("text", ["表情 \U0001F600", "古意大利字母 \U00010300"])
def test_missing_glyph_is_an_error(text):
    plotting.setup_plotting()
    with pytest.raises(UserWarning, match="missing from font"):
        plotting.figure_png(_chart(text))
    fig, ax = plt.subplots()  # pyplot figures too, through the warnings filter set by setup_plotting
    ax.set_title(text)
    with pytest.raises(UserWarning, match="missing from font"):
        fig.canvas.draw()
    plt.close(fig)


def test_missing_glyph_is_an_error_without_setup_in_package_code():
    # package code draws inside chart_context(): the CJK font and the error hold even if nobody called setup
    with plotting.chart_context():
        assert plotting.figure_png(_chart("差异系数")).startswith(b"\x89PNG")
        with pytest.raises(UserWarning, match="missing from font"):
            plotting.figure_png(_chart("\U0001F600"))


def test_png_is_byte_identical_and_unstamped():
    plotting.setup_plotting()
    a, b = plotting.figure_png(_chart("校校达标")), plotting.figure_png(_chart("校校达标"))
    assert a == b
    assert b"Software" not in a and b"Matplotlib" not in a


def test_figure_html_embeds_png_and_escapes_alt():
    plotting.setup_plotting()
    html = plotting.figure_html(_chart("预测"), 'a "<b>" 图')
    assert 'alt="a &quot;&lt;b&gt;&quot; 图"' in html
    data = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(data).startswith(b"\x89PNG")


@pytest.mark.slow
def test_notebook_figures_are_png_without_stamp():
    """In the project kernel, ``display(fig)`` and pyplot figures come out as stable PNGs with the CJK font."""
    import nbformat
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    from analysis.config import KERNEL_NAME

    code = ("import warnings\nfrom matplotlib.figure import Figure\nimport matplotlib.pyplot as plt\n"
            "from analysis.report.plotting import setup_plotting\nsetup_plotting()\n"
            "fig = Figure(figsize=(3, 2)); fig.subplots().set_title('校际差异系数'); display(fig)\n"
            "plt.figure(figsize=(3, 2)); plt.title('达标学校比例'); plt.show()")
    pngs = []
    for _ in range(2):
        nb = new_notebook(cells=[new_code_cell(code)])
        NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=120).execute()
        outputs = nb.cells[0].outputs
        assert not [o for o in outputs if o.output_type == "error"], outputs
        images = [o for o in outputs if "image/png" in o.get("data", {})]
        assert len(images) == 2, [o.get("data", {}).keys() for o in outputs]
        assert not [o for o in outputs if o.get("name") == "stderr"]
        pngs.append([base64.b64decode(o["data"]["image/png"]) for o in images])
        nbformat.validate(nb)
    assert pngs[0] == pngs[1]
    assert all(b"Software" not in p for p in pngs[0])


def test_panel_chart_shows_the_years_once_per_column_and_every_panel_title():
    from analysis.report import charts_projection

    rows = pd.DataFrame([
        {"level": "county", "section": "primary", "indicator": f"R{i}_cv", "year": y, "kind": kind,
         "value": 0.3 + 0.01 * i, "low": 0.28 if kind == "projected" else np.nan,
         "high": 0.35 if kind == "projected" else np.nan, "threshold": 0.5}
        for i in range(1, 8) for y, kind in [(2024, "observed"), (2025, "observed"), (2026, "projected")]])
    milestones = [{"year": 2026, "zh": "市级督导评估"}]
    with plotting.chart_context():
        fig = charts_projection.trend_figure(rows, [("primary", f"R{i}_cv") for i in range(1, 8)], milestones,
                                             "差异系数")
        plotting.figure_png(fig)
    assert len(fig.axes) == 7  # no empty cells
    years = [[t.get_text() for t in ax.get_xticklabels()] for ax in fig.axes]
    # 4 columns: panels 1–3 have a panel below them, 4 is the lowest of its column, 5–7 the bottom row
    assert [bool(y) for y in years] == [False, False, False, True, True, True, True]
    assert "2026" in years[-1] and all(len(ax.get_yticklabels()) for ax in fig.axes)
    assert [ax.get_title() for ax in fig.axes] == [f"小学 R{i}_cv" for i in range(1, 8)]
    assert all(len(ax.collections) == 2 for ax in fig.axes)  # the band and the milestone lines


def _draws(fig: Figure) -> int:
    seen = []
    fig.canvas.mpl_connect("draw_event", seen.append)
    plotting.figure_png(fig)
    return len(seen)


def test_tight_layout_charts_are_drawn_once():
    from analysis.report.charts import _fitted

    plotting.setup_plotting()
    plain = _chart("差异系数")
    plain.tight_layout()  # leaves a placeholder layout engine: matplotlib draws the figure twice
    assert _draws(plain) == 2
    fitted = _fitted(_chart("差异系数"))
    assert _draws(fitted) == 1 and plotting.figure_png(fitted) == plotting.figure_png(plain)
