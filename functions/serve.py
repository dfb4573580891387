"""Serves the built site and the API with waitress (a production WSGI server), in two processes
per core (`--workers`, pre-forked on one listening socket).

    python functions/serve.py [--host H] [--port P] [--data-dir D] [--workers N]
                              [--trusted-proxy ADDR] [--purge-every 1h] [--outbox-every 30]

Run as a script, its own folder is first on sys.path, so `app` (functions/app.py) imports as
Lambda imports it; chalicelib is an installed package.

/api/* goes to the same Chalice app that runs on Lambda (chalicelib/local/wsgi.py), uploads
signed by the embedded adapter go to the streaming upload endpoint, everything else is site/.
Data (SQLite, uploaded files, the local secret key) live under --data-dir (default var/) across
restarts. Every --purge-every (default 1h; 0 never) the serving process runs `motcua purge`
(chalicelib/admin/purge.py): uploads older than two days that no dossier references, whether
never verified or verified and never filed, ended sessions and old failed lookups. Every
--outbox-every seconds (default 30; 0 never) it sends the notifications the outbox holds
(chalicelib/outbox.py) through the channels configured (MOTCUA_SMTP_*, MOTCUA_SMS_*).
"""

import argparse
import contextlib
import ctypes
import datetime as dt
import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.local.guard import Balance

ROOT = Path(__file__).resolve().parent.parent


def make_application(site_dir: Path, *, threads: int | None = None):
    """The site, the API and the local upload endpoint; with `threads` (waitress's), API requests
    that write may hold at most three quarters of them, running or waiting (guard.WriterGate),
    so a held storage lock never takes every thread from the pages and lookups."""
    from app import app
    from chalicelib.config import Settings
    from chalicelib.local.guard import WriterGate
    from chalicelib.local.upload import LocalUploadEndpoint
    from chalicelib.local.wsgi import ChaliceWSGI, StaticSite, dispatcher
    from chalicelib.storage.files import FilesystemUploads
    from chalicelib.wiring import default_service

    api = ChaliceWSGI(app)
    if threads is not None:
        wait = Settings.from_env().storage_wait_seconds
        slots, queue = max(1, threads // 2), max(1, threads // 4)
        api = WriterGate(api, slots=slots, queue=queue, wait=wait, writes=writes_storage)
    routes = [("/api/", api)]
    uploads = default_service().uploads
    if isinstance(uploads, FilesystemUploads):  # embedded: our own signed, streaming endpoint
        routes.insert(0, ("/api/uploads/local", LocalUploadEndpoint(uploads)))
    return dispatcher(routes, StaticSite(site_dir))


def writes_storage(method: str, path: str) -> bool:
    """Every API request but a GET may write (a submission, an action, a verify, a sign-in, a
    rate count); the upload endpoint streams files and has the guard's deadlines instead."""
    return method not in ("GET", "HEAD", "OPTIONS") and path.startswith("/api/")


def default_workers() -> int:
    """Two serving processes per core, at most 8. Python runs one thread at a time per process,
    and a write spends about as long waiting for the log's sync (the thread holding no lock) as
    on the CPU: with one process per core, a second request of the same process waited for the
    first's turn while a core idled. api_bench at c = 4 on 2 cores (bench/README.md, session of
    2026-12-08): 2 processes 836-861 submissions/s, 3 943-971, 4 948-985."""
    return max(1, min(2 * (os.cpu_count() or 1), 8))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Phục vụ trang web và API MotCua")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data-dir", default=str(ROOT / "var"))
    parser.add_argument("--site-dir", default=str(ROOT / "site"))
    parser.add_argument("--threads", type=int, default=8, help="luồng mỗi tiến trình")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="số tiến trình phục vụ (mặc định: số lõi, tối đa 4)",
    )
    parser.add_argument(
        "--purge-every",
        default="1h",
        help="chạy dọn dẹp (motcua purge) mỗi khoảng này (mặc định 1h; 0: không chạy)",
    )
    parser.add_argument(
        "--outbox-every",
        type=float,
        default=30.0,
        help="gửi thông báo đang chờ mỗi số giây này (mặc định 30; 0: không gửi)",
    )
    parser.add_argument(
        "--trusted-proxy",
        help="địa chỉ của nginx phía trước: tin X-Forwarded-For của nó (địa chỉ người dùng)",
    )
    args = parser.parse_args(argv)
    site = Path(args.site_dir)
    if not (site / "index.html").is_file():
        print(f"Chưa có trang web trong {site}: chạy `build.py build` trước.", file=sys.stderr)
        return 1
    workers = max(1, args.workers)
    # Dossiers, files and the secret key are personal data and a credential: everything this
    # server creates under the data folder is readable by its own user only.
    os.umask(0o077)
    os.environ["MOTCUA_DATA_DIR"] = str(Path(args.data_dir).resolve())
    os.environ.setdefault("MOTCUA_PUBLIC_URL", f"http://{args.host}:{args.port}")
    from chalicelib.config import ConfigurationError, Settings
    from chalicelib.wiring import check_data_key

    try:  # the data key, before any worker starts (chalicelib/sealing.py)
        check_data_key(Settings.from_env())
    except ConfigurationError as error:
        print(f"Cấu hình: {error}", file=sys.stderr)
        return 2
    listener = socket.create_server((args.host, args.port), backlog=1024)
    print(
        f"MotCua: http://{args.host}:{args.port}/ ({workers} tiến trình; Ctrl+C để dừng)",
        file=sys.stderr,
    )
    proxy = proxy_options(args.trusted_proxy)
    every = purge_interval(args.purge_every)
    if workers == 1:
        start_purging(every)
        start_sending(args.outbox_every)
        return serve(site, listener, args.threads, proxy)
    return supervise(site, listener, args.threads, workers, proxy, every, args.outbox_every)


PURGE_FIRST_AFTER = 300.0  # seconds after start, then every interval


def purge_interval(text: str) -> float | None:
    """Seconds between purges (`2h`, `30m`, `1d`; `0`: never)."""
    from chalicelib.admin.purge import duration

    seconds = duration(text).total_seconds()
    return seconds if seconds > 0 else None


def start_purging(every: float | None, first: float = PURGE_FIRST_AFTER) -> threading.Event:
    """A daemon thread of the serving process (the supervisor when there are workers, so one
    process purges) that runs the purge `first` seconds after start, then every `every` seconds,
    and says what it removed on stderr. A failed run is reported and the next one still runs.
    Set the returned event to stop it."""
    stop = threading.Event()
    if every is None:
        return stop

    def run() -> None:
        from chalicelib.admin.purge import DRAFT_FILES_LIVE, purge
        from chalicelib.config import Settings

        delay = first
        while not stop.wait(delay):
            delay = every
            try:
                done = purge(
                    Settings.from_env(),
                    older_than=DRAFT_FILES_LIVE,
                    dry_run=False,
                    now=dt.datetime.now(dt.UTC),
                )
            except Exception:  # reported, and tried again next time: the server serves on
                traceback.print_exc()
                continue
            print(
                f"MotCua: dọn dẹp xong: {len(done.uploads)} tệp không thuộc hồ sơ nào,"
                f" {done.sessions} phiên hết hạn, {done.lookup_failures} lượt tra cứu sai cũ.",
                file=sys.stderr,
                flush=True,
            )

    threading.Thread(target=run, name="motcua-purge", daemon=True).start()
    return stop


def start_sending(every: float) -> threading.Event:
    """A daemon thread of the serving process (the supervisor when there are workers, so one
    process sends) that runs the outbox worker every `every` seconds (0: never). A pass that
    fails is logged and the next one runs; a delivery it held comes back when its lease ends.
    Set the returned event to stop it."""
    stop = threading.Event()
    if every <= 0:
        return stop

    def run() -> None:
        from chalicelib.config import Settings
        from chalicelib.wiring import build_outbox_worker

        worker = build_outbox_worker(Settings.from_env())
        if not worker.senders:
            print(
                "MotCua: chưa cấu hình kênh gửi thông báo (MOTCUA_SMTP_HOST, MOTCUA_SMS_URL):"
                " thông báo được giữ lại trong hàng đợi.",
                file=sys.stderr,
                flush=True,
            )
        worker.run_every(every, stop)

    threading.Thread(target=run, name="motcua-outbox", daemon=True).start()
    return stop


def proxy_options(address: str | None) -> dict:
    """Behind nginx (deploy/nginx/motcua.conf), every connection comes from the proxy: waitress
    takes the client's address from the X-Forwarded-For the proxy set (the lookup limiter counts
    per client), and only from that proxy; the header is dropped from anyone else."""
    if not address:
        return {}
    return {
        "trusted_proxy": address,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
        "clear_untrusted_proxy_headers": True,
    }


# The largest body per route, checked on the headers before the body is read: the API's JSON
# (MAX_BODY_BYTES), the local upload endpoint's form (the largest file a slot takes, 100 MiB, and
# its fields), nothing on pages.
UPLOAD_BODY_BYTES = 101 * 1024 * 1024


def body_limit() -> Callable[[str, str], int]:
    """The largest body of a request, from its method and path, with the figures imported once:
    the parser asks on every request, and imports in the function's body cost more than its
    comparisons (3.6 against 0.3 µs a call)."""
    from chalicelib.config import MAX_BODY_BYTES
    from chalicelib.local.upload import PATH as UPLOAD_PATH

    def limit(method: str, path: str) -> int:
        if path == UPLOAD_PATH:
            return UPLOAD_BODY_BYTES
        return MAX_BODY_BYTES if path.startswith("/api/") else 0

    return limit


def serve(
    site: Path,
    listener: socket.socket,
    threads: int,
    proxy: dict | None = None,
    balance: "Balance | None" = None,
) -> int:
    from chalicelib.local import guard

    # Behind a trusted proxy every connection comes from it: the proxy limits connections per
    # client (nginx's limit_conn), so the guard's per-address budget is off.
    limit = body_limit()
    per_client = None if proxy else guard.Guard(limit).per_client
    guard.serve(
        make_application(site, threads=threads),
        listener,
        guard.Guard(limit, per_client=per_client),
        balance,
        threads=threads,
        ident="motcua",
        max_request_body_size=UPLOAD_BODY_BYTES,
        # Idle keep-alive connections are closed after 30 s; the guard's deadlines cut off slow
        # requests and its budget keeps one client from holding most of the connections.
        channel_timeout=30,
        connection_limit=1000,
        asyncore_use_poll=True,  # select() stops at 1,024 descriptors
        **(proxy or {}),
    )
    return 0


def supervise(
    site: Path,
    listener: socket.socket,
    threads: int,
    workers: int,
    proxy: dict | None = None,
    purge_every: float | None = None,
    outbox_every: float = 0,
) -> int:
    """Forks `workers` processes that accept on the one listening socket (the kernel hands each
    connection to one of them; guard.Balance keeps their counts even), before any thread or
    database connection exists. SQLite's locks order the writers of all processes. A worker dies
    with this process (PR_SET_PDEATHSIG: a SIGKILL here leaves no server behind holding the
    port); if one worker dies, the others are stopped and the exit code says so, rather than
    serving on at part strength unnoticed."""
    from chalicelib.local.guard import Balance

    children: list[int] = []
    parent = os.getpid()
    balance = Balance(workers)
    for index in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                _die_with(parent)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                code = serve(site, listener, threads, proxy, balance.as_worker(index))
            except KeyboardInterrupt:
                code = 0
            except BaseException:
                traceback.print_exc()  # os._exit below would lose it
                raise
            finally:
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)
    listener.close()
    start_purging(purge_every)  # after the forks: no thread exists in a worker
    start_sending(outbox_every)

    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    remaining = set(children)
    while remaining:
        try:
            pid, code = os.wait()
        except ChildProcessError:
            break
        remaining.discard(pid)
        if remaining and code != 0 and not stopping:  # one died on its own: stop the rest
            print(f"MotCua: tiến trình {pid} dừng ({code}); dừng máy chủ.", file=sys.stderr)
            status = 1
            stop(signal.SIGTERM, None)
    return status


def _die_with(parent: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(1, signal.SIGKILL) != 0:  # PR_SET_PDEATHSIG
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent:  # the parent died before the call
        os._exit(1)


if __name__ == "__main__":
    raise SystemExit(main())
