"""Readable text extraction: saved pages with must-contain / must-not-contain sidecars, the
decoding rules, HTML sniffing, Markdown links with offsets, PDF, JSON, binaries, hostile input."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

import pytest

from verify.text.extract import (
    Extracted,
    decode_bytes,
    extract,
    looks_like_html,
)

PAGES = Path(__file__).parent / "pages"
PAGE_FILES = sorted(PAGES.glob("*.html"))


def words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def load(path: Path) -> tuple[bytes, dict]:
    return path.read_bytes(), json.loads(path.with_suffix(".json").read_text("utf-8"))


def test_enough_saved_pages() -> None:
    assert len(PAGE_FILES) >= 12
    for path in PAGE_FILES:
        assert path.with_suffix(".json").exists(), path.name


def check_common(result: Extracted, spec: dict) -> None:
    text = result.text
    flat = words(text)
    missing = [p for p in spec["body"] if words(p) not in flat]
    assert not missing, f"lost passages: {missing}"
    leaked = [m for m in spec["must_not"] if m.lower() in text.lower()]
    assert not leaked, f"boilerplate leaked: {leaked}"
    for exact in spec.get("exact", []):
        assert exact in text, exact
    if "title" in spec:
        assert result.title == spec["title"]
    if "published" in spec:
        assert result.published == spec["published"]
    if "canonical" in spec:
        assert result.canonical_url == spec["canonical"]
    assert result.kind == "html"
    # Paragraphs are separated by one blank line, never more.
    assert "\n\n\n" not in text
    assert text == text.strip()


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.stem)
def test_extract_page_saved(path: Path) -> None:
    body, spec = load(path)
    result = extract(body, spec.get("content_type", "text/html"), spec.get("url"))
    check_common(result, spec)
    if "encoding" in spec:
        assert result.charset == spec["encoding"].replace("-sig", "").replace("cp1252", "cp1252")


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.stem)
def test_extract_article_saved(path: Path) -> None:
    body, spec = load(path)
    result = extract(body, url=spec.get("url"), content_type=spec.get("content_type"))
    check_common(result, spec)
    for link in result.links:
        assert result.text[link.start : link.end] == link.text
        assert link.url.startswith(("http://", "https://"))
    urls = [link.url for link in result.links]
    for url in spec["links"]:
        assert url in urls, f"{url} not among {urls}"
    for url in spec["not_links"]:
        assert url not in urls


# ---------------------------------------------------------------------------- decoding


def test_latin1_without_any_charset_decodes_right() -> None:
    raw = "<p>Caf\u00e9 \u00fcber \u00a35 for a cr\u00e8me br\u00fbl\u00e9e</p>".encode("latin-1")
    text, charset = decode_bytes(raw)
    assert "Caf\u00e9 \u00fcber \u00a35" in text
    assert charset == "cp1252"


def test_header_charset_wins_over_meta() -> None:
    raw = '<meta charset="utf-8"><p>\u00e9t\u00e9</p>'.encode("latin-1")
    text, charset = decode_bytes(raw, "text/html; charset=ISO-8859-1")
    assert "\u00e9t\u00e9" in text
    assert charset == "cp1252"  # what browsers use for the latin-1 label


def test_meta_http_equiv_charset() -> None:
    raw = (
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        "<p>\u041f\u0440\u0438\u0432\u0435\u0442</p>"
    ).encode("cp1251")
    text, charset = decode_bytes(raw, "text/html")
    assert "\u041f\u0440\u0438\u0432\u0435\u0442" in text
    assert charset == "cp1251"


def test_bom_is_used_and_removed() -> None:
    text, charset = decode_bytes(b"\xef\xbb\xbf<p>na\xc3\xafve</p>")
    assert text == "<p>na\u00efve</p>" and charset == "utf-8"
    text, charset = (
        decode_bytes("<p>hi \u00e9</p>".encode("utf-16-le"), None)
        if False
        else (decode_bytes(b"\xff\xfe" + "<p>hi \u00e9</p>".encode("utf-16-le")))
    )
    assert text == "<p>hi \u00e9</p>" and charset == "utf-16-le"


def test_detection_for_a_cyrillic_page_without_labels() -> None:
    prose = "Правительство сообщило, что инфляция в марте снизилась до семи процентов. " * 20
    text, charset = decode_bytes(f"<p>{prose}</p>".encode("cp1251"))
    assert "инфляция" in text, charset


def test_bad_bytes_never_raise() -> None:
    text, charset = decode_bytes(b"<p>ok \xff\xfe\xfa broken</p>", "text/html; charset=utf-8")
    assert "ok" in text and "\ufffd" in text and charset == "utf-8"
    text, charset = decode_bytes(b"<p>unknown label</p>", "text/html; charset=no-such-codec")
    assert text == "<p>unknown label</p>"


# ---------------------------------------------------------------------------- HTML or not


@pytest.mark.parametrize(
    "text",
    [
        "<!DOCTYPE html><html><body><p>x</p></body></html>",
        "  <html><p>hello</p></html>",
        "<p>First paragraph.</p>\n<p>Second <a href='/x'>link</a>.</p>",
        '<div class="story"><h1>Title</h1><p>Body text here.</p></div>',
        "\ufeff<body><p>after a BOM</p></body>",
    ],
)
def test_looks_like_html_yes(text: str) -> None:
    assert looks_like_html(text)


@pytest.mark.parametrize(
    "text",
    [
        "The bridge opened in 1932.\nIt cost $4 million.",
        "# Heading\n\nSome *markdown* text with a line break<br>\nand [a link](https://x.org).",
        "If a < b and c > d then <nothing> happens here in plain prose at all.",
        "Markdown with <sup>1</sup> footnote marker and **bold** words in a long paragraph "
        "that goes on and on about the budget, the vote and the committee hearing.",
        "",
    ],
)
def test_looks_like_html_no(text: str) -> None:
    assert not looks_like_html(text)


# ---------------------------------------------------------------------------- article links


def test_article_links_offsets_nested_inline_and_filters() -> None:
    html = """<html><head><base href="https://news.example/section/"></head><body>
    <nav><a href="/home">Home page link in the navigation</a></nav>
    <article>
    <p>The <a href="report.pdf"><b>annual</b> report</a> says unemployment fell to 3.9% in May,
    while <a href="https://stats.example/q2?utm_source=x">the statistics office</a> disagreed.</p>
    <p>See <a href="javascript:alert(1)">this</a>, <a href="mailto:a@b.c">mail us</a>,
    <a href="#section-2">jump ahead</a> or <a href="//cdn.example/data.csv">the raw data</a>.</p>
    </article>
    <footer><a href="/about">About us and our editorial standards</a></footer></body></html>"""
    result = extract(html, url="https://ignored.example/")
    by_text = {link.text: link for link in result.links}
    assert set(by_text) == {"annual report", "the statistics office", "the raw data"}
    assert by_text["annual report"].url == "https://news.example/section/report.pdf"
    assert by_text["the raw data"].url == "https://cdn.example/data.csv"
    for link in result.links:
        assert result.text[link.start : link.end] == link.text
    assert "\n\n" in result.text and "Home page" not in result.text
    assert "unemployment fell to 3.9% in May, while the statistics office disagreed" in result.text


def test_article_link_offsets_after_whitespace_and_entities() -> None:
    html = (
        "<article><p>  Caf&eacute;\n\n   owners   said <a href='https://a.example/x'>\n"
        "  the   rent  </a>rose by &pound;650 a month in the year to April, data show.</p>"
        "<p>Second paragraph with <a href='https://b.example/'>another source</a>.</p></article>"
    )
    result = extract(html.encode(), url="https://site.example/")
    assert result.text.startswith("Café owners said the rent rose by £650")
    assert [result.text[x.start : x.end] for x in result.links] == ["the rent", "another source"]


def test_markdown_links_become_links_with_offsets() -> None:
    md = (
        "# Bridge report\n\n"
        "The bridge **opened** in 1932, according to [the city archive](https://archive.example/b).\n"
        "It cost $4 million, the [treasury][t] said.\n\n"
        "- Traffic rose 12% (<https://traffic.example/2024>)\n"
        "- See also https://plain.example/page.\n\n"
        "![a photo](https://img.example/x.png) caption text.\n\n"
        "[t]: https://treasury.example/costs\n"
    )
    result = extract(md, url=None)
    assert result.kind == "text"
    assert result.title == "Bridge report"
    assert "**" not in result.text and "](" not in result.text
    assert "The bridge opened in 1932, according to the city archive." in result.text
    urls = {link.text: link.url for link in result.links}
    assert urls == {
        "the city archive": "https://archive.example/b",
        "treasury": "https://treasury.example/costs",
        "https://traffic.example/2024": "https://traffic.example/2024",
        "https://plain.example/page": "https://plain.example/page",
    }
    for link in result.links:
        assert result.text[link.start : link.end] == link.text
    # Lines of one paragraph are joined; paragraphs and list items stay apart.
    assert "archive. It cost" in result.text
    assert "\n\nTraffic rose 12%" in result.text


def test_plain_text_article_and_bytes_input() -> None:
    raw = "Unemployment fell to 3,9 % in May.\r\n\r\nPrices rose 2 % — the bank said.".encode(
        "cp1252"
    )
    result = extract(raw)
    assert result.kind == "text"
    assert result.text == "Unemployment fell to 3,9 % in May.\n\nPrices rose 2 % — the bank said."
    assert result.links == ()


# ---------------------------------------------------------------------------- other payloads


def make_pdf(lines: list[str], title: str) -> bytes:
    """A minimal, valid PDF with one page of text and an Info dictionary."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({s}) '" for s in lines) + " ET"
    stream = zlib.compress(content.encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) >>".encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_pdf_text_and_title() -> None:
    pdf = make_pdf(["Annual report 2024", "Revenue rose 12 percent to 4.1 billion."], "Report")
    result = extract(pdf, "application/pdf")
    assert result.kind == "pdf"
    assert result.title == "Report"
    assert "Revenue rose 12 percent to 4.1 billion." in result.text
    # Sniffed by its magic number even when the server mislabels it.
    assert extract(pdf, "application/octet-stream").kind == "pdf"


def test_broken_pdf_is_a_pdf_with_no_text() -> None:
    result = extract(b"%PDF-1.7\n garbage that is not a pdf", "application/pdf")
    assert result == Extracted(title=None, text="", kind="pdf")


def test_plain_text_and_json_as_they_are() -> None:
    result = extract("Line one.\nLine two \u00e9.".encode("latin-1"), "text/plain")
    assert (result.kind, result.text) == ("text", "Line one.\nLine two \u00e9.")
    data = b'{"rate": 3.9, "month": "May"}'
    result = extract(data, "application/json; charset=utf-8")
    assert result.kind == "json" and json.loads(result.text) == {"rate": 3.9, "month": "May"}
    assert extract(data, None).kind == "json"


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", None),
        (b"\x00\x01\x02\x03binary\x00\x00stuff", "application/octet-stream"),
        (b"PK\x03\x04zipdata", "application/zip"),
    ],
)
def test_binaries_have_no_text(body: bytes, ctype: str | None) -> None:
    assert extract(body, ctype) == Extracted(title=None, text="", kind="binary")


def test_empty_and_whitespace_pages() -> None:
    for body in (b"", b"   \n ", b"<html></html>", b"<html><body>  </body></html>"):
        result = extract(body, "text/html")
        assert result.text == ""
        assert extract(body, content_type="text/html").text == ""


# ---------------------------------------------------------------------------- robustness


def test_never_nothing_when_the_page_has_text() -> None:
    # Only link-heavy, short blocks: no "article" at all, but the text must not vanish.
    html = b"<html><body><div><a href='/a'>Alpha</a></div><div><a href='/b'>Beta</a></div></body></html>"
    assert "Alpha" in extract(html, "text/html").text
    assert "Alpha" in extract(html).text


def test_deep_nesting_beyond_the_parser_limit() -> None:
    html = "<html><body>" + "<div>" * 20000 + "<p>Deep text survives.</p>" + "</div>" * 20000
    assert "Deep text survives." in extract(html.encode(), "text/html").text
    assert "Deep text survives." in extract(html).text


def test_ten_megabyte_hostile_page() -> None:
    para = (
        b"<p onclick='steal()'>Paragraph %d of the report, with numbers like 4.2%% and 1,300.</p>"
    )
    junk = b"<script>var blob='" + b"A" * 200_000 + b"';</script>"
    parts = [b"<html><body><article>"]
    for i in range(40):
        parts.append(junk)
        parts.append(para % i)
    parts.append(b"<div onmouseover='x()'>" + b"<span>" * 3000 + b"end" + b"</span>" * 3000)
    parts.append(b"</div></article></body></html>")
    page = b"".join(parts)
    assert len(page) > 8_000_000
    result = extract(page, "text/html; charset=utf-8")
    assert "Paragraph 0 of the report" in result.text and "Paragraph 39 of" in result.text
    assert "AAAA" not in result.text and "steal" not in result.text
    article = extract(page)
    assert "Paragraph 39 of the report" in article.text


def test_str_input_to_extract_page() -> None:
    result = extract("<html><title>T</title><body><p>Some text here.</p></body></html>")  # type: ignore[arg-type]
    assert result.title == "T" and "Some text here." in result.text


def test_unparseable_hrefs_are_skipped_not_fatal() -> None:
    html = (
        "<html><head><base href='http://[x'><link rel=canonical href='http://[y'></head><body>"
        "<article><p>Rents rose 7 percent in 2024, <a href='http://[broken'>the survey</a> found."
        " Prices fell 2 percent, <a href='https://ok.example/prices'>data show</a>, and"
        " <a href='http://x.example:99999/'>a bad port</a> too.</p></article></body></html>"
    )
    result = extract(html, url="https://site.example/")
    assert [link.url for link in result.links] == ["https://ok.example/prices"]
    assert result.canonical_url is None
    assert "the survey found" in result.text


def test_str_with_html_content_type_is_html_even_as_a_fragment() -> None:
    result = extract("Plain words, <b>bold</b> ones.", content_type="text/html")
    assert (result.kind, result.text) == ("html", "Plain words, bold ones.")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_unicode_without_bom(encoding: str) -> None:
    raw = "<html><body><p>Caf\u00e9 \u00fcber \u00a35 and \u4e2d\u6587.</p></body></html>".encode(
        encoding
    )
    assert decode_bytes(raw) == (raw.decode(encoding), encoding)
    assert extract(raw).text == "Caf\u00e9 \u00fcber \u00a35 and \u4e2d\u6587."


def test_central_european_page_without_labels() -> None:
    prose = (
        "Vláda v úterý schválila návrh rozpočtu, podle kterého schodek příští rok klesne "
        "na 230 miliard korun. Ministr financí řekl, že úspory přinesou především škrty "
        "v provozních výdajích úřadů a že daně z příjmu se měnit nebudou. "
    ) * 4
    raw = f"<html><body><p>{prose}</p></body></html>".encode("cp1250")
    text, charset = decode_bytes(raw)
    assert "příští rok klesne" in text and "financí řekl" in text, charset


def test_byline_and_dateline_paragraphs_are_not_body_text() -> None:
    html = (
        "<html><head><title>Port strike ends</title></head><body><article>"
        "<p>By Jane Smith and Omar Ali, Business reporters</p><p>Updated 14 March 2025</p>"
        "<p>Dock workers at the port ended a 12-day strike on Friday after accepting a 7% pay"
        " rise, the union said in a statement.</p>"
        "<p>By Thursday, 40 ships had been waiting offshore, according to the harbour master.</p>"
        "</article></body></html>"
    )
    for result in (extract(html.encode(), "text/html"), extract(html)):
        assert result.text.startswith("Dock workers at the port ended")
        assert "By Thursday, 40 ships had been waiting offshore" in result.text
        assert "Jane Smith" not in result.text and "Updated 14 March" not in result.text


def test_threads_get_the_same_results_as_one_thread() -> None:
    from concurrent.futures import ThreadPoolExecutor

    bodies = [path.read_bytes() for path in PAGE_FILES] * 2
    alone = [extract(body, "text/html").text for body in bodies]
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(lambda body: extract(body, "text/html").text, bodies))
    assert together == alone


def test_text_only_inside_noscript_is_not_lost() -> None:
    html = (
        b"<html><head><title>T</title></head><body><script>app()</script>"
        b"<noscript><p>Only readable here, without scripts.</p></noscript></body></html>"
    )
    assert extract(html, "text/html").text == "Only readable here, without scripts."
    assert extract(html).text == "Only readable here, without scripts."


# --- layouts that once lost the article ----------------------------------------------------

_HARBOUR = [
    "The harbour authority said on Monday that 1,240 vessels called at the port in October, "
    "the busiest month since the new quay opened in 2019.",
    "Officials attributed the rise to the reopening of the northern ferry route, which had "
    "been closed for repairs for most of the summer.",
    "Freight volumes grew more slowly, by 3 percent, as two of the container lines cut one "
    "weekly sailing each.",
    "The authority expects the winter timetable to bring the monthly total back below 1,000.",
]


def both_ways(html: bytes) -> tuple[Extracted, Extracted]:
    """The page as capture reads it (bytes and their Content-Type) and as ingest reads it
    (text it decoded itself, no type)."""
    return extract(html, "text/html"), extract(decode_bytes(html)[0])


def _rail_layout_page() -> bytes:
    teasers = "".join(
        f'<div class="card"><a href="/s/{i}">Teaser headline number {i}</a></div>'
        for i in range(12)
    )
    body = "".join(f"<p>{p}</p>" for p in _HARBOUR)
    return (
        "<html><head><title>Port traffic</title></head><body>"
        '<header class="site-header"><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>'
        # a page layout named after its side column: the article sits inside the "rail" wrapper
        '<section class="layout__wrapper layout-with-rail__wrapper">'
        f'<div class="layout__main"><h1>Port traffic</h1>{body}</div>'
        f'<div class="layout__rail">{teasers}{teasers}{teasers}</div>'
        "</section>"
        f'<footer class="site-footer">{teasers * 6}</footer>'
        "</body></html>"
    ).encode()


@pytest.mark.parametrize("way", ["capture", "ingest"])
def test_article_inside_a_wrapper_named_after_its_rail(way) -> None:
    html = _rail_layout_page()
    got = both_ways(html)[0 if way == "capture" else 1]
    for para in _HARBOUR:
        assert words(para) in words(got.text)
    assert "teaser headline" not in got.text.lower()


def test_credit_lines_are_not_article_text() -> None:
    body = "".join(f"<p>{p}</p>" for p in _HARBOUR[:2])
    html = (
        "<html><body><article><h1>Port traffic</h1>"
        '<figure><img src="a.jpg"><figcaption>Ships at the northern quay.</figcaption></figure>'
        f"<p>Credit: Harbour Authority</p>{body}<p>Photo by Jane Doe/Harbour Press</p>"
        f"<p>{_HARBOUR[2]}</p><p>Credit card payments at the port rose 4 percent.</p>"
        "</article></body></html>"
    ).encode()
    for got in both_ways(html):
        assert "Credit: Harbour Authority" not in got.text
        assert "Photo by Jane Doe" not in got.text
        assert "Ships at the northern quay." in got.text
        assert "Credit card payments at the port rose 4 percent." in got.text
        assert words(_HARBOUR[2]) in words(got.text)


def test_gallery_labels_repeated_in_the_article_node_are_dropped_table_cells_kept() -> None:
    slides = "".join(
        f'<div class="slide"><img src="{i}.jpg"><div class="label">Storm closes the northern quay</div></div>'
        for i in range(6)
    )
    rows = "".join(f"<tr><td>Vessel {i}</td><td>Delayed</td></tr>" for i in range(5))
    body = "".join(f"<p>{p}</p>" for p in _HARBOUR)
    html = (
        f"<html><body><article><h1>Port traffic</h1>{slides}{body}"
        f"<table>{rows}</table><p>April 26, 2014 -- Updated 1358 GMT (2158 HKT)</p>"
        "</article></body></html>"
    ).encode()
    for got in both_ways(html):
        assert "Storm closes the northern quay" not in got.text
        assert got.text.count("Delayed") == 5
        assert "Updated 1358 GMT" not in got.text
        assert words(_HARBOUR[0]) in words(got.text)


# --- one entry point: ingest and capture read the same bytes the same way ------------------


def test_same_bytes_same_text_through_ingest_and_capture(db, site, tmp_path) -> None:
    """A page whose text the two old entry points disagreed on (trafilatura's paragraphs were
    merged for capture, not for ingest): ingested from a file, ingested from its URL and
    captured as a source, it gives one text, and ingest keeps its links."""
    from conftest import Response

    from verify import store
    from verify.capture import engine as cap
    from verify.capture.fetch import FetchOptions
    from verify.ingest.article import ingest_article
    from verify.ingest.claims import ensure_source
    from verify.store import get_article

    body = (PAGES / "13_comments_bylines.html").read_bytes()
    site.routes["/story"] = Response(200, body)
    fetch = FetchOptions(allow_hosts=(site.netloc,))
    path = tmp_path / "story.html"
    path.write_bytes(body)

    from_file = get_article(db, ingest_article(db, str(path)).article_id)
    with store.immediate(db):
        source_id = ensure_source(db, site.url("/story"))
    summary = cap.capture(
        db, source_ids=[source_id], options=cap.CaptureOptions(fetch=fetch, concurrency=1)
    )
    assert (summary.fetched, summary.failed) == (1, 0), summary
    (snapshot,) = store.rows(db, "SELECT * FROM snapshots WHERE source_id = ?", (source_id,))
    assert snapshot["text"] == from_file["text"] == extract(body, "text/html").text
    assert "Caterers say the real cost of a hot meal" in snapshot["text"]
    assert from_file["links"], "ingest keeps the body's links"
    # ingest of the same URL, with the server's Content-Type, into another archive
    other = store.open_db(tmp_path / "other.db")
    try:
        by_url = ingest_article(other, site.url("/story"), fetch_options=fetch)
        assert get_article(other, by_url.article_id)["text"] == from_file["text"]
    finally:
        other.close()


def test_a_link_cut_out_by_the_referee_is_not_added_twice() -> None:
    # trafilatura cuts short documents at inline links ("...2023,", "officials said", ". I...")
    html = (
        "<html><body><nav><a href='https://news.example/'>Home</a></nav><article><p>The port"
        " handled 4.2 million containers in 2023, <a href='https://port.example/2023'>officials"
        " said</a>. I love ports. Why do we care?</p></article></body></html>"
    )
    for got in both_ways(html.encode()):
        assert got.text == (
            "The port handled 4.2 million containers in 2023, officials said."
            " I love ports. Why do we care?"
        )
        assert [(x.text, x.url) for x in got.links] == [
            ("officials said", "https://port.example/2023")
        ]


def test_plain_text_keeps_its_lines_and_gets_its_urls_as_links() -> None:
    raw = b"Rents rose 7%.\nSource: https://stats.example/rents, table 2.\n"
    got = extract(raw, "text/plain")
    assert got.text == "Rents rose 7%.\nSource: https://stats.example/rents, table 2."
    assert [(x.url, got.text[x.start : x.end]) for x in got.links] == [
        ("https://stats.example/rents", "https://stats.example/rents")
    ]
