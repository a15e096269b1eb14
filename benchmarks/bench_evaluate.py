"""How long `stylegen evaluate --inputs --outputs --target` takes on a folder of 30 songs.

    python benchmarks/bench_evaluate.py [--songs 30] [--outputs DIR]

Inputs: the first ``--songs`` POP909 validation songs of recipes/pop2classical.yaml (linked
into a temporary folder, never copied into the repository).  Outputs: ``--outputs DIR`` (any
system's, paired by name), else the rule baseline of each song written as MIDI.  Runs the
full evaluation (strength, content, melody, realism with AUC, musicality, the rule and real
rows, report and plots) in a fresh process with the recipe's classical validation pieces as
the real row, and prints wall and CPU seconds, peak memory and the time per measure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, measure  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--songs", type=int, default=30)
    ap.add_argument("--outputs", default=None)
    ap.add_argument("--recipe", default=str(ROOT / "recipes" / "pop2classical.yaml"))
    a = ap.parse_args()
    from stylegen.evaluation.baselines import rule_baseline
    from stylegen.config import load_recipe
    from stylegen.data.midi import read_score, write_score
    from stylegen.evaluation.pieces import _split_of_style

    recipe = load_recipe(a.recipe, [])
    chosen, _, _ = _split_of_style(recipe, "pop", "val")
    files = sorted(Path((c if isinstance(c, str) else c.key).split("#")[0]) for c in chosen)[: a.songs]
    with tempfile.TemporaryDirectory() as tmp:
        ins, outs = Path(tmp) / "in", Path(a.outputs) if a.outputs else Path(tmp) / "out"
        ins.mkdir()
        for f in files:
            os.symlink(f, ins / f.name)
            if not a.outputs:
                write_score(rule_baseline(read_score(f, 4)), outs / f.name)
        info = machine()
        r = measure(["stylegen", "evaluate", "--inputs", str(ins), "--outputs", str(outs), "--target", "classical",
                     "--source", "pop", "--recipe", a.recipe, "-o", str(Path(tmp) / "rep"), "--quiet"], "evaluate")
        rep = json.loads((Path(tmp) / "rep" / "report.json").read_text())
    print(json.dumps({**info, "songs": len(files), "wall_s": round(r["wall"], 1), "cpu_s": round(r["cpu"], 1),
                      "peak_mib": round(r["peak_mib"]), "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
                      "seconds": rep["meta"].get("seconds")}, indent=1))


if __name__ == "__main__":
    main()
