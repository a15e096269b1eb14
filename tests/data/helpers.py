"""muspy-level helpers for the tests: a ``muspy.Music`` to a roll and back, through the
library's Score (``data/midi.py`` and ``data/roll.py``)."""

from __future__ import annotations

from stylegen.data.midi import music_to_score, score_to_music
from stylegen.data.roll import RollSpec, roll_to_score, score_to_roll
from stylegen.data.score import Score


def music_to_roll(music, spec: RollSpec):
    """``muspy.Music`` -> bool roll (2, T, P) on the spec's grid (drums left out)."""
    return score_to_roll(music_to_score(music, spec.resolution), spec)


def roll_to_music(roll, spec: RollSpec, template: Score | None = None, threshold: float = 0.5):
    """Roll -> ``muspy.Music`` (with the template's tempo map and meter when given)."""
    return score_to_music(roll_to_score(roll, spec, template=template, threshold=threshold))
