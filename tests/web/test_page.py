"""The page in a real headless browser: upload, transfer, listen, see the rolls, download;
errors as the CLI prints them; compose; several files as one zip.

Every result is compared with what the CLI writes for the same input and options (same
checkpoint, same bytes), so the page can hold no transfer logic of its own.
"""

from __future__ import annotations

import io
import os
import threading
import urllib.request
import zipfile
from pathlib import Path

import pytest

from stylegen.data.fastmidi import midi_length_beats
from stylegen.data.midi import read_score
from tests.commands.cli import run
from tests.midifiles import Track, chord_piece, scale_piece, write_midi

pytestmark = pytest.mark.usefixtures("server")


def song(path: Path, bars: int = 8, tempo: float = 100.0, base: int = 60) -> Path:
    """A melody over whole-bar chords: ``bars`` bars of 4/4."""
    return write_midi(path, [Track(scale_piece(bars, base), name="Melody"), Track(chord_piece(bars, base - 20))],
                      tempo_bpm=tempo)


def cli_error(capsys, command: str, *argv) -> str:
    """The one line the CLI prints for an error, without its ``stylegen COMMAND: error: ``."""
    code, _, err = run(capsys, command, *argv)
    assert code == 2, err
    line = err.strip()
    prefix = f"stylegen {command}: error: "
    assert "\n" not in line and line.startswith(prefix), err
    return line[len(prefix):]


# --------------------------------------------------------------------------- driving the page


class Page:
    def __init__(self, driver, url: str):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        self.d, self.url, self.By = driver, url, By
        # a bound on each wait, not a timed assertion
        self.wait = WebDriverWait(driver, 120, poll_frequency=0.1)

    def open(self, tab: str = "transfer") -> "Page":
        self.d.get(self.url)
        self.wait.until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
        self.css(f".tab[data-tab={tab}]").click()
        return self

    def css(self, sel: str):
        return self.d.find_element(self.By.CSS_SELECTOR, sel)

    def all(self, sel: str):
        return self.d.find_elements(self.By.CSS_SELECTOR, sel)

    def set(self, sel: str, value) -> None:
        """Set a form control as a user would leave it (a select's option, a number, a box)."""
        el = self.css(sel)
        if el.get_attribute("type") == "checkbox":
            if el.is_selected() != bool(value):
                el.click()
        elif el.tag_name == "select":
            from selenium.webdriver.support.ui import Select

            Select(el).select_by_value(str(value))
        else:
            el.clear()
            el.send_keys(str(value))

    def upload(self, sel: str, *paths: Path) -> None:
        self.css(sel).send_keys("\n".join(str(Path(p).resolve()) for p in paths))

    def submit(self, name: str) -> str | None:
        """Press the form's button; wait for its result or its error; the error's text or None."""
        self.css(f"#{name}-go").click()
        self.wait.until(lambda d: not self.css(f"#{name}-go").get_attribute("disabled")
                        and (self.css(f"#{name}-result").is_displayed() or self.css(f"#{name}-error").is_displayed()))
        error = self.css(f"#{name}-error")
        return error.text if error.is_displayed() else None

    def loaded_images(self, sel: str) -> list[int]:
        """Widths of the images under ``sel`` once they have loaded (0: broken)."""
        self.wait.until(lambda d: all(img.get_property("complete") for img in self.all(sel)))
        return [img.get_property("naturalWidth") for img in self.all(sel)]

    def audio_seconds(self, sel: str) -> list[float]:
        """Durations of the audio elements under ``sel`` once the browser has read their headers."""
        self.wait.until(lambda d: all(a.get_property("readyState") >= 1 or a.get_property("error")
                                      for a in self.all(sel)))
        assert not any(a.get_property("error") for a in self.all(sel)), "an audio element could not load"
        return [a.get_property("duration") for a in self.all(sel)]

    def href(self, sel: str) -> bytes:
        """What a link on the page points at (fetched from the same server)."""
        with urllib.request.urlopen(self.css(sel).get_property("href")) as r:
            return r.read()


@pytest.fixture
def page(browser, server):
    return Page(browser, server.url)


# --------------------------------------------------------------------------- transfer


def test_transfer_shows_rolls_plays_and_downloads_what_the_cli_writes(page, browser, tmp_path, capsys):
    src = song(tmp_path / "song.mid", bars=8, tempo=100)  # 32 beats, 19.2 s
    page.open()
    page.upload("#transfer-file", src)
    page.set("#transfer-form select[name=style]", "classical")
    assert page.submit("transfer") is None

    assert page.css("#transfer-message").text.startswith("song.mid in classical: 32 beats, ")
    widths = page.loaded_images("#transfer-result img.roll")
    assert len(widths) == 2 and all(w > 100 for w in widths)  # input and output, drawn
    seconds = page.audio_seconds("#transfer-result audio")
    assert len(seconds) == 2
    for s in seconds:  # the piece's 19.2 s, plus at most the renderer's release tail
        assert 19.2 <= s <= 19.2 + 3.1

    for old in browser.downloads.glob("*"):
        old.unlink()
    page.css("#transfer-output a.output-midi").click()
    page.wait.until(lambda d: (browser.downloads / "song.classical.mid").is_file())
    got = browser.downloads / "song.classical.mid"
    assert midi_length_beats(got) == read_score(src, 4).n_beats == 32.0
    assert len(read_score(got, 4).notes) > 0

    # the very file `stylegen transfer` writes for the same input and style
    assert run(capsys, "transfer", src, "--style", "classical", "-o", tmp_path / "cli.mid")[0] == 0
    assert got.read_bytes() == (tmp_path / "cli.mid").read_bytes()
    wav = page.href("#transfer-output a.output-wav")
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"


# page control -> (what is set on the page, the CLI's flags for the same)
CLI_FLAGS = {
    "strength": ("0.5", ["--strength", "0.5"]),
    "temperature": ("0.8", ["--temperature", "0.8"]),
    "seed": ("3", ["--seed", "3"]),
    "free_melody": (True, ["--free-melody"]),
    "melody_only": (True, ["--melody-only"]),  # excludes free_melody: its own test below
}


def test_transfer_options_reach_the_api_as_the_cli_passes_them(page, server, tmp_path, capsys):
    src = song(tmp_path / "tune.mid", bars=4)
    shown = server.service.info()["transfer_controls"]  # the controls the loaded model takes
    assert {"strength", "temperature", "seed"} <= set(shown) and set(shown) <= set(CLI_FLAGS)
    page.open()
    hidden = [c for c in CLI_FLAGS if not page.css(f"#transfer-form [data-control={c}]").is_displayed()]
    assert sorted(hidden) == sorted(set(CLI_FLAGS) - set(shown))
    defaults = server.service.info()["transfer_defaults"]  # the API method's own defaults
    for control in ("strength", "temperature", "seed"):
        assert float(page.css(f"#transfer-form [name={control}]").get_property("value")) == defaults[control]
    page.upload("#transfer-file", src)
    page.set("#transfer-form select[name=style]", "classical")
    flags = []
    for control in [c for c in shown if c != "melody_only"]:
        value, cli_flags = CLI_FLAGS[control]
        page.set(f"#transfer-form [name={control}]", value)
        flags += cli_flags
    assert page.submit("transfer") is None
    got = page.href("#transfer-output a.output-midi")

    assert run(capsys, "transfer", src, "--style", "classical", "-o", tmp_path / "same.mid", *flags)[0] == 0
    assert run(capsys, "transfer", src, "--style", "classical", "-o", tmp_path / "plain.mid")[0] == 0
    assert got == (tmp_path / "same.mid").read_bytes()
    assert got != (tmp_path / "plain.mid").read_bytes()  # the options did change the result


def test_errors_are_the_cli_lines_and_the_page_keeps_working(page, tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("not music\n")
    empty = write_midi(tmp_path / "empty.mid", [Track([], name="Piano")])
    page.open()

    for bad in (text, empty):
        page.upload("#transfer-file", bad)
        shown = page.submit("transfer")
        expected = cli_error(capsys, "transfer", bad, "--style", "classical", "-o", tmp_path / "x.mid")
        assert shown == expected.replace(f"{tmp_path}{os.sep}", "")
        assert not page.css("#transfer-result").is_displayed()

    # a style the model does not have (as a changed page or a script would send it)
    good = song(tmp_path / "good.mid", bars=4)
    page.upload("#transfer-file", good)
    page.d.execute_script("const s = document.querySelector('#transfer-form select[name=style]');"
                          "s.add(new Option('jazz', 'jazz')); s.value = 'jazz';")
    assert page.submit("transfer") == cli_error(capsys, "transfer", good, "--style", "jazz")
    assert not (tmp_path / "good.jazz.mid").exists()

    page.set("#transfer-form select[name=style]", "classical")
    assert page.submit("transfer") is None
    assert not page.css("#transfer-error").is_displayed()
    assert len(page.loaded_images("#transfer-result img.roll")) == 2


def test_a_waiting_request_shows_its_place_in_the_queue_and_a_full_queue_is_busy(browser, model, tmp_path):
    from stylegen.web.service import Limits
    from tests.web.conftest import Server
    from tests.web.test_serve import Gated, _form, _post

    gated = Gated(model)
    server = Server(gated, Limits(upload_bytes=200_000, bars=64, files=5, queue=1)).start()
    src = song(tmp_path / "song.mid", bars=2)
    first = threading.Thread(target=_post, args=(f"{server.url}/api/transfer", *_form({"style": "classical"}, src)),
                             daemon=True)
    try:
        first.start()  # someone else's request, held in the model
        page = Page(browser, server.url).open()
        page.upload("#transfer-file", src)
        page.css("#transfer-go").click()
        page.wait.until(lambda d: "waiting: 1 request ahead of yours" in page.css("#transfer-status").text)
        # a third request finds the queue full: busy at once, the page's two requests unharmed
        status, answer = _post(f"{server.url}/api/transfer", *_form({"style": "classical"}, src))
        assert status == 503 and answer["error"].startswith("the page is busy")
        gated.gate.set()
        page.wait.until(lambda d: page.css("#transfer-result").is_displayed())
        assert page.css("#transfer-status").text == "" and not page.css("#transfer-error").is_displayed()
        assert len(page.loaded_images("#transfer-result img.roll")) == 2
    finally:
        gated.gate.set()
        first.join(120)
        server.stop()


def test_limits_are_refused_with_the_file_named(page, tmp_path):
    long = song(tmp_path / "long.mid", bars=70)  # the test server takes 64 bars
    big = tmp_path / "big.mid"
    big.write_bytes(b"MThd" + bytes(250_000))  # over the test server's 200 kB
    page.open()
    page.upload("#transfer-file", long)
    assert page.submit("transfer") == "long.mid: 70 bars is over the page's limit of 64 bars"
    page.upload("#transfer-file", big)
    assert page.submit("transfer") == "big.mid: 0.238 MB is over the page's upload limit of 0.191 MB"


def test_the_bundled_demo(page, server):
    if server.service.info()["demo"] is None:
        pytest.skip("examples/pop_demo.mid is not in this install")
    page.open()
    page.set("#transfer-demo", True)
    assert page.submit("transfer") is None
    assert page.css("#transfer-message").text.startswith("pop_demo.mid in classical: ")
    assert len(page.audio_seconds("#transfer-result audio")) == 2


# --------------------------------------------------------------------------- compose and batch


def test_compose_gives_the_piece_stylegen_generate_writes(page, tmp_path, capsys):
    page.open("compose")
    page.set("#compose-form select[name=style]", "classical")
    page.set("#compose-form input[name=bars]", "4")
    page.set("#compose-form input[name=seed]", "7")
    assert page.submit("compose") is None
    assert page.css("#compose-message").text.startswith("4 bars of classical")
    assert page.loaded_images("#compose-result img.roll")[0] > 100
    assert len(page.audio_seconds("#compose-result audio")) == 1
    got = page.href("#compose-output a.output-midi")
    assert run(capsys, "generate", "--style", "classical", "--bars", "4", "--seed", "7", "-o", tmp_path / "g.mid")[0] == 0
    assert got == (tmp_path / "g.mid").read_bytes()

    primer = song(tmp_path / "intro.mid", bars=2)
    page.upload("#compose-form input[name=primer]", primer)
    page.set("#compose-form input[name=bars]", "2")
    page.set("#compose-form input[name=seed]", "5")
    assert page.submit("compose") is None
    assert page.css("#compose-output figcaption").text == "output: intro.classical-continued.mid"
    got = page.href("#compose-output a.output-midi")
    assert run(capsys, "generate", "--style", "classical", "--bars", "2", "--seed", "5", "--primer", primer,
               "-o", tmp_path / "c.mid")[0] == 0
    assert got == (tmp_path / "c.mid").read_bytes()

    page.set("#compose-form input[name=bars]", "65")
    bars = page.css("#compose-form input[name=bars]")
    assert bars.get_property("validity")["rangeOverflow"]  # the browser refuses it, and so does the server:
    page.d.execute_script("arguments[0].removeAttribute('max')", bars)
    assert page.submit("compose") == "65 bars is over the page's limit of 64 bars"


def test_several_files_come_back_as_one_zip(page, tmp_path, capsys):
    a, b = song(tmp_path / "a.mid", bars=4), song(tmp_path / "b.mid", bars=6, base=62)
    text = tmp_path / "notes.txt"
    text.write_text("not music\n")
    page.open("batch")
    page.upload("#batch-files", a, b, text)
    page.set("#batch-form select[name=style]", "classical")
    page.set("#batch-form input[name=audio]", True)
    assert page.submit("batch") is None
    assert page.css("#batch-message").text == "transferred 2 of 3 files to classical; 1 failed:"
    failed = [li.text for li in page.all("#batch-failed li")]
    expected = cli_error(capsys, "transfer", text, "--style", "classical", "-o", tmp_path / "x.mid")
    assert failed == [expected.replace(f"{tmp_path}{os.sep}", "")]

    with zipfile.ZipFile(io.BytesIO(page.href("#batch-zip"))) as z:
        names = sorted(z.namelist())
        assert names == ["a.classical.mid", "a.classical.wav", "b.classical.mid", "b.classical.wav", "failed.txt"]
        z.extractall(tmp_path / "unzipped")
    for src in (a, b):
        out = tmp_path / "unzipped" / f"{src.stem}.classical.mid"
        assert midi_length_beats(out) == read_score(src, 4).n_beats


# --------------------------------------------------------------------------- harmony: the form, which harmony, the note


def test_the_form_melody_only_and_which_harmony_are_the_clis(browser, tiny_checkpoints, tmp_path, capsys):
    """On the tests' tiny checkpoint with a harmony part: the compose tab's form, the
    transfer's "melody only", and the harmony each says it used, as the CLI."""
    import stylegen
    from tests.web.conftest import Server
    from tests.web.test_serve import said

    _, ckpt = tiny_checkpoints
    server = Server(stylegen.load(ckpt)).start()
    try:
        page = Page(browser, server.url).open("compose")
        assert not page.css("#harmony-note").is_displayed()
        assert page.css("#compose-form input[name=form]").is_enabled()
        page.set("#compose-form select[name=style]", "classical")
        page.set("#compose-form input[name=bars]", "8")
        page.set("#compose-form input[name=seed]", "3")
        page.set("#compose-form input[name=form]", "AABA")
        assert page.submit("compose") is None
        code, out, _ = run(capsys, "generate", "--checkpoint", ckpt, "--style", "classical", "--bars", 8, "--seed", 3,
                           "--form", "AABA", "-o", tmp_path / "g.mid")
        assert code == 0 and "form AABA, harmony planned" in said(out)
        assert page.css("#compose-message").text.startswith(said(out) + " — audio by ")
        assert page.href("#compose-output a.output-midi") == (tmp_path / "g.mid").read_bytes()
        page.set("#compose-form input[name=form]", "A-B")
        assert page.submit("compose") == cli_error(capsys, "generate", "--checkpoint", ckpt, "--style", "classical",
                                                   "--bars", 8, "--form", "A-B", "-o", tmp_path / "x.mid")

        page.css(".tab[data-tab=transfer]").click()
        src = song(tmp_path / "song.mid", bars=4)
        page.upload("#transfer-file", src)
        page.set("#transfer-form select[name=style]", "classical")
        page.set("#transfer-form [name=free_melody]", True)
        page.set("#transfer-form [name=melody_only]", True)  # as --free-melody and --melody-only: one or the other
        assert not page.css("#transfer-form [name=free_melody]").is_selected()
        assert page.submit("transfer") is None
        code, out, _ = run(capsys, "transfer", src, "--checkpoint", ckpt, "--style", "classical", "--melody-only",
                           "-o", tmp_path / "t.mid")
        assert code == 0 and said(out).endswith("; harmony: planned by the harmony model from the melody")
        message = page.css("#transfer-message").text
        assert message.startswith("song.mid in classical: ")
        assert f"; harmony: {said(out).split('; harmony: ')[1]} — audio by " in message
        assert page.href("#transfer-output a.output-midi") == (tmp_path / "t.mid").read_bytes()
    finally:
        server.stop()


def test_without_a_harmony_model_the_page_says_so_once_and_the_form_is_off(browser, tiny_checkpoints, tmp_path,
                                                                          capsys):
    import stylegen
    from tests.web.conftest import Server
    from tests.web.test_serve import said

    plain, _ = tiny_checkpoints
    server = Server(stylegen.load(plain)).start()
    try:
        code, out, _ = run(capsys, "generate", "--checkpoint", plain, "--style", "pop", "--bars", 2, "--seed", 1,
                           "-o", tmp_path / "g.mid")
        note = out.splitlines()[0]
        assert code == 0 and note.startswith("note: ") and "has no harmony model" in note
        page = Page(browser, server.url).open("compose")
        assert page.css("#harmony-note").text == note
        assert not page.css("#compose-form input[name=form]").is_enabled()
        assert page.css("#compose-form [data-control=form]").get_attribute("title") == note  # the reason it is off
        page.set("#compose-form select[name=style]", "pop")
        page.set("#compose-form input[name=bars]", "2")
        page.set("#compose-form input[name=seed]", "1")
        assert page.submit("compose") is None
        message = page.css("#compose-message").text
        assert message.startswith(said(out) + " — audio by ") and ", harmony withheld (seed 1)" in message
        assert page.css("body").text.count("has no harmony model") == 1  # once, not with every piece
    finally:
        server.stop()
