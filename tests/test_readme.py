"""The README's main job and a real song, through the command line, checked as a user would.

* The set-up command of the README, run as written (its ``stylegen transfer ...`` part, in a
  temporary folder holding a copy of ``examples/pop_demo.mid``): the MIDI has the input's
  length in beats, tempo map and meter; the WAV is not silent and its measured loudness is
  within 1 LU of the renderer's target.
* A POP909 song from ../shared/data (skipped only where that folder is absent): the same
  length, tempo map and meter with ``--free-melody`` (the model writes every note), and as
  the README's first quick-start line runs it (the melody kept, the default) its melody
  notes exactly (same times in ticks, pitches, durations and velocities).

The files are read back here with mido alone, not with stylegen's own reader.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections import defaultdict, deque
from fractions import Fraction
from pathlib import Path

import mido
import pytest

from stylegen.cli import main
from tests.audiofiles import assert_sound_at_target
from tests.conftest import REPO, SHARED_DATA

POP_SONG = "pop909/001.mid"  # 294 beats, 264 melody notes, off the 16th grid (issue 11, item 5)


# --------------------------------------------------------------------------- reading MIDI back with mido


def _collapse(events: list[tuple]) -> list[tuple]:
    """Events sorted by time with repeats of the value in force dropped."""
    out: list[tuple] = []
    for e in sorted(events):
        if out and out[-1][0] == e[0]:
            out[-1] = e  # the later event at the same time wins
        elif not out or out[-1][1:] != e[1:]:
            out.append(e)
    return out


def midi_facts(path: Path) -> dict:
    """Length in beats (the last event, end of track included), tempo map [(beat, us per beat)],
    meter [(beat, numerator, denominator)] and notes per track name [(beat, beats, pitch, velocity)],
    with times as exact fractions of a beat."""
    mf = mido.MidiFile(str(path))
    tpb = mf.ticks_per_beat
    length, tempos, meters, notes = 0, [], [], {}
    for track in mf.tracks:
        tick, sounding, mine = 0, defaultdict(deque), []
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((Fraction(tick, tpb), msg.tempo))
            elif msg.type == "time_signature":
                meters.append((Fraction(tick, tpb), msg.numerator, msg.denominator))
            elif msg.type == "note_on" and msg.velocity > 0:
                sounding[(msg.channel, msg.note)].append((tick, msg.velocity))
            elif msg.type in ("note_off", "note_on") and sounding[(msg.channel, msg.note)]:
                on, vel = sounding[(msg.channel, msg.note)].popleft()
                mine.append((Fraction(on, tpb), Fraction(tick - on, tpb), msg.note, vel))
        length = max(length, tick)
        if mine:
            notes[track.name] = sorted(mine)
    return {"beats": Fraction(length, tpb), "tpb": tpb, "tempos": _collapse(tempos), "meters": _collapse(meters),
            "notes": notes}


def assert_same_frame(out: Path, src: Path) -> tuple[dict, dict]:
    """``out`` keeps ``src``'s length in beats (to one tick of the input), tempo map and meter."""
    a, b = midi_facts(src), midi_facts(out)
    assert abs(b["beats"] - a["beats"]) <= Fraction(1, a["tpb"]), \
        f"length {float(b['beats'])} beats, the input has {float(a['beats'])}"
    assert [t for t, _ in b["tempos"]] == [t for t, _ in a["tempos"]], "tempo changes moved"
    assert all(abs(x - y) <= 1 for (_, x), (_, y) in zip(b["tempos"], a["tempos"])), "tempos changed"
    assert b["meters"] == a["meters"]
    return a, b


# --------------------------------------------------------------------------- the README's main job


def readme_transfer_command() -> list[str]:
    """The ``stylegen transfer ...`` part of the README's set-up command, as words."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^\s*pip install -e \S+ && (stylegen transfer [^\n]+)$", text, re.MULTILINE)
    assert m, "the README's set-up command (pip install ... && stylegen transfer ...) is not there"
    return shlex.split(m.group(1))


def test_the_readme_main_job(tmp_path, monkeypatch):
    words = readme_transfer_command()
    assert words[:2] == ["stylegen", "transfer"] and "--wav" in words
    src_rel, out_rel = Path(words[2]), Path(words[words.index("-o") + 1])
    (tmp_path / src_rel).parent.mkdir(parents=True)
    shutil.copy2(REPO / src_rel, tmp_path / src_rel)
    monkeypatch.chdir(tmp_path)  # the command as written, relative paths and all, in a fresh folder
    assert main(words[1:]) == 0
    out = tmp_path / out_rel
    assert_same_frame(out, tmp_path / src_rel)
    assert midi_facts(out)["notes"], "the output holds no notes"
    assert_sound_at_target(out.with_suffix(".wav"))


# --------------------------------------------------------------------------- a real song


@pytest.fixture(scope="module")
def pop_song() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not on this machine")
    path = SHARED_DATA / POP_SONG
    assert path.is_file(), f"{POP_SONG} is missing from {SHARED_DATA}"
    return path


@pytest.mark.data
def test_a_pop909_song_keeps_its_length_tempo_map_and_meter(pop_song, tmp_path):
    out = tmp_path / "001.classical.mid"
    assert main(["transfer", str(pop_song), "--style", "classical", "--free-melody", "-o", str(out)]) == 0
    assert_same_frame(out, pop_song)
    assert midi_facts(out)["notes"], "the output holds no notes"


@pytest.mark.data
def test_a_pop909_song_keeps_its_melody_note_for_note(pop_song, tmp_path):
    out = tmp_path / "001.classical.mid"
    assert main(["transfer", str(pop_song), "--style", "classical", "-o", str(out)]) == 0  # melody kept: the default
    src, got = assert_same_frame(out, pop_song)
    melody = src["notes"]["MELODY"]
    assert len(melody) == 264
    kept = {name: n for name, n in got["notes"].items() if name.lower() == "melody"}
    assert len(kept) == 1, f"no single melody track in the output: {sorted(got['notes'])}"
    (kept,) = kept.values()
    moved = [(a, b) for a, b in zip(melody, kept) if a != b]
    assert kept == melody, (f"{len(kept)} melody notes, the input has {len(melody)}; "
                            f"{len(moved)} differ, first (input, output): {moved[:3]}")


# --------------------------------------------------------------------------- the quick start, as a newcomer runs it


def readme_block(heading: str) -> list[list[str]]:
    """The ``stylegen ...`` lines of the first code block under ``heading``, as words (comments dropped)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1]
    block = section.split("```", 2)[1]
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.startswith("stylegen ")]


def test_the_quick_start_lines_run_one_after_the_other(tmp_path, monkeypatch, capsys):
    """Each line writes its own output: run in order, none finds another's file (no --force)."""
    from tests.checkpoints import write_tiny_checkpoint
    from tests.midifiles import Track, chord_piece, scale_piece, write_midi

    def song(path, bars=4):
        return write_midi(path, [Track(scale_piece(bars, 60), name="Melody"), Track(chord_piece(bars, 40))])

    ckpt = write_tiny_checkpoint(tmp_path / "ckpt" / "tiny.pt")  # styles pop and classical, as the lines use
    work = tmp_path / "work"
    for name in ("song.mid", "intro.mid", "songs/song.mid", "songs/more/other.mid"):
        song(work / name)
    monkeypatch.chdir(work)
    lines = readme_block("## Quick start: transfer and composition")
    assert len(lines) >= 8 and all(words[1] in ("transfer", "generate", "render") for words in lines)
    for words in lines:
        assert "--force" not in words, words
        extra = ["--checkpoint", str(ckpt)] if words[1] in ("transfer", "generate") else []
        code = main(words[1:] + extra)
        err = capsys.readouterr().err
        assert code == 0, f"{' '.join(words)}: {err}"


WRITERS = ("transfer", "generate", "render", "export", "classifier", "adapt")
REPO_INPUTS = ("examples/", "checkpoints/", "recipes/", "runs/")
IGNORED = ("out/", "runs/")


def documented_commands() -> list[tuple[str, list[str]]]:
    """Every ``stylegen ...`` command in README.md and in the recipes' comments, as words."""
    found = []
    sources = [REPO / "README.md", *sorted((REPO / "recipes").glob("*.yaml"))]
    for path in sources:
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip().lstrip("#").strip()
            start = line.find("stylegen ")
            if start >= 0 and (start == 0 or line[:start].endswith("&& ")):
                try:
                    found.append((path.name, shlex.split(line[start:], comments=True)))
                except ValueError:  # prose quoting a command, not a command
                    continue
    return found


def test_commands_on_the_repositorys_own_files_write_where_git_ignores():
    """A command the docs suggest on the checkout's files (examples/, checkpoints/, recipes/,
    runs/) names its output under out/ or runs/, which .gitignore ignores: nothing lands
    untracked in the repository."""
    ignored = (REPO / ".gitignore").read_text().split()
    assert all(f"/{d}" in ignored for d in IGNORED)
    checked = 0
    for source, words in documented_commands():
        if len(words) < 2 or words[1] not in WRITERS or not any(w.startswith(REPO_INPUTS) for w in words[2:]):
            continue
        checked += 1
        assert "-o" in words, f"{source}: {' '.join(words)} writes beside its input, in the repository"
        out = words[words.index("-o") + 1]
        assert out.startswith(IGNORED), f"{source}: {' '.join(words)} writes {out}, which git does not ignore"
    assert checked >= 3  # the set-up's transfer, quick.yaml's, export's (and classifier's)
