"""A real `tandem serve` (gunicorn + whitenoise) for the browser tests, and the commands that prepare it.

Each server gets its own temporary data directory and so its own SQLite database: a browser test never touches
the database of the rest of the suite (nor a PostgreSQL given in the environment). It listens on 127.0.0.1
only, on a free port, and is stopped when the `serving` block ends.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tandem.core.personas import DEMO_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TANDEM = str(Path(sys.executable).parent / "tandem")
START_TIMEOUT = 60  # seconds for gunicorn to answer
STOP_TIMEOUT = 15  # seconds for gunicorn to stop before it is killed


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright (which cannot download its own browser here), closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def watch(page: Any, errors: list[str], timeout_ms: int) -> None:
    """Give each of the page's steps `timeout_ms` and collect its console errors and uncaught exceptions into
    `errors` (a Content-Security-Policy violation shows up there too)."""
    page.set_default_timeout(timeout_ms)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))


def sign_in(page: Any, url: str, username: str) -> None:
    """Sign in through the login form as one of the demo's users; back on the patient list."""
    page.goto(url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/patients/")


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make test does)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    # Always SQLite in the temporary data dir: a PostgreSQL TANDEM_DATABASE_URL is not ours to fill.
    env.update(TANDEM_DATA_DIR=str(data_dir), TANDEM_HTTPS="0", TANDEM_DEBUG="0")
    return env


def tandem(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([TANDEM, *args], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"tandem {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def tandem_shell(env: dict[str, str], script: str) -> Any:
    """Run a script with `tandem shell -c` and answer the JSON of its last line of output."""
    result = subprocess.run(
        [TANDEM, "shell", "-c", script], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def demo_env(data_dir: Path, patients: int = 30, *, history: bool = True) -> dict[str, str]:
    """A migrated data directory holding the demo clinic (without its documented past weeks if not
    `history`, which is faster)."""
    env = server_env(data_dir)
    tandem(env, "migrate", "--verbosity", "0")
    tandem(
        env,
        "demo",
        "--patients",
        str(patients),
        "--verbosity",
        "0",
        *([] if history else ["--without-history"]),
    )
    return env


def _wait_until_serving(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"tandem serve exited with {server.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + "/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"tandem serve did not answer within {START_TIMEOUT} s:\n{log.read_text()[-4000:]}")


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """`tandem serve` on the data directory of `env`; answers its base URL and stops it afterwards."""
    port = free_port()
    log = Path(env["TANDEM_DATA_DIR"]) / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [TANDEM, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
