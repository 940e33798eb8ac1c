"""The font labels and reports print with: one that has Chinese glyphs, so that a
Chinese warehouse's bin, item and zone names print (DESIGN.md: "PDFs come from one
library with a font that prints Chinese").

Looked up once, in Debian's font packages: WenQuanYi Micro Hei (`fonts-wqy-microhei`,
1.6 MB, TrueType outlines in a .ttc collection) first, as both PDF libraries load it
(reportlab reads TrueType only, not the OpenType/CFF of Noto CJK; fpdf2 reads both),
then other TrueType CJK fonts. None found: the PDFs fall back to the built-in
Helvetica, which prints Latin-1 only (other characters become `?`), and the hub says
so in its log at start."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FontFile:
    path: Path
    index: int = 0  # the font's number in a .ttc collection

    @property
    def name(self) -> str:
        return self.path.stem


CJK_FONTS = (
    FontFile(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")),
    FontFile(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")),
    FontFile(Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")),
    FontFile(Path("/usr/share/fonts/truetype/arphic/uming.ttc")),
)
INSTALL_HINT = "install Debian's fonts-wqy-microhei"


@functools.cache
def cjk_font() -> FontFile | None:
    """The first CJK font installed, or None (logged once either way)."""
    for font in CJK_FONTS:
        if font.path.is_file():
            log.info("PDF font for labels and reports", extra={"font": str(font.path)})
            return font
    log.warning("no font with Chinese glyphs found (looked for %s); labels and reports "
                "print Latin-1 text only, other characters as '?'; %s",
                ", ".join(str(f.path) for f in CJK_FONTS), INSTALL_HINT)
    return None


def latin1(text: str) -> str:
    """What the built-in PDF fonts can print of `text`: Latin-1, the rest as `?`."""
    return text.encode("latin-1", "replace").decode("latin-1")
