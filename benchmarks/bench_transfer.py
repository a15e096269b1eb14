"""Transfer speed and memory of the generator (one causal pass of ``sample``).

    python benchmarks/bench_transfer.py [--checkpoint PATH] [--song MIDI] [--runs 3]
                                        [--folder 30] [--batch-sizes 1,8,16,32]

A 3-minute pop song (the pop909 song closest to 180 s when ../shared/data is there, else a
3-minute, 3-track song built in code) transferred to classical by
  * the API with the model loaded (``Model.transfer_score``, median of ``--runs`` after
    one warm-up run): the default (melody kept, strength as default), strength 2 (the
    guided pass runs the unconditional pass beside: a batch of two), ``free_melody``,
    and ``transfer_file`` (reading and writing the MIDI too); time per generated step;
  * the whole CLI call, ``python -m stylegen transfer song.mid --style classical``, a fresh
    process timed end to end (interpreter start and imports included), with its CPU time
    and peak memory, and ``python -c "import torch"`` alone for scale;
  * a folder of ``--folder`` songs (the first pop909 songs, else copies of the built song)
    in ONE CLI call, and through the API (``Model.transfer_files``) at each of
    ``--batch-sizes`` pieces per pass.
The checkpoint is ``--checkpoint``, else the shipped checkpoints/pop2classical.pt when it
loads, else a generator of the shipped recipe's size (recipes/pop2classical.yaml) with
random weights: the step loop's cost does not depend on the weights.
Targets: transfer < 1 s, CLI call < 4 s, 30 songs in one folder call < 30 s, peak memory
< 1 GB.  Prints a JSON summary last.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import machine, measure  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------- inputs


def recipe_size_checkpoint(path: Path) -> Path:
    """A generator of the shipped recipe's size with random weights, in the trainer's layout."""
    import torch

    from stylegen.checkpoint import save_checkpoint
    from stylegen.config import load_recipe
    from stylegen.data.roll import RollSpec
    from stylegen.models.registry import build_from_config
    from stylegen.training.loop import content_spec, model_configs

    recipe = load_recipe(ROOT / "recipes" / "pop2classical.yaml", check_data=False)
    spec, styles = RollSpec.from_config(recipe.roll), list(recipe.styles)
    configs = model_configs(recipe, spec, len(styles))
    torch.manual_seed(0)
    g = build_from_config(configs["generator"], "generator")
    return save_checkpoint(path, {
        "kind": "gan", "recipe": recipe.to_dict(), "spec": spec.to_dict(), "content": content_spec(recipe).to_dict(),
        "styles": styles, "models": {"generator": g.state_dict()},
        "model_config": {"generator": configs["generator"]}, "step": 0, "metrics": {},
    })


def three_minute_song(path: Path) -> Path:
    """Melody, chords and bass at 90 bpm for 68 bars (272 beats = 3:01), as pop909 has them."""
    from tests.midifiles import Track, write_midi

    prog = [0, 9, 5, 7]  # I-vi-IV-V in C
    melody, chords, bass = [], [], []
    for bar in range(68):
        root = 60 + prog[bar % 4]
        for i, (off, dur) in enumerate([(0, 1), (1, 0.5), (1.5, 0.5), (2, 1.5), (3.5, 0.5)]):
            melody.append((bar * 4 + off, dur, 72 + [0, 2, 4, 7, 4][(i + bar) % 5] - (bar % 2) * 2, 90))
        for beat in range(4):
            for iv in (0, 4 if prog[bar % 4] in (0, 5, 7) else 3, 7):
                chords.append((bar * 4 + beat, 0.9, root - 12 + iv, 62))
        bass += [(bar * 4.0, 2.0, root - 24, 80), (bar * 4 + 2.0, 2.0, root - 17, 74)]
    return write_midi(path, [Track(melody, name="MELODY"), Track(chords, name="PIANO"), Track(bass, name="BRIDGE")],
                      tempo_bpm=90)


def pop909_songs() -> list[Path]:
    return sorted((SHARED / "pop909").glob("*.mid")) if (SHARED / "pop909").is_dir() else []


def pop909_song(target_s: float = 180.0) -> Path | None:
    """The pop909 song (of the first 60) whose length is closest to ``target_s`` seconds."""
    from stylegen.audio.timing import score_seconds
    from stylegen.transfer import read_midi

    best, gap = None, float("inf")
    for f in pop909_songs()[:60]:
        try:
            s = read_midi(f, 4)
        except Exception:
            continue
        d = abs(score_seconds(s) - target_s)
        if d < gap:
            best, gap = f, d
    return best


def pick_checkpoint(a, tmp: Path) -> tuple[Path, str]:
    from stylegen.errors import StylegenError
    from stylegen.transfer import default_checkpoint, load

    if a.checkpoint:
        return Path(a.checkpoint), "given"
    if default_checkpoint().is_file():
        try:
            load(default_checkpoint())
            return default_checkpoint(), "shipped"
        except StylegenError as e:
            print(f"(the shipped checkpoint does not load here: {e})")
    return recipe_size_checkpoint(tmp / "recipe-size.pt"), "recipe size, random weights"


# --------------------------------------------------------------------------- measurements


CPU: dict[str, float] = {}  # label -> median CPU seconds of this process (what it costs on an idle machine)


def timed(fn, runs: int, label: str = ""):
    fn()  # warm-up
    times, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    if label:
        CPU[label] = round(statistics.median(cpu), 3)
    return statistics.median(times), times


def bench(a, tmp: Path) -> dict:
    import torch

    from stylegen.audio.timing import score_seconds
    from stylegen.inference.options import DEFAULT_STRENGTH
    from stylegen.transfer import load, read_midi

    ckpt, which = pick_checkpoint(a, tmp)
    song = Path(a.song) if a.song else pop909_song()
    song = song or three_minute_song(tmp / "three-minutes.mid")

    t = time.perf_counter()
    model = load(ckpt)
    load_s = time.perf_counter() - t
    score = read_midi(song)
    steps = int(round(score.length * model.spec.resolution / score.resolution))
    n_params = sum(p.numel() for p in model.generator.parameters())
    style = "classical" if "classical" in model.styles else model.styles[-1]

    api_s, api_runs = timed(lambda: model.transfer_score(score, style, seed=0), a.runs, "transfer")
    g2_s, _ = timed(lambda: model.transfer_score(score, style, seed=0, strength=2.0), a.runs, "strength2")
    free_s, _ = timed(lambda: model.transfer_score(score, style, seed=0, free_melody=True), a.runs, "free_melody")
    out = tmp / "api-out.mid"
    file_s, _ = timed(lambda: model.transfer_file(song, out, style, seed=0), a.runs, "transfer_file")
    notes_out = len(model.transfer_score(score, style, seed=0).notes)

    # a folder: the API at several batch sizes, then one CLI call
    folder = tmp / "folder"
    folder.mkdir()
    sources = pop909_songs()[: a.folder] or [song] * a.folder
    for i, f in enumerate(sources):
        shutil.copyfile(f, folder / f"{i:03d}-{f.name}")
    pairs = [(f, tmp / "api-folder" / f.name) for f in sorted(folder.iterdir())]
    total_beats = sum(read_midi(f).n_beats for f, _ in pairs)
    by_batch = {}
    cpu_by_batch = {}
    for B in a.batch_sizes:
        t, c = time.perf_counter(), time.process_time()
        results = list(model.transfer_files(pairs, style, batch_size=B, seed=0))
        by_batch[B] = round(time.perf_counter() - t, 2)
        cpu_by_batch[B] = round(time.process_time() - c, 2)
        assert not [r for *_, r in results if isinstance(r, Exception)]
    api_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    base = [sys.executable, "-m", "stylegen", "transfer"]
    cli = base + [str(song), "--style", style, "-o", str(tmp / "cli-out.mid"), "--checkpoint", str(ckpt),
                  "--force", "--quiet"]
    measure(cli, "bench_transfer")  # warm the file cache
    calls = [measure(cli, "bench_transfer") for _ in range(a.runs)]
    folder_call = measure(base + [str(folder), "--style", style, "-o", str(tmp / "cli-folder"), "--checkpoint",
                                  str(ckpt), "--force", "--quiet"], "bench_transfer")
    torch_import = [measure([sys.executable, "-c", "import torch"], "bench_transfer") for _ in range(2)]

    result = {
        "checkpoint": {"path": str(ckpt), "which": which, "generator_params": n_params,
                       "config": {k: getattr(model.generator, k) for k in ("hidden_size", "num_layers", "codes", "channels")}},
        "song": {"path": str(song), "beats": score.n_beats, "seconds": round(score_seconds(score), 1),
                 "steps": steps, "notes": int(len(score.notes)), "notes_out": notes_out},
        "default_strength": DEFAULT_STRENGTH,
        "torch_threads_outside": torch.get_num_threads(),
        "load_s": round(load_s, 3),
        "transfer_s": round(api_s, 3), "transfer_runs_s": [round(x, 3) for x in api_runs],
        "ms_per_step": round(1000 * api_s / steps, 2),
        "transfer_strength2_s": round(g2_s, 3), "transfer_free_melody_s": round(free_s, 3),
        "transfer_file_s": round(file_s, 3),
        "api_cpu_s": dict(CPU),
        "folder": {"songs": len(pairs), "beats": total_beats, "api_s_by_batch_size": by_batch,
                   "api_cpu_s_by_batch_size": cpu_by_batch,
                   "cli_wall_s": round(folder_call["wall"], 2), "cli_cpu_s": round(folder_call["cpu"], 2),
                   "cli_peak_mib": round(folder_call["peak_mib"], 1)},
        "api_peak_mib": round(api_peak, 1),
        "cli": {"wall_s": round(statistics.median(c["wall"] for c in calls), 2),
                "wall_runs_s": [round(c["wall"], 2) for c in calls],
                "cpu_s": round(statistics.median(c["cpu"] for c in calls), 2),
                "peak_mib": round(max(c["peak_mib"] for c in calls), 1)},
        "import_torch": {"wall_s": round(statistics.median(c["wall"] for c in torch_import), 2),
                         "cpu_s": round(statistics.median(c["cpu"] for c in torch_import), 2)},
        "targets": {"transfer_s": 1.0, "cli_wall_s": 4.0, "folder_30_wall_s": 30.0, "peak_mib": 1024},
    }
    c, f = result["cli"], result["folder"]
    print(f"checkpoint: {ckpt} ({which}; {n_params:,} generator parameters)")
    print(f"song: {song} ({score.n_beats:g} beats, {result['song']['seconds']} s, {steps} steps, "
          f"{len(score.notes)} notes in, {notes_out} out)")
    print(f"load: {load_s:.2f} s")
    print(f"transfer (model loaded): {api_s:.3f} s median of {result['transfer_runs_s']} = "
          f"{result['ms_per_step']} ms/step  [target < 1 s]")
    print(f"  strength 2: {g2_s:.3f} s; free melody: {free_s:.3f} s; transfer_file: {file_s:.3f} s; "
          f"CPU seconds (median): {CPU}")
    print(f"folder of {f['songs']} songs ({total_beats:g} beats): API by batch size {by_batch} s "
          f"(CPU {cpu_by_batch} s); "
          f"one CLI call {f['cli_wall_s']} s wall, {f['cli_cpu_s']} s CPU, {f['cli_peak_mib']} MiB  [target < 30 s]")
    print(f"CLI call: {c['wall_s']} s wall (median of {c['wall_runs_s']}), {c['cpu_s']} s CPU  [target < 4 s]; "
          f"python -c 'import torch' alone: {result['import_torch']['wall_s']} s wall, "
          f"{result['import_torch']['cpu_s']} s CPU")
    print(f"peak memory: CLI {c['peak_mib']} MiB, API process {result['api_peak_mib']} MiB  [target < 1024 MiB]")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--song", default=None, help="a MIDI file (default: a 3-minute pop909 song)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--folder", type=int, default=30, help="songs in the folder measurement")
    ap.add_argument("--batch-sizes", default="1,8,16,32",
                    type=lambda s: [int(x) for x in s.split(",") if x.strip()])
    a = ap.parse_args()
    info = machine()
    with tempfile.TemporaryDirectory() as d:
        result = bench(a, Path(d))
    info["load_avg_1m_at_end"] = round(__import__("os").getloadavg()[0], 2)
    print(json.dumps({"machine": info, **result}, indent=1))


if __name__ == "__main__":
    main()
