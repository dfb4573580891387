"""The site build and its search, ours next to the stock mkdocs setup, in one table.

python -m bench.site_bench [--sizes 500,2000,10000] [--stock-sizes 500,2000] [--no-corpus]
                           [--no-stock-corpus] [--keep] [--baseline CHECKOUT --baseline-python PY]

For each synthetic catalogue (bench/out/catalogue-N-seed0, made by bench/synthetic.py when
missing) and the imported real corpus (build/corpus/catalogue, `build.py import`):

- ours: `build.py build --full` into a scratch site (wall time, output bytes, peak RSS), then one
  procedure renamed (a content change: its pages, the browse pages listing it, the procedures
  naming it, search, open data) and `build.py build` again: the one-change rebuild. It is timed
  twice: as the environment says (where PYTHONDONTWRITEBYTECODE=1 is set, our modules are
  compiled on every run) and with bytecode written, as on a user's machine (after one untimed
  run that writes it).
- with --baseline: another checkout's build.py (its own venv: --baseline-python) does the same
  full build and rebuild on the same catalogue right before ours, one row of its own.
- stock: every procedure version a Markdown page in mkdocs-material with the default nav and the
  stock search plugin, built by mkdocs (the page generation is timed with it).
- search, both from the sites just built: gzip bytes fetched before the first result (ours:
  search.js, meta.json and the shards the query needs; stock: the search worker, lunr's
  Vietnamese support and the whole search_index.json), and the time to the first result in a
  fresh node process reading those files from disk (ours: load + query; stock: JSON.parse of the
  index, lunr index build, query, through mkdocs-material's own search worker). Median over the
  queries below, each the median of 3 runs.

The stock build is quadratic (every page carries the whole nav), so it runs only where asked
(--stock-sizes, and the corpus unless --no-stock-corpus); 10,000 is EXTRAPOLATED from the two
largest measured synthetic sizes: time and output as a*n^2 + b*n, memory and search as a*n + b,
and says so in the table. Each build is a subprocess under GNU time (wall seconds, peak RSS of
the largest single process). Writes bench/out/site-results.md; scratch sites are removed unless
--keep.
"""

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.check_bench import PYTHON, ensure_catalogue

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

CORPUS = ROOT / "build" / "corpus" / "catalogue"
QUERIES = ["khai sinh", "đăng ký kết hôn", "giấy phép xây dựng", "sổ đỏ", "cấp lại căn cước"]
RUNS = 3
STOCK_PAGE = """---
title: {name}
---

# {heading}

Mã thủ tục **{code}**, áp dụng từ {start}.

| Cách nộp | Thời hạn | Phí, lệ phí |
|---|---|---|
{rows}

## Thành phần hồ sơ

{documents}
"""

# A fresh node process: our search.js with fetch() reading the built site's search/ folder.
NODE_OURS = """
const fs = require("fs"), path = require("path");
const [dir, script, q] = process.argv.slice(1);
const t0 = performance.now();
globalThis.fetch = async (rel) => {
  const text = fs.readFileSync(path.join(dir, rel), "utf8");
  return { ok: true, status: 200, json: async () => JSON.parse(text) };
};
require(script);
tthcSearch.configure({ index: "", site: "/" });
tthcSearch(q).then((r) => console.log(JSON.stringify({ms: performance.now() - t0, n: r.length})));
"""

# mkdocs-material's search worker as the stock site ships it, driven by its own messages:
# SETUP (0) with search_index.json (and the options the page adds) -> READY (1); QUERY (2) ->
# RESULT (3). importScripts loads lunr's language support from the site, as the browser would.
NODE_STOCK = """
const fs = require("fs"), path = require("path"), vm = require("vm");
const [worker, indexFile, q] = process.argv.slice(1);
delete globalThis.module;  // node -e makes these global: lunr's language files would export
delete globalThis.exports;  // themselves instead of registering with lunr, as in a worker
const t0 = performance.now();
let handler;
globalThis.self = globalThis;
globalThis.addEventListener = (type, fn) => { handler = fn; };
globalThis.importScripts = (...urls) => {
  for (const url of urls) {
    vm.runInThisContext(fs.readFileSync(path.join(path.dirname(worker), url), "utf8"));
  }
};
globalThis.postMessage = (message) => {
  if (message.type === 1) handler({ data: { type: 2, data: q } });
  else if (message.type === 3) {
    console.log(JSON.stringify({ ms: performance.now() - t0, n: message.data.items.length }));
  }
};
vm.runInThisContext(fs.readFileSync(worker, "utf8"));
const index = JSON.parse(fs.readFileSync(indexFile, "utf8"));
handler({ data: { type: 0, data: { ...index, options: { suggest: false } } } });
"""


@dataclass
class Build:
    wall: float | None = None
    mb_out: float | None = None
    peak_mb: float | None = None
    note: str = ""
    extrapolated: bool = False
    cpu: float | None = None  # user + system seconds of the process and its workers
    load: float | None = None  # 1-minute load average when it started


@dataclass
class Search:
    kb_first: float | None = None  # gzip KB fetched before the first result (median of queries)
    ms_first: float | None = None  # time to the first result, ms (median of queries)
    extrapolated: bool = False


@dataclass
class Row:
    label: str
    n: int  # procedures
    ours: Build = field(default_factory=Build)
    rebuild: Build = field(default_factory=Build)
    rebuild_pyc: Build = field(default_factory=Build)  # with bytecode written (see the docstring)
    stock: Build = field(default_factory=Build)
    ours_search: Search = field(default_factory=Search)
    stock_search: Search = field(default_factory=Search)


def measure(
    command: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, int, str, float]:
    """(wall s, peak RSS MB, exit code, output, CPU s) of one subprocess under GNU time."""
    with tempfile.NamedTemporaryFile("r") as stats:
        started = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M %U %S", "-o", stats.name, *command],
            capture_output=True,
            text=True,
            env=env,
        )
        wall = time.perf_counter() - started
        peak, user, system = stats.read().strip().splitlines()[-1].split()
    output = done.stdout + done.stderr
    return wall, int(peak) / 1024, done.returncode, output, float(user) + float(system)


def size_mb(folder: Path) -> float:
    """Bytes of all files (not disk blocks), in MB."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def gz_kb(*paths: Path) -> float:
    return sum(len(gzip.compress(p.read_bytes(), 9)) for p in paths) / 1024


def failed(output: str) -> str:
    return "FAILED: " + output.strip()[-300:].replace("\n", " ")


# --- ours ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkout:
    """Whose build.py runs: ours, or the --baseline's (its own python), in its own scratch."""

    root: Path = ROOT
    python: str = sys.executable
    name: str = "ours"


def build_command(who: Checkout, catalogue: Path, work: Path, *, full: bool) -> list[str]:
    command = [who.python, str(who.root / "build.py"), "build", "--catalogue", str(catalogue)]
    site, cache = work / f"site-{who.name}", work / f"cache-{who.name}"
    command += ["--site-dir", str(site), "--cache-dir", str(cache)]
    return command + (["--full"] if full else [])


def ours(who: Checkout, catalogue: Path, work: Path) -> Build:
    shutil.rmtree(work / f"site-{who.name}", ignore_errors=True)
    shutil.rmtree(work / f"cache-{who.name}", ignore_errors=True)
    load = os.getloadavg()[0]
    wall, peak, code, output, cpu = measure(build_command(who, catalogue, work, full=True))
    if code:
        return Build(None, None, peak, failed(output))
    return Build(wall, size_mb(work / f"site-{who.name}"), peak, cpu=cpu, load=load)


def rebuild(who: Checkout, catalogue: Path, work: Path, *, bytecode: bool = False) -> Build:
    """A procedure with one version renamed (a content change), then a normal build; the file
    is restored and built again afterwards (not timed). `bytecode`: Python writes and reads
    its .pyc files whatever the environment says (the same rebuild once before, untimed, writes
    them)."""
    import yaml

    for folder in sorted((catalogue / "procedures").iterdir()):
        files = sorted(folder.glob("*.yaml"))
        original = files[0].read_text(encoding="utf-8")
        name = re.search(r"(?m)^name: ([^|>\n].*)$", original)  # one line
        if len(files) == 1 and name:
            version = files[0]
            break
    else:
        return Build(note="FAILED: no single-version procedure to rename")

    renamed = "Sửa đổi: " + str(yaml.safe_load(name[1]))
    command = build_command(who, catalogue, work, full=False)
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    for _ in range(2 if bytecode else 1):  # with bytecode: the first run writes the .pyc files
        try:
            text = original[: name.start(1)] + json.dumps(renamed, ensure_ascii=False)
            version.write_text(text + original[name.end(1) :], encoding="utf-8")
            load = os.getloadavg()[0]
            wall, peak, code, output, cpu = measure(command, env)
        finally:
            version.write_text(original, encoding="utf-8")
        subprocess.run(command, capture_output=True)  # back to the catalogue as it was
    if code or "(một phần)" not in output:
        return Build(None, None, peak, failed(output))
    return Build(wall, None, peak, cpu=cpu, load=load)


def ours_search(site: Path) -> Search:
    from buildlib.site import search

    index_dir = site / "search"
    script = site / "assets" / "search.js"
    kbs, times = [], []
    for q in QUERIES:
        index = search.Index(index_dir)
        search.query(index, q)
        kbs.append(gz_kb(script, *(index_dir / rel for rel in index.fetched)))
        args = ["node", "-e", NODE_OURS, str(index_dir), str(script), q]
        times.append(_node_median(args))
    return Search(statistics.median(kbs), statistics.median(times))


def _node_median(args: list[str]) -> float:
    runs = []
    for _ in range(RUNS):
        done = subprocess.run(args, capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1])["ms"])
    return statistics.median(runs)


# --- stock ---------------------------------------------------------------------------------


def stock_docs(catalogue: Path, docs: Path) -> int:
    """Every procedure version as a Markdown page (what the stock setup builds)."""
    from buildlib.catalogue import labels
    from buildlib.catalogue.load import load

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
            name = v["name"].replace("\n", " ")
            target.write_text(
                STOCK_PAGE.format(
                    name=json.dumps(name, ensure_ascii=False),
                    heading=name,
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


def stock(python: str, catalogue: Path, work: Path) -> tuple[Build, Search]:
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
        "from bench.site_bench import stock_docs; "
        f"from pathlib import Path; stock_docs(Path({str(catalogue)!r}), Path({str(docs)!r})); "
        "from mkdocs.commands.build import build; from mkdocs.config import load_config; "
        f"build(load_config({str(config)!r}))"
    )
    wall, peak, code, output, cpu = measure([python, "-c", script])
    if code:
        return Build(None, None, peak, failed(output)), Search()
    built = Build(wall, size_mb(site), peak, cpu=cpu)
    workers = site / "assets" / "javascripts" / "workers"
    worker = next(workers.glob("search.*.min.js"))
    lunr = site / "assets" / "javascripts" / "lunr" / "min"
    index = site / "search" / "search_index.json"
    lang = json.loads(index.read_text(encoding="utf-8"))["config"]["lang"]
    scripts = [worker, lunr / "lunr.stemmer.support.min.js"]
    scripts += [lunr / f"lunr.{x}.min.js" for x in lang if x != "en"]
    kb = gz_kb(index, *scripts)
    ms = statistics.median(
        _node_median(["node", "-e", NODE_STOCK, str(worker), str(index), q]) for q in QUERIES
    )
    shutil.rmtree(docs, ignore_errors=True)
    return built, Search(kb, ms)


# --- extrapolation and the table -----------------------------------------------------------


def fit(points: list[tuple[int, float]], n: int, *, quadratic: bool) -> float:
    """Through the two points: a*n^2 + b*n (quadratic) or a*n + b."""
    (n1, y1), (n2, y2) = points
    if quadratic:
        a = (y2 / n2 - y1 / n1) / (n2 - n1)
        return a * n * n + (y1 / n1 - a * n1) * n
    a = (y2 - y1) / (n2 - n1)
    return y1 + a * (n - n1)


def extrapolate(rows: list[Row], target: Row) -> None:
    measured = [r for r in rows if r.stock.wall is not None and not r.label.endswith("corpus")]
    if len(measured) < 2:
        return
    a, b = measured[-2:]
    pts = [(a.n, a), (b.n, b)]

    def at(get, quadratic: bool) -> float:
        return fit([(n, get(r)) for n, r in pts], target.n, quadratic=quadratic)

    target.stock = Build(
        at(lambda r: r.stock.wall, True),
        at(lambda r: r.stock.mb_out, True),
        at(lambda r: r.stock.peak_mb, False),
        f"extrapolated from {a.n:,} and {b.n:,}",
        extrapolated=True,
    )
    target.stock_search = Search(
        at(lambda r: r.stock_search.kb_first, False),
        at(lambda r: r.stock_search.ms_first, False),
        extrapolated=True,
    )


def table(rows: list[Row]) -> str:
    def num(x: float | None, fmt: str, star: bool = False) -> str:
        return "—" if x is None else format(x, fmt) + ("*" if star else "")

    lines = [
        "# Site build and search: the stock mkdocs setup and ours (bench/site_bench.py)",
        "",
        f"Machine: 2 cores (shared), {platform.platform()}, Python {platform.python_version()},"
        f" {time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f} when written."
        " Values marked * are EXTRAPOLATED, not measured.",
        "",
        "| procedures | full build s (stock / ours) | ours: CPU s | output MB (stock / ours) "
        "| peak RSS MB (stock / ours) | rebuild, 1 procedure renamed, s (ours; CPU s) "
        "| the same, .pyc written, s (CPU s) | load (full; rebuild) "
        "| search: gzip KB before 1st result (stock / ours) "
        "| search: ms to 1st result (stock / ours) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for r in rows:
        s, o, x = r.stock, r.ours, r.stock.extrapolated
        ss, os_ = r.stock_search, r.ours_search
        lines.append(
            f"| {r.label} "
            f"| {num(s.wall, ',.0f', x)} / {num(o.wall, '.1f')} | {num(o.cpu, '.0f')} "
            f"| {num(s.mb_out, ',.0f', x)} / {num(o.mb_out, ',.0f')} "
            f"| {num(s.peak_mb, ',.0f', x)} / {num(o.peak_mb, ',.0f')} "
            f"| {num(r.rebuild.wall, '.1f')} ({num(r.rebuild.cpu, '.1f')}) "
            f"| {num(r.rebuild_pyc.wall, '.1f')} ({num(r.rebuild_pyc.cpu, '.1f')}) "
            f"| {num(o.load, '.1f')}; {num(r.rebuild.load, '.1f')} "
            f"| {num(ss.kb_first, ',.0f', ss.extrapolated)} / {num(os_.kb_first, ',.0f')} "
            f"| {num(ss.ms_first, ',.0f', ss.extrapolated)} / {num(os_.ms_first, ',.0f')} |"
        )
        for what, b in (("stock", s), ("ours", o), ("rebuild", r.rebuild), (".pyc", r.rebuild_pyc)):
            if b.note:
                notes.append(f"- {r.label}, {what}: {b.note}")
    lines += [
        "",
        "- Output MB: bytes of all files (not disk blocks). Peak RSS: the largest single process "
        "(GNU time %M); our build forks one worker per core, which share the loaded catalogue. "
        "CPU s: user + system time of our build and its workers (the 2 cores are shared with "
        "other work, so wall time varies more).",
        "- Stock: every procedure version a Markdown page, mkdocs-material with the default nav "
        "and the search plugin; its build time includes writing the Markdown pages.",
        "- Rebuild: one procedure's name changed, then `build.py build` (its pages, the browse "
        "pages and procedures naming it, search index, open data), interpreter start included; "
        f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r} here, so "
        "the first rebuild column compiles our modules on each run when it is 1, the second "
        "reads the .pyc files a user's machine writes.",
        "- Search before the 1st result: ours = search.js + meta.json + the shards the query "
        "needs; stock = the search worker + lunr's Vietnamese support + search_index.json "
        "(all gzip -9). Time: a fresh node process reading the files from disk, query "
        f"to results (stock: JSON.parse, lunr index build, query); queries {QUERIES}, median.",
        "- Goals at 10,000 (issue 12): full build ≤ 20 s and ≤ 350 MB, one-procedure "
        "rebuild ≤ 1 s.",
        *notes,
    ]
    return "\n".join(lines) + "\n"


def run(
    python: str, label: str, n: int, catalogue: Path, work: Path, with_stock: bool, who: Checkout
) -> Row:
    row = Row(label, n)
    print(f"== {label}: {who.name}", file=sys.stderr, flush=True)
    row.ours = ours(who, catalogue, work)
    if row.ours.wall is not None:
        if who.name == "ours":
            row.ours_search = ours_search(work / "site-ours")
        print(f"== {label}: {who.name}, rebuild", file=sys.stderr, flush=True)
        row.rebuild = rebuild(who, catalogue, work)
        row.rebuild_pyc = rebuild(who, catalogue, work, bytecode=True)
    if with_stock:
        print(f"== {label}: stock", file=sys.stderr, flush=True)
        row.stock, row.stock_search = stock(python, catalogue, work)
    return row


def main(argv: list[str] | None = None) -> int:
    top = argparse.ArgumentParser(description="Đo thời gian dựng trang web và tìm kiếm")
    top.add_argument("--sizes", default="500,2000,10000")
    top.add_argument("--stock-sizes", default="500,2000")
    top.add_argument("--workdir", type=Path, default=BENCH / "out")
    top.add_argument("--no-corpus", action="store_true")
    top.add_argument(
        "--no-stock-corpus", action="store_true", help="stock corpus build: ~6 min, ~9.5 GB"
    )
    top.add_argument("--keep", action="store_true", help="keep the scratch sites")
    top.add_argument("--baseline", type=Path, help="một bản checkout khác để so (build.py build)")
    top.add_argument("--baseline-python", help="python của bản đó (mặc định: python của ta)")
    args = top.parse_args(argv)
    python = str(PYTHON if PYTHON.exists() else Path(sys.executable))
    us = Checkout(ROOT, python)
    baseline = None
    if args.baseline:
        root = args.baseline.resolve()
        baseline = Checkout(root, args.baseline_python or python, "baseline")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    stock_sizes = {int(s) for s in args.stock_sizes.split(",") if s}
    work = args.workdir / "site-bench"
    work.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for size in sizes:
        catalogue = ensure_catalogue(python, args.workdir, size, 0)
        if baseline is not None:
            label = f"{size:,} ({baseline_name(baseline.root)})"
            rows.append(run(python, label, size, catalogue, work, False, baseline))
        rows.append(run(python, f"{size:,}", size, catalogue, work, size in stock_sizes, us))
    for row in rows:
        if row.stock.wall is None and not row.stock.note:
            extrapolate(rows, row)
    if not args.no_corpus and (CORPUS / "procedures").is_dir():
        count = sum(1 for _ in (CORPUS / "procedures").iterdir())
        label = f"{count:,} (real corpus)"
        if baseline is not None:
            other = f"{label} ({baseline_name(baseline.root)})"
            rows.append(run(python, other, count, CORPUS, work, False, baseline))
        rows.append(run(python, label, count, CORPUS, work, not args.no_stock_corpus, us))
    if not args.keep:
        scratch = ["site-stock", "docs-stock"]
        scratch += [f"{k}-{w}" for k in ("site", "cache") for w in ("ours", "baseline")]
        for name in scratch:
            shutil.rmtree(work / name, ignore_errors=True)
    text = table(rows)
    print(text)
    (args.workdir / "site-results.md").write_text(text, encoding="utf-8")
    bad = [
        b
        for r in rows
        for b in (r.ours, r.rebuild, r.rebuild_pyc, r.stock)
        if b.note.startswith("FAILED")
    ]
    return 1 if bad else 0


def baseline_name(root: Path) -> str:
    """The baseline's commit, as the table names it."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True)
    return "baseline " + (done.stdout.decode().strip() or str(root))


if __name__ == "__main__":
    raise SystemExit(main())
