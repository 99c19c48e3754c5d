"""Regenerate the three screenshots of ``simulate app`` in docs/app.md, at the current defaults.

Starts ``simulate app value_dashboard`` (the page's run settings: 4 replications per
side, 36 months, warm-up 6, the scenario's seed; ``--workers 2``), opens it in headless
Chromium through Selenium (found as the browser tests find it,
``tests/browser_support.py``), moves one lever (rule 1, the value tournament's bonus,
4,000 -> 8,000), runs the edited scenario against the unchanged one, and saves a
1280 x 757 viewport of each view:

- ``app-results.png``: the results of run 1 (headline, verdict, decision table);
- ``app-trajectories.png``: *Show: Trajectories*, the four charts;
- ``app-classroom.png``: the classroom view, *Practice styles*, edited side, month 16.

Then it stops the server with SIGINT (as Ctrl-C) and SIGKILLs, by pid, any process of
the server still alive. Needs the ``dev`` extra (Streamlit, Selenium) and chromium with
chromedriver on PATH. Run from the repository root (about 30 s)::

    python3 docs/app_screenshots.py                 # writes docs/app-*.png
    python3 docs/app_screenshots.py --out-dir /tmp  # somewhere else

The app runs the checkout the script is in (``-m simulate`` from the repository root);
from a git worktree, set ``PYTHONPATH`` to it as for the tests. Same seed, same numbers:
only the run time in the results caption changes between runs.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browser_support import (  # noqa: E402
    CHROMEDRIVER,
    CHROMIUM,
    alive,
    descendants,
    free_port,
    headless_chromium,
)

WIDTH, HEIGHT = 1280, 757  # pixels, the size of the published screenshots
BONUS = '//input[@aria-label="Bonus (currency)"]'
RULE_1 = '//details[summary[contains(., "Rule 1")]]'
THUMB = '[data-testid="stSliderThumbValue"]'  # the month the slider shows
SIDEBAR = '//section[@data-testid="stSidebar"]//p[strong[normalize-space()="value_dashboard"]]'
SCROLL_TO = """
const [element, offset] = arguments;
let box = element.parentElement;
while (box && !(box.scrollHeight > box.clientHeight
                && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) {
  box = box.parentElement;
}
box = box || document.scrollingElement;
box.scrollTop += element.getBoundingClientRect().top - offset;
"""


def start_app(port: int) -> tuple[subprocess.Popen, str]:
    """``simulate app value_dashboard`` on ``port``; returns the process and its address
    once the server answers (the command prints it then)."""
    command = [sys.executable, "-m", "simulate", "app", "value_dashboard"]
    command += ["--port", str(port), "--workers", "2"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not match:
        stop_app(process)
        raise SystemExit(f"simulate app did not start: {line!r} {process.stderr.read()}")
    return process, match.group(0)


def stop_app(process: subprocess.Popen) -> None:
    """SIGINT (Ctrl-C) to the command, which stops its server; then SIGKILL by pid
    whatever it started that is still alive."""
    started = descendants(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in started:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def until(chrome, condition, seconds: float = 60):
    """Wait up to ``seconds`` for ``condition(chrome)`` to be truthy; return it."""
    return WebDriverWait(chrome, seconds).until(condition)


def body_text(chrome) -> str:
    return chrome.find_element(By.TAG_NAME, "body").text


def settle(chrome, seconds: float = 2.0) -> None:
    """Let Streamlit finish its rerun and Vega its drawing (no stale, faded elements)."""
    until(chrome, lambda c: not c.find_elements(By.CSS_SELECTOR, '[data-stale="true"]'))
    time.sleep(seconds)


def scroll_to(chrome, element, offset: int) -> None:
    """Scroll ``element``'s scrolling box so the element's top is ``offset`` px down."""
    chrome.execute_script(SCROLL_TO, element, offset)
    time.sleep(0.5)


def click(chrome, xpath: str) -> None:
    element = until(chrome, lambda c: c.find_element(By.XPATH, xpath))
    chrome.execute_script("arguments[0].click()", element)


def save(chrome, path: Path) -> None:
    """Screenshot of the viewport, the mouse parked in the empty right margin (no chart
    toolbar or tooltip shown by hovering)."""
    actions = ActionBuilder(chrome)
    actions.pointer_action.move_to_location(WIDTH - 40, HEIGHT // 2)
    actions.perform()
    time.sleep(0.5)
    if not chrome.save_screenshot(str(path)):
        raise SystemExit(f"could not write {path}")


def edit_and_run(chrome) -> None:
    """The tournament bonus 4,000 -> 8,000, then Run and wait for the headline."""
    group = until(chrome, lambda c: c.find_element(By.XPATH, RULE_1))
    if group.get_attribute("open") is None:  # its group starts closed
        click(chrome, RULE_1 + "/summary")
    field = until(chrome, lambda c: c.find_element(By.XPATH, RULE_1 + BONUS))
    until(chrome, lambda c: field.is_displayed())
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", field)
    field.click()
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("8000", Keys.ENTER)
    until(chrome, lambda c: "4,000 → 8,000" in body_text(c))
    settle(chrome, 0.5)
    click(chrome, '//button[normalize-space()="Run edited against unchanged"]')
    until(chrome, lambda c: "Headline, run 1" in body_text(c), 300)
    settle(chrome)


def shoot_results(chrome, path: Path) -> None:
    """From the *Changed* line down: headline, verdict, decision table."""
    changed = chrome.find_element(By.XPATH, '//p[strong[normalize-space()="Changed"]]')
    scroll_to(chrome, changed, 4)
    scroll_to(chrome, chrome.find_element(By.XPATH, SIDEBAR), 8)  # down to the Run button
    save(chrome, path)


def shoot_trajectories(chrome, path: Path) -> None:
    """*Show: Trajectories*, the four charts drawn, the *Show* choices at the top."""
    click(chrome, "//label[.//*[normalize-space()='Trajectories']]")
    until(chrome, lambda c: len(c.find_elements(By.CSS_SELECTOR, ".vega-embed")) >= 4)
    settle(chrome)
    choices = chrome.find_element(By.XPATH, "//label[.//*[normalize-space()='Trajectories']]")
    scroll_to(chrome, choices, -2)
    settle(chrome, 1.0)
    save(chrome, path)


def shoot_classroom(chrome, path: Path, month: int = 16) -> None:
    """The classroom view, *Practice styles* of the edited side, stepped to ``month``."""
    click(chrome, "//label[.//*[normalize-space()='Classroom']]")
    until(chrome, lambda c: c.find_element(By.CSS_SELECTOR, THUMB))
    settle(chrome, 0.5)
    for step in range(2, month + 1):
        click(chrome, '//button[normalize-space()="next ▶"]')
        until(
            chrome,
            lambda c, s=step: c.find_element(By.CSS_SELECTOR, THUMB).text == str(s),
        )
    settle(chrome)
    slider = chrome.find_element(By.CSS_SELECTOR, '[data-testid="stSlider"]')
    scroll_to(chrome, slider, -20)
    settle(chrome, 1.0)
    save(chrome, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    out = parser.parse_args(argv).out_dir
    out.mkdir(parents=True, exist_ok=True)
    if CHROMIUM is None or CHROMEDRIVER is None:
        raise SystemExit("needs chromium and chromedriver on PATH")
    process, address = start_app(free_port())
    try:
        chrome = headless_chromium(f"{WIDTH},{HEIGHT + 100}", "browser")
        try:
            chrome.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
            )
            chrome.get(address)
            edit_and_run(chrome)
            shoot_results(chrome, out / "app-results.png")
            shoot_trajectories(chrome, out / "app-trajectories.png")
            shoot_classroom(chrome, out / "app-classroom.png")
        finally:
            chrome.quit()
    finally:
        stop_app(process)
    print(f"wrote app-results.png, app-trajectories.png, app-classroom.png in {out}")


if __name__ == "__main__":
    main()
