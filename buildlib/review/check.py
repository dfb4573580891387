"""`build.py check`: load, validate and cross-check everything; report every problem at once.

The command line keeps each file's data and problems in build/cache/check.marshal, by path,
with the file's size, mtime and inode and a hash of its bytes: a re-check reads and validates
only the files that changed (a file whose stat changed but whose bytes did not is only hashed).
Cross-checks always run on the whole catalogue.
"""

import os
from pathlib import Path
from typing import TextIO

from buildlib import paths
from buildlib.background import in_background
from buildlib.catalogue.crosschecks import ASIDE, CHECKS, run, run_all, unreviewed
from buildlib.catalogue.load import Catalogue, Job, Loaded, file_digest, load
from buildlib.catalogue.problems import Problem
from buildlib.site import cache

VERSION = 1


def check(
    catalogue_dir: Path,
    *,
    workers: int | None = None,
    cache_dir: Path | None = None,
    keep: list[object] | None = None,
) -> list[Problem]:
    """Every problem, sorted. With `cache_dir`, unchanged files come from the last check.
    `keep`: where the loaded catalogue is put instead of being freed when this returns, for a
    caller that ends the process without freeing it (build.py's `end`: freeing 10,000 documents
    object by object was ~0.2 s of CPU at the end of a cold check)."""
    memo = Memo(cache_dir / "check.marshal", catalogue_dir) if cache_dir else None
    digests: dict[str, str] = {}
    catalogue = load(
        catalogue_dir, workers=workers, known=memo.known if memo else None, digests=digests
    )
    problems = catalogue.problems + _cross_check(catalogue, memo, digests)
    if keep is not None:
        keep.append(catalogue)
    return sorted(problems)


def _cross_check(
    catalogue: Catalogue, memo: "Memo | None", digests: dict[str, str]
) -> list[Problem]:
    """Every cross-check's problems, after writing the cache if `memo` is stale. A forked copy
    of this process (given the catalogue as its copy of this one's memory) writes the cache and
    runs the checks of crosschecks.ASIDE while this one runs the others: at 10,000 procedures
    these ~1 s of CPU after the files are read had the second core idle."""
    aside = in_background(_aside, catalogue, memo, digests)
    problems = run(catalogue, [c for c in CHECKS if c not in ASIDE])
    return problems + aside.result()


def _aside(catalogue: Catalogue, memo: "Memo | None", digests: dict[str, str]) -> list[Problem]:
    if memo is not None:
        memo.save(catalogue, digests)
    return run(catalogue, ASIDE)


Signature = tuple[int, int, int]  # mtime in ns, size, inode


class Memo:
    """What the last check loaded from each file (see the module)."""

    def __init__(self, file: Path, catalogue_dir: Path):
        self.file = file
        schemas = cache.digest(cache.files(paths.SCHEMAS))
        code = cache.digest(cache.code_modules(("buildlib.catalogue",)))
        self.key = [VERSION, str(catalogue_dir.resolve()), schemas, code]
        self.entries: dict[str, tuple] = cache.read(file, self.key) or {}
        # rel -> stat and hash, found before load (a new file's hash comes from its reading)
        self.seen: dict[str, tuple[Signature, str | None]] = {}
        self.stale = False  # a file is new or changed: save

    def known(self, jobs: list[Job]) -> dict[str, Loaded]:
        out: dict[str, Loaded] = {}
        for _, path, rel in jobs:
            entry = self.entries.get(rel)
            signature = _signature(path)
            if entry is not None and entry[0] == signature:
                self.seen[rel] = (signature, entry[1])
            else:
                self.stale = True
                self.seen[rel] = (signature, None if entry is None else _hash(path))
                if entry is None or entry[1] != self.seen[rel][1]:
                    continue
            out[rel] = (entry[2], [Problem(*p) for p in entry[3]])
        return out

    def stale_now(self) -> bool:
        """A file is new, changed or gone since the last check: `save` has something to write."""
        return self.stale or self.seen.keys() != self.entries.keys()

    def save(self, catalogue: Catalogue, digests: dict[str, str]) -> None:
        """Keeps what was loaded; `digests` has the hash of each file read (see `load`)."""
        if not self.stale_now():
            return
        problems: dict[str, list[tuple]] = {}
        for p in catalogue.problems:
            problems.setdefault(p.path, []).append(p.fields())
        entries = {}
        for d in catalogue.documents:
            if d.rel in self.seen:
                signature, digest = self.seen[d.rel]
                digest = digest or digests.get(d.rel)
                if digest is not None:  # else unreadable: read again next time
                    entries[d.rel] = (signature, digest, d.data, problems.get(d.rel, []))
        self.file.parent.mkdir(parents=True, exist_ok=True)
        part = self.file.with_name(f"{self.file.name}.{os.getpid()}")
        cache.save(part, self.key, entries)
        part.replace(self.file)  # whole or not at all, even with two checks at once


def _signature(path: str) -> Signature:
    st = os.stat(path)
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _hash(path: str) -> str:
    return file_digest(Path(path).read_bytes())


def report(problems: list[Problem], *, fmt: str, out: TextIO, drafts: bool = False) -> int:
    """Every problem, one a line, then the count. The drafts' "chưa rà soát" warning (one per
    unreviewed draft, hundreds of them) is only counted in that last line, so that an editor's
    own warnings show; `drafts` lists them too."""
    shown = problems if drafts else [p for p in problems if not unreviewed(p)]
    for problem in shown:
        print(problem.github() if fmt == "github" else problem.text(), file=out)
    return summary(problems, hidden=len(problems) - len(shown), out=out)


def summary(problems: list[Problem], *, hidden: int, out: TextIO) -> int:
    """The last line: errors and warnings, and how many unreviewed drafts were not listed.
    1 if there is an error."""
    errors = sum(p.severity == "error" for p in problems)
    warnings = f"{len(problems) - errors} cảnh báo"
    if hidden:
        warnings += (
            f", trong đó {hidden} bản nháp nhập tự động chưa rà soát không liệt kê: "
            "python build.py check --drafts"
        )
    if errors:
        print(f"{errors} lỗi, {warnings}.", file=out)
        return 1
    print(f"Danh mục hợp lệ ({warnings}).", file=out)
    return 0


def load_valid(catalogue_dir: Path, *, out: TextIO, refusing: str) -> Catalogue | None:
    """The loaded catalogue, or None after printing every error: for steps that must not run on
    a broken catalogue (the site, the API bundle). `refusing` says what is not done."""
    catalogue = load(catalogue_dir)
    errors = [p for p in catalogue.problems + run_all(catalogue) if p.severity == "error"]
    if not errors:
        return catalogue
    for problem in errors:
        print(problem.text(), file=out)
    print(f"Không {refusing}: {len(errors)} lỗi trong danh mục.", file=out)
    return None
