"""Command line: thin commands over the library. Each prints readable text, or JSON with --json.

Exit codes (stable, for scripts):
  0  success
  1  the map or an input could not be used (the message says why)
  2  wrong usage (unknown option, missing argument)
  3  cancelled (Ctrl+C); work finished so far is kept and the next run resumes
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

import click

from ideamap.errors import IdeamapError

EXIT_ERROR = 1
EXIT_CANCELLED = 3


class _Command(click.Command):
    """Turns library errors into one readable line and a stable exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except IdeamapError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            ctx.exit(EXIT_ERROR)
        except sqlite3.DatabaseError as exc:  # damage found past the checks made on opening
            click.secho(f"Error: the map file is damaged ({exc}).", fg="red", err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("\nCancelled. Finished work is kept; run the same command to resume.", err=True)
            ctx.exit(EXIT_CANCELLED)


class _Group(click.Group):
    command_class = _Command


@click.group(cls=_Group, invoke_without_command=True)
@click.version_option(package_name="ideamap")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Explore a collection of documents as a map of ideas.

    \b
    Example:
      ideamap build ~/papers -o papers.ideamap
      ideamap info papers.ideamap
    Run without a command to open the desktop app.
    """
    if ctx.invoked_subcommand is None:
        sys.exit(_launch_app(None))


def _emit(data, as_json: bool, text_fn) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        text_fn(data)


def _open(map_path: Path):
    from ideamap.store.mapfile import MapStore

    # Viewing never writes: the map is checked and read through a read-only connection.
    return MapStore.open(map_path, readonly=True)


# -- build / add / rebuild ----------------------------------------------------------------------
@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="The map file to create (.ideamap).")
@click.option("--seed", default=42, show_default=True, help="Random seed of the layout: same input and seed, same map.")
@click.option("--file-timeout", default=60.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Seconds one file may take to read; a file that takes longer is reported as timed out.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where reading and embedding run: here, or on a Ray cluster (pip install 'ideamap[cluster]').")
@click.option("--address", default="", help="Ray cluster to join (HOST:PORT); default: RAY_ADDRESS, `ray start`, or a local one.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="Ray engine: embedding workers (each loads the encoder once).")
@click.option("--gpus-per-worker", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Ray engine: GPUs each embedding worker reserves.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@click.option("--no-ocr", is_flag=True, help="Do not read scanned pages by OCR (Tesseract); "
              "they are reported as having no text. Same as IDEAMAP_OCR=0.")
def build(paths, output, seed, file_timeout, engine, address, workers, gpus_per_worker, as_json, no_ocr):
    """Make a new map from folders and files (PDF, HTML, Markdown, text, notes, .vtt/.srt, .docx).

    \b
    Example:
      ideamap build ~/papers ~/notes -o research.ideamap
    If the map exists from a build that was interrupted, the build resumes.
    """
    from ideamap.cli_progress import StageBars
    from ideamap.pipeline import BuildOptions, build as run_build

    if no_ocr:
        os.environ["IDEAMAP_OCR"] = "0"  # read by the reader processes, which inherit it
    options = BuildOptions(seed=seed, file_timeout_s=file_timeout, engine=engine, ray_address=address,
                           ray_workers=workers, gpus_per_worker=gpus_per_worker)
    with StageBars(enabled=not as_json) as bars:
        report = run_build(paths, output, options=options, progress=bars.update)
    _emit(_report_dict(report), as_json, _print_report)


@main.command()
@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--file-timeout", default=60.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Seconds one file may take to read; a file that takes longer is reported as timed out.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def add(map_path, paths, file_timeout, as_json):
    """Add new or changed files to a map; existing points stay where they are.

    \b
    Example:
      ideamap add research.ideamap new-paper.pdf notes/
    """
    from ideamap.cli_progress import StageBars
    from ideamap.pipeline import BuildOptions, add as run_add

    with StageBars(enabled=not as_json) as bars:
        report = run_add(map_path, paths, options=BuildOptions(file_timeout_s=file_timeout), progress=bars.update)
    _emit(_report_dict(report), as_json, _print_report)


@main.command()
@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.option("--seed", default=42, show_default=True, help="Random seed of the layout.")
@click.option("--json", "as_json", is_flag=True)
def rebuild(map_path, seed, as_json):
    """Lay out the whole map again (points move; islands and labels are recomputed).

    \b
    Example:
      ideamap rebuild research.ideamap
    """
    from ideamap.cli_progress import StageBars
    from ideamap.pipeline import BuildOptions, rebuild as run_rebuild

    with StageBars(enabled=not as_json) as bars:
        report = run_rebuild(map_path, options=BuildOptions(seed=seed), progress=bars.update)
    _emit(_report_dict(report), as_json, _print_report)


def _report_dict(report) -> dict:
    from dataclasses import asdict

    return asdict(report)


def _print_report(d: dict) -> None:
    state = "Cancelled" if d["cancelled"] else "Done"
    click.echo(
        f"{state}: {d['files_seen']} files ({d['files_read']} read, {d['files_unchanged']} unchanged), "
        f"{d['paragraphs_added']} paragraphs added, {d['paragraphs_embedded']} embedded."
    )
    _print_failed(d["files_failed"])
    times = ", ".join(f"{k} {v:.1f}s" for k, v in d["stage_seconds"].items())
    if times:
        click.echo(f"Time: {times}")
    click.echo(f"Map: {d['map_path']}")


def _print_failed(failed) -> None:
    if failed:
        click.echo(f"{len(failed)} file(s) not on the map:")
        for path, status, reason in failed:
            click.echo(f"  {_plain(Path(path).name)} [{_plain(status)}]: {_plain(reason)}")


# -- looking at a map -------------------------------------------------------------------------------
@main.command()
@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def info(map_path, as_json):
    """Summary: documents, paragraphs, islands per level, sea share, files that failed and why.

    \b
    Example:
      ideamap info research.ideamap --json
    """
    from dataclasses import asdict

    from ideamap.summary import map_info

    with _open(map_path) as store:
        data = asdict(map_info(store))

    def text(d):
        click.echo(f"Map: {_plain(d['path'])}")
        click.echo(f"Documents: {d['n_documents']}   Paragraphs: {d['n_paragraphs']} ({d['n_mapped']} on the map)")
        levels = " / ".join(str(n) for n in d["n_islands_per_level"]) or "none yet"
        click.echo(f"Islands per level (regions / islands / bays): {levels}")
        click.echo(f"Sea (unclustered): {d['sea_share']:.1%}")
        click.echo(f"Encoder: {_plain(d['model_id']) or 'none yet'}")
        _print_failed(d["failed"])

    _emit(data, as_json, text)


@main.command()
@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.option("--levels", type=click.IntRange(min=1), default=None,
              help="Print only this many levels (1 = regions, 2 = regions and islands). Default: all.")
@click.option("--json", "as_json", is_flag=True)
def islands(map_path, levels, as_json):
    """The island hierarchy (regions › islands › bays) with labels and their evidence.

    \b
    Example:
      ideamap islands research.ideamap --levels 2
    """
    from ideamap.summary import island_tree, level_name

    with _open(map_path) as store:
        tree = island_tree(store)

    def text(nodes, depth=0):
        for node in nodes:
            pad = "  " * depth
            click.echo(f"{pad}{level_name(node['level']).title()} «{_plain(node['label'])}» ({node['size']} paragraphs)")
            click.echo(f"{pad}  terms: {_plain(', '.join(map(str, node['terms'][:8])))}")
            for ex in node["exemplars"][:3] if depth == 0 else node["exemplars"][:1]:
                click.echo(f"{pad}  e.g. [{ex['id']}] {_clip(ex['text'], 100)}")
            if levels is None or depth + 1 < levels:
                text(node["children"], depth + 1)

    _emit(tree, as_json, text)


@main.command()
@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.argument("query")
@click.option("-n", "--limit", default=10, show_default=True)
@click.option("--keyword-only", is_flag=True, help="Skip the semantic part (no model is loaded).")
@click.option("--json", "as_json", is_flag=True)
def search(map_path, query, limit, keyword_only, as_json):
    """Find paragraphs by meaning and by keywords.

    \b
    Example:
      ideamap search research.ideamap "consensus under network partitions"
    """
    from ideamap.search import NeighborIndex, hybrid_search

    with _open(map_path) as store:
        encoder = None if keyword_only else _encoder_for(store)
        index = NeighborIndex.from_store(store)
        hits = hybrid_search(store, index, query, encoder=encoder, limit=limit)
        rows = _describe(store, [h.paragraph_id for h in hits])
        for row, hit in zip(rows, hits):
            row.update(score=round(hit.score, 5), similarity=hit.semantic, keyword_match=hit.keyword)
    _emit(rows, as_json, _print_paragraph_rows)


@main.command()
@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.argument("paragraph_id", type=int)
@click.option("-k", default=10, show_default=True, help="How many neighbours (near-copies count as one).")
@click.option("--other-documents", is_flag=True, help="Only paragraphs from other documents.")
@click.option("--show-copies", is_flag=True, help="List every near-copy on its own line (text output).")
@click.option("--boilerplate", "boilerplate_rank", type=click.Choice(["last", "hide", "show"]), default="last",
              show_default=True, help="Text repeated across many documents (licences, templates): ranked after "
                                      "every other neighbour, hidden, or shown in its place.")
@click.option("--json", "as_json", is_flag=True)
def neighbors(map_path, paragraph_id, k, other_documents, show_copies, boilerplate_rank, as_json):
    """The paragraphs nearest in meaning to one paragraph, anywhere in the collection, with
    near-copies collapsed into one row.

    \b
    Example:
      ideamap neighbors research.ideamap 1234 -k 5 --other-documents --json
    """
    from ideamap.cli_reading import neighbour_rows, print_neighbour_rows

    with _open(map_path) as store:
        rows, extra = neighbour_rows(store, paragraph_id, k, other_documents=other_documents,
                                     boilerplate_rank=boilerplate_rank)
    _emit(rows, as_json, lambda r: print_neighbour_rows(r, extra, show_copies=show_copies))


@main.command()
@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="File to write (default: standard output).")
@click.option("--since", help="Only paragraphs of documents dated on or after this (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", help="Only paragraphs of documents dated on or before this; undated documents are left out "
                              "whenever --since or --until is given.")
def export(map_path, fmt, output, since, until):
    """Export a row per paragraph: id, document, page, text, x, y, islands (broadest → finest).

    \b
    Example:
      ideamap export research.ideamap --format jsonl -o paragraphs.jsonl
    """
    from ideamap.cli_reading import rows_in_period
    from ideamap.summary import export_rows

    with _open(map_path) as store:
        rows = rows_in_period(store, export_rows(store), since, until)  # checks the dates first
        stream = open(output, "w", encoding="utf-8") if output else sys.stdout
        try:
            for row in rows:
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        finally:
            if output:
                stream.close()


@main.command(name="open")
@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.option("--document", help="Open this document of the map in the reader (its path or file name).")
def open_map(map_path, document):
    """Open a map in the desktop app.

    \b
    Example:
      ideamap open research.ideamap
      ideamap open research.ideamap --document paper.pdf
    """
    if document is not None:
        from ideamap.cli_reading import launch_reader

        sys.exit(launch_reader(map_path, document, lambda: _launch_app(map_path, document=document)))
    sys.exit(_launch_app(map_path))


def _launch_app(map_path, *, document: str | None = None) -> int:
    """Open the desktop app, or explain why not: without a display Qt would abort the process."""
    import os

    from ideamap.demo_run import has_display

    # An explicit QT_QPA_PLATFORM (offscreen, vnc, ...) is the user's choice: honour it.
    if not (has_display() or os.environ.get("QT_QPA_PLATFORM")):
        click.secho("Error: no display found (e.g. over SSH), so the app cannot open. The command-line "
                    "tools work without one: try 'ideamap info MAP' or 'ideamap --help'.", fg="red", err=True)
        return EXIT_ERROR
    from ideamap.app.launch import launch

    return launch(map_path) if document is None else launch(map_path, document=document)


def _encoder_for(store):
    from ideamap.embed.encoder import load_encoder

    model_ids = store.vector_model_ids()
    return load_encoder(model_ids[0]) if model_ids else None


def _describe(store, ids) -> list[dict]:
    docs = {}
    out = []
    for p in store.paragraphs(ids):
        if p.document_id not in docs:
            docs[p.document_id] = store.document(p.document_id)
        doc = docs[p.document_id]
        out.append({"id": p.id, "document": doc.path, "title": doc.title, "page": p.page, "text": p.text})
    return out


def _print_paragraph_rows(rows) -> None:
    if not rows:
        click.echo("No matches.")
    for row in rows:
        where = Path(row["document"]).name + (f", p. {row['page']}" if row.get("page") else "")
        score = f"{row['similarity']:.3f}" if row.get("similarity") is not None else "keyword"
        click.echo(f"[{row['id']}] {score}  {_plain(where)}")
        click.echo(f"    {_clip(row['text'], 200)}")


def _plain(text) -> str:
    """Text from a map, safe to print: a map from a stranger could hold terminal escape
    sequences (retitling the window, writing the clipboard) in its titles, paths or labels."""
    return "".join(c if c.isprintable() or c == " " else "?" for c in str(text))


def _clip(text: str, n: int) -> str:
    text = _plain(" ".join(text.split()))
    return text if len(text) <= n else text[: n - 1] + "…"


# -- adapting the encoder ----------------------------------------------------------------------------
@main.command()
@click.argument("map_path", type=click.Path(exists=True, path_type=Path))
@click.option("--minutes", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Training time budget. More minutes let the encoder learn from more of your sentences "
                   "(roughly 5-15 sentences a second on a 2-core laptop); re-embedding and layout come on top.")
@click.option("--always-keep", is_flag=True,
              help="Keep the adapted encoder even when the check on held-out documents says it is not better.")
@click.option("--anchor-weight", default=None, type=click.FloatRange(min=0.0),
              help="Weight of the term keeping vectors near the default encoder's (0: plain TSDAE).")
@click.option("--fresh", is_flag=True, help="Start from the default encoder, not from this map's last checkpoint.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the report as JSON (held-out figures under 'check', 'kept', 'training').")
def adapt(map_path, minutes, always_keep, anchor_weight, fresh, as_json):
    """Adapt the encoder to this map's own text (sentence reconstruction, TSDAE), then re-embed and
    lay out the map again.

    \b
    Example:
      ideamap adapt research.ideamap --minutes 20

    A fifth of the documents is kept aside to check the result: the map keeps its current encoder
    unless the adapted one groups those documents' paragraphs at least as well. Ctrl+C stops
    (exit code 3) and leaves the map unchanged.
    """
    from ideamap.adapt_map import KEEP_ALWAYS, KEEP_IF_NOT_WORSE, AdaptOptions, adapt_map
    from ideamap.cli_progress import StageBars
    from ideamap.errors import Cancelled

    from dataclasses import replace

    options = AdaptOptions(keep=KEEP_ALWAYS if always_keep else KEEP_IF_NOT_WORSE, resume=not fresh)
    if anchor_weight is not None:
        options.train = replace(options.train, anchor_weight=anchor_weight)
    try:
        with StageBars(enabled=not as_json) as bars:
            report = adapt_map(map_path, minutes=minutes, progress=bars.update, options=options)
    except (KeyboardInterrupt, Cancelled):
        click.echo("\nCancelled; the map is unchanged.", err=True)
        sys.exit(EXIT_CANCELLED)
    _emit(_report_dict(report), as_json, _print_adapt_report)


def _print_adapt_report(d: dict) -> None:
    t = d["training"]
    if t.get("resumed_from_steps"):
        click.echo(f"Resumed from a checkpoint of {t['resumed_from_steps']} steps ({t.get('total_steps')} in all).")
    click.echo(f"Trained on {d['sentences']} sentences: {t.get('steps')} steps in {t.get('seconds')} s "
               f"({t.get('sentences_per_s')} sentences/s), loss {t.get('first_loss')} → {t.get('final_loss')}.")
    click.echo(d["message"])
    click.echo(f"Map: {d['map_path']}")


@main.command()
@click.option("--remove", "remove_id", default=None, metavar="ID",
              help="Delete an adapted encoder from this computer (maps using it then need rebuilding).")
@click.option("--json", "as_json", is_flag=True)
def encoders(remove_id, as_json):
    """List the encoders on this computer: the default and those adapted to maps.

    \b
    Example:
      ideamap encoders --json
      ideamap encoders --remove adapted:3f2a...
    """
    from ideamap.embed.registry import delete_encoder, list_encoders
    from ideamap.errors import EncoderUnavailableError

    if remove_id is not None:
        try:
            freed = delete_encoder(remove_id)
        except EncoderUnavailableError as exc:
            raise click.ClickException(str(exc)) from exc
        _emit({"removed": remove_id, "freed_bytes": freed}, as_json,
              lambda d: click.echo(f"Removed {d['removed']}; freed {d['freed_bytes'] / 1e6:.1f} MB."))
        return

    def text(rows):
        for row in rows:
            if row["default"]:
                click.echo(f"{row['id']}  (default)")
            else:
                click.echo(f"{row['id']}  from {row['base_model']}, {row['training_sentences']} sentences, "
                           f"made {row['created_at']}")

    _emit(list_encoders(), as_json, text)


# Reading commands (digest, notes, tag, note) live in cli_reading.py.
from ideamap import cli_reading as _cli_reading  # noqa: E402

_cli_reading.register(main)


def gui_main() -> None:
    sys.exit(_launch_app(Path(sys.argv[1]) if len(sys.argv) > 1 else None))


if __name__ == "__main__":
    main()
