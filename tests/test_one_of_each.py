"""One of each: the project has one way to put a Score on another grid, one definition of
the top voice and the melody, one MIDI file lister and one loader of what the API accepts.
A second copy is found by name in the source (the functions below are defined once, in
their home module), and the callers are checked to agree with the one copy."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import torch

import stylegen
from stylegen.data.content import ContentSpec, melody_mask, melody_notes, top_voice, top_voice_pitches
from stylegen.data.midi import list_midi_files
from stylegen.data.roll import RollSpec, notes_to_roll
from stylegen.data.score import Score, TrackInfo, to_grid
from stylegen.evaluation.pieces import list_midi
from stylegen.inference.pieces import prepare
from stylegen.metrics.preservation import same_grid
from tests.metrics.helpers import score as make_score
from tests.midifiles import Track, scale_piece, write_midi

PACKAGE = Path(stylegen.__file__).parent

# function name -> the one module (relative to stylegen/) that may define it
HOMES = {
    "to_grid": "data/score.py", "scale_steps": "data/score.py",
    "notes_to_grid": "data/score.py",
    "top_voice": "data/content.py", "top_voice_mask": "data/content.py", "top_voice_pitches": "data/content.py",
    "melody_mask": "data/content.py", "melody_notes": "data/content.py", "melody_of": "data/content.py",
    "list_midi_files": "data/midi.py", "is_midi_file": "data/midi.py",
    "load_music": "transfer.py",
}
GONE = {"regrid", "_same_grid"}  # the muspy round trip metrics/classifier.py had, and its wrapper


def definitions() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in {*HOMES, *GONE}:
                found.setdefault(node.name, []).append(str(path.relative_to(PACKAGE)))
    return found


def test_each_is_defined_once_in_its_home_module():
    found = definitions()
    for name, home in HOMES.items():
        where = found.get(name, [])
        assert all(w == home for w in where), f"{name} is defined in {where}; its one home is {home}"
    assert not GONE & set(found), f"{sorted(GONE & set(found))} came back"


def random_piece(seed: int, resolution: int = 4, steps: int = 64) -> Score:
    rng = np.random.default_rng(seed)
    n = 40
    on = rng.integers(0, steps - 1, n)
    notes = np.stack([on, rng.integers(1, 9, n), rng.integers(40, 80, n), np.full(n, 80), rng.integers(0, 2, n)], 1)
    s = Score(resolution=resolution, notes=np.zeros((0, 5), np.int32), tracks=[TrackInfo("a", 0), TrackInfo("b", 0)],
              length=steps, time_signatures=[(0, 4, 4)])
    return s.with_notes(notes)


def test_the_top_voice_of_notes_is_the_top_voice_of_their_roll():
    spec = RollSpec(resolution=4, lowest_pitch=36, n_pitches=48)
    for seed in range(5):
        s = random_piece(seed)
        roll = torch.from_numpy(notes_to_roll(s.notes, spec, 0, s.length)).float()
        cells = top_voice(roll)  # (T, P)
        from_roll = np.where(cells.any(-1).numpy(), cells.float().argmax(-1).numpy() + spec.lowest_pitch, -1)
        assert np.array_equal(top_voice_pitches(s.notes, s.length), from_roll)


def test_transfer_keeps_the_melody_the_evaluation_measures():
    for seed in range(5):
        s = random_piece(seed)
        p = prepare(s, RollSpec(resolution=4, lowest_pitch=36, n_pitches=48), ContentSpec())
        assert p.how == "top voice"
        assert np.array_equal(p.grid.notes[p.melody], melody_notes(s))
        named = s.with_notes(s.notes, tracks=[TrackInfo("Melody", 0, is_melody=True), TrackInfo("b", 0)])
        mask, how = melody_mask(named)
        assert how == "track 'Melody'" and np.array_equal(named.notes[mask], melody_notes(named))
        assert np.array_equal(mask, named.notes[:, 4] == 0)


def test_the_measures_put_an_output_on_the_input_grid_as_transfer_does():
    fine = make_score([(8 * i, 8, 60 + i) for i in range(8)], resolution=8)
    coarse = make_score([(0, 4, 60)])
    moved = same_grid(coarse, fine)
    assert moved.resolution == 4 and np.array_equal(moved.notes, to_grid(fine, 4).notes)
    assert moved.notes[:, 0].tolist() == [4 * i for i in range(8)]


def test_evaluation_lists_the_files_the_data_sources_list(tmp_path):
    for name in ("a.mid", "sub/b.MIDI", "c.kar", ".hidden.mid", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        write_midi(tmp_path / name, [Track(scale_piece(1))])
    listed = list_midi(tmp_path, "--inputs")
    assert list(listed) == ["a", "c", "sub/b"]
    assert list(listed.values()) == list_midi_files(tmp_path)
