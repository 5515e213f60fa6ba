"""`reportlens serve` in a real headless Chromium (Debian's chromium and chromium-driver, driven by Selenium):
a click on an item highlights exactly its span, for a recommendation and for 20 random items; a click on
marked text says which items it belongs to; keyboard navigation; stable item URLs; search and follow a
hit; a Chinese report. Skipped, with one line, where there is no browser."""
from __future__ import annotations

import random
import shutil
import socket
import threading
import time

import pytest

from .serve_store import build_store, hostile_analysis
from .test_search import BagOfWordsEmbedder

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
try:
    import selenium  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError:  # pragma: no cover
    selenium = None
if not (CHROMIUM and CHROMEDRIVER and selenium):
    pytest.skip("browser tests skipped: no chromium, chromedriver or selenium (see .ci/run)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from pipeline.store import Store  # noqa: E402
from pipeline.web import create_app  # noqa: E402

KINDS = (("figures", "figure"), ("stages", "stage"), ("practices", "practice"), ("findings", "finding"),
         ("recommendations", "recommendation"))
TABS = {"practice": "practices", "figure": "figures", "stage": "stages", "finding": "statements",
        "recommendation": "statements"}
SELECTED_TEXT = "return Array.from(document.querySelectorAll('#report-text .sel')).map(e => e.textContent).join('')"
IN_VIEW = """const el = document.querySelector('#report-text .sel'); if (!el) return false;
const a = el.getBoundingClientRect(), b = document.querySelector('.text-col').getBoundingClientRect();
return a.top >= b.top && a.bottom <= b.bottom;"""


@pytest.fixture(scope="module")
def analyses(tmp_path_factory, model_analysis):
    db = build_store(tmp_path_factory.mktemp("serve"), model_analysis)
    with Store.open_readonly(db) as store:
        return db, {a.report.id: a for a in store.iter_analyses()}


@pytest.fixture(scope="module")
def base_url(analyses):
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(analyses[0], embedder=BagOfWordsEmbedder()),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def items_of(analysis):
    return {f"{word}-{item.id}": item for kind, word in KINDS for item in getattr(analysis, kind)}


def span_text(analysis, item) -> str:
    return analysis.report.text[item.span[0]:item.span[1]]


def open_report(browser, base_url, report_id):
    browser.get(f"{base_url}/reports/{report_id}")
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return !!window.reportlens"))


def click_item(browser, key):
    """Click the item's link in its side panel, as an analyst would (opening the panel's tab first)."""
    browser.find_element(By.CSS_SELECTOR, f'.tabs button[data-tab="{TABS[key.split("-", 1)[0]]}"]').click()
    link = browser.find_element(By.CSS_SELECTOR, f'.tab:not([hidden]) a.item-link[data-key="{key}"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)  # clear of the sticky head
    link.click()


def assert_scrolled_into_view(browser):
    """The start of the highlighted span ends up inside the text column (also for paragraphs that the
    browser had not laid out yet)."""
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(IN_VIEW))


def assert_no_script_errors(browser):
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert not errors, errors


def model(analyses):
    return next(a for a in analyses[1].values() if "zhejiang" in a.report.source.lower())


def test_click_on_a_recommendation_highlights_exactly_its_span(browser, base_url, analyses):
    analysis = model(analyses)
    open_report(browser, base_url, analysis.report.id)
    rec = analysis.recommendations[1]
    click_item(browser, f"recommendation-{rec.id}")
    assert browser.execute_script(SELECTED_TEXT) == span_text(analysis, rec)
    assert browser.current_url.endswith(f"/reports/{analysis.report.id}/items/recommendation-{rec.id}")
    assert_no_script_errors(browser)


def test_twenty_random_items_each_highlight_exactly_their_span(browser, base_url, analyses):
    pool = sorted((rid, key) for rid, a in analyses[1].items() for key in items_of(a))
    chosen = sorted(random.Random(20261202).sample(pool, 20))
    opened = None
    for report_id, key in chosen:
        analysis = analyses[1][report_id]
        if opened != report_id:
            open_report(browser, base_url, report_id)
            opened = report_id
        click_item(browser, key)
        assert browser.execute_script("return window.reportlens.selected()") == key
        assert browser.execute_script(SELECTED_TEXT) == span_text(analysis, items_of(analysis)[key]), key
        assert_scrolled_into_view(browser)
    assert_no_script_errors(browser)


def test_click_on_marked_text_says_which_items_it_belongs_to(browser, base_url):
    hostile = hostile_analysis()
    open_report(browser, base_url, hostile.report.id)
    # "12%" is a figure inside practice P1 (an outer item of its own, P1.1, ends before it)
    segment = next(el for el in browser.find_elements(By.CSS_SELECTOR, "#report-text [data-items]")
                   if el.text == "12%")
    segment.click()
    listed = [a.get_attribute("data-key") for a in browser.find_elements(By.CSS_SELECTOR, "#which-list a")]
    assert listed == ["practice-P1", "figure-F1"]
    assert browser.execute_script(SELECTED_TEXT) == "12%"


def test_astral_characters_and_markup_highlight_exactly(browser, base_url):
    hostile = hostile_analysis()
    open_report(browser, base_url, hostile.report.id)
    for key, item in items_of(hostile).items():
        click_item(browser, key)
        assert browser.execute_script(SELECTED_TEXT) == span_text(hostile, item), key
    assert browser.execute_script("return document.getElementById('report-text').textContent") == hostile.report.text
    assert not browser.find_elements(By.CSS_SELECTOR, "#report-text script, #report-text b")


def test_keyboard_moves_from_item_to_item(browser, base_url, analyses):
    analysis = model(analyses)
    open_report(browser, base_url, analysis.report.id)
    order = browser.execute_script("return JSON.parse(document.getElementById('report-data').textContent).order")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("j")
    body.send_keys("j")
    assert browser.execute_script("return window.reportlens.selected()") == order[1]
    body.send_keys(Keys.ARROW_LEFT)
    assert browser.execute_script("return window.reportlens.selected()") == order[0]
    key = order[0]
    assert browser.execute_script(SELECTED_TEXT) == span_text(analysis, items_of(analysis)[key])


def test_stable_item_urls_open_with_the_item_highlighted(browser, base_url, analyses):
    analysis = model(analyses)
    practice = analysis.practices[-1]
    for url in (f"/reports/{analysis.report.id}/items/practice-{practice.id}",
                f"/reports/{analysis.report.id}#practice-{practice.id}"):
        browser.get(base_url + url)
        WebDriverWait(browser, 10).until(lambda d: d.execute_script("return !!window.reportlens"))
        assert browser.execute_script(SELECTED_TEXT) == span_text(analysis, practice)
        assert_scrolled_into_view(browser)


def test_search_and_follow_a_hit(browser, base_url, analyses):
    browser.get(f"{base_url}/search")
    box = browser.find_element(By.CSS_SELECTOR, '#search-form input[name="q"]')
    box.send_keys("party building demonstration sites")
    box.submit()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "a.hit-link"))
    assert browser.find_elements(By.CSS_SELECTOR, ".hits mark")
    link = browser.find_element(By.CSS_SELECTOR, "a.hit-link")
    report_id, key = link.get_attribute("href").split("/reports/")[1].split("/items/")
    link.click()
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return !!window.reportlens"))
    analysis = analyses[1][report_id]
    assert browser.execute_script("return window.reportlens.selected()") == key
    assert browser.execute_script(SELECTED_TEXT) == span_text(analysis, items_of(analysis)[key])


def test_a_chinese_report_renders_and_highlights(browser, base_url, analyses):
    analysis = next(a for a in analyses[1].values() if a.report.language == "zh")
    open_report(browser, base_url, analysis.report.id)
    assert browser.find_element(By.CSS_SELECTOR, "h1").text == analysis.report.title
    text = browser.execute_script("return document.getElementById('report-text').textContent")
    assert text == analysis.report.text
    for key, item in list(items_of(analysis).items())[:: max(1, len(items_of(analysis)) // 8)]:
        click_item(browser, key)
        assert browser.execute_script(SELECTED_TEXT) == span_text(analysis, item), key
    browser.get(f"{base_url}/search?q=%E5%BB%BA%E8%AE%BE")  # 建设
    assert browser.find_elements(By.CSS_SELECTOR, ".hits mark")
    assert_no_script_errors(browser)


def test_a_stage_on_the_timeline_selects_its_span(browser, base_url):
    hostile = hostile_analysis()
    open_report(browser, base_url, hostile.report.id)
    browser.find_element(By.CSS_SELECTOR, '.tabs button[data-tab="stages"]').click()
    browser.find_element(By.CSS_SELECTOR, 'svg.timeline a[href="#stage-S1"] rect').click()
    WebDriverWait(browser, 5).until(lambda d: d.execute_script("return window.reportlens.selected()") == "stage-S1")
    assert browser.execute_script(SELECTED_TEXT) == span_text(hostile, hostile.stages[0])


def test_a_sentence_found_in_the_text_opens_highlighted(browser, base_url, analyses):
    browser.get(f"{base_url}/search?q=party+building&kind=text")
    link = browser.find_element(By.CSS_SELECTOR, 'a.hit-link[href*="/spans/"]')
    report_id, span = link.get_attribute("href").split("/reports/")[1].split("/spans/")
    start, end = map(int, span.split("-"))
    link.click()
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return !!window.reportlens"))
    assert browser.execute_script(SELECTED_TEXT) == analyses[1][report_id].report.text[start:end]
    assert_scrolled_into_view(browser)
    assert_no_script_errors(browser)
