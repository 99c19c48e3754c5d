"""The dashboard in a real browser: headless Chromium opens it from file:// with no server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import simulate
from simulate.output.store import write_run
from simulate.report import build_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs chromium and chromedriver on PATH (Debian: apt install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    result = simulate.run(
        "value_dashboard",
        replications=2,
        overrides=["horizon_periods=14", "warmup_periods=1"],
    )
    folder = tmp_path_factory.mktemp("browser") / "run"
    write_run(result.tables(), result.scenario, folder)
    build_report(folder)
    return folder


@pytest.fixture(scope="module")
def driver(run_dir):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-extensions",
        "--no-first-run",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(60)
    try:
        browser.get((run_dir / "dashboard.html").resolve().as_uri())
        yield browser
    finally:
        browser.quit()


def _column(driver, header: str) -> list[str]:
    index = driver.execute_script(
        "const ths = [...document.querySelectorAll('#physicians thead th')];"
        "return ths.findIndex(th => th.textContent.trim().startsWith(arguments[0]));",
        header,
    )
    assert index >= 0, header
    return driver.execute_script(
        "return [...document.querySelectorAll('#physicians tbody tr')]"
        ".map(tr => tr.cells[arguments[0]].getAttribute('data-value') ?? tr.cells[arguments[0]]"
        ".textContent.trim());",
        index,
    )


def _header(driver, label: str):
    from selenium.webdriver.common.by import By

    for th in driver.find_elements(By.CSS_SELECTOR, "#physicians thead th"):
        if th.text.strip().startswith(label):
            return th
    raise AssertionError(label)


def test_page_loads_without_console_errors(driver):
    assert driver.title.startswith("Value dashboard: value_dashboard")
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []


def test_every_image_is_decoded(driver):
    sizes = driver.execute_script(
        "return [...document.images].map(img => [img.complete, img.naturalWidth]);"
    )
    assert len(sizes) >= 13
    assert all(complete and width > 0 for complete, width in sizes)
    svg_boxes = driver.execute_script(
        "return [...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().width);"
    )
    assert all(width > 0 for width in svg_boxes)


def test_physician_table_holds_exactly_the_physicians(driver, run_dir):
    from simulate.report.data import load_run

    expected = load_run(run_dir).physician_names
    shown = driver.execute_script(
        "return [...document.querySelectorAll('#physicians tbody tr')]"
        ".map(tr => tr.cells[0].textContent.trim());"
    )
    assert sorted(shown) == sorted(expected)
    assert len(shown) == len(set(shown)) == 11


def test_clicking_a_header_sorts_and_clicking_again_reverses(driver):
    from selenium.webdriver.common.by import By

    header = _header(driver, "Value")
    before = [float(v) for v in _column(driver, "Value")]
    header.find_element(By.TAG_NAME, "button").click()
    ascending = [float(v) for v in _column(driver, "Value")]
    assert header.get_attribute("aria-sort") == "ascending"
    assert ascending == sorted(before)
    assert ascending != before or before == sorted(before)
    header.find_element(By.TAG_NAME, "button").click()
    descending = [float(v) for v in _column(driver, "Value")]
    assert header.get_attribute("aria-sort") == "descending"
    assert descending == sorted(before, reverse=True)
    names = driver.execute_script(
        "return [...document.querySelectorAll('#physicians tbody tr')]"
        ".map(tr => tr.cells[0].textContent.trim());"
    )
    _header(driver, "Episodes").find_element(By.TAG_NAME, "button").click()
    assert _header(driver, "Value").get_attribute("aria-sort") == "none"
    episodes = [float(v) for v in _column(driver, "Episodes")]
    assert episodes == sorted(episodes)  # numeric, not text, order
    _header(driver, "Name").find_element(By.TAG_NAME, "button").click()
    by_name = driver.execute_script(
        "return [...document.querySelectorAll('#physicians tbody tr')]"
        ".map(tr => tr.cells[0].textContent.trim());"
    )
    assert by_name == sorted(names)
