"""Helpers for CLI tests: run ``stylegen.cli.main`` in-process and check one-line errors."""

from __future__ import annotations

from stylegen.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    """``main(argv)`` -> (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(command: str, code: int, err: str, *needles: str) -> None:
    """Exit code 2 and exactly one stderr line ``stylegen COMMAND: error: ...`` holding each needle."""
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"stylegen {command}: error: "), err
    for n in needles:
        assert n in lines[0], lines[0]
