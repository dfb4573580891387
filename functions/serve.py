"""Serves the built site from one process on this machine.

    python functions/serve.py [--host H] [--port P] [--data-dir D]

Today it serves site/ (the output of `python build.py build`); the submission API (issue 7) will be
mounted here under /api/, with its data under --data-dir (default var/), kept across restarts.
"""

import argparse
import contextlib
import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Phục vụ trang web MotCua")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data-dir", default=str(ROOT / "var"))
    parser.add_argument("--site-dir", default=str(ROOT / "site"))
    args = parser.parse_args(argv)
    site = Path(args.site_dir)
    if not (site / "index.html").is_file():
        print(f"Chưa có trang web trong {site}: chạy `build.py build` trước.", file=sys.stderr)
        return 1
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    with ThreadingHTTPServer((args.host, args.port), handler) as server:
        print(f"MotCua: http://{args.host}:{args.port}/ (Ctrl+C để dừng)", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
