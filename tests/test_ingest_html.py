"""The web-page reader: main text only, title and date from the page, never the network."""

from pathlib import Path

from ideamap.ingest import html_reader, read_document
from ideamap.model import FileStatus, ParagraphKind

ARTICLE = [
    "Rivers rarely run straight. Over time, small disturbances in the flow erode the outer "
    "bank of a bend faster than the inner bank, and the bend grows.",
    "Sediment deposited on the inner bank builds point bars, which push the channel further "
    "outward. This feedback loop makes meanders migrate across a floodplain over centuries.",
    "Eventually two bends meet, the river cuts through the neck, and an oxbow lake is left "
    "behind where the old loop used to be.",
]

PAGE = f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>Why rivers meander | Example Geography</title>
<meta property="article:published_time" content="2021-05-04T10:00:00Z">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us and our mission</a></li>
<li><a href="/shop">Shop our catalogue of maps and globes</a></li></ul></nav>
<header><div class="banner">Subscribe to our newsletter for weekly geography updates!</div></header>
<main><article>
<h1>Why rivers meander</h1>
<p>{ARTICLE[0]}</p>
<h2>The role of sediment</h2>
<p>{ARTICLE[1]}</p>
<p>{ARTICLE[2]}</p>
</article></main>
<aside><h3>Related</h3><ul><li><a href="/a">Ten amazing waterfalls you must see</a></li></ul></aside>
<footer><p>Copyright 2024 Example Corp. All rights reserved. Privacy policy and terms of use.</p></footer>
</body></html>
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def body_texts(result):
    return [p.text for p in result.paragraphs if p.kind is ParagraphKind.BODY]


def test_only_the_article_text_is_read(tmp_path):
    result = read_document(write(tmp_path, "rivers.html", PAGE))
    assert result.status is FileStatus.DONE
    assert result.doc_type == "html"
    assert body_texts(result) == ARTICLE
    everything = " ".join(p.text for p in result.paragraphs)
    for boilerplate in ("Subscribe", "Copyright", "About us", "waterfalls", "Shop"):
        assert boilerplate not in everything


def test_title_date_and_heading_context(tmp_path):
    result = read_document(write(tmp_path, "rivers.htm", PAGE))
    assert "rivers meander" in result.title
    assert result.date == "2021-05-04"
    sediment = next(p for p in result.paragraphs if p.text == ARTICLE[1])
    assert sediment.context == "The role of sediment"


def test_a_copyright_year_is_not_a_date(tmp_path):
    page = PAGE.replace('<meta property="article:published_time" content="2021-05-04T10:00:00Z">', "")
    assert read_document(write(tmp_path, "undated.html", page)).date is None


def test_fallback_when_trafilatura_finds_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(html_reader, "_main_text_markdown", lambda html: "")
    result = read_document(write(tmp_path, "rivers.html", PAGE))
    texts = body_texts(result)
    assert texts[:3] == ARTICLE
    assert not any("Subscribe" in t or "Home" in t for t in texts)


def test_latin1_page_with_meta_charset(tmp_path):
    text = "Café crème et pâtisserie : une longue phrase pour que le texte compte vraiment."
    page = f'<html><head><meta charset="iso-8859-1"><title>Café</title></head><body><p>{text}</p></body></html>'
    path = tmp_path / "cafe.html"
    path.write_bytes(page.encode("latin-1"))
    result = read_document(path)
    assert result.status is FileStatus.DONE
    assert body_texts(result) == [text]


def test_empty_and_junk_pages(tmp_path):
    assert read_document(write(tmp_path, "blank.html", "<html><body></body></html>")).status is FileStatus.EMPTY
    junk = tmp_path / "junk.html"
    junk.write_bytes(b"\x00\x01\x02\xff" * 500)
    assert read_document(junk).status is FileStatus.INVALID


def test_no_network_is_used(tmp_path, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("the HTML reader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    page = PAGE.replace("<body>", '<body><img src="https://example.org/x.png"><link href="https://example.org/a.css">')
    assert read_document(write(tmp_path, "net.html", page)).status is FileStatus.DONE
