"""Training the harmony model (models/harmony.py) by likelihood on every style's train split.

    blocks = corpus_blocks(corpus, cspec)            every piece as harmony blocks (HarmonyBlocks)
    part = train_harmony(recipe, corpus, cspec)       -> HarmonyPart: weights, config, meta
    bigram_nll(train_blocks, val_blocks, n_styles)    the baseline: a per-style smoothed bigram

Per piece (notes from the corpus cache, never a MIDI file), on the model's grid:

    roll (2, T, P), bar positions (T,) ─content_features (binary)─▶ at each block's first step:
        sets   (N, 12) the block's pitch-class set     (what the generator hears as chroma)
        bass   (N,)    its lowest pitch class, 12 = silent (when the content spec has a bass)
        meter  (N, M)  models.harmony.block_meter: slot, beats per bar, hypermeter, bars to the end
        melody (N, 24) the melody's pitch classes per block, by duration and on the beats
                       (the named melody track, else the top voice); the model reads
                       melody_input() of it (N, 61): with the next block and the key so far

A training item is a crop of ``model.harmony.sequence_blocks`` blocks of one piece (styles
drawn equally often, pieces in proportion to their blocks), in a random one of the 12 keys
(``transpose``), its melody withheld with probability ``melody_dropout`` (composition) and
given otherwise (harmonising a melody).  Validation: the negative log-likelihood per block,
per style, of the val pieces whole, in their own keys, with the melody withheld and given,
beside the bigram baseline.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import torch

from stylegen.config import Recipe
from stylegen.data.content import ContentSpec, bar_positions, content_features, melody_of
from stylegen.data.dataset import Corpus, Piece
from stylegen.data.roll import RollSpec, in_range, notes_to_roll
from stylegen.data.score import DURATION, ONSET, PITCH
from stylegen.device import torch_threads
from stylegen.errors import StylegenError
from stylegen.models.harmony import (
    MELODY_DIM, NO_BASS, PCS, block_layout, block_meter, melody_blocks, melody_input, meter_dim, rotate_melody,
)
from stylegen.models.registry import build_from_config


@dataclass
class HarmonyBlocks:
    """One piece as harmony blocks (see the module docstring)."""

    style: int
    sets: np.ndarray  # (N, 12) uint8
    bass: np.ndarray  # (N,) int64, 12 = none
    meter: np.ndarray  # (N, M) float32
    melody: np.ndarray  # (N, 24) float32: melody_blocks()
    key: str = ""


@dataclass
class HarmonyPart:
    """What goes into a checkpoint: ``models['harmony']``, ``model_config['harmony']`` and
    ``harmony`` (this meta: recipe, content spec, styles, steps, time, validation NLL)."""

    state_dict: dict
    config: dict
    meta: dict = field(default_factory=dict)


def content_spec(recipe: Recipe) -> ContentSpec:
    c = recipe.content
    return ContentSpec(block=c.block, bar_steps=c.bar_steps, chroma=c.chroma, bass=c.bass, binary=c.binary)


def harmony_config(recipe: Recipe, n_styles: int, cspec: ContentSpec) -> dict:
    """The registry config that rebuilds the harmony model from a checkpoint."""
    h = recipe.model.harmony
    return {"name": h.name, "n_styles": n_styles, "meter_dim": meter_dim(cspec.block, cspec.bar_steps),
            "bass": bool(cspec.bass), "hidden_size": h.hidden_size, "num_layers": h.num_layers,
            "style_dim": h.style_dim, "nade_size": h.nade_size, "dropout": h.dropout}


# --------------------------------------------------------------------------- blocks of a piece


def piece_melody(piece: Piece) -> np.ndarray:
    """(N_notes,) bool: the piece's melody (its named melody track, else the top voice)."""
    return melody_of(piece.notes, piece.melody_track, piece.length)


def notes_blocks(notes: np.ndarray, melody: np.ndarray, bars: np.ndarray, length: int, spec: RollSpec,
                 cspec: ContentSpec, style: int = 0, key: str = "") -> HarmonyBlocks:
    """Harmony blocks of notes (N, 5) on the model's grid with the melody mask (N,) and bar lines."""
    T = max(1, int(length))
    inside = in_range(notes, spec)
    roll = torch.from_numpy(notes_to_roll(notes[inside], spec, 0, T)).float()  # (2, T, P)
    pos = bar_positions(T, bars)
    sets_spec = ContentSpec(block=cspec.block, bar_steps=cspec.bar_steps, chroma=True, bass=cspec.bass, binary=True)
    with torch.no_grad():
        content = content_features(roll, torch.from_numpy(pos), spec, sets_spec).numpy()  # (T, D)
    starts = block_layout(pos, cspec.block)
    sets = (content[starts, :PCS] > 0.5).astype(np.uint8)
    if cspec.bass:
        b = content[starts, PCS:2 * PCS]
        bass = np.where(b.max(1) > 0.5, b.argmax(1), NO_BASS).astype(np.int64)
    else:
        bass = np.full(len(starts), NO_BASS, np.int64)
    bar_lines = np.flatnonzero(pos == 0)
    if len(notes):
        first_on = int(notes[:, ONSET].min())
        last = int((notes[:, ONSET] + np.maximum(1, notes[:, DURATION])).max()) - 1
        first_bar = int(np.searchsorted(bar_lines, min(first_on, T - 1), side="right") - 1)
        last_bar = int(np.searchsorted(bar_lines, min(last, T - 1), side="right") - 1)
    else:
        first_bar, last_bar = 0, None
    meter = block_meter(pos, cspec.block, cspec.bar_steps, spec.resolution, max(0, first_bar), last_bar)
    mel = notes[melody & inside]
    melody_w = melody_blocks(mel[:, PITCH], mel[:, ONSET], mel[:, DURATION], pos, cspec.block, spec.resolution)
    return HarmonyBlocks(style, sets, bass, meter, melody_w, key)


def piece_blocks(piece: Piece, spec: RollSpec, cspec: ContentSpec) -> HarmonyBlocks:
    return notes_blocks(piece.notes, piece_melody(piece), piece.bars, piece.length, spec, cspec, piece.style, piece.key)


def corpus_blocks(corpus: Corpus, cspec: ContentSpec, split: str) -> list[HarmonyBlocks]:
    return [piece_blocks(p, corpus.spec, cspec) for p in corpus.pieces if p.split == split]


# --------------------------------------------------------------------------- batches


def _rotate(sets: np.ndarray, bass: np.ndarray, k: int):
    if k == 0:
        return sets, bass
    return np.roll(sets, k, axis=-1), np.where(bass < PCS, (bass + k) % PCS, bass)


class BlockBatches:
    """Random training batches of crops (see the module docstring), reproducible from a seed."""

    def __init__(self, pieces: list[HarmonyBlocks], n_styles: int, length: int, transpose: bool,
                 melody_dropout: float, seed: int = 0):
        self.pieces = [p for p in pieces if len(p.sets) > 0]
        self.melody_in = [melody_input(p.melody, len(p.sets)) for p in self.pieces]  # whole pieces: crops keep the key
        self.length, self.transpose, self.melody_dropout = length, transpose, melody_dropout
        self.rng = np.random.default_rng(seed)
        self.by_style = []
        for s in range(n_styles):
            idx = np.array([i for i, p in enumerate(self.pieces) if p.style == s], dtype=np.int64)
            w = np.array([len(self.pieces[i].sets) for i in idx], dtype=np.float64)
            self.by_style.append((idx, w / w.sum() if len(w) else w))
        self.styles = [s for s, (idx, _) in enumerate(self.by_style) if len(idx)]

    def batch(self, size: int) -> dict:
        L = self.length
        M = self.pieces[0].meter.shape[1]
        sets = np.zeros((size, L, PCS), np.float32)
        bass = np.full((size, L), NO_BASS, np.int64)
        meter = np.zeros((size, L, M), np.float32)
        melody = np.zeros((size, L, MELODY_DIM), np.float32)
        mask = np.zeros((size, L), bool)
        prev_sets = np.zeros((size, PCS), np.float32)
        prev_bass = np.full(size, NO_BASS, np.int64)
        start = np.zeros(size, bool)
        style = np.zeros(size, np.int64)
        for b in range(size):
            s = self.styles[self.rng.integers(len(self.styles))]
            idx, w = self.by_style[s]
            i = int(self.rng.choice(idx, p=w))
            p = self.pieces[i]
            N = len(p.sets)
            if N <= L or self.rng.random() < 0.2:
                lo = 0
            else:
                lo = int(self.rng.integers(0, N - L + 1))
            hi = min(N, lo + L)
            k = int(self.rng.integers(PCS)) if self.transpose else 0
            ps, pb = _rotate(p.sets, p.bass, k)
            n = hi - lo
            sets[b, :n], bass[b, :n], meter[b, :n] = ps[lo:hi], pb[lo:hi], p.meter[lo:hi]
            if self.rng.random() >= self.melody_dropout:
                melody[b, :n] = rotate_melody(self.melody_in[i][lo:hi], k)
            mask[b, :n] = True
            start[b] = lo == 0
            if lo > 0:
                prev_sets[b], prev_bass[b] = ps[lo - 1], pb[lo - 1]
            style[b] = s
        t = torch.from_numpy
        return {"sets": t(sets), "bass": t(bass), "meter": t(meter), "melody": t(melody), "mask": t(mask),
                "prev_sets": t(prev_sets), "prev_bass": t(prev_bass), "start": t(start), "style": t(style)}


# --------------------------------------------------------------------------- evaluation


def model_nll(model, pieces: list[HarmonyBlocks], n_styles: int, with_melody: bool, chunk: int = 16) -> dict:
    """Mean NLL per block (nats) per style name index, whole pieces from their first block."""
    model.eval()
    tot = np.zeros(n_styles)
    cnt = np.zeros(n_styles)
    order = sorted(range(len(pieces)), key=lambda i: len(pieces[i].sets))
    with torch.no_grad():
        for lo in range(0, len(order), chunk):
            group = [pieces[i] for i in order[lo:lo + chunk] if len(pieces[i].sets)]
            if not group:
                continue
            L = max(len(p.sets) for p in group)
            B = len(group)
            M = group[0].meter.shape[1]
            sets = torch.zeros(B, L, PCS)
            bass = torch.full((B, L), NO_BASS, dtype=torch.long)
            meter = torch.zeros(B, L, M)
            mel = torch.zeros(B, L, MELODY_DIM)
            mask = torch.zeros(B, L, dtype=torch.bool)
            for i, p in enumerate(group):
                n = len(p.sets)
                sets[i, :n] = torch.from_numpy(p.sets.astype(np.float32))
                bass[i, :n] = torch.from_numpy(p.bass)
                meter[i, :n] = torch.from_numpy(p.meter)
                if with_melody:
                    mel[i, :n] = torch.from_numpy(melody_input(p.melody, n))
                mask[i, :n] = True
            style = torch.tensor([p.style for p in group])
            lp = model.log_prob(sets, meter, mel, style, bass=bass if model.bass else None)
            for i, p in enumerate(group):
                tot[p.style] += float(-lp[i][mask[i]].sum())
                cnt[p.style] += int(mask[i].sum())
    return {"per_style": (tot / np.maximum(cnt, 1)).tolist(), "blocks": cnt.astype(int).tolist(),
            "all": float(tot.sum() / max(cnt.sum(), 1))}


def _codes(p: HarmonyBlocks, with_bass: bool, k: int = 0) -> np.ndarray:
    sets, bass = _rotate(p.sets, p.bass, k)
    code = (sets.astype(np.int64) << np.arange(PCS)).sum(1)
    return code * 13 + bass if with_bass else code


def bigram_nll(train: list[HarmonyBlocks], val: list[HarmonyBlocks], n_styles: int, with_bass: bool,
               rotations: bool) -> dict:
    """The baseline: per style, p(x_n | x_{n-1}) = (c(y, x) + a p_u(x)) / (c(y) + a) over the
    block's set (and bass), p_u(x) = (c(x) + b p_0(x)) / (n + b), p_0 independent classes
    (a proper distribution over every set).  Counts from the train split (in all 12 keys
    with ``rotations``); (a, b) the best of a small grid on val, so the baseline gets its
    best case.  Returns mean NLL per block per style (nats), the chosen (a, b)."""
    out_best = None
    bits = np.arange(PCS)
    for_style = []
    for s in range(n_styles):
        uni, big, ctx = Counter(), Counter(), Counter()
        pcs_on = np.zeros(PCS)
        n_blocks = 0
        for p in (q for q in train if q.style == s):
            for k in (range(PCS) if rotations else (0,)):
                c = _codes(p, with_bass, k)
                uni.update(c.tolist())
                prev = np.concatenate([[-1], c[:-1]])
                big.update(zip(prev.tolist(), c.tolist()))
                ctx.update(prev.tolist())
                sets, _ = _rotate(p.sets, p.bass, k)
                pcs_on += sets.sum(0)
                n_blocks += len(c)
        q = np.clip(pcs_on / max(n_blocks, 1), 1e-3, 1 - 1e-3)
        for_style.append((uni, big, ctx, q, n_blocks))

    def p0(code: int, q: np.ndarray) -> float:
        if with_bass:
            code, b = divmod(code, 13)
        x = (code >> bits) & 1
        pr = float(np.prod(np.where(x == 1, q, 1 - q)))
        if with_bass:
            if x.sum() == 0:
                pr *= 1.0 if b == NO_BASS else 0.0
            else:
                pr *= 0.0 if b == NO_BASS else 1.0 / PCS
        return pr

    grid = [(a, b) for a in (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0) for b in (1.0, 10.0, 100.0, 1000.0, 10000.0)]
    results = {}
    for a, b in grid:
        per = []
        for s in range(n_styles):
            uni, big, ctx, q, n = for_style[s]
            tot, cnt = 0.0, 0
            for p in (v for v in val if v.style == s):
                c = _codes(p, with_bass).tolist()
                prev = -1
                for x in c:
                    pu = (uni[x] + b * p0(x, q)) / (n + b)
                    pr = (big[(prev, x)] + a * pu) / (ctx[prev] + a)
                    tot -= math.log(max(pr, 1e-300))
                    cnt += 1
                    prev = x
            per.append(tot / max(cnt, 1))
        results[(a, b)] = per
    # one smoothing for all styles, chosen on the mean over blocks
    counts = [sum(len(v.sets) for v in val if v.style == s) for s in range(n_styles)]
    best = min(results, key=lambda ab: sum(x * n for x, n in zip(results[ab], counts)))
    out_best = {"per_style": results[best], "smoothing": list(best), "rotations": rotations,
                "all": sum(x * n for x, n in zip(results[best], counts)) / max(sum(counts), 1)}
    return out_best


# --------------------------------------------------------------------------- training


def harmony_loss(model, b: dict) -> torch.Tensor:
    """Mean NLL per block of a :class:`BlockBatches` batch."""
    prev = model.prev_input(b["prev_sets"][:, None], b["prev_bass"][:, None])[:, 0]
    lp = model.log_prob(b["sets"], b["meter"], b["melody"], b["style"],
                        bass=b["bass"] if model.bass else None, prev=prev, start=b["start"])
    return -(lp * b["mask"]).sum() / b["mask"].sum()


def train_harmony(recipe: Recipe, corpus: Corpus, cspec: ContentSpec | None = None, progress: bool = True,
                  threads: int | None = 1, log=print, baseline: bool = True) -> HarmonyPart:
    """Train the recipe's harmony model on every style's train split; returns the part."""
    h = recipe.model.harmony
    cspec = cspec or content_spec(recipe)
    n_styles = len(corpus.styles)
    t0 = time.perf_counter()
    with torch_threads(threads):
        train = corpus_blocks(corpus, cspec, "train")
        val = corpus_blocks(corpus, cspec, "val")
        t_blocks = time.perf_counter() - t0
        if progress:
            log(f"harmony blocks: {sum(len(p.sets) for p in train):,} train, {sum(len(p.sets) for p in val):,} val "
                f"({len(train)} + {len(val)} pieces, {t_blocks:.1f} s)")
        if not any(len(p.sets) for p in train):
            raise StylegenError(f"{recipe.source_file}: no harmony blocks in the train split")
        torch.manual_seed(recipe.seed)
        cfg = harmony_config(recipe, n_styles, cspec)
        model = build_from_config(cfg, "harmony")
        opt = torch.optim.AdamW(model.parameters(), lr=h.lr, weight_decay=h.weight_decay)
        warm = min(100, max(1, h.steps // 10))

        def lr_at(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            t = (step - warm) / max(1, h.steps - warm)
            return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
        batches = BlockBatches(train, n_styles, h.sequence_blocks, h.transpose, h.melody_dropout, recipe.seed)
        history = []
        bar = None
        if progress:
            from tqdm import tqdm  # only where a progress bar is shown

            bar = tqdm(total=h.steps, desc="harmony", unit="step", dynamic_ncols=True)
        t_train = time.perf_counter()
        running = None
        for step in range(h.steps):
            model.train()
            loss = harmony_loss(model, batches.batch(h.batch_size))
            if not torch.isfinite(loss):
                raise StylegenError(f"harmony training: non-finite loss at step {step}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            value = float(loss.detach())
            running = value if running is None else 0.98 * running + 0.02 * value
            if bar is not None:
                bar.update(1)
                bar.set_postfix(nll=f"{running:.3f}", refresh=False)
            if (step + 1) % h.eval_every == 0 or step + 1 == h.steps:
                ev = model_nll(model, val, n_styles, with_melody=False)
                history.append({"step": step + 1, "val_nll": round(ev["all"], 4), "train_nll": round(running, 4)})
                if bar is not None:
                    bar.write(f"step {step + 1}: val NLL {ev['all']:.3f} nats/block (train {running:.3f})")
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - t_train
        model.eval()
        styles = list(corpus.styles)
        no_mel = model_nll(model, val, n_styles, with_melody=False)
        with_mel = model_nll(model, val, n_styles, with_melody=True)
        meta = {
            "recipe": recipe.name, "content": cspec.to_dict(), "styles": styles, "steps": h.steps,
            "train_seconds": round(seconds, 1), "block_seconds": round(t_blocks, 1), "history": history,
            "val_nll": {
                "blocks": dict(zip(styles, no_mel["blocks"])),
                "model": dict(zip(styles, [round(x, 4) for x in no_mel["per_style"]])),
                "model_all": round(no_mel["all"], 4),
                "model_with_melody": dict(zip(styles, [round(x, 4) for x in with_mel["per_style"]])),
                "model_with_melody_all": round(with_mel["all"], 4),
            },
        }
        if baseline:
            for rot in (False, True):
                bg = bigram_nll(train, val, n_styles, bool(cspec.bass), rot)
                name = "bigram_12_keys" if rot else "bigram"
                meta["val_nll"][name] = dict(zip(styles, [round(x, 4) for x in bg["per_style"]]))
                meta["val_nll"][name + "_all"] = round(bg["all"], 4)
                meta["val_nll"][name + "_smoothing"] = bg["smoothing"]
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    return HarmonyPart(state, cfg, meta)


__all__ = ["HarmonyBlocks", "HarmonyPart", "content_spec", "harmony_config", "piece_blocks", "notes_blocks",
           "corpus_blocks", "BlockBatches", "model_nll", "bigram_nll", "harmony_loss", "train_harmony"]
