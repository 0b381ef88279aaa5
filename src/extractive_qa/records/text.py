"""One form for every text: Unicode NFC without zero-width characters, with
plain spaces.

Files written on macOS often hold Hangul decomposed into jamo (NFD), while the
answers typed next to them are composed (NFC); the two never match character
for character. Zero-width spaces and joiners copied from web pages break
matches the same way, and so do no-break and ideographic spaces in a context
whose answer was typed with a plain one. Contexts, questions and answers all go
through ``clean_text``, and every answer start is carried over to the cleaned
context.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Zero-width space, non-joiner, joiner, word joiner and the byte-order mark
# used as a zero-width no-break space.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# Every other space separator (Unicode category Zs): no-break, Ogham, the
# en/em/thin/hair family, narrow no-break, medium mathematical, ideographic.
# Each becomes one plain space, so positions do not move.
SPACES = (
    "\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
)
_TRANSLATION = {
    **dict.fromkeys(map(ord, ZERO_WIDTH)),
    **dict.fromkeys(map(ord, SPACES), " "),
}
_UNCLEAN = re.compile(f"[{ZERO_WIDTH}{SPACES}]")


def is_clean(text: str) -> bool:
    """Whether ``clean_text`` would leave ``text`` as it is."""
    return unicodedata.is_normalized("NFC", text) and _UNCLEAN.search(text) is None


def clean_text(text: str) -> str:
    """``text`` without zero-width characters, with plain spaces, in NFC
    (removed and replaced first, so that a zero-width character between two
    jamo does not keep them apart)."""
    if is_clean(text):
        return text
    return unicodedata.normalize("NFC", text.translate(_TRANSLATION))


def clean_start(context: str, start: int) -> int:
    """Where character ``start`` of ``context`` lands in ``clean_text(context)``."""
    return len(clean_text(context[:start]))


@dataclass(frozen=True)
class CleanedText:
    """``clean_text(raw)`` with, for each of its characters, where the raw
    characters it was made from start and end (a composed syllable comes from
    its jamo; zero-width characters make nothing; any space makes a plain one).
    ``starts`` and ``ends`` are None when ``raw`` was clean already."""

    raw: str
    text: str
    starts: list[int] | None = None
    ends: list[int] | None = None

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The raw characters behind ``text[start:end]`` (``end > start``)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _joins(segment: str, char: str) -> bool:
    """Whether NFC may merge ``char`` into ``segment``, the characters before it
    since the last boundary: a character that is or begins with a combining
    mark once decomposed, or one that composes with the segment's last
    character (Hangul jamo, for one)."""
    if unicodedata.combining(unicodedata.normalize("NFD", char)[0]):
        return True
    last = unicodedata.normalize("NFC", segment)[-1]
    alone = last + unicodedata.normalize("NFC", char)
    return unicodedata.normalize("NFC", last + char) != alone


def clean_with_offsets(raw: str) -> CleanedText:
    """``clean_text(raw)`` and where each of its characters comes from in
    ``raw``. NFC only changes text within runs of characters that compose or
    carry marks, so each run is normalised alone and its output characters all
    point at the whole run."""
    if is_clean(raw):
        return CleanedText(raw, raw)
    runs: list[list] = []  # [raw start, raw end, characters]
    for index, char in enumerate(raw):
        if char in ZERO_WIDTH:
            continue
        if char in SPACES:
            char = " "
        if runs and _joins(runs[-1][2], char):
            runs[-1][1] = index + 1
            runs[-1][2] += char
        else:
            runs.append([index, index + 1, char])
    pieces, starts, ends = [], [], []
    for start, end, chars in runs:
        piece = unicodedata.normalize("NFC", chars)
        pieces.append(piece)
        starts.extend([start] * len(piece))
        ends.extend([end] * len(piece))
    return CleanedText(raw, "".join(pieces), starts, ends)
