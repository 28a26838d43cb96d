"""The demo map: built from text that ships with Python itself, so a new user sees a real map
without downloading anything. Two kinds of documents:

* the Python language reference topics in ``pydoc_data`` (one text file per topic), and
* the documentation strings of a selection of standard-library modules (one Markdown file per
  module, a section per public class or function).
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

from ideamap.paths import cache_dir, data_dir

DEMO_MODULES = (
    "json", "re", "pathlib", "asyncio", "sqlite3", "email.message", "http.client", "unittest",
    "logging", "argparse", "collections", "itertools", "functools", "datetime", "decimal",
    "fractions", "statistics", "random", "math", "hashlib", "secrets", "socket", "threading",
    "subprocess", "csv", "zipfile", "tarfile", "gzip", "xml.etree.ElementTree", "urllib.parse",
    "textwrap", "string", "typing", "dataclasses", "enum", "contextlib", "inspect", "ast",
    "shutil", "tempfile", "heapq", "bisect", "struct", "codecs", "locale", "calendar",
    "ipaddress", "smtplib", "ftplib", "imaplib", "mailbox", "difflib", "pprint", "tracemalloc",
    "concurrent.futures", "queue", "sched", "selectors", "signal", "weakref", "copy", "operator",
)


def demo_map_path() -> Path:
    return data_dir() / "demo.ideamap"


def write_demo_corpus(folder: Path) -> list[Path]:
    """Write the demo documents into ``folder`` (made if needed); returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    files = [_write_topic(folder, name, text) for name, text in _language_topics()]
    for module_name in DEMO_MODULES:
        text = _module_markdown(module_name)
        if text:
            path = folder / f"stdlib-{module_name}.md"
            path.write_text(text, encoding="utf-8")
            files.append(path)
    return files


def _language_topics() -> list[tuple[str, str]]:
    from pydoc_data.topics import topics

    return sorted(topics.items())


def _write_topic(folder: Path, name: str, text: str) -> Path:
    path = folder / f"reference-{name}.txt"
    # pydoc underlines headings with runs of '*', '=' or '-'; turn them into blank-line-separated
    # lines so they read as headings rather than rules.
    cleaned = re.sub(r"^[*=\-^~]{4,}\s*$", "", text, flags=re.MULTILINE)
    path.write_text(cleaned, encoding="utf-8")
    return path


def _module_markdown(module_name: str) -> str:
    try:
        module = importlib.import_module(module_name)
    except Exception:  # a module missing from this Python build: leave it out of the demo
        return ""
    parts = [f"# {module_name}", "", inspect.cleandoc(module.__doc__ or "")]
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        doc = inspect.getdoc(obj)
        if doc and len(doc) > 60:
            parts += ["", f"## {module_name}.{name}", "", doc]
    return "\n".join(parts) + "\n"


def ensure_demo_map(*, progress=None) -> Path:
    """The demo map, built on first use (about a minute on a 2-core laptop)."""
    from ideamap.pipeline import build

    path = demo_map_path()
    if path.exists():
        from ideamap.pipeline import has_unfinished_build
        from ideamap.store.mapfile import MapStore

        with MapStore.open(path) as store:
            if not has_unfinished_build(store):
                return path
    corpus = cache_dir() / "demo_corpus"
    write_demo_corpus(corpus)
    build([corpus], path, progress=progress)
    return path
