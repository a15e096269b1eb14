"""The web page left running: a few hundred requests, the job folder under its byte bound,
the server's memory flat, the queue answering busy past its limit.

    python benchmarks/bench_web_soak.py                         # 300 requests, at most 15 minutes
    python benchmarks/bench_web_soak.py --jobs 40 --max-seconds 120 --checkpoint checkpoints/pop2classical.pt

Starts ``stylegen serve --port 0`` as its own process (the shipped checkpoint unless
``--checkpoint``; ``--max-folder-mb`` small, 20 by default, so that the byte bound is reached
every few requests; ``TMPDIR`` a fresh temporary folder, so the page's job folder is the
only thing in it) and sends it requests on 127.0.0.1 only, as the page does: transfers of
two songs written here in code (8 and 24 bars, with their audio and rolls), a composition
every 10th request, and every 25th a burst of ``queue + 3`` concurrent transfers, of which
the ones past the queue must be answered "busy" (503) at once.  After every request it
measures the job folder's bytes and the server process's resident memory (VmRSS); a
sampler thread also measures the folder every 0.2 s while requests run (a request's own
files count there before the bound is applied at its end).  Bounded twice: ``--jobs``
requests, and ``--max-seconds`` of wall time; every request has a timeout.  It stops the
server with Ctrl-C (SIGINT) and checks that the job folder went with it.  Prints a JSON
summary last.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from common import machine  # noqa: E402

from stylegen.web.service import bytes_in  # noqa: E402  (the server's own measure of what its jobs hold)

TIMEOUT = 300  # seconds for one request (the server is on this machine)


def form(fields: dict[str, str], path: Path | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body as the page's FormData sends it."""
    boundary = secrets.token_hex(16)
    body = b""
    for k, v in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    if path is not None:
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
                 "Content-Type: audio/midi\r\n\r\n").encode() + path.read_bytes() + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), boundary


def post(url: str, fields: dict[str, str], path: Path | None = None) -> tuple[int, dict]:
    if not url.startswith("http://127.0.0.1:"):
        raise SystemExit(f"refusing to send requests anywhere but 127.0.0.1: {url}")
    body, boundary = form(fields, path)
    req = urllib.request.Request(url, data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)

def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def songs(folder: Path) -> list[Path]:
    from tests.midifiles import Track, chord_piece, scale_piece, write_midi

    return [write_midi(folder / f"song{bars}.mid", [Track(scale_piece(bars, 60), name="Melody"),
                                                     Track(chord_piece(bars, 40), name="Piano")], tempo_bpm=100)
            for bars in (8, 24)]


def slope_per_100(xs: list[int], ys: list[float]) -> float:
    """Least-squares slope of ys over xs, per 100 of x."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 100 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", default=None, help="default: the shipped checkpoint")
    ap.add_argument("--jobs", type=int, default=300, help="requests to send (default 300)")
    ap.add_argument("--max-seconds", type=float, default=900.0, help="stop sending after this long (default 900)")
    ap.add_argument("--max-folder-mb", type=float, default=20.0, help="the server's byte bound (default 20)")
    ap.add_argument("--queue", type=int, default=2, help="the server's queue limit (default 2)")
    ap.add_argument("--trace", default=None, metavar="CSV", help="also write requests, folder bytes, RSS per request")
    a = ap.parse_args()
    if a.jobs < 1 or a.max_seconds <= 0:
        raise SystemExit("--jobs and --max-seconds must be positive")

    tmp = Path(tempfile.mkdtemp(prefix="stylegen-soak-"))
    server_tmp = tmp / "server-tmp"
    server_tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(server_tmp), OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "stylegen", "serve", "--port", "0", "--max-folder-mb", str(a.max_folder_mb),
           "--queue", str(a.queue)] + (["--checkpoint", str(Path(a.checkpoint).resolve())] if a.checkpoint else [])
    info: dict = {"machine": machine(), "command": " ".join(cmd[1:]), "load_avg_1m_at_start": os.getloadavg()[0]}
    server = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    bound = int(a.max_folder_mb * 2**20)
    try:
        base = server.stdout.readline().strip()
        if not base.startswith("http://127.0.0.1:"):
            raise SystemExit(f"the server did not start: {base!r} {server.stderr.read() if server.poll() else ''}")
        server.stdout.readline()  # "open it in a browser; Ctrl-C to stop"
        (job_root,) = list(server_tmp.iterdir())
        files = songs(tmp)
        peak = {"any": 0}
        stop = threading.Event()

        def sampler():  # the folder while requests run, every 0.2 s
            while not stop.wait(0.2):
                peak["any"] = max(peak["any"], bytes_in(job_root))

        threading.Thread(target=sampler, daemon=True).start()
        t0 = time.perf_counter()
        done, rows, statuses, busy, burst_ok = 0, [], {}, 0, 0
        while done < a.jobs and time.perf_counter() - t0 < a.max_seconds:
            if done % 25 == 24:  # a burst: queue + 3 at once
                n = a.queue + 3
                answers: list = [None] * n

                def one(i):
                    answers[i] = post(f"{base}/api/transfer", {"style": "classical", "seed": str(i)}, files[0])

                threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
                for th in threads:
                    th.start()
                for th in threads:
                    th.join(TIMEOUT * n)
                codes = [c for c, _ in answers]
                busy += codes.count(503)
                burst_ok += codes.count(200)
                for c in codes:
                    statuses[c] = statuses.get(c, 0) + 1
                done += n
            elif done % 10 == 9:
                code, _ = post(f"{base}/api/compose", {"style": "classical", "bars": "8", "seed": str(done)})
                statuses[code] = statuses.get(code, 0) + 1
                done += 1
            else:
                code, _ = post(f"{base}/api/transfer", {"style": "classical", "seed": str(done)},
                               files[done % len(files)])
                statuses[code] = statuses.get(code, 0) + 1
                done += 1
            rows.append((done, bytes_in(job_root), rss_kb(server.pid)))
        seconds = time.perf_counter() - t0
        stop.set()
        if a.trace:
            Path(a.trace).write_text("requests,folder_bytes,rss_kb\n" + "".join(f"{d},{b},{r}\n" for d, b, r in rows))
        between = [b for _, b, _ in rows]
        rss = [r for _, _, r in rows]
        half = rows[len(rows) // 2:]
        info.update({
            "requests": done, "seconds": round(seconds, 1), "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "bursts": {"busy_503": busy, "served": burst_ok},
            "folder": {"bound_mb": a.max_folder_mb, "max_between_requests_mb": round(max(between) / 2**20, 2),
                       "max_sampled_while_running_mb": round(max(peak["any"], max(between)) / 2**20, 2),
                       "end_mb": round(between[-1] / 2**20, 2), "under_bound_between_requests": max(between) <= bound},
            "server_rss_mb": {"after_first_request": round(rss[0] / 1024, 1), "end": round(rss[-1] / 1024, 1),
                              "max": round(max(rss) / 1024, 1),
                              "second_half_slope_mb_per_100_requests": round(
                                  slope_per_100([d for d, _, _ in half], [r / 1024 for _, _, r in half]), 2)},
        })
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                info["server_exit"] = server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                info["server_exit"] = "killed"
        info["job_folder_removed"] = not any(server_tmp.iterdir())
        info["load_avg_1m_at_end"] = os.getloadavg()[0]
        for p in sorted(tmp.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        tmp.rmdir()
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
