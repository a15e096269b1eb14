"""stylegen/fileio.py: every writer's temp file + rename, and the refusal to overwrite."""

from __future__ import annotations

import os
import threading

import pytest

from stylegen.errors import StylegenError
from stylegen.fileio import atomic_path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_writes_through_a_temp_file_beside_the_target(tmp_path):
    target = tmp_path / "sub" / "out.bin"  # the folder is made
    with atomic_path(target, suffix=".mid") as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".out.bin.") and tmp.suffix == ".mid"
        assert tmp.exists() and not target.exists()  # nothing at the target until the end
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["out.bin"]  # no temp file left
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()  # not mkstemp's 0600


def test_an_error_leaves_what_was_there_and_no_temp_file(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="writer failed"):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("writer failed")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_overwrite_replaces_by_default(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"


def test_without_overwrite_an_existing_file_is_one_clear_error_before_any_work(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(StylegenError, match=r"out.bin already exists: use --force to overwrite it"):
        with atomic_path(target, overwrite=False):
            raise AssertionError("the block must not run")
    assert target.read_bytes() == b"old"


def test_without_overwrite_a_file_that_appears_meanwhile_is_kept(tmp_path):
    # another process writes the target while we work: ours must not replace it
    target = tmp_path / "out.bin"
    with pytest.raises(StylegenError, match="exists"):
        with atomic_path(target, overwrite=False) as tmp:
            tmp.write_bytes(b"ours")
            target.write_bytes(b"theirs")
    assert target.read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_without_overwrite_a_new_file_is_written(tmp_path):
    with atomic_path(tmp_path / "new.bin", overwrite=False) as tmp:
        tmp.write_bytes(b"x")
    assert (tmp_path / "new.bin").read_bytes() == b"x"


def test_a_directory_is_not_a_target(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(StylegenError, match="is a directory"):
        with atomic_path(tmp_path / "d"):
            pass


def test_concurrent_writers_get_distinct_temp_names(tmp_path):
    target = tmp_path / "out.bin"
    names, barrier = [], threading.Barrier(4)

    def write(i: int) -> None:
        with atomic_path(target) as tmp:
            names.append(tmp.name)
            barrier.wait(timeout=10)  # all four temp files exist at once
            tmp.write_bytes(bytes([i]))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(names)) == 4
    assert target.read_bytes() in {bytes([i]) for i in range(4)}  # one whole write won
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_style_names_as_file_name_parts():
    from stylegen.fileio import style_slug

    assert style_slug("classical") == "classical"
    assert style_slug("classical=0.7,folk=0.3") == "classical0.7-folk0.3"
    assert style_slug(" a b/c ") == "a-b-c"
    assert style_slug("==") == "styled"
