"""The build writes a gzip copy next to every compressible file once (buildlib/site/precompress.py),
which the embedded server and nginx send as they are."""

import gzip
import hashlib
import os
import struct
import subprocess
import zlib
from pathlib import Path

from buildlib.site import built
from buildlib.site import precompress as precompress_
from buildlib.site.precompress import gzip_chunked, gzipped, precompress, write_with_copy


def make_site(root: Path) -> Path:
    site = root / "site"
    (site / "assets").mkdir(parents=True)
    (site / "index.html").write_text("<p>nội dung</p>" * 200, encoding="utf-8")
    (site / "assets" / "bundle.0123abcd.min.js").write_text("var a = 1;\n" * 300)
    (site / "assets" / "small.css").write_text("a{}")
    (site / "assets" / "font.woff2").write_bytes(bytes(4096))
    (site / "thu-tuc.json.gz").write_bytes(gzip.compress(b"[]"))  # the build's own download
    return site


def test_compresses_once_keeps_the_sites_own_gz_and_removes_orphans(tmp_path: Path):
    site = make_site(tmp_path)
    record = tmp_path / "cache" / "gzip-static.txt"
    own = (site / "thu-tuc.json.gz").read_bytes()

    assert precompress(site, record) == (2, 0)  # index.html and the bundle
    page = site / "index.html"
    assert gzip.decompress((site / "index.html.gz").read_bytes()) == page.read_bytes()
    assert (site / "index.html.gz").stat().st_mtime_ns == page.stat().st_mtime_ns
    assert not (site / "assets" / "small.css.gz").exists()  # too small to gain anything
    assert not (site / "assets" / "font.woff2.gz").exists()  # compressed already
    assert (site / "thu-tuc.json.gz").read_bytes() == own
    assert precompress(site, record) == (0, 0)  # nothing changed

    page.write_text("<p>mới</p>" * 300, encoding="utf-8")
    os.utime(page, ns=(1, 1))
    (site / "assets" / "bundle.0123abcd.min.js").unlink()
    assert precompress(site, record) == (1, 1)
    assert gzip.decompress((site / "index.html.gz").read_bytes()).startswith("<p>mới".encode())
    assert not (site / "assets" / "bundle.0123abcd.min.js.gz").exists()
    assert (site / "thu-tuc.json.gz").read_bytes() == own


def test_a_skipped_folder_is_left_to_whoever_writes_it_with_its_copies(tmp_path: Path):
    site = make_site(tmp_path)
    record = tmp_path / "cache" / "gzip-static.txt"
    (site / "thu-tuc" / "1.000001").mkdir(parents=True)
    page = site / "thu-tuc" / "1.000001" / "index.html"
    write_with_copy(str(page), "<p>thủ tục</p>" * 200)
    assert gzip.decompress((site / "thu-tuc/1.000001/index.html.gz").read_bytes()) == (
        page.read_bytes()
    )
    assert (site / "thu-tuc/1.000001/index.html.gz").stat().st_mtime_ns == page.stat().st_mtime_ns
    (site / "thu-tuc" / "plain.html").write_text("<p>x</p>" * 300, encoding="utf-8")

    assert precompress(site, record, skip=("thu-tuc",)) == (2, 0)  # index.html and the bundle
    assert not (site / "thu-tuc" / "plain.html.gz").exists()
    assert "thu-tuc" not in record.read_text(encoding="utf-8")


def test_a_skipped_folder_may_be_below_the_top(tmp_path: Path):
    site = make_site(tmp_path)
    record = tmp_path / "cache" / "gzip-static.txt"
    (site / "du-lieu-mo" / "thu-tuc").mkdir(parents=True)
    (site / "du-lieu-mo" / "thu-tuc" / "x.json").write_text("[1]" * 500, encoding="utf-8")
    (site / "du-lieu-mo" / "index.html").write_text("<p>mở</p>" * 300, encoding="utf-8")

    assert precompress(site, record, skip=("du-lieu-mo/thu-tuc",)) == (3, 0)
    assert (site / "du-lieu-mo" / "index.html.gz").exists()
    assert not (site / "du-lieu-mo" / "thu-tuc" / "x.json.gz").exists()


def test_a_procedure_page_with_a_copy_is_kept_only_as_the_copy(tmp_path: Path):
    folder = tmp_path / "thu-tuc" / "1.000001"
    folder.mkdir(parents=True)
    page, small = folder / "index.html", folder / "2026-01-01.html"
    text = "<p>thủ tục</p>" * 200

    write_with_copy(str(page), text, copy_only=True)
    write_with_copy(str(small), "<p>chuyển</p>", copy_only=True)  # too small for a copy

    assert not page.exists()
    assert gzip.decompress((folder / "index.html.gz").read_bytes()) == text.encode()
    assert built.read(page) == text and built.exists(page)
    assert small.read_text(encoding="utf-8") == "<p>chuyển</p>"
    assert not (folder / "2026-01-01.html.gz").exists() and built.read(small) == "<p>chuyển</p>"
    assert list(built.find(tmp_path, "thu-tuc/*/*.html")) == [small, page]
    assert not built.exists(folder / "khong-co.html")


def test_a_copy_is_standard_gzip_and_the_same_for_the_same_bytes():
    page = "<p>Thủ tục đăng ký khai sinh</p>\n".encode() * 200
    copy = gzipped(page)
    assert gzip.decompress(copy) == page  # any gzip reader (the servers, browsers) unpacks it
    assert copy == gzipped(page)  # no time stamp: a rebuild writes the same bytes
    assert len(copy) < len(page) // 10


def long_list(count: int, renamed: int | None = None) -> bytes:
    """A browse list's lines, one procedure renamed."""
    return "".join(
        f'<li><a href="../../thu-tuc/1.{i:06d}/">{"Sửa: " if i == renamed else ""}Thủ tục số {i}'
        f"</a> <small>1.{i:06d}</small></li>\n"
        for i in range(count)
    ).encode("utf-8")


def test_a_long_file_is_one_gzip_stream_that_gzip_and_python_read(tmp_path: Path):
    data = long_list(20_000)
    packed, chunks = gzip_chunked(data, {})
    assert len(chunks) > 10  # cut in chunks, each compressed on its own
    assert gzip.decompress(packed) == data
    assert len(packed) < len(gzip.compress(data, compresslevel=6)) * 1.03
    copy = tmp_path / "list.html.gz"
    copy.write_bytes(packed)
    assert subprocess.run(["gzip", "-t", str(copy)]).returncode == 0
    unpacked = subprocess.run(["gzip", "-dc", str(copy)], capture_output=True, check=True).stdout
    assert unpacked == data
    for small in (b"", b"a", b"\n", b"abc\n", b"\n\n\nx"):
        assert gzip.decompress(gzip_chunked(small, {})[0]) == small


def _chunked_line_by_line(data: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """gzip_chunked as it was first written: a Python loop over the lines, each cut tested."""
    mask = (1 << precompress_.CUT_BITS) - 1
    used: dict[bytes, bytes] = {}
    parts, start, end, before, before_digest = [], 0, 0, b"", b""
    for line in data.split(b"\n"):
        end += len(line) + 1
        if zlib.crc32(line) & mask == 0 or end >= len(data):
            chunk = data[start:end]
            digest = hashlib.blake2b(chunk, digest_size=16).digest()
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=before[-32 * 1024 :])
            used[before_digest + digest] = deflated = compressor.compress(chunk) + compressor.flush(
                zlib.Z_SYNC_FLUSH
            )
            parts.append(deflated)
            start, before, before_digest = end, chunk, digest
    trailer = struct.pack("<LL", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return b"".join([precompress_._HEADER, *parts, precompress_._FINAL, trailer]), used


def test_a_long_file_is_cut_where_a_loop_over_its_lines_cuts_it():
    """The chunks' ends are found by passes over the lines' checksums and lengths: the same
    cuts, so the same bytes, as a line-by-line loop, whatever the file ends with (a newline,
    blank lines, none)."""
    samples = [b"", b"a", b"\n", b"\n\n", b"abc\n", b"\n\n\nx", b"x\n\n"]
    samples += [long_list(3_000), long_list(3_000)[:-1], long_list(3_000) + b"\n\nend"]
    for data in samples:
        assert gzip_chunked(data, {}) == _chunked_line_by_line(data), data[-20:]


def test_a_chunk_kept_from_before_is_used_only_where_the_same_bytes_follow_the_same_chunk():
    """A changed line changes its chunk, and the chunk after it (compressed with the one before
    as its dictionary): reusing either one's old deflate would unpack to the old text, or to
    nothing readable. With the chunks of the old file, the new one comes out exactly as it would
    from nothing, and only the chunks next to the change are made again."""
    _, chunks = gzip_chunked(long_list(20_000), {})
    for renamed in (0, 7_000, 19_999):
        data = long_list(20_000, renamed)
        packed, used = gzip_chunked(data, chunks)
        assert gzip.decompress(packed) == data
        assert packed == gzip_chunked(data, {})[0]
        assert 1 <= len(used.keys() - chunks.keys()) <= 3
    shorter = long_list(19_000)
    assert gzip.decompress(gzip_chunked(shorter, chunks)[0]) == shorter


def test_precompress_keeps_a_long_files_chunks_and_its_copy_follows_every_change(tmp_path: Path):
    site, record, kept = tmp_path / "site", tmp_path / "gzip-static.txt", tmp_path / "chunks"
    page = site / "duyet" / "index.html"
    page.parent.mkdir(parents=True)
    for renamed in (None, 5, 5_000, None):
        page.write_bytes(long_list(10_000, renamed))
        os.utime(page, ns=(page.stat().st_mtime_ns + 1, page.stat().st_mtime_ns + 1))
        assert precompress(site, record, chunks=kept) == (1, 0)
        assert gzip.decompress(page.with_suffix(".html.gz").read_bytes()) == page.read_bytes()
    assert len(list(kept.iterdir())) == 1  # one file of chunks for the one long page
