"""Uploads in an S3 bucket: the adapter for the AWS deployment.

The browser POSTs the file straight to S3 with a presigned policy, so no Lambda handles the bytes
(API Gateway would cap them at 10 MB). The policy pins the exact object key under quarantine/,
the content type and the size range; S3 refuses anything else. Verified objects are copied to
accepted/ and removed from quarantine/, which a lifecycle rule empties of abandoned uploads.

Accepting reads the object once to record its SHA-256 in the accepted copy's metadata
(`x-amz-meta-sha256`), so describing it later is one HEAD. Officers download through presigned
GETs that make S3 answer with `Content-Disposition: attachment` and the stored content type; S3
cannot add `X-Content-Type-Options: nosniff` itself (CloudFront's response headers policy does, in
front of the bucket).

Behind a proxy (`public_url`, MOTCUA_S3_PUBLIC_URL): on a province's servers the store listens
inside (SeaweedFS on http://127.0.0.1:8333) and nginx proxies it under the site's own origin
(https://host/luu-tru/), so pages make no request to another host. The URLs are signed for the
endpoint and then given the public origin and path prefix. That keeps them valid: a presigned
POST's policy does not sign the host or the path; a presigned GET signs the host and the path,
which are again the endpoint's when the proxy strips the prefix and sends the endpoint's Host
(nginx's default `proxy_set_header Host $proxy_host`). Path-style addressing only (the bucket in
the path): the host of a virtual-hosted URL would be lost. tests/contract/test_s3_public_url.py
proves both through a prefix-stripping proxy in front of SeaweedFS.

For the admin command (`UploadStore`), the objects are every object of the bucket, with their
content type and metadata, so a restored accepted object keeps its recorded SHA-256.
"""

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import NotFoundError, StorageError
from chalicelib.storage.files import (
    attachment,
    check_key,
    check_target,
    download_lifetime,
    iso_utc,
    safe_filename,
)
from chalicelib.storage.ports import StoredObject, UploadTarget

if TYPE_CHECKING:  # boto3-stubs, for mypy only
    from boto3.session import Session
    from mypy_boto3_s3 import S3Client

MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
CHUNK = 1024 * 1024
ADDRESSING: dict[bool | None, Literal["path", "virtual", "auto"]] = {
    True: "path",
    False: "virtual",
    None: "auto",
}


def s3_client(
    session: "Session",
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    path_style: bool | None = None,
    max_pool_connections: int = 10,
) -> "S3Client":
    """A client for AWS S3 or any S3-compatible store (VNG vStorage, FPT Object Storage,
    SeaweedFS): its endpoint, the region it signs for, and path-style addressing (True: the
    bucket in the path, which stores without a wildcard DNS name for buckets need; False: in the
    host name; None: botocore chooses, the host name on AWS, the path elsewhere). Presigned links
    are signed with SigV4: botocore would presign GETs with SigV2, which S3 refuses in regions
    opened since 2014, deprecated everywhere, and which S3-compatible stores need not accept."""
    from botocore.config import Config

    config = Config(
        region_name=region,
        signature_version="s3v4",
        s3={"addressing_style": ADDRESSING[path_style]},
        max_pool_connections=max_pool_connections,
        retries={"mode": "standard", "max_attempts": 3},
    )
    return session.client("s3", endpoint_url=endpoint_url, config=config)


class S3Uploads:
    """`Uploads` in one bucket, with quarantine/ and accepted/ prefixes."""

    def __init__(self, client: "S3Client", bucket: str, *, public_url: str | None = None):
        self._client = client
        self._bucket = bucket
        self._public = urlsplit(public_url.rstrip("/")) if public_url else None

    def target(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> UploadTarget:
        lifetime = check_target(content_type, max_bytes, expires_in)
        expires_at = iso_utc(time.time() + lifetime)
        # botocore adds the {"bucket": ...} and exact {"key": ...} conditions itself.
        with _wrapped():
            post = self._client.generate_presigned_post(
                Bucket=self._bucket,
                Key=_quarantined(key),
                Fields={"Content-Type": content_type},
                Conditions=[
                    ["content-length-range", 1, max_bytes],
                    {"Content-Type": content_type},
                ],
                ExpiresIn=lifetime,
            )
        url = self._browser_url(post["url"])
        return UploadTarget(url=url, fields=post["fields"], key=key, expires_at=expires_at)

    def size(self, key: str) -> int | None:
        try:
            with _wrapped():
                head = self._client.head_object(Bucket=self._bucket, Key=_quarantined(key))
        except NotFoundError:
            return None
        return head["ContentLength"]

    def head_bytes(self, key: str, count: int) -> bytes:
        if count <= 0:
            return b""
        with _wrapped():
            answer = self._client.get_object(
                Bucket=self._bucket, Key=_quarantined(key), Range=f"bytes=0-{count - 1}"
            )
            with answer["Body"] as body:
                return body.read()

    def accept(self, key: str) -> None:
        """Copies to accepted/ with the SHA-256 in its metadata, then deletes from quarantine/;
        running it twice is harmless."""
        try:
            content_type, digest = self._sha256(_quarantined(key))
            with _wrapped():
                self._client.copy_object(
                    Bucket=self._bucket,
                    Key=_accepted(key),
                    CopySource={"Bucket": self._bucket, "Key": _quarantined(key)},
                    MetadataDirective="REPLACE",
                    ContentType=content_type,
                    Metadata={"sha256": digest},
                )
        except NotFoundError:
            if self.is_accepted(key):
                return
            raise
        with _wrapped():
            self._client.delete_object(Bucket=self._bucket, Key=_quarantined(key))

    def is_accepted(self, key: str) -> bool:
        try:
            with _wrapped():
                self._client.head_object(Bucket=self._bucket, Key=_accepted(key))
        except NotFoundError:
            return False
        return True

    def reject(self, key: str) -> None:
        with _wrapped():
            self._client.delete_object(Bucket=self._bucket, Key=_quarantined(key))

    def describe(self, key: str) -> tuple[int, str]:
        with _wrapped():
            head = self._client.head_object(Bucket=self._bucket, Key=_accepted(key))
        digest = head.get("Metadata", {}).get("sha256")
        if digest is None:  # accepted before digests were kept
            digest = self._sha256(_accepted(key))[1]
        return head["ContentLength"], digest

    def download_url(self, key: str, *, filename: str, expires_in: int) -> str:
        lifetime = download_lifetime(expires_in)
        with _wrapped():
            head = self._client.head_object(Bucket=self._bucket, Key=_accepted(key))
            url = self._client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self._bucket,
                    "Key": _accepted(key),
                    "ResponseContentDisposition": attachment(safe_filename(filename)),
                    "ResponseContentType": head["ContentType"],
                    "ResponseCacheControl": "private, no-store",
                },
                ExpiresIn=lifetime,
            )
        return self._browser_url(url)

    def _browser_url(self, url: str) -> str:
        """`url` (signed for the endpoint) at the public origin and under its path prefix."""
        if self._public is None:
            return url
        signed = urlsplit(url)
        public = self._public
        return urlunsplit(
            (public.scheme, public.netloc, public.path + signed.path, signed.query, "")
        )

    # --- UploadStore: backup, restore, purge -------------------------------------------------

    def objects(self) -> Iterator[StoredObject]:
        """A listing gives no content type or metadata: one HEAD per object for those."""
        paginator = self._client.get_paginator("list_objects_v2")
        with _wrapped():
            for page in paginator.paginate(Bucket=self._bucket):
                for item in page.get("Contents", []):
                    try:
                        yield self._stored(item["Key"])
                    except NotFoundError:  # deleted since the listing (accepted, rejected)
                        continue

    def read_object(self, name: str) -> Iterator[bytes]:
        with _wrapped():
            answer = self._client.get_object(Bucket=self._bucket, Key=name)
            body = answer["Body"]
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

    def write_object(self, stored: StoredObject, source: Path) -> None:
        extra: dict[str, Any] = {"Metadata": dict(stored.metadata)}
        if stored.content_type:
            extra["ContentType"] = stored.content_type
        with _wrapped(), source.open("rb") as data:
            self._client.put_object(
                Bucket=self._bucket, Key=check_key(stored.name), Body=data, **extra
            )

    def remove(self, key: str) -> None:
        with _wrapped():
            for object_key in (_quarantined(key), _accepted(key)):
                self._client.delete_object(Bucket=self._bucket, Key=object_key)

    def _stored(self, object_key: str) -> StoredObject:
        with _wrapped():
            head = self._client.head_object(Bucket=self._bucket, Key=object_key)
        return StoredObject(
            name=object_key,
            size=head["ContentLength"],
            modified=head["LastModified"].timestamp(),
            content_type=head.get("ContentType"),
            metadata=dict(head.get("Metadata", {})),
        )

    def _sha256(self, object_key: str) -> tuple[str, str]:
        """(content type, SHA-256 in hex) of an object, read in chunks."""
        digest = hashlib.sha256()
        with _wrapped():
            answer = self._client.get_object(Bucket=self._bucket, Key=object_key)
            body = answer["Body"]
            try:
                for chunk in body.iter_chunks(CHUNK):
                    digest.update(chunk)
            finally:
                body.close()
        return answer["ContentType"], digest.hexdigest()


def _quarantined(key: str) -> str:
    return f"quarantine/{check_key(key)}"


def _accepted(key: str) -> str:
    return f"accepted/{check_key(key)}"


@contextmanager
def _wrapped() -> Iterator[None]:
    """A missing object becomes NotFoundError; every other botocore error becomes StorageError."""
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in MISSING:
            raise NotFoundError() from error
        raise StorageError() from error
    except BotoCoreError as error:
        raise StorageError() from error
