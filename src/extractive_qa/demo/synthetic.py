"""Synthetic Korean SQuAD-format data for the embedded default.

Each paragraph is a short biography of one invented person: where and when they
were born, where they worked and for how long, what they wrote, why and how they
moved, what they left, which organisation they chaired. Questions ask for one
fact; a paragraph holds at most one entity of each kind (one place, one year...),
so a model has to tell what a question asks for and where that entity begins
and ends.

The training and validation splits draw their people, places, organisations,
years, numbers and titles from disjoint pools: validation asks about entities
training never saw, with the same sentence templates. Answers are usually
followed by a particle (은/는/이/가/에서/의...), so spans do not end on whitespace,
and some paragraphs are long enough to overflow a 384-token window.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from extractive_qa.demo.korean import (
    BACKGROUND,
    GIVEN,
    ORG_SUFFIXES,
    PLACE_STEMS,
    PLACE_SUFFIXES,
    REASONS,
    SURNAMES,
    TITLE_WORDS,
    TRANSPORTS,
    UNITS,
    EntityPools,
    direction,
    entity_pools,
    subject,
    topic,
)


@dataclass
class Fact:
    """One sentence of a biography and the questions it answers."""

    sentence: str
    questions: list[tuple[str, str]] = field(default_factory=list)  # (q, answer)


# Facts by position in _person_facts: born, joined, title, moved, count, chair.
# A group never holds two facts whose answers are of one kind (two places,
# two years, two organisations, two numbers).
FACT_GROUPS = [(0, 1, 2), (0, 4), (1, 3), (3, 4, 5), (2, 3, 4, 5)]


def _person_facts(person: str, pools: EntityPools, rng: random.Random) -> list[Fact]:
    year = rng.choice(pools.years)
    place = rng.choice(pools.places)
    org = rng.choice(pools.organisations)
    title = rng.choice(pools.titles)
    count = rng.choice(pools.counts)
    served = rng.choice([c for c in pools.counts if c <= 45])
    reason = rng.choice(REASONS)
    moved_to = rng.choice(pools.places)
    transport = rng.choice(TRANSPORTS)
    unit = rng.choice(UNITS)
    later = [y for y in pools.years if year + 20 <= y <= year + 70]
    chair_year = rng.choice(later) if later else year + 30
    chair_org = rng.choice(pools.organisations)
    born = f"{year}년"
    return [
        Fact(
            f"{topic(person)} {born}에 {place}에서 태어났다.",
            [
                (f"{subject(person)} 태어난 곳은 어디인가?", place),
                (f"{topic(person)} 언제 태어났는가?", born),
                (f"{born}에 {place}에서 태어난 사람은 누구인가?", person),
            ],
        ),
        Fact(
            f"{topic(person)} {org}에 들어가 {served}년 동안 일했다.",
            [
                (f"{subject(person)} 들어간 곳은 어디인가?", org),
                (f"{topic(person)} {org}에서 몇 년 동안 일했는가?", f"{served}년"),
            ],
        ),
        Fact(
            f"{person}의 대표작은 《{title}》이다.",
            [(f"{person}의 대표작은 무엇인가?", title)],
        ),
        Fact(
            f"{topic(person)} {reason} 때문에 {transport} {direction(moved_to)} "
            "이주했다.",
            [
                (f"{topic(person)} 왜 {direction(moved_to)} 이주했는가?", reason),
                (f"{topic(person)} 어떻게 {direction(moved_to)} 갔는가?", transport),
                (f"{subject(person)} 이주한 곳은 어디인가?", moved_to),
            ],
        ),
        Fact(
            f"{topic(person)} 평생 {count}{unit} 남겼다.",
            [(f"{subject(person)} 남긴 것은 몇 개인가?", f"{count}")],
        ),
        Fact(
            f"{topic(person)} {chair_year}년 {chair_org}의 회장으로 선출되었다.",
            [
                (
                    f"{subject(person)} 회장으로 선출된 해는 언제인가?",
                    f"{chair_year}년",
                ),
                (f"{subject(person)} 회장을 맡은 단체는 무엇인가?", chair_org),
            ],
        ),
    ]


def _paragraph(
    pools: EntityPools,
    rng: random.Random,
    long: bool,
    id_prefix: str,
    unanswerable_fraction: float = 0.0,
) -> dict[str, Any]:
    """One paragraph in the KorQuAD layout: context and its questions.

    A paragraph is about one person and mentions at most one entity of each
    kind (one place, one year, one organisation...), so every question has one
    answer. Background sentences pad the paragraph; a long one has enough of
    them to need several windows. With ``unanswerable_fraction`` that share of
    the questions ask, about the same person, for a fact the paragraph leaves
    out: they have no answer in the context (SQuAD v2 style).
    """
    person = rng.choice(pools.people)
    facts = _person_facts(person, pools, rng)
    group = rng.choice(FACT_GROUPS)
    kinds = rng.sample(group, rng.randint(2, len(group)))
    sentences: list[str] = []
    candidates: list[tuple[str, str, int]] = []  # (question, answer, sentence index)
    for kind in kinds:
        fact = facts[kind]
        for question, answer in fact.questions:
            candidates.append((question, answer, len(sentences)))
        sentences.append(fact.sentence)
    n_background = rng.randint(45, 75) if long else rng.randint(0, 3)
    for _ in range(n_background):
        # Insert before existing sentences, shifting the indices behind it.
        at = rng.randint(0, len(sentences))
        sentences.insert(at, rng.choice(BACKGROUND))
        candidates = [(q, a, i + (i >= at)) for q, a, i in candidates]
    context = ""
    starts = []
    for sentence in sentences:
        starts.append(len(context))
        context += sentence + " "
    context = context.rstrip()
    chosen = rng.sample(candidates, min(len(candidates), rng.randint(3, 6)))
    if unanswerable_fraction > 0:
        # Only drawn when asked for, so the answerable data keeps its seed.
        chosen = _swap_in_unanswerable(
            chosen, facts, kinds, person, rng, unanswerable_fraction
        )
    qas = []
    for number, (question, answer, index) in enumerate(chosen):
        if answer is None:
            qas.append(
                {
                    "id": f"{id_prefix}-{number}",
                    "question": question,
                    "answers": [],
                    "is_impossible": True,
                }
            )
            continue
        answer_start = context.index(answer, starts[index])
        qas.append(
            {
                "id": f"{id_prefix}-{number}",
                "question": question,
                "answers": [{"text": answer, "answer_start": answer_start}],
            }
        )
    return {"context": context, "qas": qas}


def _swap_in_unanswerable(
    chosen: list[tuple[str, str, int]],
    facts: list[Fact],
    kinds: list[int],
    person: str,
    rng: random.Random,
    fraction: float,
) -> list[tuple[str, str | None, int]]:
    """Replace each chosen question, with probability ``fraction``, by one about
    a fact left out of the paragraph (answer None). Questions whose answer is
    the person are not used: the person is in the paragraph."""
    absent = [
        question
        for kind, fact in enumerate(facts)
        if kind not in kinds
        for question, answer in fact.questions
        if answer != person
    ]
    rng.shuffle(absent)
    swapped: list[tuple[str, str | None, int]] = []
    for question, answer, index in chosen:
        if absent and rng.random() < fraction:
            swapped.append((absent.pop(), None, -1))
        else:
            swapped.append((question, answer, index))
    return swapped


def generate_korquad(
    *,
    split: str,
    n_questions: int,
    seed: int = 13,
    long_fraction: float = 0.05,
    unanswerable_fraction: float = 0.0,
) -> dict[str, Any]:
    """Build a KorQuAD-1.0-layout dict with about ``n_questions`` questions.

    ``split`` ("train" or "validation") selects the entity pool; the same seed
    always gives the same data. ``long_fraction`` of the paragraphs carry
    enough background sentences to overflow a 384-token window; about
    ``unanswerable_fraction`` of the questions have no answer (``answers: []``,
    ``is_impossible: true``, the SQuAD v2 layout).
    """
    if split not in ("train", "validation"):
        raise ValueError(f"split must be 'train' or 'validation', got {split!r}")
    if not 0.0 <= unanswerable_fraction < 1.0:
        raise ValueError(
            f"unanswerable_fraction must be in [0, 1), got {unanswerable_fraction}; "
            "set it in the catalog entry of the synthetic dataset."
        )
    train_pools, validation_pools = entity_pools(seed)
    pools = train_pools if split == "train" else validation_pools
    rng = random.Random(f"{seed}-{split}")
    articles = []
    total = 0
    while total < n_questions:
        number = len(articles)
        long = rng.random() < long_fraction
        paragraph = _paragraph(
            pools, rng, long, f"{split}-{number:05d}", unanswerable_fraction
        )
        total += len(paragraph["qas"])
        articles.append({"title": f"인물 {number}", "paragraphs": [paragraph]})
    version = (
        "synthetic-squad-2.0" if unanswerable_fraction else "synthetic-korquad-1.0"
    )
    return {"version": version, "data": articles}


def inventory_characters() -> str:
    """Every character the generator can emit, for a tokenizer's alphabet."""
    text = " ".join(
        SURNAMES
        + GIVEN
        + PLACE_STEMS
        + PLACE_SUFFIXES
        + ORG_SUFFIXES
        + TITLE_WORDS
        + REASONS
        + TRANSPORTS
        + UNITS
        + BACKGROUND
    )
    return "".join(sorted(set(text + "0123456789《》.?") - {" "}))
