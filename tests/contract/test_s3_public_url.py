"""S3Uploads behind a proxy (MOTCUA_S3_PUBLIC_URL): the browser sends uploads to and fetches
downloads from the site's own origin under a path prefix, the proxy strips the prefix and sends
the request on to SeaweedFS with SeaweedFS's own Host, as deploy/'s nginx does. The presigned POST
(which signs neither host nor path) and the presigned GET (which signs both) keep working."""

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from chalicelib.storage.s3 import S3Uploads

from .conftest import local_upload_server, post_form, s3_bucket

pytestmark = pytest.mark.slow

PREFIX = "/luu-tru"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8
KEY = "2026/12/07/to-khai.pdf"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class PrefixStrippingProxy:
    """Answers only under PREFIX; forwards method, path without it, query, body and headers
    (requests sets Host to the upstream's, as nginx's `proxy_set_header Host $proxy_host`)."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.seen: list[str] = []

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        if not path.startswith(PREFIX + "/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not under the prefix"]
        self.seen.append(path)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        headers = {
            name[5:].replace("_", "-"): value
            for name, value in environ.items()
            if name.startswith("HTTP_") and name[5:].replace("_", "-").lower() not in HOP_BY_HOP
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        query = environ.get("QUERY_STRING", "")
        url = self.upstream + path[len(PREFIX) :] + (f"?{query}" if query else "")
        answer = requests.request(
            environ["REQUEST_METHOD"], url, data=body, headers=headers, timeout=30
        )
        passed = [(k, v) for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP]
        start_response(f"{answer.status_code} {answer.reason}", passed)
        return [answer.content]


@pytest.fixture
def proxied(seaweed_url, seaweed_s3) -> Iterator[tuple[S3Uploads, PrefixStrippingProxy, str]]:
    with s3_bucket(seaweed_s3) as bucket, local_upload_server() as serving:
        proxy = PrefixStrippingProxy(seaweed_url)
        serving.app = proxy
        public_url = serving.url + PREFIX
        yield S3Uploads(seaweed_s3, bucket, public_url=public_url), proxy, public_url


def test_uploads_and_downloads_go_through_the_public_url_and_stay_valid(proxied):
    uploads, proxy, public_url = proxied

    target = uploads.target(KEY, content_type="application/pdf", max_bytes=len(PDF), expires_in=300)
    assert target.url.startswith(public_url + "/")
    assert post_form(target, PDF, "application/pdf") in {200, 201, 204}
    uploads.accept(KEY)
    link = uploads.download_url(KEY, filename="tờ khai.pdf", expires_in=60)
    assert (
        urlsplit(link)._replace(path="", query="").geturl()
        == urlsplit(public_url)._replace(path="").geturl()
    )
    with requests.get(link, timeout=30) as answer:
        assert answer.status_code == 200, answer.text
        assert answer.content == PDF
        assert answer.headers["Content-Disposition"].startswith("attachment")

    assert len(proxy.seen) == 2  # the POST and the GET, both through the proxy


def test_a_download_link_changed_on_its_way_is_refused(proxied):
    """The rewritten link still carries a signature that covers the path: the control."""
    uploads, _proxy, _public_url = proxied
    target = uploads.target(KEY, content_type="application/pdf", max_bytes=len(PDF), expires_in=300)
    assert post_form(target, PDF, "application/pdf") in {200, 201, 204}
    uploads.accept(KEY)
    link = uploads.download_url(KEY, filename="to-khai.pdf", expires_in=60)

    with requests.get(link.replace("to-khai.pdf", "khac.pdf", 1), timeout=30) as answer:
        assert answer.status_code == 403
