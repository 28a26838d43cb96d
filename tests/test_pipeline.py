"""End to end with the real model and UMAP: build → info / islands / search / neighbors / export
→ add → rebuild, through the library and the CLI."""

import json
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

from ideamap.cli import main as cli
from ideamap.pipeline import add, build
from ideamap.store.mapfile import MapStore

pytestmark = pytest.mark.slow

TOPICS = {
    "astronomy": [
        "Telescopes gather starlight so astronomers can measure the distance to far galaxies.",
        "A supernova explosion briefly outshines its entire host galaxy of billions of stars.",
        "Planets orbit their star in ellipses, as Kepler found from Tycho's careful observations.",
        "The cosmic microwave background is the faint afterglow of the early hot universe.",
        "Black holes bend light so strongly that nothing escapes from inside the event horizon.",
        "Astronomers use the redshift of spectral lines to show that the universe is expanding.",
    ],
    "cooking": [
        "Knead the bread dough for ten minutes until it becomes smooth and elastic.",
        "Simmer the tomato sauce slowly with garlic, basil and a splash of olive oil.",
        "Caramelise the onions over low heat until they turn sweet and deep brown.",
        "Whisk the eggs with sugar until pale, then fold in the flour for a light sponge cake.",
        "Season the soup with salt at the end, tasting as you go, so it is not too salty.",
        "Roast the vegetables in a hot oven so their edges crisp and their sugars brown.",
    ],
    "finance": [
        "The central bank raised interest rates to slow inflation and cool the housing market.",
        "Diversifying a portfolio across stocks and bonds reduces the risk of large losses.",
        "Quarterly earnings beat expectations and the company's share price rose sharply.",
        "A mortgage spreads the cost of a house over decades of monthly interest payments.",
        "Bond yields fell as investors sought safety during the stock market sell-off.",
        "Index funds track the market at low cost instead of paying managers to pick stocks.",
    ],
}


def write_corpus(folder, topics, copies=3):
    folder.mkdir(parents=True, exist_ok=True)
    for topic, paragraphs in topics.items():
        for i in range(copies):
            # every file a different mix, so documents differ but share their topic
            chosen = paragraphs[i:] + paragraphs[:i]
            body = "\n\n".join(f"{p} (Note {i}.{j} on {topic}.)" for j, p in enumerate(chosen))
            (folder / f"{topic}-{i}.md").write_text(f"# {topic.title()} notes {i}\n\n{body}\n")


@pytest.fixture(scope="module")
def built_map(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    write_corpus(root / "docs", TOPICS)
    (root / "docs" / "broken.pdf").write_bytes(b"this is not a pdf at all")
    out = root / "m.ideamap"
    report = build([root / "docs"], out)
    return out, report, root


def test_build_reads_embeds_and_lays_out(built_map):
    out, report, _ = built_map
    assert report.files_seen == 10 and report.paragraphs_embedded == 54
    assert [f[1] for f in report.files_failed] == ["invalid"]
    assert report.laid_out == "full" and set(report.stage_seconds) >= {"read", "embed", "layout", "write"}
    assert "all-MiniLM-L6-v2" in report.encoder and "sentence-transformers" in report.encoder
    with MapStore.open(out) as store:
        ids, xy = store.coords()
        assert len(ids) == 54 and np.isfinite(xy).all()
        assert store.n_levels() >= 3
        docs = store.documents()
        assert all(d.path.startswith("/") for d in docs)  # absolute, findable from anywhere
        run = store.runs()[-1]  # the map explains how it was made
        assert run["status"] == "done" and run["params"]["seed"] == 42
        assert run["params"]["encoder"] == report.encoder


def test_islands_follow_topics(built_map):
    out, _, _ = built_map
    with MapStore.open(out) as store:
        ids, levels = store.memberships()
        topic_of = {}
        for doc in store.documents():
            for pid in store.document_paragraph_ids(doc.id):
                topic_of[pid] = doc.path.rsplit("/", 1)[-1].split("-")[0]
    # at some level, each island holds one topic only (ignoring the sea)
    best = 0.0
    for row in levels:
        pure = []
        for key in set(row.tolist()) - {-1}:
            members = [topic_of[int(p)] for p, k in zip(ids, row) if k == key]
            pure.append(max(members.count(t) for t in set(members)) / len(members))
        if pure:
            best = max(best, float(np.mean(pure)))
    assert best >= 0.9


def test_cli_info_islands_search_neighbors_export(built_map):
    out, _, _ = built_map
    runner = CliRunner()
    info = json.loads(runner.invoke(cli, ["info", str(out), "--json"]).output)
    assert info["n_documents"] == 10 and info["n_mapped"] == 54
    assert info["failed"][0][1] == "invalid" and info["failed"][0][2]
    assert 0.0 <= info["sea_share"] <= 0.2

    tree = json.loads(runner.invoke(cli, ["islands", str(out), "--json"]).output)
    assert tree and all(node["label"] and node["terms"] and node["exemplars"] for node in tree)
    regions_only = runner.invoke(cli, ["islands", str(out), "--levels", "1"]).output
    assert "Region «" in regions_only and "Island «" not in regions_only

    hits = json.loads(runner.invoke(cli, ["search", str(out), "galaxies and telescopes", "--json"]).output)
    assert "astronomy" in hits[0]["document"]

    kw = json.loads(runner.invoke(cli, ["search", str(out), "mortgage", "--keyword-only", "--json"]).output)
    assert kw and "mortgage" in kw[0]["text"].lower() and kw[0]["keyword_match"]

    pid = hits[0]["id"]
    near = json.loads(runner.invoke(cli, ["neighbors", str(out), str(pid), "-k", "3", "--json"]).output)
    assert len(near) == 3 and all("astronomy" in n["document"] for n in near)
    assert near[0]["similarity"] >= near[-1]["similarity"]

    rows = [json.loads(line) for line in runner.invoke(cli, ["export", str(out)]).output.splitlines()]
    mapped = [r for r in rows if r["x"] is not None]
    assert len(mapped) == 54 and all(len(r["islands"]) >= 3 for r in mapped)
    assert {"id", "document", "page", "text", "x", "y", "islands"} <= set(rows[0])


def test_cli_errors_have_exit_codes(built_map, tmp_path):
    out, _, _ = built_map
    runner = CliRunner()
    missing = runner.invoke(cli, ["neighbors", str(out), "999999"])
    assert missing.exit_code == 1 and "No paragraph 999999" in missing.output
    junk = tmp_path / "junk.ideamap"
    junk.write_text("hello")
    bad = runner.invoke(cli, ["info", str(junk)])
    assert bad.exit_code == 1 and "not an ideamap map" in bad.output
    assert runner.invoke(cli, ["info"]).exit_code == 2


def test_add_places_new_paragraphs_without_moving_old_ones(built_map, tmp_path):
    out, _, root = built_map
    work = tmp_path / "m.ideamap"
    shutil.copy(out, work)
    with MapStore.open(work) as store:
        old_ids, old_xy = store.coords()
    extra = tmp_path / "extra"
    write_corpus(extra, {"astronomy": TOPICS["astronomy"]}, copies=1)
    (extra / "astronomy-0.md").rename(extra / "astronomy-new.md")
    report = add(work, [extra, root / "docs"])
    assert report.files_read == 1 and report.files_unchanged == 10  # the broken pdf too: same bytes
    assert report.laid_out == "placed"
    with MapStore.open(work) as store:
        ids, xy = store.coords()
        pos = {int(i): p for i, p in zip(ids, xy)}
        for i, p in zip(old_ids, old_xy):
            np.testing.assert_array_equal(pos[int(i)], p)
        new = sorted(set(ids.tolist()) - set(old_ids.tolist()))
        assert len(new) == 6
        member_ids, levels = store.memberships()
        col = {int(p): j for j, p in enumerate(member_ids)}
        doc_of = {pid: d.path for d in store.documents() for pid in store.document_paragraph_ids(d.id)}
        # new astronomy paragraphs join the islands of the old astronomy paragraphs
        astro_keys = {int(levels[0, col[int(p)]]) for p in old_ids if "astronomy" in doc_of[int(p)]}
        assert all(int(levels[0, col[p]]) in astro_keys | {-1} for p in new)


@pytest.mark.parametrize("growth_to_rename", [1.0, 0.0])
def test_a_small_add_keeps_the_names_and_grows_the_sizes(built_map, tmp_path, monkeypatch, growth_to_rename):
    import ideamap.pipeline as pipeline

    out, _, root = built_map
    work = tmp_path / "m.ideamap"
    shutil.copy(out, work)
    with MapStore.open(work) as store:
        before = {(i.level, i.key): i for i in store.islands()}
        assert int(store.meta(pipeline.NAMES_READ_AT)) == len(store.coords()[0])
    extra = tmp_path / "extra"
    write_corpus(extra, {"cooking": TOPICS["cooking"]}, copies=1)
    (extra / "cooking-0.md").rename(extra / "cooking-new.md")
    # 1.0: the 6 new paragraphs are under the growth share, so the names stay; 0.0: re-read
    monkeypatch.setattr(pipeline, "RENAME_GROWTH", growth_to_rename)
    add(work, [extra])
    with MapStore.open(work) as store:
        after = {(i.level, i.key): i for i in store.islands()}
        member_ids, levels = store.memberships()
        ids_now, xy_now = store.coords()
        n_now = len(ids_now)
        named_at = int(store.meta(pipeline.NAMES_READ_AT))
        packed = store.layout_arrays()
    # The packed copy the app reads is the tables' layout after the add, point for point.
    assert packed is not None
    assert np.array_equal(packed[0], ids_now) and np.array_equal(packed[1], xy_now)
    assert np.array_equal(packed[0], member_ids) and np.array_equal(packed[2], levels)
    for (level, key), island in after.items():
        assert island.size == int((levels[level] == key).sum())  # sizes count the new paragraphs
    if growth_to_rename:
        assert named_at == n_now - 6
        assert {k: (i.label, i.terms, i.exemplar_ids) for k, i in after.items()} == {
            k: (i.label, i.terms, i.exemplar_ids) for k, i in before.items()}
        assert sum(i.size for i in after.values()) > sum(i.size for i in before.values())
    else:
        assert named_at == n_now


def test_add_of_unchanged_files_reads_nothing(built_map, tmp_path):
    out, _, root = built_map
    work = tmp_path / "m.ideamap"
    shutil.copy(out, work)
    report = add(work, [root / "docs"])
    assert report.files_read == 0 and report.paragraphs_embedded == 0 and report.laid_out == ""


def test_opening_a_map_imports_neither_torch_nor_umap(built_map):
    out, _, _ = built_map
    code = textwrap.dedent(f"""
        import sys
        from ideamap.cli import main
        for args in (["info", {str(out)!r}], ["islands", {str(out)!r}], ["export", {str(out)!r}],
                     ["search", {str(out)!r}, "bread", "--keyword-only"]):
            try:
                main(args, standalone_mode=False)
            except SystemExit:
                pass
        heavy = [m for m in ("torch", "umap", "sentence_transformers", "numba", "hdbscan") if m in sys.modules]
        print("HEAVY", heavy)
    """)
    out_text = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stdout
    assert "HEAVY []" in out_text


def test_cancelled_build_keeps_finished_documents_and_resumes(tmp_path):
    from ideamap import pipeline

    write_corpus(tmp_path / "docs", TOPICS)
    out = tmp_path / "m.ideamap"
    calls = {"n": 0}

    def cancel_after_four_files():
        calls["n"] += 1
        return calls["n"] > 4

    original = pipeline.EMBED_BATCH_DOCUMENTS
    pipeline.EMBED_BATCH_DOCUMENTS = 2  # commit in small batches so some land before the cancel
    try:
        first = build([tmp_path / "docs"], out, cancel=cancel_after_four_files)
    finally:
        pipeline.EMBED_BATCH_DOCUMENTS = original
    assert first.cancelled
    with MapStore.open(out) as store:
        assert 0 < len(store.documents()) < 9
        assert len(store.coords()[0]) == 0  # no layout yet
    second = build([tmp_path / "docs"], out)
    assert not second.cancelled and second.files_unchanged == len(MapStore.open(out).documents()) - second.files_read
    reference = build([tmp_path / "docs"], tmp_path / "ref.ideamap")
    with MapStore.open(out) as a, MapStore.open(tmp_path / "ref.ideamap") as b:
        texts_a = sorted(p.text for d in a.documents() for p in a.paragraphs(a.document_paragraph_ids(d.id)))
        texts_b = sorted(p.text for d in b.documents() for p in b.paragraphs(b.document_paragraph_ids(d.id)))
        assert texts_a == texts_b
        ia, va = a.vectors()
        ib, vb = b.vectors()
        ta = dict(zip(a.texts_for(ia), va))
        for text, vec in zip(b.texts_for(ib), vb):
            np.testing.assert_allclose(ta[text], vec, atol=1e-5)
    assert reference.laid_out == "full"


def test_rebuild_with_the_same_seed_gives_the_same_map(built_map, tmp_path):
    from ideamap.pipeline import rebuild

    out, _, _ = built_map
    work = tmp_path / "m.ideamap"
    shutil.copy(out, work)
    report = rebuild(work)
    assert report.laid_out == "full"
    with MapStore.open(out) as a, MapStore.open(work) as b:
        ids_a, xy_a = a.coords()
        ids_b, xy_b = b.coords()
        np.testing.assert_array_equal(ids_a, ids_b)
        np.testing.assert_allclose(xy_a, xy_b, atol=1e-6)
        assert [i.label for i in a.islands()] == [i.label for i in b.islands()]
        assert b.runs()[-1]["kind"] == "rebuild"


def test_app_without_a_display_says_so_instead_of_aborting(monkeypatch):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 1 and "no display" in result.output
