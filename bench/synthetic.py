"""Writes a synthetic catalogue (buildlib/synthetic/) for benchmarks.

python bench/synthetic.py --count 10000 --out bench/out/catalogue-10000 [--seed 0]
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description="Sinh danh mục tổng hợp để đo hiệu năng")
    top.add_argument("--count", type=int, required=True, help="số thủ tục")
    top.add_argument("--out", type=Path, required=True, help="thư mục đích (mới hoặc rỗng)")
    top.add_argument("--seed", type=int, default=0)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from buildlib.synthetic.generator import generate

    started = time.perf_counter()

    def progress(done: int) -> None:
        elapsed = time.perf_counter() - started
        print(f"{done}/{args.count} thủ tục ({elapsed:.1f} s)", file=sys.stderr)

    try:
        summary = generate(args.out, args.count, args.seed, progress=progress)
    except FileExistsError as error:
        print(f"lỗi: {error}", file=sys.stderr)
        return 2
    print(summary, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
