"""LocalUploadEndpoint over real HTTP: it must refuse what S3 would refuse for a presigned POST.

Requests are written by hand with http.client so a test controls every byte of the body, its
declared length, and can stream 100 MB from a generator without ever holding it.
"""

import hashlib
import http.client
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

from chalicelib.local.upload import LocalUploadEndpoint
from chalicelib.storage.files import FilesystemUploads
from tests.contract.conftest import SEALER, SECRET, local_upload_server

pytestmark = pytest.mark.slow  # a server on loopback per test
BOUNDARY = "motcua-tests-boundary-7MA4YWxkTrZu0gW"
PDF_TYPE = "application/pdf"
MAX_BYTES = 1000
KEY = "2026/11/25/to-khai.pdf"
MIB = 1024 * 1024
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class Clock:
    """A clock the test moves by hand, to expire a form without waiting five minutes."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Endpoint:
    def __init__(self, uploads: FilesystemUploads, url: str, clock: Clock):
        self.uploads, self.url, self.clock = uploads, url, clock

    def form(self, *, key: str = KEY, max_bytes: int = MAX_BYTES) -> dict[str, str]:
        target = self.uploads.target(
            key, content_type=PDF_TYPE, max_bytes=max_bytes, expires_in=300
        )
        return target.fields

    def leftovers(self) -> list[Path]:
        """Files in quarantine/ and tmp/: a refused upload must leave none."""
        root = self.uploads.root
        return [
            p for area in ("quarantine", "tmp") for p in (root / area).rglob("*") if p.is_file()
        ]


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[Endpoint]:
    clock = Clock()
    with local_upload_server() as serve:
        uploads = FilesystemUploads(
            tmp_path / "uploads", secret=SECRET, base_url=serve.url, clock=clock, sealer=SEALER
        )
        serve.app = LocalUploadEndpoint(uploads)
        yield Endpoint(uploads, serve.url, clock)


def field_part(name: str, value: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    ).encode()


def file_head(content_type: str | None = PDF_TYPE) -> bytes:
    header = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
    if content_type:
        header += f"Content-Type: {content_type}\r\n"
    return (header + "\r\n").encode()


END = f"\r\n--{BOUNDARY}--\r\n".encode()


def form_body(fields: dict[str, str], content: bytes, *, content_type=PDF_TYPE) -> bytes:
    head = b"".join(field_part(name, value) for name, value in fields.items())
    return head + file_head(content_type) + content + END


def post(
    url: str,
    chunks: Iterable[bytes],
    length: int,
    *,
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}",
    method: str = "POST",
    path: str = "/api/uploads/local",
) -> tuple[int, dict | None]:
    """Sends the body chunk by chunk with a declared Content-Length; returns status and JSON."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
    try:
        connection.putrequest(method, path)
        connection.putheader("Content-Type", content_type)
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        for chunk in chunks:
            connection.send(chunk)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return response.status, json.loads(body) if body else None


def post_body(url: str, body: bytes, **options) -> tuple[int, dict | None]:
    return post(url, [body], len(body), **options)


def assert_refused(endpoint: Endpoint, answer: tuple[int, dict | None], status: int) -> dict:
    got_status, body = answer
    assert got_status == status, body
    assert body is not None and set(body) == {"code", "message", "fields"}
    assert "Traceback" not in body["message"]
    assert endpoint.leftovers() == []
    return body


def test_accepts_a_file_of_exactly_max_bytes(endpoint):
    content = b"%PDF" + b"x" * (MAX_BYTES - 4)

    status, body = post_body(endpoint.url, form_body(endpoint.form(), content))

    assert (status, body) == (204, None)
    assert endpoint.uploads.size(KEY) == MAX_BYTES
    assert endpoint.uploads.head_bytes(KEY, MAX_BYTES) == content
    assert list((endpoint.uploads.root / "tmp").iterdir()) == []


def test_refuses_one_byte_more_than_max_bytes(endpoint):
    body = form_body(endpoint.form(), b"x" * (MAX_BYTES + 1))

    refused = assert_refused(endpoint, post_body(endpoint.url, body), 413)

    assert refused["code"] == "payload_too_large"


def test_refuses_a_request_longer_than_the_file_limit_and_the_form(endpoint):
    body = form_body(endpoint.form(), b"x" * (MAX_BYTES + 70 * 1024))

    assert_refused(endpoint, post_body(endpoint.url, body), 413)


def test_refuses_an_empty_file(endpoint):
    refused = assert_refused(
        endpoint, post_body(endpoint.url, form_body(endpoint.form(), b"")), 400
    )

    assert "file" in refused["fields"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("signature", "0" * 64),
        ("key", "2026/11/25/khac.pdf"),
        ("key", "../../etc/passwd"),
        ("max_bytes", str(100 * MIB)),
        ("expires", str(int(time.time()) + 86_400)),
        ("content_type", "text/html"),
    ],
    # Fixed ids: the expiry value depends on the clock, and xdist workers must collect the same
    # test names.
    ids=["signature", "other-key", "escaping-key", "max-bytes", "expires", "content-type"],
)
def test_refuses_a_form_whose_signed_fields_were_changed(endpoint, field, value):
    fields = endpoint.form() | {field: value}
    file_type = value if field == "content_type" else PDF_TYPE

    refused = assert_refused(
        endpoint, post_body(endpoint.url, form_body(fields, b"%PDF", content_type=file_type)), 403
    )

    assert refused["code"] == "upload_forbidden"


def test_refuses_a_form_past_its_expiry(endpoint):
    fields = endpoint.form()
    endpoint.clock.now += 301

    assert_refused(endpoint, post_body(endpoint.url, form_body(fields, b"%PDF")), 403)


@pytest.mark.parametrize("file_type", ["text/html", "application/PDF", None])
def test_refuses_a_file_of_another_content_type(endpoint, file_type):
    body = form_body(endpoint.form(), b"%PDF", content_type=file_type)

    refused = assert_refused(endpoint, post_body(endpoint.url, body), 400)

    assert "file" in refused["fields"]


def test_refuses_a_form_without_the_file_part(endpoint):
    head = b"".join(field_part(name, value) for name, value in endpoint.form().items())

    refused = assert_refused(
        endpoint, post_body(endpoint.url, head + f"--{BOUNDARY}--\r\n".encode()), 400
    )

    assert "file" in refused["fields"]


def test_refuses_a_file_sent_before_its_signed_fields(endpoint):
    fields = endpoint.form()
    body = field_part("key", fields.pop("key")) + file_head() + b"%PDF" + END

    refused = assert_refused(endpoint, post_body(endpoint.url, body), 400)

    assert set(refused["fields"]) == set(fields)


def test_refuses_fields_after_the_file(endpoint):
    body = form_body(endpoint.form(), b"%PDF")[: -len(END)] + b"\r\n" + field_part("x", "1")

    assert_refused(endpoint, post_body(endpoint.url, body + f"--{BOUNDARY}--\r\n".encode()), 400)


def test_refuses_a_field_the_form_does_not_sign(endpoint):
    fields = {"success_action_redirect": "https://example.org"} | endpoint.form()

    assert_refused(endpoint, post_body(endpoint.url, form_body(fields, b"%PDF")), 400)


def test_refuses_a_body_cut_short_and_deletes_what_arrived(endpoint):
    body = form_body(endpoint.form(), b"%PDF" + b"x" * 500)[: -len(END)]

    assert_refused(endpoint, post_body(endpoint.url, body), 400)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x00\xff" * 3000, f"multipart/form-data; boundary={BOUNDARY}"),
        (b"--" + BOUNDARY.encode() + b"\r\n\r\n\r\n", f"multipart/form-data; boundary={BOUNDARY}"),
        (
            b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nA\r\n--x--',
            "multipart/form-data",
        ),
        (b"key=a&file=b", "application/x-www-form-urlencoded"),
        (b"{}", "application/json"),
        (b"", f"multipart/form-data; boundary={BOUNDARY}"),
        (b"--" + b"b" * 300 + b"\r\n", "multipart/form-data; boundary=" + "b" * 300),
    ],
)
def test_refuses_garbage_with_a_json_error(endpoint, body, content_type):
    assert_refused(endpoint, post_body(endpoint.url, body, content_type=content_type), 400)


def test_answers_other_methods_and_paths_with_json(endpoint):
    assert_refused(endpoint, post_body(endpoint.url, b"", method="PUT"), 405)
    assert_refused(endpoint, post_body(endpoint.url, b"", method="DELETE"), 405)
    assert_refused(endpoint, post_body(endpoint.url, b"", path="/api/uploads/khac"), 404)


def test_a_100_mb_upload_streams_without_holding_the_file_in_memory(endpoint):
    size = 100 * MIB
    fields = endpoint.form(key="lon.pdf", max_bytes=size)
    post_body(endpoint.url, form_body(fields, b"%PDF"))  # warm up imports and buffers
    head, sent = (
        b"".join(field_part(n, v) for n, v in fields.items()) + file_head(),
        hashlib.sha256(),
    )

    with PeakRss() as rss:
        status, _ = post(endpoint.url, stream(size, sent, head), len(head) + size + len(END))

    assert status == 204
    assert endpoint.uploads.size("lon.pdf") == size
    with endpoint.uploads.read("lon.pdf") as stored:  # sealed on disk, opened as it is read
        assert hashlib.file_digest(stored, "sha256").hexdigest() == sent.hexdigest()
    print(f"100 MiB upload: RSS grew by {rss.growth / MIB:.1f} MiB at most")
    assert rss.growth < 50 * MIB, f"RSS grew by {rss.growth / MIB:.1f} MiB"


def stream(size: int, digest, head: bytes) -> Iterator[bytes]:
    """The multipart body as a generator: one 1 MiB block, sent again and again."""
    yield head
    block = bytes(range(256)) * (MIB // 256)
    for _ in range(size // MIB):
        digest.update(block)
        yield block
    yield END


class PeakRss:
    """Samples this process's resident set (/proc/self/statm) every 5 ms; the server is a thread
    of this process, so its buffers count too."""

    def __enter__(self) -> "PeakRss":
        self.baseline = self.peak = resident_bytes()
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._done.set()
        self._sampler.join()

    @property
    def growth(self) -> int:
        return self.peak - self.baseline

    def _sample(self) -> None:
        while not self._done.wait(0.005):
            self.peak = max(self.peak, resident_bytes())


def resident_bytes() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * PAGE_SIZE


# Download links (GET), signed by FilesystemUploads.download_url.


def accepted_file(endpoint: Endpoint, key: str = KEY, content: bytes = b"%PDF-1.7 tep") -> str:
    assert post_body(endpoint.url, form_body(endpoint.form(key=key), content))[0] == 204
    endpoint.uploads.accept(key)
    return key


def download(url: str) -> requests.Response:
    with requests.get(url, timeout=30) as response:
        return response


def test_a_download_is_an_attachment_the_browser_may_not_sniff_or_render(endpoint):
    key = accepted_file(endpoint, content=b"%PDF-1.7 <html><script>alert(1)</script>")

    response = download(endpoint.uploads.download_url(key, filename="to-khai.pdf", expires_in=60))

    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 <html><script>alert(1)</script>"
    assert response.headers["Content-Type"] == PDF_TYPE
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="to-khai.pdf"')
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(("key", "content_type"), [("a.jpg", "image/jpeg"), ("a.png", "image/png")])
def test_a_download_has_the_content_type_of_its_file(endpoint, key, content_type):
    accepted_file(endpoint, key)

    response = download(endpoint.uploads.download_url(key, filename=key, expires_in=60))

    assert response.headers["Content-Type"] == content_type


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("signature", "0" * 64),
        ("key", "2026/11/25/khac.pdf"),
        ("filename", "khac.html"),
        ("expires", "9999999999"),
    ],
)
def test_refuses_a_download_link_whose_signed_fields_were_changed(endpoint, field, value):
    key = accepted_file(endpoint)
    accepted_file(endpoint, "2026/11/25/khac.pdf")
    url = endpoint.uploads.download_url(key, filename="a.pdf", expires_in=60)
    query = dict(parse_qsl(urlsplit(url).query)) | {field: value}

    response = download(f"{endpoint.url}/api/uploads/local?{urlencode(query)}")

    assert response.status_code == 403
    assert response.json()["code"] == "download_forbidden"


def test_refuses_a_download_link_without_its_signature(endpoint):
    key = accepted_file(endpoint)
    url = endpoint.uploads.download_url(key, filename="a.pdf", expires_in=60)
    query = dict(parse_qsl(urlsplit(url).query))
    del query["signature"]

    response = download(f"{endpoint.url}/api/uploads/local?{urlencode(query)}")

    assert response.status_code == 403


def test_refuses_a_download_link_past_its_expiry(endpoint):
    key = accepted_file(endpoint)
    url = endpoint.uploads.download_url(key, filename="a.pdf", expires_in=3600)

    endpoint.clock.now += 301  # clamped to five minutes
    response = download(url)

    assert response.status_code == 403
    assert response.json()["code"] == "download_forbidden"


def test_an_upload_forms_signature_is_not_a_download_link(endpoint):
    key = accepted_file(endpoint)
    form = endpoint.form(key=key)
    query = {"key": key, "filename": "a.pdf", "expires": form["expires"]}

    response = download(
        f"{endpoint.url}/api/uploads/local?{urlencode(query | {'signature': form['signature']})}"
    )

    assert response.status_code == 403


def test_a_link_to_a_file_deleted_since_answers_404(endpoint):
    key = accepted_file(endpoint)
    url = endpoint.uploads.download_url(key, filename="a.pdf", expires_in=60)
    (endpoint.uploads.root / "accepted" / key).unlink()

    response = download(url)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_keeps_the_digest_of_a_file_accepted_before_digests_were_kept(endpoint):
    key = accepted_file(endpoint, content=b"%PDF-cu")
    (endpoint.uploads.root / "digests" / key).unlink()

    assert endpoint.uploads.describe(key) == (7, hashlib.sha256(b"%PDF-cu").hexdigest())
    assert (endpoint.uploads.root / "digests" / key).is_file()


def test_a_data_folder_that_cannot_be_written_answers_503_as_submissions_do(endpoint):
    # The upload area's tmp/ replaced by a file: creating the temporary file fails with an
    # OSError even as root (a read-only mode would not stop root, and CI runs as root).
    tmp = endpoint.uploads.root / "tmp"
    tmp.rmdir()
    tmp.write_bytes(b"")

    status, body = post_body(endpoint.url, form_body(endpoint.form(), b"%PDF-1.7 x"))

    assert status == 503
    assert body is not None and body["code"] == "storage_unavailable"
    assert endpoint.uploads.size(KEY) is None
