"""A font with Hangul glyphs for matplotlib, so Korean labels are not boxes.

matplotlib's bundled DejaVu Sans has no Hangul. koreanize-matplotlib ships
NanumGothic (SIL Open Font License); its file is registered with matplotlib's
font manager without importing that package, whose import rewrites global
rcParams.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from matplotlib import font_manager

FONT_PACKAGE = "koreanize_matplotlib"
FONT_FILE = "NanumGothic.ttf"


def hangul_font_path() -> Path:
    """Path of the NanumGothic file shipped by koreanize-matplotlib."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    locations = spec.submodule_search_locations if spec else None
    path = Path(locations[0]) / "fonts" / FONT_FILE if locations else None
    if path is None or not path.is_file():
        raise FileNotFoundError(
            f"No {FONT_FILE} from the {FONT_PACKAGE} package; reinstall the "
            "project (`make install`), which depends on koreanize-matplotlib."
        )
    return path


@cache
def hangul_font_family() -> str:
    """Register the Hangul font with matplotlib once; return its family name."""
    path = hangul_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def hangul_rc() -> dict[str, list[str]]:
    """rcParams for ``matplotlib.rc_context``: Hangul font first, then DejaVu
    Sans for anything it lacks."""
    return {"font.family": [hangul_font_family(), "DejaVu Sans"]}
