"""Benchmark of `build.py check` on synthetic catalogues, next to a naive baseline.

python bench/check_bench.py [--sizes 2000,10000] [--workdir bench/out] [--seed 0] [--repeat 1]
    [--no-naive] [--baseline CHECKOUT --baseline-python PYTHON]

Generates (or reuses) one synthetic catalogue per size, then runs each variant in its own
subprocess and measures wall time, CPU time and memory: ours (`build.py check`, one process per
core) cold (an empty cache folder) and warm (the cache the cold run left, nothing changed), ours
with `--workers 1` cold, and bench/naive_check.py (pure-Python YAML + jsonschema, no cross-checks).
With --baseline, another checkout's `build.py check` runs cold too, right before ours each time
(on a shared machine only figures taken side by side compare). Prints a Markdown table with the
load average at the start of the runs and writes it to WORKDIR/check-results.md. See
bench/README.md.
"""

import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from buildlib.synthetic.generator import seed_files

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = ROOT / ".venv" / "bin" / "python"
GOAL_SIZE, GOAL_SECONDS = 10_000, 4.0
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_EVERY = 0.02  # seconds between two samples of the process tree's memory
OURS_RESULT = re.compile(r"(\d+) lỗi, (\d+) cảnh báo|Danh mục hợp lệ \((\d+) cảnh báo[,)]")
NAIVE_RESULT = re.compile(r"naive_check: (\d+) errors")


@dataclass
class Run:
    """One variant measured on one catalogue (the fastest of the repeats)."""

    size: int
    files: int
    variant: str
    wall: float
    cpu: float  # user + system of the run and the workers it waited for
    peak_mb: float  # largest single process (rusage of the child and the children it waited for)
    tree_mb: float  # all processes of the run together, sampled
    exit_code: int
    reported: str
    load: float = 0.0  # 1-minute load average when the run started


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description="Đo thời gian build.py check trên danh mục tổng hợp")
    top.add_argument("--sizes", default="2000,10000", help="số thủ tục, cách nhau bằng dấu phẩy")
    top.add_argument("--workdir", type=Path, default=BENCH / "out")
    top.add_argument("--seed", type=int, default=0)
    top.add_argument(
        "--repeat", type=int, default=1, help="số lần chạy mỗi biến thể (lấy lần nhanh nhất)"
    )
    top.add_argument("--no-naive", action="store_true", help="bỏ biến thể naive (~2 phút)")
    top.add_argument("--baseline", type=Path, help="một bản checkout khác để so (build.py check)")
    top.add_argument("--baseline-python", help="python của bản đó (mặc định: python của ta)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    python = str(PYTHON if PYTHON.exists() else Path(sys.executable))
    args.workdir.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    for size in sizes:
        catalogue = ensure_catalogue(python, args.workdir, size, args.seed)
        files = sum(1 for _ in catalogue.rglob("*.yaml"))
        cache = args.workdir / f"check-cache-{size}"
        for variant, command, cold in variants(python, catalogue, cache, args):
            print(f"== {size}: {variant}", file=sys.stderr)
            runs += measure(size, files, variant, command, args.repeat, cold)
        shutil.rmtree(cache, ignore_errors=True)
    text = report(runs)
    print(text)
    (args.workdir / "check-results.md").write_text(text, encoding="utf-8")
    return 0 if all(r.exit_code == 0 for r in runs if r.variant.startswith("ours")) else 1


Variant = tuple[str, list[str] | list[list[str]], Path | None]


def variants(python: str, catalogue: Path, cache: Path, args: argparse.Namespace) -> list[Variant]:
    """(name, command, cache folder emptied before each run, if any). The warm run follows the
    cold one, whose cache it reads. With a baseline, the first variant is two commands, the
    baseline's and ours, measured one after the other on each repeat (ours last: the warm run
    reads its cache)."""
    check = [python, str(ROOT / "build.py"), "check", "--catalogue", str(catalogue)]
    check += ["--cache-dir", str(cache)]
    cold: list[str] | list[list[str]] = check
    if args.baseline:
        other = [args.baseline_python or python, str(args.baseline.resolve() / "build.py")]
        other += ["check", "--catalogue", str(catalogue), "--cache-dir", str(cache)]
        cold = [other, check]
    out: list[Variant] = [
        (f"ours ({os.cpu_count()} workers), cold", cold, cache),
        (f"ours ({os.cpu_count()} workers), warm", check, None),
        ("ours --workers 1, cold", [*check, "--workers", "1"], cache),
    ]
    if not args.no_naive:
        naive = [python, str(BENCH / "naive_check.py"), str(catalogue)]
        out.append(("naive (SafeLoader + jsonschema)", naive, None))
    return out


def ensure_catalogue(python: str, workdir: Path, size: int, seed: int) -> Path:
    """The synthetic catalogue for this size and seed, regenerated only when the generator or
    the seed files it copies have changed (the key file is written after a complete run)."""
    catalogue = workdir / f"catalogue-{size}-seed{seed}"
    key_file = workdir / f"catalogue-{size}-seed{seed}.key"
    key = cache_key(size, seed)
    if catalogue.is_dir() and key_file.exists() and key_file.read_text() == key:
        return catalogue
    key_file.unlink(missing_ok=True)
    shutil.rmtree(catalogue, ignore_errors=True)
    print(f"== sinh danh mục {size} thủ tục -> {catalogue}", file=sys.stderr)
    started = time.perf_counter()
    command = [python, str(BENCH / "synthetic.py"), "--count", str(size), "--seed", str(seed)]
    subprocess.run([*command, "--out", str(catalogue)], check=True)
    print(f"   {time.perf_counter() - started:.1f} s", file=sys.stderr)
    key_file.write_text(key)
    return catalogue


def cache_key(size: int, seed: int) -> str:
    digest = hashlib.sha256(f"{size}/{seed}".encode())
    for path in key_inputs():
        digest.update(path.read_bytes())
    return digest.hexdigest()


def key_inputs() -> list[Path]:
    """What a synthetic catalogue is made from: the generator's code and the seed files it
    copies."""
    return [*sorted((ROOT / "buildlib" / "synthetic").glob("*.py")), *seed_files()]


def measure(
    size: int,
    files: int,
    variant: str,
    command: list[str] | list[list[str]],
    repeat: int,
    cold: Path | None,
) -> list[Run]:
    """Runs the command `repeat` times: the fastest wall time, the largest memory seen. Two
    commands (a baseline and ours) run one after the other on each repeat, one row each."""
    commands = command if isinstance(command[0], list) else [command]
    names = [variant.replace("ours", "baseline", 1), variant] if len(commands) == 2 else [variant]
    runs: list[list[Run]] = [[] for _ in commands]
    for _ in range(max(1, repeat)):
        for index, each in enumerate(commands):
            if cold is not None:
                shutil.rmtree(cold, ignore_errors=True)
            runs[index].append(run_once(size, files, names[index], each))
    out = []
    for tried in runs:
        best = min(tried, key=lambda r: r.wall)
        best.peak_mb = max(r.peak_mb for r in tried)
        best.tree_mb = max(r.tree_mb for r in tried)
        out.append(best)
    return out


def run_once(size: int, files: int, variant: str, command: list[str]) -> Run:
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = code = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        sampler.stop()
        output.seek(0)
        text = output.read()
    if variant.startswith("ours") and code != 0:
        tail = "\n".join(text.splitlines()[-10:])
        print(f"!! {variant} trên {size} thủ tục thoát với mã {code}:\n{tail}", file=sys.stderr)
    peak_mb = usage.ru_maxrss / 1024  # ru_maxrss is in kilobytes on Linux
    tree_mb = max(sampler.peak_kb / 1024, peak_mb)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(size, files, variant, wall, cpu, peak_mb, tree_mb, code, reported(text), load)


def reported(output: str) -> str:
    """What the run reported: its error count (and warnings, for ours)."""
    ours = OURS_RESULT.search(output)
    if ours:
        errors, warnings = (ours[1], ours[2]) if ours[1] else ("0", ours[3])
        return f"{errors} ({warnings} warnings)"
    naive = NAIVE_RESULT.search(output)
    return naive[1] if naive else "?"


class TreeSampler(threading.Thread):
    """Samples the resident memory of a process and all its descendants (Linux /proc)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(SAMPLE_EVERY):
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))

    def stop(self) -> None:
        self._done.set()
        self.join()


def tree_rss_kb(pid: int) -> int:
    """Resident memory of `pid` and its descendants, found through the parents in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE_KB
        except (OSError, IndexError, ValueError):
            continue
        stack += children.get(current, [])
    return total


def report(runs: list[Run]) -> str:
    lines = [
        "# build.py check on synthetic catalogues",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}.",
        "",
        f"Load average when the table was written: {os.getloadavg()[0]:.1f}.",
        "",
        "| size | files | variant | load | wall s | CPU s | peak RSS MB | all processes RSS MB "
        "| errors reported |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        failed = r.exit_code != 0 and r.variant.startswith("ours")
        exit_note = f" **exit {r.exit_code}**" if failed else ""
        lines.append(
            f"| {r.size:,} | {r.files:,} | {r.variant} | {r.load:.1f} | {r.wall:.2f} | "
            f"{r.cpu:.1f} | {r.peak_mb:.0f} | {r.tree_mb:.0f} | {r.reported}{exit_note} |"
        )
    lines += [
        "",
        goal(runs),
        "",
        "load: the 1-minute load average when the (fastest) run started. "
        "peak RSS: the largest single process (rusage of the run). All processes: the sum over the "
        "process tree, sampled every 20 ms (workers of the parallel run included).",
    ]
    return "\n".join(lines) + "\n"


def goal(runs: list[Run]) -> str:
    wanted = f"Goal: ours ≤ {GOAL_SECONDS:.0f} s for {GOAL_SIZE:,} procedures"
    ours = [r for r in runs if r.size == GOAL_SIZE and r.variant.startswith("ours (")]
    if not ours:
        return f"{wanted}: not measured (add {GOAL_SIZE} to --sizes)."
    verdicts = []
    for run in ours:
        met = run.wall <= GOAL_SECONDS and run.exit_code == 0
        verdicts.append(f"{run.variant}: **{'met' if met else 'NOT met'}** ({run.wall:.2f} s)")
    return f"{wanted} on this {os.cpu_count()}-core machine: " + "; ".join(verdicts) + "."


if __name__ == "__main__":
    raise SystemExit(main())
