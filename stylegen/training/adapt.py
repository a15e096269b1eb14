"""``stylegen adapt``: a new style added to a trained model from a folder of MIDI files.

    result = adapt("checkpoints/pop2classical.pt", {"ragtime": "my/ragtime"}, "mine.pt")

    1. data      each folder is a style, read, skipped and split exactly as ``stylegen data``
                 reads a recipe's (the checkpoint's recipe + the new styles); the old styles'
                 data, where the recipe's data_root has it, gives a replay sample
    2. grow      every model adds a row per new style to each of its style tables
                 (models/styles.py: the generator's style embedding, output biases and plan
                 prior, and its per-style FiLM and plan-code offsets, switched on here, zero
                 for the old styles; the discriminator's projection and style head; the
                 harmony model's embedding).  A new row starts as the model's "no style" row
                 (or the mean row)
    3. train     only the new rows: every shared weight and every old row stays frozen, so
                 the old styles write exactly what they wrote before.
                   likelihood steps      the new style's windows rebuilt from their content
                   adversarial steps     every window (the new style's and the replay
                                         sample's) rolled out in the new style, judged by
                                         the discriminator, which trains in full on them and
                                         on the real windows of every style
                   harmony steps         the harmony model's new row, by its own likelihood
                 (the same steps as ``stylegen train``: training/loop.py's Trainer)
    4. write     a normal checkpoint (-o), and beside it the adapted recipe
                 (``stylegen classifier`` trains a judge of the same styles from it)

A musician's machine need not have the old corpora: without them there is no replay, the
discriminator sees only the new style, and the old styles are still exactly as they were.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import yaml

from stylegen.checkpoint import HARMONY, build_model, load_checkpoint, save_checkpoint
from stylegen.config import check_paths, recipe_from_dict, stored_recipe
from stylegen.data.dataset import Corpus, StyleReport, prepare
from stylegen.device import pick_device, torch_threads
from stylegen.errors import RecipeError, StylegenError
from stylegen.fileio import atomic_path
from stylegen.models.styles import StyleTable, style_tables
from stylegen.training.harmony import BlockBatches, content_spec as harmony_cspec, corpus_blocks, harmony_loss, \
    model_nll
from stylegen.models import registry
from stylegen.models.registry import build_from_config
from stylegen.training.loop import KIND, Trainer, model_configs

STYLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass
class AdaptOptions:
    steps: int = 1500  # likelihood steps of the generator's new rows
    adversarial_steps: int = 100  # then adversarial steps (0: none)
    harmony_steps: int = 300  # the harmony model's new row
    lr: float = 0.03  # Adam's step size for the new rows (few, and starting from "no style")
    lr_d: float | None = None  # the discriminator's (default: the recipe's optim.lr_d)
    batch_size: int = 32
    replay: int = 8  # train pieces of each old style beside the new ones (0: none)
    eval_windows: int = 32  # fixed validation windows for the NLL before and after
    offsets: bool = True  # per-style offset rows: the generator's FiLM and plan codes, the harmony model's readout
    seed: int = 0
    threads: int = 0  # torch CPU threads (0: torch's default)
    device: str = "cpu"

    def check(self) -> None:
        for name in ("steps", "adversarial_steps", "harmony_steps", "replay"):
            if getattr(self, name) < 0:
                raise StylegenError(f"--{name.replace('_', '-')} must be >= 0")
        if self.steps + self.adversarial_steps < 1:
            raise StylegenError("--steps and --adversarial-steps are both 0: nothing to train")
        if self.batch_size < 1 or self.eval_windows < 1:
            raise StylegenError("--batch-size and the validation windows must be at least 1")
        if not self.lr > 0:
            raise StylegenError("--lr must be positive")


@dataclass
class AdaptResult:
    path: Path
    recipe_path: Path
    styles: list[str]  # every style of the new checkpoint, the new ones last
    added: list[str]
    reports: dict[str, StyleReport]  # per new style: found, used, skipped
    pieces: dict[str, dict[str, int]]  # per style in the corpus: {"train": n, "val": n}
    windows: dict[str, dict[str, int]]  # per style: train and val windows
    replay: str  # what the old styles gave (a sentence)
    seconds: dict[str, float] = field(default_factory=dict)  # data, generator, harmony, total
    nll: dict[str, dict[str, float]] = field(default_factory=dict)  # style -> {"before", "after"} per frame
    harmony_nll: dict[str, dict[str, float]] = field(default_factory=dict)  # style -> {"before", "after"} per block
    notes: list[str] = field(default_factory=list)
    recipe: object = None  # the Recipe the data was read with (its cache holds the new styles)

    def to_dict(self) -> dict:
        skip = ("reports", "path", "recipe_path", "recipe")
        d = {k: getattr(self, k) for k in (f.name for f in dataclasses.fields(self)) if k not in skip}
        d["reports"] = {s: {"found": r.found, "used": r.used, "skipped": dict(r.skipped)} for s, r in self.reports.items()}
        return d


# --------------------------------------------------------------------------- checks


def parse_folders(words: list[str]) -> dict[str, str]:
    """``["ragtime=DIR", ...]`` -> {"ragtime": "DIR"}; one clear error per bad word."""
    out: dict[str, str] = {}
    for w in words:
        name, sep, folder = w.partition("=")
        if not sep or not name or not folder:
            raise StylegenError(f"{w!r}: expected NAME=FOLDER (a style name, '=', a folder of MIDI files)")
        if not STYLE_NAME.match(name):
            raise StylegenError(f"{w!r}: a style name is a letter followed by letters, digits, '_' or '-'")
        if name in out:
            raise StylegenError(f"{w!r}: style {name!r} is given twice")
        out[name] = folder
    if not out:
        raise StylegenError("no style to add: give NAME=FOLDER")
    return out


def _check_folder(name: str, folder: str) -> Path:
    p = Path(folder).expanduser()
    if not p.exists():
        raise StylegenError(f"{folder}: no such folder (style {name!r})")
    if not p.is_dir():
        raise StylegenError(f"{folder}: not a folder (style {name!r}): give a folder of MIDI files")
    return p.resolve()


def _grow(model: torch.nn.Module, n: int, what: str, where: str) -> range:
    if not hasattr(model, "add_styles"):
        raise StylegenError(f"{where}: its {what} ({type(model).__name__}) has no style conditioning to add a style to")
    return model.add_styles(n)


def _with_offsets(ckpt: dict, part: str, offsets: bool) -> tuple[torch.nn.Module, dict]:
    """The checkpoint's model ``part`` (and its config), with its per-style offset rows
    switched on when ``offsets`` and its class has them (``style_offsets``): zero rows, so it
    writes exactly as before until the new style's rows train."""
    config = dict(ckpt["model_config"][part])
    takes = inspect.signature(registry.get(part, config["name"])).parameters
    if not (offsets and "style_offsets" in takes and not config.get("style_offsets")):
        return build_model(ckpt, part).float(), config
    config["style_offsets"] = True
    model = build_from_config(config, part)
    fresh = set(model.state_dict()) - set(ckpt["models"][part])
    got = model.load_state_dict(ckpt["models"][part], strict=False)
    if got.unexpected_keys or set(got.missing_keys) != fresh or \
            not all(isinstance(model.get_submodule(k.rsplit(".", 1)[0]), StyleTable) for k in fresh):
        raise StylegenError(f"checkpoint's {part} does not match its own config: {got}")
    return model.float(), config


def freeze_all_but(model: torch.nn.Module, rows: range) -> list[torch.nn.Parameter]:
    """Freeze ``model`` except the style tables' ``rows`` (a gradient mask on the others:
    with no weight decay, Adam leaves a row whose gradient is always zero exactly as it is).
    Returns the parameters left trainable."""
    for p in model.parameters():
        p.requires_grad_(False)
    out = []
    for t in style_tables(model):
        t.weight.requires_grad_(True)
        mask = torch.zeros(t.weight.shape[0], 1, device=t.weight.device)
        mask[rows.start:rows.stop] = 1.0
        t.weight.register_hook(lambda g, m=mask: g * m)
        out.append(t.weight)
    return out


# --------------------------------------------------------------------------- data


def _adapted_recipe(base: dict, folders: dict[str, Path], options: AdaptOptions, where: str):
    """The checkpoint's recipe with the new styles, set for adapting (and the one to write)."""
    data = dict(base)
    data["styles"] = {**base["styles"], **{n: {"sources": [{"path": str(p)}]} for n, p in folders.items()}}
    total = options.steps + options.adversarial_steps
    sets = [f"optim.lr_g={options.lr}", "optim.weight_decay=0.0", f"schedule.steps={total}",
            f"schedule.adversarial_start={options.steps}", f"schedule.batch_size={options.batch_size}",
            f"schedule.eval_every={total}", f"schedule.eval_windows={options.eval_windows}",
            f"checkpoint.every={total}", "checkpoint.keep_last_n=1", "logging.audio=false",
            f"seed={options.seed}", f"device={options.device}"]
    if options.lr_d is not None:
        sets.append(f"optim.lr_d={options.lr_d}")
    training, dropped = stored_recipe(data, where, sets)
    written, _ = stored_recipe(data, where)
    written.name = f"{base.get('name') or 'recipe'}+{'+'.join(folders)}"
    return training, written, dropped


def _sub_recipe(recipe, styles: list[str]):
    data = recipe.to_dict()
    data["styles"] = {s: data["styles"][s] for s in styles}
    return recipe_from_dict(data, recipe.source_file)


def read_corpus(recipe, old: list[str], new: list[str], replay: int, progress: bool = True
                ) -> tuple[Corpus, dict[str, StyleReport], str]:
    """The new styles' pieces (all, split as ``stylegen data`` splits them) and a replay
    sample of the old styles' (``replay`` train pieces each, evenly spread), where the
    recipe's data has them.  The validation split holds the new styles' pieces only.  Returns (corpus, the new styles' reports, what the
    replay sample is, as a sentence)."""
    fresh = prepare(_sub_recipe(recipe, new), progress=progress)
    reports = dict(fresh.reports)
    for s in new:
        r = reports[s]
        if r.found == 0:
            folder = recipe.styles[s].sources[0].path
            raise StylegenError(f"{folder}: no MIDI files (.mid, .midi) in it (style {s!r})")
        if r.used == 0:
            folder = recipe.styles[s].sources[0].path
            why = ", ".join(f"{n} {k}" for k, n in r.skipped.most_common())
            raise StylegenError(f"{folder}: all {r.found} files were skipped ({why}): nothing to learn style {s!r} from")
    n_old = len(old)
    pieces = [dataclasses.replace(p, style=p.style + n_old) for p in fresh.pieces]
    sentence = "none asked (--replay 0)"
    if replay > 0 and old:
        try:
            past = _sub_recipe(recipe, old)
            check_paths(past)
        except (RecipeError, StylegenError) as e:
            sentence = f"none: the old styles' data is not here ({str(e).split(': ', 1)[-1]})"
        else:
            corpus = prepare(past, progress=progress)
            took = []
            for si, s in enumerate(old):
                mine = [p for p in corpus.pieces if p.style == si]
                group = sorted((p for p in mine if p.split == "train"), key=lambda p: p.key)
                pick = np.linspace(0, len(group) - 1, min(replay, len(group))).round().astype(int) if group else []
                pieces += [group[i] for i in sorted(set(int(i) for i in pick))]
                took.append(f"{sum(p.style == si for p in pieces)} {s}")
            sentence = ", ".join(took) + " pieces"
    corpus = Corpus(spec=fresh.spec, styles=[*old, *new], pieces=pieces, reports=reports, cache_dir=fresh.cache_dir)
    return corpus, reports, sentence


# --------------------------------------------------------------------------- the harmony row


def _adapt_harmony(H, corpus: Corpus, recipe, rows: range, steps: int, lr: float, seed: int, progress: bool,
                   log) -> dict[str, dict[str, float]]:
    cspec = harmony_cspec(recipe)
    new = set(rows)
    train = [b for b in corpus_blocks(corpus, cspec, "train") if b.style in new]
    val = [b for b in corpus_blocks(corpus, cspec, "val") if b.style in new]
    before = model_nll(H, val, H.n_styles, with_melody=False)["per_style"] if val else None
    params = freeze_all_but(H, rows)
    opt = torch.optim.Adam(params, lr=lr)
    h = recipe.model.harmony
    batches = BlockBatches(train, H.n_styles, h.sequence_blocks, h.transpose, h.melody_dropout, seed)
    bar = None
    if progress:
        from tqdm import tqdm  # only where a progress bar is shown

        bar = tqdm(total=steps, desc="harmony row", unit="step", dynamic_ncols=True)
    for _ in range(steps):
        H.train()
        loss = harmony_loss(H, batches.batch(h.batch_size))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if bar:
            bar.update(1)
            bar.set_postfix(nll=f"{loss.item():.3f}", refresh=False)
    if bar:
        bar.close()
    H.eval()
    after = model_nll(H, val, H.n_styles, with_melody=False)["per_style"] if val else None
    names = corpus.styles
    if before is None:
        log("harmony: no validation pieces of the new style: its NLL is not measured")
        return {}
    return {names[s]: {"before": round(before[s], 4), "after": round(after[s], 4)} for s in rows}


# --------------------------------------------------------------------------- adapt


def adapt(checkpoint: str | Path, folders: dict[str, str], out: str | Path, options: AdaptOptions | None = None,
          run_dir: str | Path | None = None, force: bool = False, progress: bool = True, log=print) -> AdaptResult:
    """Add the styles ``folders`` ({name: folder of MIDI files}) to ``checkpoint``; write ``out``."""
    options = options or AdaptOptions()
    options.check()
    t_start = time.perf_counter()
    out = Path(out)
    recipe_out = out.with_suffix(".yaml")
    for p in (out, recipe_out):
        if p.exists() and not force:
            raise StylegenError(f"{p}: exists already (use --force to replace it)")
    ckpt = load_checkpoint(checkpoint, kind=KIND)
    where = str(checkpoint)
    old = list(ckpt["styles"])
    for name in folders:
        if name in old:
            raise StylegenError(f"style {name!r} exists already in {where} (styles: {', '.join(old)}): "
                                "choose another name")
    paths = {n: _check_folder(n, f) for n, f in folders.items()}
    if not ckpt.get("recipe") or "content" not in ckpt:
        raise StylegenError(f"{where}: a checkpoint without its recipe and content spec cannot take a new style")
    new = list(paths)
    k = len(new)

    # the models, grown by a row per new style in every style table
    G, g_config = _with_offsets(ckpt, "generator", options.offsets)
    rows = _grow(G, k, "generator", where)
    D = build_model(ckpt, "discriminator").float() if "discriminator" in ckpt["models"] else None
    H, h_config = _with_offsets(ckpt, HARMONY, options.offsets) if HARMONY in ckpt["models"] else (None, None)
    for part, name in ((D, "discriminator"), (H, "harmony model")):
        if part is not None and _grow(part, k, name, where) != rows:
            raise StylegenError(f"{where}: its {name} has a different number of styles from its generator")
    given = {**ckpt["model_config"], "generator": g_config, **({HARMONY: h_config} if H is not None else {})}
    configs = {name: dict(cfg, n_styles=len(old) + k) for name, cfg in given.items()}
    notes = []
    if D is None and options.adversarial_steps:
        notes.append(f"{where} holds no discriminator: likelihood steps only "
                     f"({options.adversarial_steps} adversarial steps added to them)")
        options = dataclasses.replace(options, steps=options.steps + options.adversarial_steps, adversarial_steps=0)
    if H is None:
        notes.append(f"{where} holds no harmony model: compositions in the new style need one "
                     "(stylegen harmony RECIPE --into CHECKPOINT)")

    recipe, written, dropped = _adapted_recipe(ckpt["recipe"], paths, options, f"{where} + {', '.join(new)}")
    if dropped:
        notes.append(f"the recipe stored in {where} has options this stylegen no longer has, left out: "
                     + ", ".join(dropped))
    with torch_threads(options.threads):
        t0 = time.perf_counter()
        corpus, reports, replay = read_corpus(recipe, old, new, options.replay, progress)
        t_data = time.perf_counter() - t0
        for s in new:
            r = reports[s]
            tr = sum(p.split == "train" for p in corpus.pieces if corpus.styles[p.style] == s)
            log(f"{s}: {r.used} of {r.found} files used ({tr} train, {r.used - tr} held back for validation)"
                + (f", {sum(r.skipped.values())} skipped: " + ", ".join(f"{n} {why}" for why, n in r.skipped.most_common())
                   if r.skipped else ""))
        log(f"replay of the old styles: {replay}")
        if not any(corpus.styles[p.style] in new and p.split == "train" for p in corpus.pieces):
            raise StylegenError(f"{', '.join(str(paths[s]) for s in new)}: no piece left to train on after the "
                                "validation split: add files")

        params = freeze_all_but(G, rows)
        device = pick_device(options.device)
        D_model = D if D is not None else build_from_config(
            model_configs(recipe, corpus.spec, len(corpus.styles))["discriminator"], "discriminator")
        trainer = Trainer(recipe, corpus, device, Path(run_dir) if run_dir else None, progress=progress,
                          models=(G, D_model, {"generator": configs["generator"],
                                               "discriminator": configs.get("discriminator")}))
        trainer.resume_hint = "stylegen adapt again (a stopped adapt is not resumed: it takes minutes)"
        trainer.adversarial.targets = list(rows)  # every roll-out is to a new style: its rows get the gradient
        before = trainer.val_nll()
        t1 = time.perf_counter()
        trainer.fit()
        t_gen = time.perf_counter() - t1
        if trainer.step < recipe.schedule.steps:  # Ctrl-C or TERM: a half-adapted model is not written
            raise StylegenError(f"stopped at step {trainer.step} of {recipe.schedule.steps}: {out} not written")
        after = trainer.val_nll()
        nll = {s: {"before": round(before[f"val/nll/{s}"], 4), "after": round(after[f"val/nll/{s}"], 4)}
               for s in new if f"val/nll/{s}" in before}
        G.eval()
        t2 = time.perf_counter()
        harmony_nll = {}
        if H is not None and options.harmony_steps:
            harmony_nll = _adapt_harmony(H, corpus, recipe, rows, options.harmony_steps, options.lr, options.seed,
                                         progress, log)
        t_harm = time.perf_counter() - t2

    pieces, windows = {}, {}
    for si, s in enumerate(corpus.styles):
        pieces[s] = {sp: sum(p.style == si and p.split == sp for p in corpus.pieces) for sp in ("train", "val")}
        windows[s] = {"train": int(sum(trainer.corpus.pieces[i].style == si for i in trainer.train_ds.index[:, 0])),
                      "val": int(sum(trainer.corpus.pieces[i].style == si for i in trainer.val_ds.index[:, 0]))}
    result = AdaptResult(path=out, recipe_path=recipe_out, styles=list(corpus.styles), added=new, reports=reports,
                         pieces=pieces, windows=windows, replay=replay, nll=nll, harmony_nll=harmony_nll, notes=notes,
                         recipe=recipe)
    result.seconds = {"data": round(t_data, 1), "generator": round(t_gen, 1), "harmony": round(t_harm, 1),
                      "total": round(time.perf_counter() - t_start, 1)}
    _write(ckpt, G, D, H, configs, written, result, options, where)
    return result


def _write(ckpt: dict, G, D, H, configs: dict, recipe, result: AdaptResult, options: AdaptOptions, where: str) -> None:
    """The adapted checkpoint (the layout of an exported one) and its recipe, each atomically."""
    models = {"generator": G.state_dict()}
    if D is not None:
        models["discriminator"] = D.state_dict()
    if H is not None:
        models[HARMONY] = H.state_dict()
    models = {n: {k: v.detach().cpu().clone() for k, v in sd.items()} for n, sd in models.items()}
    styles = result.styles
    payload = {
        "kind": KIND, "inference_only": True, "weights_dtype": "float32",
        "recipe": {**recipe.to_dict(), "name": recipe.name},
        "spec": ckpt["spec"], "content": ckpt.get("content"), "styles": styles,
        "models": models, "model_config": {n: configs[n] for n in models},
        "step": ckpt.get("step"), "metrics": dict(ckpt.get("metrics") or {}),
        "adapted": {"from": where, "options": dataclasses.asdict(options), **result.to_dict()},
    }
    if H is not None:
        meta = dict(ckpt.get(HARMONY) or {})
        meta["styles"] = styles
        meta["adapted"] = result.harmony_nll
        payload[HARMONY] = meta
    save_checkpoint(result.path, payload)
    text = (f"# The recipe of {result.path.name}: {where} with the style(s) {', '.join(result.added)} added by\n"
            f"#   stylegen adapt {' '.join(f'{s}=...' for s in result.added)} --checkpoint {where}\n"
            f"# A judge of the same styles (for stylegen evaluate): stylegen classifier {result.recipe_path}\n")
    with atomic_path(result.recipe_path) as tmp:
        Path(tmp).write_text(text + yaml.safe_dump(payload["recipe"], sort_keys=False), encoding="utf-8")


__all__ = ["AdaptOptions", "AdaptResult", "adapt", "parse_folders", "freeze_all_but", "read_corpus"]
