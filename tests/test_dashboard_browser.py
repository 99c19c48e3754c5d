"""The dashboard in a real browser: headless Chromium opens it from file:// with no server."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import NEEDS_CHROMIUM, headless_chromium

import simulate
from simulate.output.store import write_run
from simulate.report import build_report

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
pytestmark = NEEDS_CHROMIUM


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
def comparison_dir(tmp_path_factory) -> Path:
    """A comparison of three schemes as `simulate compare` writes it, with its report."""
    from simulate.compare.core import compare

    comparison = compare(
        ["baseline_ffs", "capitation", "value_dashboard"],
        replications=2,
        overrides=["horizon_periods=14", "warmup_periods=1"],
    )
    folder = tmp_path_factory.mktemp("browser") / "comparison"
    comparison.write(folder)
    build_report(folder)
    return folder


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium at 1280 x 800 (a laptop screen)."""
    chrome = headless_chromium("1280,800", "browser")
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture(scope="module")
def driver(browser, run_dir):
    """The run's value dashboard, opened from file://."""
    browser.get((run_dir / "dashboard.html").resolve().as_uri())
    return browser


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


def _requests(driver) -> list[str]:
    """Every resource the page fetched, other than inline data: URLs."""
    return driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith('data:'));"
    )


def test_the_run_page_makes_no_network_request(driver):
    assert _requests(driver) == []


def test_key_physician_columns_are_visible_without_scrolling_sideways(driver):
    width = driver.execute_script("return document.documentElement.clientWidth;")
    assert width <= 1280
    overflow = driver.execute_script(
        "const w = document.querySelector('#physicians').parentElement;"
        "return w.scrollWidth - w.clientWidth;"
    )
    assert overflow <= 1  # the table fits: nothing hidden behind a scroll bar
    for label in ("Value", "Rank in peer group", "Value change", "Bonuses", "Penalties"):
        right = driver.execute_script(
            "return arguments[0].getBoundingClientRect().right;", _header(driver, label)
        )
        assert right <= width, label


def test_trend_arrows_only_where_the_change_is_clear(driver):
    cells = driver.execute_script(
        "return [...document.querySelectorAll('#physicians tbody tr')].map(tr => {"
        " const i = [...document.querySelectorAll('#physicians thead th')]"
        "   .findIndex(th => th.textContent.startsWith('Value change'));"
        " return tr.cells[i].textContent; });"
    )
    assert cells and all(
        ("better" in c) or ("worse" in c) or ("no clear change" in c) for c in cells
    )


@pytest.fixture(scope="module")
def comparison_page(browser, comparison_dir):
    """The comparison dashboard, opened from file://."""
    browser.get((comparison_dir / "dashboard.html").resolve().as_uri())
    return browser


def test_the_decision_table_is_above_the_fold(comparison_page):
    from selenium.webdriver.common.by import By

    height = comparison_page.execute_script("return window.innerHeight;")
    table = comparison_page.find_element(By.ID, "decision")
    box = comparison_page.execute_script("return arguments[0].getBoundingClientRect();", table)
    assert box["top"] < 300 and box["bottom"] <= height  # seen whole, without scrolling
    assert box["right"] <= comparison_page.execute_script("return window.innerWidth;")
    rows = comparison_page.execute_script(
        "return [...document.querySelectorAll('#decision tbody tr')]"
        ".map(tr => [tr.cells[0].textContent, tr.cells[1].textContent]);"
    )
    assert [name for name, _ in rows] == ["baseline_ffs", "capitation", "value_dashboard"]
    assert rows[0][1].startswith("reference")
    assert all(len(verdict) > 20 for _, verdict in rows[1:])  # a verdict in words
    first = comparison_page.execute_script("return document.querySelector('main section').id;")
    assert first == "decision-section"  # the page opens with the decision
    assert not comparison_page.find_element(By.ID, "full-table").get_attribute("open")


def test_the_decision_table_sorts_by_cost(comparison_page):
    from selenium.webdriver.common.by import By

    header = next(
        th
        for th in comparison_page.find_elements(By.CSS_SELECTOR, "#decision thead th")
        if th.text.startswith("Δ cost")
    )
    header.find_element(By.TAG_NAME, "button").click()
    index = comparison_page.execute_script(
        "return [...document.querySelectorAll('#decision thead th')].indexOf(arguments[0]);", header
    )
    values = comparison_page.execute_script(
        "return [...document.querySelectorAll('#decision tbody tr')]"
        ".map(tr => tr.cells[arguments[0]].getAttribute('data-value'));",
        index,
    )
    numbers = [float(v) for v in values if v not in (None, "")]
    assert header.get_attribute("aria-sort") == "ascending"
    assert len(numbers) == 2 and numbers == sorted(numbers)


def test_the_comparison_page_makes_no_network_request(comparison_page):
    assert _requests(comparison_page) == []
    severe = [e for e in comparison_page.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
