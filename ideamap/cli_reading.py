"""Reading commands of the command line: digest, notes, tag, note; helpers for neighbors,
export --since/--until and open --document. Thin calls into ideamap.reading.

Views read the map through the read-only connection; tag and note open it for writing, and
each change is one transaction.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import click

from ideamap.errors import IdeamapError, NotFoundError


# The shared helpers of cli.py, looked up when used: cli.py imports this module while it loads.
def _open(map_path):
    from ideamap.cli import _open as open_readonly

    return open_readonly(map_path)


def _emit(data, as_json, text_fn):
    from ideamap.cli import _emit as emit

    emit(data, as_json, text_fn)


def _plain(text) -> str:
    from ideamap.cli import _plain as plain

    return plain(text)


def _clip(text: str, n: int) -> str:
    from ideamap.cli import _clip as clip

    return clip(text, n)


# -- neighbors -------------------------------------------------------------------------------------
def neighbour_rows(store, paragraph_id: int, k: int, *, other_documents: bool, boilerplate_rank: str):
    """(JSON rows, what the text output adds: copies of the current paragraph, hidden count)."""
    from ideamap.reading import neighbours_without_repetition
    from ideamap.search import NeighborIndex

    store.paragraph(paragraph_id)  # a clear error for an unknown id
    found = neighbours_without_repetition(store, NeighborIndex.from_store(store), paragraph_id, k,
                                          other_documents_only=other_documents,
                                          boilerplate_rank=boilerplate_rank)
    rows = [{"id": r.id, "document": r.document, "page": r.page, "similarity": r.similarity, "text": r.text,
             "boilerplate": r.boilerplate, "copies": [_copy(c) for c in r.copies]} for r in found.rows]
    return rows, {"also_in": [_copy(c) for c in found.copies_of_current], "hidden": found.hidden_boilerplate}


def _copy(c) -> dict:
    return {"id": c.id, "document": c.document, "page": c.page, "similarity": c.similarity}


def print_neighbour_rows(rows, extra, *, show_copies: bool) -> None:
    if extra["also_in"]:
        click.echo("This paragraph also appears in: " + ", ".join(_where(c) for c in extra["also_in"][:6])
                   + (", …" if len(extra["also_in"]) > 6 else ""))
    if not rows:
        click.echo("No neighbours.")
    for row in rows:
        mark = "  [boilerplate]" if row["boilerplate"] else ""
        click.echo(f"[{row['id']}] {row['similarity']:.3f}  {_where(row)}{mark}")
        click.echo(f"    {_clip(row['text'], 200)}")
        if row["copies"] and show_copies:
            for c in row["copies"]:
                click.echo(f"    = [{c['id']}] {c['similarity']:.3f}  {_where(c)}")
        elif row["copies"]:
            n = len(row["copies"])
            shown = ", ".join(_where(c) for c in row["copies"][:3]) + (", …" if n > 3 else "")
            click.echo(f"    and {n} near-cop{'y' if n == 1 else 'ies'} in: {shown}")
    if extra["hidden"]:
        click.echo(f"({extra['hidden']} boilerplate neighbour(s) hidden; --boilerplate last shows them.)")


def _where(row) -> str:
    return _plain(Path(row["document"]).name + (f" p.{row['page']}" if row.get("page") else ""))


# -- digest ----------------------------------------------------------------------------------------
@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.option("--island", "island_id", type=int, help="An island's id (from 'ideamap islands MAP --json').")
@click.option("--query", help="A search: the digest covers the paragraphs nearest to it in meaning.")
@click.option("--document", "documents", multiple=True, help="A document of the map (path or file name); repeatable.")
@click.option("--ids", "ids_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file of paragraph ids (one per line, or a JSON list), e.g. a saved selection.")
@click.option("-k", default=12, show_default=True, type=click.IntRange(min=1, max=200), help="How many paragraphs.")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
def digest(map_path, island_id, query, documents, ids_file, k, fmt):
    """The k paragraphs that best cover a set, none a near-copy of another, grouped by
    sub-island, each with its document and page.

    \b
    Example:
      ideamap digest research.ideamap --island 12 -k 8
      ideamap digest research.ideamap --query "borrow checker" --format json
    """
    from ideamap.reading import digest as make_digest, digest_markdown, digest_rows
    from ideamap.search import NeighborIndex

    given = [x for x in (island_id is not None, query, documents, ids_file) if x]
    if len(given) != 1:
        raise click.UsageError("Give exactly one of --island, --query, --document or --ids.")
    with _open(map_path) as store:
        index = NeighborIndex.from_store(store)
        members, level, title = _digest_members(store, index, island_id, query, documents, ids_file)
        if not members:
            raise NotFoundError("The set has no paragraphs on the map (headings and references have no vectors).")
        picks = make_digest(store, members, k, index=index, level=level)
    if fmt == "json":
        click.echo(json.dumps(digest_rows(picks), indent=2, ensure_ascii=False))
    else:
        click.echo(_plain_block(digest_markdown(picks, title)), nl=False)


def _digest_members(store, index, island_id, query, documents, ids_file):
    from ideamap.reading import document_members, find_document, island_members, query_members

    if island_id is not None:
        members, level = island_members(store, island_id)
        label = store.db.execute("SELECT label FROM islands WHERE id = ?", [island_id]).fetchone()[0]
        return members, level, f"Digest of «{label}» ({len(members)} paragraphs)"
    if query:
        from ideamap.cli import _encoder_for

        encoder = _encoder_for(store)
        if encoder is None:
            raise NotFoundError("This map has no vectors yet, so a search digest cannot be made.")
        return query_members(index, encoder.encode([query])[0]), None, f"Digest of “{query}”"
    if documents:
        docs = [find_document(store, d) for d in documents]
        names = ", ".join(Path(d.path).name for d in docs)
        return document_members(store, [d.id for d in docs]), None, f"Digest of {names}"
    return _read_ids(ids_file), None, f"Digest of {ids_file.name}"


def _read_ids(path: Path) -> list[int]:
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    try:
        values = json.loads(text) if text.startswith("[") else text.split()
        return [int(v) for v in values]
    except (ValueError, TypeError):
        raise IdeamapError(f"{path.name} should hold paragraph ids: one number per line, or a JSON list of numbers.")


def _plain_block(text: str) -> str:
    return "\n".join(_plain(line) for line in text.split("\n"))


# -- tags and notes --------------------------------------------------------------------------------
@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.option("--tag", "tag_name", help="Only annotations with this tag.")
@click.option("--json", "as_json", is_flag=True)
def notes(map_path, tag_name, as_json):
    """Tags and notes of a map, each with the paragraphs it marks.

    \b
    Example:
      ideamap notes research.ideamap --tag to-read --json
    """
    from dataclasses import asdict

    from ideamap.reading import list_annotations

    with _open(map_path) as store:
        found = [asdict(a) for a in list_annotations(store, tag=tag_name)]
        for a in found:
            a["paragraphs"] = _short_rows(store, a["paragraph_ids"][:20])

    def text(rows):
        if not rows:
            click.echo("No tags or notes.")
        for a in rows:
            what = " ".join(x for x in (f"#{a['tag']}" if a["tag"] else "", a["note"] or "") if x)
            gone = f", {a['missing']} no longer in the map" if a["missing"] else ""
            click.echo(f"({a['id']}) {_clip(what, 120)}  [{a['scope']}, {len(a['paragraph_ids'])} paragraph(s){gone}]")
            for p in a["paragraphs"][:3]:
                click.echo(f"    [{p['id']}] {_where(p)}: {_clip(p['text'], 100)}")

    _emit(found, as_json, text)


def _short_rows(store, ids) -> list[dict]:
    paths = {d.id: d.path for d in store.documents()}
    return [{"id": p.id, "document": paths.get(p.document_id), "page": p.page, "text": p.text}
            for p in store.paragraphs(ids)]


@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.argument("paragraph_id", type=int)
@click.argument("tag_name", metavar="TAG")
@click.option("--remove", is_flag=True, help="Take the tag off the paragraph instead.")
def tag(map_path, paragraph_id, tag_name, remove):
    """Tag a paragraph (the tag stays through add, rebuild and adapt).

    \b
    Example:
      ideamap tag research.ideamap 1234 to-read
      ideamap tag research.ideamap 1234 to-read --remove
    """
    from ideamap.reading import remove_tag, tag as add_tag
    from ideamap.store.mapfile import MapStore

    with MapStore.open(map_path) as store:
        if remove:
            gone = remove_tag(store, paragraph_id, tag_name)
            click.echo(f"Removed tag '{_plain(tag_name)}' from paragraph {paragraph_id} ({len(gone)} annotation(s)).")
        else:
            made = add_tag(store, [paragraph_id], tag_name)
            click.echo(f"Tagged paragraph {paragraph_id} '{_plain(made.tag)}' (annotation {made.id}).")


@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.argument("paragraph_id", type=int)
@click.argument("text")
def note(map_path, paragraph_id, text):
    """Write a note on a paragraph; 'ideamap notes MAP' lists notes.

    \b
    Example:
      ideamap note research.ideamap 1234 "compare with the 2019 survey"
    """
    from ideamap.reading import annotate
    from ideamap.store.mapfile import MapStore

    with MapStore.open(map_path) as store:
        made = annotate(store, [paragraph_id], note=text)
    click.echo(f"Noted on paragraph {paragraph_id} (annotation {made.id}).")


# -- export --since/--until, open --document -------------------------------------------------------
def register(group: click.Group) -> None:
    """Add the reading commands to the CLI group (so they get its error handling)."""
    for fn in (digest, notes, tag, note):
        group.command(name=fn.__name__)(fn)


def rows_in_period(store, rows, since, until):
    """``rows`` (export rows) of documents dated within the period; checks the dates at once."""
    from ideamap.reading.timeline import period

    span = period(since, until)
    if span.since is None and span.until is None:
        return rows
    dates = {d.path: d.date for d in store.documents()}
    return (row for row in rows if span.contains(dates.get(row["document"])))


def launch_reader(map_path: Path, document: str, launch_app) -> int:
    """Check the document is in the map, then open the app on it (when the app can)."""
    from ideamap.reading import find_document

    with _open(map_path) as store:
        find_document(store, document)
    from ideamap.app.launch import launch

    if "document" not in inspect.signature(launch).parameters:
        click.secho("Error: this version of the app cannot open a document yet; open the map and "
                    "double-click the document in its list.", fg="red", err=True)
        return 1
    return launch_app()
