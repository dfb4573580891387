"""Two builds of the same catalogue are the same site: every file of BEFORE has the same bytes in
AFTER, read as a reader gets it (buildlib.site.built: a page AFTER keeps only gzipped counts by
its unpacked content), and AFTER has no file BEFORE lacks.

    python -m bench.same_site BEFORE_SITE AFTER_SITE

Prints the number of files compared, those AFTER keeps only gzipped, and every difference;
exits 1 when there is one. Build both with the same `--today` (bench/README.md).
"""

import hashlib
import os
import sys
from pathlib import Path

from buildlib.site import built


def listing(site: Path) -> set[str]:
    found = set()
    for folder, _, names in os.walk(site):
        below = os.path.relpath(folder, site)
        found.update(os.path.normpath(os.path.join(below, name)) for name in names)
    return found


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def compare(before: Path, after: Path) -> tuple[int, int, list[str]]:
    """(files compared, of which AFTER keeps only the gzip copy, differences)."""
    old, new = listing(before), listing(after)
    differences, only_copy = [], 0
    for name in sorted(old):
        if name not in new and f"{name}.gz" not in new:
            differences.append(f"missing: {name}")
            continue
        only_copy += name not in new
        if digest((before / name).read_bytes()) != digest(built.read_bytes(after / name)):
            differences.append(f"different: {name}")
    differences.extend(f"new: {name}" for name in sorted(new - old))
    return len(old), only_copy, differences


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    compared, only_copy, differences = compare(Path(args[0]), Path(args[1]))
    for line in differences[:50]:
        print(line)
    print(f"{compared} tệp so sánh, {only_copy} chỉ còn bản .gz, {len(differences)} khác biệt")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
