"""CPU milliseconds per API request, measured directly: the WSGI application functions/serve.py
serves, called in this one process (no sockets, no threads, no client sharing the cores), for
`--count` serial submissions of procedure 1.000894 (no uploads), then a status lookup and a
receipt QR code for each dossier filed.

PYTHONPATH=functions .venv/bin/python -m bench.api_cpu [--count 1000] [--bundle PATH]

PYTHONPATH picks the tree measured (its functions/ for serve.py and chalicelib, its root for the
tests' form filler): `PYTHONPATH=<tree>:<tree>/functions python bench/api_cpu.py` measures
another checkout with this script. Embedded storage in a
temporary directory. See bench/README.md.
"""

import argparse
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.api_bench import BENCH_LIMITS, wsgi_call

PROCEDURE = "1.000894"  # đăng ký kết hôn: a form without uploads
OFFICE = "trung-tam-pvhcc-phuong-le-chan"  # one the procedure accepts (bundle "offices")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=1000, help="dossiers filed")
    parser.add_argument("--bundle", type=Path, help="bundle.json (default: MOTCUA_BUNDLE, data/)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        os.environ.update(
            {
                "MOTCUA_STORAGE": "embedded",
                "MOTCUA_DATA_DIR": work,
                "MOTCUA_PUBLIC_URL": "http://127.0.0.1:8000",
                **BENCH_LIMITS,
            }
        )
        if args.bundle:
            os.environ["MOTCUA_BUNDLE"] = str(args.bundle)
        from serve import make_application
        from tests.api.filling import answers_for

        application = make_application(Path(work))

        def request(method: str, path: str, body: bytes = b"", **headers: str) -> tuple[str, bytes]:
            return wsgi_call(application, method, path, body, headers)

        status, form = request("GET", f"/api/procedures/{PROCEDURE}/form")
        assert status.startswith("200"), (status, form[:200])
        answers = answers_for(json.loads(form)["form"])
        body = json.dumps(
            {"procedure": PROCEDURE, "answers": answers, "uploads": {}, "office": OFFICE}
        ).encode()

        def submit() -> tuple[str, str, int]:
            status, reply = request(
                "POST", "/api/submissions", body, IDEMPOTENCY_KEY=uuid.uuid4().hex
            )
            assert status.startswith("201"), (status, reply[:200])
            filed = json.loads(reply)
            return filed["code"], filed["secret"], len(reply)

        def read(path: str) -> Callable[[tuple[str, str, int]], tuple[str, bytes]]:
            return lambda filed: request("GET", path.format(filed[0]), X_LOOKUP_SECRET=filed[1])

        for _ in range(20):  # warm: bundle loaded, SQLite opened, imports done
            filed = submit()
        qr_route = request("GET", f"/api/dossiers/{filed[0]}/receipt-qr", X_LOOKUP_SECRET=filed[1])
        print(f"| CPU ms per request, in process, {args.count} serial | CPU ms | reply bytes |")
        print("|---|--:|--:|")
        started = time.process_time()
        made = [submit() for _ in range(args.count)]
        spent = (time.process_time() - started) / args.count * 1000
        print(f"| POST /api/submissions | {spent:.2f} | {made[0][2]:,} |")
        routes = [("GET /api/dossiers/{code}", read("/api/dossiers/{}"))]
        if qr_route[0].startswith("200"):  # not on a tree without the route
            routes.append(
                ("GET /api/dossiers/{code}/receipt-qr", read("/api/dossiers/{}/receipt-qr"))
            )
        for name, call in routes:
            started = time.process_time()
            replies = [call(filed) for filed in made]
            spent = (time.process_time() - started) / args.count * 1000
            assert all(status.startswith("200") for status, _ in replies), replies[0]
            print(f"| {name} | {spent:.2f} | {len(replies[0][1]):,} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
