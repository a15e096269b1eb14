"""``stylegen serve`` itself, the service without a browser, and the web extra staying optional."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import stylegen
from stylegen.commands.serve import host_warning
from stylegen.errors import StylegenError
from stylegen.web.service import (
    COMPOSE_CONTROLS, TRANSFER_CONTROLS, Busy, Limits, Service, Upload, parameters, read_controls, safe_name,
)
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
        assert "Ctrl-C to stop" in p.stdout.readline()  # how to stop it, on the next line
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
    cli.one_line_error("serve", *run(capsys, "serve", "--max-folder-mb", "0")[::2], "--max-folder-mb must be above 0")
    cli.one_line_error("serve", *run(capsys, "serve", "--queue", "-1")[::2], "--queue must be 0 or more")


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
    # "melody only" ticked is melody_only=True; unticked it is not passed (None: detect a bare melody), as the CLI
    assert read_controls({"melody_only": "on"}, TRANSFER_CONTROLS, None) == {"free_melody": False, "melody_only": True}
    assert read_controls({"form": " AABA "}, COMPOSE_CONTROLS, None) == {"form": "AABA"}
    assert read_controls({"form": ""}, COMPOSE_CONTROLS, None) == {}  # empty: the default form for the length
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


# --------------------------------------------------------------------------- left running: queue, bytes, rolls


class Gated:
    """The shipped model, its transfer_file held until ``gate`` opens (a slow request)."""

    def __init__(self, model):
        self._model = model
        self.gate = threading.Event()

    def __getattr__(self, name):
        return getattr(self._model, name)

    def transfer_file(self, src, dst, style="classical", **options):
        assert self.gate.wait(120), "the test never opened the gate"
        return self._model.transfer_file(src, dst, style, **options)


def _wait_for(condition, what: str, seconds: float = 60.0):
    """A bounded wait for another thread to get somewhere (not a timed assertion)."""
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.02)


def test_requests_wait_in_turn_with_their_position_and_past_the_queue_the_page_is_busy(model, tmp_path):
    gated = Gated(model)
    service = Service(gated, Limits(queue=2))
    data = song(tmp_path / "s.mid", bars=2).read_bytes()
    tickets = [f"{i:02x}" * 8 for i in range(3)]
    results: dict[str, object] = {}

    def request(ticket):
        try:
            results[ticket] = service.transfer(Upload("s.mid", data), "classical", {"ticket": ticket})
        except Exception as e:  # noqa: BLE001 - the test looks at it
            results[ticket] = e

    threads = []
    try:
        for t in tickets:  # one at a time, so that the queue's order is theirs
            threads.append(threading.Thread(target=request, args=(t,), daemon=True))
            threads[-1].start()
            _wait_for(lambda: service.position(t)["state"] != "unknown", f"request {t} to queue")
        assert [service.position(t) for t in tickets] == [
            {"state": "working"}, {"state": "waiting", "ahead": 1}, {"state": "waiting", "ahead": 2}]
        with pytest.raises(Busy, match=r"^the page is busy: 2 requests are waiting already \(at most 2\)"):
            service.transfer(Upload("s.mid", data), "classical", {})  # at once, not after the others
        gated.gate.set()
        for th in threads:
            th.join(300)
        assert all(isinstance(results[t], dict) for t in tickets), results
        assert [service.position(t) for t in tickets] == [{"state": "unknown"}] * 3
        assert service.transfer(Upload("s.mid", data), "classical", {})["output"]["midi"]  # not busy any more
    finally:
        gated.gate.set()
        service.close()


def test_the_app_answers_busy_with_503_and_tells_a_ticket_its_place(model, tmp_path):
    from tests.web.conftest import Server

    gated = Gated(model)
    server = Server(gated, Limits(queue=0)).start()
    body, boundary = _form({"style": "classical", "ticket": "ab" * 8}, song(tmp_path / "s.mid", bars=2))
    answers = {}

    def first():
        answers["first"] = _post(f"{server.url}/api/transfer", body, boundary)

    th = threading.Thread(target=first, daemon=True)
    try:
        th.start()
        _wait_for(lambda: _get(f"{server.url}/api/queue/{'ab' * 8}")[1]["state"] == "working", "the first request")
        status, answer = _post(f"{server.url}/api/transfer", *_form({"style": "classical"}, tmp_path / "s.mid"))
        assert status == 503 and answer["busy"] is True
        assert answer["error"].startswith("the page is busy: 0 requests are waiting already (at most 0)")
        gated.gate.set()
        th.join(300)
        assert answers["first"][0] == 200
        assert _get(f"{server.url}/api/queue/{'ab' * 8}") == (200, {"state": "unknown"})
    finally:
        gated.gate.set()
        server.stop()


def test_the_app_runs_every_request_on_the_services_one_worker_thread(model):
    """One thread for the model and the renderers: spread over a pool, each thread's malloc
    arena kept memory and the server grew by about 2 MB a request (bench_web_soak.py)."""
    service = Service(model)
    try:
        idents = [service.submit({}, lambda form: (threading.get_ident(), form["ticket"])).result(60) for _ in range(3)]
    finally:
        service.close()
    assert len({i for i, _ in idents}) == 1 and idents[0][0] != threading.get_ident()
    assert len({t for _, t in idents}) == 3  # each request its own ticket


def test_the_job_folder_is_bounded_in_bytes_as_well_as_jobs(model):
    probe = Service(model)
    try:
        probe.compose(model.styles[0], {"bars": "2", "seed": "1"})
        one_job = probe.folder_bytes()
    finally:
        probe.close()
    assert one_job > 100_000  # a WAV, a MIDI file and a roll
    bound = int(2.5 * one_job)  # room for two jobs, not three
    service = Service(model, Limits(jobs_kept=20, folder_bytes=bound))
    try:
        urls = []
        for seed in range(5):
            urls.append(service.compose(model.styles[0], {"bars": "2", "seed": str(seed)})["output"]["midi"])
            assert service.folder_bytes() <= bound
        found = [service.file(*u.split("/")[2:]) for u in urls]
        assert [f is not None for f in found] == [False, False, False, True, True]
        assert len([d for d in service.root.iterdir() if d.is_dir()]) == 2
    finally:
        service.close()
    alone = Service(model, Limits(folder_bytes=1))  # one job over the bound: the newest always stays
    try:
        for seed in range(2):
            url = alone.compose(model.styles[0], {"bars": "1", "seed": str(seed)})["output"]["midi"]
        assert alone.file(*url.split("/")[2:]) is not None and len(list(alone.root.iterdir())) == 1
    finally:
        alone.close()


def test_rolls_show_the_whole_piece_numbered_in_bars(model, tmp_path):
    from stylegen.data.midi import read_score
    from stylegen.web.rolls import PX_PER_BAR, roll_figure

    service = Service(model, Limits(bars=400))
    try:
        widths = {}
        for bars in (8, 40):  # 40 bars: 160 beats, well past what one screen shows
            r = service.transfer(Upload("s.mid", song(tmp_path / f"s{bars}.mid", bars=bars).read_bytes()),
                                 "classical", {})
            for side in ("input", "output"):
                with Image(service.file(*r[side]["roll"].split("/")[2:])) as size:
                    widths[bars, side] = size
        assert widths[8, "input"] == widths[8, "output"] and widths[40, "input"] == widths[40, "output"]
        assert widths[40, "input"][0] - widths[8, "input"][0] == pytest.approx(32 * PX_PER_BAR, abs=2)
    finally:
        service.close()
    score = read_score(song(tmp_path / "m.mid", bars=12), 4)
    import matplotlib.pyplot as plt

    fig = roll_figure(score, score.bar_starts(), 40, 80, score.length)
    try:
        ax = fig.axes[0]
        assert ax.get_xlabel() == "bar" and ax.get_xlim() == (0, 12 * 16)  # all 12 bars of 16 steps
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks == [str(b) for b in range(1, 13)] and list(ax.get_xticks()) == list(range(0, 12 * 16, 16))
    finally:
        plt.close(fig)


def test_the_page_and_the_cli_say_the_same_length(model, tmp_path, capsys):
    """A file whose end of track lies 3 ticks after its last beat is 32 beats for both."""
    import mido

    from stylegen.data.fastmidi import midi_length_beats

    src = song(tmp_path / "s.mid", bars=8)
    mf = mido.MidiFile(src)
    end = max(sum(m.time for m in t) for t in mf.tracks) + 3
    for track in mf.tracks:
        track[-1].time += end - sum(m.time for m in track)
    mf.save(src)
    assert midi_length_beats(src) == 32 + 3 / 480
    code, out, _ = run(capsys, "transfer", src, "--style", "classical", "-o", tmp_path / "cli.mid")
    assert code == 0 and ": 32 beats, " in out
    service = Service(model)
    try:
        message = service.transfer(Upload("s.mid", src.read_bytes()), "classical", {})["message"]
    finally:
        service.close()
    assert message.startswith("s.mid in classical: 32 beats, ")
    notes = lambda text: text.split(" beats, ")[1].split(" notes")[0]  # noqa: E731
    assert notes(message) == notes(out)


# --------------------------------------------------------------------------- harmony: the form, which harmony, the note


def said(stdout: str) -> str:
    """What the CLI's ``wrote PATH: ...`` line says after the path."""
    return [line for line in stdout.splitlines() if line.startswith("wrote ")][-1].split(": ", 1)[1]


def made(service: Service, answer: dict) -> bytes:
    """The MIDI file a request made."""
    return service.file(*answer["output"]["midi"].split("/")[2:]).read_bytes()


def test_compose_takes_a_form_checked_and_said_as_stylegen_generate_does(tiny_checkpoints, tmp_path, capsys):
    from tests.web.test_page import cli_error

    _, ckpt = tiny_checkpoints
    model = stylegen.load(ckpt)
    service = Service(model)
    try:
        info = service.info()
        assert "form" in info["compose_controls"] and info["harmony_note"] is None and info["compose_disabled"] == {}
        messages = []
        for form, flags in (("abab", ["--form", "abab"]), (" AABA ", ["--form", "AABA"]), ("", [])):  # "": by length
            r = service.compose("classical", {"bars": "8", "seed": "3", "form": form})
            cli_out = tmp_path / f"g{len(messages)}.mid"
            code, out, _ = run(capsys, "generate", "--checkpoint", ckpt, "--style", "classical", "--bars", 8,
                               "--seed", 3, *flags, "-o", cli_out)
            assert code == 0 and r["message"] == said(out)  # the CLI's words, form and harmony included
            assert made(service, r) == cli_out.read_bytes()
            messages.append(r["message"])
        assert [m.split(", ", 2)[2] for m in messages] == [
            "form ABAB, harmony planned (seed 3)", "form AABA, harmony planned (seed 3)",
            "form AB, harmony planned (seed 3)"]  # 8 bars: two sections of 4 by default
        primer = song(tmp_path / "p.mid", bars=2)
        r = service.compose("classical", {"bars": "2", "seed": "4", "form": "AB"}, Upload("p.mid", primer.read_bytes()))
        code, out, _ = run(capsys, "generate", "--checkpoint", ckpt, "--style", "classical", "--bars", 2, "--seed", 4,
                           "--form", "AB", "--primer", primer, "-o", tmp_path / "c.mid")
        assert code == 0 and r["message"] == said(out) and "form AB, harmony planned after the primer's" in r["message"]
        assert made(service, r) == (tmp_path / "c.mid").read_bytes()
    finally:
        service.close()

    fresh = Service(model)  # a bad form: the CLI's one line, before anything is saved or composed
    try:
        for bars, form in ((8, "A-B"), (4, "ABCDE"), (100, "A" * 65)):
            expected = cli_error(capsys, "generate", "--checkpoint", ckpt, "--style", "classical", "--bars", bars,
                                 "--form", form, "-o", tmp_path / "bad.mid")
            with pytest.raises(StylegenError) as e:
                fresh.compose("classical", {"bars": str(bars), "form": form}, Upload("p.mid", primer.read_bytes()))
            assert str(e.value) == expected and "form" in expected
        assert [f for f in fresh.root.rglob("*") if f.is_file()] == []
    finally:
        fresh.close()


def test_without_a_harmony_model_the_page_notes_it_once_and_a_form_is_the_clis_error(tiny_checkpoints, tmp_path,
                                                                                        capsys):
    from tests.web.test_page import cli_error

    plain, _ = tiny_checkpoints
    service = Service(stylegen.load(plain))
    try:
        code, out, _ = run(capsys, "generate", "--checkpoint", plain, "--style", "pop", "--bars", 4, "--seed", 1,
                           "-o", tmp_path / "g.mid")
        assert code == 0
        note = out.splitlines()[0]  # the CLI's note, on its own line before the output line
        assert note.startswith("note: ") and "has no harmony model" in note
        info = service.info()
        assert info["harmony_note"] == note and info["compose_disabled"] == {"form": note}
        r = service.compose("pop", {"bars": "4", "seed": "1"})
        assert r["message"] == said(out) and r["message"].endswith(", harmony withheld (seed 1)")
        assert "no harmony model" not in r["message"]  # said once, by the page, not with every piece
        assert made(service, r) == (tmp_path / "g.mid").read_bytes()
        expected = cli_error(capsys, "generate", "--checkpoint", plain, "--style", "pop", "--bars", 8, "--form", "AABA",
                             "-o", tmp_path / "f.mid")
        with pytest.raises(StylegenError, match="^a form needs a checkpoint with a harmony model") as e:
            service.compose("pop", {"bars": "8", "form": "AABA"})  # sent anyway (a script, a changed page)
        assert str(e.value) == expected
    finally:
        service.close()


def test_transfer_says_which_harmony_it_used_as_the_cli_and_takes_melody_only(tiny_checkpoints, tmp_path, capsys):
    from tests.midifiles import Track, scale_piece, write_midi

    plain, ckpt = tiny_checkpoints
    tune = write_midi(tmp_path / "tune.mid", [Track(scale_piece(4, 67), name="Melody")])  # a bare melody
    full = song(tmp_path / "full.mid", bars=4)  # a melody over chords
    planned = "planned by the harmony model from the melody"
    cases = [  # checkpoint, input, the page's fields, the CLI's flags, what both say after "harmony: "
        (ckpt, tune, {}, [], planned),
        (ckpt, full, {}, [], "the input's own notes"),
        (ckpt, full, {"melody_only": "on"}, ["--melody-only"], planned),
        (plain, tune, {}, [], "the melody's own pitch classes (this checkpoint has no harmony model)"),
    ]
    services: dict[Path, Service] = {}
    outputs = []
    try:
        for path, src, fields, flags, harmony in cases:
            if path not in services:
                services[path] = Service(stylegen.load(path))
            r = services[path].transfer(Upload(src.name, src.read_bytes()), "classical", fields)
            code, out, _ = run(capsys, "transfer", src, "--checkpoint", path, "--style", "classical", *flags,
                               "-o", tmp_path / "cli.mid", "--force")
            assert code == 0 and said(out).endswith(f"; harmony: {harmony}")
            assert r["harmony"] == harmony and r["message"].endswith(f"; harmony: {harmony}")
            outputs.append(made(services[path], r))
            assert outputs[-1] == (tmp_path / "cli.mid").read_bytes()
        assert outputs[1] != outputs[2]  # melody only did leave the chords out and plan the harmony
        with pytest.raises(StylegenError, match="cannot go with free_melody"):
            services[ckpt].transfer(Upload("full.mid", full.read_bytes()), "classical",
                                    {"melody_only": "on", "free_melody": "on"})
    finally:
        for service in services.values():
            service.close()


class Image:
    """(width, height) of a PNG, read from its header."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        head = Path(self.path).read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")

    def __exit__(self, *exc):
        return False


def song(path: Path, bars: int = 4) -> Path:
    from tests.midifiles import Track, chord_piece, scale_piece, write_midi

    return write_midi(path, [Track(scale_piece(bars, 60), name="Melody"), Track(chord_piece(bars, 40))],
                      tempo_bpm=120)


def _form(fields: dict, path: Path) -> tuple[bytes, str]:
    boundary = "stylegen-test-boundary"
    body = b""
    for k, v in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
             "Content-Type: audio/midi\r\n\r\n").encode() + path.read_bytes() + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), boundary


def _post(url: str, body: bytes, boundary: str) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def _get(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url) as r:
        return r.status, json.load(r)
