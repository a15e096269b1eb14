"""The one entry point that scores transfers: ``evaluate_pairs``.

    ev = evaluate_pairs(inputs, outputs, target="classical", classifier=load_classifier(),
                        real_target=real_pieces, source="pop")
    ev.metrics        flat {name: float}, e.g. "output/strength/target_share",
                      "identity/content/chroma", "real/musicality/polyphony"
    ev.pieces         one row per pair: name, predicted styles, target probabilities, content
    combined_score(ev.metrics, prefix="output/")   one number to choose a checkpoint by

Rows (the prefix of every metric name):
    output     the outputs, compared with their inputs
    identity   output = input: what "unchanged" scores (strength of the sources, content 1)
    real       real pieces of the target style: what "good" scores (content is undefined:
               they have no input; absent when no real pieces are given)

Groups: ``strength/...`` (metrics/strength.py), ``content/...`` (metrics/content.py, mean
over pairs, with ``.../nan`` the count of pairs where it is undefined), ``musicality/<m>``
(muspy metric means, ``/nan`` counts, ``/overlap`` the KDE overlap with the real target
pieces' distribution), and ``counts/...``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from stylegen.data.midi import Score
from stylegen.errors import StylegenError
from stylegen.metrics import content as content_m
from stylegen.metrics import musicality as mus
from stylegen.metrics.strength import strength_metrics

ROWS = ("output", "identity", "real")
CONTENT = ("chroma", "onset_f1", "onset_pc_f1", "contour", "length_match")


@dataclass
class Evaluation:
    target: str
    source: str | None
    metrics: dict[str, float]  # the flat dict: "<row>/<group>/<name>"
    pieces: list[dict]  # one row per (input, output) pair
    values: dict[str, dict[str, list[float]]]  # "input"/"output"/"real" -> metric -> per-piece values
    counts: dict[str, int]  # how many pieces of each kind were scored or skipped
    notes: list[str] = field(default_factory=list)  # remarks a reader needs (skips, missing rows)
    meta: dict = field(default_factory=dict)  # classifier, styles, command
    examples: list[tuple[str, Score, Score]] = field(default_factory=list)  # a few pairs to draw

    def to_dict(self) -> dict:
        return {"target": self.target, "source": self.source, "metrics": _json_floats(self.metrics),
                "counts": self.counts, "notes": self.notes, "meta": self.meta,
                "pieces": [_json_floats(p) for p in self.pieces],
                "values": {k: {m: _json_list(v) for m, v in d.items()} for k, d in self.values.items()}}


def _json_float(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None  # JSON has no NaN: null is "undefined"
    return v


def _json_floats(d: dict) -> dict:
    return {k: _json_float(v) for k, v in d.items()}


def _json_list(v: list) -> list:
    return [_json_float(float(x)) for x in v]


def _mean_count(values: list[float]) -> tuple[float, float]:
    v = np.asarray(values, dtype=np.float64)
    ok = v[np.isfinite(v)]
    return (float(ok.mean()) if len(ok) else math.nan), float(len(v) - len(ok))


class _Progress:
    def __init__(self, total: int, enabled: bool, desc: str):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="piece", dynamic_ncols=True, leave=False)

    def stage(self, name: str) -> Callable[[int], None] | None:
        if self.bar is None:
            return None
        self.bar.set_description(name)
        return self.bar.update

    def close(self):
        if self.bar is not None:
            self.bar.close()


def evaluate_pairs(inputs: list[Score], outputs: list[Score], target: str, classifier,
                   real_target: list[Score] | None = None, source: str | None = None,
                   cycles: list[Score] | None = None, names: list[str] | None = None,
                   musicality: bool = True, progress: bool = False, n_examples: int = 4,
                   counts: dict[str, int] | None = None, notes: list[str] | None = None) -> Evaluation:
    """Score (input, output) pairs transferred to ``target``.

    ``classifier`` is a StyleClassifier (metrics/classifier.py) that knows ``target`` (and
    ``source`` when given).  ``cycles`` are the outputs transferred back to ``source``
    (for Brunner et al.'s S with the way back).  ``real_target`` are real pieces of the
    target style for the context row and the musicality overlap.  ``counts`` and
    ``notes`` from the caller (unpaired or unreadable files) are carried into the report.
    """
    if len(inputs) != len(outputs):
        raise StylegenError(f"{len(inputs)} inputs but {len(outputs)} outputs: pairs must match one to one")
    if not inputs:
        raise StylegenError("nothing to evaluate: no (input, output) pairs")
    if cycles is not None and len(cycles) != len(inputs):
        raise StylegenError(f"{len(cycles)} transfers back for {len(inputs)} pairs")
    if source is not None and source == target:
        raise StylegenError(f"source and target are both {target!r}")
    t = classifier.index(target)
    s = classifier.index(source) if source is not None else None
    names = list(names) if names is not None else [f"piece{i:04d}" for i in range(len(inputs))]
    real = list(real_target or [])
    counts = dict(counts or {})
    notes = list(notes or [])
    counts["pairs"] = len(inputs)
    counts["real_target"] = len(real)
    counts["empty_outputs"] = int(sum(len(o.notes) == 0 for o in outputs))
    if counts["empty_outputs"]:
        notes.append(f"{counts['empty_outputs']} output(s) have no notes: they are scored (content 0 where the "
                     "input plays, unclassifiable for strength), not dropped")
    if not real:
        notes.append("no real target pieces: the 'real' row and the musicality overlaps are undefined "
                     "(give --real DIR or --recipe R.yaml)")

    n_cls = len(inputs) + len(outputs) + (len(cycles) if cycles else 0) + len(real)
    n_mus = (len(inputs) + len(outputs) + len(real)) if musicality else 0
    bar = _Progress(n_cls + len(inputs) + n_mus, progress, "evaluate")
    try:
        # ---------------------------------------------------------------- strength
        p_in, w_in = classifier.classify(inputs, bar.stage("classify inputs"), return_windows=True)
        p_out, w_out = classifier.classify(outputs, bar.stage("classify outputs"), return_windows=True)
        p_cyc = w_cyc = None
        if cycles is not None:
            p_cyc, w_cyc = classifier.classify(cycles, bar.stage("classify transfers back"), return_windows=True)
        p_real = classifier.classify(real, bar.stage("classify real target")) if real else None

        metrics: dict[str, float] = {}

        def put(row: str, group: str, d: dict[str, float]) -> None:
            for k, v in d.items():
                metrics[f"{row}/{group}/{k}"] = float(v)

        put("output", "strength", strength_metrics(p_out, t, p_in, s, p_cyc, (w_in, w_out, w_cyc)))
        # identity: the output is the input, and so is the way back
        put("identity", "strength", strength_metrics(p_in, t, p_in, s, p_in if cycles is not None else None,
                                                      (w_in, w_in, w_in if cycles is not None else None)))
        if p_real is not None:
            put("real", "strength", strength_metrics(p_real, t))

        # ---------------------------------------------------------------- content
        step = bar.stage("content")
        rows = []
        per_pair: dict[str, list[float]] = {k: [] for k in CONTENT}
        per_ident: dict[str, list[float]] = {k: [] for k in CONTENT}
        for i, (a, b) in enumerate(zip(inputs, outputs)):
            c = content_m.content_metrics(a, b)
            ci = content_m.content_metrics(a, a)
            for k in CONTENT:
                per_pair[k].append(c[k])
                per_ident[k].append(ci[k])
            rows.append({
                "name": names[i],
                "input_style": _argmax_name(p_in[i], classifier.styles),
                "output_style": _argmax_name(p_out[i], classifier.styles),
                "input_p_target": float(p_in[i, t]),
                "output_p_target": float(p_out[i, t]),
                **({"cycle_p_source": float(p_cyc[i, s])} if p_cyc is not None and s is not None else {}),
                **{k: c[k] for k in CONTENT},
                "input_beats": content_m.length_beats(a),
                "output_beats": content_m.length_beats(b),
            })
            if step:
                step(1)
        for k in CONTENT:
            for row, vals in (("output", per_pair[k]), ("identity", per_ident[k])):
                mean, nan = _mean_count(vals)
                metrics[f"{row}/content/{k}"] = mean
                metrics[f"{row}/content/{k}/nan"] = nan
            if real:
                metrics[f"real/content/{k}"] = math.nan  # no input to compare with
        metrics["output/content/length_diff_beats"] = _mean_count([r["output_beats"] - r["input_beats"]
                                                                   for r in rows])[0]

        # ---------------------------------------------------------------- musicality
        values: dict[str, dict[str, list[float]]] = {"input": {}, "output": {}, "real": {}}
        values["input"]["strength/target_prob"] = p_in[:, t].tolist()
        values["output"]["strength/target_prob"] = p_out[:, t].tolist()
        if p_real is not None:
            values["real"]["strength/target_prob"] = p_real[:, t].tolist()
        for k in ("chroma", "onset_f1", "contour"):
            values["output"][f"content/{k}"] = per_pair[k]
        if musicality:
            for group, scores in (("input", inputs), ("output", outputs), ("real", real)):
                step = bar.stage(f"musicality ({group})")
                per: dict[str, list[float]] = {m: [] for m in mus.METRICS}
                for sc in scores:
                    for m, v in mus.musicality(sc).items():
                        per[m].append(v)
                    if step:
                        step(1)
                for m in mus.METRICS:
                    values[group][f"musicality/{m}"] = per[m]
            overlaps = {"output": [], "identity": []}
            for m in mus.METRICS:
                key = f"musicality/{m}"
                for row, group in (("output", "output"), ("identity", "input"), ("real", "real")):
                    if row == "real" and not real:
                        continue
                    summ = mus.summarize(values[group][key])
                    metrics[f"{row}/{key}"] = summ["mean"]
                    metrics[f"{row}/{key}/nan"] = summ["nan"]
                for row, group in (("output", "output"), ("identity", "input")):
                    ov = mus.kde_overlap(values[group][key], values["real"].get(key, [])) if real else math.nan
                    metrics[f"{row}/{key}/overlap"] = ov
                    overlaps[row].append(ov)
            for row in ("output", "identity"):
                metrics[f"{row}/musicality/overlap_mean"] = _mean_count(overlaps[row])[0]
            if real:
                metrics["real/musicality/overlap_mean"] = 1.0  # a distribution overlaps itself fully
    finally:
        bar.close()
    for k, v in counts.items():
        metrics[f"counts/{k}"] = float(v)
    meta = {"classifier": getattr(classifier, "path", ""), "classifier_styles": list(classifier.styles),
            "musicality_metrics": list(mus.METRICS) if musicality else [],
            "skipped_musicality_metrics": dict(mus.SKIPPED)}
    examples = [(names[i], inputs[i], outputs[i]) for i in range(min(n_examples, len(inputs)))]
    return Evaluation(target=target, source=source, metrics=metrics, pieces=rows, values=values,
                      counts=counts, notes=notes, meta=meta, examples=examples)


def _argmax_name(p: np.ndarray, styles: list[str]) -> str:
    return styles[int(np.argmax(p))] if np.isfinite(p).all() else "-"
