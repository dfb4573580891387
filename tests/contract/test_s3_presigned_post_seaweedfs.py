"""A real S3-compatible server refuses every upload outside the presigned POST policy.

moto stores whatever is POSTed, so test_uploads_contract.py can only read the policy S3 would
enforce. SeaweedFS's S3 gateway checks the signature and the conditions itself: each test here
sends a form S3Uploads signed, changes one thing, and asserts that the server answers 403 or 400
and that no object exists afterwards, at the signed key or at the key sent.
"""

import base64
import json
import time
from collections.abc import Iterator

import pytest
import requests

from chalicelib.storage.ports import UploadTarget
from chalicelib.storage.s3 import S3Uploads

from .conftest import s3_bucket, seaweed_client

pytestmark = pytest.mark.slow

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4
CONTENT_TYPE = "application/pdf"
KEY = "2026/11/25/to-khai.pdf"
REFUSED = {400, 403}


@pytest.fixture
def store(seaweed_s3) -> Iterator[tuple[S3Uploads, object, str]]:
    with s3_bucket(seaweed_s3) as bucket:
        yield S3Uploads(seaweed_s3, bucket), seaweed_s3, bucket


def target(uploads: S3Uploads, *, max_bytes: int = 10_000, expires_in: int = 300) -> UploadTarget:
    return uploads.target(
        KEY, content_type=CONTENT_TYPE, max_bytes=max_bytes, expires_in=expires_in
    )


def send(
    url: str, fields: dict[str, str], content: bytes = PDF, content_type: str = CONTENT_TYPE
) -> requests.Response:
    response = requests.post(
        url, data=fields, files={"file": ("to-khai.pdf", content, content_type)}, timeout=30
    )
    response.close()
    return response


def objects(client, bucket: str) -> list[str]:
    listed = client.list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_the_signed_form_itself_is_accepted(store):
    """The control: without a change, the same form stores the file at the signed key."""
    uploads, client, bucket = store
    signed = target(uploads)

    assert send(signed.url, signed.fields).status_code in {200, 201, 204}
    assert objects(client, bucket) == [f"quarantine/{KEY}"]
    assert uploads.size(KEY) == len(PDF)


def test_refuses_another_key(store):
    uploads, client, bucket = store
    signed = target(uploads)

    answer = send(signed.url, signed.fields | {"key": "accepted/2026/11/25/to-khai.pdf"})

    assert answer.status_code in REFUSED
    assert objects(client, bucket) == []


def test_refuses_a_file_larger_than_the_maximum(store):
    uploads, client, bucket = store
    signed = target(uploads, max_bytes=len(PDF) - 1)

    answer = send(signed.url, signed.fields)

    assert answer.status_code in REFUSED
    assert objects(client, bucket) == []


def test_refuses_an_empty_file(store):
    """The policy's size range starts at one byte."""
    uploads, client, bucket = store
    signed = target(uploads)

    answer = send(signed.url, signed.fields, content=b"")

    assert answer.status_code in REFUSED
    assert objects(client, bucket) == []


def test_refuses_another_content_type(store):
    uploads, client, bucket = store
    signed = target(uploads)

    answer = send(
        signed.url, signed.fields | {"Content-Type": "text/html"}, content_type="text/html"
    )

    assert answer.status_code in REFUSED
    assert objects(client, bucket) == []


def test_refuses_a_form_after_it_expired(store):
    uploads, client, bucket = store
    signed = target(uploads, expires_in=1)
    time.sleep(2.5)

    answer = send(signed.url, signed.fields)

    assert answer.status_code in REFUSED
    assert objects(client, bucket) == []


def test_refuses_an_altered_signature(store):
    uploads, client, bucket = store
    signed = target(uploads)
    signature = signed.fields["x-amz-signature"]
    altered = ("0" if signature[0] != "0" else "1") + signature[1:]

    answer = send(signed.url, signed.fields | {"x-amz-signature": altered})

    assert answer.status_code in REFUSED
    assert objects(client, bucket) == []


def test_refuses_a_policy_rewritten_without_its_size_limit(store):
    """Dropping a condition changes the signed policy, so the signature no longer matches."""
    uploads, client, bucket = store
    signed = target(uploads, max_bytes=len(PDF) - 1)
    policy = json.loads(base64.b64decode(signed.fields["policy"]))
    policy["conditions"] = [
        condition
        for condition in policy["conditions"]
        if not (isinstance(condition, list) and condition[0] == "content-length-range")
    ]
    rewritten = base64.b64encode(json.dumps(policy).encode()).decode()

    answer = send(signed.url, signed.fields | {"policy": rewritten})

    assert answer.status_code in REFUSED
    assert objects(client, bucket) == []


def test_refuses_a_form_signed_with_another_secret(store, seaweed_url):
    """A form signed by anyone without the store's secret key is refused."""
    _, client, bucket = store
    forger = seaweed_client(seaweed_url, secret_key="not-the-store-secret")
    signed = target(S3Uploads(forger, bucket))

    answer = send(signed.url, signed.fields)

    assert answer.status_code in REFUSED
    assert objects(client, bucket) == []
