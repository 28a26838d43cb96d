"""Running headers set like headings, and footnote markers (issue 11, points 5 and 6).

PDFs are drawn with Qt's PDF writer as in test_ingest_pdf.py: a ten-page paper whose title is
repeated as a bold running header, whose section names run at the top of the pages of each
section (each on too few pages for the share rule), and whose footnotes start with a
superscript number glued to their first word.
"""

from __future__ import annotations

from ideamap.ingest.pdf import read_pdf
from ideamap.ingest.pdf_running import strip_footnote_marker
from ideamap.model import ParagraphKind
from tests.test_ingest_pdf import ALPHA, ALPHA_2, BETA, BETA_2, DELTA, GAMMA, PdfMaker
from tests.test_ingest_pdf import make_pdf  # noqa: F401 - the fixture

TITLE = "Glacial Landforms of the North"
HEADER_SIZE = 12.0  # bold, larger than the 10 pt body: a running header that looks a heading
FOOTNOTE = "This survey was funded by the Northern Ice Council and the Society of Glaciers."
FOOTNOTE_2 = "Measured with a laser range finder from the crest of each moraine in turn."
NUMBERS = (
    "2019 was the warmest year on record for the northern glaciers, and the survey teams "
    "walked the ice every week of the melt season to measure how far the fronts withdrew."
)
PRINTING = (
    "3D printing of the terrain models let the teams plan their routes across the crevasse "
    "fields before they set out, which saved many days of walking in bad weather."
)
# Section of each page's running header, at its top right (none on the first pages).
SECTIONS = {3: "2 Methods of Survey", 4: "2 Methods of Survey", 5: "2 Methods of Survey",
            7: "3 Results", 8: "3 Results", 9: "3 Results"}
BODY_TEXT = [ALPHA, ALPHA_2, BETA, BETA_2, GAMMA, DELTA]


def _footnote(m: PdfMaker, baseline: float, number: str, text: str) -> None:
    """A footnote: a superscript marker followed without a space by 8 pt text."""
    m.set_font(5.5)
    m.line(72, baseline - 3, number)
    width = m.metrics.horizontalAdvance(number)
    m.set_font(8)
    m.line(72 + width, baseline, text)


def _heading(m: PdfMaker, baseline: float, text: str) -> float:
    m.set_font(HEADER_SIZE, bold=True)
    m.line(72, baseline, text)
    m.set_font(10)
    return baseline + 22


def draw_paper(m: PdfMaker) -> None:
    for page in range(1, 11):
        if page > 1:
            m.new_page()
            m.set_font(HEADER_SIZE, bold=True)
            m.line(72, 40, TITLE)
            if page in SECTIONS:
                m.line(400, 40, SECTIONS[page])
        m.set_font(8)
        m.line(290, 810, str(page))
        y = 100.0
        if page == 1:
            m.set_font(18, bold=True)
            m.line(72, 60, TITLE)  # the title, where the later pages have their header
            y = _heading(m, 100, "1 Introduction")
        elif page == 3:
            y = _heading(m, y, "2 Methods of Survey")  # a section starting at a page's top
        m.set_font(10)
        for text in (BODY_TEXT[page % 6], BODY_TEXT[(page + 1) % 6]):
            y = m.wrap(text, 72, y, 420, indent=15) + 8
        if page == 6:
            y = _heading(m, y, "3 Results")
            y = m.wrap(NUMBERS, 72, y, 420, indent=15) + 8
            y = m.wrap(PRINTING, 72, y, 420, indent=15) + 8
        if page == 9:
            y = _heading(m, y, "4 Discussion")
            y = m.wrap(GAMMA, 72, y, 420, indent=15) + 8
        if page == 1:
            _footnote(m, 760, "\u2217", "Corresponding author: frost@example.org, Glacier Unit.")
        if page == 2:
            _footnote(m, 760, "1", FOOTNOTE)
        if page == 4:
            _footnote(m, 760, "2", FOOTNOTE_2)


def _headings(result) -> list[tuple[int, str]]:
    return [(p.page, p.text) for p in result.paragraphs if p.kind is ParagraphKind.HEADING]


def test_running_headers_set_like_headings_are_dropped(make_pdf):
    result = read_pdf(make_pdf("paper.pdf", draw_paper))
    headings = _headings(result)
    # Every copy of the running title and of the running section names is gone ...
    assert [page for page, text in headings if text == TITLE] == [1]
    assert [page for page, text in headings if text == "2 Methods of Survey"] == [3]
    assert [page for page, text in headings if text == "3 Results"] == [6]
    for para in result.paragraphs:
        assert TITLE not in para.text or para.page == 1
    # ... but the real title, headings and text are kept.
    assert result.title == TITLE
    assert (9, "4 Discussion") in headings and (1, "1 Introduction") in headings
    body = [p for p in result.paragraphs if p.kind is ParagraphKind.BODY]
    assert {p.page for p in body} == set(range(1, 11))
    context = [p.context for p in body if p.page == 4]
    assert context and all(c.endswith("2 Methods of Survey") for c in context)


def test_footnotes_lose_their_glued_marker_and_body_numbers_stay(make_pdf):
    result = read_pdf(make_pdf("paper.pdf", draw_paper))
    texts = [p.text for p in result.paragraphs]
    assert FOOTNOTE in texts and FOOTNOTE_2 in texts
    assert "Corresponding author: frost@example.org, Glacier Unit." in texts
    assert not any(t.startswith(("1This", "2Measured", "\u2217")) for t in texts)
    assert NUMBERS in texts and PRINTING in texts


def test_marker_rules_on_text():
    small, body = 8.0, 10.0
    assert strip_footnote_marker("1This work was funded.", small, body) == "This work was funded."
    assert strip_footnote_marker("12The data are at https://", small, body) == (
        "The data are at https://")
    assert strip_footnote_marker("15https://example.org", small, body) == "https://example.org"
    assert strip_footnote_marker("* Correspondence: a@b.org", small, body) == (
        "Correspondence: a@b.org")
    assert strip_footnote_marker("\u00b2See the appendix.", small, body) == "See the appendix."
    for kept in ("2019 was a dry year.", "3D printing helps.", "2nd edition of the map.",
                 "10mm of rain fell.", "1. First item of a list", "3MMCT state; the 3MMCT",
                 "5HT receptors bind serotonin."):
        assert strip_footnote_marker(kept, small, body) == kept
    assert strip_footnote_marker("§ 3 of the act applies.", small, body) == (
        "§ 3 of the act applies.")
    # Body-sized text keeps its numbers and asterisks; only a dagger marks a note there.
    assert strip_footnote_marker("1This is body text.", body, body) == "1This is body text."
    assert strip_footnote_marker("* p < 0.05 in body", body, body) == "* p < 0.05 in body"
    assert strip_footnote_marker("†Present address: Oslo.", body, body) == (
        "Present address: Oslo.")


def test_a_footnote_number_set_apart_by_a_space_goes_only_from_notes_that_read_as_sentences():
    small, body = 8.0, 10.0
    note = "3 This is also true if one considers the operators of the discrete series."
    assert strip_footnote_marker(note, small, body) == note[2:]
    assert strip_footnote_marker("2 Valid for the range 0 < γ < α2; similar results hold for α2 < γ.",
                                 small, body).startswith("Valid for")
    for kept in ("28 Weeks 7010.32 (3950.39) 6742.48 (3836.85)",   # a table row in small print
                 "60 Per practice 60 Per practice 60",
                 "200 What serum proteins change expression in association with disease?",
                 "1 Georgetown University",                           # too short to tell
                 "7 Convenient online submission 7 Rigorous peer review 7 Immediate publication",
                 "4 Months of follow-up were completed by most of the patients in the trial"):
        assert strip_footnote_marker(kept, small, body) == kept
    assert strip_footnote_marker(note, body, body) == note  # body text keeps its numbers
