"""Prepares a built site for nginx and writes the nginx configuration from deploy/nginx/.

    python deploy/render.py --site /srv/motcua/site --out /etc/nginx/motcua \\
        --server-name motcua.tinh.gov.vn --certificate CERT --key KEY \\
        [--app-port 8001 --app-port 8002] [--store 127.0.0.1:8333] [--store-prefix /luu-tru] \\
        [--https-listen 443] [--http-listen 80] [--standalone]

motcua.conf and motcua-headers.conf are written to --out (include motcua.conf from the http{}
block: Debian's sites-enabled/). With --standalone, also an nginx.conf that runs nginx as the
current user with everything (pid, logs, temporary files) under --out:
`nginx -p OUT -c OUT/nginx.conf` (the tests and bench/deploy_bench.py do that). The site needs
nothing more: `build.py build` already wrote a gzip copy next to every compressible file
(buildlib/site/precompress.py), which nginx's gzip_static sends as is; the procedure pages exist
only as that copy, which nginx's gunzip unpacks for a client without gzip.

Values come from their one home: the security headers from chalicelib.headers (the pages run no
inline script, so the Content-Security-Policy is the same for every site), the API's body limit
from chalicelib.config.MAX_BODY_BYTES, the uploads' from the largest `max_bytes`
schemas/form.schema.json allows.
"""

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from chalicelib.config import MAX_BODY_BYTES
from chalicelib.headers import SECURITY_HEADERS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEMPLATES = HERE / "nginx"
FORM_SCHEMA = ROOT / "schemas" / "form.schema.json"
MULTIPART_ALLOWANCE = 1024 * 1024  # a presigned POST's form fields around the file
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
DEFAULT_PORTS = {"http": 80, "https": 443}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description="Chuẩn bị trang web và cấu hình nginx cho MotCua")
    top.add_argument("--site", type=Path, required=True, help="thư mục site/ đã build")
    top.add_argument("--out", type=Path, required=True, help="thư mục ghi cấu hình nginx")
    top.add_argument("--server-name", default="localhost")
    top.add_argument("--certificate", required=True, help="chứng chỉ TLS (PEM, cả chuỗi)")
    top.add_argument("--key", required=True, help="khoá riêng TLS (PEM)")
    top.add_argument("--https-listen", default="443", help="địa chỉ:cổng HTTPS")
    top.add_argument("--http-listen", default="80", help="địa chỉ:cổng HTTP (chuyển sang HTTPS)")
    top.add_argument(
        "--app-port", type=int, action="append", help="cổng một tiến trình ứng dụng (lặp lại)"
    )
    top.add_argument(
        "--store",
        default="http://127.0.0.1:8333",
        help="địa chỉ kho S3, đúng như MOTCUA_S3_ENDPOINT của ứng dụng",
    )
    top.add_argument("--store-prefix", default="/luu-tru", help="đường dẫn kho dưới trang web")
    top.add_argument("--fail-timeout", default="5s", help="nghỉ một tiến trình lỗi bao lâu")
    top.add_argument(
        "--standalone", action="store_true", help="thêm nginx.conf chạy bằng người dùng hiện tại"
    )
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    site = args.site.resolve()
    if not (site / "index.html").is_file():
        print(f"Chưa có trang web trong {site}: chạy `build.py build` trước.", file=sys.stderr)
        return 1
    if urlsplit(args.store).scheme not in ("http", "https") or urlsplit(args.store).path.strip("/"):
        print(f"--store: cần dạng http(s)://host:cổng, không phải {args.store!r}", file=sys.stderr)
        return 2
    if not re.fullmatch(r"(/[a-z0-9-]+)+", args.store_prefix):
        print(
            f"--store-prefix: cần dạng /ten-thu-muc, không phải {args.store_prefix!r}",
            file=sys.stderr,
        )
        return 2
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    values = settings(args, site, out)
    for name in ("motcua.conf", "motcua-headers.conf"):
        write(out / name, fill((TEMPLATES / name).read_text(encoding="utf-8"), values))
    if args.standalone:
        write(out / "nginx.conf", standalone(out))
    print(f"nginx: {out / 'motcua.conf'}", file=sys.stderr)
    return 0


# --- the configuration ------------------------------------------------------------------------


def largest_upload(schema: Path = FORM_SCHEMA) -> int:
    """The largest `max_bytes` an upload slot may declare (the form schema's maximum)."""
    found = list(_maxima(json.loads(schema.read_text(encoding="utf-8"))))
    if not found:
        raise SystemExit(f"{schema}: no max_bytes with a maximum")
    return max(found)


def _maxima(node: object) -> Iterator[int]:
    if isinstance(node, dict):
        bytes_ = node.get("max_bytes")
        if isinstance(bytes_, dict) and isinstance(bytes_.get("maximum"), int):
            yield bytes_["maximum"]
        for value in node.values():
            yield from _maxima(value)
    elif isinstance(node, list):
        for value in node:
            yield from _maxima(value)


def settings(args: argparse.Namespace, site: Path, out: Path) -> dict[str, str]:
    ports = args.app_port or [8001, 8002]
    store = urlsplit(args.store)
    https_port = args.https_listen.rsplit(":", 1)[-1]
    return {
        "APP_SERVERS": "\n".join(
            f"    server 127.0.0.1:{port} max_fails=1 fail_timeout={args.fail_timeout};"
            for port in ports
        ),
        "FAIL_TIMEOUT": args.fail_timeout,
        "STORE_SCHEME": store.scheme,
        "STORE_ADDRESS": f"{store.hostname}:{store.port or DEFAULT_PORTS[store.scheme]}",
        "STORE_HOST": store.netloc,
        "STORE_PREFIX": args.store_prefix,
        "SERVER_NAME": args.server_name,
        "HTTP_LISTEN": args.http_listen,
        "HTTPS_LISTEN": args.https_listen,
        "HTTPS_PORT_SUFFIX": "" if https_port == "443" else f":{https_port}",
        "TLS_CERTIFICATE": str(Path(args.certificate).resolve()),
        "TLS_KEY": str(Path(args.key).resolve()),
        "API_MAX_BODY": str(MAX_BODY_BYTES),
        "UPLOAD_MAX_BODY": str(largest_upload() + MULTIPART_ALLOWANCE),
        "SITE_ROOT": str(site),
        "CONF_DIR": str(out),
        "SECURITY_HEADERS": nginx_headers(),
        "HIDE_APP_HEADERS": "\n".join(
            f"        proxy_hide_header {name};" for name in SECURITY_HEADERS
        ),
    }


def nginx_headers() -> str:
    """chalicelib.headers' set as add_header lines, sent with every status (`always`)."""
    for name, value in SECURITY_HEADERS.items():
        if '"' in value or "\n" in value:  # the value goes between double quotes
            raise SystemExit(f"chalicelib/headers.py: {name} cannot be written for nginx")
    return "\n".join(
        f'add_header {name} "{value}" always;' for name, value in SECURITY_HEADERS.items()
    )


def fill(template: str, values: dict[str, str]) -> str:
    """Every @NAME@ replaced; a name without a value is an error, never left in the output."""
    missing = sorted(set(PLACEHOLDER.findall(template)) - values.keys())
    if missing:
        raise SystemExit(f"deploy/nginx: no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match[1]], template)


def standalone(out: Path) -> str:
    """A whole nginx.conf around motcua.conf that any user can run: no /var paths."""
    lines = [
        "# Written by deploy/render.py --standalone: nginx as the current user, files under here.",
        # As root (CI's chroot), the workers stay root: nobody could not read a private temp dir.
        *(["user root root;"] if os.geteuid() == 0 else []),
        "worker_processes 2;",
        f"pid {out}/nginx.pid;",
        f"error_log {out}/error.log warn;",
        "events { worker_connections 1024; }",
        "http {",
        "    include /etc/nginx/mime.types;",
        "    default_type application/octet-stream;",
        "    sendfile on;",
        "    tcp_nopush on;",
        f"    access_log {out}/access.log;",
        *(f"    {kind}_temp_path {out}/tmp/{kind};" for kind in temp_kinds()),
        f"    include {out}/motcua.conf;",
        "}",
    ]
    for kind in temp_kinds():
        (out / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    return "\n".join(lines) + "\n"


def temp_kinds() -> Iterable[str]:
    return ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".new")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


if __name__ == "__main__":
    raise SystemExit(main())
