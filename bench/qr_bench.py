"""CPU time per QR code: segno's stock make_qr (and its SVG writer) next to chalicelib.qr.

python -m bench.qr_bench [--count 300] [--repeat 5]

For each kind of URL (the receipt's status address, a checklist's address, a long text for a
larger version), `--count` distinct strings are encoded in a row and the CPU time
(time.process_time) is divided by the count; the best of `--repeat` rounds is kept. Prints a
Markdown table. See bench/README.md.
"""

import argparse
import io
import time
from collections.abc import Callable

import segno

from chalicelib import qr

CASES = {
    "receipt (status URL)": lambda n: (
        f"http://127.0.0.1:8000/tra-cuu/#ma=cong-an-cap-xa-261207-{n % 10_000:04d}&khoa={n:022x}"
    ),
    "checklist (procedure URL)": lambda n: (
        f"https://dichvucong.example.gov.vn/thu-tuc/1.{n % 1_000_000:06d}/"
    ),
    "long text (300 characters)": lambda n: f"{n:08d}" + "thủ tục hành chính " * 15,
}


def stock_make(text: str) -> object:
    return segno.make_qr(text, error="m")


def stock_svg(text: str) -> str:
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(
        buffer, kind="svg", xmldecl=False, border=2, svgclass="tthc-qr", lineclass=None,
        omitsize=True,
    )  # fmt: skip
    return buffer.getvalue().decode("ascii")


def ours_svg(text: str) -> str:
    return qr.svg(text, svgclass="tthc-qr")


def cpu_ms(function: Callable[[str], object], texts: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for text in texts:
            function(text)
        best = min(best, time.process_time() - started)
    return best / len(texts) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=300, help="distinct strings per kind")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the best is kept")
    args = parser.parse_args(argv)
    print(
        "| CPU ms per QR code | version | segno make_qr | qr.make | segno make_qr + SVG "
        "| qr.svg | qr.svg speed-up |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|")
    for name, make_text in CASES.items():
        texts = [make_text(n) for n in range(args.count)]
        for text in texts[:3]:  # warm up: imports, per-version caches
            ours_svg(text)
        version = qr.make(texts[0]).version
        stock, ours = cpu_ms(stock_make, texts, args.repeat), cpu_ms(qr.make, texts, args.repeat)
        stock_full = cpu_ms(stock_svg, texts, args.repeat)
        ours_full = cpu_ms(ours_svg, texts, args.repeat)
        print(
            f"| {name} | {version} | {stock:.2f} | {ours:.2f} | {stock_full:.2f} "
            f"| {ours_full:.2f} | {stock_full / ours_full:.1f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
