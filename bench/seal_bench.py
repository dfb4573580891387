"""What sealing at rest costs (chalicelib/sealing.py, the embedded target): a 1 MB and a 10 MB
upload written sealed and read back through FilesystemUploads (the bytes the upload endpoint and
a download move), next to the same with no sealer, and one dossier's body sealed and opened.

python -m bench.seal_bench [--repeat 7] [--sizes 1,10]

Files go to a temporary directory on the machine's disk and are fsynced, as `incoming` does.
Prints a Markdown table (median of `--repeat` runs) and writes it to bench/out/seal-results.md.
See bench/README.md.
"""

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from chalicelib import sealing
from chalicelib.storage.files import FilesystemUploads

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
MB = 1024 * 1024
CHUNK = 64 * 1024  # what the upload endpoint writes at a time, about


def median_ms(run: Callable[[], None], repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds (on a shared machine the wall time mostly measures the
    other jobs; sealing runs in this process, so its CPU time is its cost)."""
    wall, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def file_times(
    root: Path, sealer: sealing.Sealer | None, size: int, repeat: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    uploads = FilesystemUploads(root, secret=b"s" * 32, base_url="http://x", sealer=sealer)
    data = os.urandom(size)

    def write() -> None:
        with uploads.incoming("bench/tep.pdf") as out:
            for start in range(0, size, CHUNK):
                out.write(data[start : start + CHUNK])

    def read() -> None:
        with uploads.read("bench/tep.pdf") as source:
            while source.read(MB):
                pass

    return median_ms(write, repeat), median_ms(read, repeat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sizes", default="1,10", help="MiB, comma-separated")
    args = parser.parse_args(argv)
    sealer = sealing.Sealer([(os.urandom(4), os.urandom(32))])
    rows = [
        "| what (wall / CPU ms) | plain | sealed | sealing adds (CPU) |",
        "|---|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for mib in [int(s) for s in args.sizes.split(",")]:
            plain = file_times(Path(tmp) / "plain", None, mib * MB, args.repeat)
            sealed = file_times(Path(tmp) / "sealed", sealer, mib * MB, args.repeat)
            for what, a, b in (("write", plain[0], sealed[0]), ("read", plain[1], sealed[1])):
                rows.append(
                    f"| {what} {mib} MiB upload | {a[0]:.1f} / {a[1]:.1f} | {b[0]:.1f} / {b[1]:.1f}"
                    f" | {b[1] - a[1]:+.1f} |"
                )
    body = '{"answers": {"ho_ten": "Nguyễn Văn An"}, "x": "' + "a" * 1500 + '"}'
    count = 20_000
    began, began_cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        sealer.open_text(sealer.seal_text(body, "dossiers/X/body"), "dossiers/X/body")
    wall = (time.perf_counter() - began) / count * 1e6
    cpu = (time.process_time() - began_cpu) / count * 1e6
    size = len(body.encode())
    rows.append(f"| seal + open a {size:,} B dossier body (µs) | | {wall:.1f} / {cpu:.1f} | |")
    table = "\n".join(rows)
    print(table)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "seal-results.md").write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
