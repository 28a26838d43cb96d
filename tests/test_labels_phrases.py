"""Island names are phrases from the island's own paragraphs, never noise, distinct among siblings."""

import numpy as np

from ideamap.layout import phrases as ph
from ideamap.layout.specs import relabel_islands

TOPICS = {
    "neutrino": [
        "The neutrino oscillation experiment measured the mixing angle, et al. reported in Fig 3.",
        "Neutrino oscillation data from the reactor constrain the mass hierarchy, see pp 12-14.",
        "Having new questions each year, we studied neutrino oscillation in atmospheric data.",
        "Smith et al. found neutrino oscillation signals in the far detector, Fig 2.",
        "A reactor experiment observes neutrino oscillation with a baseline of two kilometres.",
        "Solar neutrino oscillation explains the deficit, as Smith et al. argued in 2003.",
    ],
    "proteins": [
        "Protein folding simulations show the folding pathway of small domains, et al. (Fig 4).",
        "The protein folding rate depends on contact order, as Jones et al. showed, pp 3.",
        "We ran protein folding trajectories on the new cluster this year.",
        "Misfolded states appear in protein folding kinetics at low temperature, Fig 1.",
        "Chaperones assist protein folding in the crowded cell, questions remain.",
        "Protein folding funnels guide the chain to the native state, Jones et al.",
    ],
    "football": [
        "The football club signed a new striker before the transfer window closed.",
        "Fans of the football club protested ticket prices at the stadium, reuter.",
        "The football club won the league after a late goal, reuter.",
        "A new manager took over the football club this year.",
        "The football club sold its stadium naming rights, reuter.",
        "Injuries left the football club short of defenders, reuter.",
    ],
}


def _map():
    rng = np.random.default_rng(0)
    texts, vectors, keys = [], [], []
    for k, (topic, paras) in enumerate(TOPICS.items()):
        centre = rng.normal(size=32)
        for _ in range(4):  # repeat with small variations so words pass min_df
            for p in paras:
                texts.append(p + f" Item {len(texts)}.")
                vectors.append(centre + 0.3 * rng.normal(size=32))
                keys.append(k)
    keys = np.array(keys)
    levels = np.stack([np.zeros_like(keys), keys])  # one region holding three sibling islands
    coords = rng.uniform(size=(len(keys), 2))
    return relabel_islands(texts, levels, coords, np.array(vectors))


NOISE = {"et al", "fig", "pp", "having", "new", "year", "questions", "reuter", "smith", "jones"}


def test_noise_words_are_never_chosen():
    for spec in _map():
        for term in [spec.label, *spec.terms]:
            words = set(term.split())
            assert term not in NOISE and not (words & {"et", "al", "fig", "pp"}), term
            assert not any(w.isdigit() or len(w) == 1 for w in words), term
        assert spec.label.split()[0] not in ph.NOISE_WORDS


def test_a_phrase_of_the_island_is_its_name():
    names = {s.label for s in _map() if s.level == 1}
    assert "neutrino oscillation" in names
    assert "protein folding" in names
    assert "football club" in names


def test_siblings_have_different_names_and_keep_evidence():
    islands = [s for s in _map() if s.level == 1]
    assert len({s.label for s in islands}) == len(islands)
    for s in islands:
        assert s.terms and s.terms[0] == s.label and s.exemplars


def test_analyzer_keeps_inner_stop_words_only():
    grams = ph.make_analyzer(ph.stop_words([]), frozenset({"niko"}))("The bank of England and niko said")
    assert "bank of england" in grams and "bank" in grams
    assert not any(g.startswith("the ") or g.endswith(" of") for g in grams)
    assert not any("niko" in g for g in grams)


WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda sigma".split()


def test_boilerplate_paragraphs_stay_off_the_islands():
    from ideamap.layout import build

    rng = np.random.default_rng(1)
    texts, xy, docs = [], [], []
    licence = "This work is licensed under CC BY 4.0. Copyright 2020 the authors."
    for d in range(12):
        centre = rng.uniform(size=2)
        for i in range(20):
            texts.append(f"{WORDS[d]} notes, part {WORDS[(d + i) % 12]} {WORDS[i % 12]} {i}.")
            xy.append(centre + rng.normal(size=2) * 0.01)
            docs.append(d)
        for _ in range(3):  # the licence, three times per document: a tight cluster of its own
            texts.append(licence.replace("2020", str(2000 + d)))
            xy.append(np.array([0.5, 0.5]) + rng.normal(size=2) * 0.002)
            docs.append(d)
    xy = np.array(xy, np.float32)
    vectors = np.hstack([xy, np.ones((len(xy), 1), np.float32)])
    params = {"projection": {}}
    levels, _ = build._cluster(vectors, xy, params, build._boilerplate(texts, docs, params))
    is_licence = np.array([t.startswith("This work") for t in texts])
    assert (levels[:, is_licence] == -1).all()
    assert (levels[-1, ~is_licence] >= 0).mean() > 0.5
    assert params["boilerplate"]["to_sea"] == is_licence.sum()
    # Without document keys nothing is taken off: the licence forms land like any cluster.
    plain, _ = build._cluster(vectors, xy, {"projection": {}}, build._boilerplate(texts, None, {}))
    assert (plain[-1, is_licence] >= 0).any()
