"""What the web page does, without the web: one loaded model, a temporary folder, limits.

    service = Service(stylegen.load())                       # one model, shared by every request
    service.transfer(Upload("song.mid", data), "classical", {"seed": "3", "free_melody": "on"})
    service.transfer(Upload("tune.mid", data), "classical", {"melody_only": "on"})
    service.compose("classical", {"bars": "8", "seed": "7", "form": "AABA"})
    service.batch([Upload(...), ...], "classical", {}, audio=True)
    service.position(ticket)                                 # where a request waits: its queue position
    service.close()                                          # removes the temporary folder

Each request is one call of the API the CLI calls (``Model.transfer_file`` as ``stylegen
transfer``, ``Model.generate_score`` as ``stylegen generate``), then the renderer
(``stylegen.audio.render``) and the page's roll drawing (``rolls.py``: the whole piece,
numbered in bars).  No transfer logic lives here: this module
saves uploads, checks the page's limits, maps the page's controls to the API's keywords,
and turns a :class:`StylegenError` into the same one line the CLI prints (with the
temporary folder left out of the file names).  What the CLI's output lines say of the
harmony, the page's messages say in the same words: which harmony a transfer used
(``Model.harmony_source``, as ``stylegen transfer``'s ``harmony: ...``) and, for a
composition, the form and whether its harmony was planned or withheld (the form checked by
the functions ``stylegen generate`` checks it with); a checkpoint without a harmony model
gets the CLI's note once (:meth:`Service.info`), and the page turns its form control off.

Controls map to keywords in ``TRANSFER_CONTROLS`` / ``COMPOSE_CONTROLS``; a control whose
keyword the loaded model's method does not take is not passed (and the page hides it), and
the page starts each control at the method's own default, so a renamed option is a
one-line change there.

Every request gets a job folder (``in/`` for what was uploaded, ``out/`` for what was made)
under one temporary folder.  When a request ends, the oldest job folders are removed while
more than ``Limits.jobs_kept`` exist or the folder holds more than ``Limits.folder_bytes``
(a job's WAVs of a long song are tens of MB); the newest job always stays, so between
requests the folder is under its bound unless that one job alone is larger.  The whole
folder goes on :meth:`Service.close`.

Requests run one at a time, in the order they came: the machine this was written for has
two cores, and the model's forward pass sets torch's thread count.  Each request may bring
a ticket (the page makes one); :meth:`Service.position` says how many requests are ahead
of it, which the page shows while it waits.  Past ``Limits.queue`` waiting requests a new
one is refused at once with :class:`Busy` (the app answers 503), instead of waiting for ever.
The app runs every request on the service's one worker thread (:meth:`Service.submit`):
spread over a pool of threads, each with its own malloc arena, the server's memory grew by
about 2 MB a request (benchmarks/README.md, "Web page left running").
"""

from __future__ import annotations

import inspect
import os
import re
import secrets
import shutil
import tempfile
import threading
import zipfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from stylegen.data.fastmidi import write_score_fast
from stylegen.errors import StylegenError
from stylegen.fileio import beats_text, style_slug
from stylegen.web.rolls import save_rolls

SAMPLE_RATE = 44100  # as `stylegen transfer --wav`
GRID = 4  # steps per beat of the Scores the page reads for its rolls and its length check
DEMO = Path(__file__).resolve().parents[2] / "examples" / "pop_demo.mid"  # in a source checkout


# --------------------------------------------------------------------------- the page's controls


def _number(label: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise StylegenError(f"{label} must be a number, got {value!r}") from None


def _integer(label: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise StylegenError(f"{label} must be a whole number, got {value!r}") from None


def _flag(label: str, value: str) -> bool:
    return value.strip().lower() in ("on", "true", "1", "yes")


def _when_on(label: str, value: str) -> bool | None:
    """A box that only asks for something: ticked True, else None (not passed: the API's
    default, as the CLI's ``--melody-only`` passes ``melody_only=None`` when absent)."""
    return True if _flag(label, value) else None


def _text(label: str, value: str) -> str:
    return value.strip()


# form field -> (the API's keyword, how the field's text is read).  A field left empty is
# not passed, so the API's default applies (the CLI's defaults are the API's).  The page
# shows the controls whose keyword the loaded model's method takes.
TRANSFER_CONTROLS: dict[str, tuple[str, Callable]] = {
    "strength": ("strength", _number),
    "temperature": ("temperature", _number),
    "seed": ("seed", _integer),
    "free_melody": ("free_melody", _flag),
    "melody_only": ("melody_only", _when_on),
}
COMPOSE_CONTROLS: dict[str, tuple[str, Callable]] = {
    "strength": ("strength", _number),
    "temperature": ("temperature", _number),
    "form": ("form", _text),  # checked as `stylegen generate --form` checks it (Service.compose)
}
# checkboxes: a form leaves an unchecked box out, which means False (or, for _when_on, not passed)
FLAGS = {"free_melody", "melody_only"}


def parameters(*methods) -> dict[str, object] | None:
    """The keyword arguments the first method takes, with their defaults (None where there
    is none); where it also takes ``**options``, those of the methods it hands them to (the
    next ones) as well.  None: anything goes."""
    found: dict[str, object] = {}
    for method in methods:
        if method is None:
            continue
        params = inspect.signature(method).parameters.values()
        for p in params:
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in found:
                found[p.name] = None if p.default is p.empty else p.default
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return found
    return None


def read_controls(form: Mapping[str, str], controls: dict[str, tuple[str, Callable]],
                  accepted: Mapping[str, object] | None) -> dict:
    """The API keywords of the filled-in controls that the model's method accepts (a
    control read as None is not passed)."""
    options = {}
    for field, (keyword, read) in controls.items():
        if accepted is not None and keyword not in accepted:
            continue
        value = form.get(field)
        if value is None and field in FLAGS:
            value = ""
        if value is None or (not value.strip() and field not in FLAGS):
            continue
        read_value = read(field.replace("_", " "), value)
        if read_value is not None:
            options[keyword] = read_value
    return options


def harmony_note(model) -> str | None:
    """What ``stylegen generate`` notes, in the same words, when the checkpoint has no
    harmony model (composition then withholds the harmony and a form is an error); None
    when it has one."""
    if getattr(model, "harmony", None) is not None or not hasattr(model, "harmony"):
        return None
    return (f"note: {model.info.get('path')} has no harmony model: composing with the harmony withheld, as before "
            "(stylegen harmony RECIPE --into CHECKPOINT adds one)")


# --------------------------------------------------------------------------- uploads and limits


@dataclass(frozen=True)
class Upload:
    """A file the page sent: its name on the user's machine and its bytes."""

    name: str
    data: bytes
    size: int | None = None  # the file's size where ``data`` holds only its start (a file over the limit)

    @property
    def n_bytes(self) -> int:
        return len(self.data) if self.size is None else max(self.size, len(self.data))


@dataclass(frozen=True)
class Limits:
    upload_bytes: int = 5 * 1024 * 1024  # per file
    bars: int = 400  # per piece (a 3-minute song at 120 bpm in 4/4 is 90 bars), and bars to compose
    files: int = 50  # per batch
    jobs_kept: int = 20  # job folders kept in the temporary folder (the newest)
    folder_bytes: int = 200 * 1024 * 1024  # ... and no more bytes than this in them (the newest job always stays)
    queue: int = 4  # requests waiting behind the running one; one more is refused as busy


class Busy(StylegenError):
    """The queue is full: the request is refused now rather than kept waiting."""


def safe_name(name: str, default: str = "upload.mid") -> str:
    """A file name from the user's machine as a plain name in one folder."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^A-Za-z0-9._+-]+", "_", base).strip("._")
    return base[:100] or default


def _megabytes(n: int) -> str:
    return f"{n / 2**20:.3g} MB"


# --------------------------------------------------------------------------- the service


class Service:
    """One loaded model behind the page; see the module's docstring."""

    def __init__(self, model, limits: Limits = Limits(), soundfont: str | os.PathLike | None = None):
        self.model = model
        self.limits = limits
        self.soundfont = soundfont
        self.root = Path(tempfile.mkdtemp(prefix="stylegen-web-"))
        self._turns = threading.Condition()
        self._queue: deque[str] = deque()  # tickets: the running request first, then the waiting ones
        self._jobs: deque[Path] = deque()  # job folders, oldest first
        self._sizes: dict[Path, int] = {}  # bytes of each finished job's folder
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stylegen-web")
        self.transfer_keywords = parameters(model.transfer_file, getattr(model, "transfer_score", None))
        self.compose_keywords = parameters(model.generate_score)

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def submit(self, form: Mapping[str, str], call: Callable[[dict], dict]) -> Future:
        """Queue a request now (:class:`Busy` at once when the queue is full) and run
        ``call(form)`` (``form`` with the request's ticket) on the service's one worker
        thread, in its turn.  What the app does with every request."""
        form = {**form, "ticket": self.enter(form.get("ticket"))}
        return self._worker.submit(call, form)

    # ------------------------------------------------------------ what the page asks first

    def info(self) -> dict:
        def shown(controls, accepted):
            return [f for f, (k, _) in controls.items() if accepted is None or k in accepted]

        def defaults(controls, accepted):
            return {f: accepted[k] for f, (k, _) in controls.items()
                    if accepted is not None and isinstance(accepted.get(k), (bool, int, float, str))}

        note = harmony_note(self.model)
        compose_controls = shown(COMPOSE_CONTROLS, self.compose_keywords)
        return {
            "styles": list(self.model.styles),
            "checkpoint": Path(str(self.model.info.get("path", ""))).name if hasattr(self.model, "info") else "",
            "transfer_controls": shown(TRANSFER_CONTROLS, self.transfer_keywords),
            "compose_controls": compose_controls,
            "transfer_defaults": defaults(TRANSFER_CONTROLS, self.transfer_keywords),
            "compose_defaults": defaults(COMPOSE_CONTROLS, self.compose_keywords),
            # no harmony model: the CLI's note, said once on the page, and the form control off for that reason
            "harmony_note": note,
            "compose_disabled": {"form": note} if note and "form" in compose_controls else {},
            "demo": DEMO.name if DEMO.is_file() else None,
            "limits": {"upload_mb": self.limits.upload_bytes / 2**20, "bars": self.limits.bars,
                       "files": self.limits.files, "jobs_kept": self.limits.jobs_kept,
                       "folder_mb": self.limits.folder_bytes / 2**20, "queue": self.limits.queue},
        }

    def position(self, ticket: str) -> dict:
        """Where the request with ``ticket`` is: ``{"state": "waiting", "ahead": N}`` (N
        requests before it, the running one included), ``{"state": "working"}``, or
        ``{"state": "unknown"}`` (finished, refused, or never seen)."""
        with self._turns:
            if ticket not in self._queue:
                return {"state": "unknown"}
            ahead = self._queue.index(ticket)
        return {"state": "working"} if ahead == 0 else {"state": "waiting", "ahead": ahead}

    def folder_bytes(self) -> int:
        """Bytes in the job folders now."""
        return sum(bytes_in(job) for job in list(self._jobs))

    def file(self, job: str, part: str, name: str) -> Path | None:
        """A file a job wrote, or None (nothing outside the job's in/ and out/ folders)."""
        if not re.fullmatch(r"[0-9a-f]{16}", job) or part not in ("in", "out") or safe_name(name, "") != name:
            return None
        path = self.root / job / part / name
        return path if path.is_file() else None

    # ------------------------------------------------------------ the three actions

    def transfer(self, upload: Upload | None, style: str, form: Mapping[str, str]) -> dict:
        """Transfer one piece (``upload``, or the bundled demo when None) as ``stylegen
        transfer`` does; render input and output; draw both rolls."""
        with self._job(form.get("ticket")) as job:
            src = self._save(job, upload) if upload is not None else self._demo(job)
            options = read_controls(form, TRANSFER_CONTROLS, self.transfer_keywords)
            score_in = self._read(src)
            self._check_bars(score_in, src.name)
            style = self._style(style)
            out = job / "out" / f"{src.stem}.{style_slug(style)}.mid"
            harmony = self._harmony_source(src, options.get("melody_only"))
            written = self.model.transfer_file(src, out, style=style, **options)
            score_out = self._read(out)
            in_roll, out_roll = self._rolls(src.stem, score_in, score_out, job / "out")
            renderer = self._render(src, job / "out" / f"{src.stem}.wav")
            self._render(out, out.with_suffix(".wav"))
            return {
                # the CLI's words and numbers for the same file: `wrote X: 32 beats, N notes in STYLE`
                "message": f"{src.name} in {style}: {beats_text(written.n_beats)} beats, {len(written.notes)} notes"
                           + _described(options) + (f"; harmony: {harmony}" if harmony else ""),
                "harmony": harmony,
                "renderer": renderer,
                "input": self._links(job, src, in_roll, job / "out" / f"{src.stem}.wav"),
                "output": self._links(job, out, out_roll, out.with_suffix(".wav")),
            }

    def compose(self, style: str, form: Mapping[str, str], primer: Upload | None = None) -> dict:
        """Compose ``bars`` bars in ``style`` as ``stylegen generate`` does (continuing
        ``primer`` when given); a seed left empty is drawn and reported."""
        with self._job(form.get("ticket")) as job:
            bars = _integer("bars", form.get("bars") or "16")
            if bars > self.limits.bars:
                raise StylegenError(f"{bars} bars is over the page's limit of {self.limits.bars} bars")
            seed_text = (form.get("seed") or "").strip()
            seed = _integer("seed", seed_text) if seed_text else secrets.randbelow(2**31)
            options = read_controls(form, COMPOSE_CONTROLS, self.compose_keywords)
            style = self._style(style)
            harmony = self._composition_harmony(bars, options.get("form"))  # a bad form: before any work
            score_primer = None
            if primer is not None:
                path = self._save(job, primer)
                self._check_bars(self._read(path), path.name)
                # on the model's own grid, as `stylegen generate --primer` reads it
                score_primer = self._read(path, getattr(getattr(self.model, "spec", None), "resolution", None))
                name = f"{path.stem}.{style_slug(style)}-continued.mid"
            else:
                name = f"{style_slug(style)}-seed{seed}.mid"
            score = self.model.generate_score(style, bars, seed=seed, primer=score_primer, **options)
            out = job / "out" / name
            write_score_fast(score, out)
            _, roll = self._rolls(out.stem, score, score, job / "out", single=True)
            renderer = self._render(out, out.with_suffix(".wav"))
            n_new = len(score.notes) - (len(score_primer.notes) if score_primer is not None else 0)
            if harmony is not None and harmony.startswith("form ") and score_primer is not None:
                harmony += " after the primer's"
            return {
                # the CLI's words: `wrote X: 8 bars of STYLE, N new notes, form AB, harmony planned (seed 7)`
                "message": f"{bars} bars of {style}, {n_new} new notes" + (f", {harmony}" if harmony else "")
                           + f" (seed {seed})",
                "harmony": harmony,
                "seed": seed,
                "renderer": renderer,
                "output": self._links(job, out, roll, out.with_suffix(".wav")),
            }

    def batch(self, uploads: list[Upload], style: str, form: Mapping[str, str], audio: bool = False) -> dict:
        """Transfer several files as ``stylegen transfer FOLDER`` does (one bad file is
        reported and the rest go on); the outputs come back as one zip."""
        with self._job(form.get("ticket")) as job:
            if not uploads:
                raise StylegenError("no files chosen")
            if len(uploads) > self.limits.files:
                raise StylegenError(f"{len(uploads)} files is over the page's limit of {self.limits.files} at once")
            options = read_controls(form, TRANSFER_CONTROLS, self.transfer_keywords)
            style = self._style(style)
            seen: set[str] = set()
            failed: list[str] = []
            written: list[Path] = []
            for upload in uploads:
                name = safe_name(upload.name)
                stem, n = Path(name).stem, 1
                while stem in seen:
                    n += 1
                    stem = f"{Path(name).stem}-{n}"
                seen.add(stem)
                try:
                    src = self._save(job, Upload(f"{stem}{Path(name).suffix}", upload.data))
                    self._check_bars(self._read(src), src.name)
                    out = job / "out" / f"{stem}.{style_slug(style)}.mid"
                    self.model.transfer_file(src, out, style=style, **options)
                    written.append(out)
                    if audio:
                        self._render(out, out.with_suffix(".wav"))
                        written.append(out.with_suffix(".wav"))
                except StylegenError as e:
                    failed.append(self._clean(str(e), job))
                except Exception as e:  # one odd file must not stop the others (as the CLI's folder mode)
                    failed.append(f"{name}: {type(e).__name__}: {e}")
            archive = job / "out" / f"{style_slug(style)}.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
                for path in written:
                    z.write(path, path.name)
                if failed:
                    z.writestr("failed.txt", "\n".join(failed) + "\n")
            done = len(uploads) - len(failed)
            return {
                "message": f"transferred {done} of {len(uploads)} files to {style}"
                           + (f"; {len(failed)} failed:" if failed else ""),
                "failed": failed,
                "zip": self._url(job, archive),
            }

    # ------------------------------------------------------------ helpers

    def enter(self, ticket: str | None) -> str:
        """Put a request in the queue: its ticket (``ticket`` when it is a fresh hex string,
        else a new one), or :class:`Busy` when ``Limits.queue`` requests already wait."""
        if not (isinstance(ticket, str) and re.fullmatch(r"[0-9a-f]{8,64}", ticket)):
            ticket = secrets.token_hex(8)
        with self._turns:
            waiting = len(self._queue) - 1  # behind the running request (-1: nothing runs)
            if waiting >= self.limits.queue:
                raise Busy(f"the page is busy: {waiting} requests are waiting already (at most "
                           f"{self.limits.queue}); try again in a minute")
            while ticket in self._queue:  # a ticket sent twice: the second gets its own
                ticket = secrets.token_hex(8)
            self._queue.append(ticket)
            return ticket

    @contextmanager
    def _turn(self, ticket: str | None):
        """Wait for this request's turn (requests run one at a time, first come first
        served); a ticket not yet in the queue enters it (:meth:`enter`)."""
        with self._turns:
            queued = ticket in self._queue  # entered already (submit)
        if not queued:
            ticket = self.enter(ticket)
        try:
            with self._turns:
                while self._queue[0] != ticket:
                    self._turns.wait()
            yield
        finally:
            with self._turns:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                self._turns.notify_all()

    @contextmanager
    def _job(self, ticket: str | None = None):
        """This request's turn, a fresh job folder, errors as the CLI's one line without our
        folder; old job folders pruned when it ends."""
        with self._turn(ticket):
            job = self.root / secrets.token_hex(8)
            (job / "in").mkdir(parents=True)
            (job / "out").mkdir()
            self._jobs.append(job)
            try:
                yield job
            except StylegenError as e:
                raise StylegenError(self._clean(str(e), job)) from None
            finally:
                self._sizes[job] = bytes_in(job)
                self._prune()

    def _prune(self) -> None:
        """Remove the oldest job folders while more than ``jobs_kept`` exist or they hold more
        than ``folder_bytes``; the newest one always stays."""
        total = sum(self._sizes.get(j, 0) for j in self._jobs)
        while len(self._jobs) > 1 and (len(self._jobs) > self.limits.jobs_kept or total > self.limits.folder_bytes):
            old = self._jobs.popleft()
            total -= self._sizes.pop(old, 0)
            shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def _clean(message: str, job: Path) -> str:
        """The message with the job's folders left out of the paths it names."""
        for part in ("in", "out"):
            message = message.replace(str(job / part) + os.sep, "")
        return message

    def _save(self, job: Path, upload: Upload) -> Path:
        name = safe_name(upload.name)
        if upload.n_bytes > self.limits.upload_bytes:
            raise StylegenError(f"{name}: {_megabytes(upload.n_bytes)} is over the page's upload limit of "
                                f"{_megabytes(self.limits.upload_bytes)}")
        path = job / "in" / name
        path.write_bytes(upload.data)
        return path

    def _demo(self, job: Path) -> Path:
        if not DEMO.is_file():
            raise StylegenError("no file chosen (and the bundled demo is not in this install)")
        path = job / "in" / DEMO.name
        shutil.copyfile(DEMO, path)
        return path

    def _style(self, style: str | None) -> str:
        if not style or not style.strip():
            raise StylegenError(f"no style given (known: {', '.join(self.model.styles)})")
        return style.strip()

    def _read(self, path: Path, resolution: int | None = GRID):
        """A MIDI file as the CLI reads it (StylegenError when unusable), on a grid of
        ``resolution`` steps per beat."""
        from stylegen.transfer import read_midi  # torch comes with it: the service only holds the model it is given

        return read_midi(path, resolution)

    def _harmony_source(self, src: Path, melody_only: bool | None) -> str | None:
        """Which harmony the transfer of ``src`` uses, in the words ``stylegen transfer``
        prints after ``harmony:`` (None for a model that does not say)."""
        if not hasattr(self.model, "harmony_source"):
            return None
        from stylegen.transfer import HARMONY_SOURCES, read_midi

        return HARMONY_SOURCES[self.model.harmony_source(read_midi(src), melody_only)]  # read as the CLI reads it

    def _composition_harmony(self, bars: int, form: str | None) -> str | None:
        """``stylegen generate``'s checks of ``--form`` (the same functions, so the same
        one-line errors) and what its output line says of the harmony: ``form AABA, harmony
        planned`` or ``harmony withheld`` (None for a model that does not say)."""
        if not hasattr(self.model, "composition_harmony"):
            return None
        from stylegen.inference.harmony import form_text, resolve_form
        from stylegen.inference.options import check_bars

        sections = resolve_form(form, check_bars(bars))
        planned = (self.model.composition_harmony(form) is not None if form is not None
                   else self.model.harmony is not None)
        return f"form {form_text(sections)}, harmony planned" if planned else "harmony withheld"

    def _check_bars(self, score, name: str) -> None:
        bars = len(score.bar_starts())
        if bars > self.limits.bars:
            raise StylegenError(f"{name}: {bars} bars is over the page's limit of {self.limits.bars} bars")

    def _render(self, midi: Path, wav: Path) -> str:
        """``midi`` to loudness-normalised audio at ``wav``, as ``stylegen render`` does;
        returns what rendered it."""
        from stylegen.audio.render import render_midi, write_audio  # heavy (audio): only once a job renders

        r = render_midi(midi, sample_rate=SAMPLE_RATE, soundfont=self.soundfont)
        write_audio(wav, r.waveform, r.sample_rate)
        return r.renderer

    def _rolls(self, name: str, score_in, score_out, folder: Path, single: bool = False) -> tuple[Path | None, Path]:
        """The whole piece's rolls, input and output, numbered in bars and lined up
        (``rolls.py``); ``single``: only the output's."""
        return save_rolls(name, score_in, score_out, folder, single=single, file_name=safe_name(name))

    def _url(self, job: Path, path: Path | None) -> str | None:
        if path is None:
            return None
        return f"/files/{job.name}/{path.parent.name}/{path.name}"

    def _links(self, job: Path, midi: Path, roll: Path | None, wav: Path) -> dict:
        return {"name": midi.name, "midi": self._url(job, midi), "roll": self._url(job, roll),
                "audio": self._url(job, wav), "wav_name": wav.name}


def bytes_in(folder: Path) -> int:
    """Bytes of the files under ``folder`` (0 when it is gone)."""
    total = 0
    for dirpath, _, files in os.walk(folder):
        for f in files:
            try:
                total += os.stat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def _described(options: dict) -> str:
    """" (seed=3, strength=0.5, free_melody)": what was passed, for the page's message."""
    parts = [k if v is True else f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
             for k, v in options.items() if v is not False and v is not None]
    return f" ({', '.join(parts)})" if parts else ""


__all__ = ["Service", "Upload", "Limits", "Busy", "parameters", "read_controls", "harmony_note", "safe_name",
           "TRANSFER_CONTROLS", "COMPOSE_CONTROLS"]
