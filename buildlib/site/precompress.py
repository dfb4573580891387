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

A long file (a browse list of up to 10,000 links, du-lieu-mo/thu-tuc.csv) changes in a few lines
when one procedure does, and gzipping it whole again was most of a one-procedure rebuild's
precompress step. Such a file is cut into chunks where its content says (after a line whose
checksum ends in CUT_BITS zero bits, so a line added or removed moves only the cuts next to it).
Each chunk is compressed as raw deflate with the chunk before it as its dictionary (what
deflate's window would hold there) and ends in a sync flush (a byte-aligned empty stored block);
the chunks follow each other under one gzip header, with one final empty block and the whole
file's CRC-32 and length: one ordinary single-member gzip stream, which gzip, browsers and
nginx's gunzip read as any other. Each chunk's deflate is kept in the build cache under the
digests of its bytes and of the chunk before it (`gzip_chunked`), so a rebuild compresses again
only a changed chunk and the one after it. The copy unpacks to the same bytes; its compressed
bytes are not gzip.compress's (~1 % larger: the window restarts at each chunk's flush).
"""

import hashlib
import itertools
import marshal
import os
import struct
import zlib
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


# The chunks of a long file (`gzip_chunked`) go through zlib, whose raw deflate takes a preset
# dictionary and a sync flush: level 6 (9 saves 0.2 % on these pages for twice the time).
CHUNK_LEVEL = 6
CHUNKED_BYTES = 256 * 1024  # files from this size are compressed in cached chunks
CUT_BITS = 8  # a chunk ends after ~one line in 256: ~40 KB of a browse list
_HEADER = struct.pack("<BBBBLBB", 0x1F, 0x8B, 8, 0, 0, 0, 255)  # gzip.compress's, mtime 0
_FINAL = b"\x03\x00"  # an empty final block (fixed Huffman)
WINDOW = 32 * 1024  # deflate's: how far back a chunk's matches may reach into the one before


def gzip_chunked(data: bytes, known: dict[bytes, bytes]) -> tuple[bytes, dict[bytes, bytes]]:
    """`data` gzipped as chunks cut where its content says (see the module docstring), and the
    deflate of each of its chunks by the digests of the chunk and the one before it. `known`:
    such deflates from before, used instead of compressing a chunk again."""
    mask = (1 << CUT_BITS) - 1
    used: dict[bytes, bytes] = {}
    parts, start, before, before_digest = [], 0, b"", b""
    lines = data.split(b"\n")
    # Where a chunk ends: after a line whose checksum ends in CUT_BITS zeros, or at the end of
    # the data (its last line, and the one before when the data ends in a newline). Found by
    # C-level passes over the lines, not a Python loop (a rename rebuild's 10 long files have
    # ~62,000 lines: the loop was ~0.06 s of the precompress step).
    cuts = [i for i, crc in enumerate(map(zlib.crc32, lines)) if not crc & mask]
    ends = list(itertools.accumulate(map(len, lines)))  # each line's end, less its i + 1 newlines
    last = len(lines) - 1
    tail = [i for i in (last - 1, last) if i >= 0 and ends[i] + i + 1 >= len(data)]
    for i in sorted(set(cuts).union(tail)):
        end = ends[i] + i + 1
        chunk = data[start:end]
        digest = hashlib.blake2b(chunk, digest_size=16).digest()
        key = before_digest + digest
        deflated = known.get(key) or used.get(key)
        if deflated is None:
            compressor = zlib.compressobj(CHUNK_LEVEL, zlib.DEFLATED, -15, zdict=before[-WINDOW:])
            deflated = compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)
        used[key] = deflated
        parts.append(deflated)
        start, before, before_digest = end, chunk, digest
    trailer = struct.pack("<LL", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return b"".join([_HEADER, *parts, _FINAL, trailer]), used


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


def precompress(
    site: Path, record: Path, skip: Collection[str] = (), chunks: Path | None = None
) -> tuple[int, int]:
    """(copies written, stale copies removed). `skip`: folders of the site (paths below it) whose
    pages are written with their copies and removed with them, or that hold nothing to compress
    (see the module docstring). `chunks`: a folder where the deflate of each long file's chunks
    is kept (`gzip_chunked`), one file per file of the site; without it, every file is gzipped
    whole."""
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
                data = original.read()
            if chunks is not None and len(data) >= CHUNKED_BYTES:
                data = _chunked_copy(data, chunks, relative)
            else:
                data = gzipped(data)
            with open(target, "wb") as out:
                out.write(data)
            os.utime(target, ns=(stat.st_mtime_ns, stat.st_mtime_ns))
            made.add(relative)
            written += 1
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text("".join(f"{name}\n" for name in sorted(made)), encoding="utf-8")
    return written, removed


def _chunked_copy(data: bytes, chunks: Path, relative: str) -> bytes:
    """`gzip_chunked` with the chunks kept for this file of the site: the last build's read,
    this build's saved (a chunk no longer in the file is dropped)."""
    kept = chunks / f"{hashlib.blake2b(relative.encode(), digest_size=12).hexdigest()}.marshal"
    try:
        known = marshal.loads(kept.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        known = {}
    made, used = gzip_chunked(data, known if isinstance(known, dict) else {})
    chunks.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(marshal.dumps(used))
    return made
