"""sha256 of every file of a full build, to show that a change to the build leaves its output
byte-identical.

python -m bench.site_snapshot take --catalogue DIR [--today 2026-12-07] [--stats FILE] OUT.json
python -m bench.site_snapshot compare BEFORE.json AFTER.json

`take` runs `build.py build --full` with a fixed `--today` into a scratch site and cache (then
removes them) and writes {path: sha256} of every file. A `.gz` file is hashed as its bytes and
as what it unpacks to. The git revision the build writes into the open data (catalogue_revision)
is replaced by `REVISION` before hashing: it changes with every commit, so two snapshots taken
on two commits would otherwise differ in every file that names it (a `.gz` file that names it
is compared by what it unpacks to). `compare` lists the files that differ, appear or go, and
exits 1 when there is any. A `.gz` copy whose compressed bytes differ but that unpacks to the same
bytes is counted apart and is not a difference (the build compresses a long file in cached
chunks, buildlib/site/precompress.py: the same page, other gzip bytes).
"""

import argparse
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def take(catalogue: Path, today: str, stats: Path | None, out: Path) -> int:
    from buildlib.bundle import catalogue_revision

    revision = catalogue_revision().encode()
    with tempfile.TemporaryDirectory(prefix="snapshot-") as scratch:
        site, cache = Path(scratch, "site"), Path(scratch, "cache")
        command = [sys.executable, str(ROOT / "build.py"), "build", "--full"]
        command += ["--catalogue", str(catalogue), "--today", today]
        command += ["--site-dir", str(site), "--cache-dir", str(cache)]
        command += ["--stats", str(stats)] if stats else []
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            print(done.stdout + done.stderr, file=sys.stderr)
            return 1
        hashes = {}
        for path in sorted(site.rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            rel = str(path.relative_to(site))
            hashes[rel] = _hash(data, revision)
            if path.suffix == ".gz":
                unpacked = gzip.decompress(data)
                hashes[rel + "|unpacked"] = _hash(unpacked, revision)
                if revision in unpacked:  # its compressed bytes differ from commit to commit
                    hashes[rel + "|names-revision"] = "yes"
        shutil.rmtree(site, ignore_errors=True)
    out.write_text(json.dumps(hashes, indent=0, sort_keys=True), encoding="utf-8")
    print(f"{len(hashes)} tệp -> {out}")
    return 0


def _hash(data: bytes, revision: bytes) -> str:
    return hashlib.sha256(data.replace(revision, b"REVISION")).hexdigest()


def compare(before: Path, after: Path) -> int:
    a = json.loads(before.read_text(encoding="utf-8"))
    b = json.loads(after.read_text(encoding="utf-8"))
    unpacked_same = {
        p
        for p in a.keys() & b.keys()
        if a[p] != b[p] and f"{p}|unpacked" in a and a[f"{p}|unpacked"] == b.get(f"{p}|unpacked")
    }
    differ = sorted(p for p in a.keys() & b.keys() if a[p] != b[p] and p not in unpacked_same)
    gone, new = sorted(a.keys() - b.keys()), sorted(b.keys() - a.keys())
    for label, names in (("khác", differ), ("mất", gone), ("mới", new)):
        for name in names[:20]:
            print(f"{label}: {name}")
        if len(names) > 20:
            print(f"{label}: ... {len(names)} tệp")
    recompressed = len(unpacked_same - {p for p in unpacked_same if _names_revision(p, a, b)})
    print(f"{len(a)} / {len(b)} tệp; khác {len(differ)}, mất {len(gone)}, mới {len(new)}")
    print(f"(.gz nén khác nhưng giải nén giống hệt: {recompressed})")
    return 1 if differ or gone or new else 0


def _names_revision(path: str, *snapshots: dict[str, str]) -> bool:
    """A gzip file with the git revision inside: compared by what it unpacks to."""
    return any(f"{path}|names-revision" in snapshot for snapshot in snapshots)


def main(argv: list[str] | None = None) -> int:
    top = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    taking = commands.add_parser("take")
    taking.add_argument("--catalogue", type=Path, required=True)
    taking.add_argument("--today", default="2026-12-07")
    taking.add_argument("--stats", type=Path)
    taking.add_argument("out", type=Path)
    comparing = commands.add_parser("compare")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = top.parse_args(argv)
    if args.command == "take":
        return take(args.catalogue.resolve(), args.today, args.stats, args.out)
    return compare(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
