import json
import math

import numpy as np
import pytest

from stylegen.errors import StylegenError
from stylegen.evaluation import evaluate_pairs
from stylegen.metrics import combined_score
from stylegen.metrics.musicality import METRICS
from tests.metrics.helpers import StubClassifier, scale

LOW = [scale(shift=-2), scale(shift=-5), scale(shift=-7)]  # highest pitch < 72: the stub says "low"
HIGH = [scale(shift=12 + k) for k in (0, 2, 4)]  # an octave (and more) up: "high"


def evaluate(**kw):
    args = dict(inputs=LOW, outputs=[s.with_notes(s.notes + [0, 0, 12, 0, 0]) for s in LOW], target="high",
                classifier=StubClassifier(), real_target=HIGH, source="low", cycles=LOW,
                names=["x", "y", "z"], n_examples=1)
    args.update(kw)
    return evaluate_pairs(**args)


def test_rows_strength_content_and_musicality():
    ev = evaluate()
    m = ev.metrics
    # every output an octave up: classified "high"; inputs and the way back "low"
    assert m["output/strength/target_share"] == 1.0
    assert m["output/strength/target_prob"] == pytest.approx(0.8)
    assert m["output/strength/S"] == 1.0 and m["output/strength/S_window"] == 1.0
    assert m["identity/strength/target_share"] == 0.0 and m["identity/strength/S"] == 0.0
    assert m["real/strength/target_share"] == 1.0
    # an octave keeps pitch classes, onsets and contour
    for k in ("chroma", "onset_f1", "onset_pc_f1", "contour", "length_match"):
        assert m[f"output/content/{k}"] == pytest.approx(1.0), k
        assert m[f"identity/content/{k}"] == pytest.approx(1.0), k
        assert m[f"output/content/{k}/nan"] == 0.0
    # an octave up keeps no melody note at its pitch; the copy and the rule keep all of them
    assert m["output/content/melody_recall"] == 0.0
    assert m["identity/content/melody_recall"] == 1.0 and m["rule/content/melody_recall"] == 1.0
    # the real row's content is the floor: each input against an unrelated real piece (same
    # rhythm of one note per beat, other pitches)
    assert m["real/content/onset_f1"] == 1.0 and m["real/content/melody_recall"] == 0.0
    assert math.isnan(m["real/content/length_match"])
    # the rule row is classified like any system; the stub calls its chords (below 72) "low"
    assert m["rule/strength/target_share"] == 0.0
    # realism against the 3 real pieces (too few to split for a real row, or to cross-validate)
    assert m["output/realism/fd"] >= 0 and "real/realism/fd" not in m
    assert math.isnan(m["output/realism/auc"])
    # selection: the outputs lose the melody, so they fail a gate and score below zero
    assert -1.0 <= m["output/selection"] < 0.0
    for name in METRICS:
        assert f"output/musicality/{name}" in m and f"output/musicality/{name}/overlap" in m
    assert m["output/musicality/pitch_range"] == 12.0
    assert m["output/musicality/pitch_in_scale_rate/nan"] == 3.0  # no key signatures: counted, not averaged
    assert math.isnan(m["output/musicality/pitch_in_scale_rate"])
    assert m["counts/pairs"] == 3.0 and m["counts/real_target"] == 3.0
    assert [p["name"] for p in ev.pieces] == ["x", "y", "z"]
    assert ev.pieces[0]["output_style"] == "high" and ev.pieces[0]["input_style"] == "low"
    assert 0.0 <= combined_score(m, prefix="output/") <= 1.0


def test_an_empty_output_is_scored_not_dropped():
    outs = [LOW[0].with_notes(LOW[0].notes + [0, 0, 12, 0, 0]), LOW[1].with_notes(LOW[1].notes[:0]), LOW[2]]
    ev = evaluate(outputs=outs, cycles=None, real_target=None)
    m = ev.metrics
    assert ev.counts["empty_outputs"] == 1
    assert m["output/strength/unclassified"] == 1.0
    assert m["output/strength/target_share"] == 0.5  # of the two classifiable outputs, one is "high"
    assert m["output/content/onset_f1"] == pytest.approx((1 + 0 + 1) / 3)  # the silent output keeps nothing
    assert m["output/content/chroma"] == pytest.approx((1 + 0 + 1) / 3)
    assert any("no notes" in n for n in ev.notes)
    assert any("no real target pieces" in n for n in ev.notes)
    assert "real/strength/target_share" not in m
    assert math.isnan(m["output/musicality/polyphony/overlap"])


def test_bad_input_is_one_clear_error():
    with pytest.raises(StylegenError, match="'jazz'"):
        evaluate(target="jazz")
    with pytest.raises(StylegenError, match="'folk'"):
        evaluate(source="folk")
    with pytest.raises(StylegenError, match="one to one"):
        evaluate(outputs=LOW[:2])
    with pytest.raises(StylegenError, match="no \\(input, output\\) pairs"):
        evaluate(inputs=[], outputs=[], cycles=None, names=[])
    with pytest.raises(StylegenError, match="both"):
        evaluate(source="high")


def test_report_files_markdown_and_tensorboard(tmp_path):
    from stylegen.evaluation.report import write_report

    ev = evaluate(counts={"unpaired_inputs": 2}, notes=["2 inputs without an output"])
    paths = write_report(ev, tmp_path / "rep", step=3)
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert data["metrics"]["output/strength/S"] == 1.0
    assert data["metrics"]["real/content/length_match"] is None  # NaN is written as null
    assert data["counts"]["unpaired_inputs"] == 2
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "| **output** (low → high) | 100.0% |" in md
    assert "| identity (output = input) | 0.0% |" in md
    assert "| real high | 100.0% |" in md and "| rule (melody + block chords) | 0.0% |" in md
    assert "unpaired inputs: 2" in md and "2 inputs without an output" in md
    names = sorted(p.split("/")[-1] for p in paths["plots"])
    assert names == ["content.png", "musicality.png", "rolls_x.png", "strength.png"]
    assert all((tmp_path / "rep" / "plots" / n).stat().st_size > 1000 for n in names)
    events = list((tmp_path / "rep" / "tensorboard").glob("events.out.tfevents.*"))
    assert len(events) == 1 and events[0].stat().st_size > 1000


REAL6 = [scale(shift=12 + k) for k in range(6)]  # enough real pieces for a real row (half against half)


def pitch_judge(styles=("low", "high")):
    """A feature judge by hand: "high" when the windows' mean pitch is above MIDI 70."""
    from stylegen.metrics.feature_judge import FeatureJudge
    from stylegen.metrics.realism import FEATURES

    w = np.zeros((len(FEATURES), len(styles)))
    i = FEATURES.index("pitch_mean")
    t = (70 - 24) / 84  # pitch_mean is the row in the default 84-pitch roll over its size
    w[i, 0], w[i, 1] = -50.0, 50.0
    info = {"recipe": "hand", "train_windows": {s: 10 for s in styles},
            "heldout_accuracy": {styles[0]: 1.0, styles[1]: 0.5, "mean": 0.75, "pieces": 4.0}}
    return FeatureJudge(list(styles), np.zeros(len(FEATURES)), np.ones(len(FEATURES)), w,
                        np.array([50.0 * t, -50.0 * t] + [0.0] * (len(styles) - 2)), info)


def test_giveaway_table_and_the_feature_judge_rows(tmp_path):
    from stylegen.metrics.realism import FEATURES, giveaway_summary
    from stylegen.evaluation.report import GIVEAWAY_ROWS, write_report

    ev = evaluate(real_target=REAL6, feature_judge=pitch_judge())
    m = ev.metrics
    g = ev.giveaway
    assert [r["feature"] for r in g] != FEATURES and sorted(r["feature"] for r in g) == sorted(FEATURES)
    sizes = [abs(r["output"]) for r in g if math.isfinite(r["output"])]
    assert sizes == sorted(sizes, reverse=True)
    assert all({"feature", "label", "output", "real", "identity"} <= set(r) for r in g)
    # the outputs (the inputs an octave up) sit below the real pieces, the copy further below
    pm = next(r for r in g if r["feature"] == "pitch_mean")
    assert pm["identity"] < pm["output"] < 0
    assert m["output/realism/giveaway_max"] == pytest.approx(giveaway_summary(g)["giveaway_max"])
    assert m["output/realism/giveaway_over_0.5"] == giveaway_summary(g)["giveaway_over_0.5"]
    assert m["real/realism/giveaway_max"] == pytest.approx(giveaway_summary(g, "real")["giveaway_max"])
    assert m["identity/realism/giveaway_over_0.5"] == giveaway_summary(g, "identity")["giveaway_over_0.5"]
    # the second judge, beside the classifier's rows
    assert m["output/feature_judge/target_share"] == 1.0 and m["identity/feature_judge/target_share"] == 0.0
    assert m["real/feature_judge/target_share"] == 1.0 and "rule/feature_judge/target_share" in m
    assert m["output/feature_judge/unclassified"] == 0.0
    assert m["feature_judge/heldout_accuracy"] == 0.75
    assert [p["output_judge_style"] for p in ev.pieces] == ["high"] * 3
    assert ev.meta["feature_judge"]["recipe"] == "hand"

    write_report(ev, tmp_path / "rep")
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert [r["feature"] for r in data["giveaway"]] == [r["feature"] for r in g]
    assert data["meta"]["feature_judge"]["heldout_accuracy"]["mean"] == 0.75
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "target share, feature judge" in md and "held-out accuracy per piece 75.0% on 4 real val pieces" in md
    table = md.split("## What gives it away", 1)[1].split("\n\n")[2].splitlines()
    assert len(table) == 2 + GIVEAWAY_ROWS and table[0].startswith("| feature | output | real high (floor) |")
    assert table[2].startswith(f"| {g[0]['label']} (`{g[0]['feature']}`) | {g[0]['output']:+.2f} |")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path / "rep" / "tensorboard"))
    acc.Reload()
    assert "eval/giveaway/text_summary" in acc.Tags()["tensors"]
    assert "eval/output/feature_judge/target_share" in acc.Tags()["scalars"]


def test_a_feature_judge_without_the_target_is_left_out_with_a_note():
    ev = evaluate(real_target=REAL6, feature_judge=pitch_judge(("low", "other")))
    assert not any("feature_judge" in k for k in ev.metrics)
    assert any("feature judge knows low, other, not 'high'" in n for n in ev.notes)
    assert "feature_judge" not in ev.meta
