"""`motcua`: the admin command, the same for every target; it reads the app's own settings
(MOTCUA_STORAGE, MOTCUA_DATA_DIR, MOTCUA_DATABASE_URL, MOTCUA_S3_*, MOTCUA_BUCKET, ...).

    motcua migrate                                  the database's schema, up to date
    motcua create-admin USERNAME --name "Họ và tên" [--office ID ...] [--password-stdin]
    motcua create-officer USERNAME --name "Họ và tên" --role ROLE [--role ...] --office ID
                                    [--office ...] [--password-stdin]
    motcua disable USERNAME                         lock an account, end its sessions
    motcua offices [TEXT]                           the office ids --office takes, by name
    motcua backup DIRECTORY                         a consistent snapshot (backup.py)
    motcua restore DIRECTORY [--force]              a fresh installation from it (restore.py)
    motcua purge [--older-than 2d] [--dry-run]      unattached uploads, ended sessions, old failed
                                                    lookups, dossiers past their retention
                                                    period with their files (purge.py)
    motcua rotate-data-key                          embedded: a new data key seals every dossier
                                                    and file again (rotate.py)
    motcua outbox-worker [--every 30] [--once]      sends the notifications the outbox holds
                                                    (chalicelib/outbox.py), until stopped
    motcua export-events FILE                       the anonymised events the open statistics
                                                    are computed from (chalicelib/stats.py)

Installed as a console script (pyproject.toml); `python -m chalicelib.admin` is the same.
Exit codes: 0 done; 1 the work failed (storage, a PostgreSQL tool, an unknown account);
2 usage or configuration (a missing setting, a command the target has no use for);
3 refused before anything was written (a corrupt or unfinished backup, a target not empty).
"""

import argparse
import contextlib
import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.admin import accounts
from chalicelib.admin.errors import USAGE, AdminError
from chalicelib.config import ConfigurationError, Settings
from chalicelib.errors import StorageError

if TYPE_CHECKING:
    from chalicelib.bundle import Bundle
    from chalicelib.outbox import Worker
    from chalicelib.storage.ports import NewDossier
    from chalicelib.workflow import Rules

# A restore signs nothing, and must not make a key of its own in an empty data dir before the
# backup's key is restored there: any key does for the settings it reads.
RESTORE_KEY = b"restore: this key signs nothing, never used"


def main(argv: list[str] | None = None) -> int:
    # What the command writes (databases, restored files and keys, backups) is personal data or
    # a credential: its user's only, whatever the shell's umask (serve.py does the same).
    umask = os.umask(0o077)
    try:
        return _main(argv)
    finally:
        os.umask(umask)


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        overrides = {"secret_key": RESTORE_KEY} if args.command == "restore" else {}
        settings = Settings.from_env(**overrides)
    except (ConfigurationError, ValueError) as error:
        print(f"Cấu hình: {error}", file=sys.stderr)
        return USAGE
    try:
        return _run(args, settings)
    except ConfigurationError as error:
        print(f"Cấu hình: {error}", file=sys.stderr)
        return USAGE
    except AdminError as error:
        print(error.message, file=sys.stderr)
        return error.exit_code
    except StorageError as error:
        print(f"Lỗi kho lưu trữ: {error.__cause__ or error.message}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate":
        from chalicelib.admin.schema import migrate

        for line in migrate(settings):
            print(line)
        return 0
    if args.command == "backup":
        from chalicelib.admin.backup import backup

        made = backup(settings, args.directory)
        print(
            f"Đã sao lưu vào {args.directory}: {len(made.database)} tệp cơ sở dữ liệu,"
            f" {len(made.objects)} tệp tải lên."
        )
        print(made.secret_key_note)
        return 0
    if args.command == "restore":
        from chalicelib.admin.restore import restore

        done = restore(settings, args.directory, force=args.force)
        print(
            f"Đã khôi phục bản sao lưu {done.created_at}: {len(done.objects)} tệp tải lên."
            + ("" if settings.storage == "embedded" else " Chạy `motcua migrate` nếu mã mới hơn.")
        )
        print(done.secret_key_note)
        return 0
    if args.command == "purge":
        return _purge(args, settings)
    if args.command == "outbox-worker":
        return _outbox_worker(args, settings)
    if args.command == "export-events":
        return _export_events(args, settings)
    if args.command == "rotate-data-key":
        from chalicelib.admin.rotate import rotate

        rotated = rotate(settings)
        print(
            f"Khóa dữ liệu mới {rotated.key_id}: đã mã hóa lại {rotated.dossiers} hồ sơ và"
            f" {rotated.files} tệp. Khóa cũ ({', '.join(rotated.old_ids)}) vẫn ở trong tệp khóa để"
            " mở các bản sao lưu trước đây; xóa dòng của chúng khi không còn bản sao lưu đó."
        )
        return 0
    return accounts.run(args, settings)


def _purge(args: argparse.Namespace, settings: Settings) -> int:
    from chalicelib.admin.purge import purge

    done = purge(
        settings,
        older_than=args.older_than,
        dry_run=args.dry_run,
        now=dt.datetime.now(dt.UTC),
    )
    verb = "Sẽ xóa" if args.dry_run else "Đã xóa"
    for key in done.uploads:
        print(f"{verb} tệp tải lên không thuộc hồ sơ nào: {key}")
    print(f"{verb} {len(done.uploads)} tệp tải lên không thuộc hồ sơ nào.")
    for code in done.dossiers:
        print(f"{verb} hồ sơ đã hết thời hạn lưu giữ: {code}")
    print(
        f"{verb} {len(done.dossiers)} hồ sơ đã kết thúc quá {settings.retention_days} ngày"
        f" (cùng lịch sử xử lý) và {done.dossier_files} tệp của chúng."
    )
    print(
        f"{verb} {done.sessions} phiên đã hết hạn, {done.attempts} lượt đăng nhập cũ,"
        f" {done.lookup_failures} lượt tra cứu sai đã hết thời hạn tính."
    )
    for note in done.notes:
        print(note)
    return 0


def _export_events(args: argparse.Namespace, settings: Settings) -> int:
    """The anonymised events for `build.py build --stats FILE` (docs/statistics.md)."""
    from chalicelib.bundle import Bundle
    from chalicelib.stats import export_events, write_events
    from chalicelib.wiring import build_ratings, build_stores

    bundle = Bundle.load(settings.bundle)
    dossiers, _uploads, _failures = build_stores(settings)
    ratings = build_ratings(settings)
    try:
        events = export_events(
            dossiers, ratings, calendar=bundle.calendar, rules_of=lambda d: _rules(bundle, d)
        )
    finally:
        ratings.close()
    target = args.file
    with open(target, "w", encoding="utf-8") as out:
        count = write_events(events, out)
    os.chmod(target, 0o644)  # public data: anonymised (the umask above is for personal data)
    print(f"Đã ghi {count} sự kiện ẩn danh vào {target}.")
    return 0


def _rules(bundle: "Bundle", dossier: "NewDossier") -> "Rules":
    """The rules of the version a dossier was filed under; the defaults if the bundle no longer
    has it (only whether a payment stops the clock is read)."""
    from chalicelib.workflow import Rules

    version = bundle.filed_version(dossier.procedure, dossier.version)
    return bundle.rules(version) if version is not None else Rules()


def _outbox_worker(args: argparse.Namespace, settings: Settings) -> int:
    """The province's sender (deploy/systemd/motcua-outbox.service): one process or several on
    any machines (PostgreSQL hands each delivery to one of them); stops on SIGTERM."""
    from chalicelib.wiring import build_outbox_worker

    worker = build_outbox_worker(settings)
    try:
        return _send(worker, args)
    finally:
        worker.outbox.close()


def _send(worker: "Worker", args: argparse.Namespace) -> int:
    import signal
    import threading

    if not worker.senders:
        print(
            "Chưa cấu hình kênh gửi nào (MOTCUA_SMTP_HOST, MOTCUA_SES_FROM, MOTCUA_SMS_URL):"
            " thông báo được giữ lại trong hàng đợi.",
            file=sys.stderr,
        )
        return USAGE
    if args.once:
        done = worker.run_once()
        print(f"Đã gửi {done.sent}, sẽ thử lại {done.retried}, thất bại hẳn {done.failed}.")
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    print(f"Gửi thông báo mỗi {args.every:g} giây qua: {', '.join(sorted(worker.senders))}.")
    with contextlib.suppress(KeyboardInterrupt):
        worker.run_every(args.every, stop)
    return 0


def _parser() -> argparse.ArgumentParser:
    from chalicelib.admin.purge import DRAFT_FILES_LIVE, duration

    parser = argparse.ArgumentParser(
        prog="motcua", description="Quản trị MotCua: lược đồ, tài khoản, sao lưu, dọn dẹp."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="cập nhật lược đồ cơ sở dữ liệu")
    accounts.add_parsers(commands)
    backup = commands.add_parser("backup", help="sao lưu nhất quán vào một thư mục mới")
    backup.add_argument("directory", type=Path, help="thư mục mới (hoặc trống) cho bản sao lưu")
    restore = commands.add_parser("restore", help="khôi phục một bản cài đặt mới từ bản sao lưu")
    restore.add_argument("directory", type=Path, help="thư mục của bản sao lưu")
    restore.add_argument(
        "--force",
        action="store_true",
        help="ghi đè nơi khôi phục không trống (dừng ứng dụng trước)",
    )
    commands.add_parser(
        "rotate-data-key",
        help="khóa dữ liệu mới, mã hóa lại mọi hồ sơ và tệp (dừng máy chủ trước; cách nhúng)",
    )
    purge = commands.add_parser("purge", help="xóa tệp không thuộc hồ sơ nào, phiên hết hạn")
    purge.add_argument(
        "--older-than",
        type=duration,
        default=DRAFT_FILES_LIVE,
        help="chỉ xóa tệp cũ hơn (mặc định 2d; ví dụ 36h, 90m)",
    )
    purge.add_argument("--dry-run", action="store_true", help="chỉ liệt kê, không xóa gì")
    export = commands.add_parser(
        "export-events", help="xuất sự kiện ẩn danh cho số liệu thống kê mở"
    )
    export.add_argument("file", type=Path, help="tệp JSON Lines sẽ ghi (ghi đè)")
    sender = commands.add_parser("outbox-worker", help="gửi thông báo đang chờ (email, SMS)")
    sender.add_argument("--every", type=float, default=30.0, help="số giây giữa hai lượt (30)")
    sender.add_argument("--once", action="store_true", help="gửi một lượt rồi dừng")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
