"""ideamap.reading on a real small map (real encoder, real SQLite): neighbours without
near-copies, boilerplate last, digests without near-copies, tags that survive rebuild and add,
notes, since/until; and the map-file migration that keys annotations by content."""

from __future__ import annotations

import json
import shutil
import sqlite3
from itertools import combinations

import numpy as np
import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from ideamap.cli import main
from ideamap.errors import MapFileError
from ideamap.layout.boilerplate import NEAR_COPY_SIMILARITY, normalise_for_repeats
from ideamap.pipeline import add, build, rebuild
from ideamap.reading import (annotate, boilerplate_ids, digest, find_document, island_members, list_annotations,
                             neighbours_without_repetition, paragraph_ids_in, paragraph_ids_with_tag, period,
                             read_document, remove, restore, select_diverse, tag)
from ideamap.search import NeighborIndex
from ideamap.store import schema
from ideamap.store.mapfile import MapStore

BRIDGE = "The council agreed to postpone the vote on the harbour bridge until the engineers report on the piers."
BRIDGE_LIKE = "Whether the harbour bridge is built depends on the engineers' report about the strength of its piers."
LICENCE = "This document is licensed under CC BY 4.0: you may share and adapt it if you give appropriate credit."
HARBOUR = [
    "Ferries carry most commuters across the harbour while the old tunnel is closed for repairs.",
    "Dredging the harbour mouth lets larger container ships reach the eastern quay.",
    "Fishing boats moor along the western pier, where the fish market opens at dawn.",
    "A new sea wall protects the harbour district from winter storm surges.",
]
GARDEN = [
    "Tomatoes need full sun and steady watering once their first flowers appear.",
    "Compost made from kitchen scraps feeds the soil and keeps it loose for roots.",
    "Prune the roses in late winter, cutting just above an outward-facing bud.",
    "Mulch around the beds keeps weeds down and holds moisture through dry summers.",
]
# file name (its date is the document's date) → paragraphs
DOCUMENTS = {
    "council_2021-01-05.md": [BRIDGE, *HARBOUR[:2], LICENCE],
    "council_2021-06-10.md": [BRIDGE, *HARBOUR[2:], LICENCE],
    "council_2022-02-01.md": [BRIDGE_LIKE, HARBOUR[0], HARBOUR[3], LICENCE],
    "garden_2022-05-20.md": [*GARDEN[:3], LICENCE],
    "garden_2023-04-02.md": [*GARDEN[1:]],
    "garden-undated.md": [GARDEN[0], GARDEN[3]],
}


def write_documents(folder, documents=DOCUMENTS):
    folder.mkdir(parents=True, exist_ok=True)
    for name, paragraphs in documents.items():
        # every paragraph gets a distinct tail, so only the deliberate copies repeat
        body = "\n\n".join(p if p in (BRIDGE, BRIDGE_LIKE, LICENCE) else f"{p} ({name[:-3]}, item {i}.)"
                           for i, p in enumerate(paragraphs))
        (folder / name).write_text(f"# {name[:-3]}\n\n{body}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def reading_map(tmp_path_factory):
    root = tmp_path_factory.mktemp("reading")
    write_documents(root / "docs")
    out = root / "r.ideamap"
    build([root / "docs"], out)
    return out, root


@pytest.fixture()
def view(reading_map):
    store = MapStore.open(reading_map[0], readonly=True)
    yield store, NeighborIndex.from_store(store)
    store.close()


def paragraph_with(store, text: str, document_name: str | None = None) -> int:
    for pid, doc in store.db.execute("SELECT p.id, d.path FROM paragraphs p JOIN documents d ON d.id = p.document_id "
                                     "WHERE p.text = ? ORDER BY p.id", [text]):
        if document_name is None or doc.endswith(document_name):
            return pid
    raise AssertionError(f"no paragraph {text[:30]!r}")


def test_a_document_reads_in_order_with_its_headings(view):
    store, _ = view
    doc = find_document(store, "council_2021-01-05.md")
    text = read_document(store, doc.id)
    assert [i.kind.value for i in text.items][:2] == ["heading", "body"]
    assert text.items[1].text == BRIDGE and text.items[-1].text == LICENCE
    assert [i.order for i in text.items] == sorted(i.order for i in text.items)
    assert not text.items[0].on_map and len(text.paragraph_ids_on_map) == 4


def test_copies_collapse_into_one_row(view):
    store, index = view
    query = paragraph_with(store, BRIDGE_LIKE)
    found = neighbours_without_repetition(store, index, query, k=50, boilerplate_rank="show")
    keys = [normalise_for_repeats(r.text) for r in found.rows]
    assert len(keys) == len(set(keys)), "two rows hold the same text"
    bridge_rows = [r for r in found.rows if r.text == BRIDGE]
    assert len(bridge_rows) == 1 and len(bridge_rows[0].copies) == 1
    assert found.rows[0].text == BRIDGE  # the closest idea, once
    assert "1 near-copy in: council_2021" in bridge_rows[0].copies_line()
    for a, b in combinations(found.rows, 2):
        va, vb = (index.vectors[np.searchsorted(index.ids, r.id)] for r in (a, b))
        assert float(va @ vb) < NEAR_COPY_SIMILARITY


def test_copies_of_the_current_paragraph_are_not_neighbours(view):
    store, index = view
    query = paragraph_with(store, BRIDGE, "council_2021-01-05.md")
    found = neighbours_without_repetition(store, index, query, k=10)
    assert [c.document.endswith("council_2021-06-10.md") for c in found.copies_of_current] == [True]
    assert all(r.text != BRIDGE for r in found.rows)


def test_other_documents_only(view):
    store, index = view
    query = paragraph_with(store, BRIDGE_LIKE)
    own = store.paragraph(query).document_id
    found = neighbours_without_repetition(store, index, query, k=50, other_documents_only=True, boilerplate_rank="show")
    assert found.rows and all(r.document_id != own for r in found.rows)
    assert all(c.document_id != own for r in found.rows for c in r.copies)
    everything = neighbours_without_repetition(store, index, query, k=50, boilerplate_rank="show")
    # the filter did remove something: paragraphs (or copies) of the query's own document
    assert any(c.document_id == own for r in everything.rows for c in [r, *r.copies])


def test_boilerplate_is_hidden_or_ranked_last(view):
    store, index = view
    flags = boilerplate_ids(store, index)
    licence_ids = {pid for (pid,) in store.db.execute("SELECT id FROM paragraphs WHERE text = ?", [LICENCE])}
    assert licence_ids == set(flags)  # in 4 documents: boilerplate; the bridge copy (2) is not
    query = paragraph_with(store, HARBOUR[0] + " (council_2021-01-05, item 1.)")
    shown = neighbours_without_repetition(store, index, query, k=50, boilerplate=flags)  # ranked last
    marks = [r.boilerplate for r in shown.rows]
    assert True in marks and marks == sorted(marks), "boilerplate must come after every other row"
    assert [r.copies for r in shown.rows if r.boilerplate][0]  # its copies collapsed into the one row
    hidden = neighbours_without_repetition(store, index, query, k=50, boilerplate=flags, boilerplate_rank="hide")
    assert hidden.hidden_boilerplate == 1 and not any(r.boilerplate for r in hidden.rows)
    in_place = neighbours_without_repetition(store, index, query, k=50, boilerplate=flags, boilerplate_rank="show")
    assert {r.id for r in in_place.rows} == {r.id for r in shown.rows}
    assert [r.similarity for r in in_place.rows] == sorted((r.similarity for r in in_place.rows), reverse=True)
    assert [r.similarity for r in shown.rows] != [r.similarity for r in in_place.rows]  # last ≠ in place


def test_digest_of_each_island_has_no_near_copies_and_covers_it(view):
    store, index = view
    islands = store.islands(store.n_levels() - 1)
    assert islands
    for island in islands:
        members, level = island_members(store, island.id)
        picks = digest(store, members, 3, index=index, level=level)
        assert 1 <= len(picks) <= 3 and sum(p.covers for p in picks) == len(members)
        rows = np.searchsorted(index.ids, [p.id for p in picks])
        sims = index.vectors[rows] @ index.vectors[rows].T
        assert (sims[np.triu_indices(len(picks), 1)] < NEAR_COPY_SIMILARITY).all()
        assert len({normalise_for_repeats(p.text) for p in picks}) == len(picks)
        assert all(p.id in members for p in picks)


def test_select_diverse_takes_one_of_each_cluster_before_any_copy():
    rng = np.random.default_rng(3)
    centres = np.linalg.qr(rng.normal(size=(16, 4)))[0].T  # 4 orthogonal ideas
    sizes = [40, 25, 10, 5]
    vecs = np.concatenate([c + rng.normal(scale=0.02, size=(n, 16)) for c, n in zip(centres, sizes)])
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    picks = select_diverse(vecs.astype(np.float32), 4)
    cluster = np.repeat(np.arange(4), sizes)
    assert sorted(cluster[picks]) == [0, 1, 2, 3]
    # the copies inside a cluster are ≥ 0.95 alike, so asking for more stops at one per cluster
    assert len(select_diverse(vecs.astype(np.float32), 10)) == 4


def test_since_until_follow_document_dates(view):
    store, _ = view
    in_2021 = paragraph_ids_in(store, period("2021", "2021"))
    names = {find_document(store, n).id for n in ("council_2021-01-05.md", "council_2021-06-10.md")}
    assert in_2021 and {store.paragraph(p).document_id for p in in_2021} == names
    later = paragraph_ids_in(store, period(since="2023-01"))
    assert {store.document(store.paragraph(p).document_id).path.rsplit("/", 1)[1] for p in later} == {"garden_2023-04-02.md"}
    with pytest.raises(Exception, match="starts .* after it ends"):
        period("2023", "2021")


def test_tags_survive_rebuild_and_add_and_undo_restores(tmp_path):
    path, docs = tmp_path / "m.ideamap", tmp_path / "docs"
    write_documents(docs)
    build([docs], path)  # a map of its own: its files are edited below
    with MapStore.open(path) as store:
        bridge = paragraph_with(store, BRIDGE, "council_2021-01-05.md")
        harbour = paragraph_with(store, HARBOUR[1] + " (council_2021-01-05, item 2.)")
        tagged = tag(store, [bridge], "to-check")
        noted = annotate(store, [harbour], note="ask the port authority", scope="selection", label="two ships")
        old_ids = (bridge, harbour)
    rebuild(path)
    # the document is edited: a paragraph is added at the top and one is rewritten
    edited = dict(DOCUMENTS)
    edited["council_2021-01-05.md"] = [GARDEN[2], BRIDGE, HARBOUR[0], "Dredging was put off to next year.", LICENCE]
    write_documents(docs, {"council_2021-01-05.md": edited["council_2021-01-05.md"]})
    (docs / "extra_2024-01-01.md").write_text("# extra\n\nA brand new note about the harbour ferries.\n")
    add(path, [docs])
    with MapStore.open(path, readonly=True) as store:
        now = {a.id: a for a in list_annotations(store)}
        new_bridge = paragraph_with(store, BRIDGE, "council_2021-01-05.md")
        assert new_bridge not in old_ids  # the paragraph got a new row id
        assert now[tagged.id].paragraph_ids == [new_bridge] and now[tagged.id].missing == 0
        assert paragraph_ids_with_tag(store, "TO-CHECK") == {new_bridge}
        assert now[noted.id].paragraph_ids == [] and now[noted.id].missing == 1  # its text was rewritten
    with MapStore.open(path) as store:
        removed = remove(store, tagged.id)
        assert [a.id for a in list_annotations(store)] == [noted.id]
        assert restore(store, removed).paragraph_ids == [new_bridge]


def test_annotations_are_refused_on_a_read_only_map(view):
    store, _ = view
    with pytest.raises(MapFileError, match="read-only"):
        tag(store, [paragraph_with(store, BRIDGE_LIKE)], "x")
    assert list_annotations(store) == []


def test_cli_neighbors_digest_tag_notes_export(reading_map, tmp_path):
    path = tmp_path / "m.ideamap"
    shutil.copy(reading_map[0], path)
    runner = CliRunner()
    with MapStore.open(path, readonly=True) as store:
        query = paragraph_with(store, BRIDGE_LIKE)
        island = store.islands(0)[0].id
    out = runner.invoke(main, ["neighbors", str(path), str(query), "--other-documents", "--boilerplate", "hide",
                               "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert rows and {"id", "document", "page", "similarity", "copies"} <= set(rows[0])
    assert any(r["copies"] for r in rows) and not any(r["boilerplate"] for r in rows)
    out = runner.invoke(main, ["digest", str(path), "--island", str(island), "-k", "3", "--format", "json"])
    assert out.exit_code == 0, out.output
    picks = json.loads(out.output)
    assert picks and all({"id", "document", "page", "text", "group", "covers"} <= set(p) for p in picks)
    out = runner.invoke(main, ["digest", str(path), "--document", "council_2021-06-10.md", "-k", "2"])
    assert out.exit_code == 0 and out.output.startswith("# Digest of council_2021-06-10.md") and "— council_2021-06-10.md" in out.output
    assert runner.invoke(main, ["tag", str(path), str(query), "bridges"]).exit_code == 0
    notes = json.loads(runner.invoke(main, ["notes", str(path), "--json"]).output)
    assert [(n["tag"], n["paragraph_ids"]) for n in notes] == [("bridges", [query])]
    assert runner.invoke(main, ["tag", str(path), str(query), "bridges", "--remove"]).exit_code == 0
    assert json.loads(runner.invoke(main, ["notes", str(path), "--json"]).output) == []
    out = runner.invoke(main, ["export", str(path), "--since", "2022-01-01", "--until", "2022-12"])
    documents = {json.loads(line)["document"].rsplit("/", 1)[1] for line in out.output.splitlines()}
    assert documents == {"council_2022-02-01.md", "garden_2022-05-20.md"}


@pytest.mark.parametrize("args, message", [
    (["export", "{map}", "--since", "2022-13"], "not a real date"),
    (["export", "{map}", "--until", "last week"], "is not a date"),
    (["digest", "{map}", "--island", "999"], "No island 999"),
    (["digest", "{map}", "--document", "nowhere.md"], "No document nowhere.md"),
    (["tag", "{map}", "99999", "x"], "No paragraph 99999"),
    (["tag", "{map}", "1", "x", "--remove"], "has no tag 'x'"),
    (["neighbors", "{map}", "1"], "has no vector"),  # paragraph 1 is a heading
])
def test_cli_bad_input_says_what_is_wrong(reading_map, tmp_path, args, message):
    path = tmp_path / "m.ideamap"
    shutil.copy(reading_map[0], path)
    out = CliRunner().invoke(main, [a.format(map=path) for a in args])
    assert out.exit_code == 1 and message in out.output, out.output


def test_a_format_1_map_is_migrated_keeping_its_notes(tmp_path):
    path = tmp_path / "old.ideamap"
    db = Database(sqlite3.connect(path))
    schema.migrate_to(db, 1)
    db["documents"].insert({"id": 1, "path": "/a.md", "content_hash": "h1", "status": "done"})
    db["paragraphs"].insert({"id": 7, "document_id": 1, "ord": 0, "text": "An idea.", "text_hash": "t1", "kind": "body"})
    db["annotations"].insert({"paragraph_id": 7, "note": "kept", "created_at": "2024-01-01"})
    db.conn.commit()
    db.close()
    with MapStore.open(path, readonly=True) as store:  # an old map is still accepted as it is
        assert store.meta("schema_version") == "1"
    with MapStore.open(path) as store:
        assert store.meta("schema_version") == str(schema.SCHEMA_VERSION)
        [note] = list_annotations(store)
        assert (note.note, note.paragraph_ids, note.scope) == ("kept", [7], "paragraph")
    with MapStore.open(path, readonly=True):  # and the migrated schema passes the safety checks
        pass


@pytest.mark.parametrize("statement", [
    "INSERT INTO annotations (scope, tag, created_at) VALUES ('paragraph', '{big}', '')",
    "INSERT INTO annotations (scope, tag, created_at) VALUES ('macro', 'x', '')",
])
def test_crafted_annotations_are_refused(reading_map, tmp_path, statement):
    path = tmp_path / "m.ideamap"
    shutil.copy(reading_map[0], path)
    with sqlite3.connect(path) as conn:
        conn.execute(statement.format(big="t" * 200_000))
    with pytest.raises(MapFileError, match="annotations ideamap cannot have written"):
        MapStore.open(path, readonly=True)


def test_cli_digest_of_a_query_and_of_an_ids_file(reading_map, tmp_path):
    path = reading_map[0]
    with MapStore.open(path, readonly=True) as store:
        garden = [paragraph_with(store, GARDEN[i] + f" (garden_2022-05-20, item {i}.)") for i in range(3)]
    ids_file = tmp_path / "selection.txt"
    ids_file.write_text("\n".join(map(str, garden)) + "\n")
    out = CliRunner().invoke(main, ["digest", str(path), "--ids", str(ids_file), "-k", "5", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert sorted(p["id"] for p in json.loads(out.output)) == sorted(garden)  # 3 distinct ideas: all of them
    out = CliRunner().invoke(main, ["digest", str(path), "--query", "repairs to the harbour bridge", "-k", "2",
                                    "--format", "json"])
    assert out.exit_code == 0, out.output
    picks = json.loads(out.output)
    assert len(picks) == 2 and any("bridge" in p["text"] for p in picks)
    ids_file.write_text("twelve\n")
    out = CliRunner().invoke(main, ["digest", str(path), "--ids", str(ids_file)])
    assert out.exit_code == 1 and "should hold paragraph ids" in out.output
