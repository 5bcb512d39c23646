"""The latent explorer of notebook 06 in a real browser: JupyterLab + headless Chromium via Playwright.

Starts JupyterLab on a copy of the notebook (no token, loopback only; a copy, so autosave
never touches the committed notebook), runs every cell in fast mode, moves the interpolation
slider and checks that the rendered image changed.  Screenshots go to ``test-output/browser/``.

Needs Debian's ``chromium`` (``apt-get install chromium``; ``.ci/run`` installs it) and the
``playwright`` Python package (driven with ``executable_path``: browser downloads are blocked).
Outside CI the test skips with a message when either is missing; in CI it fails instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import badges
import pytest

NOTEBOOK = "06_gan_vs_vae.ipynb"
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


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on loopback, serving a copy of notebook 06; yields its URL."""
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"real-browser test cannot run in CI: {missing}")
        pytest.skip(f"real-browser test skipped: {missing}")
    shutil.copy(badges.NOTEBOOK_DIR / NOTEBOOK, tmp_path / NOTEBOOK)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
         "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={tmp_path}"],
        env={**os.environ, "COURSE_FAST": "1"}, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"))
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'lab.log').read_text()[-2000:]}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_explorer_slider_changes_the_image(jupyterlab):
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{jupyterlab}/lab/tree/{NOTEBOOK}")
        page.wait_for_function("() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel"
                               "?.status === 'idle'", timeout=120_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        explorer = page.locator(".course-interpolation")
        explorer.wait_for(state="visible", timeout=600_000)
        image = explorer.locator("img").first
        image.wait_for(state="visible")
        explorer.scroll_into_view_if_needed()
        before_src, before = image.get_attribute("src"), image.screenshot(path=OUTPUT / "before.png")

        track = explorer.locator(".widget-hslider .slider-container").first
        box = track.bounding_box()
        page.mouse.click(box["x"] + 0.9 * box["width"], box["y"] + box["height"] / 2)
        page.wait_for_function("([img, src]) => img.getAttribute('src') !== src", arg=[image.element_handle(),
                                                                                      before_src], timeout=60_000)
        after = image.screenshot(path=OUTPUT / "after.png")
        page.screenshot(path=OUTPUT / "explorer.png", full_page=False)
        readout = explorer.locator(".widget-hslider .widget-readout").first.inner_text()
        browser.close()
    assert float(readout) > 0.5, f"the slider did not move (readout {readout!r})"
    assert after != before, "moving the slider did not change the rendered image"
