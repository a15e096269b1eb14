"""``stylegen serve`` itself, the service without a browser, and the web extra staying optional."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import stylegen
from stylegen.commands.serve import host_warning
from stylegen.web.service import TRANSFER_CONTROLS, Limits, Service, parameters, read_controls, safe_name
from tests.commands import cli
from tests.commands.cli import run

SOURCE = Path(stylegen.__file__).resolve().parents[1]  # the stylegen these tests import, for the subprocesses
WEB_MODULES = ("starlette", "uvicorn", "multipart", "python_multipart", "selenium")


def test_the_command_prints_its_address_serves_and_cleans_up_on_ctrl_c(tmp_path, model):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), OMP_NUM_THREADS="1", PYTHONPATH=str(SOURCE))
    p = subprocess.Popen([sys.executable, "-m", "stylegen", "serve", "--port", "0"], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = p.stdout.readline().strip()  # printed once the model is loaded and the port is open
        assert url.startswith("http://127.0.0.1:"), (url, p.stderr.read() if p.poll() is not None else "")
        with urllib.request.urlopen(f"{url}/api/info") as r:
            info = json.load(r)
        assert info["styles"] == model.styles and info["limits"]["upload_mb"] == 5
        with urllib.request.urlopen(url) as r:
            assert b"<title>stylegen</title>" in r.read()
        assert [d.name for d in tmp.iterdir()][0].startswith("stylegen-web-")
        p.send_signal(signal.SIGINT)
        assert p.wait(60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert list(tmp.iterdir()) == []  # the temporary folder went with the server


def test_a_port_in_use_is_one_line(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code, _, err = run(capsys, "serve", "--port", port)
    cli.one_line_error("serve", code, err, f"cannot listen on 127.0.0.1:{port}")


def test_bad_options_are_one_line(capsys, tmp_path):
    cli.one_line_error("serve", *run(capsys, "serve", "--port", "70000")[::2], "--port must be between 0 and 65535")
    cli.one_line_error("serve", *run(capsys, "serve", "--port", "0", "--checkpoint", tmp_path / "no.pt")[::2],
                       "no.pt")
    cli.one_line_error("serve", *run(capsys, "serve", "--max-bars", "0")[::2], "--max-bars must be at least 1")


def test_without_the_web_extra_serve_says_how_to_install_it(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    code, _, err = run(capsys, "serve", "--port", "0")
    cli.one_line_error("serve", code, err, 'pip install -e ".[web]"', "uvicorn")


def test_only_serve_imports_the_web_framework():
    code = ("import sys, stylegen, stylegen.cli; stylegen.cli.build_parser(); "
            f"print([m for m in sys.modules if m.split('.')[0] in {WEB_MODULES!r}])")
    out = subprocess.run([sys.executable, "-c", code], cwd=SOURCE, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_page_imports_nothing_from_the_commands():
    """The page sits beside the CLI, not above it: what both need (style_slug) lives lower down."""
    import ast

    import stylegen.web.app as app
    import stylegen.web.service as service

    for module in (service, app):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [n for n in names if n.startswith("stylegen.commands")], (module.__name__, names)


def test_listening_beyond_this_machine_warns():
    assert host_warning("127.0.0.1") is None and host_warning("::1") is None
    assert "anyone who can reach this machine" in host_warning("0.0.0.0")


# --------------------------------------------------------------------------- the service's plumbing


def test_controls_go_only_to_keywords_the_model_takes():
    def transfer_file(src, dst, style="x", **options):
        pass

    def transfer_score(score, style="x", *, strength=1.0, seed=0, melody=False):  # free_melody renamed
        pass

    accepted = parameters(transfer_file, transfer_score)
    assert accepted == {"src": None, "dst": None, "style": "x", "score": None, "strength": 1.0, "seed": 0,
                        "melody": False}
    form = {"strength": "0.5", "seed": "3", "free_melody": "on", "temperature": "", "source": "pop"}
    assert read_controls(form, TRANSFER_CONTROLS, accepted) == {"strength": 0.5, "seed": 3}
    assert parameters(transfer_file) is None  # **options and nothing to follow: everything goes
    assert read_controls({"seed": "3"}, TRANSFER_CONTROLS, None) == {"seed": 3, "free_melody": False}
    with pytest.raises(Exception, match="seed must be a whole number, got 'x'"):
        read_controls({"seed": "x"}, TRANSFER_CONTROLS, None)


def test_uploaded_names_stay_in_their_folder():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\songs\\my song (1).mid") == "my_song_1_.mid"
    assert safe_name("...") == "upload.mid"


def test_old_jobs_are_removed_and_the_rest_on_close(model):
    service = Service(model, Limits(jobs_kept=2))
    try:
        urls = [service.compose(model.styles[0], {"bars": "1", "seed": str(i)})["output"]["midi"] for i in range(3)]
        found = [service.file(*u.split("/")[2:]) for u in urls]
        assert found[0] is None and all(p is not None and p.is_file() for p in found[1:])
        assert service.file("../" + urls[1].split("/")[2], "out", "x.mid") is None
    finally:
        service.close()
    assert not service.root.exists()
