"""What verifying an upload costs: the check before issue 15 (size and magic bytes) next to
today's `Service.verify_upload` (clamd scan, then the PDF parsed or the image decoded and
re-encoded), for a 1 MB and a 10 MB PDF, JPEG and PNG.

python -m bench.verify_bench [--repeat 5] [--sizes 1,10]

Embedded storage (FilesystemUploads in a temporary directory) and a clamd started by
scripts/clamd.sh on a unix socket. That clamd loads only our EICAR test signature (no machine
here can download ClamAV's database), so its time is the cost of streaming the file through
INSTREAM and clamd's own parsers, not of matching a full database: production, with freshclam's
database, scans slower. Prints a Markdown table (median of `--repeat` runs, each on a fresh
upload) and writes it to bench/out/verify-results.md. See bench/README.md.
"""

import argparse
import io
import os
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from chalicelib import filecheck, forms
from chalicelib.bundle import Bundle
from chalicelib.config import DEFAULT_BUNDLE
from chalicelib.dossiers import FailureLimiter, Service
from chalicelib.scanner import ClamdScanner
from chalicelib.storage.files import FilesystemUploads
from chalicelib.storage.lookups_sqlite import SqliteLookupFailures
from chalicelib.storage.sqlite import SqliteDossiers

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
MB = 1024 * 1024
SLOT = "bo-sung"  # a dossier's supplement: PDF, JPEG or PNG up to 10 MB


def noise(side: int, seed: int) -> Image.Image:
    """Random pixels: a photo's worth of detail that barely compresses."""
    return Image.frombytes("RGB", (side, side), random.Random(seed).randbytes(side * side * 3))


def image_file(kind: str, size: int) -> bytes:
    """A genuine JPEG or PNG of about `size` bytes."""
    per_pixel = 3.0 if kind == "png" else 1.2
    side = int((size / per_pixel) ** 0.5)
    out = io.BytesIO()
    noise(side, 1).save(out, "PNG" if kind == "png" else "JPEG", quality=95)
    return out.getvalue()


def pdf_file(size: int) -> bytes:
    """A genuine PDF of about `size` bytes as a scanner makes it: one JPEG per page."""
    pages = max(1, size // (512 * 1024))
    side = int((size / pages / 1.2) ** 0.5)
    images = [noise(side, seed) for seed in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], quality=95)
    return out.getvalue()


def old_verify(uploads: FilesystemUploads, key: str, kind: str) -> None:
    """verify_upload before issue 15: the size, the first 16 bytes, then accept."""
    size = uploads.size(key)
    assert size is not None and size <= 10 * MB
    assert uploads.head_bytes(key, 16).startswith(forms.FILE_TYPES[kind].magic)
    uploads.accept(key)


def start_clamd(directory: Path) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "CLAMD_DATABASE": str(ROOT / "scripts" / "clamav")}
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "clamd.sh"), str(directory)],
        env=environment,
        stdout=subprocess.DEVNULL,
    )
    scanner = ClamdScanner(str(directory / "clamd.sock"))
    deadline = time.monotonic() + 60
    while not scanner.ping():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit("clamd did not start (scripts/clamd.sh)")
        time.sleep(0.05)
    return process


def cpu_ms(pid: int) -> float:
    """CPU time (user + system) a process has used so far, in milliseconds (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def timed(
    repeat: int, prepare: Callable[[], str], run: Callable[[str], object], clamd_pid: int
) -> tuple[float, float]:
    """Median (wall, CPU) milliseconds of `run(prepare())`, each run on a fresh upload; CPU is
    this process's and clamd's, so the figure holds on a busy machine where wall time does not."""
    walls, cpus = [], []
    for _ in range(repeat):
        key = prepare()
        cpu_before = time.process_time() * 1000 + cpu_ms(clamd_pid)
        began = time.perf_counter()
        run(key)
        walls.append((time.perf_counter() - began) * 1000)
        cpus.append(time.process_time() * 1000 + cpu_ms(clamd_pid) - cpu_before)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="1,10", help="file sizes in MB, comma-separated")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="verify-bench-") as work:
        root = Path(work)
        clamd = start_clamd(root / "clamd")
        try:
            rows = measure(root, sizes, args.repeat, clamd.pid)
        finally:
            clamd.terminate()
            clamd.wait()
    table = report(rows, args.repeat)
    print(table)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "verify-results.md").write_text(table, encoding="utf-8")
    return 0


Row = tuple[str, int, int, dict[str, tuple[float, float]]]


def measure(root: Path, sizes: list[int], repeat: int, clamd_pid: int) -> list[Row]:
    uploads = FilesystemUploads(root / "uploads", secret=b"b" * 32, base_url="http://127.0.0.1")
    scanner = ClamdScanner(str(root / "clamd" / "clamd.sock"))
    if not DEFAULT_BUNDLE.exists():
        raise SystemExit(f"{DEFAULT_BUNDLE} is missing: run `build.py bundle` first")
    dossiers = SqliteDossiers(root / "motcua.sqlite3")
    service = Service(
        Bundle.load(DEFAULT_BUNDLE),
        dossiers,
        uploads,
        secret_key=b"k" * 32,
        public_url="http://127.0.0.1",
        limiter=FailureLimiter(
            SqliteLookupFailures(root / "lookup-failures.sqlite3"), secret_key=b"k" * 32
        ),
        scanner=scanner,
    )
    rows = []
    counter = iter(range(1_000_000))
    for size in sizes:
        for kind in ("pdf", "jpeg", "png"):
            target = int(size * MB * 0.97)  # under the slot's 10 MB
            content = pdf_file(target) if kind == "pdf" else image_file(kind, target)
            extension = forms.FILE_TYPES[kind].extension

            def prepare(content: bytes = content, extension: str = extension) -> str:
                key = f"1.000000/{SLOT}/bench{next(counter):012d}aaaaaaaa.{extension}"
                with uploads.incoming(key) as out:
                    out.write(content)
                return key

            def scan_only(key: str) -> object:
                with uploads.read(key) as source:
                    return scanner.scan(source)

            def check_only(key: str, kind: str = kind) -> object:
                with uploads.read(key) as source:
                    return filecheck.check(kind, source)

            def before(key: str, kind: str = kind) -> object:
                old_verify(uploads, key, kind)
                return None

            def after(key: str) -> object:
                return service.verify_upload({"key": key})

            steps = {"before": before, "after": after, "scan": scan_only, "check": check_only}
            results = {
                name: timed(repeat, prepare, step, clamd_pid) for name, step in steps.items()
            }
            rows.append((kind, size, len(content), results))
            print(f"{kind} {size} MB: {results}", flush=True)
    return rows


def report(rows: list[Row], repeat: int) -> str:
    lines = [
        f"verify_upload on embedded storage: wall / CPU ms (ours + clamd's), median of {repeat}",
        "",
        "| file | bytes | before: size, magic | after: verify | clamd scan | parse, re-encode |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, size, length, result in rows:
        cells = " | ".join(f"{wall:.0f} / {cpu:.0f}" for wall, cpu in result.values())
        lines.append(f"| {kind.upper()} {size} MB | {length:,} | {cells} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
