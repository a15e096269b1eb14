"""Where an evaluation's pieces come from: folders of MIDI, a recipe's split, a checkpoint.

    list_midi(folder, what) -> {name: path}
    pair_names(inputs, outputs, suffixes) -> {input name: output name}
    read_folder_pairs(inputs, outputs, resolution, progress, cycles=None, suffixes=()) -> FolderPairs
    read_folder(folder, resolution, progress, what) -> (scores, n_unreadable)
    recipe_pieces(recipe, style, split, resolution, progress, limit=None) -> (names, scores, total, how)
    real_pieces(target, resolution, real=None, recipe=None, classifier_meta=None, ...) -> (scores, note)
    transfer_pieces(checkpoint, recipe, source, target, ...) -> CheckpointPieces   (evaluation/checkpoint_eval.py)

A recipe's split of one style is read without reading the other styles: from the data cache
when it holds that style, else only the split's own files (the split is computed over the
style's listed files, which is the training split whenever none of them is unreadable).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylegen.config import check_paths, load_recipe, recipe_from_dict
from stylegen.data import dataset as ds
from stylegen.data.dataset import Piece
from stylegen.data.midi import SkipFile, list_midi_files, read_score
from stylegen.data.roll import RollSpec
from stylegen.data.score import Score, TrackInfo
from stylegen.data.sources import list_style
from stylegen.errors import StylegenError


def progress_bar(total: int, desc: str, enabled: bool):
    """A tqdm bar, or None when progress is off."""
    if not enabled:
        return None
    from tqdm import tqdm  # only where a progress bar is shown

    return tqdm(total=total, desc=desc, unit="file", dynamic_ncols=True, leave=False)


def list_midi(folder: Path, what: str) -> dict[str, Path]:
    """MIDI files under ``folder`` (``data.midi.list_midi_files``) by name (relative path
    without suffix)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise StylegenError(f"{what} {folder}: no such folder")
    found: dict[str, Path] = {}
    for f in list_midi_files(folder):
        key = str(f.relative_to(folder).with_suffix(""))
        if key in found:
            raise StylegenError(f"{what} {folder}: two files named {key} ({found[key].name}, {f.name})")
        found[key] = f
    return found


def _stems(name: str, suffixes) -> list[str]:
    """``name`` and what it becomes as trailing ``suffixes`` are dropped one at a time
    (case-insensitive): ``001.classical.pop`` -> [001.classical.pop, 001.classical, 001]."""
    out = [name]
    while True:
        cur = out[-1]
        suf = next((x for x in suffixes if x and cur.lower().endswith(x.lower()) and len(cur) > len(x)), None)
        if suf is None:
            return out
        out.append(cur[: -len(suf)])


def _strip(name: str, suffixes, stop) -> str | None:
    """The first of ``name``'s shorter stems (``_stems``) that is in ``stop``, or None."""
    return next((st for st in _stems(name, suffixes)[1:] if st in stop), None)


def pair_names(inputs, outputs, suffixes=()) -> dict[str, str]:
    """{input name: output name} for the names of two folders (``list_midi`` keys).

    A name pairs with the same name; an output that has none pairs with the input whose name
    it is once trailing ``suffixes`` are dropped, so ``001.classical`` (what ``stylegen
    transfer --style classical`` writes, suffix ".classical") pairs with ``001``.  An input
    claimed by two outputs is an error that names both."""
    inputs = set(inputs)
    pairs = {k: k for k in outputs if k in inputs}
    for k in sorted(outputs):
        if k in inputs:
            continue
        base = _strip(k, suffixes, inputs)
        if base is None:
            continue
        if base in pairs:
            raise StylegenError(f"two outputs for the input {base}: {pairs[base]} and {k} (keep one, or give "
                                "them separate folders)")
        pairs[base] = k
    return pairs


@dataclass
class FolderPairs:
    names: list[str]
    inputs: list[Score]
    outputs: list[Score]
    cycles: list[Score] | None
    counts: dict[str, int]
    notes: list[str]


def read_folder_pairs(inputs: Path, outputs: Path, resolution: int, progress: bool,
                      cycles: Path | None = None, suffixes=(), cycle_suffixes=()) -> FolderPairs:
    """The files of the two folders that share a name (``pair_names``: an output may carry
    trailing ``suffixes``, e.g. ".classical", a transfer back ``cycle_suffixes``), read as
    Scores; what is not paired or cannot be read is counted and named in ``notes``.  An
    output with no notes is kept (an empty Score: a failed transfer is scored, not dropped).
    Pairs are named by the input's name."""
    ins, outs = list_midi(inputs, "--inputs"), list_midi(outputs, "--outputs")
    if not ins:
        raise StylegenError(f"--inputs {inputs}: no MIDI files")
    if not outs:
        raise StylegenError(f"--outputs {outputs}: no MIDI files (empty outputs)")
    cyc = list_midi(cycles, "--cycles") if cycles is not None else None
    paired = pair_names(ins, outs, suffixes)
    common = sorted(paired)
    if not common:
        ex_in, ex_out = ", ".join(sorted(ins)[:3]), ", ".join(sorted(outs)[:3])
        also = f" or NAME{suffixes[0]} against NAME" if suffixes else ""
        raise StylegenError(f"no file names in common between --inputs {inputs} ({len(ins)} files, e.g. {ex_in}) "
                            f"and --outputs {outputs} ({len(outs)} files, e.g. {ex_out}); pairs are matched by "
                            f"name{also}")
    used = set(paired.values())
    lone_in, lone_out = sorted(set(ins) - set(paired)), sorted(set(outs) - used)
    counts = {"input_files": len(ins), "output_files": len(outs),
              "unpaired_inputs": len(lone_in), "unpaired_outputs": len(lone_out)}
    notes = []
    renamed = sum(k != v for k, v in paired.items())
    if renamed:
        notes.append(f"{renamed} output(s) paired with the input named without their suffix "
                     f"({', '.join(suffixes)}), e.g. {paired[next(k for k, v in paired.items() if k != v)]}")
    for kind, names in (("inputs without an output", lone_in), ("outputs without an input", lone_out)):
        if names:
            more = f" and {len(names) - 10} more" if len(names) > 10 else ""
            notes.append(f"{len(names)} {kind} (not scored): {', '.join(names[:10])}{more}")
    if cyc is not None:
        # a transfer back may be named as the input or the output, or as either with suffixes
        by_stem: dict[str, str] = {k: k for k in cyc}
        for k in sorted(cyc):
            for st in _stems(k, cycle_suffixes)[1:]:
                by_stem.setdefault(st, k)
        cyc_of = {n: by_stem.get(n, by_stem.get(paired[n])) for n in common}
        cyc_of = {n: k for n, k in cyc_of.items() if k is not None}
        missing = [n for n in common if n not in cyc_of]
        if missing:
            raise StylegenError(f"--cycles {cycles}: no file for {len(missing)} pair(s), e.g. {missing[0]}")
    names, a_list, b_list, c_list = [], [], [], []
    skipped: dict[str, str] = {}
    bar = progress_bar(len(common), "reading pairs", progress)
    for name in common:
        if bar:
            bar.update(1)
        try:
            a = read_score(ins[name], resolution)
        except SkipFile as e:
            skipped[name] = f"input {e}"
            continue

        def read_out(path: Path):
            try:
                return read_score(path, resolution)
            except SkipFile as e:
                if e.reason in ("no notes", "drums only"):  # an empty output is a failed transfer: scored
                    return Score(resolution=resolution, notes=a.notes[:0].copy(), tracks=[], length=0,
                                 tempos=list(a.tempos), time_signatures=list(a.time_signatures), title=path.stem)
                raise

        try:
            b = read_out(outs[paired[name]])
            c = read_out(cyc[cyc_of[name]]) if cyc is not None else None
        except SkipFile as e:
            skipped[name] = f"output {e}"
            continue
        names.append(name)
        a_list.append(a)
        b_list.append(b)
        if c is not None:
            c_list.append(c)
    if bar:
        bar.close()
    counts["unreadable_pairs"] = len(skipped)
    if skipped:
        items = list(skipped.items())
        more = f" and {len(items) - 10} more" if len(items) > 10 else ""
        notes.append(f"{len(skipped)} pair(s) skipped, unreadable: "
                     + "; ".join(f"{k} ({v})" for k, v in items[:10]) + more)
    if not names:
        raise StylegenError(f"none of the {len(common)} paired files could be read ({next(iter(skipped.values()))})")
    return FolderPairs(names, a_list, b_list, c_list if cyc is not None else None, counts, notes)


def read_folder(folder: Path, resolution: int, progress: bool, what: str) -> tuple[list[Score], int]:
    """Every readable MIDI file of a folder as a Score, and the count of unreadable ones."""
    files = list_midi(folder, what)
    if not files:
        raise StylegenError(f"{what} {folder}: no MIDI files")
    scores, bad = [], 0
    bar = progress_bar(len(files), f"reading {what.lstrip('-')}", progress)
    for path in files.values():
        try:
            scores.append(read_score(path, resolution))
        except SkipFile:
            bad += 1
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    if not scores:
        raise StylegenError(f"{what} {folder}: none of the {len(files)} MIDI files could be read")
    return scores, bad


def piece_score(piece, resolution: int) -> Score:
    """A corpus piece as a Score: read again from its file (tempo map, meter) when it is one."""
    path = Path(piece.key)
    if path.is_file():
        try:
            return read_score(path, resolution)
        except SkipFile:
            pass
    n_tracks = int(piece.notes[:, 4].max()) + 1 if len(piece.notes) else 0
    return Score(resolution=resolution, notes=piece.notes.copy(), length=piece.length,
                 tracks=[TrackInfo(name=f"track {i}", program=0) for i in range(n_tracks)],
                 title=piece.title or path.stem)


def piece_name(key: str) -> str:
    """``folder/stem`` of a piece's key (its file)."""
    p = Path(key.split("#")[0])
    return f"{p.parent.name}/{p.stem}" if p.parent.name else p.stem


def _split_of_style(recipe, style: str, split: str):
    """(pieces or item paths of ``split``, total in the style, how): the cached pieces when
    the data cache holds the style, else the listed files (nothing read)."""
    one = dataclasses.replace(recipe, styles={style: recipe.styles[style]})
    spec = RollSpec.from_config(recipe.roll)
    items = list_style(one, style)
    data = ds.read_style_cache(ds.style_cache_path(recipe, style, items, spec), items, ds.data_root(recipe))
    if data is not None:
        keys = [p["key"] for p in data["pieces"]]
        splits = ds.split_keys([ds._split_name(k, recipe) for k in keys], recipe.seed,
                               recipe.data.val_fraction, recipe.data.test_fraction)
        chosen = [Piece(key=p["key"], style=0, notes=p["notes"], bars=p["bars"], length=p["length"],
                        melody_track=p["melody_track"], title=p["title"], split=split)
                  for p in data["pieces"] if splits[ds._split_name(p["key"], recipe)] == split]
        return chosen, len(keys), "the data cache"
    keys = [it.key for it in items]
    splits = ds.split_keys([ds._split_name(k, recipe) for k in keys], recipe.seed,
                           recipe.data.val_fraction, recipe.data.test_fraction)
    chosen = [it.key for it in items if splits[ds._split_name(it.key, recipe)] == split]
    return chosen, len(keys), f"{len(chosen)} of the style's {len(keys)} files (no cache)"


def recipe_pieces(recipe, style: str, split: str, resolution: int, progress: bool, limit: int | None = None,
                  spread: bool = False):
    """(names, scores, total, how) of a recipe's ``split`` of one style: the first ``limit``
    pieces by name (all by default; with ``spread``, ``limit`` pieces evenly spread over the
    split in name order), how many the split holds, and where they were read from.
    Only this style is looked at, and only the split's files are read."""
    if style not in recipe.styles:
        raise StylegenError(f"{recipe.source_file}: no style {style!r} (styles: {', '.join(recipe.styles)})")
    chosen, _, how = _split_of_style(recipe, style, split)
    key_of = (lambda c: c) if chosen and isinstance(chosen[0], str) else (lambda c: c.key)
    chosen = sorted(chosen, key=lambda c: piece_name(key_of(c)))
    if not chosen:
        raise StylegenError(f"{recipe.source_file}: no {split} pieces of style {style!r}")
    total = len(chosen)
    if limit is not None and spread and len(chosen) > limit:
        chosen = [chosen[i] for i in np.unique(np.linspace(0, len(chosen) - 1, max(limit, 1)).round().astype(int))]
    elif limit is not None:
        chosen = chosen[:limit]
    bar = progress_bar(len(chosen), f"reading {style} {split}", progress)
    names, scores = [], []
    for c in chosen:
        if isinstance(c, str):
            try:
                sc = read_score(c.split("#")[0], resolution)
            except SkipFile:
                continue
        else:
            sc = piece_score(c, resolution)
        names.append(piece_name(key_of(c)))
        scores.append(sc)
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    if not scores:
        raise StylegenError(f"{recipe.source_file}: none of the {split} pieces of style {style!r} could be read")
    return names, scores, total, how


def classifier_recipe(classifier, style: str | None = None):
    """(the classifier's own recipe, "") when its data is on this machine (and it has
    ``style``), else (None, why; "" when it simply has none)."""
    data = getattr(classifier, "meta", {}).get("recipe") if classifier is not None else None
    if not data:
        return None, ""
    try:
        recipe = recipe_from_dict(data, f"{classifier.path} (its recipe)")
        if style is not None and style not in recipe.styles:
            return None, ""
        check_paths(recipe)
    except StylegenError as e:
        return None, f"the classifier's recipe cannot be read here: {e}"
    return recipe, ""


def real_pieces(target: str, resolution: int, real: str | None = None, recipe=None, classifier=None,
                overrides: list[str] | None = None, progress: bool = False) -> tuple[list[Score], str, int]:
    """Real pieces of ``target`` for the context rows: ``real`` (a folder of MIDI, or a
    recipe file: its val split), else ``recipe``'s val split, else the val split of the
    classifier's own recipe when its data is on this machine.  Returns (scores, a note
    saying what was read, unreadable files)."""
    if real and not real.lower().endswith((".yaml", ".yml")):
        scores, bad = read_folder(Path(real), resolution, progress, "--real")
        return scores, (f"real {target} pieces: {len(scores)} files of {real}"
                        + (f" ({bad} unreadable)" if bad else "")), bad
    if real:
        recipe = load_recipe(real, overrides or [])
    where = None
    if recipe is not None:
        where = f"the val split of {recipe.source_file}"
    else:
        recipe, why = classifier_recipe(classifier, target)
        if recipe is None:
            return [], (f"real {target} pieces: none ({why})" if why else ""), 0
        where = f"the val split of the classifier's recipe {recipe.name!r}"
    if progress:
        print(f"real {target} pieces: reading {where} (only that style's val pieces)", flush=True)
    _, scores, total, how = recipe_pieces(recipe, target, "val", resolution, progress)
    return scores, f"real {target} pieces: {where}, {len(scores)} pieces (from {how})", 0
