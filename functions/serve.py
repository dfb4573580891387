"""Serves the built site and the API from one process, with waitress (a production WSGI server).

    python functions/serve.py [--host H] [--port P] [--data-dir D]

Run as a script, its own folder is first on sys.path, so `app` (functions/app.py) imports as
Lambda imports it; chalicelib is an installed package.

/api/* goes to the same Chalice app that runs on Lambda (chalicelib/local/wsgi.py), uploads
signed by the embedded adapter go to the streaming upload endpoint, everything else is site/.
Data (SQLite, uploaded files, the local secret key) live under --data-dir (default var/) across
restarts.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_application(site_dir: Path):
    from app import app
    from chalicelib.local.upload import LocalUploadEndpoint
    from chalicelib.local.wsgi import ChaliceWSGI, StaticSite, dispatcher
    from chalicelib.storage.files import FilesystemUploads
    from chalicelib.wiring import default_service

    routes = [("/api/", ChaliceWSGI(app))]
    uploads = default_service().uploads
    if isinstance(uploads, FilesystemUploads):  # embedded: our own signed, streaming endpoint
        routes.insert(0, ("/api/uploads/local", LocalUploadEndpoint(uploads)))
    return dispatcher(routes, StaticSite(site_dir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Phục vụ trang web và API MotCua")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data-dir", default=str(ROOT / "var"))
    parser.add_argument("--site-dir", default=str(ROOT / "site"))
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    site = Path(args.site_dir)
    if not (site / "index.html").is_file():
        print(f"Chưa có trang web trong {site}: chạy `build.py build` trước.", file=sys.stderr)
        return 1
    os.environ["MOTCUA_DATA_DIR"] = str(Path(args.data_dir).resolve())
    os.environ.setdefault("MOTCUA_PUBLIC_URL", f"http://{args.host}:{args.port}")
    import waitress

    application = make_application(site)
    print(f"MotCua: http://{args.host}:{args.port}/ (Ctrl+C để dừng)", file=sys.stderr)
    waitress.serve(
        application,
        host=args.host,
        port=args.port,
        threads=args.threads,
        ident="motcua",
        max_request_body_size=101 * 1024 * 1024,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
