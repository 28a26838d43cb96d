"""What describes an island: c-TF-IDF terms and labels, exemplar paragraphs, the label anchor."""

from __future__ import annotations

import re

import numpy as np

from ideamap.layout.dedupe import DUPLICATE_SIMILARITY
from ideamap.layout.neighbors import normalise_rows
from ideamap.layout.types import SEA

N_TERMS = 8
N_EXEMPLARS = 3
MAX_LABEL_TERMS = 3
MAX_LABEL_CHARS = 28  # a third term is added only while the label stays this short
MIN_UNIGRAM_CHARS = 3
# Starts with a letter, at least two characters: pure numbers never become terms, while short
# words such as "fn" still form bigrams ("async fn").
TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w]+\b"
_URL = re.compile(r"(https?://|www\.)\S+")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# "nikomatsakis: I think ..." in notes and transcripts: the speaker is not the topic (on the
# meeting notes 37% of paragraphs began so, and names topped many labels).
# The pattern also matches after a bullet, since a paragraph can hold a list of turns.
_SPEAKER = re.compile(r"(?:^\s*|(?<=\s)[-*>]\s+)[-*>]*\s*[*_]*@?([\w.-]{2,24})[*_]*\s*:[*_]*\s+")
_MENTION = re.compile(r"(?<![\w.])@([\w-]{2,24})")
# A word that opens a turn ("niko: ...") or is @mentioned at least twice is taken for a person's
# name when at least NAME_SHARE of its uses are such, or when it is capitalised mid-sentence
# (a proper noun: "as Niko said") at least CAPITALISED_SHARE of the time. "Proposal: ..." stays
# a word: mostly prose and lower case.
NAME_SHARE = 0.5
CAPITALISED_SHARE = 0.7
_MID_SENTENCE_WORD = re.compile(r"(?<=[\w,;)] )([^\W\d_][\w-]+)")
# Words English stop lists miss that carry no topic: talk fillers, hedges, placeholder names.
FILLER_WORDS = frozenset(
    """
    like think thinks thought want wants wanted don doesn didn isn aren wasn won shouldn wouldn
    couldn ve ll maybe yeah yes okay ok really actually just things thing good right know sure
    lot lots kind sort probably pretty bit way going gonna say said says make makes made use
    used using need needs does did got get gets getting seems feel feels felt trying try tried
    let point mean means agree agreed able case cases example different similar question
    saying doing time people today week talk talked figure better generally come comes happen
    stuff
    foo bar baz qux quux
    """.split()
)


def params() -> dict:
    """The labelling settings, for the run record."""
    return {
        "method": "c-TF-IDF",
        "ngram_range": [1, 2],
        "stop_words": "sklearn english + filler words + people's names (words used mostly as speaker/@mention)",
        "filler_words": sorted(FILLER_WORDS),
        "token_pattern": TOKEN_PATTERN,
        "binary_counts": True,
        "max_label_terms": MAX_LABEL_TERMS,
        "max_label_chars": MAX_LABEL_CHARS,
    }


def clean(text: str) -> str:
    """Drop what says nothing about the topic: URLs (their host names would top many labels),
    markdown link targets and a leading speaker name."""
    text = _SPEAKER.sub(" ", text)
    text = _MD_LINK.sub(r"\1", text)
    return _URL.sub(" ", text)


def person_names(texts: list[str]) -> frozenset[str]:
    """Words used mostly as speakers or @mentions: people, not topics. Stripping the leading
    speaker is not enough, since the same names recur inside turns ("as niko said")."""
    from collections import Counter

    as_name: Counter = Counter()
    for text in texts:
        for match in (*_SPEAKER.finditer(text), *_MENTION.finditer(text)):
            as_name[match.group(1).lower()] += 1
    if not as_name:
        return frozenset()
    words = Counter(w.lower() for t in texts for w in re.findall(TOKEN_PATTERN, t))
    mid: Counter = Counter()
    capitalised: Counter = Counter()
    for text in texts:
        for word in _MID_SENTENCE_WORD.findall(text):
            mid[word.lower()] += 1
            capitalised[word.lower()] += word[0].isupper() and not word.isupper()  # not acronyms
    return frozenset(
        name for name, n in as_name.items()
        if n >= 2 and (n >= NAME_SHARE * words[name]
                       or (mid[name] >= 3 and capitalised[name] >= CAPITALISED_SHARE * mid[name]))
    )


def term_matrix(texts: list[str]):
    """(n, V) sparse term counts (uni- and bigrams, English stop words and people's names
    removed) and the vocabulary."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    # Words seen in a single paragraph are noise for a label; tiny maps keep everything.
    min_df = 2 if len(texts) >= 20 else 1
    vec = CountVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | FILLER_WORDS | person_names(texts)),
        ngram_range=(1, 2),
        token_pattern=TOKEN_PATTERN,
        min_df=min_df,
        # Presence per paragraph, not occurrences: a code block saying "item" twenty times
        # should not outvote twenty paragraphs that each mention a topic once.
        binary=True,
    )
    cleaned = [clean(t) for t in texts]
    try:
        counts = vec.fit_transform(cleaned).tocsr().astype(np.float64)
    except ValueError:  # no usable words at all (empty or only numbers/stop words)
        return None, np.array([], dtype=object)
    return _share_repeats(counts, cleaned), vec.get_feature_names_out()


def _share_repeats(counts, cleaned: list[str]):
    """Weight each copy of a paragraph repeated verbatim (templates, pasted agendas) by
    1/copies, so the paragraph counts once in all, yet an island made only of copies has terms."""
    from collections import Counter

    from scipy import sparse

    copies = Counter(cleaned)
    if len(copies) == len(cleaned):
        return counts
    return sparse.diags([1.0 / copies[t] for t in cleaned]) @ counts


def ctfidf(counts, keys: np.ndarray, k: int):
    """Class-based TF-IDF (k, V): tf per class (L1) x log(1 + mean words per class / term freq).

    Sea paragraphs count in the term frequencies as one more class, so words that are everywhere
    in the collection, sea included, rank low in every island.
    """
    from scipy import sparse

    rows = np.where(keys == SEA, k, keys)
    onehot = sparse.csr_matrix((np.ones(keys.size), (rows, np.arange(keys.size))), shape=(k + 1, keys.size))
    per_class = onehot @ counts
    n_classes = k + 1 if (keys == SEA).any() else k
    freq = np.asarray(per_class.sum(axis=0)).ravel()
    avg_words = per_class.sum() / max(n_classes, 1)
    idf = np.log1p(avg_words / np.maximum(freq, 1e-12))
    totals = np.asarray(per_class.sum(axis=1)).ravel()
    tf = sparse.diags(1.0 / np.maximum(totals, 1e-12)) @ per_class
    return sparse.csr_matrix(tf.multiply(idf[None, :]))[:k]


def _stem(word: str) -> str:
    """Plural and singular count as one word when judging redundancy ("generics", "categories")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _stems(term: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in term.split())


def redundant(term: str, chosen: list[str]) -> bool:
    """A term repeats a chosen one when either's words contain the other's ("async" / "async fn")."""
    s = _stems(term)
    return any(s <= _stems(c) or _stems(c) <= s for c in chosen)


def top_terms(row, vocab, exclude: list[str], n: int = N_TERMS) -> list[str]:
    """Best terms of one c-TF-IDF row, skipping short or redundant ones and the parent's label."""
    order = row.indices[np.argsort(-row.data, kind="stable")]
    out: list[str] = []
    for j in order[: 20 * n]:
        term = str(vocab[j])
        if " " not in term and len(term) < MIN_UNIGRAM_CHARS:
            continue
        if redundant(term, out) or redundant(term, exclude):
            continue
        out.append(term)
        if len(out) == n:
            break
    return out


def make_label(terms: list[str]) -> str:
    """Top terms joined with " · ": two, or three while the label stays short. Terms sharing a
    word with one already in the label are skipped ("hidden type · constrain hidden")."""
    label: list[str] = []
    for term in terms:
        if len(label) == MAX_LABEL_TERMS:
            break
        if any(_stems(term) & _stems(t) for t in label):
            continue
        if len(label) >= 2 and len(" · ".join(label + [term])) > MAX_LABEL_CHARS:
            break
        label.append(term)
    return " · ".join(label)


def exemplars(vectors: np.ndarray, members: np.ndarray) -> list[int]:
    """The members closest (cosine) to the island's normalised mean vector, one per distinct
    paragraph (a templated paragraph repeated ten times should not fill all the slots)."""
    centre = normalise_rows(vectors[members].mean(axis=0, keepdims=True))[0]
    sims = vectors[members] @ centre
    chosen: list[int] = []
    for i in np.lexsort((members, -sims)):  # ties: lower row first, for determinism
        row = int(members[i])
        if all(float(vectors[row] @ vectors[c]) < DUPLICATE_SIMILARITY for c in chosen):
            chosen.append(row)
            if len(chosen) == N_EXEMPLARS:
                break
    return chosen


def anchor(coords: np.ndarray, members: np.ndarray) -> tuple[float, float]:
    """The member nearest the median of the island's points: always on land, unlike a centroid."""
    pts = coords[members]
    mid = np.median(pts, axis=0)
    i = int(np.argmin(((pts - mid) ** 2).sum(axis=1)))
    return float(pts[i, 0]), float(pts[i, 1])


def parent_map(levels: np.ndarray, level: int, k: int) -> np.ndarray:
    """For each key at ``level``, the key at level-1 that most of its members are in."""
    fine, coarse = levels[level], levels[level - 1]
    both = (fine != SEA) & (coarse != SEA)
    width = int(coarse[both].max()) + 1 if both.any() else 1
    counts = np.zeros((k, width), dtype=np.int64)
    np.add.at(counts, (fine[both], coarse[both]), 1)
    return np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), SEA).astype(np.int32)
