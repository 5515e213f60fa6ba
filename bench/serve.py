"""`reportlens serve` benchmark: page and search latency over a store of ../shared/corpus, and a check that
every page works and that items highlight exactly their spans in a real browser.

1. Builds a store from ../shared/corpus with `reportlens run` (or reuses one: --db PATH).
2. Starts the app as `reportlens serve` does (uvicorn, the store read-only, the query encoder warmed up)
   on a free loopback port, and times over HTTP: the first load of every report page (p50 / max; target
   < 300 ms), the other pages, and the queries of bench/search_queries.json in hybrid mode over every kind,
   English and Chinese apart (p50 / max; target < 200 ms).
3. Checks that every page answers 200 (each report's page and JSON, the sorts, 200 item URLs and 20 similar
   practice pages of a fixed sample, the exports) and that no hostile URL gives a 500.
4. With Chromium and chromedriver installed (and --browser, the default): clicks 20 random items (fixed
   seed) across the corpus and checks that each highlights exactly its span; --screenshot PATH saves a
   report page (the README's docs/serve-report.png).

Usage: .venv/bin/python bench/serve.py [--db PATH] [--no-browser] [--screenshot docs/serve-report.png]
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"
QUERIES = Path(__file__).with_name("search_queries.json")
sys.path.insert(0, str(ROOT))
REPORT_TARGET_MS, SEARCH_TARGET_MS = 300, 200
HOSTILE = ["/reports/nope", "/reports/%00", "/reports/%ED%A0%80", "/reports/ffffffff/items/figure-F1",
           "/search?q=%22", "/search?q=NEAR(a%20b)", "/search?q=a&kind=x", "/search?q=a&since=x",
           "/search?q=%27%20OR%201=1--", "/export/x.csv", "/static/../store.py", "/search?q=" + "x%20" * 400]


def build_store(db: Path) -> None:
    inputs = [str(p) for p in sorted(SHARED.rglob("*")) if p.suffix in {".txt", ".md"} and p.name != "MANIFEST.tsv"]
    subprocess.run([sys.executable, "-m", "pipeline", "run", *inputs, "--db", str(db)], check=True, cwd=ROOT)


def start_server(db: Path):
    import uvicorn

    from pipeline.web import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(db, warm=True), host="127.0.0.1", port=port,
                                           log_level="warning"))
    started = time.perf_counter()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    print(f"server up (encoder and index warmed) in {time.perf_counter() - started:.1f} s")
    return server, thread, f"http://127.0.0.1:{port}"


def timed(client, url: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    response = client.get(url)
    return (time.perf_counter() - started) * 1000, response.status_code, len(response.content)


def line(name: str, times: list[float], target: float | None = None) -> str:
    verdict = "" if target is None else ("  ok" if max(times) < target else f"  OVER {target:.0f} ms")
    return (f"{name:<28} n={len(times):<3} p50 {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms"
            + verdict)


def http_bench(base: str, db: Path, reports: list[dict]) -> list[str]:
    import httpx

    failures: list[str] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        report_times = []
        for r in reports:
            ms, status, size = timed(client, f"/reports/{r['id']}")
            report_times.append(ms)
            if status != 200:
                failures.append(f"/reports/{r['id']} -> {status}")
        slowest = max(zip(report_times, reports), key=lambda p: p[0])
        print(line("report page, first load", report_times, REPORT_TARGET_MS)
              + f"   (slowest: {slowest[1]['title'][:40]})")
        for url in ("/reports", "/themes", "/figures", "/export", "/export/figures.csv"):
            ms, status, size = timed(client, url)
            print(f"{url:<28} {ms:7.1f} ms  {size / 1024:8.0f} KiB")
            if status != 200:
                failures.append(f"{url} -> {status}")
        cases = json.loads(QUERIES.read_text(encoding="utf-8"))
        for lang, pattern in (("English", r"^[^\u3400-\u9fff]*$"), ("Chinese", r"[\u3400-\u9fff]")):
            times = []
            for case in (c for c in cases if re.search(pattern, c["query"])):
                ms, status, _ = timed(client, "/search?" + str(httpx.QueryParams({"q": case["query"], "kind": "all"})))
                times.append(ms)
                if status != 200:
                    failures.append(f"search {case['query']!r} -> {status}")
            print(line(f"search ({lang}, hybrid, all)", times, SEARCH_TARGET_MS))
        # every other page of the store: each report's JSON, the sorts, 200 item URLs and 20 similar pages
        # (a fixed sample), the JSON Lines and the practices table
        from pipeline.store import Store

        with Store.open_readonly(db) as store:
            keys = sorted((rid, f"{kind[:-1]}-{item['id']}") for kind in ("figures", "stages", "practices",
                          "findings", "recommendations") for rid, _, _, item in store.items_of_kind(kind))
        rng = random.Random(7)
        urls = [f"/export/reports/{r['id']}.json" for r in reports]
        urls += [f"/reports?sort={column}&order=desc" for column in ("title", "type", "language", "year", "figures")]
        urls += [f"/reports/{rid}/items/{key}" for rid, key in rng.sample(keys, min(200, len(keys)))]
        practices = [(rid, key) for rid, key in keys if key.startswith("practice-")]
        urls += [f"/reports/{rid}/items/{key}/similar" for rid, key in rng.sample(practices, min(20, len(practices)))]
        urls += ["/export/reports.jsonl", "/export/practices.csv", "/export/findings.csv?bom=1",
                 "/export/recommendations.csv", "/export/reports.xlsx"]
        bad = [f"{url} -> {status}" for url in urls if (status := client.get(url).status_code) != 200]
        print(f"other pages: {len(urls) - len(bad)}/{len(urls)} answered 200")
        failures += bad
        for url in HOSTILE:
            status = client.get(url).status_code
            if status >= 500:
                failures.append(f"{url} -> {status}")
    return failures


def browser_check(base: str, db: Path, screenshot: Path | None) -> list[str]:
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        print("browser check skipped: no chromium / chromedriver")
        return []
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    from pipeline.store import Store

    options = Options()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1500,950"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    failures, loads = [], []
    tabs = {"practice": "practices", "figure": "figures", "stage": "stages", "finding": "statements",
            "recommendation": "statements"}
    try:
        with Store.open_readonly(db) as store:
            analyses = {a.report.id: a for a in store.iter_analyses()}
        pool = sorted((rid, f"{kind[:-1]}-{item.id}", item) for rid, a in analyses.items()
                      for kind in ("figures", "stages", "practices", "findings", "recommendations")
                      for item in getattr(a, kind))
        chosen = sorted(random.Random(20261202).sample(pool, 20), key=lambda c: (c[0], c[1]))
        for rid, key, item in chosen:
            driver.get(f"{base}/reports/{rid}")
            loads.append(driver.execute_script(
                "const t = performance.getEntriesByType('navigation')[0]; return t.domContentLoadedEventEnd;"))
            driver.find_element(By.CSS_SELECTOR, f'.tabs button[data-tab="{tabs[key.split("-")[0]]}"]').click()
            link = driver.find_element(By.CSS_SELECTOR, f'.tab:not([hidden]) a.item-link[data-key="{key}"]')
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
            link.click()
            shown = driver.execute_script(
                "return Array.from(document.querySelectorAll('#report-text .sel')).map(e => e.textContent).join('')")
            if shown != analyses[rid].report.text[item.span[0]:item.span[1]]:
                failures.append(f"{rid}:{key} highlights {shown[:40]!r}")
        print(f"browser: {20 - len(failures)}/20 random items highlight exactly their span; "
              f"report page DOMContentLoaded p50 {statistics.median(loads):.0f} ms, max {max(loads):.0f} ms")
        if screenshot:
            # the model report's figure F10 sits in practice P4.1 inside P4: a click on it lists all three
            model = next(rid for rid, a in analyses.items() if "zhejiang" in a.report.source.lower())
            key = "figure-F10" if len(analyses[model].figures) >= 10 else f"figure-{analyses[model].figures[0].id}"
            driver.get(f"{base}/reports/{model}/items/{key}")
            next(el for el in driver.find_elements(By.CSS_SELECTOR, "#report-text [data-items]")
                 if key in el.get_attribute("data-items").split()).click()
            time.sleep(0.5)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(screenshot))
            print(f"wrote {screenshot}")
    finally:
        driver.quit()
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="reuse this store instead of building one from ../shared/corpus")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium check")
    parser.add_argument("--screenshot", type=Path, help="save a report page screenshot here (PNG)")
    args = parser.parse_args()
    workdir = None
    db = args.db
    if db is None:
        if not SHARED.is_dir():
            sys.exit("../shared/corpus is not beside the repository: give --db PATH")
        workdir = tempfile.TemporaryDirectory(prefix="reportlens-serve-bench-")
        db = Path(workdir.name) / "corpus.db"
        build_store(db)
    from pipeline.store import Store

    with Store.open_readonly(db) as store:
        reports = store.report_listing()
    languages = sorted({r["language"] for r in reports})
    print(f"store {db}: {len(reports)} reports ({', '.join(languages)}), "
          f"{sum(sum(r['counts'].values()) for r in reports)} items")
    server, thread, base = start_server(db)
    try:
        failures = http_bench(base, db, reports)
        if not args.no_browser:
            failures += browser_check(base, db, args.screenshot)
    finally:
        server.should_exit = True
        thread.join(10)
    print("all pages answered; no 5xx" if not failures else "FAILURES:\n  " + "\n  ".join(failures))
    if workdir:
        workdir.cleanup()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
