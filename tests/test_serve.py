"""`reportlens serve`: every page over a real store (handler tests with Starlette's TestClient), exact
span marking (nested, overlapping, astral, Chinese), escaping, hostile URLs and queries, read-only access
while a writer commits, and the `serve` command."""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.export import csv_text, write_csv_tables
from pipeline.store import Store, StoreError
from pipeline.web.marks import Mark, marked_text, query_matchers, segments, snippet

from .conftest import ROOT
from .serve_store import HOSTILE_TEXT, build_store, hostile_analysis
from .test_search import BagOfWordsEmbedder

starlette = pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from pipeline.web import create_app  # noqa: E402


@pytest.fixture(scope="session")
def serve_db(tmp_path_factory, model_analysis):
    return build_store(tmp_path_factory.mktemp("serve"), model_analysis)


@pytest.fixture(scope="session")
def client(serve_db):
    with TestClient(create_app(serve_db, embedder=BagOfWordsEmbedder()), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def analyses(serve_db):
    with Store.open_readonly(serve_db) as store:
        return {a.report.id: a for a in store.iter_analyses()}


class TextSegments(HTMLParser):
    """The pieces of ``#report-text``: (item keys, text) for every piece, marked or not."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside, self.depth, self.keys, self.pieces = False, 0, None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "report-text":
            self.inside, self.depth = True, 0
        elif self.inside:
            self.depth += 1
            self.keys = tuple(attrs.get("data-items", "").split())

    def handle_endtag(self, tag):
        if self.inside:
            if self.depth == 0:
                self.inside = False
            else:
                self.depth -= 1
                self.keys = None

    def handle_data(self, data):
        if self.inside:
            self.pieces.append((self.keys or (), data))


def page_segments(html: str) -> list[tuple[tuple[str, ...], str]]:
    parser = TextSegments()
    parser.feed(html)
    return parser.pieces


def item_keys(analysis):
    for kind, word in (("figures", "figure"), ("stages", "stage"), ("practices", "practice"),
                       ("findings", "finding"), ("recommendations", "recommendation")):
        for item in getattr(analysis, kind):
            yield f"{word}-{item.id}", item


# -- marking spans -------------------------------------------------------------------------------------
def test_segments_cut_nested_and_overlapping_spans_at_every_boundary():
    marks = [Mark("a", "practice", 0, 10), Mark("b", "figure", 2, 4), Mark("c", "finding", 8, 14)]
    pieces = [(s, e, tuple(m.key for m in ms)) for s, e, ms in segments(16, marks)]
    assert pieces == [(0, 2, ("a",)), (2, 4, ("a", "b")), (4, 8, ("a",)), (8, 10, ("a", "c")),
                      (10, 14, ("c",)), (14, 16, ())]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab<&>\"'𠀀😀中\n ", min_size=1, max_size=40), st.data())
def test_every_mark_covers_exactly_its_span(text, data):
    n = len(text)
    spans = data.draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)).filter(lambda p: p[0] < p[1]),
                               max_size=6))
    marks = [Mark(f"practice-P{i}", "practice", s, e) for i, (s, e) in enumerate(spans)]
    pieces = page_segments(f'<div id="report-text">{marked_text(text, marks)}</div>')
    assert "".join(t for _, t in pieces) == text
    for mark in marks:
        assert "".join(t for keys, t in pieces if mark.key in keys) == text[mark.start:mark.end]


def test_snippets_mark_query_words_by_stem_and_chinese_bigrams():
    assert str(snippet("Build demonstration sites <now>", "site building")) == \
        "<mark>Build</mark> demonstration <mark>sites</mark> &lt;now&gt;"
    assert "<mark>党建</mark>" in str(snippet("推进党建示范点建设", "党建"))
    assert str(snippet("x" * 500 + " data " + "y" * 500, "data", width=100)).count("<mark>data</mark>") == 1
    assert query_matchers("the") == ({"the"}, [])


# -- pages ---------------------------------------------------------------------------------------------
def test_every_page_works(client, analyses):
    for url in ["/reports", "/reports?sort=year&order=desc", "/reports?sort=figures&q=zhejiang",
                "/reports?language=zh", "/themes", "/figures", "/export", "/search",
                "/search?q=demonstration+sites", "/search?q=示范点&kind=practices&mode=keyword"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<title>" in response.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/reports"
    listing = client.get("/reports").text
    for rid, analysis in analyses.items():
        assert f'href="/reports/{rid}"' in listing
        assert client.get(f"/reports/{rid}").status_code == 200
        assert client.get(f"/reports/{rid[:8]}").status_code == 200  # a unique prefix is enough


def test_report_page_marks_every_item_exactly(client, analyses):
    for rid, analysis in analyses.items():
        html = client.get(f"/reports/{rid}").text
        pieces = page_segments(html)
        text = analysis.report.text
        assert "".join(t for _, t in pieces) == text
        for key, item in item_keys(analysis):
            assert "".join(t for keys, t in pieces if key in keys) == text[item.span[0]:item.span[1]], key
        data = json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>',
                                    html, re.S).group(1))
        assert set(data["items"]) == {key for key, _ in item_keys(analysis)}


def test_every_item_has_a_stable_url(client, analyses):
    for rid, analysis in analyses.items():
        for key, item in list(item_keys(analysis))[:40]:
            response = client.get(f"/reports/{rid}/items/{key}")
            assert response.status_code == 200, key
            assert f'"selected": "{key}"' in response.text


def test_report_text_and_metadata_are_escaped(client):
    rid = hostile_analysis().report.id
    html = client.get(f"/reports/{rid}").text
    assert "<script>alert" not in html and "<b>Hostile" not in html and "<i>Nowhere" not in html
    assert "&lt;script&gt;alert" in html
    assert "</div> between" not in html
    assert "&lt;/div&gt; between" in html


def test_recommendations_link_what_they_build_on(client):
    rid = hostile_analysis().report.id
    html = client.get(f"/reports/{rid}").text
    assert 'data-key="finding-F1"' in html.split("builds on:")[1][:400]


def test_chinese_report_renders(client, analyses):
    rid, analysis = next((rid, a) for rid, a in analyses.items() if a.report.language == "zh")
    html = client.get(f"/reports/{rid}").text
    assert 'lang="zh"' in html and analysis.report.title in html
    page = client.get("/search", params={"q": "建设", "kind": "all"}).text
    assert "<mark>" in page and f"/reports/{rid}/items/" in page


def test_search_hits_link_to_their_items(client, analyses):
    page = client.get("/search", params={"q": "party building", "kind": "all"}).text
    links = re.findall(r'class="hit-link" href="(/reports/[0-9a-f]+/items/[a-z]+-[A-Za-z0-9.]+)"', page)
    assert links and "<mark>" in page
    for link in links:
        assert client.get(link).status_code == 200


def test_search_filters_as_in_the_cli(client, analyses):
    zh = next(rid for rid, a in analyses.items() if a.report.language == "zh")
    assert "/reports/" + zh not in client.get("/search", params={"q": "示范点 建设", "type": "audit"}).text
    assert client.get("/search", params={"q": "sites", "since": "1990", "until": "2030", "region": "Zhejiang",
                                         "theme": "x", "report": "zhejiang", "kind": "practices",
                                         "mode": "keyword"}).status_code == 200


def test_similar_practices_in_other_reports(client, analyses):
    rid = next(rid for rid, a in analyses.items() if "zhejiang" in a.report.source.lower())
    response = client.get(f"/reports/{rid}/items/practice-P1/similar")
    assert response.status_code == 200
    assert f"/reports/{rid}/items/" not in response.text.split("</h1>", 1)[1].split("<ol", 1)[-1]


def test_themes_page_has_a_heat_map(client):
    html = client.get("/themes").text
    assert 'class="grid heat"' in html and "/similar" in html


def test_figures_page_plots_measures_and_stages(client):
    html = client.get("/figures").text
    assert '<svg class="timeline"' in html


def test_exports_download(client, analyses, serve_db, tmp_path):
    rid = next(iter(analyses))
    one = client.get(f"/export/reports/{rid}.json")
    assert one.status_code == 200 and json.loads(one.text)["report"]["id"] == rid
    assert "attachment" in one.headers["content-disposition"]
    lines = client.get("/export/reports.jsonl").text.splitlines()
    assert sorted(json.loads(line)["report"]["id"] for line in lines) == sorted(analyses)
    for table in ("figures", "practices", "findings", "recommendations"):
        rows = list(csv.DictReader(io.StringIO(client.get(f"/export/{table}.csv").text)))
        assert {r["report_id"] for r in rows} <= set(analyses) and rows
    assert client.get("/export/findings.csv?bom=1").content.startswith("\ufeff".encode())
    workbook = client.get("/export/reports.xlsx")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    with Store.open_readonly(serve_db) as store:
        written = write_csv_tables(store.iter_analyses(), tmp_path)
        for path in written:
            assert path.read_text(encoding="utf-8") == csv_text(store.iter_analyses(), path.stem)


HOSTILE_URLS = [
    "/reports/nope", "/reports/zzzz", "/reports/0", "/reports/%00", "/reports/%ED%A0%80", "/reports/%F0%9F%98%80",
    "/reports/'%20OR%201=1--", "/reports/" + "a" * 5000, "/reports/%25", "/reports/..%2F..%2Fetc%2Fpasswd",
    "/reports/0badc0de/items/nope", "/reports/0badc0de/items/figure-F999", "/reports/0badc0de/items/%3Cscript%3E",
    "/reports/0badc0de/items/practice-P1/similar/x", "/reports/0badc0de/items/figure-F1/similar",
    "/reports/ffffffff/items/figure-F1", "/export/reports/nope.json", "/export/evil.csv", "/export/..%2Fx.csv",
    "/static/../store.py", "/static/%2e%2e/app.py", "/static/nope.js", "/nope", "/reports/0badc0de/items/",
    "/search?q=%22", "/search?q=*", "/search?q=NEAR(a%20b)", "/search?q=a%20AND%20(b", "/search?q=%00",
    "/search?q=%27%20OR%201=1%20--", "/search?q=党", "/search?q=𠀀", "/search?q=" + "x%20" * 400,
    "/search?q=a&kind=bogus", "/search?q=a&mode=bogus", "/search?q=a&since=abc", "/search?q=a&until=99999",
    "/search?q=a&limit=-1", "/search?q=a&limit=10000", "/search?q=a&limit=%EF%BC%91", "/search?q=a&region=%25",
    "/search?q=a&theme=%22)%20OR%20(1", "/search?q=a&report=%5C", "/search?q=a&since=%D9%A3", "/reports?sort=%00",
    "/reports?order=x&sort=bogus&q=%3Cscript%3E", "/reports?language=%00&type=%27",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_no_hostile_url_gives_a_server_error(client, url):
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)
    assert "Traceback" not in response.text
    assert "<script>" not in response.text.replace('<script type="application/json"', "").replace(
        '<script src="/static/report.js">', "")


def test_bad_ids_give_a_404_page(client):
    response = client.get("/reports/nope")
    assert response.status_code == 404 and "Not found" in response.text and "<nav>" in response.text
    assert client.post("/reports").status_code == 405


# -- the store, read-only, while a writer commits -------------------------------------------------------
def test_readonly_store_cannot_write_and_missing_store_is_an_error(serve_db, tmp_path):
    with Store.open_readonly(serve_db) as store:
        with pytest.raises(sqlite3.OperationalError):
            store.conn.execute("DELETE FROM reports")
    with pytest.raises(StoreError):
        Store.open_readonly(tmp_path / "missing.db")


def test_pages_see_what_a_running_batch_commits(tmp_path):
    db = tmp_path / "live.db"
    with Store(db) as writer:
        writer.save(hostile_analysis(), "v")
        with TestClient(create_app(db, embedder=BagOfWordsEmbedder()), raise_server_exceptions=False) as c:
            assert c.get("/reports").text.count('href="/reports/') == 1
            second = hostile_analysis().model_copy(deep=True)
            second.report.id, second.report.title = "feedface" * 2, "Second report"
            writer.save(second, "v")
            assert "Second report" in c.get("/reports").text
            assert c.get("/reports/feedface").status_code == 200


# -- the command -----------------------------------------------------------------------------------------
def test_cli_help_does_not_import_the_web_stack():
    code = ("import sys; from typer.testing import CliRunner; from pipeline.cli import app; "
            "r = CliRunner().invoke(app, ['serve', '--help']); assert r.exit_code == 0 and '--port' in r.output; "
            "assert not {'starlette', 'uvicorn', 'jinja2'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_serve_without_a_store_fails_with_one_line(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no store here" in result.output


# -- stores with little in them, and the charts ------------------------------------------------------------
def test_an_empty_store_and_a_report_without_items_serve_every_page(tmp_path):
    from pipeline.records import Analysis, Report

    db = tmp_path / "empty.db"
    Store(db).close()
    with TestClient(create_app(db, embedder=BagOfWordsEmbedder()), raise_server_exceptions=False) as c:
        for url in ("/reports", "/themes", "/figures", "/export", "/search?q=anything", "/export/reports.jsonl",
                    "/export/figures.csv"):
            assert c.get(url).status_code == 200, url
        assert "No reports yet" in c.get("/reports").text
    with Store(db) as store:
        store.save(Analysis(report=Report(id="abcdef12" * 2, source="bare.txt", title="Bare", language="en",
                                          text="Only text, nothing extracted.")), None)
    with TestClient(create_app(db, embedder=BagOfWordsEmbedder()), raise_server_exceptions=False) as c:
        page = c.get("/reports/abcdef12")
        assert page.status_code == 200 and "No practices." in page.text and "No summary" in page.text
        assert c.get("/search?q=text&kind=all").status_code == 200


def test_a_store_of_a_newer_schema_is_refused_with_the_reason(tmp_path):
    db = tmp_path / "new.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99"):
        Store.open_readonly(db)
    with TestClient(create_app(db), raise_server_exceptions=False) as c:
        response = c.get("/reports")
        assert response.status_code == 503 and "schema version 99" in response.text and "Traceback" not in response.text


def test_charts_escape_labels_and_draw_nothing_without_years():
    from pipeline.web.charts import stage_timeline, timeline, value_plot

    assert str(timeline([("a", None, [("b", None, None, None)])])) == ""
    assert str(value_plot([])) == ""
    svg = str(timeline([("<script>", "/r?a=1&b=2", [("x<y", 2001, None, None), ("z", 2003, 2005, None)])], 2010))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "x&lt;y" in svg and "&amp;b=2" in svg
    stacked = str(stage_timeline([("one", 2000, 2010, None), ("two", 2005, 2008, None)]))
    assert stacked.count("<rect") == 2
    plot = str(value_plot([(2001, 5.0, "<b>r</b>", "/x"), (2003, 7.5, "s", None)], unit="%"))
    assert "<b>" not in plot and plot.count("<circle") == 2


def test_pages_carry_a_content_security_policy(client):
    headers = client.get("/reports").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_a_loopback_server_refuses_other_host_names(serve_db):
    app = create_app(serve_db, embedder=BagOfWordsEmbedder(), allowed_hosts=["127.0.0.1", "localhost", "::1"])
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as c:
        assert c.get("/reports").status_code == 200
        assert c.get("/reports", headers={"host": "localhost:8000"}).status_code == 200
        assert c.get("/reports", headers={"host": "attacker.example:8000"}).status_code == 400


def test_serve_on_a_taken_port_fails_with_one_line(serve_db):
    import socket

    from typer.testing import CliRunner

    from pipeline.cli import app

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--db", str(serve_db), "--port", str(port)])
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.output


def test_figures_of_one_measure_in_several_reports_are_plotted_over_the_years(tmp_path):
    from pipeline.web.browse import measure_series

    figure = {"id": "F1", "measures": "国内生产总值", "kind": "money", "unit": "CNY", "value": 1.0, "year": 2002}
    rows = [("a", "A", 2003, figure), ("b", "B", 2008, {**figure, "value": 2.0, "year": 2007}),
            ("b", "B", 2008, {**figure, "id": "F2", "measures": "years", "unit": "years", "kind": "duration"}),
            ("c", "C", 2009, {**figure, "id": "F3", "measures": "days", "unit": "days", "kind": "count"})]
    series = measure_series(rows)
    assert [(s["measure"], [p[:2] for p in s["points"]]) for s in series] == [("国内生产总值", [(2002, 1.0), (2007, 2.0)])]

    db = tmp_path / "plots.db"
    with Store(db) as store:
        first = hostile_analysis()
        second = first.model_copy(deep=True)
        second.report.id, second.report.title = "feedface" * 2, "Second report"
        second.figures[0].year, second.figures[0].value = 2022, 15.0
        store.save(first, "v")
        store.save(second, "v")
    with TestClient(create_app(db, embedder=BagOfWordsEmbedder()), raise_server_exceptions=False) as c:
        page = c.get("/figures").text
    assert "pilot sites growth" in page and page.count("<circle") == 2
    assert "/reports/feedfacefeedface/items/figure-F1" in page


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100])
def test_an_empty_or_foreign_file_is_no_store(tmp_path, content):
    path = tmp_path / "x.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="no store here|not a reportlens store"):
        Store.open_readonly(path)


def test_a_search_of_the_reports_text_links_to_the_sentence_span(client, analyses):
    page = client.get("/search", params={"q": "party building", "kind": "text"}).text
    links = re.findall(r'class="hit-link" href="(/reports/([0-9a-f]+)/spans/(\d+)-(\d+))"', page)
    assert links and "In the reports' text" in page
    for url, rid, start, end in links[:5]:
        html = client.get(url).text
        key = f"span-{start}-{end}"
        assert f'"selected": "{key}"' in html
        assert "".join(t for keys, t in page_segments(html) if key in keys) == \
            analyses[rid].report.text[int(start):int(end)]
    keyword = client.get("/search", params={"q": "party building", "mode": "keyword", "kind": "practices"}).text
    assert "/spans/" in keyword  # a keyword search also searches the text, as in the CLI


@pytest.mark.parametrize("span", ["5-3", "0-999999999", "abc", "-1-5", "3-3", "1-2-3", "0-" + "9" * 30])
def test_a_bad_span_is_a_404(client, analyses, span):
    rid = next(iter(analyses))
    assert client.get(f"/reports/{rid}/spans/{span}").status_code == 404
