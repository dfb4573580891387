"""MotCua's command line for the catalogue: check, diff, new (and, later, build and import).

python build.py check [--format text|github] [--drafts]
python build.py diff [BASE [HEAD]] [--repo DIR]
python build.py verify [--reference DIR] [--report FILE]
python build.py import-listing [--reference DIR]
python build.py new CODE [--from-latest] [--effective-from DATE]
python build.py build [--public-url URL] [--today DATE] [--full] [--stats EVENTS.jsonl]
"""

import argparse
import contextlib
import multiprocessing
import os
import sys
from pathlib import Path
from typing import NoReturn

from buildlib import paths
from buildlib.errors import BuildError


def cmd_check(args: argparse.Namespace) -> int:
    from buildlib.review.check import check, report

    cache_dir = None if args.no_cache else Path(args.cache_dir or paths.CACHE)
    problems = check(Path(args.catalogue), workers=args.workers, cache_dir=cache_dir, keep=_KEPT)
    return report(problems, fmt=args.format, out=sys.stdout, drafts=args.drafts)


def cmd_diff(args: argparse.Namespace) -> int:
    from buildlib.review.diff import diff_command

    return diff_command(Path(args.repo), args.base, args.head, out=sys.stdout)


def cmd_new(args: argparse.Namespace) -> int:
    from buildlib.review.scaffold import new_command

    return new_command(Path(args.catalogue), args, out=sys.stdout)


def cmd_verify(args: argparse.Namespace) -> int:
    from buildlib.review.verify import verify_command

    return verify_command(
        Path(args.catalogue),
        Path(args.reference) if args.reference else None,
        report=Path(args.report) if args.report else None,
        today=args.today,
        out=sys.stdout,
    )


def cmd_build(args: argparse.Namespace) -> int:
    from buildlib.site.build import build_command

    with paths.public_url(args.public_url):
        return build_command(
            Path(args.catalogue),
            out=sys.stdout,
            site_dir=Path(args.site_dir) if args.site_dir else None,
            cache_dir=Path(args.cache_dir) if args.cache_dir else None,
            full=args.full,
            today=args.today,
            stats=Path(args.stats) if args.stats else None,
            keep=_KEPT,
        )


# What a command made, left for the process's end (`end`) rather than freed object by object.
_KEPT: list[object] = []


def cmd_import(args: argparse.Namespace) -> int:
    from buildlib.importer.command import import_command

    return import_command(paths.ROOT, args, out=sys.stdout)


def cmd_import_listing(args: argparse.Namespace) -> int:
    from buildlib.importer.listing import import_listing_command

    return import_listing_command(args, out=sys.stdout)


def cmd_bundle(args: argparse.Namespace) -> int:
    from buildlib.bundle import bundle_command

    out = Path(args.out) if args.out else None
    return bundle_command(Path(args.catalogue), out, out=sys.stdout)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="build.py", description="Danh mục thủ tục hành chính MotCua")
    sub = top.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="kiểm tra toàn bộ danh mục, báo mọi lỗi kèm tệp:dòng")
    check.add_argument("--catalogue", default=str(paths.CATALOGUE))
    check.add_argument("--format", choices=("text", "github"), default="text")
    check.add_argument("--workers", type=int, default=None, help="số tiến trình (mặc định: số lõi)")
    check.add_argument("--cache-dir", help="kết quả của lần kiểm tra trước (mặc định build/cache/)")
    check.add_argument("--no-cache", action="store_true", help="đọc lại mọi tệp, không ghi đệm")
    check.add_argument(
        "--drafts",
        action="store_true",
        help="liệt kê cả từng bản nháp chưa rà soát (mặc định: đếm)",
    )
    check.set_defaults(func=cmd_check)

    diff = sub.add_parser("diff", help="báo cáo thay đổi giữa hai phiên bản git (Markdown)")
    diff.add_argument("base", nargs="?", help="mặc định: merge-base với main")
    diff.add_argument("head", nargs="?", help="mặc định: thư mục làm việc hiện tại")
    diff.add_argument("--repo", default=str(paths.ROOT), help="kho git (mặc định: kho này)")
    diff.set_defaults(func=cmd_diff)

    verify = sub.add_parser("verify", help="đối chiếu các phiên bản đang hiệu lực với nguồn")
    verify.add_argument("--catalogue", default=str(paths.CATALOGUE))
    verify.add_argument(
        "--reference",
        help="thư mục dữ liệu tham chiếu (mặc định ../shared/reference hoặc reference/)",
    )
    verify.add_argument("--report", help="ghi báo cáo Markdown cho người duyệt vào tệp này")
    verify.add_argument("--today", help="ngày đối chiếu YYYY-MM-DD (mặc định: hôm nay)")
    verify.set_defaults(func=cmd_verify)

    build = sub.add_parser("build", help="dựng trang web tĩnh vào site/")
    build.add_argument("--catalogue", default=str(paths.CATALOGUE))
    build.add_argument("--site-dir", help="thư mục đích (mặc định site/)")
    build.add_argument("--cache-dir", help="bộ nhớ đệm dựng lại một phần (mặc định build/cache/)")
    build.add_argument("--full", action="store_true", help="dựng lại toàn bộ, bỏ qua bộ nhớ đệm")
    build.add_argument("--today", help="ngày tham chiếu YYYY-MM-DD (mặc định: hôm nay)")
    build.add_argument(
        "--public-url",
        help="địa chỉ công khai của trang, gốc của mọi định danh công bố "
        "(mặc định: MOTCUA_PUBLIC_URL, nếu không có thì http://127.0.0.1:8000)",
    )
    build.add_argument(
        "--stats",
        help="tệp sự kiện ẩn danh (motcua export-events) cho trang thống kê; không có: trang "
        "ghi chưa có số liệu",
    )
    build.set_defaults(func=cmd_build)

    bundle = sub.add_parser("bundle", help="gói dữ liệu danh mục cho API (functions/)")
    bundle.add_argument("--catalogue", default=str(paths.CATALOGUE))
    bundle.add_argument("--out", help="mặc định functions/chalicelib/data/bundle.json")
    bundle.set_defaults(func=cmd_bundle)

    new = sub.add_parser("new", help="tạo thủ tục mới hoặc phiên bản mới từ phiên bản gần nhất")
    new.add_argument("code", help="mã thủ tục, ví dụ 1.001193")
    new.add_argument("--catalogue", default=str(paths.CATALOGUE))
    new.add_argument("--effective-from", help="ngày hiệu lực của phiên bản mới (YYYY-MM-DD)")
    new.add_argument("--name", help="tên thủ tục (khi tạo thủ tục mới)")
    new.add_argument("--field", help="mã lĩnh vực (khi tạo thủ tục mới)")
    new.set_defaults(func=cmd_new)

    imp = sub.add_parser(
        "import", help="nhập bản ghi Cổng DVCQG (JSON, thư mục, .tar.gz) thành bản nháp"
    )
    imp.add_argument("paths", nargs="*", help="mặc định: ../shared/reference/procedures/*.tar.gz")
    imp.add_argument("--out", default=str(paths.CORPUS))
    imp.add_argument(
        "--effective-from", help="ngày hiệu lực của phiên bản nhập (mặc định: hôm nay)"
    )
    imp.add_argument("--report", help="tệp báo cáo (mặc định: <out>/../import-report.md)")
    imp.set_defaults(func=cmd_import)

    listing = sub.add_parser(
        "import-listing", help="nhập danh mục TTHC của xã Vĩnh Bảo thành bản nháp chưa rà soát"
    )
    listing.add_argument("--catalogue", default=str(paths.CATALOGUE))
    listing.add_argument(
        "--reference",
        help="thư mục dữ liệu tham chiếu (mặc định ../shared/reference hoặc reference/)",
    )
    listing.set_defaults(func=cmd_import_listing)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except BuildError as error:  # ours, with a message for the editor; a bug keeps its traceback
        print(error, file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and closed early: not an error of ours
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps Python's exit flush quiet
        return 1


def end(code: int) -> NoReturn:
    """Ends the process as it is, as mypy does: its memory is given back whole, not freed object
    by object (see build_command's `keep`). Output is flushed and the processes forked by
    multiprocessing (the build's background work, done or ending) waited for, as a normal exit
    would, so that `time` counts their CPU."""
    with contextlib.suppress(OSError):  # a closed pipe (main's BrokenPipeError)
        sys.stdout.flush()
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    for child in multiprocessing.active_children():
        child.join()
    os._exit(code)


if __name__ == "__main__":
    end(main())
