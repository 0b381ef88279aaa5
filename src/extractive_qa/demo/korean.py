"""The Korean the synthetic biographies are made of: the inventories of names,
places, organisations, titles and sentences, the particles (josa) that agree
with a word's last syllable, and the split of each inventory into disjoint
training and validation pools."""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import product

SURNAMES = "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 홍".split()
GIVEN = (
    "민 수 지 현 서 준 영 호 우 진 성 은 혜 태 희 동 경 재 석 철 "
    "미 나 연 하 윤 주 원 규 상 훈 보 람 솔 찬 빈 다 율 결 온 별"
).split()
PLACE_STEMS = (
    "가 나 다 라 마 바 사 아 자 차 카 타 파 하 강 산 천 해 달 별 솔 "
    "청 백 금 은 동 서 남 북 송 목 포 양 평 안 영 주 진 원 성"
).split()
PLACE_SUFFIXES = ["시", "군", "읍", "마을", "섬"]
ORG_SUFFIXES = ["전자", "대학교", "은행", "연구소", "출판사", "협회", "병원", "제약"]
TITLE_WORDS = (
    "푸른 바다 먼 길 작은 별 겨울 노래 붉은 강 고요한 숲 마지막 편지 "
    "새벽 바람 오래된 집 하얀 밤 잃어버린 시간 첫 눈 검은 새 여름 꿈"
).split()
REASONS = [
    "가뭄",
    "전쟁",
    "학업",
    "질병",
    "가난",
    "홍수",
    "결혼",
    "사업 실패",
    "아버지의 병",
    "새로운 일자리",
]
TRANSPORTS = ["배를 타고", "기차를 타고", "걸어서", "말을 타고", "버스를 타고"]
UNITS = ["명의 제자를", "권의 책을", "개의 특허를", "편의 논문을"]
# Sentences without facts: they lengthen paragraphs without adding answers.
BACKGROUND = [
    "그 시기에는 많은 사람이 도시로 떠났다.",
    "당시 신문은 이 일을 크게 다루었다.",
    "마을에는 오래된 우물이 하나 있었다.",
    "사람들은 해마다 봄에 축제를 열었다.",
    "그 무렵 철도가 처음 놓였다.",
    "겨울이 길어 농사가 어려웠다.",
    "이웃들은 서로 돕고 살았다.",
    "학교는 언덕 위에 세워졌다.",
    "시장에는 늘 사람이 붐볐다.",
    "강을 건너는 다리가 새로 지어졌다.",
    "그 해 여름은 유난히 더웠다.",
    "많은 기록이 화재로 사라졌다.",
    "오래된 사진 몇 장이 지금도 남아 있다.",
    "주민들은 새 도로를 반겼다.",
    "그 시절의 이야기는 지금도 전해진다.",
    "도서관에는 당시의 편지가 보관되어 있다.",
]


def has_final_consonant(word: str) -> bool:
    """Whether the last Hangul syllable of a word ends in a consonant (받침)."""
    last = word[-1]
    if "가" <= last <= "힣":
        return (ord(last) - ord("가")) % 28 != 0
    # Digits read in Korean: 0 영, 1 일, 3 삼, 6 육, 7 칠, 8 팔 end in a consonant.
    return last in "013678"


def josa(word: str, with_final: str, without_final: str) -> str:
    """Attach the particle form that agrees with the word's last syllable."""
    return word + (with_final if has_final_consonant(word) else without_final)


def topic(word: str) -> str:
    return josa(word, "은", "는")


def subject(word: str) -> str:
    return josa(word, "이", "가")


def direction(word: str) -> str:
    # (으)로: a final ㄹ takes 로 like a vowel does.
    last = word[-1]
    if "가" <= last <= "힣" and (ord(last) - ord("가")) % 28 == 8:
        return word + "로"
    return josa(word, "으로", "로")


@dataclass(frozen=True)
class EntityPools:
    """Names a split may use; the two splits get disjoint pools."""

    people: list[str]
    places: list[str]
    organisations: list[str]
    titles: list[str]
    years: list[int]
    counts: list[int]


def _split_pool(items: list, rng: random.Random, share: float) -> tuple[list, list]:
    items = list(items)
    rng.shuffle(items)
    cut = int(len(items) * share)
    return items[:cut], items[cut:]


def entity_pools(seed: int, share: float = 0.75) -> tuple[EntityPools, EntityPools]:
    """Split every entity inventory into disjoint training and validation pools."""
    rng = random.Random(seed)
    people = [s + a + b for s, a, b in product(SURNAMES, GIVEN, GIVEN) if a != b]
    places = [
        a + b + suffix
        for a, b, suffix in product(PLACE_STEMS, PLACE_STEMS, PLACE_SUFFIXES)
        if a != b
    ]
    stems = [a + b for a, b in product(PLACE_STEMS, GIVEN) if a != b]
    organisations = [s + o for s, o in product(stems, ORG_SUFFIXES)]
    titles = [f"{a} {b}" for a, b in product(TITLE_WORDS, TITLE_WORDS) if a != b]
    pools = [
        _split_pool(people, rng, share),
        _split_pool(places, rng, share),
        _split_pool(organisations, rng, share),
        _split_pool(titles, rng, share),
        _split_pool(list(range(1700, 2025)), rng, share),
        _split_pool(list(range(2, 400)), rng, share),
    ]
    train = EntityPools(*(pool[0] for pool in pools))
    validation = EntityPools(*(pool[1] for pool in pools))
    return train, validation
