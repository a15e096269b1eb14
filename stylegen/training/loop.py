"""The training loop: where a training step happens.

    train(recipe) ─▶ prepare data ─▶ Trainer.fit():
        every step   likelihood step (training/likelihood.py): rebuild real windows of every
                     style from their own content and style   [+ from schedule.adversarial_start:
                     adversarial step (training/adversarial.py): cross-style roll-outs vs D]
        every N      TensorBoard scalars; evaluation on fixed validation windows (NLL per
                     style, transfers to every other style: metrics, rolls, audio);
                     checkpoints (atomic, keep_last_n, best by the gated selection score)
        Ctrl-C/TERM  a checkpoint is written and the command that resumes it printed

The loop owns resume, checkpoints, DDP and logging; each step is a function of G (and, for
the adversarial stage, of the stage object that owns D).  Reproducible on the CPU: batches
come from a (seed, epoch) permutation indexed by the step, and checkpoints store every RNG
state, so a resumed run equals an uninterrupted one.  Distributed: under ``torchrun`` each
rank takes its slice of every global batch, G's losses run inside one DistributedDataParallel
forward (``GeneratorSteps``), and rank 0 alone logs and writes checkpoints.
"""

from __future__ import annotations

import inspect
import math
import os
import random
import re
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from stylegen.checkpoint import load_checkpoint, save_checkpoint
from stylegen.config import Recipe
from stylegen.data.content import ContentSpec, content_features, melody_clamp, top_voice
from stylegen.data.dataset import Corpus, item_bars, prepare, window_steps
from stylegen.data.roll import RollSpec, roll_to_score
from stylegen.data.windows import WindowDataset, collate_windows
from stylegen.device import pick_device
from stylegen.errors import StylegenError
from stylegen.evaluation.training import make_eval_fn
from stylegen.models import registry
from stylegen.models.registry import build_from_config
from stylegen.data.texture import bar_descriptors, fit_codebook
from stylegen.training.adversarial import AdversarialStage
from stylegen.training.likelihood import likelihood_loss, nll_per_style
from stylegen.training.logging import TrainLogger, roll_image, side_by_side

CKPT_RE = re.compile(r"step-(\d+)\.pt$")
KIND = "gan"  # the checkpoint kind of a generator (+ discriminator) run


# --------------------------------------------------------------------------- setup helpers


def content_spec(recipe: Recipe) -> ContentSpec:
    c = recipe.content
    return ContentSpec(block=c.block, bar_steps=c.bar_steps, chroma=c.chroma, bass=c.bass, binary=c.binary)


def model_configs(recipe: Recipe, spec: RollSpec, n_styles: int) -> dict[str, dict]:
    """Constructor kwargs (with the registry name) that rebuild each model from a checkpoint."""
    g, d = recipe.model.generator, recipe.model.discriminator
    cspec = content_spec(recipe)
    given = {"n_pitches": spec.n_pitches, "n_styles": n_styles, "content_dim": cspec.dim, "bar_steps": cspec.bar_steps,
             "lowest_pitch": spec.lowest_pitch, "plan_context": item_bars(recipe) - 1,
             **{k: v for k, v in vars(g).items() if k != "name"}}
    takes = inspect.signature(registry.get("generator", g.name)).parameters
    return {
        "generator": {"name": g.name, **{k: v for k, v in given.items() if k in takes}},
        "discriminator": {"name": d.name, "n_pitches": spec.n_pitches, "n_styles": n_styles,
                          "n_channels": spec.n_channels + 1,  # onset, sustain + the harmony to follow
                          "channels": d.channels, "style_head": d.style_head,
                          "spectral_norm": d.spectral_norm, "input_noise": d.input_noise},
    }


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class BatchStream:
    """Deterministic, resumable batches: step k of the run always gets the same windows.

    Epoch e shuffles the window indices with a generator seeded by (seed, e); step k reads
    global batch k mod (batches per epoch).  With W ranks, a global batch of B*W windows is
    cut into W slices and rank r takes slice r (a distributed sampler without state).
    """

    def __init__(self, dataset: WindowDataset, batch_size: int, seed: int, rank: int = 0, world: int = 1):
        self.ds, self.B, self.seed, self.rank, self.world = dataset, batch_size, seed, rank, world
        self.global_batch = batch_size * world
        self.per_epoch = max(1, len(dataset) // self.global_batch)
        if len(dataset) < self.global_batch:
            raise StylegenError(
                f"the train split has {len(dataset)} windows, fewer than one batch of {self.global_batch}: "
                "lower schedule.batch_size or add data"
            )
        self._perm_epoch, self._perm = -1, None

    def indices(self, step: int) -> list[int]:
        """The dataset indices of this rank's slice of global batch ``step``."""
        epoch, k = divmod(step, self.per_epoch)
        if epoch != self._perm_epoch:
            g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._perm = torch.randperm(len(self.ds), generator=g)
            self._perm_epoch = epoch
            self.ds.set_epoch(epoch)
        lo = k * self.global_batch + self.rank * self.B
        return self._perm[lo: lo + self.B].tolist()

    def batch(self, step: int) -> dict:
        return collate_windows([self.ds[i] for i in self.indices(step)])


class GeneratorSteps(torch.nn.Module):
    """Runs a loss function of G inside one forward call, so that DistributedDataParallel
    (which wraps this module) sees every use of G's weights in the step."""

    def __init__(self, G: torch.nn.Module):
        super().__init__()
        self.G = G

    def forward(self, fn: Callable, *args, **kwargs):
        return fn(self.G, *args, **kwargs)


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived: the loop stops at the end of the current step."""


# --------------------------------------------------------------------------- the trainer


class Trainer:
    def __init__(self, recipe: Recipe, corpus: Corpus, device: torch.device, run_dir: Path | None,
                 rank: int = 0, world: int = 1, progress: bool = True,
                 models: tuple[torch.nn.Module, torch.nn.Module, dict] | None = None):
        """``models``: (G, D, model_config) to train instead of new ones built from the recipe
        (``stylegen adapt``: a trained G and D grown by a style).  Only G's parameters that
        require a gradient are optimised."""
        self.recipe, self.corpus, self.device = recipe, corpus, device
        self.rank, self.world, self.run_dir = rank, world, run_dir
        self.is_main = rank == 0
        self.progress = progress and self.is_main and recipe.logging.progress
        self.spec = corpus.spec
        self.cspec = content_spec(recipe)
        self.styles = corpus.styles
        self.n_styles = len(self.styles)
        seed_everything(recipe.seed)

        # each item is context_bars of warm-up (heard, not scored) followed by the window
        d = recipe.data
        self.ctx = window_steps(d.context_bars, self.spec.resolution)
        bars = item_bars(recipe)
        self.train_ds = WindowDataset(corpus, "train", bars, d.hop_bars, d.transpose, recipe.seed)
        self.val_ds = WindowDataset(corpus, "val", bars, d.hop_bars, 0, recipe.seed)
        self.stream = BatchStream(self.train_ds, recipe.schedule.batch_size, recipe.seed, rank, world)

        if models is None:
            self.model_config = model_configs(recipe, self.spec, self.n_styles)
            self.G = build_from_config(self.model_config["generator"], "generator").to(device)
            with torch.no_grad():  # the generator's texture codes, from real bars (a resumed run loads its own)
                self.G.codebook.copy_(torch.from_numpy(self.fit_codebook()).to(device))
            self.D = build_from_config(self.model_config["discriminator"], "discriminator").to(device)
        else:
            G, D, self.model_config = models
            self.G, self.D = G.to(device), D.to(device)
        o = recipe.optim
        self.opt_g = torch.optim.Adam([p for p in self.G.parameters() if p.requires_grad], lr=o.lr_g, betas=o.betas,
                                      weight_decay=o.weight_decay)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=o.lr_d, betas=o.betas_d, weight_decay=o.weight_decay)
        self.G_steps = GeneratorSteps(self.G)
        D_ddp = None
        if world > 1:
            ids = [device.index] if device.type == "cuda" else None
            self.G_steps = DDP(self.G_steps, device_ids=ids, find_unused_parameters=True)
            D_ddp = DDP(self.D, device_ids=ids)
        self.adversarial = AdversarialStage(self.D, self.opt_d, self.spec, self.cspec, recipe.loss,
                                            recipe.schedule.rollout_steps, self.n_styles, o.grad_clip, D_ddp)
        self.step = 0
        self.best: float | None = None
        self.last_metrics: dict[str, float] = {}
        self.eval_fn: Callable | None = None
        self._eval_windows = self._pick_eval_windows()
        self._last_eval = None
        self.resume_hint = f"stylegen train {recipe.source_file} --resume {run_dir}"  # said when stopped early

    def fit_codebook(self, per_style: int = 400) -> np.ndarray:
        """The texture codebook: k-means over the bars of up to ``per_style`` train windows of
        each style (evenly spaced, so every style shapes the codes alike).  Deterministic;
        a resumed run loads the codebook it trained with instead."""
        counts = np.array([self.corpus.pieces[p].style for p in self.train_ds.index[:, 0]])
        chosen = []
        for s in range(self.n_styles):
            idx = np.flatnonzero(counts == s)
            if len(idx):
                chosen += idx[np.linspace(0, len(idx) - 1, min(per_style, len(idx))).round().astype(int)].tolist()
        descs = []
        for lo in range(0, len(chosen), 256):
            b = collate_windows([self.train_ds[i] for i in chosen[lo: lo + 256]])
            d, _ = bar_descriptors(b["roll"], b["pos"], self.cspec.bar_steps, self.spec.lowest_pitch)
            descs.append(d.reshape(-1, d.shape[-1]).numpy())
        return fit_codebook(np.concatenate(descs), self.G.codebook.shape[0], seed=self.recipe.seed)

    # ------------------------------------------------------------ state

    def state(self) -> dict:
        return {
            "kind": KIND,
            "recipe": self.recipe.to_dict(),
            "spec": self.spec.to_dict(),
            "content": self.cspec.to_dict(),
            "styles": list(self.styles),
            "models": {"generator": self.G.state_dict(), "discriminator": self.D.state_dict()},
            "model_config": self.model_config,
            "optimizers": {"generator": self.opt_g.state_dict(), "discriminator": self.opt_d.state_dict()},
            "step": self.step,
            "best": self.best,
            "rng": rng_state(),
            "metrics": dict(self.last_metrics),
        }

    def load_state(self, ckpt: dict, source: str = "checkpoint") -> None:
        if ckpt.get("inference_only") or "optimizers" not in ckpt or "discriminator" not in ckpt["models"]:
            raise StylegenError(f"{source}: an inference-only checkpoint (from stylegen export): training "
                                "resumes from the run's own checkpoints (runs/<recipe>/<run>/checkpoints/)")
        problems = []
        if ckpt["styles"] != list(self.styles):
            problems.append(f"styles {ckpt['styles']} != {list(self.styles)}")
        if ckpt["spec"] != self.spec.to_dict():
            problems.append(f"roll spec {ckpt['spec']} != {self.spec.to_dict()}")
        if ckpt.get("content") != self.cspec.to_dict():
            problems.append(f"content spec {ckpt.get('content')} != {self.cspec.to_dict()}")
        if ckpt["model_config"] != self.model_config:
            problems.append("model config differs")
        if problems:
            raise StylegenError(f"{source}: was written for another recipe: " + "; ".join(problems))
        self.G.load_state_dict(ckpt["models"]["generator"])
        self.D.load_state_dict(ckpt["models"]["discriminator"])
        self.opt_g.load_state_dict(ckpt["optimizers"]["generator"])
        self.opt_d.load_state_dict(ckpt["optimizers"]["discriminator"])
        self.step = int(ckpt["step"])
        self.best = ckpt.get("best")
        set_rng_state(ckpt["rng"])

    # ------------------------------------------------------------ one step

    @property
    def adversarial_on(self) -> bool:
        return self.step >= self.recipe.schedule.adversarial_start

    def _g_losses(self, G, batch: dict, adversarial: bool) -> tuple[torch.Tensor, dict[str, float]]:
        r, lc = self.recipe, self.recipe.loss
        nll, out = likelihood_loss(G, batch, self.spec, self.cspec, self.ctx, lc.style_dropout, lc.harmony_dropout,
                                   self.device)
        loss = nll
        if adversarial:
            adv, vals = self.adversarial.g_loss(G, batch, self.device)
            loss = lc.likelihood_weight * nll + adv
            out.update(vals)
        return loss, out

    def train_step(self, batch: dict) -> dict[str, float]:
        loss, out = self.G_steps(self._g_losses, batch, self.adversarial_on)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(self.G.parameters(), self.recipe.optim.grad_clip)
        self.opt_g.step()
        out.update({"loss/g": loss.item(), "grad_norm/g": float(gn)})
        for k, v in out.items():
            if not math.isfinite(v):
                raise FloatingPointError(k)
        return out

    # ------------------------------------------------------------ evaluation

    def _pick_eval_windows(self) -> list[int]:
        n = len(self.val_ds)
        if n == 0:
            return []
        k = min(n, self.recipe.schedule.eval_windows)
        return sorted(set(np.linspace(0, n - 1, k).round().astype(int).tolist()))

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Validation NLL per style, then each fixed validation window transferred to a
        different style (melody kept, as transfer does) and judged after its context."""
        if not self._eval_windows:
            return {}
        self.G.eval()
        batch = collate_windows([self.val_ds[i] for i in self._eval_windows])
        metrics = self.val_nll(batch)
        x_full, pos, src = batch["roll"].to(self.device), batch["pos"].to(self.device), batch["style"].to(self.device)
        content = content_features(x_full, pos, self.spec, self.cspec)
        clamp = melody_clamp(x_full, top_voice(x_full))
        gen = torch.Generator().manual_seed(self.recipe.seed + 1)
        outputs, targets = [], []
        for shift in range(1, max(2, self.n_styles)):
            tgt = (src + shift) % self.n_styles
            y, _ = self.G.sample(content, tgt, clamp=clamp, generator=gen)
            outputs.append(y[:, :, self.ctx:])
            targets.append(tgt)
        x = x_full[:, :, self.ctx:]
        y, t = torch.cat(outputs), torch.cat(targets)
        xin, sin = x.repeat(len(outputs), 1, 1, 1), src.repeat(len(outputs))
        if self.eval_fn is not None:
            metrics.update(self.eval_fn(xin, y, sin, t))
        metrics["val/density_ratio"] = (y[:, 1].mean() / xin[:, 1].mean().clamp_min(1e-6)).item()
        if "val/score" not in metrics:
            metrics["val/score"] = -metrics["val/nll"]
        self.G.train()
        self._last_eval = (x, src, outputs, targets)
        return metrics

    @torch.no_grad()
    def val_nll(self, batch: dict | None = None) -> dict[str, float]:
        """Validation NLL per style ("val/nll/<style>", and of the plan "val/plan_nll/<style>")
        and its mean over styles ("val/nll"), on the fixed validation windows."""
        if batch is None:
            batch = collate_windows([self.val_ds[i] for i in self._eval_windows])
        training = self.G.training
        self.G.eval()
        metrics: dict[str, float] = {}
        nll, plan_nll = nll_per_style(self.G, batch, self.spec, self.cspec, self.ctx, self.n_styles, self.device)
        for s, v, w in zip(self.styles, nll.tolist(), plan_nll.tolist()):
            if math.isfinite(v):
                metrics[f"val/nll/{s}"] = v
            if math.isfinite(w):
                metrics[f"val/plan_nll/{s}"] = w
        metrics["val/nll"] = float(np.nanmean(nll.numpy())) if torch.isfinite(nll).any() else float("nan")
        self.G.train(training)
        return metrics

    def log_eval_media(self, logger: TrainLogger) -> None:
        x, src, outputs, targets = self._last_eval
        for j in range(min(4, x.shape[0])):
            imgs = [roll_image(x[j])] + [roll_image(o[j]) for o in outputs]
            names = [self.styles[int(src[j])]] + [self.styles[int(t[j])] for t in targets]
            logger.image(f"rolls/{j}_{'_to_'.join(names)}", side_by_side(imgs), self.step)
        if self.recipe.logging.audio:
            self._log_audio(logger, x, src, outputs, targets)

    def _log_audio(self, logger, x, src, outputs, targets) -> None:
        from stylegen.audio.render import render_for_tensorboard  # audio pulls in the synthesiser: only when asked

        sr = 16000
        for j in range(min(2, x.shape[0])):
            pairs = [("input", x[j])] + [(f"to_{self.styles[int(t[j])]}", o[j]) for o, t in zip(outputs, targets)]
            for name, roll in pairs:
                score = roll_to_score(roll.cpu(), self.spec)
                if len(score.notes):
                    logger.audio(f"audio/{j}_{name}", render_for_tensorboard(score, sample_rate=sr), self.step, sr)

    # ------------------------------------------------------------ checkpoints

    def save(self) -> Path | None:
        if not self.is_main or self.run_dir is None:
            return None
        ckpt_dir = self.run_dir / "checkpoints"
        path = save_checkpoint(ckpt_dir / f"step-{self.step:07d}.pt", self.state())
        keep = self.recipe.checkpoint.keep_last_n
        for old in sorted(ckpt_dir.glob("step-*.pt"))[:-keep]:
            old.unlink(missing_ok=True)
        return path

    def maybe_save_best(self, metrics: dict[str, float]) -> None:
        key, mode = self.recipe.checkpoint.best_metric, self.recipe.checkpoint.best_mode
        if not self.is_main or self.run_dir is None or key not in metrics or not math.isfinite(metrics[key]):
            return
        v = metrics[key]
        if self.best is None or (v > self.best if mode == "max" else v < self.best):
            self.best = v
            state = self.state()
            state["best_metric"] = {key: v}
            save_checkpoint(self.run_dir / "checkpoints" / "best.pt", state)

    # ------------------------------------------------------------ the loop

    def fit(self, stop_after: int | None = None) -> Path | None:
        r = self.recipe
        total = r.schedule.steps
        logger = TrainLogger(self.run_dir if self.is_main else None, purge_step=self.step or None)
        if self.step == 0:
            logger.recipe(r.to_dict())
        bar = None
        if self.progress:
            from tqdm import tqdm  # the progress bar only where one is shown

            bar = tqdm(total=total, initial=self.step, desc="train", unit="step", dynamic_ncols=True)
        last_good = None
        t_last, s_last = time.perf_counter(), self.step
        self.G.train()
        self.D.train()
        stop = {"signal": None}

        def on_signal(signum, frame):
            if stop["signal"] is not None:  # a second Ctrl-C: stop now, the last checkpoint stays
                raise KeyboardInterrupt
            stop["signal"] = signal.Signals(signum).name

        old_handlers = {}
        if self.is_main and _main_thread():
            for s in (signal.SIGINT, signal.SIGTERM):
                old_handlers[s] = signal.signal(s, on_signal)
        try:
            while self.step < total:
                batch = self.stream.batch(self.step)
                try:
                    values = self.train_step(batch)
                except FloatingPointError as e:
                    where = f"; the last good checkpoint is {last_good}" if last_good else ""
                    raise StylegenError(f"non-finite {e} at step {self.step + 1}: training stopped{where}") from None
                self.step += 1
                if self.step % r.logging.every == 0 or self.step == total:
                    now = time.perf_counter()
                    values["speed/steps_per_s"] = (self.step - s_last) / max(now - t_last, 1e-9)
                    values["speed/frames_per_s"] = (values["speed/steps_per_s"] * r.schedule.batch_size * self.world
                                                    * self.train_ds.window)
                    values["lr/g"] = self.opt_g.param_groups[0]["lr"]
                    t_last, s_last = now, self.step
                    logger.scalars(values, self.step)
                if bar:
                    bar.update(1)
                    bar.set_postfix({k.split("/")[-1]: f"{v:.3g}" for k, v in values.items()
                                     if k in ("loss/nll", "loss/d", "loss/g_adv", "loss/g_content")})
                if self.step % r.schedule.eval_every == 0 or self.step == total:
                    if self.is_main:
                        metrics = self.evaluate()
                        self.last_metrics = metrics
                        logger.scalars(metrics, self.step)
                        if metrics:
                            self.log_eval_media(logger)
                            self.maybe_save_best(metrics)
                if self.step % r.checkpoint.every == 0 or self.step == total:
                    last_good = self.save() or last_good
                if stop["signal"] is not None:
                    raise Interrupted(stop["signal"])
                if stop_after is not None and self.step >= stop_after:
                    break
            if self.step >= total and self.is_main:
                flat = {f"{sec}.{k}": v for sec in ("model.generator", "loss", "optim", "schedule")
                        for k, v in _section(r, sec).items()}
                logger.hparams(flat, {k.replace("/", "_"): v for k, v in self.last_metrics.items()})
        except Interrupted as e:
            path = self.save()
            if bar:
                bar.close()
                bar = None
            if path is not None:
                print(f"{e}: stopped at step {self.step}; checkpoint {path}\n"
                      f"resume with: {self.resume_hint}", file=sys.stderr)
            return path
        finally:
            for s, h in old_handlers.items():
                signal.signal(s, h)
            if bar:
                bar.close()
            logger.close()
        return last_good


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _section(recipe: Recipe, dotted: str) -> dict:
    obj = recipe
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return {k: v for k, v in vars(obj).items() if isinstance(v, (int, float, str, bool))}


# --------------------------------------------------------------------------- entry point


def find_resume(recipe: Recipe, resume: str) -> Path:
    """``resume`` is 'auto' (the newest run of this recipe), a run folder or a checkpoint file."""
    if resume != "auto":
        p = Path(resume)
        if p.is_file():
            return p
        if p.is_dir():
            ckpts = sorted((p / "checkpoints").glob("step-*.pt")) or sorted(p.glob("step-*.pt"))
            if ckpts:
                return ckpts[-1]
        raise StylegenError(f"{resume}: no checkpoint to resume from")
    root = Path(recipe.logging.dir) / recipe.name
    runs = sorted((d for d in root.glob("*") if (d / "checkpoints").is_dir()), key=lambda d: d.name)
    for run in reversed(runs):
        ckpts = sorted((run / "checkpoints").glob("step-*.pt"))
        if ckpts:
            return ckpts[-1]
    raise StylegenError(f"nothing to resume: no checkpoint under {root}")


def train(recipe: Recipe, resume: str | None = None, run_dir: str | Path | None = None,
          progress: bool = True, stop_after: int | None = None, corpus: Corpus | None = None) -> Path | None:
    """Train the recipe's generator (and discriminator); returns the last checkpoint written (rank 0).

    Under ``torchrun`` (WORLD_SIZE > 1) it joins the process group (NCCL on CUDA, gloo on
    the CPU) and trains with DistributedDataParallel.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(recipe.device, local_rank)
    started_group = False
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        started_group = True
    if device.type == "cuda":
        torch.cuda.set_device(device)
    try:
        if corpus is None:
            corpus = prepare(recipe, progress=progress and rank == 0)
        ckpt_path = find_resume(recipe, resume) if resume else None
        if ckpt_path is not None:
            run = ckpt_path.parent.parent if ckpt_path.parent.name == "checkpoints" else ckpt_path.parent
        elif run_dir is not None:
            run = Path(run_dir)
        else:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            run = Path(recipe.logging.dir) / recipe.name / stamp
        trainer = Trainer(recipe, corpus, device, run if rank == 0 else None, rank, world, progress)
        trainer.eval_fn = make_eval_fn(trainer)
        if ckpt_path is not None:
            trainer.load_state(load_checkpoint(ckpt_path, kind=KIND), str(ckpt_path))
            if rank == 0 and progress:
                print(f"resuming {ckpt_path} at step {trainer.step}")
        elif rank == 0 and progress:
            n = sum(p.numel() for p in trainer.G.parameters()), sum(p.numel() for p in trainer.D.parameters())
            print(f"run {run} on {device}: G {n[0]:,} params, D {n[1]:,} params, "
                  f"{len(trainer.train_ds):,} train windows, {len(trainer.val_ds):,} val windows")
        return trainer.fit(stop_after=stop_after)
    finally:
        if started_group:
            dist.destroy_process_group()
