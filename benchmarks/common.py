"""Helpers the benchmark scripts share: run a command in a fresh, measured process; describe the machine."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(cmd: list[str], label: str = "benchmark") -> dict:
    """Run ``cmd`` in a wrapper process: wall and CPU seconds, exit code, output, peak RSS (MiB)
    of the command and its children (worker processes included)."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'wall': wall, 'rc': p.returncode, 'out': p.stdout, 'err': p.stderr,\n"
        "                  'rss_kib': ru.ru_maxrss, 'cpu': ru.ru_utime + ru.ru_stime}))\n"
    )
    p = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, check=True, cwd=ROOT)
    r = json.loads(p.stdout)
    if r["rc"] != 0:
        sys.exit(f"{label}: {' '.join(cmd)} failed ({r['rc']}):\n{r['err']}")
    r["peak_mib"] = r.pop("rss_kib") / 1024
    return r


def machine() -> dict:
    """CPU count and model, Python, platform, and the load average at the start."""
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu or platform.processor(), "python": platform.python_version(),
            "platform": platform.platform(), "load_avg_1m_at_start": round(os.getloadavg()[0], 2)}
