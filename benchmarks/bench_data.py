"""Data preparation of a recipe (default recipes/pop2classical.yaml): cold and warm time,
files per second, peak memory.

    python benchmarks/bench_data.py [--recipe R] [--warm-runs 3] [key=value ...]

Cold: ``stylegen data`` with an empty cache folder in a temporary directory, so every file
is read by the worker pool.  Warm: the same command again (every style a cache hit),
``--warm-runs`` times; the median is reported.  Each run is a fresh ``python -m stylegen
data`` process timed end to end (interpreter start and imports included), next to the
seconds the command itself reports for preparing the data.  Peak memory is the largest
resident set of any one process of the run (the command or one of its reader workers),
from ``getrusage(RUSAGE_CHILDREN)`` in a wrapper process per run; the same call gives the
CPU seconds of all its processes, a figure that other work on the machine changes far less
than the wall time (on an idle machine, cold wall ~ CPU seconds / cores).  The temporary cache is
deleted afterwards; the user's cache is never touched.  Prints a JSON summary last.

Needs the recipe's data (../shared/data for pop2classical).  It loads every core for about
a minute.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import machine, measure  # noqa: E402





def parse_report(out: str) -> dict:
    """The numbers in `stylegen data`'s table."""
    lines = out.splitlines()
    sep = next(i for i, line in enumerate(lines) if line.startswith("-----"))
    styles = {}
    for line in lines[sep + 1:]:
        if not line.strip():
            break
        c = line.split()
        styles[c[0]] = {"found": int(c[1]), "used": int(c[2]), "skipped": int(c[3]),
                        "pieces": {"train": int(c[4]), "val": int(c[5]), "test": int(c[6])},
                        "windows": {"train": int(c[7]), "val": int(c[8]), "test": int(c[9])},
                        "beats": int(c[10].replace(",", "")), "cache": " ".join(c[13:])}
    m = re.search(r"^cache: .* \(([\d.]+) s\)$", out, re.M)
    reasons = [line for line in lines if line.startswith("skipped in ")]
    return {"styles": styles, "prepare_s": float(m.group(1)) if m else None, "skip_reasons": reasons}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--recipe", default="recipes/pop2classical.yaml")
    ap.add_argument("--warm-runs", type=int, default=3)
    ap.add_argument("overrides", nargs="*", help="recipe overrides, e.g. data.workers=2")
    a = ap.parse_args()

    info = {"recipe": a.recipe, "overrides": a.overrides, "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="stylegen-bench-") as tmp:
        cmd = [sys.executable, "-m", "stylegen", "data", a.recipe, *a.overrides, f"data.cache_dir={tmp}", "--quiet"]
        cold = measure(cmd, "bench_data")
        rep = parse_report(cold["out"])
        if any(s["cache"] == "hit" for s in rep["styles"].values()):
            sys.exit("bench_data: the cold run hit a cache; it must start empty")
        warm = [measure(cmd, "bench_data") for _ in range(a.warm_runs)]
        warm_rep = [parse_report(w["out"]) for w in warm]
        if not all(s["cache"] == "hit" for r in warm_rep for s in r["styles"].values()):
            sys.exit("bench_data: a warm run missed the cache")
        cache_mib = sum(f.stat().st_size for f in Path(tmp).glob("*.pkl")) / 2**20

    found = sum(s["found"] for s in rep["styles"].values())
    used = sum(s["used"] for s in rep["styles"].values())
    result = {
        **info,
        "files_found": found,
        "files_used": used,
        "windows": {k: sum(s["windows"][k] for s in rep["styles"].values()) for k in ("train", "val", "test")},
        "beats": sum(s["beats"] for s in rep["styles"].values()),
        "skip_reasons": rep["skip_reasons"],
        "cold": {"wall_s": round(cold["wall"], 2), "prepare_s": rep["prepare_s"], "cpu_s": round(cold["cpu"], 1),
                 "files_per_s": round(found / cold["wall"], 1), "peak_mib": round(cold["peak_mib"], 1)},
        "warm": {"wall_s": round(statistics.median(w["wall"] for w in warm), 2),
                 "wall_s_runs": [round(w["wall"], 2) for w in warm],
                 "prepare_s": statistics.median(r["prepare_s"] for r in warm_rep),
                 "peak_mib": round(max(w["peak_mib"] for w in warm), 1)},
        "cache_mib": round(cache_mib, 1),
        "targets": {"cold_wall_s": 60, "warm_wall_s": 3},
    }
    c, w = result["cold"], result["warm"]
    print(cold["out"])  # the cold run's table
    print(f"{found} files found, {used} used ({result['beats']:,} beats); windows {result['windows']}")
    print(f"cold: {c['wall_s']} s wall ({c['prepare_s']} s preparing, {c['cpu_s']} s CPU in all processes), "
          f"{c['files_per_s']} files/s, peak {c['peak_mib']} MiB per process  [target < 60 s]")
    print(f"warm: {w['wall_s']} s wall (median of {w['wall_s_runs']}; {w['prepare_s']} s preparing), "
          f"peak {w['peak_mib']} MiB  [target < 3 s]")
    print(f"cache: {result['cache_mib']} MiB on disk")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
