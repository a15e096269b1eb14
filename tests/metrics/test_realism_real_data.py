"""Realism on real files from ../shared/data: real classical is closest to real classical,
the pop songs unchanged further (skipped where the folder is absent)."""

from __future__ import annotations

import pytest

from stylegen.data.midi import read_score
from stylegen.data.roll import RollSpec
from stylegen.metrics.melody import melody_recall
from stylegen.metrics.realism import realism_rows
from tests.conftest import SHARED_DATA

pytestmark = [pytest.mark.data,
              pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is not on this machine")]


def files(folder: str, n: int):
    found = sorted((SHARED_DATA / folder).rglob("*.mid"))
    assert len(found) >= n, f"fewer than {n} MIDI files in {SHARED_DATA / folder}"
    return found[:: max(1, len(found) // n)][:n]


def test_real_classical_is_closest_then_the_pop_copy():
    classical = [read_score(f, 4) for f in files("piano-midi", 12)]
    pop = [read_score(f, 4) for f in files("pop909", 6)]
    m, _ = realism_rows({"identity": pop}, classical, RollSpec())
    assert m["real/realism/fd"] < m["identity/realism/fd"]
    assert m["real/realism/auc"] < m["identity/realism/auc"]
    assert m["identity/realism/auc"] > 0.9
    # a POP909 song names its melody track: the copy keeps all of it
    assert all(melody_recall(s, s) == 1.0 for s in pop) and pop[0].melody_track is not None
