"""One plotting set-up for every notebook (图表设置): a CJK font shipped by the project's own install.

The Noto Sans CJK SC font comes from the ``mplfonts`` package (a pinned dependency), so no system font is
needed. A missing glyph is turned into an error, so a chart never shows boxes where Chinese should be.
PNG output carries no software/version stamp, so the same chart gives the same bytes (reports are compared
byte for byte between runs).
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

FONT_FILE = "NotoSansCJKsc-Regular.otf"
# Matplotlib writes "Software: Matplotlib version x.y" into every PNG; None leaves it out (stable bytes).
PNG_METADATA: dict[str, str | None] = {"Software": None}
MISSING_GLYPH = r".*Glyph .* missing from font.*"

# Traffic-light colours (交通灯) shared by charts, HTML fragments and the Excel workbook.
COLOURS = {
    "pass": "#2e7d32",  # 达标
    "at_risk": "#f9a825",  # 有风险
    "fail": "#c62828",  # 未达标
    "unknown": "#90a4ae",  # 无数据
    "line": "#1565c0",
    "band": "#90caf9",
    "threshold": "#424242",
}

RC_PARAMS = {
    "font.family": "sans-serif",
    "axes.unicode_minus": False,
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "figure.figsize": (8, 4.5),
    "figure.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "county-eval",  # deterministic SVG ids
}


@cache
def cjk_font_path() -> Path:
    """Path of Noto Sans CJK SC inside the installed ``mplfonts`` package."""
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / FONT_FILE
    if not path.exists():
        raise FileNotFoundError(f"CJK font {FONT_FILE} not found in the mplfonts package ({path})")
    return path


@cache
def cjk_font_name() -> str:
    """Family name matplotlib knows the CJK font by (registers it on first use)."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def rc_params() -> dict:
    """The rcParams :func:`setup_plotting` applies (CJK font first, DejaVu Sans for Latin fallback)."""
    return {**RC_PARAMS, "font.sans-serif": [cjk_font_name(), "DejaVu Sans"]}


def setup_plotting() -> None:
    """Register the CJK font, set a clean style, make missing glyphs errors and PNG output deterministic.

    Called once in the set-up cell of every notebook. Inside a Jupyter kernel it also configures how figures
    are shown (PNG, tight bounding box, no version stamp), for ``display(fig)`` and for pyplot figures alike.
    Returns nothing, so a bare call as the last line of a cell prints nothing.
    """
    params = rc_params()
    plt.rcParams.update(params)
    warnings.filterwarnings("error", message=MISSING_GLYPH)
    _configure_notebook_display(params)


def _configure_notebook_display(params: dict) -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python without IPython
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return
    from IPython.core.pylabtools import select_figure_formats

    kwargs = {"bbox_inches": "tight", "metadata": PNG_METADATA}
    try:
        from matplotlib_inline.config import InlineBackend

        # The inline backend re-applies its own rc and print options when pyplot first activates it; make
        # those ours so the order of imports does not matter.
        cfg = InlineBackend.instance(parent=shell)
        cfg.print_figure_kwargs = dict(kwargs)
        cfg.rc = {k: v for k, v in params.items() if k.startswith(("figure.", "font."))}
        cfg.figure_formats = {"png"}
    except ImportError:
        pass
    select_figure_formats(shell, {"png"}, **kwargs)
    # Figures are shown through figure_png at the figure's own dpi (as IPython's formatter does), so that a figure
    # whose layout is fixed is drawn once, not twice.
    shell.display_formatter.formatters["image/png"].for_type(Figure, _inline_png)


def _inline_png(fig: Figure) -> str | None:
    """The notebook's PNG of ``fig`` (base64 text, as IPython's own formatter returns it); nothing when empty."""
    if not fig.axes and not fig.lines:
        return None
    return base64.b64encode(figure_png(fig, dpi=fig.dpi)).decode("ascii")


@contextmanager
def chart_context() -> Iterator[None]:
    """The set-up of :func:`setup_plotting` for one block only (package code that draws without a notebook)."""
    with matplotlib.rc_context(rc_params()), warnings.catch_warnings():
        warnings.filterwarnings("error", message=MISSING_GLYPH)
        yield


def fixed_layout(fig: Figure) -> Figure:
    """Mark ``fig`` as laid out to fit its figure size (a fixed grid with room for every label, or the
    constrained layout): :func:`figure_png` then draws it once instead of measuring a tight box first, which
    costs a whole second draw."""
    fig._county_fixed_layout = True  # type: ignore[attr-defined]
    return fig


def has_fixed_layout(fig: Figure) -> bool:
    return bool(getattr(fig, "_county_fixed_layout", False)) or fig.get_layout_engine() is not None


def figure_png(fig: Figure, dpi: float | None = None) -> bytes:
    """PNG bytes of ``fig`` (tight box unless its layout is fixed, no metadata stamp). A glyph missing from the
    fonts raises."""
    buffer = io.BytesIO()
    box = None if has_fixed_layout(fig) else "tight"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=MISSING_GLYPH)
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches=box, metadata=PNG_METADATA, facecolor="white")
    return buffer.getvalue()


def figure_html(fig: Figure, alt: str, dpi: float | None = None) -> str:
    """``<img>`` with the chart embedded as base64 PNG (self-contained HTML); closes a pyplot figure."""
    data = base64.b64encode(figure_png(fig, dpi)).decode("ascii")
    plt.close(fig)
    return (f'<img class="chart" alt="{html.escape(alt, quote=True)}" '
            f'src="data:image/png;base64,{data}">')


def year_axis(ax, data_years: Iterable[int], milestone_years: Iterable[int] = (), pad: float = 0.5) -> list[int]:
    """Set a year x-axis from the first year with data to the last milestone (or data year) after it, half a
    year of room on each side, whole years as ticks. Without this a single year of data (a county's first
    run) is widened by matplotlib to ±5% of the year itself (1925–2125). Returns the milestone years inside
    the range, the ones worth a line."""
    years = sorted({int(y) for y in data_years})
    if not years:
        return []
    marks = sorted({int(m) for m in milestone_years if int(m) >= years[0]})
    ax.set_xlim(years[0] - pad, max([years[-1], *marks]) + pad)
    ax.xaxis.get_major_locator().set_params(integer=True)
    return marks
