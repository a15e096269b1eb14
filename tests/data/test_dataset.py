"""prepare(): reading with counted skips, the cache, splits by piece."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import mido
import numpy as np
import pytest

from stylegen.config import load_recipe
from stylegen.data import dataset
from stylegen.data.dataset import cache_dir_for, default_cache_dir, prepare, split_keys, window_index, window_steps
from stylegen.data.sources import Item
from tests.conftest import TINY, write_tiny_corpus
from tests.midifiles import Track, scale_piece, write_midi


def summary(corpus) -> dict:
    return {s: (r.found, r.used, dict(r.skipped)) for s, r in corpus.reports.items()}


def splits_of(corpus) -> dict[str, str]:
    return {Path(p.key).name: p.split for p in corpus.pieces}


def bump_mtime(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


# --------------------------------------------------------------------------- reading and counting


def test_tiny_corpus_pieces_splits_and_windows(tiny_recipe):
    r = tiny_recipe()
    c = prepare(r)
    assert c.styles == ["a", "b"] and c.spec.n_pitches == 48
    assert summary(c) == {"a": (4, 4, {}), "b": (4, 4, {})}
    ra, rb = c.reports["a"], c.reports["b"]
    assert (ra.beats, ra.notes, ra.out_of_range) == (4 * 32, 4 * (32 + 24), 0)
    assert (rb.beats, rb.notes) == (4 * 24, 4 * 24)
    # 4 pieces a style, val_fraction 0.25: one piece each in val
    for si in (0, 1):
        assert [sum(p.style == si and p.split == s for p in c.pieces) for s in ("train", "val", "test")] == [3, 1, 0]
    # windows of 2 bars (32 steps), hop 1 bar: 8 bar lines a piece, each window holds onsets
    T = window_steps(r)
    assert T == 32
    assert len(window_index(c, "train", T, 1)) == 2 * 3 * 8
    assert len(window_index(c, "val", T, 1)) == 2 * 1 * 8
    assert len(window_index(c, "test", T, 1)) == 0
    a0 = next(p for p in c.pieces if p.key.endswith("a0.mid"))
    b0 = next(p for p in c.pieces if p.key.endswith("b0.mid"))
    assert a0.bars.tolist() == list(range(0, 128, 16)) and b0.bars.tolist() == list(range(0, 96, 12))
    assert (a0.melody_track, b0.melody_track) == (0, -1)
    assert (a0.title, a0.length) == ("a0", 128)


def test_bad_files_are_counted_with_reasons_and_never_stop_the_run(tiny_corpus, tiny_recipe, tmp_path):
    bad = tiny_corpus / "a" / "bad"
    good = (tiny_corpus / "a" / "a0.mid").read_bytes()
    bad.mkdir()
    (bad / "truncated.mid").write_bytes(good[: len(good) // 2])
    (bad / "text.mid").write_text("this is a text file with a MIDI name\n")
    (bad / "empty.mid").write_bytes(b"")
    write_midi(bad / "silent.mid", [Track([])])
    write_midi(bad / "drums.mid", [Track([(b, 0.5, 36, 100) for b in range(16)], drum=True)])
    write_midi(bad / "type2.mid", [Track(scale_piece(4))], type_=2)
    zero = bytearray(good)
    zero[12:14] = b"\0\0"
    (bad / "zero_tpq.mid").write_bytes(bytes(zero))
    write_midi(bad / "short.mid", [Track([(0, 1, 60, 80)])])  # 1 beat < min_beats 4
    write_midi(bad / "long.mid", [Track([(0, 1, 60, 80), (99, 1, 60, 80)])])  # 100 beats > max_beats 64
    write_midi(bad / "low.mid", [Track([(b, 1, 20, 80) for b in range(8)])])  # all below pitch 36
    write_midi(bad / "some_low.mid", [Track([(b, 1, 20 + 20 * (b % 2), 80) for b in range(8)])])  # half below
    c = prepare(tiny_recipe("data.max_beats=64"))
    assert summary(c)["a"] == (15, 5, {
        "corrupt MIDI": 1, "not a MIDI file": 1, "empty file": 1, "no notes": 1, "drums only": 1, "type-2 MIDI": 1,
        "zero ticks per beat": 1, "too short": 1, "too long": 1, "no notes in pitch range": 1})
    assert summary(c)["b"] == (4, 4, {})
    assert c.reports["a"].out_of_range == 4  # some_low.mid: used, its 4 low notes counted
    why = dict((Path(f).name, w) for f, w in c.reports["a"].skipped_files)
    assert why["short.mid"] == "too short: 1 beats < min_beats 4"
    assert why["long.mid"] == "too long: 100 beats > max_beats 64"
    assert why["text.mid"] == "not a MIDI file: no MThd header"
    assert why["low.mid"] == "no notes in pitch range: all 8 notes outside 36..83"


def test_a_two_hour_midi_is_skipped_as_too_long_when_max_beats_is_lower(tmp_path):
    from tests.data.test_midi import write_long_midi

    item = Item("s", str(write_long_midi(tmp_path / "long.mid", 14_400)))
    key, piece, why = dataset._read_one((item, 4, 24, 84, 8, 7200))
    assert (key, piece, why) == (item.key, None, "too long\t14400 beats > max_beats 7200")


def test_a_reader_bug_is_counted_not_raised(tiny_recipe, monkeypatch):
    def broken(path, resolution):
        if path.endswith("a1.mid"):
            raise RuntimeError("boom")
        return real(path, resolution)

    real = dataset.read_score
    monkeypatch.setattr(dataset, "read_score", broken)
    c = prepare(tiny_recipe(), use_cache=False)
    assert summary(c)["a"] == (4, 3, {"unreadable": 1})
    assert c.reports["a"].skipped_files[0][1] == "unreadable: RuntimeError: boom"


def test_an_empty_style_is_reported_not_fatal(tiny_corpus, tiny_recipe):
    for f in (tiny_corpus / "b").rglob("*.mid"):
        f.unlink()
    c = prepare(tiny_recipe())
    assert summary(c)["b"] == (0, 0, {}) and c.reports["b"].beats == 0


def test_parallel_reading_gives_the_same_corpus(tmp_path):
    root = write_tiny_corpus(tmp_path / "data", n=8)  # 16 files: the worker pool is used
    (root / "a" / "junk.mid").write_bytes(b"junk")
    base = [f"data_root={root}", "data.workers=2"]
    par = prepare(load_recipe(TINY, base + [f"data.cache_dir={tmp_path / 'c1'}"]))
    ser = prepare(load_recipe(TINY, base[:1] + ["data.workers=1", f"data.cache_dir={tmp_path / 'c2'}"]))
    assert summary(par) == summary(ser) == {"a": (9, 8, {"not a MIDI file": 1}), "b": (8, 8, {})}
    assert [p.key for p in par.pieces] == [p.key for p in ser.pieces]
    for p, q in zip(par.pieces, ser.pieces):
        assert np.array_equal(p.notes, q.notes) and np.array_equal(p.bars, q.bars) and p.split == q.split


# --------------------------------------------------------------------------- splits


def test_split_keys_is_deterministic_from_the_seed():
    keys = [f"song{i:02d}.mid" for i in range(40)]
    a = split_keys(keys, 0, 0.1, 0.1)
    assert a == split_keys(list(reversed(keys)), 0, 0.1, 0.1)  # the order of listing does not matter
    assert [list(a.values()).count(s) for s in ("train", "val", "test")] == [32, 4, 4]
    b = split_keys(keys, 1, 0.1, 0.1)
    assert a != b and [list(b.values()).count(s) for s in ("train", "val", "test")] == [32, 4, 4]


@pytest.mark.parametrize("n, val, test, counts", [
    (1, 0.1, 0.0, (1, 0, 0)),  # one piece always trains
    (2, 0.1, 0.0, (1, 1, 0)),  # a split asked for gets at least one piece
    (3, 0.1, 0.1, (1, 1, 1)),
    (10, 0.25, 0.0, (8, 2, 0)),  # round(2.5) == 2: Python rounds half to even
    (10, 0.35, 0.0, (6, 4, 0)),
    (10, 0.0, 0.0, (10, 0, 0)),
    (0, 0.1, 0.1, (0, 0, 0)),
])
def test_split_sizes(n, val, test, counts):
    got = list(split_keys([f"k{i}" for i in range(n)], 0, val, test).values())
    assert tuple(got.count(s) for s in ("train", "val", "test")) == counts


@pytest.mark.parametrize("test_fraction, most", [(0.0, 1), (0.1, 2)])
def test_adding_a_piece_moves_at_most_one_other_across_each_boundary(test_fraction, most):
    keys = [f"k{i}" for i in range(30)]
    before = split_keys(keys, 0, 0.1, test_fraction)
    for extra in range(20):
        after = split_keys(keys + [f"new{extra}"], 0, 0.1, test_fraction)
        assert sum(before[k] != after[k] for k in keys) <= most


def test_splits_are_by_piece_disjoint_and_seeded(tiny_recipe):
    c = prepare(tiny_recipe("data.val_fraction=0.25", "data.test_fraction=0.25"))
    keys = {s: {p.key for p in c.split(s)} for s in ("train", "val", "test")}
    assert not (keys["train"] & keys["val"]) and not (keys["train"] & keys["test"]) and not (keys["val"] & keys["test"])
    assert sum(len(k) for k in keys.values()) == len(c.pieces) == 8
    # every window of a piece is in the piece's split
    for s in ("train", "val", "test"):
        idx = window_index(c, s, 32, 1)
        assert {c.pieces[p].split for p in idx[:, 0]} <= {s}
    same = prepare(tiny_recipe("data.val_fraction=0.25", "data.test_fraction=0.25"))
    assert splits_of(same) == splits_of(c)
    seeds = {tuple(sorted(splits_of(prepare(tiny_recipe(f"seed={s}", "data.val_fraction=0.25"))).items()))
             for s in range(6)}
    assert len(seeds) > 1


def test_splits_do_not_depend_on_where_the_data_lives(tiny_corpus, tmp_path):
    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(tiny_corpus, moved)
    c1 = prepare(load_recipe(TINY, [f"data_root={tiny_corpus}", f"data.cache_dir={tmp_path / 'c1'}"]))
    c2 = prepare(load_recipe(TINY, [f"data_root={moved}", f"data.cache_dir={tmp_path / 'c2'}"]))
    assert splits_of(c1) == splits_of(c2)


# --------------------------------------------------------------------------- the cache


def test_second_run_is_a_cache_hit_with_the_same_corpus(tiny_recipe, monkeypatch):
    first = prepare(tiny_recipe())
    assert not any(r.cache_hit for r in first.reports.values())
    files = sorted(Path(first.cache_dir).glob("*.pkl"))
    assert [f.name.split("-")[:2] for f in files] == [["tiny", "a"], ["tiny", "b"]]
    assert {r.cache_file for r in first.reports.values()} == {str(f) for f in files}

    def no_reading(*args, **kwargs):
        raise AssertionError("a cache hit must not read any file")

    monkeypatch.setattr(dataset, "_read_items", no_reading)
    second = prepare(tiny_recipe())
    assert all(r.cache_hit for r in second.reports.values())
    assert summary(second) == summary(first)
    assert [(p.key, p.split, p.length, p.melody_track) for p in second.pieces] == \
           [(p.key, p.split, p.length, p.melody_track) for p in first.pieces]
    assert all(np.array_equal(p.notes, q.notes) for p, q in zip(first.pieces, second.pieces))


def test_the_cache_is_keyed_on_the_resolved_path(tiny_corpus, tmp_path, monkeypatch):
    # the same files reached by two spellings of the data folder: one cache, one set of keys
    (tmp_path / "x" / "y").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tiny_corpus)
    spellings = [tiny_corpus, tmp_path / "x" / "y" / ".." / ".." / tiny_corpus.name, tmp_path / "link"]
    first = prepare(load_recipe(TINY, [f"data_root={spellings[0]}", f"data.cache_dir={tmp_path / 'c'}"]))
    assert not any(r.cache_hit for r in first.reports.values())

    def no_reading(*args, **kwargs):
        raise AssertionError("a cache hit must not read any file")

    monkeypatch.setattr(dataset, "_read_items", no_reading)
    for other in spellings[1:]:
        again = prepare(load_recipe(TINY, [f"data_root={other}", f"data.cache_dir={tmp_path / 'c'}"]))
        assert all(r.cache_hit for r in again.reports.values())
        assert [r.cache_file for r in again.reports.values()] == [r.cache_file for r in first.reports.values()]
        assert [(p.key, p.split) for p in again.pieces] == [(p.key, p.split) for p in first.pieces]
    assert len(list((tmp_path / "c").glob("*.pkl"))) == 2  # one file per style, not one per spelling
    assert all(p.key.startswith(str(tiny_corpus.resolve())) for p in first.pieces)


def test_a_changed_file_invalidates_only_its_style_and_a_touched_one_nothing(tiny_corpus, tiny_recipe):
    prepare(tiny_recipe())
    path = tiny_corpus / "a" / "a2.mid"
    bump_mtime(path)  # a copy, a checkout, `touch`: the same bytes
    assert all(r.cache_hit for r in prepare(tiny_recipe()).reports.values())
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[-5] ^= 1  # one bit of the last note-off's velocity: same size, same time stamp
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    c = prepare(tiny_recipe())
    assert (c.reports["a"].cache_hit, c.reports["b"].cache_hit) == (False, True)
    assert prepare(tiny_recipe()).reports["a"].cache_hit


def test_clones_with_their_own_copy_of_the_data_share_the_cache(tiny_corpus, tmp_path, monkeypatch):
    """The cache is keyed on content, not on where the data lies or when it was copied:
    a second checkout's copy hits the first one's cache, with its own keys and the same splits."""
    copy = tmp_path / "clone" / "shared" / "data"
    shutil.copytree(tiny_corpus, copy, copy_function=shutil.copy)  # new paths, new time stamps
    cache = tmp_path / "c"
    first = prepare(load_recipe(TINY, [f"data_root={tiny_corpus}", f"data.cache_dir={cache}"]))

    def no_reading(*args, **kwargs):
        raise AssertionError("a cache hit must not read any file")

    monkeypatch.setattr(dataset, "_read_items", no_reading)
    again = prepare(load_recipe(TINY, [f"data_root={copy}", f"data.cache_dir={cache}"]))
    assert all(r.cache_hit for r in again.reports.values())
    assert len(list(cache.glob("*.pkl"))) == 2  # one file per style, shared
    assert all(p.key.startswith(str(copy.resolve())) for p in again.pieces)
    rel = [(p.key[len(str(copy.resolve())):], p.split) for p in again.pieces]
    assert rel == [(p.key[len(str(tiny_corpus.resolve())):], p.split) for p in first.pieces]
    assert all(np.array_equal(p.notes, q.notes) for p, q in zip(first.pieces, again.pieces))


def test_writing_a_cache_prunes_what_no_recipe_uses(tiny_corpus, tiny_recipe, tmp_path):
    cache = tmp_path / "cache"
    stale = cache / "other-x-0123456789abcdef0123.pkl"
    cache.mkdir()
    stale.write_bytes(b"a cache file unused for 31 days")
    month = time.time() - 31 * 86400
    os.utime(stale, (month, month))
    for n in range(4):  # four versions of style a's files: four cache files written in turn
        write_midi(tiny_corpus / "a" / "extra.mid", [Track(scale_piece(2, 50 + n))])
        assert not prepare(tiny_recipe()).reports["a"].cache_hit
    names = sorted(p.name.rsplit("-", 1)[0] for p in cache.glob("*.pkl"))
    assert names == ["tiny-a", "tiny-a", "tiny-b"]  # the newest two of a, b's one; the stale file went
    assert prepare(tiny_recipe()).reports["a"].cache_hit  # the newest is the one in use


def test_a_rewritten_added_or_removed_file_invalidates_the_cache(tiny_corpus, tiny_recipe):
    prepare(tiny_recipe())
    write_midi(tiny_corpus / "b" / "sub" / "b0.mid", [Track(scale_piece(2, 40))], time_signature=(3, 4))
    c = prepare(tiny_recipe())
    assert not c.reports["b"].cache_hit
    assert next(p for p in c.pieces if p.key.endswith("b0.mid")).notes[0, 2] == 40  # the new content
    write_midi(tiny_corpus / "b" / "b9.mid", [Track(scale_piece(2))])
    assert not prepare(tiny_recipe()).reports["b"].cache_hit
    (tiny_corpus / "b" / "b9.mid").unlink()
    assert prepare(tiny_recipe()).reports["b"].cache_hit  # back to the first file set: its cache is still there


@pytest.mark.parametrize("override", ["roll.resolution=8", "roll.lowest_pitch=30", "roll.n_pitches=60",
                                      "data.min_beats=2", "data.max_beats=1000"])
def test_a_changed_roll_spec_or_reading_setting_invalidates_the_cache(tiny_recipe, override):
    prepare(tiny_recipe())
    c = prepare(tiny_recipe(override))
    assert not any(r.cache_hit for r in c.reports.values())


def test_settings_that_do_not_change_the_pieces_keep_the_cache(tiny_recipe):
    prepare(tiny_recipe())
    c = prepare(tiny_recipe("data.window_bars=4", "data.val_fraction=0.5", "seed=3", "data.transpose=0",
                            "data.workers=2"))
    assert all(r.cache_hit for r in c.reports.values())


def test_a_damaged_cache_file_is_read_again(tiny_recipe):
    first = prepare(tiny_recipe())
    Path(first.reports["a"].cache_file).write_bytes(b"not a pickle")
    c = prepare(tiny_recipe())
    assert not c.reports["a"].cache_hit and c.reports["b"].cache_hit
    assert prepare(tiny_recipe()).reports["a"].cache_hit  # and rewritten


def test_no_cache_reads_everything_and_writes_nothing(tiny_recipe, tmp_path):
    c = prepare(tiny_recipe(), use_cache=False)
    assert not any(r.cache_hit for r in c.reports.values())
    assert not (tmp_path / "cache").exists()


def test_cache_location(tiny_corpus, tmp_path, monkeypatch):
    monkeypatch.delenv("STYLEGEN_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "stylegen"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "stylegen"
    monkeypatch.setenv("STYLEGEN_CACHE", str(tmp_path / "env"))
    assert default_cache_dir() == tmp_path / "env"

    r = load_recipe(TINY, [f"data_root={tiny_corpus}"])
    assert cache_dir_for(r) == tmp_path / "env"
    c = prepare(r)
    assert c.cache_dir == tmp_path / "env" and len(list((tmp_path / "env").glob("tiny-*.pkl"))) == 2
    monkeypatch.setenv("DATA_CACHE", str(tmp_path / "recipe"))
    r = load_recipe(TINY, [f"data_root={tiny_corpus}", "data.cache_dir=$DATA_CACHE/x"])  # the recipe wins
    assert cache_dir_for(r) == tmp_path / "recipe" / "x"
    assert not prepare(r).reports["a"].cache_hit  # a new place starts empty
    assert not (tmp_path / "home").exists()


def test_an_unwritable_cache_is_reported_not_fatal(tiny_recipe, tmp_path):
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    c = prepare(tiny_recipe())
    assert summary(c)["a"] == (4, 4, {})
    assert c.reports["a"].cache_file.startswith("(not written")


def test_tempo_is_not_part_of_the_pieces(tmp_path):
    # the same notes at another tempo give the same note arrays
    a = write_midi(tmp_path / "d" / "x" / "p.mid", [Track(scale_piece(2))], tempo_bpm=60)
    b = write_midi(tmp_path / "d" / "y" / "p.mid", [Track(scale_piece(2))], tempo_bpm=200)
    assert mido.MidiFile(a).length != mido.MidiFile(b).length
    c = prepare(load_recipe(TINY, [f"data_root={tmp_path / 'd'}", "styles.a.sources=[{path: x}]",
                                   "styles.b.sources=[{path: y}]"]))
    assert np.array_equal(c.pieces[0].notes, c.pieces[1].notes)
