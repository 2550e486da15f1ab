"""A real server (``kaimen serve --demo`` in a subprocess) and Debian's chromium via Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("KAIMEN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail("Debian's chromium is required for the browser tests: apt-get install chromium "
                    "(or set KAIMEN_CHROMIUM to a Chromium binary)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """``kaimen serve --demo`` on a fresh instance folder, as the README's first command does."""
    instance = tmp_path_factory.mktemp("live-instance")
    port = _free_port()
    env = {**os.environ, "KAIMEN_INSTANCE_PATH": str(instance)}
    env.pop("KAIMEN_DATABASE_URL", None)
    log = open(instance / "server.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "survey", "serve", "--demo", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                process.kill()
                pytest.fail(f"kaimen serve --demo did not start:\n{log.read()}")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A phone-sized page: respondents and raters use phones first."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()
