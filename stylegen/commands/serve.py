"""``stylegen serve``: the local web page (upload, pick a style, listen, see the rolls, download).

    stylegen serve                                   # http://127.0.0.1:7860
    stylegen serve --checkpoint runs/.../best.pt --port 8000

Loads the model once, prints the page's address (alone on its first line, for scripts) and
"Ctrl-C to stop", and serves until interrupted; the files the page made live in a
temporary folder, bounded in jobs and in bytes, removed on exit.  The web framework is
the optional ``web`` extra, imported only here and only when the command runs.
docs/web.md describes the page.
"""

from __future__ import annotations

import argparse
import socket
import sys

from stylegen.errors import StylegenError

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="generator checkpoint (default: the shipped checkpoints/pop2classical.pt)")
    p.add_argument("--device", default="cpu", metavar="D", help="cpu (default), cuda, cuda:N, mps or auto")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only); another one is "
                        "reachable from the network, with no login")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860; 0: any free port)")
    p.add_argument("--max-upload-mb", type=float, default=5.0, metavar="MB", help="largest file the page accepts (default 5)")
    p.add_argument("--max-bars", type=int, default=400, metavar="N",
                   help="longest piece the page accepts, and most bars to compose (default 400)")
    p.add_argument("--max-folder-mb", type=float, default=200.0, metavar="MB",
                   help="bytes the page's results may take in its temporary folder; the oldest go first "
                        "(default 200; the newest result always stays)")
    p.add_argument("--queue", type=int, default=4, metavar="N",
                   help="requests that may wait while one runs; more are told the page is busy (default 4)")
    p.add_argument("--soundfont", default=None, metavar="PATH",
                   help="General MIDI soundfont for the audio (default: $STYLEGEN_SOUNDFONT, the system's, "
                        "else the built-in synth)")


def host_warning(host: str) -> str | None:
    """The warning printed when the page listens beyond this machine."""
    if host in LOOPBACK:
        return None
    return (f"stylegen serve: warning: listening on {host}: anyone who can reach this machine can use the page "
            "and its model (there is no login)")


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), or a StylegenError."""
    if not 0 <= port <= 65535:
        raise StylegenError(f"--port must be between 0 and 65535, got {port}")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as e:
        raise StylegenError(f"--host {host}: unknown address ({e.strerror})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise StylegenError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    return sock


def url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # the web extra: optional, and only serve needs it

        from stylegen.web.app import create_app  # starlette, the same extra
    except ImportError as e:
        raise StylegenError(f"the web page needs the web extra: pip install -e \".[web]\" (missing: {e.name})") \
            from None
    from stylegen.transfer import load  # torch: only when run
    from stylegen.web.service import Limits, Service  # the page's own modules: only serve imports them

    if args.max_upload_mb <= 0:
        raise StylegenError(f"--max-upload-mb must be above 0, got {args.max_upload_mb:g}")
    if args.max_bars < 1:
        raise StylegenError(f"--max-bars must be at least 1, got {args.max_bars}")
    if args.max_folder_mb <= 0:
        raise StylegenError(f"--max-folder-mb must be above 0, got {args.max_folder_mb:g}")
    if args.queue < 0:
        raise StylegenError(f"--queue must be 0 or more, got {args.queue}")
    if args.soundfont is not None:
        from stylegen.audio.render import find_soundfont  # audio (torch, scipy): only with --soundfont

        find_soundfont(args.soundfont)  # a missing or broken one fails now, not at the first request
    sock = listen(args.host, args.port)
    try:
        model = load(args.checkpoint, device=args.device)
        limits = Limits(upload_bytes=int(args.max_upload_mb * 2**20), bars=args.max_bars,
                        folder_bytes=int(args.max_folder_mb * 2**20), queue=args.queue)
        service = Service(model, limits, soundfont=args.soundfont)
        try:
            warning = host_warning(args.host)
            if warning:
                print(warning, file=sys.stderr)
            print(url(sock))
            print("open it in a browser; Ctrl-C to stop", flush=True)
            config = uvicorn.Config(create_app(service), log_level="warning", access_log=False)
            try:
                uvicorn.Server(config).run(sockets=[sock])
            except KeyboardInterrupt:  # uvicorn shuts down on Ctrl-C, then raises it again: the normal way out
                pass
        finally:
            service.close()
    finally:
        sock.close()
    return 0
