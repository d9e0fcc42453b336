"""Reciprocal-rank fusion and the trigram measures hybrid search is built from."""

import pytest

from collaboration.semantic.fusion import (
    content_words,
    reciprocal_rank_fusion,
    trigram_similarity,
    trigrams,
    word_similarity,
)


def test_an_item_ranked_well_by_both_beats_one_ranked_first_by_one():
    keyword = ["a", "b", "c"]
    vector = ["d", "b"]

    fused = reciprocal_rank_fusion([keyword, vector])

    # b: second in both; a and d: first in one (a tie, kept in the order first seen).
    assert [item for item, _ in fused] == ["b", "a", "d", "c"]
    scores = dict(fused)
    assert scores["b"] == pytest.approx(2 / 62)
    assert scores["a"] == scores["d"] == pytest.approx(1 / 61)
    assert scores["c"] == pytest.approx(1 / 63)


def test_weights_k_and_repeated_items():
    fused = dict(reciprocal_rank_fusion([["x", "x", "y"], ["y"]], k=0, weights=[1.0, 0.5]))

    assert fused == {"x": pytest.approx(1.0), "y": pytest.approx(0.5 + 0.5)}
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["x"]], weights=[1.0, 2.0])
    assert reciprocal_rank_fusion([]) == []


def test_trigrams_follow_pg_trgm():
    # show_trgm('cat') = {"  c"," ca","at ","cat"}
    assert trigrams("Cat") == {"  c", " ca", "cat", "at "}
    # Values pg_trgm gives for the same strings.
    assert trigram_similarity("backprop", "Backpropagation, Step by Step") == pytest.approx(
        1 / 3, abs=0.01
    )
    assert word_similarity("backprop", "Backpropagation, Step by Step") == pytest.approx(
        8 / 9, abs=0.01
    )
    assert word_similarity("word", "two words") == pytest.approx(0.8)
    assert trigram_similarity("", "anything") == 0.0


def test_content_words_drop_stop_words_and_repeats():
    assert content_words("Why does my validation loss go up, loss?") == [
        "validation",
        "loss",
        "go",
    ]
