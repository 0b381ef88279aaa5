"""Learn a WordPiece vocabulary by merging frequent pairs, the same run to run.

The ``tokenizers`` WordPiece trainer breaks ties between pairs of equal count
by internal ids that follow a hash map's order, which changes from process to
process: on the same 200-question training split, about one process in five
kept other tokens at the vocabulary limit, so the embedded default's model,
and its F1, depended on the process (most likely why a resumed run once ended
3.6 F1 away from an uninterrupted one in CI). Here a tie goes to the pair of
the earliest pieces in vocabulary order, so the vocabulary depends on the text
alone.

Words are split into characters, a continuation carrying the ``##`` prefix, and
the most frequent adjacent pair is merged into a new piece until the vocabulary
is full or no pair is left.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable

PREFIX = "##"

Pair = tuple[str, str]


def _pieces(word: str) -> list[str]:
    return [word[0]] + [PREFIX + character for character in word[1:]]


def _joined(pair: Pair) -> str:
    first, second = pair
    return first + second.removeprefix(PREFIX)


def _merged(pieces: list[str], pair: Pair, joined: str) -> list[str]:
    """``pieces`` with every occurrence of ``pair``, left to right, as one piece."""
    out = []
    i = 0
    while i < len(pieces):
        if i + 1 < len(pieces) and (pieces[i], pieces[i + 1]) == pair:
            out.append(joined)
            i += 2
        else:
            out.append(pieces[i])
            i += 1
    return out


def _pairs(pieces: list[str]) -> Counter[Pair]:
    return Counter(zip(pieces, pieces[1:], strict=False))


def _entry(pair: Pair, count: int, ids: dict[str, int]) -> tuple:
    """A queue entry: highest count first, then the pair of the earliest pieces."""
    return (-count, ids[pair[0]], ids[pair[1]], pair)


def learn_vocabulary(
    word_counts: Iterable[tuple[str, int]],
    *,
    vocab_size: int,
    alphabet: str = "",
    special_tokens: Iterable[str] = (),
) -> list[str]:
    """Special tokens, both forms (``가``, ``##가``) of every character of
    ``alphabet``, the words' other characters, then merged pieces in the order
    learned."""
    words = [(_pieces(word), count) for word, count in word_counts if word]
    vocabulary = list(special_tokens)
    for character in sorted(set(alphabet)):
        vocabulary += [character, PREFIX + character]
    # Other characters only in the places the text has them ("##." never occurs:
    # punctuation is always a word of its own).
    vocabulary += sorted({piece for pieces, _ in words for piece in pieces})
    vocabulary = list(dict.fromkeys(vocabulary))
    ids = {token: i for i, token in enumerate(vocabulary)}

    counts: Counter[Pair] = Counter()
    holders: defaultdict[Pair, set[int]] = defaultdict(set)
    for index, (pieces, count) in enumerate(words):
        for pair, n in _pairs(pieces).items():
            counts[pair] += n * count
            holders[pair].add(index)
    # Stale entries (the count changed since) are skipped when popped.
    queue = [_entry(pair, n, ids) for pair, n in counts.items()]
    heapq.heapify(queue)
    while queue and len(vocabulary) < vocab_size:
        negative, _, _, pair = heapq.heappop(queue)
        if counts.get(pair, 0) != -negative or negative == 0:
            continue
        joined = _joined(pair)
        if joined not in ids:
            ids[joined] = len(vocabulary)
            vocabulary.append(joined)
        changed = set()
        for index in sorted(holders.pop(pair)):
            pieces, count = words[index]
            before = _pairs(pieces)
            after_pieces = _merged(pieces, pair, joined)
            after = _pairs(after_pieces)
            words[index] = (after_pieces, count)
            for old, n in before.items():
                counts[old] -= n * count
                if old not in after:
                    holders[old].discard(index)
                changed.add(old)
            for new, n in after.items():
                counts[new] += n * count
                holders[new].add(index)
                changed.add(new)
        for updated in changed:
            if counts[updated] > 0:
                heapq.heappush(queue, _entry(updated, counts[updated], ids))
            else:
                counts.pop(updated, None)
                holders.pop(updated, None)
    return vocabulary
