"""One plotting set-up for every notebook (图表设置): a CJK font shipped by the project's own install.

The Noto Sans CJK SC font comes from the ``mplfonts`` package (a pinned dependency), so no system font is
needed. A missing glyph is turned into an error, so a chart never shows boxes where Chinese should be.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

FONT_FILE = "NotoSansCJKsc-Regular.otf"


@cache
def cjk_font_path() -> Path:
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / FONT_FILE
    if not path.exists():
        raise FileNotFoundError(f"CJK font {FONT_FILE} not found in the mplfonts package ({path})")
    return path


def setup_plotting() -> str:
    """Register the CJK font, set a clean style and make missing glyphs errors. Returns the font name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    plt.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [name, "DejaVu Sans"],
            "axes.unicode_minus": False,
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "figure.figsize": (8, 4.5),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "county-eval",  # deterministic SVG ids
        }
    )
    warnings.filterwarnings("error", message=r".*Glyph .* missing from font.*")
    return name
