"""The local stack for these tests: `python -m devtools.local` in a child process on free ports
(its own process, so its servers and environment are apart from the tests'), driven over HTTP
on the loopback only; and headless Chromium for the tests that look at its pages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from devtools.local.client import StackClient

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "artifacts"
LOOPBACK = ["127.0.0.1", "::1", "localhost"]
START_TIMEOUT_SECONDS = 120


@dataclass
class RunningStack:
    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path
    started_seconds: float

    def client(self, token: str | None = None) -> StackClient:
        return StackClient(self.url, token)

    def new_firm(self) -> StackClient:
        """A client logged in as a user of a firm of its own, so tests never see each other's data."""
        client = self.client()
        client.login(f"firm-{uuid.uuid4().hex[:12]}", "user-1")
        return client

    def clock(self) -> datetime:
        return datetime.fromisoformat(self.client().expect(200, "GET", "/_local/status")["clock"])

    def tick(self, after: timedelta) -> Any:
        at = (self.clock() + after).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.client().expect(200, "POST", "/_local/tick", {"at": at})

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    folder = tmp_path_factory.mktemp("local-stack")
    ready, log = folder / "ready.json", folder / "stack.log"
    command = [
        sys.executable,
        "-m",
        "devtools.local",
        "--port",
        "0",
        "--schedule-seconds",
        "2",
        "--log-level",
        "WARNING",
        "--ready-file",
        str(ready),
    ]
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, env=dict(os.environ))
    deadline = started + START_TIMEOUT_SECONDS
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the local stack did not start (exit {process.poll()}):\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    info = json.loads(ready.read_text())
    stack = RunningStack(info["api_url"], info["token"], process, log, time.monotonic() - started)
    print(f"\nlocal stack up at {stack.url} in {stack.started_seconds:.1f} s")  # noqa: T201 - a timing worth seeing
    yield stack
    # Ctrl-C, as a person would stop `make run`: everything must stop cleanly
    process.send_signal(signal.SIGINT)
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"the local stack did not stop within 60 s of Ctrl-C:\n{stack.log_tail()}")
    assert code == 0, f"the local stack exited {code} on Ctrl-C:\n{stack.log_tail()}"
    assert "stopped" in log.read_text(errors="replace")


CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# The closed network makes a default Chromium hang on updates, sync and QUIC probes.
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,2000",
]


def _browser_missing() -> str | None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return None
    return (
        f"{' and '.join(missing)} not installed: the browser tests need Debian's chromium and chromium-driver, "
        "which `make test` installs with apt-get when it runs as root"
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"in CI the browser tests must run: {missing}")
        pytest.skip(missing)
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
