"""Search index benchmark: our sharded index against the stock mkdocs-material search index.

python bench/search_bench.py [--skip-stock]   -> Markdown table, also bench/out/search-results.md

For 500, 2,000, 10,000 synthetic procedures (bench/out/catalogue-N-seed0, made by
bench/synthetic.py when missing) and the imported corpus (build/corpus/catalogue): index build
time, total size (raw, gzip), gzip bytes fetched before the first result (meta + the shards
the query needs; median over 5 typical queries), and time to first result in node (a fresh
process loads meta and shards from disk and runs the query; median of 5 runs). The stock index
is measured at 500 and 2,000 only (its build is slow) and extrapolated linearly to 10,000.
"""

import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
QUERIES = ["khai sinh", "dang ky ket hon", "giay phep xay dung", "so do", "cap lai can cuoc"]
TODAY = "2026-07-01"

NODE_TIMED = """
const fs = require("fs"), path = require("path");
const [dir, script, q] = process.argv.slice(1);
globalThis.fetch = async (rel) => {
  const text = fs.readFileSync(path.join(dir, rel), "utf8");
  return { ok: true, status: 200, json: async () => JSON.parse(text) };
};
require(script);
tthcSearch.configure({ index: "", site: "/" });
const t0 = performance.now();
tthcSearch(q).then((r) => console.log(JSON.stringify({ms: performance.now() - t0, n: r.length})));
"""

NODE_STOCK = """
const fs = require("fs");
const t0 = performance.now();
const index = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
console.log(JSON.stringify({ms: performance.now() - t0, docs: index.docs.length}));
"""


def _catalogue(count: int) -> Path:
    path = OUT / f"catalogue-{count}-seed0"
    if not (path / "procedures").is_dir():
        cmd = [sys.executable, str(ROOT / "bench" / "synthetic.py"), "--count", str(count)]
        subprocess.run([*cmd, "--out", str(path)], check=True)
    return path


def _gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 9))


def ours(catalogue_dir: Path) -> dict:
    from buildlib.catalogue.load import load
    from buildlib.site import search

    catalogue = load(catalogue_dir)
    site = Path(tempfile.mkdtemp())
    started = time.perf_counter()
    sizes = search.write_index(catalogue, site, TODAY)
    built = time.perf_counter() - started
    index_dir = site / "search"
    fetched, times = [], []
    for q in QUERIES:
        index = search.Index(index_dir)
        search.query(index, q)
        fetched.append(sum(_gz(index_dir / rel) for rel in index.fetched))
        runs = []
        for _ in range(5):
            args = ["node", "-e", NODE_TIMED, str(index_dir), str(ROOT / "theme/assets/search.js")]
            done = subprocess.run([*args, q], capture_output=True, text=True, check=True)
            runs.append(json.loads(done.stdout)["ms"])
        times.append(statistics.median(runs))
    shutil.rmtree(site)
    return {
        "build_s": built,
        "raw": sizes["raw"],
        "gzip": sizes["gzip"],
        "first_max": max(fetched),
        "first_median": statistics.median(fetched),
        "ms": statistics.median(times),
        "ms_max": max(times),
    }


def stock(catalogue_dir: Path) -> dict:
    """A minimal mkdocs-material site, one page per procedure, search plugin with defaults."""
    from buildlib.catalogue.load import load
    from chalicelib.versions import version_in_force

    work = Path(tempfile.mkdtemp())
    docs = work / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Thủ tục\n", encoding="utf-8")
    for code, versions in load(catalogue_dir).procedures().items():
        v = version_in_force([d.data for d in versions], TODAY) or versions[-1].data
        lines = [f"# {v['name']}", "", f"Mã: {code}", ""]
        lines += [f"- {s}" for s in v.get("synonyms", [])]
        for case in v["cases"]:
            lines += ["", f"## {case['name']}", ""] + [f"1. {s}" for s in case["steps"]]
            lines += [f"- {d['name']}" for d in case["documents"]]
        (docs / f"{code}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (work / "mkdocs.yml").write_text(
        "site_name: Stock\ntheme:\n  name: material\nplugins:\n  - search\n", encoding="utf-8"
    )
    started = time.perf_counter()
    subprocess.run(
        [str(ROOT / ".venv/bin/mkdocs"), "build", "-q"], cwd=work, check=True, capture_output=True
    )
    built = time.perf_counter() - started
    index = work / "site" / "search" / "search_index.json"
    runs = []
    for _ in range(5):
        args = ["node", "-e", NODE_STOCK, str(index)]
        done = subprocess.run(args, capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout)["ms"])
    result = {
        "build_s": built,
        "raw": index.stat().st_size,
        "gzip": _gz(index),
        "ms": statistics.median(runs),
    }
    shutil.rmtree(work)
    return result


def kb(n: float) -> str:
    return f"{n / 1024:,.0f} KB"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    rows = [
        "| catalogue | index | build | total raw | total gzip | gzip fetched before 1st result "
        "(median / max of 5 queries) | node: load + query (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    stock_rows: dict[int, dict] = {}
    targets = [(f"{n:,} synthetic", _catalogue(n), n) for n in (500, 2000, 10000)]
    corpus = ROOT / "build" / "corpus" / "catalogue"
    if (corpus / "procedures").is_dir():
        targets.append(("2,642 real (import)", corpus, 0))
    for label, path, n in targets:
        r = ours(path)
        rows.append(
            f"| {label} | ours | {r['build_s']:.1f} s | {kb(r['raw'])} | {kb(r['gzip'])} | "
            f"{kb(r['first_median'])} / {kb(r['first_max'])} | "
            f"{r['ms']:.0f} ms (max {r['ms_max']:.0f}) |"
        )
        print(rows[-1], flush=True)
        if n in (500, 2000) and "--skip-stock" not in argv:
            s = stock_rows[n] = stock(path)
            rows.append(
                f"| {label} | stock | {s['build_s']:.0f} s (whole site) | {kb(s['raw'])} | "
                f"{kb(s['gzip'])} | {kb(s['gzip'])} (whole index) | "
                f"{s['ms']:.0f} ms JSON.parse only, lunr index build not counted |"
            )
            print(rows[-1], flush=True)
    if 500 in stock_rows and 2000 in stock_rows:
        a, b = stock_rows[500], stock_rows[2000]

        def at_10k(key: str) -> float:
            return b[key] + (b[key] - a[key]) * (10000 - 2000) / 1500

        rows.append(
            f"| 10,000 synthetic | stock (extrapolated) | | {kb(at_10k('raw'))} | "
            f"{kb(at_10k('gzip'))} | {kb(at_10k('gzip'))} | (issue 6 measured 17.4 MB gzip) |"
        )
    table = "\n".join(rows) + "\n"
    print(table)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "search-results.md").write_text(
        "# Search index benchmark (bench/search_bench.py)\n\n" + table, encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
