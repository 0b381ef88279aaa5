"""One form for every text: Unicode NFC without zero-width characters.

Files written on macOS often hold Hangul decomposed into jamo (NFD), while the
answers typed next to them are composed (NFC); the two never match character
for character. Zero-width spaces and joiners copied from web pages break
matches the same way. Contexts, questions and answers all go through
``clean_text``, and every answer start is carried over to the cleaned context.
"""

from __future__ import annotations

import unicodedata

# Zero-width space, non-joiner, joiner, word joiner and the byte-order mark
# used as a zero-width no-break space.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_DROP_ZERO_WIDTH = dict.fromkeys(map(ord, ZERO_WIDTH))


def is_clean(text: str) -> bool:
    """Whether ``clean_text`` would leave ``text`` as it is."""
    return unicodedata.is_normalized("NFC", text) and not any(
        mark in text for mark in ZERO_WIDTH
    )


def clean_text(text: str) -> str:
    """``text`` without zero-width characters, in NFC (removed first, so that a
    zero-width character between two jamo does not keep them apart)."""
    if is_clean(text):
        return text
    return unicodedata.normalize("NFC", text.translate(_DROP_ZERO_WIDTH))


def clean_start(context: str, start: int) -> int:
    """Where character ``start`` of ``context`` lands in ``clean_text(context)``."""
    return len(clean_text(context[:start]))
