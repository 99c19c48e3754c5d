"""`simulate app` for real: the command starts the server, headless Chromium moves a
lever and runs, nothing goes to the network, and Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse

import pytest
from browser_support import NEEDS_CHROMIUM, alive, descendants, free_port, headless_chromium

pytest.importorskip("streamlit", reason="streamlit is not installed")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

pytestmark = NEEDS_CHROMIUM
LOCAL = {"127.0.0.1", "localhost", "::1", ""}
SETTINGS = (
    "horizon_periods=8",
    "warmup_periods=2",
    "incentives[0].start_period=3",
    "incentives[1].start_period=3",
    "peer_pressure.start_period=3",
)


@pytest.fixture
def server():
    port = free_port()
    command = [sys.executable, "-m", "simulate", "app", "value_dashboard", "--port", str(port)]
    for setting in SETTINGS:
        command += ["--set", setting]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = process.stdout.readline()  # printed once the server answers
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match, (line, process.stderr.read() if process.poll() is not None else "")
        assert int(match.group(1)) == port
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            for pid in descendants(process.pid):
                os.kill(pid, signal.SIGKILL)
            process.kill()
        process.wait(timeout=10)


@pytest.fixture
def browser():
    chrome = headless_chromium("1400,1000", "performance")
    try:
        yield chrome
    finally:
        chrome.quit()


def number_input(chrome, label: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(chrome, 60).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, f'input[aria-label="{label}"]'))
    )


def type_into(chrome, label: str, value: str) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    field = number_input(chrome, label)
    field.click()
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(value, Keys.ENTER)
    WebDriverWait(chrome, 30).until(
        lambda c: number_input(c, label).get_attribute("value") == value
    )


def requested_urls(chrome) -> list[str]:
    """Every URL the page asked for: performance entries, and Chromium's network log
    (requests and WebSockets)."""
    urls = list(
        chrome.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".concat(performance.getEntriesByType('navigation').map(e => e.name))"
        )
    )
    for entry in chrome.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(params["request"]["url"])
        elif message.get("method") == "Network.webSocketCreated":
            urls.append(params["url"])
    return urls


def test_the_app_in_a_browser_then_ctrl_c(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    process, address = server
    browser.get(address)
    type_into(browser, "Replications (count)", "2")
    type_into(browser, "Per intensity unit (currency per unit of intensity)", "3000")
    WebDriverWait(browser, 30).until(
        lambda c: "1,500 → 3,000" in c.find_element(By.TAG_NAME, "body").text
    )
    run = WebDriverWait(browser, 30).until(
        lambda c: next(
            (
                b
                for b in c.find_elements(By.TAG_NAME, "button")
                if b.text == "Run edited against unchanged" and b.is_enabled()
            ),
            None,
        )
    )
    run.click()
    headline = WebDriverWait(browser, 90).until(
        lambda c: re.search(
            r"Headline, run 1.*?unchanged ([-\d.,]+), edited ([-\d.,]+)",
            c.find_element(By.TAG_NAME, "body").text,
        )
    )
    unchanged, edited = (float(headline.group(k).replace(",", "")) for k in (1, 2))
    assert unchanged != edited  # paying twice the fee per unit of care changes value
    tab = browser.find_element(By.XPATH, "//label[.//*[normalize-space()='Trajectories']]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", tab)
    browser.execute_script("arguments[0].click()", tab)
    WebDriverWait(browser, 30).until(
        lambda c: (
            len(
                [
                    e
                    for e in c.find_elements(By.CSS_SELECTOR, ".vega-embed canvas, .vega-embed svg")
                    if e.is_displayed()
                ]
            )
            >= 4
        )
    )
    urls = requested_urls(browser)
    assert any(u.startswith(address + "/static/") for u in urls)  # the log sees requests
    assert any(u.startswith("ws://127.0.0.1") for u in urls)  # and the WebSocket
    outside = sorted(
        {
            u
            for u in urls
            if urlparse(u).hostname not in LOCAL and not u.startswith(("data:", "blob:", "about:"))
        }
    )
    assert not outside, outside

    children = descendants(process.pid)
    assert children  # the Streamlit server, at least
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 130
    while any(alive(pid) for pid in children) and time.monotonic() - started < 10:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]
    assert time.monotonic() - started < 10
    assert "stopped (SIGINT)" in process.stderr.read()


def test_sigterm_stops_the_server_and_its_children(server):
    process, address = server
    import urllib.request

    with urllib.request.urlopen(address + "/_stcore/health", timeout=5) as answer:
        assert answer.status == 200
    children = descendants(process.pid)
    assert children
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 143
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]
