"""The adversarial training loop: where a training step happens.

    train(recipe) ─▶ prepare data ─▶ GANTrainer.fit():
        every step   D step (real vs generated, style head on real)  ×  schedule.d_steps
                     G step (adversarial + style + cycle + identity [+ feature matching])
        every N      TensorBoard scalars; evaluation on fixed validation windows (rolls
                     side by side, audio, metrics); checkpoints (atomic, keep_last_n, best)

Targets: each window of style s gets a random other style t (StarGAN-style: one generator
for every pair).  A ``loss.compose_fraction`` share of each batch has empty content and
trains the same generator to compose from noise alone.  The first
``schedule.pretrain_steps`` steps train G as an autoencoder (identity only) before the
adversarial phase.

Reproducible on the CPU: batches come from a (seed, epoch) permutation indexed by the step,
and the checkpoint stores every RNG state, so a resumed run equals an uninterrupted one.
Distributed: under ``torchrun`` each rank takes its slice of every global batch, G and D are
wrapped in DistributedDataParallel, and rank 0 alone logs and writes checkpoints.
"""

from __future__ import annotations

import math
import os
import random
import re
import time
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from stylegen import __version__
from stylegen.checkpoint import load_checkpoint, save_checkpoint
from stylegen.config import Recipe
from stylegen.data.dataset import Corpus, prepare, window_steps
from stylegen.data.roll import RollSpec, canonical_roll
from stylegen.data.windows import WindowDataset, collate_windows
from stylegen.errors import StylegenError
from stylegen.models import registry
from stylegen.training import losses
from stylegen.training.logging import TrainLogger, roll_image, side_by_side

CKPT_RE = re.compile(r"step-(\d+)\.pt$")


# --------------------------------------------------------------------------- setup helpers


def pick_device(name: str = "auto", local_rank: int = 0) -> torch.device:
    """'auto' -> CUDA when present, else CPU."""
    if name == "auto":
        return torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise StylegenError(f"device {name!r} asked for, but CUDA is not available on this machine")
    return torch.device(name)


def model_configs(recipe: Recipe, spec: RollSpec, n_styles: int) -> dict[str, dict]:
    """Constructor kwargs (with the registry name) that rebuild each model from a checkpoint."""
    g, d = recipe.model.generator, recipe.model.discriminator
    dims = {"n_pitches": spec.n_pitches, "n_styles": n_styles, "n_channels": spec.n_channels}
    return {
        "generator": {"name": g.name, **dims, "hidden_size": g.hidden_size, "num_layers": g.num_layers,
                      "style_dim": g.style_dim, "noise_dim": g.noise_dim, "content_dim": g.content_dim,
                      "dropout": g.dropout},
        "discriminator": {"name": d.name, **dims, "channels": d.channels, "style_head": d.style_head,
                          "spectral_norm": d.spectral_norm, "input_noise": d.input_noise},
    }


def _build(cfg: dict, kind: str) -> torch.nn.Module:
    cfg = dict(cfg)
    return registry.build(kind, cfg.pop("name"), **cfg)


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

    def batch(self, step: int) -> dict:
        epoch, k = divmod(step, self.per_epoch)
        if epoch != self._perm_epoch:
            g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._perm = torch.randperm(len(self.ds), generator=g)
            self._perm_epoch = epoch
            self.ds.set_epoch(epoch)
        lo = k * self.global_batch + self.rank * self.B
        idx = self._perm[lo: lo + self.B].tolist()
        return collate_windows([self.ds[i] for i in idx])


# --------------------------------------------------------------------------- the trainer


@dataclass
class StepResult:
    values: dict[str, float]


class GANTrainer:
    def __init__(self, recipe: Recipe, corpus: Corpus, device: torch.device, run_dir: Path | None,
                 rank: int = 0, world: int = 1, progress: bool = True):
        self.recipe, self.corpus, self.device = recipe, corpus, device
        self.rank, self.world, self.run_dir = rank, world, run_dir
        self.is_main = rank == 0
        self.progress = progress and self.is_main and recipe.logging.progress
        self.spec = corpus.spec
        self.styles = corpus.styles
        self.n_styles = len(self.styles)
        seed_everything(recipe.seed)

        # each item is context_bars of warm-up for G followed by the window that is judged:
        # G never gets credit for what it writes right after a zero state (it learned to put
        # a "style signature" there when whole windows were judged), as at inference, where
        # every kept step has at least half a window of context
        d = recipe.data
        self.ctx = window_steps(d.context_bars, self.spec.resolution)  # warm-up steps, not judged
        self.train_ds = WindowDataset(corpus, "train", d.window_bars + d.context_bars, d.hop_bars, d.transpose,
                                      recipe.seed)
        self.val_ds = WindowDataset(corpus, "val", d.window_bars + d.context_bars, d.hop_bars, 0, recipe.seed)
        self.stream = BatchStream(self.train_ds, recipe.schedule.batch_size, recipe.seed, rank, world)

        self.model_config = model_configs(recipe, self.spec, self.n_styles)
        self.G = _build(self.model_config["generator"], "generator").to(device)
        self.D = _build(self.model_config["discriminator"], "discriminator").to(device)
        o = recipe.optim
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=o.lr_g, betas=o.betas, weight_decay=o.weight_decay)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=o.lr_d, betas=o.betas, weight_decay=o.weight_decay)
        self.G_ddp, self.D_ddp = self.G, self.D
        if world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [device.index] if device.type == "cuda" else None
            self.G_ddp = DDP(self.G, device_ids=ids)
            self.D_ddp = DDP(self.D, device_ids=ids)
        self.amp = device.type == "cuda"
        self.step = 0
        self.best: float | None = None
        self.history: list[str] = []  # checkpoint paths, oldest first
        self.last_metrics: dict[str, float] = {}
        self.eval_fn: Callable | None = None
        self._eval_windows = self._pick_eval_windows()

    # ------------------------------------------------------------ state

    def state(self) -> dict:
        return {
            "kind": "gan",
            "recipe": self.recipe.to_dict(),
            "spec": self.spec.to_dict(),
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

    def _targets(self, src: torch.Tensor) -> torch.Tensor:
        """A random style other than the source for each window (any style if only one)."""
        if self.n_styles == 1:
            return src.clone()
        off = torch.randint(1, self.n_styles, src.shape)
        return (src.cpu() + off) % self.n_styles

    def _autocast(self):
        return torch.autocast("cuda", dtype=torch.bfloat16) if self.amp else torch.autocast("cpu", enabled=False)

    def train_step(self, batch: dict) -> dict[str, float]:
        r, cfg = self.recipe, self.recipe.loss
        c0 = self.ctx  # G sees [0, ctx + T); losses and D judge [ctx, ctx + T)
        x_full = batch["roll"].to(self.device)  # (B, C, ctx + T, P)
        x = x_full[:, :, c0:]  # (B, C, T, P)
        src = batch["style"].to(self.device)  # (B,)
        B = x.shape[0]
        tgt = self._targets(batch["style"]).to(self.device)  # (B,)
        n_compose = int(round(cfg.compose_fraction * B))
        content = x_full.clone()
        if n_compose:
            content[:n_compose] = 0.0  # these windows are composed from noise alone
        pretrain = self.step < r.schedule.pretrain_steps
        out: dict[str, float] = {}

        # ---- generate once: content -> target style (these windows serve both updates)
        with self._autocast():
            if pretrain:
                fake_logits = None
            else:
                fake_full, _ = self.G_ddp(content, tgt)  # (B, C, ctx + T, P)
                fake_logits = fake_full[:, :, c0:]  # (B, C, T, P): the judged part

        # ---- D step(s): real windows with their style vs the generated ones with their target
        if not pretrain:
            fake_hard = canonical_roll((fake_logits.detach().float() > 0).float())  # as a MIDI file holds it
            for _ in range(r.schedule.d_steps):
                with self._autocast():
                    both = self.D_ddp(torch.cat([x, fake_hard]), torch.cat([src, tgt]))  # one pass, 2B windows
                    d_real_adv, d_fake_adv = both["adv"].float().split(B)
                    real_style = both["style_logits"][:B].float()
                    loss_adv = losses.d_loss(d_real_adv, d_fake_adv, cfg.adversarial)
                    loss_cls = F.cross_entropy(real_style, src)
                    loss_d = loss_adv + cfg.style_weight * loss_cls
                    if cfg.style_fake_weight > 0 and n_compose < B:
                        # the style head also learns to see the *source* style left in a
                        # transferred window, so G must remove it, not just fool the head
                        fake_style = both["style_logits"][B + n_compose:].float()
                        loss_cls_fake = F.cross_entropy(fake_style, src[n_compose:])
                        loss_d = loss_d + cfg.style_weight * cfg.style_fake_weight * loss_cls_fake
                        out["loss/d_style_fake"] = loss_cls_fake.item()
                        out["d/source_acc_fake"] = (fake_style.argmax(1) == src[n_compose:]).float().mean().item()
                self.opt_d.zero_grad(set_to_none=True)
                loss_d.backward()
                gn_d = torch.nn.utils.clip_grad_norm_(self.D.parameters(), r.optim.grad_clip)
                self.opt_d.step()
            out.update({"loss/d": loss_d.item(), "loss/d_adv": loss_adv.item(), "loss/d_style": loss_cls.item(),
                        "d/real": d_real_adv.mean().item(), "d/fake": d_fake_adv.mean().item(),
                        "d/style_acc_real": (real_style.argmax(1) == src).float().mean().item(),
                        "grad_norm/d": float(gn_d)})

        # ---- G step: fool the updated D, be recognised as the target, keep the content
        for p in self.D.parameters():
            p.requires_grad_(False)
        with self._autocast():
            loss_g = x.new_zeros(())
            ident_logits, _ = self.G_ddp(x_full[n_compose:], src[n_compose:])  # x -> own style ~ x
            loss_id = losses.reconstruction(ident_logits[:, :, c0:].float(), x[n_compose:], cfg.onset_pos_weight)
            loss_g = loss_g + (cfg.identity_weight if not pretrain else 1.0) * loss_id
            out["loss/identity"] = loss_id.item()
            if not pretrain:
                fake = canonical_roll(losses.straight_through(fake_logits.float()))
                d_fake = self.D(fake, tgt)  # the plain module: D's weights are frozen here
                loss_adv = losses.g_loss(d_fake["adv"].float(), cfg.adversarial)
                loss_style = F.cross_entropy(d_fake["style_logits"].float(), tgt)
                loss_g = loss_g + cfg.adversarial_weight * loss_adv + cfg.style_weight * loss_style
                out.update({"loss/g_adv": loss_adv.item(), "loss/g_style": loss_style.item(),
                            "g/style_acc_fake": (d_fake["style_logits"].argmax(1) == tgt).float().mean().item(),
                            "g/density": fake[:, 1].detach().mean().item()})
                if cfg.cycle_weight > 0 and n_compose < B:
                    fake_all = canonical_roll(losses.straight_through(fake_full[n_compose:].float()))
                    back, _ = self.G_ddp(fake_all, src[n_compose:])  # x -> t -> s ~ x
                    loss_cyc = losses.reconstruction(back[:, :, c0:].float(), x[n_compose:], cfg.onset_pos_weight)
                    loss_g = loss_g + cfg.cycle_weight * loss_cyc
                    out["loss/cycle"] = loss_cyc.item()
                if cfg.feature_matching_weight > 0:
                    with torch.no_grad():
                        real_feats = self.D(x, src)["features"]
                    loss_fm = losses.feature_matching(real_feats, d_fake["features"])
                    loss_g = loss_g + cfg.feature_matching_weight * loss_fm
                    out["loss/feature_matching"] = loss_fm.item()
        for p in self.D.parameters():
            p.requires_grad_(True)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        gn_g = torch.nn.utils.clip_grad_norm_(self.G.parameters(), r.optim.grad_clip)
        self.opt_g.step()
        out.update({"loss/g": loss_g.item(), "grad_norm/g": float(gn_g)})
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
        """Transfer the fixed validation windows to every other style; metrics + images."""
        if not self._eval_windows:
            return {}
        self.G.eval()
        batch = collate_windows([self.val_ds[i] for i in self._eval_windows])
        x_full, src = batch["roll"].to(self.device), batch["style"].to(self.device)
        x = x_full[:, :, self.ctx:]  # the judged part, after the warm-up context
        gen = torch.Generator(device=self.device).manual_seed(self.recipe.seed + 1)
        metrics: dict[str, float] = {}
        ident, _ = self.G(x_full, src, generator=gen)
        metrics["val/identity_bce"] = losses.reconstruction(ident[:, :, self.ctx:], x,
                                                            self.recipe.loss.onset_pos_weight).item()
        outputs, targets, inputs, sources = [], [], [], []
        for shift in range(1, max(2, self.n_styles)):
            tgt = (src + shift) % self.n_styles
            logits, _ = self.G(x_full, tgt, generator=gen)
            outputs.append(canonical_roll((torch.sigmoid(logits[:, :, self.ctx:]) > 0.5).float()))
            targets.append(tgt)
            inputs.append(x)
            sources.append(src)
        y = torch.cat(outputs)
        t = torch.cat(targets)
        xin = torch.cat(inputs)
        self.D.eval()
        metrics["val/d_style_acc"] = (self.D(y, t)["style_logits"].argmax(1) == t).float().mean().item()
        self.D.train()
        if self.eval_fn is not None:
            try:
                metrics.update(self.eval_fn(xin, y, torch.cat(sources), t))
            except Exception as e:  # a metrics bug must not end an hour-long run: say it, go on
                warnings.warn(f"step {self.step}: evaluation metrics failed: {type(e).__name__}: {e}", stacklevel=1)
        metrics["val/density_ratio"] = (y[:, 1].mean() / xin[:, 1].mean().clamp_min(1e-6)).item()
        if "val/score" not in metrics:
            metrics["val/score"] = metrics["val/d_style_acc"] - metrics["val/identity_bce"]
        self.G.train()
        self._last_eval = (x, src, outputs, targets)
        return metrics

    def log_eval_media(self, logger: TrainLogger) -> None:
        x, src, outputs, targets = self._last_eval
        for j in range(min(4, x.shape[0])):
            imgs = [roll_image(x[j])] + [roll_image(o[j]) for o in outputs]
            names = [self.styles[int(src[j])]] + [self.styles[int(t[j])] for t in targets]
            logger.image(f"rolls/{j}_{'_to_'.join(names)}", side_by_side(imgs), self.step)
        if self.recipe.logging.audio:
            try:
                self._log_audio(logger, x, src, outputs, targets)
            except Exception as e:  # audio is a convenience; training goes on without it
                warnings.warn(f"step {self.step}: audio for TensorBoard failed: {type(e).__name__}: {e}", stacklevel=1)

    def _log_audio(self, logger, x, src, outputs, targets) -> None:
        try:
            from stylegen.audio.render import render_for_tensorboard
        except ImportError:
            return
        from stylegen.data.roll import roll_to_score

        sr = 16000
        for j in range(min(2, x.shape[0])):
            pairs = [("input", x[j])] + [(f"to_{self.styles[int(t[j])]}", o[j]) for o, t in zip(outputs, targets)]
            for name, roll in pairs:
                score = roll_to_score(roll.cpu(), self.spec)
                if len(score.notes):
                    logger.audio(f"audio/{j}_{name}", render_for_tensorboard(score, sample_rate=sr), self.step, sr)

    # ------------------------------------------------------------ checkpoints

    def save(self, metrics: dict[str, float] | None = None) -> Path | None:
        if not self.is_main or self.run_dir is None:
            return None
        ckpt_dir = self.run_dir / "checkpoints"
        path = save_checkpoint(ckpt_dir / f"step-{self.step:07d}.pt", self.state())
        self.history.append(str(path))
        keep = self.recipe.checkpoint.keep_last_n
        existing = sorted(ckpt_dir.glob("step-*.pt"))
        for old in existing[:-keep]:
            old.unlink(missing_ok=True)
        return path

    def maybe_save_best(self, metrics: dict[str, float]) -> None:
        key, mode = self.recipe.checkpoint.best_metric, self.recipe.checkpoint.best_mode
        if not self.is_main or self.run_dir is None or key not in metrics:
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
            from tqdm import tqdm

            bar = tqdm(total=total, initial=self.step, desc="train", unit="step", dynamic_ncols=True)
        last_good = None
        t_last, s_last = time.perf_counter(), self.step
        self.G.train()
        self.D.train()
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
                    values["speed/windows_per_s"] = values["speed/steps_per_s"] * r.schedule.batch_size * self.world
                    values["lr/g"] = self.opt_g.param_groups[0]["lr"]
                    values["lr/d"] = self.opt_d.param_groups[0]["lr"]
                    t_last, s_last = now, self.step
                    logger.scalars(values, self.step)
                if bar:
                    bar.update(1)
                    bar.set_postfix({k.split("/")[-1]: f"{v:.3g}" for k, v in values.items()
                                     if k in ("loss/d", "loss/g", "loss/identity", "loss/cycle")})
                if self.step % r.schedule.eval_every == 0 or self.step == total:
                    if self.is_main:
                        metrics = self.evaluate()
                        self.last_metrics = metrics
                        logger.scalars(metrics, self.step)
                        if metrics:
                            self.log_eval_media(logger)
                            self.maybe_save_best(metrics)
                if self.step % r.checkpoint.every == 0 or self.step == total:
                    path = self.save()
                    last_good = path or last_good
                if stop_after is not None and self.step >= stop_after:
                    break
            if self.step >= total and self.is_main:
                flat = {f"{sec}.{k}": v for sec in ("model.generator", "loss", "optim", "schedule")
                        for k, v in _section(r, sec).items()}
                logger.hparams(flat, {k.replace("/", "_"): v for k, v in self.last_metrics.items()})
        finally:
            if bar:
                bar.close()
            logger.close()
        return last_good


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
    """Train the recipe's GAN; returns the last checkpoint written (rank 0).

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
        trainer = GANTrainer(recipe, corpus, device, run if rank == 0 else None, rank, world, progress)
        _attach_metrics(trainer)
        if ckpt_path is not None:
            trainer.load_state(load_checkpoint(ckpt_path, kind="gan"), str(ckpt_path))
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


def _attach_metrics(trainer: GANTrainer) -> None:
    """Use the evaluation package's window metrics during training when it is installed."""
    try:
        from stylegen.metrics.training import make_eval_fn
    except ImportError:
        return
    trainer.eval_fn = make_eval_fn(trainer)
