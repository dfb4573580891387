"""A gzip copy next to every compressible file of the site, written once by the build: the
embedded server (chalicelib/local/wsgi.py StaticSite) and nginx (gzip_static) send it as it is to
clients that accept gzip, so no request compresses anything.

The copy (file.gz) has its original's mtime: an unchanged file is not compressed again,
and a server can tell a stale copy (another mtime) from a current one. The copies made are listed
in a record (in the build cache); the next build removes those whose original is gone. The
site's own .gz downloads (the open data's thu-tuc.json.gz) have no plain file next to them and are
never touched; mkdocs' sitemap.xml.gz, the gzip of sitemap.xml, may be written again the same.

The render workers write the procedure pages with `write_with_copy`, which makes the copy at
once from the bytes in hand (in parallel, without reading the page back); so does the build for
the application pages. Their folders, thu-tuc/ and nop-ho-so/, are not walked (`skip`): the build
removes a procedure's folder whole, copies included, before it writes it again, so no copy there
can outlive its page, and walking their ~62,000 files was most of a one-procedure rebuild's
precompress step. Nor is du-lieu-mo/thu-tuc/: 10,000 gzip downloads, nothing to compress.

The procedure pages (the stable page, its print page `in/`, its version pages) are kept ONLY as
their copy when they have one (`copy_only`): ~267 MB of a 10,000-procedure site's ~500 MB were
those pages twice. The servers send such a copy as it is to clients that accept gzip and unpacked
to the others (StaticSite; nginx's `gzip_static always` and `gunzip`, deploy/nginx/motcua.conf);
whatever reads a built page reads it through buildlib.site.built, which unpacks it.
"""

import os
from collections.abc import Collection
from pathlib import Path

from isal import igzip

COMPRESSIBLE = frozenset({".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".map", ".csv"})
MIN_BYTES = 1024  # below this, gzip saves nothing worth a second file
# ISA-L's deflate (isal), at its highest level: 4.5 times as fast as zlib at level 6 on the
# procedure pages, for 7 % more bytes (2,000 procedures' 55 MB of pages: 0.22 s and 16.9 MB,
# against 1.00 s and 15.8 MB); zlib's level 1 was 0.65 s and 17.8 MB. Every byte of a full
# build's gzip copies goes through it, ~20 % of its CPU with zlib.
LEVEL = 3


def gzipped(data: bytes) -> bytes:
    """`data` as a gzip file (a standard one: any gzip reader unpacks it), the same bytes for
    the same data (no time stamp)."""
    return igzip.compress(data, compresslevel=LEVEL, mtime=0)


def write_with_copy(path: str, text: str, *, copy_only: bool = False) -> None:
    """Writes `text` (UTF-8) to `path` and, as `precompress` would, its gzip copy; with
    `copy_only`, the copy alone when the file has one (a small page stays plain)."""
    data = text.encode("utf-8")
    copied = os.path.splitext(path)[1] in COMPRESSIBLE and len(data) >= MIN_BYTES
    if not (copied and copy_only):
        with open(path, "wb") as out:
            out.write(data)
    if copied:
        target = path + ".gz"
        with open(target, "wb") as out:
            out.write(gzipped(data))
        if not copy_only:
            mtime = os.stat(path).st_mtime_ns
            os.utime(target, ns=(mtime, mtime))


def precompress(site: Path, record: Path, skip: Collection[str] = ()) -> tuple[int, int]:
    """(copies written, stale copies removed). `skip`: folders of the site (paths below it) whose
    pages are written with their copies and removed with them, or that hold nothing to compress
    (see the module docstring)."""
    made = set(record.read_text(encoding="utf-8").split("\n")) if record.is_file() else set()
    made.discard("")
    removed = 0
    for name in sorted(made):
        copy = site / name
        if not copy.with_suffix("").is_file():
            copy.unlink(missing_ok=True)
            made.discard(name)
            removed += 1
    written = 0
    top = str(site)
    for folder, folders, names in os.walk(top):
        below = folder[len(top) + 1 :]
        if skip:
            folders[:] = [f for f in folders if os.path.join(below, f) not in skip]
        for name in names:
            if os.path.splitext(name)[1] not in COMPRESSIBLE:
                continue
            path = os.path.join(folder, name)
            stat = os.stat(path)
            if stat.st_size < MIN_BYTES:
                continue
            target = path + ".gz"
            relative = os.path.join(below, name + ".gz")
            try:
                if os.stat(target).st_mtime_ns == stat.st_mtime_ns:
                    made.add(relative)  # unchanged since it was made (here or by write_with_copy)
                    continue
            except FileNotFoundError:
                pass
            with open(path, "rb") as original:
                data = gzipped(original.read())
            with open(target, "wb") as out:
                out.write(data)
            os.utime(target, ns=(stat.st_mtime_ns, stat.st_mtime_ns))
            made.add(relative)
            written += 1
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text("".join(f"{name}\n" for name in sorted(made)), encoding="utf-8")
    return written, removed
