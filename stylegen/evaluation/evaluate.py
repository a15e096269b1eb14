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
    rule       the rule baseline (stylegen/evaluation/baselines.py: the melody kept, block chords of
               each bar's pitch classes on every beat): what a plain rule scores
    real       real pieces of the target style: what "good" scores for strength, musicality
               and realism (half the real pieces against the other half: the floor), and
               for content what an unrelated real piece scores against the input (the floor
               of onset F1, chroma, melody recall); absent when no real pieces are given

Groups: ``strength/...`` (metrics/strength.py), ``content/...`` (metrics/preservation.py and
metrics/melody.py, mean over pairs, with ``.../nan`` the count of pairs where it is
undefined), ``realism/...`` (metrics/realism.py: ``fd``, ``auc``, ``windows``,
``giveaway_max`` and ``giveaway_over_0.5``: the largest distance of a feature's mean from the
real reference's in its SDs, and how many features lie beyond 0.5 SD), ``feature_judge/...``
(metrics/feature_judge.py, the second judge of style: ``target_share``, ``target_prob``,
``unclassified``),
``selection`` (metrics/selection.py selection_score of the row), ``musicality/<m>``
(muspy metric means, ``/nan`` counts, ``/overlap`` the KDE overlap with the real target
pieces' distribution), and ``counts/...``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from stylegen.data.roll import RollSpec
from stylegen.data.score import Score
from stylegen.errors import StylegenError
from stylegen.evaluation.baselines import rule_baseline
from stylegen.metrics import preservation
from stylegen.metrics import musicality as mus
from stylegen.metrics.melody import melody_recall
from stylegen.metrics.feature_judge import judge_metrics
from stylegen.metrics.realism import piece_descriptors, realism_report
from stylegen.metrics.selection import selection_score
from stylegen.metrics.strength import strength_metrics

ROWS = ("output", "identity", "rule", "real")
CONTENT = ("chroma", "onset_f1", "onset_pc_f1", "contour", "melody_recall", "length_match")


def _content(a: Score, b: Score) -> dict[str, float]:
    c = preservation.content_metrics(a, b)
    c["melody_recall"] = melody_recall(a, b)
    return c


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
    # "what gives it away": per realism feature, the outputs' (and the real and identity rows')
    # mean distance from the real reference windows in their SDs, largest first (realism.giveaway)
    giveaway: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"target": self.target, "source": self.source, "metrics": _json_floats(self.metrics),
                "counts": self.counts, "notes": self.notes, "meta": self.meta,
                "giveaway": [_json_floats(r) for r in self.giveaway],
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
            from tqdm import tqdm  # only where a progress bar is shown

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
                   counts: dict[str, int] | None = None, notes: list[str] | None = None,
                   rule: bool = True, realism: bool = True, feature_judge=None) -> Evaluation:
    """Score (input, output) pairs transferred to ``target``.

    ``classifier`` is a StyleClassifier (metrics/style_classifier.py) that knows ``target`` (and
    ``source`` when given).  ``cycles`` are the outputs transferred back to ``source``
    (for Brunner et al.'s S with the way back).  ``real_target`` are real pieces of the
    target style for the context row, the realism reference and the musicality overlap.
    ``counts`` and ``notes`` from the caller (unpaired or unreadable files) are carried into
    the report.  ``rule`` adds the rule baseline's row; ``realism`` the Fréchet distance,
    two-sample AUC and the give-away table against the real pieces (needs real pieces).
    ``feature_judge`` (a metrics/feature_judge.py FeatureJudge that knows ``target``) adds
    the second judge of style's rows beside the classifier's.
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

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ruled = [rule_baseline(a) for a in inputs] if rule else None
    if rule:
        timings["rule_baseline"] = time.perf_counter() - t0
    systems = {"output": outputs, "identity": inputs, **({"rule": ruled} if rule else {})}
    n_rule = len(inputs) if rule else 0
    n_cls = len(inputs) + len(outputs) + (len(cycles) if cycles else 0) + len(real) + n_rule
    n_mus = (len(inputs) + len(outputs) + len(real) + n_rule) if musicality else 0
    bar = _Progress(n_cls + len(inputs) + n_mus, progress, "evaluate")
    try:
        t0 = time.perf_counter()
        # ---------------------------------------------------------------- strength
        p_in, w_in = classifier.classify(inputs, bar.stage("classify inputs"), return_windows=True)
        p_out, w_out = classifier.classify(outputs, bar.stage("classify outputs"), return_windows=True)
        p_cyc = w_cyc = None
        if cycles is not None:
            p_cyc, w_cyc = classifier.classify(cycles, bar.stage("classify transfers back"), return_windows=True)
        p_real = classifier.classify(real, bar.stage("classify real target")) if real else None
        p_rule = w_rule = None
        if rule:
            p_rule, w_rule = classifier.classify(ruled, bar.stage("classify rule baseline"), return_windows=True)

        metrics: dict[str, float] = {}

        def put(row: str, group: str, d: dict[str, float]) -> None:
            for k, v in d.items():
                metrics[f"{row}/{group}/{k}"] = float(v)

        put("output", "strength", strength_metrics(p_out, t, p_in, s, p_cyc, (w_in, w_out, w_cyc)))
        # identity: the output is the input, and so is the way back
        put("identity", "strength", strength_metrics(p_in, t, p_in, s, p_in if cycles is not None else None,
                                                      (w_in, w_in, w_in if cycles is not None else None)))
        if p_rule is not None:
            put("rule", "strength", strength_metrics(p_rule, t, p_in, s, None, (w_in, w_rule, None)))
        if p_real is not None:
            put("real", "strength", strength_metrics(p_real, t))
        timings["classifier"] = time.perf_counter() - t0

        # ---------------------------------------------------------------- content
        t0 = time.perf_counter()
        step = bar.stage("content")
        rows = []
        per_row: dict[str, dict[str, list[float]]] = {r: {k: [] for k in CONTENT} for r in ROWS}
        per_pair, per_ident = per_row["output"], per_row["identity"]
        for i, (a, b) in enumerate(zip(inputs, outputs)):
            c = _content(a, b)
            ci = _content(a, a)
            others = {}
            if rule:
                others["rule"] = _content(a, ruled[i])
            if real:  # the floor: an unrelated real piece of the target style against this input
                others["real"] = _content(a, real[i % len(real)])
                others["real"]["length_match"] = math.nan
            for k in CONTENT:
                per_pair[k].append(c[k])
                per_ident[k].append(ci[k])
                for r, cr in others.items():
                    per_row[r][k].append(cr[k])
            rows.append({
                "name": names[i],
                "input_style": _argmax_name(p_in[i], classifier.styles),
                "output_style": _argmax_name(p_out[i], classifier.styles),
                "input_p_target": float(p_in[i, t]),
                "output_p_target": float(p_out[i, t]),
                **({"cycle_p_source": float(p_cyc[i, s])} if p_cyc is not None and s is not None else {}),
                **{k: c[k] for k in CONTENT},
                **({"rule_melody_recall": others["rule"]["melody_recall"]} if rule else {}),
                "input_beats": preservation.length_beats(a),
                "output_beats": preservation.length_beats(b),
            })
            if step:
                step(1)
        for k in CONTENT:
            for row in ROWS:
                if not per_row[row][k]:
                    continue
                mean, nan = _mean_count(per_row[row][k])
                metrics[f"{row}/content/{k}"] = mean
                metrics[f"{row}/content/{k}/nan"] = nan
        metrics["output/content/length_diff_beats"] = _mean_count([r["output_beats"] - r["input_beats"]
                                                                   for r in rows])[0]
        timings["content"] = time.perf_counter() - t0

        # ---------------------------------------------------------------- realism
        spec = getattr(classifier, "spec", None) or RollSpec(resolution=inputs[0].resolution)
        descs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        giveaway_rows: list[dict] = []
        if realism and real:
            step = bar.stage("realism")
            rep = realism_report(systems, real, spec)
            metrics.update(rep.metrics)
            giveaway_rows = rep.giveaway
            descs = {("real" if k == "real_all" else k): v for k, v in rep.descriptors.items()
                     if k in systems or k == "real_all"}
            timings.update({f"realism_{k}": v for k, v in rep.timings.items()})
        elif realism:
            notes.append("no real target pieces: realism (Fréchet distance, two-sample AUC) is undefined")

        # ---------------------------------------------------------------- the second judge
        if feature_judge is not None:
            if target not in feature_judge.styles:
                notes.append(f"the feature judge knows {', '.join(feature_judge.styles)}, not {target!r}: "
                             "its rows are left out")
            else:
                t0 = time.perf_counter()
                step = bar.stage("feature judge")
                tj = feature_judge.index(target)
                sets = {**systems, **({"real": real} if real else {})}
                judged = {}
                for row, scores in sets.items():
                    d, g = descs[row] if row in descs else piece_descriptors(scores, spec)
                    judged[row] = feature_judge.piece_probs(d, g, len(scores))
                    put(row, "feature_judge", judge_metrics(judged[row], tj))
                for i, r in enumerate(rows):
                    r["output_judge_style"] = _argmax_name(judged["output"][i], feature_judge.styles)
                    r["output_judge_p_target"] = float(judged["output"][i, tj])
                acc = feature_judge.info.get("heldout_accuracy", {}).get("mean", math.nan)
                metrics["feature_judge/heldout_accuracy"] = float(acc)
                timings["feature_judge"] = time.perf_counter() - t0
                info = feature_judge.info
                if "seconds_train" in info:  # trained before this call, on the recipe's real pieces
                    timings["feature_judge_fit"] = info["seconds_train"] + info.get("seconds_heldout", 0.0)

        # ---------------------------------------------------------------- musicality
        values: dict[str, dict[str, list[float]]] = {"input": {}, "output": {}, "real": {}}
        values["input"]["strength/target_prob"] = p_in[:, t].tolist()
        values["output"]["strength/target_prob"] = p_out[:, t].tolist()
        if p_real is not None:
            values["real"]["strength/target_prob"] = p_real[:, t].tolist()
        for k in ("chroma", "onset_f1", "contour"):
            values["output"][f"content/{k}"] = per_pair[k]
        if musicality:
            t0 = time.perf_counter()
            groups = [("input", inputs), ("output", outputs), ("real", real)] + ([("rule", ruled)] if rule else [])
            values["rule"] = {}
            for group, scores in groups:
                step = bar.stage(f"musicality ({group})")
                per: dict[str, list[float]] = {m: [] for m in mus.METRICS}
                for sc in scores:
                    for m, v in mus.musicality(sc).items():
                        per[m].append(v)
                    if step:
                        step(1)
                for m in mus.METRICS:
                    values[group][f"musicality/{m}"] = per[m]
            compared = [("output", "output"), ("identity", "input")] + ([("rule", "rule")] if rule else [])
            overlaps = {row: [] for row, _ in compared}
            for m in mus.METRICS:
                key = f"musicality/{m}"
                for row, group in compared + [("real", "real")]:
                    if row == "real" and not real:
                        continue
                    summ = mus.summarize(values[group][key])
                    metrics[f"{row}/{key}"] = summ["mean"]
                    metrics[f"{row}/{key}/nan"] = summ["nan"]
                for row, group in compared:
                    ov = mus.kde_overlap(values[group][key], values["real"].get(key, [])) if real else math.nan
                    metrics[f"{row}/{key}/overlap"] = ov
                    overlaps[row].append(ov)
            for row, _ in compared:
                metrics[f"{row}/musicality/overlap_mean"] = _mean_count(overlaps[row])[0]
            if real:
                metrics["real/musicality/overlap_mean"] = 1.0  # a distribution overlaps itself fully
            timings["musicality"] = time.perf_counter() - t0
    finally:
        bar.close()
    for row in ROWS:
        if all(f"{k}" in metrics for k in (f"{row}/strength/target_prob", f"{row}/content/melody_recall",
                                           f"{row}/realism/fd", "identity/realism/fd")):
            metrics[f"{row}/selection"] = selection_score(metrics, prefix=f"{row}/")
    for k, v in counts.items():
        metrics[f"counts/{k}"] = float(v)
    meta = {"classifier": getattr(classifier, "path", ""), "classifier_styles": list(classifier.styles),
            "musicality_metrics": list(mus.METRICS) if musicality else [],
            "skipped_musicality_metrics": dict(mus.SKIPPED), "seconds": {k: round(v, 3) for k, v in timings.items()}}
    if feature_judge is not None and target in feature_judge.styles:
        meta["feature_judge"] = dict(feature_judge.info)
    examples = [(names[i], inputs[i], outputs[i]) for i in range(min(n_examples, len(inputs)))]
    return Evaluation(target=target, source=source, metrics=metrics, pieces=rows, values=values,
                      counts=counts, notes=notes, meta=meta, examples=examples, giveaway=giveaway_rows)


def _argmax_name(p: np.ndarray, styles: list[str]) -> str:
    return styles[int(np.argmax(p))] if np.isfinite(p).all() else "-"
