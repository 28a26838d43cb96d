"""Island names as short phrases: 1-3 word n-grams from the island's own paragraphs, scored
for being distinct from the island's siblings and central to it in embedding space, picked
with maximal marginal relevance (MMR) so the evidence terms do not repeat one another.

No encoder is available at layout time (only paragraph vectors), so a phrase's embedding is
the normalised mean vector of the island's paragraphs that contain it: KeyBERT's
"phrase close to the document" becomes "phrase whose paragraphs sit at the island's centre".
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from ideamap.layout import labels as lab

MAX_WORDS = 3
N_CANDIDATES = 40  # best-by-distinctness phrases that are then scored for centrality
CENTRALITY_SAMPLE = 4000  # members per island used for phrase vectors: keeps labelling linear
MMR_LAMBDA = 0.7
PHRASE_BONUS = 1.3  # a multi-word phrase is rarer than its words; a name should be a phrase
PROPER_NOUN_PENALTY = 0.3  # a lone capitalised-only word is most often a person's name
PROPER_SHARE = 0.9
_SEED = 1234

# Words that name nothing on their own or are citation/layout noise. They may sit inside a
# phrase ("year of the dragon") but never start or end one.
NOISE_WORDS = frozenset(
    """
    et al fig figs figure figures pp eq eqs ref refs vol ibid cf eg ie etc doi arxiv preprint
    table tables section sec appendix chapter page pages
    having new year years questions question answer answers paper papers work works result
    results approach method methods based study studies number numbers high low large small
    important general given main end time times day days month months reuter reuters dlrs
    mln pct said told include includes including also et
    """.split()
)
_TOKEN = re.compile(lab.TOKEN_PATTERN)


def params() -> dict:
    """The naming settings, for the run record."""
    return {
        "method": "phrases: 1-3-grams, distinct (p log lift vs collection and parent) x centrality "
                  "(cosine of the mean vector of paragraphs holding the phrase to the island's), MMR",
        "max_words": MAX_WORDS, "candidates": N_CANDIDATES, "mmr_lambda": MMR_LAMBDA,
        "phrase_bonus": PHRASE_BONUS, "proper_noun_penalty": PROPER_NOUN_PENALTY,
        "centrality_sample": CENTRALITY_SAMPLE, "noise_words": sorted(NOISE_WORDS),
    }


def stop_words(texts: list[str]) -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS | lab.FILLER_WORDS | NOISE_WORDS)


def make_analyzer(stops: frozenset[str], names: frozenset[str]):
    """Tokens to n-grams of contiguous words that neither start nor end with a stop or noise
    word; people's names never appear in any n-gram."""
    def analyze(text: str) -> list[str]:
        words = [w.lower() for w in _TOKEN.findall(lab.clean(text))]
        out = []
        for i, w in enumerate(words):
            if w in names:
                continue
            for n in range(1, MAX_WORDS + 1):
                if i + n > len(words):
                    break
                gram = words[i:i + n]
                if gram[-1] in names or any(g in names for g in gram):
                    break
                if gram[0] in stops or gram[-1] in stops or len(gram[-1]) < 2:
                    continue
                out.append(" ".join(gram))
        return out

    return analyze


def proper_nouns(texts: list[str]) -> frozenset[str]:
    """Words written capitalised mid-sentence nearly always (and not as acronyms)."""
    mid: Counter = Counter()
    caps: Counter = Counter()
    for text in texts:
        for word in lab._MID_SENTENCE_WORD.findall(text):
            low = word.lower()
            mid[low] += 1
            caps[low] += word[0].isupper() and not word.isupper()
    return frozenset(w for w, n in mid.items() if n >= 3 and caps[w] >= PROPER_SHARE * n)


def phrase_matrix(texts: list[str]):
    """(n, V) binary sparse phrase presence per paragraph, the vocabulary and the set of
    proper nouns; (None, [], {}) when no phrase survives."""
    from sklearn.feature_extraction.text import CountVectorizer

    names = lab.person_names(texts)
    vec = CountVectorizer(analyzer=make_analyzer(stop_words(texts), names),
                          min_df=2 if len(texts) >= 20 else 1, binary=True)
    try:
        counts = vec.fit_transform(texts).tocsr().astype(np.float64)
    except ValueError:
        return None, np.array([], dtype=object), frozenset()
    return lab._share_repeats(counts, [lab.clean(t) for t in texts]), vec.get_feature_names_out(), proper_nouns(texts)


def class_shares(counts, keys: np.ndarray, k: int, weights: np.ndarray | None = None):
    """(k, V) share of each island's paragraphs holding each phrase, and the island sizes.
    ``weights`` (one per row of ``counts``) is how many paragraphs a sampled row stands for."""
    from scipy import sparse

    ok = keys >= 0
    rows = keys[ok]
    data = np.ones(rows.size) if weights is None else weights[ok]
    onehot = sparse.csr_matrix((data, (rows, np.flatnonzero(ok))), shape=(k, keys.size))
    per = onehot @ counts
    sizes = np.asarray(onehot.sum(axis=1)).ravel()
    return sparse.csr_matrix(sparse.diags(1.0 / np.maximum(sizes, 1e-12)) @ per), sizes


def distinct_scores(p_in: np.ndarray, p_refs: list[np.ndarray]) -> np.ndarray:
    """p_in x log(p_in / p_ref), against the weakest of the references (the whole collection,
    the parent region): a phrase scores only when the island holds it more often than both,
    so words in nearly every paragraph ("reuter") and the parent's own words fall out."""
    lift = np.full(p_in.shape, np.inf)
    for p_ref in p_refs:
        lift = np.minimum(lift, np.log(np.maximum(p_in, 1e-12) / np.maximum(p_ref, 1e-12)))
    return p_in * np.maximum(lift, 0.0)


def island_phrases(row, ref_rows, vocab, members, counts, vectors, proper, exclude,
                   n: int = lab.N_TERMS) -> list[str]:
    """The island's evidence phrases, best first: distinct x central, picked by MMR."""
    p_in = row.toarray().ravel()
    score = distinct_scores(p_in, [r for r in ref_rows])
    cand = np.flatnonzero(score > 0)
    if cand.size == 0:
        return []
    words = np.array([str(vocab[j]).count(" ") + 1 for j in cand])
    single_proper = np.array([w == 1 and str(vocab[j]) in proper for j, w in zip(cand, words)])
    score_c = score[cand] * np.where(words > 1, PHRASE_BONUS, 1.0) * np.where(single_proper, PROPER_NOUN_PENALTY, 1.0)
    keep = [i for i in np.argsort(-score_c, kind="stable")
            if not lab.redundant(str(vocab[cand[i]]), exclude)][:N_CANDIDATES]
    cand, score_c = cand[keep], score_c[keep]
    if cand.size == 0:
        return []
    vecs, centrality = _phrase_vectors(members, cand, counts, vectors)
    relevance = score_c / score_c.max() * (0.5 + 0.5 * np.clip(centrality, 0, 1))
    return _mmr([str(vocab[j]) for j in cand], relevance, vecs, n)


def _phrase_vectors(members, cand, counts, vectors):
    """Per candidate the normalised mean vector of (a sample of) the island's paragraphs that
    hold it, and its cosine to the island's centre."""
    if members.size > CENTRALITY_SAMPLE:
        members = np.sort(np.random.default_rng(_SEED).choice(members, CENTRALITY_SAMPLE, replace=False))
    sub = counts[members][:, cand]
    v = vectors[members]
    centre = v.mean(axis=0)
    centre /= max(np.linalg.norm(centre), 1e-12)
    pv = np.asarray(sub.T @ v)
    pv /= np.maximum(np.linalg.norm(pv, axis=1, keepdims=True), 1e-12)
    return pv, pv @ centre


def _mmr(terms: list[str], relevance: np.ndarray, vecs: np.ndarray, n: int) -> list[str]:
    chosen: list[int] = []
    left = list(range(len(terms)))
    while left and len(chosen) < n:
        if chosen:
            sim = (vecs[left] @ vecs[chosen].T).max(axis=1)
            mmr = MMR_LAMBDA * relevance[left] - (1 - MMR_LAMBDA) * sim
        else:
            mmr = relevance[left]
        best = left[int(np.argmax(mmr))]
        left.remove(best)
        if lab.redundant(terms[best], [terms[c] for c in chosen]):
            continue
        chosen.append(best)
    return [terms[c] for c in chosen]


def name_of(terms: list[str]) -> str:
    """The name is the best phrase itself (1-3 words): a name, not a list of words."""
    return terms[0] if terms else ""
