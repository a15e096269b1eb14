"""The harmony model judged: its likelihood, its plans, composition over them, and a bare
melody accompanied.

    python benchmarks/eval_harmony.py --checkpoint CKPT [--recipe R] [--set data_root=...] \
        [--pieces 30] [--bars 32] [--songs 30] [--styles pop classical] [--accompany-style classical] \
        [--skip-compose] [--skip-accompany] [--realism]

CKPT must hold a harmony part (``stylegen harmony RECIPE --into CKPT``).  Rows:

- **likelihood**: the validation NLL per block per style the checkpoint's harmony part
  recorded when it was trained, and the bigram baselines computed again here (in the
  pieces' own keys and counted in all 12; the smoothing the best of the grid on val).
- **plan speed**: seconds to sample a ``--bars`` plan (median of 20, one thread).
- **cadences** (on the harmony the generator hears, one pitch-class set per block): the share
  of section ends on the tonic chord.  Real: the recipe's validation pieces of the style,
  "sections" being 8-bar phrases counted from the first bar with a note, and the piece's
  last bar.  Generated: the section ends of ``--pieces`` plans of the default form.  The key
  of a piece is the Krumhansl-Kessler profile best correlated with its summed sets; a set is
  the tonic chord when its best-matching triad (root weighted most, then the fifth) has the
  key's tonic as its root.
- **composition** (``--pieces`` pieces of ``--bars`` bars per style, seeds 0..N-1), planned
  against the harmony withheld (the ablation, on the same generator): silent bars after the
  first, notes per bar, repeated sections (bar chroma similarity of the generated notes
  between sections of the same letter, beside different letters), the cadence share of the
  generated notes (the last bar of each section), and with ``--realism`` the Fréchet
  distance and two-sample AUC against the style's real validation pieces, beside the floor.
- **accompaniment** (the first ``--songs`` pop validation songs by name, their MELODY track
  alone as input, transferred to ``--accompany-style``): bar chroma similarity and
  chord-root agreement of the output with the real song, for the harmony from the harmony
  model, from the melody's own pitch classes (the behaviour before it) and from the most
  frequent chord of the key (the most frequent block set relative to the key's tonic in the
  style's train pieces); context rows: the melody alone, and the full song as input.

Prints each row as it is measured, then one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stylegen.config import load_recipe  # noqa: E402
from stylegen.data.content import bar_positions  # noqa: E402
from stylegen.data.dataset import prepare as prepare_corpus  # noqa: E402
from stylegen.data.midi import read_score  # noqa: E402
from stylegen.data.score import DURATION, ONSET, PITCH, TRACK, Score  # noqa: E402
from stylegen.inference.harmony import plan_content, resolve_form  # noqa: E402
from stylegen.inference.options import make_generator, parse_style, style_input  # noqa: E402
from stylegen.inference.pieces import bar_lines, finish, prepare  # noqa: E402
from stylegen.metrics.preservation import bar_chroma, bar_edges, chroma_similarity  # noqa: E402
from stylegen.evaluation.pieces import recipe_pieces  # noqa: E402
from stylegen.models.harmony import block_layout  # noqa: E402
from stylegen.training.harmony import corpus_blocks, content_spec  # noqa: E402
from stylegen.transfer import Model, load  # noqa: E402

# Krumhansl-Kessler key profiles (C major, C minor)
MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
TRIADS = []  # (root, mode, template (12,)): mode 0 major, 1 minor; the root weighs most, then the
for _r in range(12):  # fifth, so a bare tonic or an open fifth at a cadence reads as its own root
    for _m, third in ((0, 4), (1, 3)):
        t = np.zeros(12)
        t[_r], t[(_r + third) % 12], t[(_r + 7) % 12] = 1.0, 0.8, 0.9
        TRIADS.append((_r, _m, t))
TEMPLATES = np.stack([t for _, _, t in TRIADS])  # (24, 12)


def key_of(chroma: np.ndarray) -> tuple[int, int]:
    """(tonic, mode) of a summed pitch-class profile (12,): the best-correlated of 24 keys."""
    best, arg = -2.0, (0, 0)
    if chroma.sum() <= 0:
        return arg
    for mode, prof in enumerate((MAJOR, MINOR)):
        for t in range(12):
            r = np.corrcoef(chroma, np.roll(prof, t))[0, 1]
            if r > best:
                best, arg = r, (t, mode)
    return arg


def chord_of(chroma: np.ndarray) -> tuple[int, int] | None:
    """(root, mode) of the triad template best matching a pitch-class profile (cosine; root
    1, fifth 0.9, third 0.8), None when silent."""
    n = np.linalg.norm(chroma)
    if n <= 0:
        return None
    scores = TEMPLATES @ (chroma / n)
    i = int(np.argmax(scores))
    return TRIADS[i][0], TRIADS[i][1]


def is_tonic(chroma: np.ndarray, key: tuple[int, int]) -> bool:
    """A chord on the key's tonic (its root; a final bar is often the bare tonic or an open
    fifth, which has no mode)."""
    c = chord_of(chroma)
    return c is not None and c[0] == key[0]


# --------------------------------------------------------------------------- cadences


def bars_of_blocks(pos: np.ndarray, block: int) -> np.ndarray:
    starts = block_layout(pos, block)
    lines = np.flatnonzero(pos == 0)
    return np.searchsorted(lines, starts, side="right") - 1


def real_cadences(recipe, corpus, cspec, style_index: int) -> dict:
    """Share of 8-bar phrase ends and of piece ends on the tonic chord, real val pieces."""
    pieces = [p for p in corpus.pieces if p.split == "val" and p.style == style_index]
    blocks = corpus_blocks(corpus, cspec, "val")
    blocks = [b for b in blocks if b.style == style_index]
    phrase, final = [], []
    for p, b in zip(pieces, blocks):
        if len(b.sets) == 0 or b.sets.sum() == 0:
            continue
        pos = bar_positions(max(1, p.length), p.bars)
        bar_of = bars_of_blocks(pos, cspec.block)
        key = key_of(b.sets.sum(0).astype(float))
        sounding = np.flatnonzero(b.sets.sum(1) > 0)
        first_bar, last_bar = bar_of[sounding[0]], bar_of[sounding[-1]]
        for bar in range(first_bar + 7, last_bar, 8):
            idx = np.flatnonzero(bar_of == bar)
            if len(idx):
                phrase.append(is_tonic(b.sets[idx[-1]].astype(float), key))
        final.append(is_tonic(b.sets[sounding[-1]].astype(float), key))
    return {"phrase_ends": len(phrase), "phrase_end_tonic": float(np.mean(phrase)) if phrase else float("nan"),
            "pieces": len(final), "piece_end_tonic": float(np.mean(final)) if final else float("nan")}


def plan_cadences(model: Model, style: str, n: int, bars: int) -> dict:
    """The same shares over sampled plans of the default form: section ends (not the last)
    and the piece's end; plus the share of repeated sections with identical sets (the last
    section without the piece's last bar, which is planned as an ending)."""
    inner, final, same = [], [], []
    for seed in range(n):
        plan, _ = model.plan(style, bars, seed=seed)
        key = key_of(plan.sets.sum(0).astype(float))
        seen = {}
        last_bar = int(np.sum(plan.starts >= plan.starts[-1] - (plan.starts[-1] % (4 * model.spec.resolution))))
        for j, (letter, lo, k) in enumerate(plan.sections):
            end = plan.sets[lo + k - 1].astype(float)
            (final if j == len(plan.sections) - 1 else inner).append(is_tonic(end, key))
            if letter in seen:  # the piece's last bar is planned as its ending: compared without it
                m = min(k, len(seen[letter])) - (last_bar if j == len(plan.sections) - 1 else 0)
                same.append(bool(np.array_equal(plan.sets[lo:lo + m], seen[letter][:m])))
            else:
                seen[letter] = plan.sets[lo:lo + k]
    return {"section_ends": len(inner), "section_end_tonic": float(np.mean(inner)) if inner else float("nan"),
            "piece_end_tonic": float(np.mean(final)) if final else float("nan"),
            "repeated_sections_identical": float(np.mean(same)) if same else float("nan")}


# --------------------------------------------------------------------------- composition


def silent_bars(score: Score, bar: int) -> tuple[int, int]:
    """(silent bars after the first, bars) on a grid of ``bar`` steps a bar."""
    n = max(1, int(np.ceil(score.length / bar)))
    sounding = np.zeros(n, bool)
    for on, dur in score.notes[:, :2]:
        sounding[int(on) // bar: min(n, (int(on) + max(int(dur), 1) - 1) // bar + 1)] = True
    return int((~sounding[1:]).sum()), n


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(a @ b / (na * nb)) if na > 0 and nb > 0 else 0.0


def section_rows(score: Score, sections, bar: int) -> tuple[list[float], list[float], list[bool]]:
    """Bar chroma similarity between same-letter and different-letter sections (bar by bar),
    and whether each section's last bar is the tonic chord of the piece's key."""
    edges = np.arange(0, score.length + 1, bar)
    chroma = bar_chroma(score, edges)  # (bars, 12)
    key = key_of(chroma.sum(0))
    same, diff, cad = [], [], []
    for i, a in enumerate(sections):
        cad.append(is_tonic(chroma[a.first_bar + a.bars - 1], key))
        for b in sections[i + 1:]:
            m = min(a.bars, b.bars)
            sims = [cosine(chroma[a.first_bar + k], chroma[b.first_bar + k]) for k in range(m)]
            (same if a.letter == b.letter else diff).append(float(np.mean(sims)))
    return same, diff, cad


def compose_rows(model: Model, plain: Model, style: str, n: int, bars: int, realism: bool, recipe, clf) -> dict:
    res = model.spec.resolution
    bar = 4 * res
    sections = resolve_form(None, bars)
    out = {}
    for name, m in (("planned", model), ("withheld", plain)):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the ablation has no harmony model by design
            scores = [m.generate_score(style, bars, seed=s) for s in range(n)]
        row = {"seconds": round(time.perf_counter() - t0, 1)}
        sil = [silent_bars(s, bar) for s in scores]
        row["silent_bars_after_first"] = int(sum(a for a, _ in sil))
        row["bars_after_first"] = int(sum(b - 1 for _, b in sil))
        row["pieces_with_a_silent_bar"] = int(sum(a > 0 for a, _ in sil))
        row["notes_per_bar"] = round(float(np.mean([len(s.notes) / b for s, (_, b) in zip(scores, sil)])), 2)
        same, diff, cad = [], [], []
        for s in scores:
            a, b, c = section_rows(s, sections, bar)
            same += a
            diff += b
            cad += c
        row["same_letter_bar_chroma"] = round(float(np.mean(same)), 3) if same else None
        row["other_letter_bar_chroma"] = round(float(np.mean(diff)), 3) if diff else None
        row["section_end_tonic_notes"] = round(float(np.mean(cad)), 3)
        if realism:
            from stylegen.metrics.realism import realism_rows

            _, real, _, _ = recipe_pieces(recipe, style, "val", clf.spec.resolution, False, limit=40)
            metrics, _ = realism_rows({"generated": scores}, real, clf.spec)
            row.update({k: round(v, 3) for k, v in metrics.items() if not k.endswith("/windows")})
        out[name] = row
        print(f"compose {style} {name}", json.dumps(row), flush=True)
    return out


# --------------------------------------------------------------------------- accompaniment


def melody_only(score: Score) -> Score | None:
    m = score.melody_track
    if m is None:
        return None
    return score.with_notes(score.notes[score.notes[:, TRACK] == m])


def frequent_chord(corpus, cspec, style_index: int) -> dict[int, np.ndarray]:
    """Per mode (0 major, 1 minor): the most frequent non-empty block set of the style's train
    pieces, relative to the key's tonic."""
    counts = {0: Counter(), 1: Counter()}
    for b in corpus_blocks(corpus, cspec, "train"):
        if b.style != style_index or b.sets.sum() == 0:
            continue
        tonic, mode = key_of(b.sets.sum(0).astype(float))
        rel = np.roll(b.sets, -tonic, axis=1)
        for row in rel[rel.sum(1) > 0]:
            counts[mode][tuple(int(x) for x in row)] += 1
    return {mode: np.array(c.most_common(1)[0][0], np.float32) for mode, c in counts.items()}


def transfer_with_sets(model: Model, score: Score, style: str, seed: int, sets_of) -> Score:
    """Transfer ``score`` (melody kept) with the harmony of every block set by
    ``sets_of(prepared, pos) -> (N, 12)``."""
    s_in = style_input(parse_style(style, model.styles))
    p = prepare(score, model.spec, model.content_spec, keep_melody=True)
    pos = bar_positions(p.length, bar_lines(p.grid))
    sets = sets_of(p, pos)
    content = torch.from_numpy(plan_content(sets, None, pos, model.content_spec))
    p = replace(p, content=content)
    roll = model._sample([p], s_in, 1.0, 1.0, seed)[0]
    return finish(p, roll, model.spec)


def root_agreement(real: Score, out: Score) -> float:
    edges = bar_edges(real, max(real.length, out.length))
    a, b = bar_chroma(real, edges), bar_chroma(out, edges)
    agree = []
    for x, y in zip(a, b):
        cx, cy = chord_of(x), chord_of(y)
        if cx is not None and cy is not None:
            agree.append(cx[0] == cy[0])
    return float(np.mean(agree)) if agree else float("nan")


def val_songs(recipe, corpus, style: str, limit: int, resolution: int) -> list[tuple[str, Score]]:
    """The first ``limit`` validation pieces of ``style`` by file name, read from their files."""
    si = recipe.style_names.index(style)
    pieces = sorted((p for p in corpus.pieces if p.split == "val" and p.style == si), key=lambda p: p.key)
    out = []
    for p in pieces[:limit]:
        path = Path(p.key)
        if not path.is_absolute():
            path = recipe.resolve(p.key)
        out.append((Path(p.key).stem, read_score(path, resolution)))
    return out


def accompany_rows(model: Model, plain: Model, recipe, corpus, cspec, songs: int, style: str) -> dict:
    read = val_songs(recipe, corpus, "pop", songs, model.spec.resolution)
    pairs = [(n, r, melody_only(r)) for n, r in read]
    pairs = [(n, r, m) for n, r, m in pairs if m is not None and len(m.notes)]
    chords = frequent_chord(corpus, cspec, recipe.style_names.index("pop"))

    def key_chord(p, pos):
        mel = p.grid.notes
        prof = np.zeros(12)
        np.add.at(prof, mel[:, PITCH] % 12, mel[:, DURATION])
        tonic, mode = key_of(prof)
        n = len(block_layout(pos, cspec.block))
        return np.repeat(np.roll(chords[mode], tonic)[None], n, 0)

    rows = {}
    conditions = {
        "harmony model": lambda r, m, i: model.transfer_score(m, style, seed=i),
        "melody's own pitch classes": lambda r, m, i: plain.transfer_score(m, style, seed=i),
        "most frequent chord of the key": lambda r, m, i: transfer_with_sets(plain, m, style, i, key_chord),
        "melody alone (no accompaniment)": lambda r, m, i: m,
        "full song as input": lambda r, m, i: plain.transfer_score(r, style, seed=i),
    }
    for cname, fn in conditions.items():
        t0 = time.perf_counter()
        chroma, roots, density = [], [], []
        for i, (_, real, mel) in enumerate(pairs):
            out = fn(real, mel, i)
            chroma.append(chroma_similarity(real, out))
            roots.append(root_agreement(real, out))
            density.append(len(out.notes) / max(1.0, out.n_beats))
        rows[cname] = {"bar_chroma": round(float(np.nanmean(chroma)), 3),
                       "chord_root_agreement": round(float(np.nanmean(roots)), 3),
                       "notes_per_beat": round(float(np.mean(density)), 2),
                       "seconds": round(time.perf_counter() - t0, 1)}
        print(f"accompany {cname}", json.dumps(rows[cname]), flush=True)
    rows["songs"] = len(pairs)
    rows["style"] = style
    return rows


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--recipe", default="recipes/pop2classical.yaml")
    ap.add_argument("--set", action="append", default=[], metavar="key=value")
    ap.add_argument("--pieces", type=int, default=30)
    ap.add_argument("--bars", type=int, default=32)
    ap.add_argument("--songs", type=int, default=30)
    ap.add_argument("--styles", nargs="*", default=None)
    ap.add_argument("--accompany-style", default="classical")
    ap.add_argument("--skip-compose", action="store_true")
    ap.add_argument("--skip-accompany", action="store_true")
    ap.add_argument("--skip-bigram", action="store_true", help="do not recompute the bigram baselines")
    ap.add_argument("--realism", action="store_true", help="also realism FD/AUC of compositions (slower)")
    ap.add_argument("--accompany-temperature", type=float, default=None,
                    help="the harmony model's temperature for a bare melody (default: transfer's own)")
    args = ap.parse_args()
    if args.accompany_temperature is not None:
        import stylegen.transfer

        stylegen.transfer.ACCOMPANY_TEMPERATURE = args.accompany_temperature
    torch.set_num_threads(1)
    t_start = time.time()
    model = load(args.checkpoint)
    if model.harmony is None:
        sys.exit(f"{args.checkpoint}: no harmony part (stylegen harmony RECIPE --into CKPT)")
    plain = Model(model.generator, model.spec, model.content_spec, model.styles, info=dict(model.info))
    recipe = load_recipe(args.recipe, args.set)
    corpus = prepare_corpus(recipe)
    cspec = content_spec(recipe)
    styles = args.styles or list(model.styles)
    out: dict = {"checkpoint": args.checkpoint, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                 "load_avg_1m_at_start": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    meta = model.info.get("harmony") or {}
    out["likelihood"] = meta.get("val_nll")
    out["train_seconds"] = meta.get("train_seconds")
    print("likelihood", json.dumps(out["likelihood"]), flush=True)
    if not args.skip_bigram:  # the baselines again, with this version's smoothing grid
        from stylegen.training.harmony import bigram_nll

        train_b, val_b = corpus_blocks(corpus, cspec, "train"), corpus_blocks(corpus, cspec, "val")
        out["bigram"] = {}
        for rot in (False, True):
            bg = bigram_nll(train_b, val_b, len(recipe.style_names), bool(cspec.bass), rot)
            out["bigram"]["12_keys" if rot else "own_keys"] = {
                "per_style": dict(zip(recipe.style_names, [round(x, 4) for x in bg["per_style"]])),
                "all": round(bg["all"], 4), "smoothing": bg["smoothing"]}
        print("bigram", json.dumps(out["bigram"]), flush=True)

    times = {}
    for style in styles:
        model.plan(style, args.bars, seed=0)  # warm-up
        ts = []
        for s in range(20):
            t0 = time.perf_counter()
            model.plan(style, args.bars, seed=s)
            ts.append(time.perf_counter() - t0)
        times[style] = round(float(np.median(ts)) * 1000, 1)
    out["plan_ms"] = times
    print(f"{args.bars}-bar plan, ms (median of 20)", json.dumps(times), flush=True)

    cad = {}
    for style in styles:
        real = real_cadences(recipe, corpus, cspec, recipe.style_names.index(style))
        gen = plan_cadences(model, style, args.pieces, args.bars)
        cad[style] = {"real": {k: round(v, 3) if isinstance(v, float) else v for k, v in real.items()},
                      "planned": {k: round(v, 3) if isinstance(v, float) else v for k, v in gen.items()}}
        print(f"cadences {style}", json.dumps(cad[style]), flush=True)
    out["cadences"] = cad

    if not args.skip_compose:
        clf = None
        if args.realism:
            from stylegen.metrics.style_classifier import load_classifier

            clf = load_classifier()
        out["composition"] = {s: compose_rows(model, plain, s, args.pieces, args.bars, args.realism, recipe, clf)
                              for s in styles}
    if not args.skip_accompany:
        out["accompaniment"] = accompany_rows(model, plain, recipe, corpus, cspec, args.songs, args.accompany_style)
    import stylegen.transfer

    out["accompany_temperature"] = stylegen.transfer.ACCOMPANY_TEMPERATURE
    out["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    out["wall_seconds"] = round(time.time() - t_start, 1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
