"""Hand-computed SQuAD and KorQuAD scores; expected numbers are worked out inline."""

import pytest

from extractive_qa.metrics.scoring import (
    korquad_exact_match,
    korquad_f1,
    normalize_korquad_answer,
    normalize_squad_answer,
    score_predictions,
    squad_exact_match,
    squad_f1,
)


def _prediction(question_id: str, text: str) -> dict:
    return {"id": question_id, "prediction_text": text}


def _reference(question_id: str, *golds: str) -> dict:
    return {
        "id": question_id,
        "answers": {"text": list(golds), "answer_start": [0] * len(golds)},
    }


def test_squad_normalisation_drops_case_punctuation_articles_and_spaces() -> None:
    assert normalize_squad_answer("  The Cat's,   hat! ") == "cats hat"
    # "an" inside a word is not an article.
    assert normalize_squad_answer("An ant") == "ant"


def test_korquad_normalisation_spaces_out_brackets_before_punctuation() -> None:
    assert normalize_korquad_answer("《토지》") == "토지"
    # The bracket becomes a space, so the two words stay apart.
    assert normalize_korquad_answer("서울(특별시)") == "서울 특별시"
    assert normalize_korquad_answer("‘KBS’ 뉴스!") == "kbs 뉴스"


def test_korean_particle_earns_partial_character_credit_only() -> None:
    # 3 of 4 predicted characters match, all 3 gold characters are found:
    # F1 = 2 * (3/4 * 1) / (3/4 + 1) = 6/7.
    assert korquad_f1("방배동의", "방배동") == pytest.approx(6 / 7)
    assert korquad_exact_match("방배동의", "방배동") == 0.0
    # Whitespace tokens "방배동의" and "방배동" share nothing.
    assert squad_f1("방배동의", "방배동") == 0.0


def test_brackets_around_gold_do_not_cost_exact_match() -> None:
    assert korquad_exact_match("토지", "《토지》") == 1.0
    assert korquad_f1("토지", "《토지》") == 1.0


def test_character_f1_ignores_spaces_but_exact_match_does_not() -> None:
    assert korquad_f1("서울특별시", "서울 특별시") == 1.0
    assert korquad_exact_match("서울특별시", "서울 특별시") == 0.0
    assert korquad_f1("서울(특별시)", "서울특별시") == 1.0


def test_english_articles_are_ignored_by_squad() -> None:
    assert squad_exact_match("the cat", "cat") == 1.0
    assert squad_exact_match("A cat!", "cat") == 1.0
    # Tokens "black", "cat" vs "cat": P = 1/2, R = 1, F1 = 2/3.
    assert squad_f1("the black cat", "cat") == pytest.approx(2 / 3)


def test_empty_prediction_scores_zero_and_two_empties_too_as_officially() -> None:
    assert korquad_f1("", "방배동") == 0.0
    assert squad_f1("", "cat") == 0.0
    # Both normalise to "": EM calls them equal, and the official v1 scripts'
    # F1 finds no shared unit, so 0.
    assert squad_exact_match("the", "a") == 1.0
    assert squad_f1("the", "a") == 0.0
    assert korquad_exact_match("()", "《》") == 1.0
    assert korquad_f1("()", "《》") == 0.0


def test_best_gold_answer_is_taken_per_question() -> None:
    # Against "서울": P = 2/5, R = 1 -> F1 = 4/7. Against "서울특별시 서초구"
    # (8 characters, 5 shared): P = 1, R = 5/8 -> F1 = 10/13, the larger one.
    scores = score_predictions(
        [_prediction("q1", "서울특별시")],
        [_reference("q1", "서울", "서울특별시 서초구")],
        korquad_exact_match,
        korquad_f1,
    )
    assert scores["exact_match"] == 0.0
    assert scores["f1"] == pytest.approx(100 * 10 / 13)

    scores = score_predictions(
        [_prediction("q1", "the cat")],
        [_reference("q1", "dog", "Cat")],
        squad_exact_match,
        squad_f1,
    )
    assert scores == {"exact_match": 100.0, "f1": 100.0}


def test_scores_average_over_questions_in_percent() -> None:
    predictions = [
        _prediction("q3", ""),
        _prediction("q1", "방배동의"),
        _prediction("q2", "토지"),
    ]
    references = [
        _reference("q1", "방배동"),
        _reference("q2", "《토지》"),
        _reference("q3", "서울"),
    ]
    scores = score_predictions(predictions, references, korquad_exact_match, korquad_f1)
    # EM: 0 + 1 + 0 over 3; F1: 6/7 + 1 + 0 over 3 = 13/21.
    assert scores["exact_match"] == pytest.approx(100 / 3)
    assert scores["f1"] == pytest.approx(100 * 13 / 21)


def test_reference_without_prediction_names_the_id() -> None:
    with pytest.raises(ValueError, match="'q2' has no prediction"):
        score_predictions(
            [_prediction("q1", "cat")],
            [_reference("q1", "cat"), _reference("q2", "dog")],
            squad_exact_match,
            squad_f1,
        )


def test_prediction_without_reference_names_the_id() -> None:
    with pytest.raises(ValueError, match="'stray'"):
        score_predictions(
            [_prediction("q1", "cat"), _prediction("stray", "dog")],
            [_reference("q1", "cat")],
            squad_exact_match,
            squad_f1,
        )


def test_duplicate_ids_and_missing_golds_are_rejected() -> None:
    with pytest.raises(ValueError, match="'q1' appears more than once"):
        score_predictions(
            [_prediction("q1", "cat"), _prediction("q1", "dog")],
            [_reference("q1", "cat")],
            squad_exact_match,
            squad_f1,
        )
    with pytest.raises(ValueError, match="'q1' has no gold answers"):
        score_predictions(
            [_prediction("q1", "cat")],
            [_reference("q1")],
            squad_exact_match,
            squad_f1,
        )
    with pytest.raises(ValueError, match="No references"):
        score_predictions([], [], squad_exact_match, squad_f1)


def test_punctuation_is_ignored_by_both_metrics() -> None:
    # Trailing period, comma and exclamation mark are stripped before comparing.
    assert squad_exact_match("1932년.", "1932년") == 1.0
    assert korquad_exact_match("1932년.", "1932년") == 1.0
    assert squad_exact_match("서울, 부산!", "서울 부산") == 1.0
    # KorQuAD removes the comma but keeps the space: "서울 부산" both ways.
    assert korquad_exact_match("서울,부산", "서울 부산") == 0.0
    assert korquad_f1("서울,부산", "서울 부산") == 1.0


def test_brackets_and_a_particle_together() -> None:
    # 《토지》를 -> "토지를": 2 of 3 characters match, all 2 gold characters found:
    # P 2/3, R 1 -> F1 4/5.
    assert normalize_korquad_answer("《토지》를") == "토지 를"
    assert korquad_f1("《토지》를", "토지") == pytest.approx(4 / 5)
    assert korquad_exact_match("《토지》를", "토지") == 0.0
    # SQuAD keeps 《 and 》 (not ASCII punctuation): "《토지》를" shares no token.
    assert squad_f1("《토지》를", "토지") == 0.0


def test_particle_against_several_golds_takes_the_best() -> None:
    # Against "방배동" F1 6/7; against "서울 방배동" (5 characters, 3 shared):
    # P 3/4, R 3/5 -> F1 2/3. The best is 6/7.
    scores = score_predictions(
        [_prediction("q1", "방배동의")],
        [_reference("q1", "서울 방배동", "방배동")],
        korquad_exact_match,
        korquad_f1,
    )
    assert scores["f1"] == pytest.approx(100 * 6 / 7)
    assert scores["exact_match"] == 0.0


def test_empty_prediction_against_several_golds_scores_zero() -> None:
    for exact_fn, f1_fn in (
        (squad_exact_match, squad_f1),
        (korquad_exact_match, korquad_f1),
    ):
        scores = score_predictions(
            [_prediction("q1", "")],
            [_reference("q1", "방배동", "서울")],
            exact_fn,
            f1_fn,
        )
        assert scores == {"exact_match": 0.0, "f1": 0.0}


def test_repeated_characters_count_once_per_occurrence() -> None:
    # "서울서울" vs "서울": overlap is min(count) per character = 2 of 4
    # predicted, 2 of 2 gold: P 1/2, R 1 -> F1 2/3.
    assert korquad_f1("서울서울", "서울") == pytest.approx(2 / 3)
