"""Boilerplate detection: copies across many documents, exact or near."""

import numpy as np
import pytest

from ideamap.layout import boilerplate as bp


def test_normalise_sets_aside_case_digits_and_punctuation():
    assert bp.normalise_for_repeats("Meeting 2024-03-05:  Agenda!") == bp.normalise_for_repeats(
        "meeting 2023-11-30 agenda"
    )
    assert bp.normalise_for_repeats("async traits") != bp.normalise_for_repeats("async closures")


@pytest.mark.parametrize("n_docs, expected", [(0, 3), (10, 3), (36, 3), (130, 6), (10_000, 50)])
def test_threshold_grows_like_sqrt(n_docs, expected):
    assert bp.min_documents_for(n_docs) == expected


def test_licence_in_many_documents_is_boilerplate_but_repeats_within_one_are_not():
    licence = "This article is licensed under a Creative Commons Attribution 4.0 licence."
    topics = "neutrinos glaciers proteins parsers markets rivers enzymes compilers".split()
    texts, docs = [], []
    for d, topic in enumerate(topics):
        texts += [licence.replace("4.0", f"{d}.0"), f"A finding about {topic}."]
        docs += [d, d]
    texts += ["We stress this point."] * 5  # five times, one document
    docs += [99] * 5
    mask = bp.boilerplate_mask(texts, docs)
    assert mask[:16:2].all()  # every licence copy
    assert not mask[1:16:2].any()  # each finding is distinct
    assert not mask[16:].any()  # repeated inside one document only


def test_near_copies_join_through_the_neighbour_graph():
    texts = [f"Licence wording variant {w}" for w in ("alpha", "beta", "gamma", "delta")]
    texts.append("An unrelated finding")
    docs = [0, 1, 2, 3, 4]
    rows = np.array([[1, -1], [2, 0], [3, 1], [2, -1], [0, -1]])
    sims = np.array([[0.97, 0.0], [0.96, 0.97], [0.99, 0.96], [0.99, 0.0], [0.40, 0.0]])
    assert not bp.boilerplate_mask(texts, docs).any()  # texts differ: no exact copies
    mask = bp.boilerplate_mask(texts, docs, rows, sims)
    assert mask.tolist() == [True, True, True, True, False]


def test_explicit_threshold_and_bad_input():
    texts = ["same words"] * 2 + ["other"]
    assert bp.boilerplate_mask(texts, [0, 1, 2], min_documents=2).tolist() == [True, True, False]
    assert bp.boilerplate_mask([], []).size == 0
    with pytest.raises(ValueError, match="2 texts but 3"):
        bp.boilerplate_mask(["a", "b"], [0, 1, 2])
