"""The Uploads contract, run against a directory behind the local endpoint and against S3 in moto.

The bytes really travel: a signed form is POSTed over HTTP, to waitress or to moto, the way a
browser would send it.
"""

import base64
import hashlib
import json
import time
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from chalicelib.errors import NotFoundError, UploadChangedError
from chalicelib.storage.s3 import S3Uploads

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40
CONTENT_TYPE = "application/pdf"


def upload(side, key: str, content: bytes = PDF, *, max_bytes: int = 1_000_000) -> None:
    target = side.uploads.target(
        key, content_type=CONTENT_TYPE, max_bytes=max_bytes, expires_in=300
    )
    assert side.send(target, content, CONTENT_TYPE) in {200, 201, 204}


def test_an_uploaded_file_arrives_in_quarantine_byte_for_byte(upload_side):
    upload(upload_side, "2026/11/25/ho-so.pdf")

    assert upload_side.uploads.size("2026/11/25/ho-so.pdf") == len(PDF)
    assert upload_side.uploads.head_bytes("2026/11/25/ho-so.pdf", 5) == b"%PDF-"
    assert upload_side.uploads.is_accepted("2026/11/25/ho-so.pdf") is False


def test_head_bytes_of_a_short_file_is_the_whole_file(upload_side):
    upload(upload_side, "ngan.pdf", b"%PDF")

    assert upload_side.uploads.head_bytes("ngan.pdf", 16) == b"%PDF"


def test_accepting_moves_the_file_out_of_quarantine_and_can_be_repeated(upload_side):
    upload(upload_side, "chap-nhan.pdf")

    upload_side.uploads.accept("chap-nhan.pdf")
    upload_side.uploads.accept("chap-nhan.pdf")

    assert upload_side.uploads.is_accepted("chap-nhan.pdf") is True
    assert upload_side.uploads.size("chap-nhan.pdf") is None


def test_rejecting_deletes_the_file_and_can_be_repeated(upload_side):
    upload(upload_side, "tu-choi.pdf")

    upload_side.uploads.reject("tu-choi.pdf")
    upload_side.uploads.reject("tu-choi.pdf")

    assert upload_side.uploads.size("tu-choi.pdf") is None
    assert upload_side.uploads.is_accepted("tu-choi.pdf") is False


def test_a_key_never_uploaded_has_no_size_and_cannot_be_accepted(upload_side):
    assert upload_side.uploads.size("chua-co.pdf") is None
    assert upload_side.uploads.is_accepted("chua-co.pdf") is False
    with pytest.raises(NotFoundError):
        upload_side.uploads.accept("chua-co.pdf")
    with pytest.raises(NotFoundError):
        upload_side.uploads.head_bytes("chua-co.pdf", 4)


# Verifying reads a quarantined file whole (scan, parse) and may replace it (a re-encoded image).


def test_reads_a_quarantined_file_whole_as_a_stream(upload_side):
    content = PDF * 30  # 300 kB: several reads
    upload(upload_side, "doc.pdf", content)

    with upload_side.uploads.read("doc.pdf") as source:
        parts = list(iter(lambda: source.read(65536), b""))

    assert b"".join(parts) == content and len(parts) > 1


def test_reading_a_file_not_in_quarantine_is_not_found(upload_side):
    accepted(upload_side, "da-nhan.pdf")

    for key in ("chua-co.pdf", "da-nhan.pdf"):
        with pytest.raises(NotFoundError), upload_side.uploads.read(key) as source:
            source.read()


def test_replacing_a_quarantined_file_changes_what_is_accepted_but_not_its_type(upload_side):
    upload(upload_side, "thay.pdf")
    cleaned = b"%PDF-1.7\n% da lam sach\n"

    upload_side.uploads.replace("thay.pdf", cleaned)

    assert upload_side.uploads.size("thay.pdf") == len(cleaned)
    with upload_side.uploads.read("thay.pdf") as source:
        assert source.read() == cleaned
    upload_side.uploads.accept("thay.pdf")
    assert upload_side.uploads.describe("thay.pdf") == (
        len(cleaned),
        hashlib.sha256(cleaned).hexdigest(),
    )
    url = upload_side.uploads.download_url("thay.pdf", filename="thay.pdf", expires_in=60)
    response = requests.get(url, timeout=30)
    assert response.content == cleaned
    assert response.headers["Content-Type"] == CONTENT_TYPE


def test_accepting_with_the_verified_digest_accepts_that_content(upload_side):
    upload(upload_side, "da-kiem.pdf")

    upload_side.uploads.accept("da-kiem.pdf", sha256=hashlib.sha256(PDF).hexdigest())
    upload_side.uploads.accept("da-kiem.pdf", sha256=hashlib.sha256(PDF).hexdigest())

    assert upload_side.uploads.describe("da-kiem.pdf") == (
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
    )


def test_a_file_replaced_after_it_was_verified_is_not_accepted_and_is_deleted(upload_side):
    upload(upload_side, "doi-tep.pdf")
    verified = hashlib.sha256(PDF).hexdigest()
    upload(upload_side, "doi-tep.pdf", b"%PDF-1.7 uploaded again to the same target")

    with pytest.raises(UploadChangedError):
        upload_side.uploads.accept("doi-tep.pdf", sha256=verified)

    assert upload_side.uploads.is_accepted("doi-tep.pdf") is False
    assert upload_side.uploads.size("doi-tep.pdf") is None


def test_replacing_a_file_not_in_quarantine_is_not_found(upload_side):
    with pytest.raises(NotFoundError):
        upload_side.uploads.replace("chua-co.pdf", b"%PDF-")
    assert upload_side.uploads.size("chua-co.pdf") is None


@pytest.mark.parametrize(
    "key", ["../ngoai.pdf", "a/../../b", "/tuyet-doi.pdf", "a//b", "có dấu.pdf", "a\\b", ""]
)
def test_refuses_keys_that_could_leave_their_folder(upload_side, key):
    with pytest.raises(ValueError):
        upload_side.uploads.target(key, content_type=CONTENT_TYPE, max_bytes=10, expires_in=60)
    with pytest.raises(ValueError):
        upload_side.uploads.size(key)


def test_a_target_lives_at_most_five_minutes(upload_side):
    target = upload_side.uploads.target(
        "lau.pdf", content_type=CONTENT_TYPE, max_bytes=10, expires_in=3600
    )

    assert target.key == "lau.pdf"
    assert datetime.fromisoformat(target.expires_at).timestamp() <= time.time() + 300 + 1


# What moto does not enforce, read from the policy S3 itself would enforce.


@pytest.fixture
def s3_uploads(s3) -> S3Uploads:
    return S3Uploads(s3, "khong-can-ton-tai")  # presigning needs no bucket


def policy_of(s3_uploads: S3Uploads, **overrides) -> dict:
    request = {"content_type": CONTENT_TYPE, "max_bytes": 5_000_000, "expires_in": 300}
    target = s3_uploads.target("2026/11/25/x.pdf", **(request | overrides))
    return json.loads(base64.b64decode(target.fields["policy"]))


def test_the_s3_policy_expires_within_five_minutes_even_if_asked_for_an_hour(s3_uploads):
    policy = policy_of(s3_uploads, expires_in=3600)

    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 0 < expiration.timestamp() - time.time() <= 300 + 1


def test_the_s3_policy_pins_the_exact_quarantine_key(s3_uploads):
    conditions = policy_of(s3_uploads)["conditions"]

    assert {"key": "quarantine/2026/11/25/x.pdf"} in conditions
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]


def test_the_s3_policy_bounds_the_size_from_one_byte(s3_uploads):
    conditions = policy_of(s3_uploads, max_bytes=5_000_000)["conditions"]

    assert ["content-length-range", 1, 5_000_000] in conditions


def test_the_s3_policy_fixes_the_content_type(s3_uploads):
    policy = policy_of(s3_uploads, content_type="image/jpeg")

    assert {"Content-Type": "image/jpeg"} in policy["conditions"]


# Describing and downloading accepted files: the officer's view of a dossier's files.


def accepted(side, key: str, content: bytes = PDF) -> str:
    upload(side, key, content)
    side.uploads.accept(key)
    return key


def test_describes_an_accepted_file_by_size_and_sha256(upload_side):
    key = accepted(upload_side, "2026/11/25/mo-ta.pdf")

    assert upload_side.uploads.describe(key) == (len(PDF), hashlib.sha256(PDF).hexdigest())


def test_describes_only_accepted_files(upload_side):
    upload(upload_side, "con-cach-ly.pdf")

    with pytest.raises(NotFoundError):
        upload_side.uploads.describe("con-cach-ly.pdf")
    with pytest.raises(NotFoundError):
        upload_side.uploads.describe("chua-co.pdf")


def test_a_download_link_serves_the_file_as_a_named_attachment(upload_side):
    key = accepted(upload_side, "2026/11/25/tai-ve.pdf")

    url = upload_side.uploads.download_url(key, filename="Tờ khai đăng ký.pdf", expires_in=60)
    response = requests.get(url, timeout=30)

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["Content-Type"] == CONTENT_TYPE
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''T%E1%BB%9D%20khai%20%C4%91%C4%83ng%20k%C3%BD.pdf" in disposition
    assert 'filename="To_khai_dang_ky.pdf"' in disposition


def test_a_download_link_cannot_name_a_folder_or_break_the_header(upload_side):
    key = accepted(upload_side, "ten-la.pdf")

    url = upload_side.uploads.download_url(key, filename='../"a"\r\nX: y.pdf', expires_in=60)
    response = requests.get(url, timeout=30)

    assert response.status_code == 200
    assert "X" not in response.headers
    assert "filename*=UTF-8''aX%3A%20y.pdf" in response.headers["Content-Disposition"]


def test_gives_download_links_only_for_accepted_files(upload_side):
    upload(upload_side, "con-cach-ly.pdf")

    for key in ("con-cach-ly.pdf", "chua-co.pdf"):
        with pytest.raises(NotFoundError):
            upload_side.uploads.download_url(key, filename="a.pdf", expires_in=60)


# moto serves presigned GETs but checks neither their signature nor their expiry (its IAM checks
# read only the Authorization header): read from the URL what S3 itself would enforce. The local
# endpoint's refusals are tested over HTTP in test_local_upload_http.py.


def presigned_query(s3, *, expires_in: int = 300) -> dict[str, str]:
    s3.create_bucket(
        Bucket="tai-ve", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-1"}
    )
    s3.put_object(Bucket="tai-ve", Key="accepted/x.pdf", Body=PDF, ContentType=CONTENT_TYPE)
    uploads = S3Uploads(s3, "tai-ve")
    try:
        url = uploads.download_url("x.pdf", filename="Tờ khai.pdf", expires_in=expires_in)
    finally:
        s3.delete_object(Bucket="tai-ve", Key="accepted/x.pdf")
        s3.delete_bucket(Bucket="tai-ve")
    query = dict(parse_qsl(urlsplit(url).query))
    assert urlsplit(url).path.endswith("/tai-ve/accepted/x.pdf")
    return query


@pytest.mark.slow
def test_the_s3_download_link_expires_within_five_minutes_even_if_asked_for_an_hour(s3_uploads, s3):
    query = presigned_query(s3, expires_in=3600)

    assert query["X-Amz-Expires"] == "300"


@pytest.mark.slow
def test_the_s3_download_link_is_signed_with_its_attachment_headers(s3):
    """SigV4 signs every query parameter, so S3 refuses the link if any of these is changed."""
    query = presigned_query(s3, expires_in=60)

    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256" and query["X-Amz-Signature"]
    assert query["X-Amz-Expires"] == "60"
    assert query["response-content-disposition"].startswith('attachment; filename="To_khai.pdf"')
    assert query["response-content-type"] == CONTENT_TYPE
    assert "host" in query["X-Amz-SignedHeaders"]


@pytest.mark.slow
def test_s3_describes_a_file_accepted_before_digests_were_kept(s3):
    s3.create_bucket(
        Bucket="cu-tep", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-1"}
    )
    s3.put_object(Bucket="cu-tep", Key="accepted/cu.pdf", Body=PDF, ContentType=CONTENT_TYPE)
    try:
        described = S3Uploads(s3, "cu-tep").describe("cu.pdf")
    finally:
        s3.delete_object(Bucket="cu-tep", Key="accepted/cu.pdf")
        s3.delete_bucket(Bucket="cu-tep")

    assert described == (len(PDF), hashlib.sha256(PDF).hexdigest())
