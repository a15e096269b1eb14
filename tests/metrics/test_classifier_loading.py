import math

import numpy as np
import pytest
import torch

from stylegen.checkpoint import save_checkpoint
from stylegen.data.roll import RollSpec
from stylegen.errors import StylegenError
from stylegen.metrics.style_classifier import default_classifier_path, load_classifier
from stylegen.models.classifier import CNNClassifier
from tests.conftest import SHARED_DATA
from tests.metrics.helpers import scale, score

SPEC = RollSpec(resolution=4, lowest_pitch=36, n_pitches=48)


def write_classifier(path, styles=("a", "b"), spec=SPEC, window=32, hop_bars=1, seed=0):
    """A randomly initialised classifier checkpoint in the layout training writes."""
    torch.manual_seed(seed)
    cfg = {"name": "cnn", "n_pitches": spec.n_pitches, "n_styles": len(styles), "channels": 4, "dropout": 0.0,
           "input_noise": 0.1, "pitch_bins": 4}
    kwargs = {k: v for k, v in cfg.items() if k != "name"}
    model = CNNClassifier(**kwargs)
    return save_checkpoint(path, {
        "kind": "classifier", "recipe": {}, "spec": spec.to_dict(), "styles": list(styles),
        "models": {"classifier": model.state_dict()}, "model_config": {"classifier": cfg},
        "window": {"steps": window, "bars": window // 16, "hop_bars": hop_bars}, "step": 0, "metrics": {},
    })


def test_pieces_are_cut_into_windows_at_bar_lines_with_an_onset(tmp_path):
    clf = load_classifier(write_classifier(tmp_path / "c.pt"))
    piece = score([(i * 4, 4, 60) for i in range(16)] + [(112, 4, 62)], length=128)  # bars 0-3, then 7
    # 2-bar windows at every bar line that hold an onset: [64, 96) and [80, 112) are silent
    assert clf.window_starts(piece).tolist() == [0, 16, 32, 48, 96, 112]
    w = clf.windows(piece)
    assert w.shape == (6, 2, 32, 48) and w.dtype == bool
    p = clf.piece_probs(piece)
    assert p.shape == (2,) and p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(p, clf.window_probs(piece).mean(0))


def test_classify_many_pieces_matches_one_by_one_and_no_notes_is_nan(tmp_path):
    clf = load_classifier(write_classifier(tmp_path / "c.pt"))
    pieces = [scale(), score([], length=16), scale(shift=5)]
    p, w = clf.classify(pieces, batch_size=3, return_windows=True)
    np.testing.assert_allclose(p[0], clf.piece_probs(pieces[0]), atol=1e-6)
    np.testing.assert_allclose(p[2], clf.piece_probs(pieces[2]), atol=1e-6)
    assert np.isnan(p[1]).all()
    assert len(w) == len(clf.windows(pieces[0])) + len(clf.windows(pieces[2]))


def test_a_short_piece_is_one_padded_window_and_other_grids_are_regridded(tmp_path):
    clf = load_classifier(write_classifier(tmp_path / "c.pt"))
    assert clf.windows(score([(0, 4, 60)])).shape[0] == 1
    fine = score([(8 * i, 8, 60 + i) for i in range(8)], resolution=8)
    np.testing.assert_allclose(clf.piece_probs(fine), clf.piece_probs(scale(pitches=range(60, 68))), atol=1e-6)


def test_vocabulary_and_bad_checkpoints(tmp_path):
    clf = load_classifier(write_classifier(tmp_path / "c.pt"))
    assert clf.index("b") == 1
    with pytest.raises(StylegenError, match="'jazz' is not one of them"):
        clf.index("jazz")
    save_checkpoint(tmp_path / "g.pt", {"kind": "gan", "spec": {}, "styles": [], "models": {}, "model_config": {}})
    with pytest.raises(StylegenError, match="expected a classifier"):
        load_classifier(tmp_path / "g.pt")
    with pytest.raises(StylegenError, match="no such checkpoint"):
        load_classifier(tmp_path / "missing.pt")


def test_the_shipped_classifier_loads_and_knows_the_recipe_styles():
    assert default_classifier_path().is_file()  # committed: its absence is a failure, not a skip
    clf = load_classifier()
    assert clf.styles == ["pop", "classical", "chorale", "folk"]  # the styles of recipes/pop2classical.yaml
    assert clf.window == 64 and clf.spec.n_pitches == 84
    assert not any(math.isnan(v) for v in clf.piece_probs(scale()))


# each style's folder in ../shared/data (recipes/pop2classical.yaml)
REAL_FOLDERS = {"pop": "pop909", "classical": "piano-midi", "chorale": "bach-chorales", "folk": "nottingham"}


@pytest.mark.data
@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is not on this machine")
def test_the_shipped_classifier_tells_real_pieces_apart():
    """Measured on real files, not read back from the accuracy its checkpoint stores: two
    pieces a style (of a typical size: at the first quartile of the folder's file sizes)."""
    from stylegen.data.midi import read_score

    clf = load_classifier()
    for style in clf.styles:
        files = sorted((SHARED_DATA / REAL_FOLDERS[style]).rglob("*.mid"), key=lambda p: (p.stat().st_size, p.name))
        assert len(files) >= 8, f"{REAL_FOLDERS[style]} is missing from {SHARED_DATA}"
        for f in files[len(files) // 4: len(files) // 4 + 2]:
            p = clf.piece_probs(read_score(f, clf.spec.resolution))
            assert clf.styles[int(p.argmax())] == style and p.max() > 0.5, f"{f.name}: {dict(zip(clf.styles, p))}"
