"""The site as functions/serve.py serves it: gzip for text when the client accepts it."""

import gzip
import urllib.request

import pytest

pytestmark = pytest.mark.slow  # a server on loopback


def _get(server, path: str, encoding: str | None) -> tuple[dict, bytes]:
    headers = {"Accept-Encoding": encoding} if encoding else {}
    request = urllib.request.Request(server.base + path, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(response.headers), response.read()


def test_text_is_gzipped_only_for_clients_that_accept_it(server, site_dir):
    body = ('{"shard": "' + "khai sinh " * 500 + '"}').encode()
    (site_dir / "index.json").write_bytes(body)
    headers, data = _get(server, "/index.json", "gzip, deflate, br")
    assert headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
    assert int(headers["Content-Length"]) == len(data) < len(body) // 10
    assert gzip.decompress(data) == body
    headers, data = _get(server, "/index.json", None)
    assert "Content-Encoding" not in headers and data == body


def test_small_files_and_images_are_sent_as_they_are(server, site_dir):
    (site_dir / "small.css").write_bytes(b"a{}")
    (site_dir / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 5000)
    for name in ("small.css", "photo.png"):
        headers, data = _get(server, f"/{name}", "gzip")
        assert "Content-Encoding" not in headers
        assert data == (site_dir / name).read_bytes()
