"""Writing an Evaluation down: report.json, report.md, PNG plots and TensorBoard.

    write_report(ev, out_dir, logdir=None, step=0) -> {"json": path, "md": path, "plots": [paths]}

report.md opens with one table a person reads at a glance (rows: output, identity, real
target; columns: strength, content and a musicality summary), then the muspy metrics one by
one, the sample (what was scored, what was skipped and why), and every pair.  Plots use
matplotlib's Agg backend; the same scalars, figures and piano-roll images go to TensorBoard.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from stylegen.data.score import Score, to_grid
from stylegen.fileio import atomic_path
from stylegen.evaluation.evaluate import Evaluation
from stylegen.metrics.musicality import METRICS as MUS_METRICS
from stylegen.metrics.preservation import bar_edges

# (metric key without the row prefix, column title, format)
SUMMARY_COLUMNS = [
    ("strength/target_share", "target share", "pct"),
    ("strength/target_prob", "target prob", "f3"),
    ("feature_judge/target_share", "target share, feature judge", "pct"),
    ("strength/S", "S (Brunner)", "pct"),
    ("strength/S_window", "S per window", "pct"),
    ("content/chroma", "bar chroma", "f3"),
    ("content/onset_f1", "onset F1", "f3"),
    ("content/onset_pc_f1", "onset+pc F1", "f3"),
    ("content/contour", "top-voice r", "f3"),
    ("content/melody_recall", "melody recall", "f3"),
    ("content/length_match", "length match", "pct"),
    ("realism/fd", "realism FD", "f2"),
    ("realism/auc", "two-sample AUC", "f3"),
    ("realism/giveaway_over_0.5", "features > 0.5 SD off", "int"),
    ("musicality/overlap_mean", "musicality overlap", "f3"),
    ("selection", "selection score", "f3"),
]
ROW_ORDER = ("output", "identity", "rule", "real")
GIVEAWAY_ROWS = 15  # rows of the give-away table in report.md


def _sd(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return f"{v:+.2f}"


def giveaway_markdown(ev: Evaluation, top: int = GIVEAWAY_ROWS) -> str:
    """The "what gives it away" table (its ``top`` rows) with a line saying how to read it;
    "" when the evaluation has none."""
    if not ev.giveaway:
        return ""
    has_copy = "identity" in ev.giveaway[0]
    head = ["feature", "output", f"real {ev.target} (floor)"] + (["identity (copy)"] if has_copy else [])
    rows = [[f"{r['label']} (`{r['feature']}`)", _sd(r["output"]), _sd(r["real"])]
            + ([_sd(r["identity"])] if has_copy else []) for r in ev.giveaway[:top]]
    n_over = ev.metrics.get("output/realism/giveaway_over_0.5")
    real_max = ev.metrics.get("real/realism/giveaway_max")
    lead = (f"Each realism feature's mean over the outputs' 4-bar windows, minus its mean over the real "
            f"{ev.target} reference windows, in standard deviations of those windows (+ = more than real "
            f"music), largest first; the top {min(top, len(ev.giveaway))} of {len(ev.giveaway)}. "
            f"The real row is held-out real {ev.target} pieces measured the same way: the noise floor"
            + (f" (at most {fmt(real_max, 'f2')} SD on any feature)" if real_max is not None else "")
            + "; the identity row is the inputs unchanged. "
            + (f"The outputs are beyond 0.5 SD on {fmt(n_over, 'int')} features. " if n_over is not None else "")
            + "Feature definitions: docs/metrics.md (Realism).")
    return "\n".join([lead, "", _table(head, rows)])


def judge_line(ev: Evaluation) -> str:
    """One sentence on the feature judge: what it was trained on and its held-out accuracy."""
    info = ev.meta.get("feature_judge")
    if not info:
        return ""
    acc = info.get("heldout_accuracy", {})
    per = ", ".join(f"{s} {fmt(acc[s], 'pct')}" for s in info.get("train_windows", {}) if s in acc)
    n_win = sum(info.get("train_windows", {}).values())
    return (f"Feature judge (the second judge of style: a logistic regression on the 60 realism features, "
            f"trained on {n_win} windows of real pieces of the train split of recipe {info.get('recipe', '?')!r}, "
            f"styles {', '.join(info.get('train_windows', {}))}; docs/metrics.md): held-out accuracy per piece "
            f"{fmt(acc.get('mean'), 'pct')} on {fmt(acc.get('pieces'), 'int')} real val pieces ({per}).")


def fmt(v, kind: str = "f3") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "int":
        return f"{int(v)}"
    if kind == "f2":
        return f"{v:.2f}"
    return f"{v:.3f}"


def _row_titles(ev: Evaluation) -> dict[str, str]:
    return {"output": f"**output** ({ev.source or '?'} → {ev.target})" if ev.source else "**output**",
            "identity": "identity (output = input)", "rule": "rule (melody + block chords)",
            "real": f"real {ev.target}"}


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def format_markdown(ev: Evaluation, plots: list[str] | None = None) -> str:
    m = ev.metrics
    cols = [c for c in SUMMARY_COLUMNS if any(f"{r}/{c[0]}" in m for r in ROW_ORDER)]
    titles = _row_titles(ev)
    rows = []
    for r in ROW_ORDER:
        if not any(k.startswith(r + "/") for k in m):
            continue
        rows.append([titles[r]] + [fmt(m.get(f"{r}/{key}"), kind) for key, _, kind in cols])
    direction = f"{ev.source} → {ev.target}" if ev.source else f"→ {ev.target}"
    out = [f"# Evaluation: {direction}", ""]
    c = ev.counts
    out.append(f"{c.get('pairs', 0)} pairs scored; {c.get('real_target', 0)} real {ev.target} pieces for context. "
               f"Classifier: `{ev.meta.get('classifier', '')}` (styles: {', '.join(ev.meta.get('classifier_styles', []))}).")
    out += ["", "## At a glance", "", _table(["row"] + [t for _, t, _ in cols], rows), ""]
    if "pair/S_tot" in m:
        out += [f"**S_tot** of the pair {ev.source} ↔ {ev.target} (Brunner et al.; published pop↔classical "
                f"58.1%): **{fmt(m['pair/S_tot'], 'pct')}** (S {ev.source}→{ev.target}→{ev.source} "
                f"{fmt(m.get('output/strength/S'), 'pct')}, S {ev.target}→{ev.source}→{ev.target} "
                f"{fmt(m.get('pair/S_reverse'), 'pct')}).", ""]
    out += [
        "Strength: *target share* = share of pieces whose mean window probability is highest for the target; "
        "*S* = Brunner et al.'s strength from the source-style shares (0 = unchanged, 1 = complete; "
        "published pop↔classical: 58.1%), per piece and per 4-bar window; the same share by a second judge "
        "of another kind, the *feature judge* (a classifier on the realism features, trained on real pieces "
        "only). "
        "Content: bar chroma cosine, onset F1 on the grid (time; time + pitch class), top-voice correlation, "
        "melody recall (share of the input's melody notes played at the same onset and pitch), "
        f"length within a beat; in the real {ev.target} row, content compares each input with an unrelated "
        f"real {ev.target} piece (the floor). "
        f"Realism: Fréchet distance of 4-bar window descriptors to real {ev.target} pieces (0 = same "
        "distribution) and the grouped two-sample AUC of a classifier telling the windows from real ones "
        f"(0.5 = indistinguishable, 1 = always told apart); the real row compares half the real pieces "
        "with the other half (the floor); *features > 0.5 SD off*: how many of the 60 window features have "
        f"a mean further than half a standard deviation from real {ev.target} windows (the table below). "
        "Musicality overlap: mean over muspy metrics of the KDE overlap with the real "
        f"{ev.target} pieces (1 = same distribution). "
        "Selection score: 0.5 p(target) + 0.25 melody recall + 0.25 realism gain over the copy, "
        "minus 1 when the row is less realistic than the copy or keeps under half the melody. "
        "See docs/metrics.md.", ""]
    if judge_line(ev):
        out += [judge_line(ev), ""]
    if ev.giveaway:
        out += ["## What gives it away", "", giveaway_markdown(ev), ""]
    if "output/musicality/overlap_mean" in m:
        head = ["muspy metric", "input", "output", f"real {ev.target}", "overlap output~real",
                "overlap input~real", "NaN in/out/real"]
        mrows = []
        for name in MUS_METRICS:
            k = f"musicality/{name}"
            nans = "/".join(fmt(m.get(f"{r}/{k}/nan"), "int") for r in ("identity", "output", "real"))
            mrows.append([name, fmt(m.get(f"identity/{k}")), fmt(m.get(f"output/{k}")), fmt(m.get(f"real/{k}")),
                          fmt(m.get(f"output/{k}/overlap")), fmt(m.get(f"identity/{k}/overlap")), nans])
        out += ["## Musicality (muspy, mean over pieces; NaN values counted, not averaged)", "",
                _table(head, mrows), "",
                "Skipped: " + ", ".join(f"{k} ({v})" for k, v in ev.meta.get("skipped_musicality_metrics", {}).items())
                + ".", ""]
    if ev.meta.get("seconds"):
        out += ["Time per measure (s): " + ", ".join(f"{k} {v:.1f}" for k, v in ev.meta["seconds"].items()) + ".", ""]
    out += ["## Sample", ""]
    for k, v in ev.counts.items():
        out.append(f"- {k.replace('_', ' ')}: {v}")
    if ev.notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in ev.notes]
    if plots:
        out += ["", "## Plots", ""] + [f"![{Path(p).stem}]({p})" for p in plots]
    if ev.pieces:
        head = ["piece", "input style", "output style", "p(target) in", "p(target) out", "chroma", "onset F1",
                "contour", "melody recall", "beats in", "beats out"]
        prow = [[p["name"], p["input_style"], p["output_style"], fmt(p["input_p_target"]), fmt(p["output_p_target"]),
                 fmt(p["chroma"]), fmt(p["onset_f1"]), fmt(p["contour"]), fmt(p.get("melody_recall")),
                 f"{p['input_beats']:g}", f"{p['output_beats']:g}"] for p in ev.pieces]
        out += ["", "## Every pair", "", _table(head, prow)]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- plots


def _plt():
    import matplotlib  # heavy, and only a report with plots needs it

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt  # after the backend is chosen

    return plt


COLORS = {"input": "#7f7f7f", "output": "#d62728", "real": "#1f77b4"}


def _hist(ax, values: dict[str, list[float]], title: str) -> None:
    finite = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
    finite = {k: v[np.isfinite(v)] for k, v in finite.items()}
    allv = np.concatenate([v for v in finite.values() if len(v)]) if any(len(v) for v in finite.values()) else None
    if allv is None:
        ax.text(0.5, 0.5, "undefined", ha="center", va="center", transform=ax.transAxes)
    else:
        lo, hi = float(allv.min()), float(allv.max())
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        bins = np.linspace(lo, hi, 21)
        for k, v in finite.items():
            if len(v):
                ax.hist(v, bins=bins, density=True, histtype="step", linewidth=1.6, color=COLORS.get(k),
                        linestyle="--" if k == "input" else "-", label=f"{k} (n={len(v)})")
        ax.legend(fontsize=6)
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=6)


def distribution_figures(ev: Evaluation) -> dict[str, object]:
    """name -> matplotlib Figure: strength, content and musicality distributions."""
    plt = _plt()
    figs = {}
    groups = [g for g in ("input", "output", "real") if ev.values.get(g, {}).get("strength/target_prob")]
    fig, ax = plt.subplots(figsize=(4.5, 3))
    _hist(ax, {g: ev.values[g]["strength/target_prob"] for g in groups}, f"p({ev.target}) per piece")
    fig.tight_layout()
    figs["strength"] = fig
    fig, axes = plt.subplots(1, 3, figsize=(10, 3))
    for ax, k in zip(axes, ("chroma", "onset_f1", "contour")):
        _hist(ax, {"output": ev.values["output"].get(f"content/{k}", [])}, f"{k} (output vs input)")
    fig.tight_layout()
    figs["content"] = fig
    mus = [m for m in MUS_METRICS if f"musicality/{m}" in ev.values.get("output", {})]
    if mus:
        ncol = 4
        nrow = math.ceil(len(mus) / ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.4 * nrow))
        axes = np.atleast_1d(axes).ravel()
        for ax, m in zip(axes, mus):
            key = f"musicality/{m}"
            ov = ev.metrics.get(f"output/{key}/overlap", math.nan)
            _hist(ax, {g: ev.values[g].get(key, []) for g in ("input", "output", "real")},
                  f"{m} (output~real overlap {fmt(ov)})")
        for ax in axes[len(mus):]:
            ax.axis("off")
        fig.tight_layout()
        figs["musicality"] = fig
    return figs


def roll_array(score: Score, beats: int = 32) -> tuple[np.ndarray, int, int]:
    """(P, T) float image of the first ``beats`` beats (sustain 0.5, onset 1) over the sounding
    pitch range, with its lowest pitch and steps per bar."""
    edges = bar_edges(score)
    end = beats * score.resolution
    notes = score.notes
    lo = int(notes[:, 2].min()) if len(notes) else 60
    hi = int(notes[:, 2].max()) if len(notes) else 72
    img = np.zeros((hi - lo + 1, max(end, 1)), dtype=np.float32)
    for on, dur, p, *_ in notes:
        if on >= end:
            continue
        img[p - lo, on: min(end, on + dur)] = np.maximum(img[p - lo, on: min(end, on + dur)], 0.5)
        img[p - lo, on] = 1.0
    bar = int(edges[1] - edges[0]) if len(edges) > 1 else 4 * score.resolution
    return img, lo, bar


def roll_figure(name: str, inp: Score, out: Score, beats: int = 32):
    """Input above output, the first ``beats`` beats, bar lines in white."""
    plt = _plt()
    out = to_grid(out, inp.resolution)
    a, lo_a, bar = roll_array(inp, beats)
    b, lo_b, _ = roll_array(out, beats)
    lo = min(lo_a, lo_b)
    hi = max(lo_a + a.shape[0], lo_b + b.shape[0])
    T = max(a.shape[1], b.shape[1])

    def place(img, low):
        full = np.zeros((hi - lo, T), dtype=np.float32)
        full[low - lo: low - lo + img.shape[0], : img.shape[1]] = img
        return full

    fig, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
    for ax, img, title in ((axes[0], place(a, lo_a), "input"), (axes[1], place(b, lo_b), "output")):
        ax.imshow(img, origin="lower", aspect="auto", cmap="magma", vmin=0, vmax=1,
                  extent=(0, T, lo - 0.5, hi - 0.5), interpolation="nearest")
        for x in range(0, T + 1, max(1, bar)):
            ax.axvline(x, color="white", linewidth=0.4, alpha=0.5)
        ax.set_ylabel("MIDI pitch", fontsize=7)
        ax.set_title(f"{name}: {title}", fontsize=8)
        ax.tick_params(labelsize=6)
    axes[1].set_xlabel("steps", fontsize=7)
    fig.tight_layout()
    return fig


def _fig_to_image(fig) -> np.ndarray:
    """(3, H, W) float image of a rendered figure."""
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba(), dtype=np.float32)[..., :3] / 255.0
    return rgba.transpose(2, 0, 1)


# --------------------------------------------------------------------------- writing


def write_report(ev: Evaluation, out_dir: str | Path, logdir: str | Path | None = None, step: int = 0,
                 tensorboard: bool = True) -> dict:
    """Write report.json, report.md and plots/*.png under ``out_dir``; log to TensorBoard
    under ``logdir`` (default: ``out_dir/tensorboard``)."""
    out_dir = Path(out_dir)
    plot_dir = out_dir / "plots"
    plot_dir.mkdir(parents=True, exist_ok=True)
    plt = _plt()
    figs = distribution_figures(ev)
    rolls = {f"rolls_{_safe(name)}": roll_figure(name, a, b) for name, a, b in ev.examples}
    written = []
    for name, fig in {**figs, **rolls}.items():
        p = plot_dir / f"{name}.png"
        with atomic_path(p) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
        written.append(str(p.relative_to(out_dir)))
    md = format_markdown(ev, written)
    text = json.dumps(ev.to_dict(), indent=1, allow_nan=False)  # fails before anything is written
    with atomic_path(out_dir / "report.md") as tmp:
        tmp.write_text(md, encoding="utf-8")
    with atomic_path(out_dir / "report.json") as tmp:
        tmp.write_text(text, encoding="utf-8")
    tb_dir = None
    if tensorboard:
        from torch.utils.tensorboard import SummaryWriter  # heavy (tensorboard): only when events are written

        tb_dir = Path(logdir) if logdir is not None else out_dir / "tensorboard"
        w = SummaryWriter(str(tb_dir))
        try:
            for k, v in ev.metrics.items():
                if isinstance(v, float) and math.isfinite(v):
                    w.add_scalar(f"eval/{k}", v, step)
            for name, fig in figs.items():
                w.add_figure(f"eval/{name}", fig, step, close=False)
            for name, fig in rolls.items():
                w.add_image(f"eval/{name}", _fig_to_image(fig), step)
            w.add_text("eval/report", md, step)
            if ev.giveaway:
                w.add_text("eval/giveaway", giveaway_markdown(ev, top=len(ev.giveaway)), step)
        finally:
            w.close()
    for fig in list(figs.values()) + list(rolls.values()):
        plt.close(fig)
    return {"json": str(out_dir / "report.json"), "md": str(out_dir / "report.md"),
            "plots": [str(out_dir / p) for p in written], "tensorboard": str(tb_dir) if tb_dir else None}


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80]
