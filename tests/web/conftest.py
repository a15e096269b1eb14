"""Fixtures for the web page's tests: the shipped model, a server on a free local port
(in this process, in a thread), and a real headless browser (Debian's chromium and
chromium-driver through selenium).

The browser tests skip, saying why, only where no browser can be installed; everything else
they need (starlette, uvicorn, python-multipart, selenium) comes with ``pip install -e ".[dev]"``.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from stylegen.web.service import Limits

# small limits, so that the tests can reach them with small files
TEST_LIMITS = Limits(upload_bytes=200_000, bars=64, files=5, jobs_kept=20)
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
INSTALL = "apt-get install chromium chromium-driver (Debian), as in the README's test set-up"


@pytest.fixture(scope="session")
def model():
    """The shipped checkpoint, as ``stylegen serve`` and the CLI load it."""
    import stylegen

    return stylegen.load()


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory) -> tuple[Path, Path]:
    """(without, with) a harmony part: the tests' tiny generator checkpoint
    (tests/checkpoints.py, styles pop and classical) and the same with a tiny untrained
    harmony part, so the page's harmony behaviour is tested whatever the shipped model holds."""
    from stylegen.checkpoint import load_checkpoint, put_harmony
    from tests.checkpoints import write_tiny_checkpoint
    from tests.test_harmony import tiny_part

    folder = tmp_path_factory.mktemp("tiny-web")
    plain = write_tiny_checkpoint(folder / "plain.pt")
    with_part = put_harmony(folder / "harmony.pt", *tiny_part(load_checkpoint(plain)["content"]), src=plain)
    return Path(plain), Path(with_part)


class Server:
    """``create_app(Service(model))`` under uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, model, limits: Limits = TEST_LIMITS):
        import uvicorn

        from stylegen.commands.serve import listen, url
        from stylegen.web.app import create_app
        from stylegen.web.service import Service

        self.service = Service(model, limits)
        self.sock = listen("127.0.0.1", 0)
        self.url = url(self.sock)
        self.server = uvicorn.Server(uvicorn.Config(create_app(self.service), log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> "Server":
        self.thread.start()
        # a bounded wait for start-up (not a timed assertion: the server is either up or broken)
        for _ in range(1200):
            if self.server.started or not self.thread.is_alive():
                break
            time.sleep(0.05)
        assert self.server.started, "the test server did not start"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


@pytest.fixture(scope="module")
def server(model):
    s = Server(model).start()
    yield s
    s.stop()
    assert not s.service.root.exists(), "the temporary folder outlived the server"


def _browser_paths() -> tuple[str, str] | None:
    driver = shutil.which("chromedriver")
    binary = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    return (binary, driver) if driver and binary else None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless chromium through its own driver (no download of a driver or a browser)."""
    paths = _browser_paths()
    if paths is None:
        pytest.skip(f"no headless browser here (chromium and chromedriver not found): {INSTALL}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1100", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=DriverService(executable_path=paths[1]), options=options)
    driver.downloads = Path(downloads)
    try:
        yield driver
    finally:
        driver.quit()
