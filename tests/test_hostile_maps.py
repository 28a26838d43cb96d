"""Maps from strangers: crafted map files are refused with a clear message, quickly, and are
never changed by the attempt; nothing in ideamap loads code or indexes from a map."""

import ast
import random
import shutil
import sqlite3
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ideamap.cli import main as cli
from ideamap.errors import MapFileError
from ideamap.model import FileStatus, ParagraphDraft, ReadResult
from ideamap.store.mapfile import MapStore
from ideamap.store.schema import SCHEMA_VERSION

PACKAGE = Path(__file__).resolve().parents[1] / "ideamap"
REFUSE_BOUND_S = 5


@pytest.fixture(scope="module")
def good_map(tmp_path_factory) -> Path:
    """A small, valid map (fake 8-d vectors, a layout) to craft hostile ones from."""
    path = tmp_path_factory.mktemp("maps") / "good.ideamap"
    rng = np.random.default_rng(0)
    with MapStore.create(path) as store:
        run = store.start_run("build", {"seed": 1})
        for d in range(3):
            texts = [f"Paragraph {i} of document {d}, about rivers and bread." for i in range(4)]
            drafts = [ParagraphDraft(text=t, order=i) for i, t in enumerate(texts)]
            result = ReadResult(path=f"/docs/{d}.md", doc_type="markdown", status=FileStatus.DONE,
                                title=f"Doc {d}", paragraphs=drafts)
            store.write_document(result, f"hash{d}", rng.normal(size=(4, 8)).astype(np.float32),
                                 model_id="m", run_id=run)
        ids, _ = store.vectors()
        store.save_layout(ids, rng.normal(size=(len(ids), 2)), np.zeros((1, len(ids))), None, None, replace=True)
        store.finish_run(run)
    return path


def craft(good_map: Path, tmp_path: Path, *statements, params=()) -> Path:
    path = tmp_path / "hostile.ideamap"
    shutil.copy(good_map, path)
    conn = sqlite3.connect(path)
    for sql in statements:
        conn.execute(sql, params if "?" in sql else ())
    conn.commit()
    conn.close()
    return path


def nan_vector() -> bytes:
    return struct.pack("<8f", float("nan"), *([0.5] * 7))


HOSTILE = {
    "trigger": (["CREATE TRIGGER wipe AFTER INSERT ON documents BEGIN DELETE FROM paragraphs; END"], "triggers"),
    "view": (["CREATE VIEW peek AS SELECT * FROM paragraphs"], "views"),
    "extra table": (["CREATE TABLE payload (code BLOB)"], "parts an ideamap map does not have"),
    "expression index": (["CREATE INDEX odd ON paragraphs (lower(text))"], "parts an ideamap map does not have"),
    "extra column": (["ALTER TABLE paragraphs ADD COLUMN extra TEXT"], "not laid out"),
    "generated column": (["ALTER TABLE documents ADD COLUMN g AS (zeroblob(1000000000)) VIRTUAL"], "not laid out"),
    "missing table": (["DROP TABLE annotations"], "missing parts"),
    "replaced meta": (["DROP TABLE meta", "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT, x)",
                       "INSERT INTO meta VALUES ('schema_version', '1', 0)"], "meta table differs"),
    "future version": ([f"UPDATE meta SET value = '{SCHEMA_VERSION + 1}' WHERE key = 'schema_version'"], "newer ideamap"),
    "no version": (["DELETE FROM meta WHERE key = 'schema_version'"], "not an ideamap map"),
    "short vector": (["UPDATE vectors SET vector = zeroblob(12) WHERE paragraph_id = 1"], "damaged vectors"),
    "mixed dimensions": (["UPDATE vectors SET dim = 4, vector = zeroblob(16) WHERE paragraph_id = 2"], "damaged vectors"),
    "text vector": (["UPDATE vectors SET vector = 'abcdefghabcdefghabcdefghabcdefgh' WHERE paragraph_id = 1"],
                    "damaged vectors"),
    "huge text": (["UPDATE paragraphs SET text = ? WHERE id = 1"], "characters"),
    "huge title": (["UPDATE documents SET title = ? WHERE id = 1"], "longer than ideamap makes"),
    # Every title missing must not hide a huge path (SQLite's scalar max() of a NULL is NULL).
    "huge path, no titles": (["UPDATE documents SET title = NULL", "UPDATE documents SET path = ? WHERE id = 1"],
                             "longer than ideamap makes"),
    "unknown kind": (["UPDATE paragraphs SET kind = 'script' WHERE id = 1"], "cannot have written"),
    "unknown status": (["UPDATE documents SET status = 'pwned' WHERE id = 1"], "unknown status"),
    "infinite coordinate": (["UPDATE paragraphs SET x = 9e999 WHERE id = 1"], "cannot have written"),
    "text coordinate": (["UPDATE paragraphs SET y = 'far' WHERE id = 1"], "cannot have written"),
}
BIG_TEXT = "word " * 400_000  # 2 MB, far past any paragraph a reader writes


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_crafted_maps_are_refused_without_being_changed(kind, good_map, tmp_path):
    statements, message = HOSTILE[kind]
    path = craft(good_map, tmp_path, *statements, params=(BIG_TEXT,))
    assert_refused(path, message)


def assert_refused(path: Path, message: str) -> None:
    before = path.read_bytes()
    for readonly in (True, False):
        start = time.monotonic()
        with pytest.raises(MapFileError, match=message):
            MapStore.open(path, readonly=readonly)
        assert time.monotonic() - start < REFUSE_BOUND_S
    assert path.read_bytes() == before


def test_a_value_past_sqlites_size_cap_is_refused(good_map, tmp_path):
    path = craft(good_map, tmp_path, "UPDATE meta SET value = ? WHERE key = 'created_at'",
                 params=("x" * (70 * 2**20),))
    assert_refused(path, "too large")


def test_nan_vectors_are_refused_when_loaded(good_map, tmp_path):
    path = craft(good_map, tmp_path, "UPDATE vectors SET vector = ? WHERE paragraph_id = 3", params=(nan_vector(),))
    before = path.read_bytes()
    with MapStore.open(path, readonly=True) as store, pytest.raises(MapFileError, match="not numbers"):
        store.vectors()
    result = CliRunner().invoke(cli, ["neighbors", str(path), "1"])
    assert result.exit_code == 1 and "damaged vectors" in result.output
    assert path.read_bytes() == before


@pytest.mark.parametrize("damage", ["random bytes", "sqlite header then random", "garbage pages",
                                    "garbage schema page", "truncated", "ragged end"])
def test_damaged_files_are_refused(damage, good_map, tmp_path):
    path = tmp_path / "damaged.ideamap"
    data = bytearray(good_map.read_bytes())
    rng = random.Random(7)
    if damage == "random bytes":
        data = bytearray(rng.randbytes(len(data)))
    elif damage == "sqlite header then random":
        data[100:] = rng.randbytes(len(data) - 100)
    elif damage == "garbage pages":
        data[4096:] = rng.randbytes(len(data) - 4096)
    elif damage == "garbage schema page":
        data[100:4096] = rng.randbytes(3996)
    elif damage == "truncated":
        data = data[: len(data) // 2 // 4096 * 4096]
    else:
        data = data[:-100]
    path.write_bytes(bytes(data))
    assert_refused(path, "damaged|not an ideamap|cut short|not laid out|missing parts")


def test_cli_says_why_a_map_is_refused(good_map, tmp_path):
    path = craft(good_map, tmp_path, "CREATE TRIGGER t AFTER DELETE ON paragraphs BEGIN SELECT 1; END")
    for command in (["info"], ["islands"], ["export"], ["search", "--keyword-only"]):
        args = command[:1] + [str(path)] + (["rivers"] if command[0] == "search" else []) + command[1:]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, (command, result.output)
        assert "Error:" in result.output and "triggers" in result.output


def test_texts_from_a_map_cannot_drive_the_terminal(good_map, tmp_path):
    escape = "\x1b]0;owned\x07\x1b[2J"
    path = craft(good_map, tmp_path, "UPDATE documents SET status = 'invalid', reason = ? WHERE id = 1",
                 params=(f"bad file {escape}",))
    shown = CliRunner().invoke(cli, ["info", str(path)]).output
    assert "bad file" in shown and "\x1b" not in shown
    path = craft(good_map, tmp_path, f'CREATE TABLE "x{escape}" (a)')
    with pytest.raises(MapFileError) as refused:
        MapStore.open(path)
    assert "\x1b" not in str(refused.value)


def test_valid_map_opened_for_viewing_is_not_changed(good_map, tmp_path):
    path = tmp_path / "copy.ideamap"
    shutil.copy(good_map, path)
    before = path.read_bytes()
    for command in (["info"], ["islands"], ["export"], ["neighbors", "1"], ["search", "rivers", "--keyword-only"]):
        args = command[:1] + [str(path)] + command[1:]
        assert CliRunner().invoke(cli, args).exit_code == 0, command
    assert path.read_bytes() == before


def test_a_map_created_and_killed_early_leaves_nothing_half_made(tmp_path):
    path = tmp_path / "m.ideamap"
    MapStore.create(path).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.ideamap"]


# --- nothing loads code from a map ------------------------------------------------------------

FORBIDDEN_CALLS = {
    ("pickle", "load"), ("pickle", "loads"), ("pickle", "Unpickler"), ("joblib", "load"),
    ("torch", "load"), ("faiss", "read_index"), ("numpy", "load"), ("np", "load"),
    ("dill", "load"), ("dill", "loads"), ("cloudpickle", "load"), ("cloudpickle", "loads"),
    ("marshal", "loads"), ("shelve", "open"),
}
FORBIDDEN_IMPORTS = {"pickle", "joblib", "dill", "cloudpickle", "marshal", "shelve"}


def test_no_source_file_loads_pickles_or_index_files():
    found = []
    for source in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(source.read_text(), str(source))
        for node in ast.walk(tree):
            where = f"{source.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if (node.value.id, node.attr) == ("faiss", "read_index") and source.name == "index_cache.py":
                    continue  # reads only indexes ideamap wrote in its own cache, checksummed first
                if (node.value.id, node.attr) in FORBIDDEN_CALLS:
                    found.append(f"{where} {node.value.id}.{node.attr}")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
                if any(n and n.split(".")[0] in FORBIDDEN_IMPORTS for n in names):
                    found.append(f"{where} import {names}")
                if isinstance(node, ast.ImportFrom) and node.module in ("torch", "faiss") and any(
                        a.name in ("load", "read_index") for a in node.names):
                    found.append(f"{where} from {node.module} import load")
    assert not found, found


def test_models_load_from_safetensors_without_remote_code():
    """Every call that loads a model asks for safetensors and refuses remote code."""
    calls = []
    for source in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Call) and _call_name(node) in ("SentenceTransformer", "from_pretrained"):
                calls.append((source.name, node))
    assert calls, "no model loader found: update this test"
    for name, call in calls:
        keywords = {k.arg: k.value for k in call.keywords}
        assert _is_false(keywords.get("trust_remote_code")), name
        safetensors = keywords.get("use_safetensors")
        if safetensors is None and isinstance(keywords.get("model_kwargs"), ast.Dict):
            kwargs = keywords["model_kwargs"]
            safetensors = dict(zip([getattr(k, "value", None) for k in kwargs.keys], kwargs.values)).get("use_safetensors")
        assert isinstance(safetensors, ast.Constant) and safetensors.value is True, name


def _call_name(call: ast.Call) -> str:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", "")


def _is_false(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


# --- opening and viewing runs nothing -----------------------------------------------------------

AUDIT_SCRIPT = """
import json, sys
import numpy, faiss, sqlite3, sqlite_utils, click  # loaded before the hook: importing may dlopen
from ideamap.cli import main
import ideamap.summary, ideamap.search, ideamap.search.index, ideamap.store.mapfile, ideamap.store.safety

WATCHED = ("pickle.find_class", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
           "os.fork", "os.forkpty", "socket.connect", "socket.getaddrinfo", "socket.bind", "ctypes.dlopen",
           "ctypes.dlsym", "ctypes.call_function", "sqlite3.enable_load_extension", "sqlite3.load_extension")
seen = []
sys.addaudithook(lambda event, args: seen.append(event) if event.startswith(WATCHED) else None)
path = sys.argv[1]
for args in (["info", path], ["islands", path], ["export", path], ["search", path, "rivers", "--keyword-only"],
             ["neighbors", path, "1"], ["info", path, "--json"]):
    try:
        main(args, standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, (args, exc.code)
print("AUDIT", json.dumps(sorted(set(seen))))
"""


def test_opening_and_viewing_a_map_triggers_no_code_loading_events(good_map, tmp_path):
    import subprocess
    import sys

    path = tmp_path / "copy.ideamap"
    shutil.copy(good_map, path)
    done = subprocess.run([sys.executable, "-c", AUDIT_SCRIPT, str(path)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    line = [row for row in done.stdout.splitlines() if row.startswith("AUDIT ")][-1]
    assert line == "AUDIT []"
