"""How fast is `build.py build`, and how does it compare with the stock mkdocs setup?

python bench/site_bench.py [--sizes 500,2000,10000] [--stock-sizes 500,2000] [--no-corpus]

Ours: `build.py build --full` into a scratch site (mkdocs for the shell, our renderer for the
procedure pages), then the one-procedure rebuild at the largest size. Stock: every procedure
version a Markdown page in mkdocs-material with the default nav and the stock search plugin.
The stock setup is quadratic, so it runs only at the small sizes and 10,000 is extrapolated from
the last two (time and size grow with pages x pages: t = a*n^2 fitted on the largest run).
Each run is a subprocess under GNU time (wall seconds, peak RSS of the largest process).
Writes the Markdown table to bench/out/site-results.md.
"""

import argparse
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from check_bench import PYTHON, ensure_catalogue  # noqa: E402

CORPUS = ROOT / "build" / "corpus" / "catalogue"
STOCK_PAGE = """---
title: {name}
---

# {name}

Mã thủ tục **{code}**, áp dụng từ {start}.

| Cách nộp | Thời hạn | Phí, lệ phí |
|---|---|---|
{rows}

## Thành phần hồ sơ

{documents}
"""


@dataclass
class Run:
    size: str
    variant: str
    wall: float | None
    mb_out: float | None
    peak_mb: float | None
    note: str = ""


def measure(command: list[str]) -> tuple[float, float, int, str]:
    """(wall s, peak RSS MB, exit code, output) of one subprocess under GNU time."""
    with tempfile.NamedTemporaryFile("r") as stats:
        started = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", stats.name, *command],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        peak = int(stats.read().strip().splitlines()[-1]) / 1024
    return wall, peak, done.returncode, done.stdout + done.stderr


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def ours(python: str, catalogue: Path, work: Path, label: str) -> Run:
    site, cache = work / "site-ours", work / "cache-ours"
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    command = [python, str(ROOT / "build.py"), "build", "--full", "--catalogue", str(catalogue)]
    command += ["--site-dir", str(site), "--cache-dir", str(cache)]
    wall, peak, code, output = measure(command)
    if code:
        return Run(label, "ours (full)", None, None, peak, "ÉCHEC: " + output[-300:])
    return Run(label, "ours (full)", wall, size_mb(site), peak)


def rebuild(python: str, catalogue: Path, work: Path, label: str) -> Run:
    """One procedure edited (a comment line appended), then a normal build."""
    version = sorted(next(iter(sorted((catalogue / "procedures").iterdir()))).glob("*.yaml"))[-1]
    original = version.read_bytes()
    command = [python, str(ROOT / "build.py"), "build", "--catalogue", str(catalogue)]
    command += ["--site-dir", str(work / "site-ours"), "--cache-dir", str(work / "cache-ours")]
    try:
        version.write_bytes(original + b"# bench: one edit\n")
        wall, peak, code, output = measure(command)
    finally:
        version.write_bytes(original)
    subprocess.run(command, capture_output=True)  # back to the committed state
    note = "" if code == 0 and "(một phần)" in output else "ÉCHEC: " + output[-300:]
    return Run(label, "ours (1 procedure changed)", wall, None, peak, note)


def stock_docs(catalogue: Path, docs: Path) -> int:
    """Every procedure version as a Markdown page (what the stock setup builds)."""
    sys.path.insert(0, str(ROOT))
    from buildlib import labels
    from buildlib.catalogue import load

    count = 0
    for code, versions in load(catalogue).procedures().items():
        for doc in versions:
            v = doc.data
            rows = "\n".join(
                f"| {labels.CHANNELS[c['kind']]} | {labels.deadline(c['deadline'])} "
                f"| {labels.FEE_STATUS[c['fees']['status']]} |"
                for c in v["channels"]
            )
            documents = "\n".join(
                f"- {d['name']}".replace("\n", " ")
                for case in v["cases"]
                for d in case.get("documents", [])
            )
            target = docs / "thu-tuc" / code / f"{v['effective_from']}.md"
            target.parent.mkdir(parents=True, exist_ok=True)
            name = v["name"].replace('"', "'")
            target.write_text(
                STOCK_PAGE.format(
                    name=f'"{name}"',
                    code=code,
                    start=v["effective_from"],
                    rows=rows,
                    documents=documents,
                ),
                encoding="utf-8",
            )
            count += 1
    (docs / "index.md").write_text("# Danh mục\n", encoding="utf-8")
    return count


def stock(python: str, catalogue: Path, work: Path, label: str) -> Run:
    docs, site = work / "docs-stock", work / "site-stock"
    shutil.rmtree(docs, ignore_errors=True)
    shutil.rmtree(site, ignore_errors=True)
    config = work / "mkdocs-stock.yml"
    config.write_text(
        f"site_name: Stock\ndocs_dir: {docs}\nsite_dir: {site}\n"
        "theme:\n  name: material\n  language: vi\n  font: false\nplugins:\n  - search\n",
        encoding="utf-8",
    )
    script = (
        f"import sys; sys.path.insert(0, {str(BENCH)!r}); from site_bench import stock_docs; "
        f"from pathlib import Path; stock_docs(Path({str(catalogue)!r}), Path({str(docs)!r})); "
        "from mkdocs.commands.build import build; from mkdocs.config import load_config; "
        f"build(load_config({str(config)!r}))"
    )
    wall, peak, code, output = measure([python, "-c", script])
    if code:
        return Run(label, "stock mkdocs", None, None, peak, "ÉCHEC: " + output[-300:])
    return Run(label, "stock mkdocs", wall, size_mb(site), peak)


def table(runs: list[Run]) -> str:
    def num(x: float | None, fmt: str) -> str:
        return "—" if x is None else format(x, fmt)

    lines = [
        "# build.py build: ours and the stock mkdocs setup",
        "",
        f"Machine: 2 cores, {platform.platform()}, Python {platform.python_version()}.",
        "",
        "| procedures | variant | wall s | output MB | peak RSS MB | note |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.size} | {r.variant} | {num(r.wall, '.1f')} | {num(r.mb_out, ',.0f')} "
            f"| {num(r.peak_mb, ',.0f')} | {r.note} |"
        )
    lines += [
        "",
        "Output MB: bytes of all files (not disk blocks). Peak RSS: the largest single process "
        "(GNU time %M); our build forks one worker per core, which shares the loaded catalogue.",
        "Goals at 10,000: full build ≤ 60 s, output ≤ 500 MB, one-procedure rebuild ≤ 5 s.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    top = argparse.ArgumentParser(description="Đo thời gian dựng trang web")
    top.add_argument("--sizes", default="500,2000,10000")
    top.add_argument("--stock-sizes", default="500,2000")
    top.add_argument("--workdir", type=Path, default=BENCH / "out")
    top.add_argument("--no-corpus", action="store_true")
    args = top.parse_args(argv)
    python = str(PYTHON if PYTHON.exists() else Path(sys.executable))
    sizes = [int(s) for s in args.sizes.split(",") if s]
    stock_sizes = {int(s) for s in args.stock_sizes.split(",") if s}
    work = args.workdir / "site-bench"
    work.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    stock_runs: list[tuple[int, Run]] = []
    for size in sizes:
        catalogue = ensure_catalogue(python, args.workdir, size, 0)
        label = f"{size:,}"
        print(f"== {label}: ours", file=sys.stderr)
        runs.append(ours(python, catalogue, work, label))
        if size == max(sizes):
            print(f"== {label}: rebuild", file=sys.stderr)
            runs.append(rebuild(python, catalogue, work, label))
        if size in stock_sizes:
            print(f"== {label}: stock", file=sys.stderr)
            run = stock(python, catalogue, work, label)
            runs.append(run)
            stock_runs.append((size, run))
    done = [(n, r) for n, r in stock_runs if r.wall is not None]
    if done and max(sizes) not in stock_sizes:
        n, r = done[-1]
        scale, target = (max(sizes) / n) ** 2, max(sizes)
        runs.append(
            Run(
                f"{target:,}",
                "stock mkdocs (EXTRAPOLATED)",
                r.wall * scale,
                (r.mb_out or 0) * scale,
                None,
                f"from {n:,} as n², not measured",
            )
        )
    if not args.no_corpus and CORPUS.is_dir():
        count = sum(1 for _ in (CORPUS / "procedures").iterdir())
        print(f"== corpus {count}: ours", file=sys.stderr)
        runs.append(ours(python, CORPUS, work, f"{count:,} (real corpus)"))
    text = table(runs)
    print(text)
    (args.workdir / "site-results.md").write_text(text, encoding="utf-8")
    return 0 if all(not r.note.startswith("ÉCHEC") for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
