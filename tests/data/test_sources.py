"""Data sources: folders, globs and local muspy datasets -> items per style."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stylegen.config import recipe_from_dict
from stylegen.data.dataset import prepare
from stylegen.data.sources import Item, list_source, list_style
from stylegen.errors import StylegenError
from tests.midifiles import Track, scale_piece, write_midi


def recipe(tmp_path: Path, *sources: dict, **data):
    return recipe_from_dict({"styles": {"s": {"sources": list(sources)}}, "data_root": str(tmp_path / "data"),
                             "data": {"cache_dir": str(tmp_path / "cache"), "workers": 1, "min_beats": 4, **data}},
                            str(tmp_path / "r.yaml"))


def names(items: list[Item], root: Path) -> list[str]:
    return [str(Path(i.path).relative_to(root)) for i in items]


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "data"
    for rel in ["pop/a.mid", "pop/B.MID", "pop/deep/er/c.midi", "pop/d.kar", "pop/e.smf", "jazz/x.mid", "jazz/y.mid"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"MThd")
    for rel in ["pop/notes.txt", "pop/.hidden.mid", "pop/song.mid.bak", "pop/audio.wav"]:
        (root / rel).write_bytes(b"x")
    (root / "pop" / "folder.mid").mkdir()  # a folder with a MIDI-like name
    return root


def test_a_folder_is_searched_recursively_for_midi_files(tmp_path, tree):
    r = recipe(tmp_path, {"path": "pop"})
    items = list_source(r, "s", r.styles["s"].sources[0])
    assert names(items, tree) == ["pop/B.MID", "pop/a.mid", "pop/d.kar", "pop/deep/er/c.midi", "pop/e.smf"]
    assert all(Path(i.path).is_absolute() and i.style == "s" and i.ref is None and i.dataset is None for i in items)


def test_a_single_file(tmp_path, tree):
    r = recipe(tmp_path, {"path": "jazz/x.mid"})
    assert names(list_style(r, "s"), tree) == ["jazz/x.mid"]


def test_a_glob_with_recursion(tmp_path, tree):
    r = recipe(tmp_path, {"glob": "**/*.mid"})
    assert names(list_style(r, "s"), tree) == ["jazz/x.mid", "jazz/y.mid", "pop/a.mid"]
    r = recipe(tmp_path, {"glob": "jazz/[x]*.mid"})
    assert names(list_style(r, "s"), tree) == ["jazz/x.mid"]
    r = recipe(tmp_path, {"glob": "nothing/*.mid"})
    assert list_style(r, "s") == []


def test_a_file_named_by_two_sources_counts_once(tmp_path, tree):
    r = recipe(tmp_path, {"path": "jazz"}, {"glob": "jazz/x.mid"}, {"path": "jazz/y.mid"}, {"path": "pop/a.mid"})
    assert names(list_style(r, "s"), tree) == ["jazz/x.mid", "jazz/y.mid", "pop/a.mid"]


def test_a_missing_folder_is_an_error(tmp_path, tree):
    r = recipe(tmp_path, {"path": "classical"})
    with pytest.raises(StylegenError, match=r"styles\.s: no such file or folder: .*data/classical$"):
        list_style(r, "s")


def test_item_stat_is_the_cache_identity(tmp_path, tree):
    item = list_style(recipe(tmp_path, {"path": "jazz/x.mid"}), "s")[0]
    key, size, mtime = item.stat()
    assert (key, size) == (item.path, 4) and mtime > 0
    assert Item("s", str(tree / "gone.mid")).stat() == (str(tree / "gone.mid"), -1, -1)


# --------------------------------------------------------------------------- muspy datasets


def muspy_root(path: Path, marker: bool = True) -> Path:
    write_midi(path / "A" / "x1.mid", [Track(scale_piece(2, 60))])
    write_midi(path / "B" / "C" / "x2.mid", [Track(scale_piece(2, 64))])
    (path / "B" / "bad.mid").write_bytes(b"")
    if marker:
        (path / ".muspy.success").touch()  # what muspy's own download leaves behind
    return path


def test_a_local_muspy_dataset_is_read(tmp_path):
    root = muspy_root(tmp_path / "lmd")
    r = recipe(tmp_path, {"muspy": "LakhMIDIDataset", "root": str(root)})
    items = list_style(r, "s")
    assert names(items, root) == ["A/x1.mid", "B/C/x2.mid", "B/bad.mid"]
    assert all(i.dataset == ("LakhMIDIDataset", str(root)) for i in items)
    corpus = prepare(r)
    rep = corpus.reports["s"]
    assert (rep.found, rep.used, dict(rep.skipped)) == (3, 2, {"empty file": 1})  # same reasons as a folder
    assert sorted(len(p.notes) for p in corpus.pieces) == [8, 8]
    assert sorted(p.notes[0, 2] for p in corpus.pieces) == [60, 64]


def test_new_files_in_a_muspy_root_are_seen(tmp_path):
    root = muspy_root(tmp_path / "lmd")
    r = recipe(tmp_path, {"muspy": "LakhMIDIDataset", "root": str(root)})
    assert len(list_style(r, "s")) == 3
    write_midi(root / "D" / "x3.mid", [Track(scale_piece(2))])
    assert len(list_style(r, "s")) == 4


def test_a_muspy_root_without_the_marker_is_one_clear_error(tmp_path):
    root = muspy_root(tmp_path / "lmd", marker=False)
    r = recipe(tmp_path, {"path": str(root / "A")}, {"muspy": "LakhMIDIDataset", "root": str(root)})
    with pytest.raises(StylegenError) as e:
        prepare(r)
    assert str(e.value) == (
        f"{tmp_path / 'r.yaml'}: styles.s.sources[1]: {root}: no local copy of muspy's LakhMIDIDataset "
        f"(download it with muspy.LakhMIDIDataset(root, download_and_extract=True))")
    assert not (root / ".muspy.success").exists()  # nothing was downloaded or marked


def test_an_unknown_muspy_dataset_lists_the_known_ones(tmp_path):
    root = muspy_root(tmp_path / "lmd")
    r = recipe(tmp_path, {"muspy": "LakhDataset", "root": str(root)})
    with pytest.raises(StylegenError, match=r"sources\[0\]: unknown muspy dataset 'LakhDataset' \(known: .*"
                                            r"LakhMIDIDataset, .*NottinghamDatabase"):
        list_style(r, "s")


def test_an_empty_muspy_root_is_an_error(tmp_path):
    root = tmp_path / "lmd"
    root.mkdir()
    (root / ".muspy.success").touch()
    r = recipe(tmp_path, {"muspy": "MAESTRODatasetV3", "root": str(root)})
    with pytest.raises(StylegenError, match="cannot open muspy's MAESTRODatasetV3: Nothing found"):
        list_style(r, "s")


ABC_BOOK = """% two tunes in one file, as the Nottingham database stores them
X: 1
T:First
M:4/4
L:1/4
K:C
C D E F|G A B c|c B A G|F E D C|

X: 2
T:Second
M:3/4
L:1/4
K:G
G A B|d B G|A B c|B3|

"""


def _snapshot(root: Path) -> dict:
    """Every path under root with its size and modification time (ns)."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("abc", [False, True])
def test_opening_a_muspy_dataset_writes_nothing_into_its_root(tmp_path, abc):
    # muspy's constructor touches root/.muspy.success; the user's data folder stays as it was
    if abc:
        root = tmp_path / "nmd"
        (root / "ABC_cleaned").mkdir(parents=True)
        (root / "ABC_cleaned" / "book.abc").write_text(ABC_BOOK)
        (root / ".muspy.success").touch()
        source = {"muspy": "NottinghamDatabase", "root": str(root)}
    else:
        root = muspy_root(tmp_path / "lmd")
        source = {"muspy": "LakhMIDIDataset", "root": str(root)}
    old = 1_000_000_000 * 10**9  # 2001: a write would move it to now
    for p in [root, *root.rglob("*")]:
        os.utime(p, ns=(old, old))
    before = _snapshot(root)
    r = recipe(tmp_path, source)
    assert prepare(r).reports["s"].used == 2
    assert _snapshot(root) == before
    assert root.stat().st_mtime_ns == old  # nothing created or removed in it either


def test_an_abc_muspy_dataset_gives_one_item_per_tune(tmp_path):
    root = tmp_path / "nmd"
    (root / "ABC_cleaned").mkdir(parents=True)
    (root / "ABC_cleaned" / "book.abc").write_text(ABC_BOOK)
    (root / ".muspy.success").touch()
    r = recipe(tmp_path, {"muspy": "NottinghamDatabase", "root": str(root)})
    items = list_style(r, "s")
    assert len(items) == 2 and len({i.key for i in items}) == 2
    corpus = prepare(r)
    assert corpus.reports["s"].used == 2
    first = min(corpus.pieces, key=lambda p: p.key)
    assert first.notes[:4, 2].tolist() == [60, 62, 64, 65] and first.length == 16 * 4
