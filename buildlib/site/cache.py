"""What an incremental build keeps between runs, and the hashes that say when it is stale.

build/cache/pages.marshal keeps a hash per procedure (its files' bytes) and one for everything
else a page depends on: the other catalogue files, the templates, the build's code and the shell.
The code is every module the site build imports, found by following the imports from the
packages of the stages it runs (`code_modules`), so a module that joins the build is covered
without being listed anywhere.
"""

import contextlib
import gc
import hashlib
import marshal
import os
import re
import stat
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from importlib.machinery import ModuleSpec, PathFinder
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from buildlib import paths
from buildlib.site import webfont
from chalicelib.config import retention_days

VERSION = 13  # 2: search records cached per procedure; 3: summary has the form; 4: browse;
# 5: stat signatures; 6: open data in chunks; 7: search records have their name's length;
# 8: search tokens kept per chunk, apart from the page cache; 9: signatures start with the folder's;
# 10: the browse pages' digests are of their HTML; 11: procedure entries kept in parts;
# 12: summaries hold their list item, the page cache the lists' order; 13: feed entries packed
STAGES = ("buildlib.site", "buildlib.catalogue")  # what `build.py build` runs
FIRST_PARTY = ("buildlib", "chalicelib")


def version(distribution: str) -> str:
    """The installed version of `distribution`, as importlib.metadata.version says: read from the
    `Version:` line of its `<name>-<version>.dist-info/METADATA` on sys.path, without importing
    importlib.metadata and the email package it parses that file with (~0.03 s of every build,
    whose cache keys name the versions of mkdocs, its theme and holidays). Anything else (an
    egg, a zip) is left to importlib.metadata."""
    wanted = _normalise(distribution)
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") and _normalise(name.partition("-")[0]) == wanted:
                metadata = os.path.join(entry, name, "METADATA")
                with contextlib.suppress(OSError), open(metadata, encoding="utf-8") as f:
                    for line in f:
                        if line.startswith("Version:"):
                            return line[len("Version:") :].strip()
                        if not line.strip():  # the end of the headers
                            break
    from importlib.metadata import version as read

    return read(distribution)


def _normalise(name: str) -> str:
    """A distribution's name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def digest(files: list[Path], extra: str = "") -> str:
    h = hashlib.blake2b(extra.encode(), digest_size=16)
    for path in files:
        h.update(str(path.name).encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def files(folder: Path, skip: Callable[[Path], bool] = lambda p: False) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not skip(p))


def theme_asset(path: Path) -> bool:
    """Our assets; search* belongs to the search build (site/search.py)."""
    return not path.name.startswith("search")


def shell_inputs() -> str:
    """What the mkdocs-built frame depends on: its configuration, overrides, pages and assets,
    the public address and the versions of mkdocs and its theme."""
    theme = paths.THEME
    inputs = [paths.MKDOCS_CONFIG, *files(theme / "overrides"), *files(theme / "pages")]
    inputs += [p for p in files(theme / "assets") if theme_asset(p)]
    inputs += webfont.inputs()
    extra = version("mkdocs") + version("mkdocs-material") + paths.site_url()
    extra += str(retention_days())  # the application pages' privacy notice states it
    return digest(inputs, extra)


def code_inputs() -> str:
    """Our templates, the search's script (copied by the search phase, not with the frame's
    assets) and every module of the build's code (see `code_modules`)."""
    searching = [p for p in files(paths.THEME / "assets") if not theme_asset(p)]
    return digest([*files(paths.TEMPLATES), *searching, *code_modules()])


def code_modules(stages: tuple[str, ...] = STAGES) -> list[Path]:
    """The source files of every module in the `stages` packages and of every first-party module
    they import, directly or not (read from their import statements, not by importing them)."""
    todo = [m for stage in stages for m in _package_modules(stage)]
    seen: dict[str, Path] = {}
    specs: dict[str, ModuleSpec | None] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        spec = _find(name, specs)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        seen[name] = Path(spec.origin)
        is_package = spec.submodule_search_locations is not None
        todo.extend(_imports(seen[name], name, is_package))
    return sorted(seen.values())


def _find(name: str, specs: dict[str, ModuleSpec | None]) -> ModuleSpec | None:
    """find_spec(name) without importing the packages above it (find_spec("a.b.c") imports a.b:
    for `from chalicelib.stats import X` it ran chalicelib.stats and the API's modules it imports,
    ~0.06 s of every rebuild at 10,000 procedures). None: no module (`from a.b import name`,
    where `name` is something else). `specs`: those found so far."""
    if name not in specs:
        parent = name.rpartition(".")[0]
        if not parent:
            specs[name] = find_spec(name)
        else:
            above = _find(parent, specs)
            where = above.submodule_search_locations if above is not None else None
            specs[name] = PathFinder.find_spec(name, where) if where is not None else None
    return specs[name]


def _package_modules(package: str) -> list[str]:
    spec = find_spec(package)
    assert spec is not None and spec.submodule_search_locations is not None, package
    folder = Path(next(iter(spec.submodule_search_locations)))
    return [package] + [
        f"{package}.{'.'.join(p.relative_to(folder).with_suffix('').parts)}"
        for p in sorted(folder.rglob("*.py"))
        if p.name != "__init__.py"
    ]


# Import statements, read as text: ast.parse of ~100 modules was ~0.2 s of every build. A line
# that only looks like an import (in a docstring) can only add a module, never miss one.
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)"
    r"|import[ \t]+([^\n#;]*))",
    re.M,
)


def _imports(source: Path, module: str, is_package: bool) -> Iterator[str]:
    """First-party modules `source` imports (a `from x import y` may name a module y)."""
    package = module if is_package else module.rpartition(".")[0]
    for match in _IMPORT.finditer(source.read_text(encoding="utf-8")):
        base, imported, plain = match.groups()
        if plain is not None:
            names = [_alias(name) for name in plain.split(",")]
        else:
            level = len(base) - len(base.lstrip("."))
            base = base[level:]
            if level:
                parent = package.rsplit(".", level - 1)[0] if level > 1 else package
                base = f"{parent}.{base}" if base else parent
            aliases = imported.strip("() \t\n").replace("\\", " ").split(",")
            names = [base] + [f"{base}.{_alias(a)}" for a in aliases if a.strip()]
        for name in names:
            if name.split(".")[0] in FIRST_PARTY:
                parts = name.split(".")  # and the packages above it, whose __init__ runs first
                yield from (".".join(parts[:i]) for i in range(1, len(parts) + 1))


def _alias(text: str) -> str:
    """`name` of `name as other`."""
    return text.split()[0] if text.split() else ""


# A folder's (mtime in ns, inode), then (name, mtime in ns, size, inode) of each of its files.
Signature = tuple


def scan(
    catalogue_dir: Path,
    known: dict[str, tuple[Signature, str]] | None = None,
    known_others: tuple[Signature | None, str] | None = None,
) -> tuple[dict[str, str], dict[str, list[str]], str, dict[str, Signature], Signature | None]:
    """Hash per procedure folder, its files, one hash over every other catalogue file, each
    procedure folder's signature, and the other files' (`others_signature`). `known` (code ->
    signature, hash, from the last build): a folder whose files have the same names, mtimes,
    sizes and inodes keeps its hash unread, as make and git decide what changed; so does the
    hash of the other files with `known_others` (their signature and hash, from the last build:
    reading and hashing the ~1,100 files of the 10,000 synthetic catalogue was ~0.03 s).

    The signature starts with the folder's own mtime and inode: while they are the same, no file
    was added, removed or renamed in it, so its files are the ones named last time and are
    stat'ed without listing the folder again (10,000 listings were half of this scan); an edit in
    place changes a file's stat, not its folder's. A folder changed within RACY seconds of the
    scan is listed next time all the same (as git treats a "racily clean" index entry). Paths
    are joined as text (pathlib's parsing of 12,600 paths was a fifth of a one-procedure
    rebuild)."""
    known = known or {}
    top = str(catalogue_dir)
    procedures = os.path.join(top, "procedures")
    per_code: dict[str, list[str]] = {}
    hashes: dict[str, str] = {}
    signatures: dict[str, Signature] = {}
    others: list[Path] = []
    trusted = time.time_ns() - RACY * 1_000_000_000
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        filenames.sort()
        others.extend(Path(dirpath, name) for name in filenames)
        if dirpath != procedures:
            continue
        for code in dirnames:  # each a procedure's folder: its files, and any folder in it
            folder = dirpath + os.sep + code
            previous = known.get(code)
            signature = _listed(folder, previous[0] if previous else None, trusted)
            if signature is None:
                signature = _list(folder, others, trusted)
            per_code[code] = [folder + os.sep + entry[0] for entry in signature[1:]]
            signatures[code] = signature
            if previous is not None and previous[0] == signature:
                hashes[code] = previous[1]
            else:
                hashes[code] = digest([Path(path) for path in per_code[code]])
        dirnames[:] = []  # listed above
    others_signature = others_signature_of(others, trusted)
    if others_signature is not None and known_others and known_others[0] == others_signature:
        return hashes, per_code, known_others[1], signatures, others_signature
    rels = "".join(str(p.relative_to(catalogue_dir)) for p in others)
    return hashes, per_code, digest(others, rels), signatures, others_signature


def others_signature_of(files: list[Path], trusted: int) -> Signature | None:
    """(path, mtime in ns, size, inode) of each file, or None when one changed within RACY
    seconds of the scan (it may change again within its mtime's tick: hashed next time too)."""
    out = []
    for path in files:
        st = os.stat(path)
        if st.st_mtime_ns > trusted:
            return None
        out.append((str(path), st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(out)


RACY = 2  # seconds: a folder changed this recently may change again within its mtime's tick


def _listed(folder: str, previous: Signature | None, trusted: int) -> Signature | None:
    """The folder's signature from the files its last one names, if the folder itself did not
    change since (else None: list it)."""
    if not previous or previous[0] is None:
        return None
    st = os.stat(folder)
    if previous[0] != (st.st_mtime_ns, st.st_ino) or st.st_mtime_ns > trusted:
        return None
    out: list = [previous[0]]
    for entry in previous[1:]:
        try:
            st = os.stat(folder + os.sep + entry[0])
        except FileNotFoundError:
            return None
        out.append((entry[0], st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(out)


def _list(folder: str, others: list[Path], trusted: int) -> Signature:
    """The folder's signature, listed: (its mtime and inode, or None when too recent to trust
    or when it holds a folder), then (name, mtime in ns, size, inode) of each file. A folder in
    it holds "other" files, which only a listing finds: such a folder is listed every time."""
    st = os.stat(folder)
    out: list = [(st.st_mtime_ns, st.st_ino) if st.st_mtime_ns <= trusted else None]
    for name in sorted(os.listdir(folder)):
        path = folder + os.sep + name
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            out[0] = None
            for below, folders, names in os.walk(path):
                folders.sort()
                others.extend(Path(below, n) for n in sorted(names))
            continue
        out.append((name, st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(out)


def read(path: Path, key: list) -> Any:
    """What the previous build saved to `path` with the same `key`, else None. marshal, not
    JSON: at 10,000 procedures the page cache loads and saves in ~0.2 s instead of ~0.5 s, and the
    open-data fragments (~75 MB of JSON text) in ~0.2 s instead of seconds as JSON strings.
    marshal's format belongs to the Python version, which is in the key."""
    try:
        data = path.read_bytes()  # marshal.load on a file reads it object by object
        with no_gc():
            cached = marshal.loads(data)
            # What a cache holds lives as long as the command: without this, the next
            # collection of the oldest generation walks its millions of objects (measured: ~0.3
            # s of a one-procedure rebuild at 10,000, in the first dict built after the read).
            gc.freeze()
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(cached, dict) or cached.get("key") != [sys.version, *key]:
        return None
    return cached["value"]


def save(path: Path, key: list, value: Any) -> None:
    with no_gc():
        data = marshal.dumps({"key": [sys.version, *key], "value": value})
    path.write_bytes(data)


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic collector re-scans the hundreds of thousands of young objects a cache holds
    while they are made (as in catalogue.load); none of them form cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- the page cache's procedure entries -------------------------------------------------------

ENTRY_PARTS = 32  # the procedures' entries are kept in this many files


def read_entries(cache_dir: Path, tokens: dict[str, str]) -> dict[str, dict] | None:
    """Every procedure's entry as the last build saved it (`save_entries`), or None when a part
    is missing or is not the one the page cache names."""
    out: dict[str, dict] = {}
    for part, token in tokens.items():
        entries = read(_entries_file(cache_dir, part), [VERSION, token])
        if entries is None:
            return None
        out.update(entries)
    return out


def save_entries(
    cache_dir: Path, entries: dict[str, dict], *, old: dict[str, dict], kept: dict[str, str]
) -> dict[str, str]:
    """The procedures' entries in ENTRY_PARTS files, by a checksum of the code: a part whose
    entries are all the last build's (`old`, read with the tokens `kept`), for the same codes, is
    not written again (the entries were ~14 MB at 10,000 procedures, written whole after every
    rebuild). Returns each part's token, which the page cache keeps and each part's key holds, so
    that parts of different builds are never read together."""
    part = {c: _entries_part(c) for c in old.keys() | entries.keys()}  # once per code
    before: dict[str, set[str]] = {}
    for c in old:
        before.setdefault(part[c], set()).add(c)
    after: dict[str, dict[str, dict]] = {}
    for c, entry in entries.items():
        after.setdefault(part[c], {})[c] = entry
    tokens = {}
    token = f"{time.time_ns()}-{os.getpid()}"
    (cache_dir / "procedures").mkdir(exist_ok=True)
    for name, mine in after.items():
        if (
            name in kept
            and mine.keys() == before.get(name, set())
            and all(entry is old[c] for c, entry in mine.items())
        ):
            tokens[name] = kept[name]
            continue
        tokens[name] = token
        save(_entries_file(cache_dir, name), [VERSION, token], mine)
    for gone in (cache_dir / "procedures").glob("*.marshal"):
        if gone.stem not in tokens:
            gone.unlink()
    return tokens


def _entries_part(code: str) -> str:
    return f"{zlib.crc32(code.encode()) % ENTRY_PARTS:02d}"


def _entries_file(cache_dir: Path, part: str) -> Path:
    return cache_dir / "procedures" / f"{part}.marshal"
