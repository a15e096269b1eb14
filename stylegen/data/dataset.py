"""From a recipe's sources to training windows.

    prepare(recipe) -> Corpus        read every item in parallel (or load the cache), count
                                     every skipped file with its reason, split by piece
    window_index(corpus, split, ..)  N-bar windows with a hop (the torch Dataset over them,
                                     with train-only transposition, is in windows.py)

The cache holds each style's pieces as compact note arrays (not rolls): rolls are rendered
per window in ``__getitem__``, so a full corpus takes a few MB on disk and in memory.
A style's cache file is keyed by a hash of its items' content (each file's name under the
data folder, size and a hash of its bytes: :meth:`Item.fingerprint`), the roll spec and
the reading settings; any change there reads that style again, and where the data folder
lies does not matter (clones with their own copies of the data share one cache, and keys
are stored relative to the data folder).  Writing a style's cache prunes that recipe's and
style's older files (the newest ``CACHE_KEEP`` used are kept) and any cache file unused for
``CACHE_MAX_AGE_DAYS``, so the folder does not grow with every changed file or spec.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import pickle
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from stylegen.config import Recipe
from stylegen.data.midi import SkipFile, preload_muspy, read_muspy_item, read_score
from stylegen.data.roll import RollSpec, in_range
from stylegen.data.score import ONSET
from stylegen.data.sources import Item, list_style
from stylegen.fileio import atomic_path

CACHE_FORMAT = 2  # 2: keyed on content, keys stored relative to the data folder
CACHE_KEEP = 2  # cache files kept per recipe name and style (the most recently used)
CACHE_MAX_AGE_DAYS = 30  # any cache file unused this long is removed when a cache is written
SPLITS = ("train", "val", "test")
BAR_BEATS = 4  # a training window is window_bars bars of 4 beats each


@dataclass
class Piece:
    key: str  # the item's identity (file path, or path#item for muspy book entries)
    style: int  # index into Corpus.styles
    notes: np.ndarray  # (N, 5) int32: onset, duration, pitch, velocity, track (steps, sorted by onset)
    bars: np.ndarray  # (n_bars,) int64 steps where bars start
    length: int  # steps
    melody_track: int = -1  # track index of the melody when the file names one, else -1
    title: str = ""
    out_of_range: int = 0  # notes outside the roll's pitch range (kept here, left out of rolls)
    split: str = "train"


@dataclass
class StyleReport:
    style: str
    found: int = 0
    used: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    skipped_files: list[tuple[str, str]] = field(default_factory=list)  # (file, reason: detail)
    beats: float = 0.0
    notes: int = 0
    out_of_range: int = 0
    cache_file: str = ""
    cache_hit: bool = False
    seconds: float = 0.0


@dataclass
class Corpus:
    spec: RollSpec
    styles: list[str]
    pieces: list[Piece]
    reports: dict[str, StyleReport]
    cache_dir: Path

    def split(self, name: str) -> list[Piece]:
        return [p for p in self.pieces if p.split == name]


# --------------------------------------------------------------------------- cache location


def default_cache_dir() -> Path:
    env = os.environ.get("STYLEGEN_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "stylegen"
    return Path.home() / ".cache" / "stylegen"


def cache_dir_for(recipe: Recipe) -> Path:
    if recipe.data.cache_dir:
        return Path(os.path.expandvars(os.path.expanduser(recipe.data.cache_dir)))
    return default_cache_dir()


def _cache_key(items: list[Item], spec: RollSpec, recipe: Recipe) -> str:
    h = hashlib.sha256()
    settings = {"format": CACHE_FORMAT, "spec": spec.to_dict(), "min_beats": recipe.data.min_beats,
                "max_beats": recipe.data.max_beats}
    h.update(json.dumps(settings, sort_keys=True).encode())
    root = data_root(recipe)
    for fp in sorted(it.fingerprint(root) for it in items):
        h.update(repr(fp).encode())
    return h.hexdigest()[:20]


def _cache_name(recipe: Recipe, style: str, key: str = "") -> str:
    return f"{recipe.name}-{style}-{key}.pkl" if key else f"{recipe.name}-{style}-"


def prune_cache(folder: Path, keep: Path, prefix: str, now: float | None = None) -> list[Path]:
    """Remove the cache files nobody uses: of ``prefix`` (one recipe's style) all but the
    ``CACHE_KEEP`` most recently used (``keep``, just written, always stays), and any
    stylegen cache file unused for ``CACHE_MAX_AGE_DAYS``.  Returns what was removed."""
    now = time.time() if now is None else now
    files = []
    for f in folder.glob("*.pkl"):
        try:
            files.append((f.stat().st_mtime, f))
        except OSError:
            continue
    removed = []
    mine = sorted((x for x in files if x[1].name.startswith(prefix) and x[1] != keep), reverse=True)
    old = {f for _, f in mine[max(0, CACHE_KEEP - 1):]}
    old |= {f for t, f in files if f != keep and now - t > CACHE_MAX_AGE_DAYS * 86400}
    for f in sorted(old):
        try:
            f.unlink()
            removed.append(f)
        except OSError:
            pass
    return removed


# --------------------------------------------------------------------------- reading


def _read_one(args) -> tuple[str, dict | None, str | None]:
    """Worker: read one item; returns (key, piece fields, None) or (key, None, 'reason: detail')."""
    item, resolution, lowest, n_pitches, min_beats, max_beats = args
    try:
        if item.dataset is not None:
            score = read_muspy_item(item.dataset[0], item.dataset[1], item.ref, resolution)
        else:
            score = read_score(item.path, resolution)
        beats = score.length / resolution
        if beats < min_beats:
            raise SkipFile("too short", f"{beats:.0f} beats < min_beats {min_beats}")
        if beats > max_beats:
            raise SkipFile("too long", f"{beats:.0f} beats > max_beats {max_beats}")
        spec = RollSpec(resolution, lowest, n_pitches)
        out = int((~in_range(score.notes, spec)).sum())
        if out == len(score.notes):
            raise SkipFile("no notes in pitch range", f"all {out} notes outside {lowest}..{lowest + n_pitches - 1}")
        mel = score.melody_track
        return item.key, {
            "notes": score.notes, "bars": score.bar_starts(), "length": int(score.length),
            "melody_track": -1 if mel is None else mel, "title": score.title, "out_of_range": out,
        }, None
    except SkipFile as e:
        return item.key, None, f"{e.reason}\t{e.detail}"
    except MemoryError:
        return item.key, None, "too large\tout of memory while reading"
    except Exception as e:  # a reader bug must not stop the run: counted, with its message
        return item.key, None, f"unreadable\t{type(e).__name__}: {e}"[:200]


def _mp_context():
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


def _read_items(items: list[Item], recipe: Recipe, spec: RollSpec, progress: Callable | None) -> list:
    args = [(it, spec.resolution, spec.lowest_pitch, spec.n_pitches, recipe.data.min_beats, recipe.data.max_beats)
            for it in items]
    workers = recipe.data.workers or (os.cpu_count() or 1)
    workers = max(1, min(workers, len(items)))
    results = []
    if workers == 1 or len(items) < 16:
        for a in args:
            results.append(_read_one(a))
            if progress:
                progress(1)
        return results
    chunk = max(1, min(16, len(items) // (workers * 8)))
    if any(it.dataset is not None for it in items):
        preload_muspy()  # workers fork with muspy already imported (its datasets' ABC, MusicXML, ... items)
    with ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context()) as ex:
        for r in ex.map(_read_one, args, chunksize=chunk):
            results.append(r)
            if progress:
                progress(1)
    return results


def _atomic_pickle(obj, path: Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def style_cache_path(recipe: Recipe, style: str, items: list[Item], spec: RollSpec) -> Path:
    """Where the cache of ``style`` read from ``items`` on ``spec``'s grid lives."""
    return cache_dir_for(recipe) / _cache_name(recipe, style, _cache_key(items, spec, recipe))


def read_style_cache(path: Path, items: list[Item], root: str) -> dict | None:
    """A style's cache with this checkout's keys (the file stores them relative to the data
    folder ``root``), or None: missing, damaged, old, or naming a file ``items`` lacks."""
    data = _load_cache(path)
    return None if data is None else _with_keys(data, {_split_name(it.key, root): it.key for it in items})


def _load_cache(path: Path) -> dict | None:
    """A style's cache (keys relative to the data folder), or None (missing, damaged, old)."""
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
    except Exception:  # a damaged cache file is read again, not trusted
        return None
    if not (isinstance(data, dict) and data.get("format") == CACHE_FORMAT):
        return None
    try:
        os.utime(path)  # "used now": pruning keeps what is used
    except OSError:
        pass
    return data


def _with_keys(data: dict, keys: dict[str, str]) -> dict | None:
    """``data`` with its stored keys mapped through ``keys`` (None when one is missing)."""
    try:
        return {**data, "pieces": [{**p, "key": keys[p["key"]]} for p in data["pieces"]],
                "skipped": [(keys[k], why) for k, why in data["skipped"]]}
    except KeyError:
        return None


def _fill_report(report: StyleReport, data: dict, spec: RollSpec) -> None:
    for key, why in data["skipped"]:
        reason, _, detail = why.partition("\t")
        report.skipped[reason] += 1
        report.skipped_files.append((key, f"{reason}: {detail}" if detail else reason))
    report.used = len(data["pieces"])
    report.beats = sum(p["length"] for p in data["pieces"]) / spec.resolution
    report.notes = sum(len(p["notes"]) for p in data["pieces"])
    report.out_of_range = sum(p["out_of_range"] for p in data["pieces"])


def load_styles(recipe: Recipe, spec: RollSpec, progress: Callable | None = None,
                use_cache: bool = True) -> dict[str, tuple[list[dict], StyleReport]]:
    """Pieces (as dicts) and a report per style; styles whose cache is valid are not read.

    Every item of the styles to read goes through one pool of worker processes.
    """
    t0 = time.perf_counter()
    found: dict[str, list[Item]] = {s: list_style(recipe, s) for s in recipe.style_names}
    out: dict[str, tuple[list[dict], StyleReport]] = {}
    to_read: dict[str, Path] = {}
    root = data_root(recipe)
    for style, items in found.items():
        report = StyleReport(style=style, found=len(items))
        cache = style_cache_path(recipe, style, items, spec)
        report.cache_file = str(cache)
        data = read_style_cache(cache, items, root) if use_cache else None
        if data is None:
            to_read[style] = cache
            out[style] = ([], report)
        else:
            report.cache_hit = True
            _fill_report(report, data, spec)
            report.seconds = time.perf_counter() - t0
            out[style] = (data["pieces"], report)
    if to_read:
        items = [it for s in to_read for it in found[s]]
        bar = progress(len(items), ", ".join(to_read)) if progress else None
        results = _read_items(items, recipe, spec, bar.update if bar else None)
        if bar:
            bar.close()
        by_key = {}
        for it, r in zip(items, results):
            by_key.setdefault(it.style, []).append(r)
        for style, cache in to_read.items():
            pieces, skipped = [], []
            for key, piece, why in sorted(by_key.get(style, []), key=lambda r: r[0]):
                if piece is None:
                    skipped.append((key, why))
                else:
                    piece["key"] = key
                    pieces.append(piece)
            data = {"format": CACHE_FORMAT, "pieces": pieces, "skipped": skipped}
            report = out[style][1]
            if use_cache:
                relative = {it.key: _split_name(it.key, root) for it in found[style]}
                try:
                    _atomic_pickle(_with_keys(data, relative), cache)
                    prune_cache(cache.parent, cache, _cache_name(recipe, style))
                except OSError as e:
                    report.cache_file = f"(not written: {e.strerror})"
            _fill_report(report, data, spec)
            report.seconds = time.perf_counter() - t0
            out[style] = (pieces, report)
    return out


# --------------------------------------------------------------------------- splitting


def split_keys(keys: list[str], seed: int, val_fraction: float, test_fraction: float) -> dict[str, str]:
    """Assign each piece to train/val/test, deterministically from the seed.

    Pieces are ranked by a hash of (seed, key) and the first ones go to val, then test, so
    adding a file moves at most one other piece across each boundary (val|test|train) while
    the counts stay the same.  With two (for test: three) or more pieces and a fraction above zero, that split
    gets at least one piece.
    """
    def h(k: str) -> int:
        return int.from_bytes(hashlib.sha256(f"{seed}:{k}".encode()).digest()[:8], "big")

    ranked = sorted(keys, key=lambda k: (h(k), k))
    n = len(ranked)
    n_val = round(n * val_fraction)
    n_test = round(n * test_fraction)
    if n >= 2 and val_fraction > 0:
        n_val = max(1, n_val)
    if n >= 3 and test_fraction > 0:
        n_test = max(1, n_test)
    n_val = min(n_val, max(0, n - 1))
    n_test = min(n_test, max(0, n - 1 - n_val))
    out = {}
    for i, k in enumerate(ranked):
        out[k] = "val" if i < n_val else "test" if i < n_val + n_test else "train"
    return out


def data_root(recipe: Recipe) -> str:
    """The recipe's data root, resolved as item keys are (see sources.list_source)."""
    return str(recipe.resolve(".").resolve())


def _split_name(key: str, root: Recipe | str) -> str:
    """The part of a key that names the piece independent of where the data folder lives.
    ``root``: :func:`data_root` of the recipe (or the recipe: resolved on every call, slow
    for thousands of keys)."""
    root = root if isinstance(root, str) else data_root(root)
    return key[len(root):].lstrip("/") if key.startswith(root) else key


def prepare(recipe: Recipe, progress: bool = False, use_cache: bool = True) -> Corpus:
    """Read (or load from cache) every style of the recipe and split its pieces."""
    spec = RollSpec.from_config(recipe.roll)
    factory = None
    if progress:
        from tqdm import tqdm  # only where a progress bar is shown

        def factory(total, styles):
            return tqdm(total=total, desc=f"reading {styles}", unit="file", leave=False, dynamic_ncols=True)

    pieces: list[Piece] = []
    reports = {}
    loaded = load_styles(recipe, spec, factory, use_cache=use_cache)
    root = data_root(recipe)
    for si, style in enumerate(recipe.style_names):
        raw, report = loaded[style]
        reports[style] = report
        splits = split_keys([_split_name(p["key"], root) for p in raw], recipe.seed,
                            recipe.data.val_fraction, recipe.data.test_fraction)
        for p in raw:
            pieces.append(Piece(key=p["key"], style=si, notes=p["notes"], bars=p["bars"], length=p["length"],
                                melody_track=p["melody_track"], title=p["title"], out_of_range=p["out_of_range"],
                                split=splits[_split_name(p["key"], root)]))
    return Corpus(spec=spec, styles=recipe.style_names, pieces=pieces, reports=reports,
                  cache_dir=cache_dir_for(recipe))


# --------------------------------------------------------------------------- windows


def window_steps(recipe_or_bars, resolution: int | None = None) -> int:
    """T, the length of a training window in steps: window_bars bars of 4 beats."""
    if isinstance(recipe_or_bars, int):
        return recipe_or_bars * BAR_BEATS * resolution
    return recipe_or_bars.data.window_bars * BAR_BEATS * recipe_or_bars.roll.resolution


def item_bars(recipe: Recipe) -> int:
    """Bars of one generator training item: ``data.context_bars`` of warm-up (heard, not
    scored) followed by the ``data.window_bars`` scored.  The one definition both
    ``stylegen data`` (its window counts) and ``stylegen train`` use."""
    return recipe.data.window_bars + recipe.data.context_bars


def window_starts(piece: Piece, window: int, hop_bars: int) -> np.ndarray:
    """Window starts: every ``hop_bars``-th bar line at which a window of ``window`` steps
    holds at least one note onset."""
    starts = piece.bars[::hop_bars]
    starts = starts[starts < piece.length]
    onsets = piece.notes[:, ONSET]
    has = np.searchsorted(onsets, starts + window, side="left") > np.searchsorted(onsets, starts, side="left")
    return starts[has]


def window_index(corpus: Corpus, split: str, window: int, hop_bars: int) -> np.ndarray:
    """All windows of a split: (n_windows, 2) int64 rows of (piece index, start step)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    rows = []
    for pid, piece in enumerate(corpus.pieces):
        if piece.split == split:
            starts = window_starts(piece, window, hop_bars)
            rows.append(np.stack([np.full(len(starts), pid, dtype=np.int64), starts.astype(np.int64)], axis=1))
    return np.concatenate(rows) if rows else np.zeros((0, 2), np.int64)


def style_counts(corpus: Corpus, index: np.ndarray) -> list[int]:
    """Windows per style for a window index."""
    styles = np.array([corpus.pieces[p].style for p in index[:, 0]], dtype=np.int64)
    return np.bincount(styles, minlength=len(corpus.styles)).tolist()
