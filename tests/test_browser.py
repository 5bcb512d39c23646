"""The course's widgets in a real browser: JupyterLab + headless Chromium via Playwright.

Each test starts JupyterLab on a copy of a notebook (no token, loopback only; a copy, so autosave never
touches the committed notebook), runs its cells in fast mode, works a widget as a learner would (a slider,
the Play button) and checks that the rendered image changed and that the numbers on screen changed
consistently.  To save CI time each notebook runs only its first three code cells (set-up, parameters and,
for 05 and 06, the data and models) and the cells that build the widget under test and what it needs.  Screenshots go to
``test-output/browser/``.

Needs Debian's ``chromium`` (``apt-get install chromium``; ``.ci/run`` installs it) and the
``playwright`` Python package (driven with ``executable_path``: browser downloads are blocked).
Outside CI the tests skip with a message when either is missing; in CI they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import badges
import nbformat
import pytest

OUTPUT = badges.REPO_ROOT / "test-output" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"]


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    if CHROMIUM is None:
        return "Chromium is not installed (Debian/Ubuntu: apt-get install chromium)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cells_using(notebook, module: str):
    """The first three code cells and those that use ``module`` (e.g. ``"interactive."``), outputs cleared."""
    code = [c for c in notebook.cells if c.cell_type == "code"]
    notebook.cells = code[:3] + [c for c in code[3:] if module in c.source]
    for cell in notebook.cells:
        cell.outputs, cell.execution_count = [], None
    return notebook


@pytest.fixture
def jupyterlab(tmp_path):
    """``serve(name, module)``: JupyterLab on loopback serving a copy of notebook ``name`` cut to the cells that
    use ``module`` (``_cells_using``); returns the URL of the notebook.  Servers stop at the end of the test."""
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"real-browser test cannot run in CI: {missing}")
        pytest.skip(f"real-browser test skipped: {missing}")
    servers = []

    def serve(name: str, module: str) -> str:
        notebook = nbformat.read(badges.NOTEBOOK_DIR / name, as_version=4)
        nbformat.write(_cells_using(notebook, module), tmp_path / name)
        port = _free_port()
        log = tmp_path / "lab.log"
        servers.append(subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
             "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
             "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={tmp_path}"],
            env={**os.environ, "COURSE_FAST": "1"}, stdout=subprocess.DEVNULL, stderr=open(log, "w")))
        url = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                return f"{url}/lab/tree/{name}"
            except OSError:
                time.sleep(0.5)
        pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-2000:]}")

    yield serve
    for server in servers:
        server.terminate()
        server.wait(timeout=30)


def _run_all_cells(page, url: str, widget_class: str):
    """Open ``url``, run every cell, and return the widget with CSS class ``widget_class`` once it is visible."""
    page.goto(url)
    page.wait_for_function("() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel"
                           "?.status === 'idle'", timeout=120_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    widget = page.locator(f".{widget_class}")
    widget.wait_for(state="visible", timeout=600_000)
    widget.locator("img").first.wait_for(state="visible")
    widget.scroll_into_view_if_needed()
    return widget


@contextlib.contextmanager
def _widget_in_browser(url: str, widget_class: str, height: int = 1100):
    """Headless Chromium on ``url`` with every cell run; yields (page, the widget of class ``widget_class``)."""
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": height})
        try:
            yield page, _run_all_cells(page, url, widget_class)
        finally:
            browser.close()


def _changed(page, image, before_src: str) -> None:
    page.wait_for_function("([img, src]) => img.getAttribute('src') !== src", arg=[image.element_handle(), before_src],
                           timeout=60_000)


def _click_slider(page, slider, at: float) -> None:
    box = slider.locator(".slider-container").first.bounding_box()
    page.mouse.click(box["x"] + at * box["width"], box["y"] + box["height"] / 2)


@pytest.mark.slow
def test_explorer_slider_changes_the_image(jupyterlab):
    url = jupyterlab("06_gan_vs_vae.ipynb", "latent.")  # the latents per digit, and the explorer
    with _widget_in_browser(url, "course-interpolation", height=1000) as (page, explorer):
        image = explorer.locator("img").first
        before_src, before = image.get_attribute("src"), image.screenshot(path=OUTPUT / "before.png")
        _click_slider(page, explorer.locator(".widget-hslider").first, 0.9)
        _changed(page, image, before_src)
        after = image.screenshot(path=OUTPUT / "after.png")
        page.screenshot(path=OUTPUT / "explorer.png", full_page=False)
        readout = explorer.locator(".widget-hslider .widget-readout").first.inner_text()
    assert float(readout) > 0.5, f"the slider did not move (readout {readout!r})"
    assert after != before, "moving the slider did not change the rendered image"


@pytest.mark.slow
def test_gan_lab_plays_and_its_numbers_move(jupyterlab):
    url = jupyterlab("01_gan_objective.ipynb", "interactive.")
    with _widget_in_browser(url, "course-gan-lab") as (page, lab):
        image, readout = lab.locator("img").first, lab.locator(".widget-html").first
        before_src, before_text = image.get_attribute("src"), readout.inner_text()
        page.screenshot(path=OUTPUT / "gan_lab_before.png")
        lab.locator(".widget-play button").first.click()  # ▶
        page.wait_for_function("el => /step [1-9]/.test(el.innerText)", arg=readout.element_handle(), timeout=60_000)
        lab.locator(".widget-play button").nth(1).click()  # pause
        _changed(page, image, before_src)
        page.screenshot(path=OUTPUT / "gan_lab_playing.png")
        after_text = readout.inner_text()
    assert before_text.startswith("step 0 "), f"the lab should start at step 0: {before_text!r}"
    steps = int(re.search(r"step (\d+)", after_text).group(1))
    assert steps > 0 and steps % 10 == 0, f"Play runs rounds of steps/frame = 10: {after_text!r}"
    d_loss = float(re.search(r"D loss (-?[\d.]+)", after_text).group(1))
    assert 0 < d_loss < 10, f"the discriminator's cross-entropy on screen is not plausible: {after_text!r}"


@pytest.mark.slow
def test_vae_explainer_follows_the_digit_slider(jupyterlab):
    url = jupyterlab("05_vae_mnist.ipynb", "interactive.")
    with _widget_in_browser(url, "course-vae-explainer") as (page, explainer):
        image, readout = explainer.locator("img").first, explainer.locator(".widget-html").first
        before_src, before_text = image.get_attribute("src"), readout.inner_text()
        digit = explainer.locator(".widget-hslider").first  # "test digit"
        _click_slider(page, digit, 0.6)
        _changed(page, image, before_src)
        page.wait_for_function("([el, text]) => el.innerText !== text", arg=[readout.element_handle(), before_text],
                               timeout=60_000)
        page.screenshot(path=OUTPUT / "vae_explainer.png")
        after_text, picked = readout.inner_text(), digit.locator(".widget-readout").inner_text()
    kl = lambda text: float(re.search(r"KL ([\d.]+) nats", text).group(1))  # noqa: E731
    assert re.search(r"#(\d+)", after_text).group(1) == picked.strip(), "the readout names another digit"
    assert int(picked) > 0 and kl(after_text) != kl(before_text), f"{before_text!r} -> {after_text!r}"
