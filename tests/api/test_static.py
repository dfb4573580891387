"""The site as functions/serve.py serves it: text gzipped once by the build, sent as it is to
clients that accept gzip; pages the build kept only gzipped, unpacked for the others; gzip
downloads as files; revalidation by ETag."""

import gzip
import os
import urllib.error
import urllib.request
from email.message import Message

import pytest

from buildlib.site.precompress import precompress, write_with_copy
from chalicelib.headers import SECURITY_HEADERS

pytestmark = pytest.mark.slow  # a server on loopback


def _get(server, path: str, encoding: str | None, **extra: str) -> tuple[int, Message, bytes]:
    headers = {"Accept-Encoding": encoding} if encoding else {}
    request = urllib.request.Request(server.base + path, headers={**headers, **extra})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _built(site_dir, tmp_path, name: str, body: bytes) -> None:
    (site_dir / name).write_bytes(body)
    precompress(site_dir, tmp_path / "gzip-static.txt")


def test_text_is_sent_from_the_builds_gzip_copy_to_clients_that_accept_it(
    server, site_dir, tmp_path
):
    body = ('{"shard": "' + "khai sinh " * 500 + '"}').encode()
    _built(site_dir, tmp_path, "index.json", body)

    status, headers, data = _get(server, "/index.json", "gzip, deflate, br")
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]
    assert data == (site_dir / "index.json.gz").read_bytes()  # the build's copy, as it is
    assert int(headers["Content-Length"]) == len(data) < len(body) // 10
    assert gzip.decompress(data) == body
    for refused in (None, "identity", "br, gzip;q=0"):
        status, headers, data = _get(server, "/index.json", refused)
        assert "Content-Encoding" not in headers and data == body, refused
        assert "Accept-Encoding" in headers["Vary"]


def test_a_copy_older_than_its_file_is_never_sent(server, site_dir, tmp_path):
    _built(site_dir, tmp_path, "page.html", b"<p>cu</p>" * 300)
    (site_dir / "page.html").write_bytes(b"<p>moi</p>" * 300)  # edited after the build
    os.utime(site_dir / "page.html", ns=(1, 1))

    status, headers, data = _get(server, "/page.html", "gzip")

    assert status == 200 and "Content-Encoding" not in headers
    assert data == b"<p>moi</p>" * 300


def test_a_gzip_download_is_sent_as_a_gzip_file_and_never_gzipped_again(server, site_dir, tmp_path):
    download = gzip.compress(b'[{"ma": "1.001193"}]' * 200)
    _built(site_dir, tmp_path, "thu-tuc.json.gz", download)

    status, headers, data = _get(server, "/thu-tuc.json.gz", "gzip")

    assert status == 200 and data == download
    assert headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in headers


def test_open_data_csv_and_turtle_go_out_with_their_text_types(server, site_dir, tmp_path):
    csv = "\ufeffcode,name\r\n".encode() + '"1.001570","Thủ tục"\r\n'.encode() * 100
    _built(site_dir, tmp_path, "thu-tuc.csv", csv)
    (site_dir / "motcua.ttl").write_text("@prefix motcua: <https://x.vn/#> .\n", "utf-8")
    (site_dir / "cpsv-ap.jsonld.gz").write_bytes(gzip.compress(b"{}"))

    status, headers, data = _get(server, "/thu-tuc.csv", "gzip")
    assert status == 200 and headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(data) == csv
    status, headers, data = _get(server, "/motcua.ttl", "gzip")
    assert status == 200 and headers["Content-Type"] == "text/turtle; charset=utf-8"
    status, headers, data = _get(server, "/cpsv-ap.jsonld.gz", "gzip")
    assert status == 200 and headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in headers
    assert gzip.decompress(data) == b"{}"


def test_small_files_and_images_are_sent_as_they_are(server, site_dir, tmp_path):
    (site_dir / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 5000)
    _built(site_dir, tmp_path, "small.css", b"a{}")
    for name in ("small.css", "photo.png"):
        status, headers, data = _get(server, f"/{name}", "gzip")
        assert status == 200 and "Content-Encoding" not in headers
        assert data == (site_dir / name).read_bytes()


def test_a_client_that_has_the_file_gets_304(server, site_dir, tmp_path):
    _built(site_dir, tmp_path, "search.json", b'{"a": "khai sinh"}' * 200)
    for encoding in ("gzip", None):
        status, headers, _ = _get(server, "/search.json", encoding)
        assert status == 200 and headers["ETag"]

        again, revalidated, body = _get(
            server, "/search.json", encoding, **{"If-None-Match": headers["ETag"]}
        )

        assert again == 304 and body == b"" and revalidated["ETag"] == headers["ETag"]
        assert revalidated["Cache-Control"] == "no-cache"
    plain = _get(server, "/search.json", None)[1]["ETag"]
    assert plain != _get(server, "/search.json", "gzip")[1]["ETag"]  # one per representation


def _head(server, path: str, encoding: str | None) -> tuple[int, Message, bytes]:
    headers = {"Accept-Encoding": encoding} if encoding else {}
    request = urllib.request.Request(server.base + path, headers=headers, method="HEAD")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


@pytest.fixture
def procedure_page(site_dir):
    """A procedure page as the build stores it: index.html.gz only."""
    folder = site_dir / "thu-tuc" / "1.000001"
    folder.mkdir(parents=True, exist_ok=True)
    page = "<!doctype html><title>Thủ tục</title>" + "<p>giấy tờ cần nộp</p>" * 300
    write_with_copy(str(folder / "index.html"), page, copy_only=True)
    assert not (folder / "index.html").exists()
    return page.encode()


def test_a_page_kept_only_gzipped_goes_as_it_is_to_gzip_clients(server, site_dir, procedure_page):
    copy = (site_dir / "thu-tuc" / "1.000001" / "index.html.gz").read_bytes()

    status, headers, data = _get(server, "/thu-tuc/1.000001/", "gzip, deflate, br")

    assert status == 200 and data == copy  # never compressed twice
    assert headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(headers["Content-Length"]) == len(copy)
    assert gzip.decompress(data) == procedure_page
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, name
    status, headers, data = _head(server, "/thu-tuc/1.000001/", "gzip")
    assert status == 200 and data == b"" and int(headers["Content-Length"]) == len(copy)


def test_a_page_kept_only_gzipped_goes_unpacked_to_other_clients(server, site_dir, procedure_page):
    for refused in (None, "identity", "br, gzip;q=0"):
        status, headers, data = _get(server, "/thu-tuc/1.000001/", refused)

        assert status == 200 and data == procedure_page, refused
        assert "Content-Encoding" not in headers and "Accept-Encoding" in headers["Vary"]
        assert int(headers["Content-Length"]) == len(procedure_page)
        assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert _get(server, "/thu-tuc/1.000001/index.html", None)[2] == procedure_page
    status, headers, data = _head(server, "/thu-tuc/1.000001/", None)
    assert status == 200 and data == b"" and int(headers["Content-Length"]) == len(procedure_page)


def test_a_page_kept_only_gzipped_is_revalidated_per_representation(
    server, site_dir, procedure_page
):
    tags = {}
    for encoding in ("gzip", None):
        status, headers, _ = _get(server, "/thu-tuc/1.000001/", encoding)
        assert status == 200
        tags[encoding] = headers["ETag"]

        again, revalidated, body = _get(
            server, "/thu-tuc/1.000001/", encoding, **{"If-None-Match": headers["ETag"]}
        )

        assert again == 304 and body == b"" and revalidated["ETag"] == headers["ETag"]
        assert "Accept-Encoding" in revalidated["Vary"]
    assert tags["gzip"] != tags[None]


def test_a_folder_of_a_page_kept_only_gzipped_redirects_and_a_missing_page_is_404(
    server, site_dir, procedure_page
):
    request = urllib.request.Request(server.base + "/thu-tuc/1.000001")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as moved:
        urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    moved.value.close()
    assert moved.value.code == 301 and moved.value.headers["Location"] == "/thu-tuc/1.000001/"
    assert _get(server, "/thu-tuc/1.000002/", "gzip")[0] == 404
    assert _get(server, "/thu-tuc/1.000001/in/", None)[0] == 404
