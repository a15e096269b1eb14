"""The web page's speed: a 3-minute song transferred and rendered through the page's code path.

    python benchmarks/bench_web.py                          # shipped checkpoint, 3 runs after a cold one
    python benchmarks/bench_web.py --song S.mid --runs 5
    python benchmarks/bench_web.py --screenshot docs/web.png   # also the page after a transfer of the demo

Starts the page's server (``stylegen.web``: the Service under uvicorn, as ``stylegen
serve`` runs it) in this process on a free port of 127.0.0.1 and posts the song to
``/api/transfer`` as the page does: upload, reading, ``Model.transfer_file``, rendering the
input and the output to 44.1 kHz WAV, drawing both rolls, the JSON answer; then fetches the
output WAV as the page's player does.  The song is the one ``bench_transfer.py`` uses (the
pop909 song closest to 3 minutes, or a 3-minute song built in code without ../shared/data).
The first request is reported apart (it imports matplotlib); then the median of ``--runs``,
with the CPU seconds of this process over the request (the server's threads included), and
the parts timed one by one through the service.  Prints a JSON summary last.

``--screenshot PATH`` drives headless chromium (Debian's ``chromium`` and ``chromium-driver``,
through selenium) over the page: the bundled demo transferred to classical, the full page
saved as PNG.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_transfer import pop909_song, three_minute_song  # noqa: E402
from common import machine  # noqa: E402


def post(url: str, fields: dict[str, str], files: dict[str, Path]) -> dict:
    """A multipart/form-data POST, as the page's FormData sends it; the JSON answer."""
    boundary = secrets.token_hex(16)
    body = b""
    for k, v in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    for k, path in files.items():
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{path.name}"\r\n'
                 "Content-Type: audio/midi\r\n\r\n").encode() + path.read_bytes() + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def start_server(service):
    import uvicorn

    from stylegen.commands.serve import listen, url
    from stylegen.web.app import create_app

    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(service), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            sys.exit("the server did not start")
        time.sleep(0.05)
    return server, thread, url(sock)


def timed_request(base: str, song: Path, style: str) -> dict:
    t, c = time.perf_counter(), time.process_time()
    r = post(f"{base}/api/transfer", {"style": style, "seed": "0"}, {"file": song})
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    t = time.perf_counter()
    with urllib.request.urlopen(base + r["output"]["audio"]) as f:
        wav = len(f.read())
    return {"wall": wall, "cpu": cpu, "fetch_wav": time.perf_counter() - t, "wav_mb": wav / 2**20,
            "message": r["message"], "renderer": r["renderer"]}


def parts(service, song: Path, style: str, tmp: Path) -> dict:
    """The request's parts one by one, through the same service methods."""
    out = {}
    t = time.perf_counter()
    score_in = service._read(song)
    out["read"] = time.perf_counter() - t
    t = time.perf_counter()
    service.model.transfer_file(song, tmp / "out.mid", style=style, seed=0)
    out["transfer_file"] = time.perf_counter() - t
    score_out = service._read(tmp / "out.mid")
    t = time.perf_counter()
    service._render(song, tmp / "in.wav")
    out["render_input"] = time.perf_counter() - t
    t = time.perf_counter()
    service._render(tmp / "out.mid", tmp / "out.wav")
    out["render_output"] = time.perf_counter() - t
    t = time.perf_counter()
    service._rolls("song", score_in, score_out, tmp)
    out["rolls"] = time.perf_counter() - t
    return out


def screenshot(base: str, path: Path, style: str) -> None:
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("google-chrome")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--hide-scrollbars"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=DriverService(executable_path=shutil.which("chromedriver")), options=options)
    try:
        wait = WebDriverWait(driver, 300)
        driver.get(base)
        wait.until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
        driver.find_element(By.ID, "transfer-demo").click()
        Select(driver.find_element(By.CSS_SELECTOR, "#transfer-form select[name=style]")).select_by_value(style)
        driver.find_element(By.ID, "transfer-go").click()
        wait.until(lambda d: d.find_element(By.ID, "transfer-result").is_displayed()
                   or d.find_element(By.ID, "transfer-error").is_displayed())
        wait.until(lambda d: d.execute_script(
            "return [...document.images].every(i => i.complete) && "
            "[...document.querySelectorAll('audio')].every(a => a.readyState >= 1)"))
        height = driver.execute_script("return document.documentElement.scrollHeight")
        chrome = driver.get_window_size()["height"] - driver.execute_script("return window.innerHeight")
        driver.set_window_size(1280, height + chrome + 20)  # the whole page, footer included
        driver.save_screenshot(str(path))
    finally:
        driver.quit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", default=None, help="default: the shipped checkpoint")
    ap.add_argument("--song", default=None, help="MIDI file (default: the pop909 song closest to 3 minutes)")
    ap.add_argument("--style", default="classical")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--screenshot", default=None, metavar="PNG")
    a = ap.parse_args()

    import torch

    import stylegen
    from stylegen.audio.timing import score_seconds
    from stylegen.web.service import Service

    torch.set_num_threads(1)
    info = {"machine": machine(), "torch": torch.__version__}
    model = stylegen.load(a.checkpoint)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        song = Path(a.song) if a.song else (pop909_song() or three_minute_song(tmp / "three_minutes.mid"))
        service = Service(model)
        score = service._read(song)
        info["song"] = {"path": str(song), "beats": score.n_beats, "seconds": round(score_seconds(score), 1),
                        "notes": len(score.notes)}
        server, thread, base = start_server(service)
        try:
            cold = timed_request(base, song, a.style)
            runs = [timed_request(base, song, a.style) for _ in range(a.runs)] or [cold]  # --runs 0: the cold one
            info["page_request"] = {
                "cold_wall": round(cold["wall"], 2),
                "wall_median": round(statistics.median(r["wall"] for r in runs), 2),
                "walls": [round(r["wall"], 2) for r in runs],
                "cpu_median": round(statistics.median(r["cpu"] for r in runs), 2),
                "fetch_output_wav": round(statistics.median(r["fetch_wav"] for r in runs), 3),
                "output_wav_mb": round(runs[-1]["wav_mb"], 1),
                "renderer": runs[-1]["renderer"],
                "message": runs[-1]["message"],
            }
            info["parts"] = {k: round(v, 3) for k, v in parts(service, song, a.style, tmp).items()}
            if a.screenshot:
                screenshot(base, Path(a.screenshot), a.style)
                info["screenshot"] = a.screenshot
        finally:
            server.should_exit = True
            thread.join(30)
    info["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
