"""Officers' accounts: `create-admin`, `create-officer`, `disable`, and `offices` to find the
office ids `--office` takes.

The password is asked twice at a prompt, or read from the first line of standard input with
--password-stdin (for scripts); never from the command line, where `ps` and the shell's history
would show it. Accounts go where the app signs officers in (wiring.build_officer_auth):
officers.sqlite3 under MOTCUA_DATA_DIR on the embedded target, the PostgreSQL database on
`province`; on AWS an identity provider holds them and these commands refuse.
"""

import argparse
import getpass
import json
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from chalicelib.config import Settings
from chalicelib.errors import NotFoundError, ValidationFailedError
from chalicelib.officers import OfficerAuth
from chalicelib.wiring import build_officer_auth
from chalicelib.workflow import ROLES

FIELD_NAMES = {
    "/username": "tên đăng nhập",
    "/name": "họ và tên",
    "/password": "mật khẩu",
    "/roles": "vai trò",
    "/offices": "cơ quan",
}


def add_parsers(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    admin = commands.add_parser("create-admin", help="tạo tài khoản quản trị")
    officer = commands.add_parser("create-officer", help="tạo tài khoản cán bộ")
    for command in (admin, officer):
        command.add_argument("username", help="tên đăng nhập (chữ thường không dấu)")
        command.add_argument("--name", required=True, help="họ và tên")
        command.add_argument(
            "--office",
            action="append",
            default=[],
            required=command is officer,
            help="mã cơ quan trong danh mục (lặp lại nếu nhiều cơ quan)",
        )
        command.add_argument(
            "--password-stdin", action="store_true", help="đọc mật khẩu từ dòng đầu của stdin"
        )
    officer.add_argument(
        "--role",
        action="append",
        required=True,
        choices=[role for role in ROLES if role != "quan_tri"],
        help="vai trò (lặp lại nếu nhiều vai trò)",
    )
    disable = commands.add_parser("disable", help="khóa tài khoản và kết thúc các phiên")
    disable.add_argument("username")
    offices = commands.add_parser("offices", help="tìm mã cơ quan (--office) theo tên")
    offices.add_argument("text", nargs="?", default="", help="một phần tên, có dấu hoặc không")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "offices":
        return _list_offices(settings.bundle, args.text)
    auth = build_officer_auth(settings)
    try:
        if args.command == "disable":
            auth.disable(args.username)
            print(f"Đã khóa tài khoản {args.username} và kết thúc mọi phiên của tài khoản này.")
            return 0
        roles = ["quan_tri"] if args.command == "create-admin" else args.role
        return _create(auth, settings, args, roles)
    except NotFoundError as error:
        print(error.message, file=sys.stderr)
        return 1
    finally:
        auth.accounts.close()


def _create(
    auth: OfficerAuth, settings: Settings, args: argparse.Namespace, roles: list[str]
) -> int:
    unknown = _unknown_offices(settings.bundle, args.office)
    if unknown:
        print("Không có cơ quan này trong danh mục: " + ", ".join(unknown), file=sys.stderr)
        return 1
    password = _password(args.password_stdin)
    if password is None:
        return 1
    try:
        officer = auth.create(
            username=args.username,
            name=args.name,
            password=password,
            roles=roles,
            offices=args.office,
        )
    except ValidationFailedError as error:
        for field, message in error.fields.items():
            print(f"{FIELD_NAMES.get(field, field)}: {message}", file=sys.stderr)
        return 1
    print(
        f"Đã tạo tài khoản {officer.username} ({officer.name}), vai trò: "
        + ", ".join(ROLES[role] for role in sorted(officer.roles))
        + (", cơ quan: " + ", ".join(sorted(officer.offices)) if officer.offices else "")
        + "."
    )
    return 0


def _password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Mật khẩu (ít nhất 12 ký tự): ")
    if getpass.getpass("Nhập lại mật khẩu: ") != password:
        print("Hai lần nhập mật khẩu không giống nhau.", file=sys.stderr)
        return None
    return password


def _unknown_offices(bundle: Path, offices: Iterable[str]) -> list[str]:
    """The offices not in the bundle's office register; none checked before the first build or
    while the bundle has no register."""
    if not bundle.is_file():
        return []
    register = json.loads(bundle.read_text(encoding="utf-8")).get("offices")
    if not register:
        return []
    known = set(register) if isinstance(register, dict) else {item["id"] for item in register}
    return sorted(set(offices) - known)


def _list_offices(bundle: Path, text: str) -> int:
    """One line per office of the register whose name or id contains `text`, with or without
    Vietnamese marks: `id<TAB>identifier<TAB>name`."""
    if not bundle.is_file():
        print("Chưa có gói dữ liệu: chạy `make run` hoặc `build.py bundle` trước.", file=sys.stderr)
        return 1
    register = json.loads(bundle.read_text(encoding="utf-8")).get("offices") or {}
    offices = register.values() if isinstance(register, dict) else register
    wanted = _folded(text)
    found = [o for o in offices if wanted in _folded(f"{o.get('name', '')} {o['id']}")]
    for office in sorted(found, key=lambda o: o["id"]):
        print(f"{office['id']}\t{office.get('identifier', '')}\t{office.get('name', '')}")
    if not found:
        print(f"Không có cơ quan nào khớp “{text}”.", file=sys.stderr)
        return 1
    return 0


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))
