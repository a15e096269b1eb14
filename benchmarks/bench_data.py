"""Data preparation of a recipe (default recipes/pop2classical.yaml): cold and warm time,
files per second, peak memory.

    python benchmarks/bench_data.py [--recipe R] [--warm-runs 3] [--reader-every 10] [key=value ...]

Cold: ``stylegen data`` with an empty cache folder in a temporary directory, so every file
is read by the worker pool.  Warm: the same command again (every style a cache hit),
``--warm-runs`` times; the median is reported.  Each run is a fresh ``python -m stylegen
data`` process timed end to end (interpreter start and imports included), next to the
seconds the command itself reports for preparing the data.  Peak memory is the largest
resident set of any one process of the run (the command or one of its reader workers),
from ``getrusage(RUSAGE_CHILDREN)`` in a wrapper process per run; the same call gives the
CPU seconds of all its processes, a figure that other work on the machine changes far less
than the wall time (on an idle machine, cold wall ~ CPU seconds / cores).  The temporary cache is
deleted afterwards; the user's cache is never touched.

Then the two MIDI readers side by side, in this process, one after the other on the same
files (every ``--reader-every``-th file of the recipe's sources; 0 skips it): CPU seconds per
file of ``read_score`` (symusic's C++ parser, what preparation uses) and of
``read_score_muspy`` (muspy on mido's pure-Python parser, the reference), a figure the
machine's load moves far less than wall time.  Prints a JSON summary last, with the load
average at the start and at the end.

Needs the recipe's data (../shared/data for pop2classical).  It loads every core for about
a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import machine, measure  # noqa: E402

TARGETS = {"cold_wall_s": 15, "warm_wall_s": 1}


def reader_cpu(recipe_path: str, overrides: list[str], every: int) -> dict:
    """CPU seconds per file of both readers on every ``every``-th file of the recipe."""
    from stylegen.config import load_recipe
    from stylegen.data.midi import SkipFile, preload_muspy, read_score, read_score_muspy
    from stylegen.data.sources import list_style

    recipe = load_recipe(recipe_path, overrides)
    files = sorted({it.path for s in recipe.style_names for it in list_style(recipe, s) if it.dataset is None})[::every]
    preload_muspy()  # its import is not per-file work
    out = {"files": len(files)}
    for name, reader in (("symusic", read_score), ("muspy", read_score_muspy)):
        t = time.process_time()
        for f in files:
            try:
                reader(f, recipe.roll.resolution)
            except SkipFile:
                pass
        cpu = time.process_time() - t
        out[name] = {"cpu_s": round(cpu, 2), "ms_per_file": round(1000 * cpu / max(1, len(files)), 2)}
    out["speedup"] = round(out["muspy"]["cpu_s"] / max(out["symusic"]["cpu_s"], 1e-9), 1)
    out["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    return out





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
    ap.add_argument("--reader-every", type=int, default=10, help="compare the readers on every Nth file (0: skip)")
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
                 "cpu_s": round(statistics.median(w["cpu"] for w in warm), 2),
                 "peak_mib": round(max(w["peak_mib"] for w in warm), 1)},
        "cache_mib": round(cache_mib, 1),
        "targets": TARGETS,
    }
    result["readers"] = reader_cpu(a.recipe, a.overrides, a.reader_every) if a.reader_every > 0 else None
    result["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    c, w = result["cold"], result["warm"]
    print(cold["out"])  # the cold run's table
    print(f"{found} files found, {used} used ({result['beats']:,} beats); windows {result['windows']}")
    print(f"cold: {c['wall_s']} s wall ({c['prepare_s']} s preparing, {c['cpu_s']} s CPU in all processes), "
          f"{c['files_per_s']} files/s, peak {c['peak_mib']} MiB per process  [target < {TARGETS['cold_wall_s']} s]")
    print(f"warm: {w['wall_s']} s wall (median of {w['wall_s_runs']}; {w['prepare_s']} s preparing, "
          f"{w['cpu_s']} s CPU), "
          f"peak {w['peak_mib']} MiB  [target < {TARGETS['warm_wall_s']} s]")
    print(f"cache: {result['cache_mib']} MiB on disk")
    if result["readers"]:
        r = result["readers"]
        print(f"readers on {r['files']} files: symusic {r['symusic']['ms_per_file']} ms CPU/file, "
              f"muspy {r['muspy']['ms_per_file']} ms CPU/file ({r['speedup']}x)")
    print(f"load average: {result['machine']['load_avg_1m_at_start']} at the start, {result['load_avg_1m_at_end']} at the end")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
