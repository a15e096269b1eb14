"""Transfer speed and memory, and the whole-piece strategy (no seams, no drift).

    python benchmarks/bench_transfer.py [--checkpoint PATH] [--song MIDI] [--runs 5]
    python benchmarks/bench_transfer.py --seams --checkpoint runs/.../best.pt [--pieces 24]

Speed (default): a 3-minute pop song — the pop909 song closest to 180 s when
../shared/data is there, else a 3-minute, 3-track song built in code — transferred to
classical by
  * the API with the model already loaded (``Model.transfer_score``, median of ``--runs``
    after one warm-up run; also with ``keep_melody``, and ``transfer_file`` with reading
    and writing the MIDI),
  * the whole CLI call, ``python -m stylegen transfer song.mid --style classical``, as a
    fresh process timed end to end (interpreter start and imports included; median of
    ``--runs``), with its CPU time (what it costs on an idle machine), its peak resident
    memory, and ``python -c "import torch"`` alone for scale.
The checkpoint is the shipped checkpoints/pop2classical.pt when there is one, else a
default-sized generator (hidden 256, 2 layers, content 256, 84 pitches, 3 styles) built
here with random weights: speed does not depend on the weights.
Targets: < 1 s for the transfer, < 5 s for the CLI call, < 1 GB peak memory.

Seams (``--seams``, needs a trained checkpoint and ../shared/data): how should a piece
longer than the 4-bar training windows be run?  On ``--pieces`` pop909 songs, to
classical, four strategies with the same noise:
  full     one pass, LSTM state carried over the whole piece (what stylegen does)
  reset    4-bar windows, each from a zero state (as in training), concatenated
  warm     4-bar windows, each from a zero state after 2 bars of warm-up context
  overlap  4-bar windows every 2 bars, logits cross-faded over the overlap
Measured against the input: (1) seams — the rate of note changes the input does not
have (a note cut, started or re-struck) at window borders (every 4 bars; every 2 for
overlap), over the full pass's rate at the same steps ("vs full": 1.0 = no seam), and
over the strategy's own rate at the other bar lines ("vs bar lines"; above 1 even for
the full pass when the model changes more at 4-bar phrase starts); (2) drift — onset F1
with the input and density ratio by position in the piece (bars 1-8, 9-32, 33-64, 65+):
a pass that drifts on long pieces changes with position where the windowed ones cannot;
(3) how many cells differ from the full pass.  Prints a JSON summary last.
"""

from __future__ import annotations

import argparse
import json
import resource
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

WINDOW, WARMUP, HOP = 64, 32, 32  # 4 bars of 16 steps (the training window), 2 bars





# --------------------------------------------------------------------------- inputs


def default_size_checkpoint(path: Path) -> Path:
    """A generator of the default recipe's size with random weights, in the training layout."""
    import torch

    from stylegen.checkpoint import save_checkpoint
    from stylegen.config import recipe_from_dict
    from stylegen.data.roll import RollSpec
    from stylegen.models.generator import LSTMGenerator

    styles = ["pop", "classical", "folk"]
    spec = RollSpec()  # 4 steps a beat, 84 pitches from C1
    cfg = dict(hidden_size=256, num_layers=2, style_dim=32, noise_dim=16, content_dim=256, dropout=0.1)
    torch.manual_seed(0)
    g = LSTMGenerator(n_pitches=spec.n_pitches, n_styles=3, n_channels=2, **cfg)
    recipe = recipe_from_dict({"name": "bench", "styles": {s: {"sources": [{"path": s}]} for s in styles}})
    return save_checkpoint(path, {
        "kind": "gan", "recipe": recipe.to_dict(), "spec": spec.to_dict(), "styles": styles,
        "models": {"generator": g.state_dict()},
        "model_config": {"generator": {"name": "lstm", "n_pitches": spec.n_pitches, "n_styles": 3, "n_channels": 2,
                                       **cfg}},
        "step": 0, "metrics": {},
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


def pop909_song(target_s: float = 180.0) -> Path | None:
    """The pop909 song whose length is closest to ``target_s`` seconds."""
    from stylegen.audio.timing import score_seconds
    from stylegen.data.fastmidi import read_score_fast

    files = sorted((SHARED / "pop909").glob("*.mid"))[:60]
    best, gap = None, float("inf")
    for f in files:
        try:
            s = read_score_fast(f, 4)
        except Exception:
            continue
        d = abs(score_seconds(s) - target_s)
        if d < gap:
            best, gap = f, d
    return best


# --------------------------------------------------------------------------- speed


def bench_speed(a, tmp: Path) -> dict:
    import torch

    from stylegen.audio.timing import score_seconds
    from stylegen.transfer import default_checkpoint, load, read_midi

    if a.checkpoint:
        ckpt, which = Path(a.checkpoint), "given"
    elif default_checkpoint().is_file():
        ckpt, which = default_checkpoint(), "shipped"
    else:
        ckpt, which = default_size_checkpoint(tmp / "default-size.pt"), "default size, random weights"
    song = Path(a.song) if a.song else (pop909_song() if (SHARED / "pop909").is_dir() else None)
    song = song or three_minute_song(tmp / "three-minutes.mid")

    t = time.perf_counter()
    model = load(ckpt)
    load_s = time.perf_counter() - t
    score = read_midi(song, model.spec.resolution)
    n_params = sum(p.numel() for p in model.generator.parameters())

    def timed(fn, runs):
        fn()  # warm-up
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times), times

    style = "classical" if "classical" in model.styles else model.styles[-1]
    api_s, api_runs = timed(lambda: model.transfer_score(score, style, seed=0), a.runs)
    mel_s, _ = timed(lambda: model.transfer_score(score, style, seed=0, keep_melody=True), a.runs)
    out = tmp / "api-out.mid"
    file_s, _ = timed(lambda: model.transfer_file(song, out, style, seed=0), a.runs)
    api_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    cli = [sys.executable, "-m", "stylegen", "transfer", str(song), "--style", style, "-o", str(tmp / "cli-out.mid"),
           "--checkpoint", str(ckpt), "--force", "--quiet"]
    measure(cli, "bench_transfer")  # warm the file cache
    calls = [measure(cli, "bench_transfer") for _ in range(a.runs)]
    torch_import = [measure([sys.executable, "-c", "import torch"], "bench_transfer") for _ in range(max(1, a.runs // 2))]

    result = {
        "checkpoint": {"path": str(ckpt), "which": which, "generator_params": n_params,
                       "hidden_size": model.generator.hidden_size, "layers": model.generator.num_layers},
        "song": {"path": str(song), "beats": score.n_beats, "seconds": round(score_seconds(score), 1),
                 "steps": score.length, "notes": int(len(score.notes)), "tracks": [t.name for t in score.tracks]},
        "torch_threads": torch.get_num_threads(),
        "load_s": round(load_s, 3),
        "transfer_s": round(api_s, 3), "transfer_runs_s": [round(x, 3) for x in api_runs],
        "transfer_keep_melody_s": round(mel_s, 3),
        "transfer_file_s": round(file_s, 3),
        "api_peak_mib": round(api_peak, 1),
        "cli": {"wall_s": round(statistics.median(c["wall"] for c in calls), 2),
                "wall_runs_s": [round(c["wall"], 2) for c in calls],
                "cpu_s": round(statistics.median(c["cpu"] for c in calls), 2),
                "peak_mib": round(max(c["peak_mib"] for c in calls), 1)},
        "import_torch": {"wall_s": round(statistics.median(c["wall"] for c in torch_import), 2),
                         "cpu_s": round(statistics.median(c["cpu"] for c in torch_import), 2)},
        "targets": {"transfer_s": 1.0, "cli_wall_s": 5.0, "peak_mib": 1024},
    }
    c = result["cli"]
    print(f"checkpoint: {ckpt} ({which}; {n_params:,} generator parameters)")
    print(f"song: {song} ({score.n_beats:g} beats, {result['song']['seconds']} s, {len(score.notes)} notes)")
    print(f"load: {load_s:.2f} s")
    print(f"transfer (model loaded): {api_s:.3f} s median of {result['transfer_runs_s']}  [target < 1 s]")
    print(f"  with keep_melody: {mel_s:.3f} s; transfer_file (read + transfer + write): {file_s:.3f} s")
    print(f"CLI call: {c['wall_s']} s wall (median of {c['wall_runs_s']}), {c['cpu_s']} s CPU  [target < 5 s]; "
          f"python -c 'import torch' alone: {result['import_torch']['wall_s']} s wall, "
          f"{result['import_torch']['cpu_s']} s CPU")
    print(f"peak memory: CLI {c['peak_mib']} MiB, API process {result['api_peak_mib']} MiB  [target < 1024 MiB]")
    return result


# --------------------------------------------------------------------------- seams and drift


def _windows(model, content, w, noise, warmup: int):
    """4-bar windows from a zero state, after ``warmup`` steps of context."""
    import torch

    C, T, P = content.shape
    out = torch.empty(C, T, P)
    for s in range(0, T, WINDOW):
        lo = max(0, s - warmup)
        y, _ = model.logits(content[:, lo:s + WINDOW], w, noise[:, lo:s + WINDOW])
        out[:, s:s + WINDOW] = y[:, s - lo:]
    return out


def _overlap(model, content, w, noise):
    """4-bar windows every 2 bars, each from a zero state; logits cross-faded linearly."""
    import torch

    C, T, P = content.shape
    acc = torch.zeros(C, T, P)
    wsum = torch.zeros(T)
    ramp = torch.ones(WINDOW)
    ramp[:HOP] = torch.linspace(0.0, 1.0, HOP + 2)[1:-1]
    ramp[-HOP:] = torch.linspace(1.0, 0.0, HOP + 2)[1:-1]
    for s in range(-HOP, T, HOP):
        lo, hi = max(0, s), min(T, s + WINDOW)
        if hi <= lo:
            continue
        y, _ = model.logits(content[:, lo:hi], w, noise[:, lo:hi])
        r = ramp[lo - s: hi - s]
        acc[:, lo:hi] += y * r[None, :, None]
        wsum[lo:hi] += r
    return acc / wsum.clamp_min(1e-6)[None, :, None]


def _changes(roll):
    """(T, P) bool: a note starts, stops or is re-struck between step t-1 and t."""
    import torch

    on, sus = roll[0], roll[1]
    prev = torch.zeros_like(sus)
    prev[1:] = sus[:-1]
    return (sus != prev) | (on & prev)


def bench_seams(a) -> dict:
    import numpy as np
    import torch

    from stylegen.data.roll import in_range, notes_to_roll
    from stylegen.transfer import load, make_noise, read_midi, style_weights

    if not a.checkpoint:
        sys.exit("bench_transfer --seams: give a trained checkpoint (--checkpoint)")
    model = load(a.checkpoint)
    files = sorted((SHARED / "pop909").glob("*.mid"))
    if not files:
        sys.exit(f"bench_transfer --seams: no pop909 songs under {SHARED}")
    rng = np.random.default_rng(0)
    files = [files[i] for i in sorted(rng.choice(len(files), min(a.pieces, len(files)), replace=False))]
    w = style_weights(model.styles, "classical")
    names = ("full", "reset", "warm", "overlap")
    border = {n: [0, 0] for n in names}  # [extra changes at window borders, border cells]
    inner = {n: [0, 0] for n in names}  # the same at the other bar lines
    at_full = {n: 0 for n in names}  # the full pass's extra changes at the same borders
    differ = {n: [0, 0] for n in names}
    buckets = [(0, 8), (8, 32), (32, 64), (64, 10_000)]
    f1 = {n: [[0, 0, 0] for _ in buckets] for n in names}  # tp, out onsets, in onsets
    dens = {n: [[0, 0] for _ in buckets] for n in names}
    t0 = time.perf_counter()
    for f in files:
        score = read_midi(f, model.spec.resolution)
        T = score.length
        x = torch.from_numpy(notes_to_roll(score.notes[in_range(score.notes, model.spec)], model.spec, 0, T))
        noise = make_noise(T, model.generator.noise_dim, 0)
        logits = {
            "full": model.logits(x, w, noise)[0],
            "reset": _windows(model, x, w, noise, 0),
            "warm": _windows(model, x, w, noise, WARMUP),
            "overlap": _overlap(model, x, w, noise),
        }
        rolls = {n: torch.sigmoid(v) > 0.5 for n, v in logits.items()}
        extra_in = _changes(x)
        extra_full = _changes(rolls["full"]) & ~extra_in
        steps = torch.arange(T)
        for n in names:
            # window borders: every 4 bars; for overlap, every 2 bars (where a window starts or ends)
            period = HOP if n == "overlap" else WINDOW
            is_border = (steps % period == 0) & (steps > 0)
            is_inner = (steps % 16 == 0) & ~is_border & (steps > 0)  # the other bar lines
            extra = _changes(rolls[n]) & ~extra_in  # (T, P) changes the input does not have
            border[n][0] += int(extra[is_border].sum())
            border[n][1] += int(is_border.sum()) * x.shape[2]
            at_full[n] += int(extra_full[is_border].sum())
            inner[n][0] += int(extra[is_inner].sum())
            inner[n][1] += int(is_inner.sum()) * x.shape[2]
            differ[n][0] += int((rolls[n] != rolls["full"]).sum())
            differ[n][1] += rolls[n].numel()
            for k, (b0, b1) in enumerate(buckets):
                sl = slice(b0 * 16, min(T, b1 * 16))
                o, i = rolls[n][0, sl], x[0, sl].bool()
                f1[n][k][0] += int((o & i).sum())
                f1[n][k][1] += int(o.sum())
                f1[n][k][2] += int(i.sum())
                dens[n][k][0] += int(rolls[n][1, sl].sum())
                dens[n][k][1] += int(x[1, sl].sum())
    result = {"checkpoint": a.checkpoint, "pieces": len(files), "seconds": round(time.perf_counter() - t0, 1),
              "window_steps": WINDOW, "warmup_steps": WARMUP, "strategies": {}}
    print(f"{len(files)} pop909 songs -> classical with {a.checkpoint}")
    print(f"{'strategy':10} {'vs full':>8} {'vs bar lines':>12} {'per 1k: border/full/bar line':>28} "
          f"{'cells != full':>13}   onset F1 / density ratio by bars: "
          + "  ".join(f"{b0 + 1}-{b1 if b1 < 10_000 else ''}" for b0, b1 in buckets))
    for n in names:
        rb = border[n][0] / max(1, border[n][1])
        ri = inner[n][0] / max(1, inner[n][1])
        ratio = rb / ri if ri > 0 else float("nan")
        rf = at_full[n] / max(1, border[n][1])
        excess = rb / rf if rf > 0 else float("nan")
        f1s = [2 * tp / max(1, o + i) for tp, o, i in f1[n]]
        ds = [o / max(1, i) for o, i in dens[n]]
        result["strategies"][n] = {"seam_excess_vs_full": round(excess, 3), "seam_ratio_vs_bar_lines": round(ratio, 3),
                                   "border_rate": rb, "full_rate_at_borders": rf, "bar_line_rate": ri,
                                   "cells_differing_from_full": differ[n][0] / max(1, differ[n][1]),
                                   "onset_f1_by_position": [round(v, 4) for v in f1s],
                                   "density_ratio_by_position": [round(v, 4) for v in ds]}
        print(f"{n:10} {excess:8.2f} {ratio:12.2f} {1000 * rb:12.3f}/{1000 * rf:.3f}/{1000 * ri:<7.3f} "
              f"{differ[n][0] / max(1, differ[n][1]):13.5f}   "
              + "  ".join(f"{a_:.3f}/{b_:.2f}" for a_, b_ in zip(f1s, ds)))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", default=None, help="default: the shipped one, else a default-size random one")
    ap.add_argument("--song", default=None, help="a MIDI file to time instead of the 3-minute pop song")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seams", action="store_true", help="measure seams and drift of the whole-piece strategies")
    ap.add_argument("--pieces", type=int, default=24, help="pop909 songs for --seams")
    a = ap.parse_args()
    info = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "machine": machine()}
    if a.seams:
        result = {**info, "seams": bench_seams(a)}
    else:
        with tempfile.TemporaryDirectory(prefix="stylegen-bench-") as tmp:
            result = {**info, **bench_speed(a, Path(tmp))}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
