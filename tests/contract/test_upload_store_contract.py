"""The UploadStore contract (what `motcua backup`, `restore` and `purge` need of the upload store),
run against a directory, S3 in moto, and SeaweedFS (conftest's `upload_side`)."""

import hashlib
import io
import time
from pathlib import Path

import pytest

from chalicelib import sealing
from chalicelib.errors import NotFoundError
from chalicelib.storage.files import FilesystemUploads
from chalicelib.storage.ports import StoredObject, UploadStore

from .conftest import SEALER
from .test_uploads_contract import PDF, upload


def store_of(side) -> UploadStore:
    return side.uploads


def read(store: UploadStore, name: str) -> bytes:
    return b"".join(store.read_object(name))


def opened(side, name: str, stored: bytes) -> bytes:
    """An object's content: the embedded store keeps uploads sealed (objects are its sealed
    bytes, so backups stay encrypted), S3 as they are."""
    if not isinstance(side.uploads, FilesystemUploads):
        return stored
    assert not stored.startswith(b"%PDF")
    key = name.partition("/")[2].encode()
    return SEALER.file_reader(io.BytesIO(stored), key).read()


def plain_size(side, size: int) -> int:
    return sealing.plain_size(size) if isinstance(side.uploads, FilesystemUploads) else size


def test_objects_lists_quarantined_and_accepted_uploads_with_size_and_time(upload_side):
    started = time.time() - 5
    upload(upload_side, "ho-so/cho-kiem-tra.pdf")
    upload(upload_side, "ho-so/da-nhan.pdf", PDF + b"x")
    upload_side.uploads.accept("ho-so/da-nhan.pdf")

    found = {stored.name: stored for stored in store_of(upload_side).objects()}

    assert {"quarantine/ho-so/cho-kiem-tra.pdf", "accepted/ho-so/da-nhan.pdf"} <= set(found)
    assert plain_size(upload_side, found["quarantine/ho-so/cho-kiem-tra.pdf"].size) == len(PDF)
    assert plain_size(upload_side, found["accepted/ho-so/da-nhan.pdf"].size) == len(PDF) + 1
    assert all(started <= stored.modified <= time.time() + 5 for stored in found.values())
    name = "accepted/ho-so/da-nhan.pdf"
    assert opened(upload_side, name, read(store_of(upload_side), name)) == PDF + b"x"


def test_every_object_written_back_restores_an_accepted_upload(upload_side, tmp_path: Path):
    """What a restore does: every object copied out, then written into an empty store; the
    accepted upload is accepted again, with its size, SHA-256 and content type."""
    store = store_of(upload_side)
    upload(upload_side, "khoi-phuc/giay-to.pdf")
    upload_side.uploads.accept("khoi-phuc/giay-to.pdf")
    described = upload_side.uploads.describe("khoi-phuc/giay-to.pdf")
    saved = []
    for index, stored in enumerate(store.objects()):
        copy = tmp_path / str(index)
        copy.write_bytes(read(store, stored.name))
        saved.append((stored, copy))

    store.remove("khoi-phuc/giay-to.pdf")
    assert upload_side.uploads.is_accepted("khoi-phuc/giay-to.pdf") is False
    for stored, copy in saved:
        store.write_object(stored, copy)

    assert upload_side.uploads.is_accepted("khoi-phuc/giay-to.pdf") is True
    assert upload_side.uploads.describe("khoi-phuc/giay-to.pdf") == described
    assert described == (len(PDF), hashlib.sha256(PDF).hexdigest())
    link = upload_side.uploads.download_url(
        "khoi-phuc/giay-to.pdf", filename="a.pdf", expires_in=60
    )
    assert link  # a link is made only for an accepted upload
    if not isinstance(upload_side.uploads, FilesystemUploads):
        (restored,) = [s for s in store.objects() if s.name == "accepted/khoi-phuc/giay-to.pdf"]
        assert restored.content_type == "application/pdf"
        assert restored.metadata == {"sha256": described[1]}


def test_remove_deletes_an_upload_wherever_it_is_and_can_be_repeated(upload_side):
    store = store_of(upload_side)
    upload(upload_side, "xoa/cho.pdf")
    upload(upload_side, "xoa/nhan.pdf")
    upload_side.uploads.accept("xoa/nhan.pdf")

    for key in ("xoa/cho.pdf", "xoa/nhan.pdf", "xoa/nhan.pdf", "xoa/khong-co.pdf"):
        store.remove(key)

    names = {stored.name for stored in store.objects()}
    assert not any("xoa/" in name for name in names)
    assert upload_side.uploads.size("xoa/cho.pdf") is None
    assert upload_side.uploads.is_accepted("xoa/nhan.pdf") is False


def test_reading_a_missing_object_is_not_found(upload_side):
    with pytest.raises(NotFoundError):
        read(store_of(upload_side), "accepted/khong/co.pdf")


def test_the_directory_store_writes_only_inside_its_areas(tmp_path: Path):
    """A restore takes names from a backup's manifest: never a path outside the store."""
    store = FilesystemUploads(tmp_path / "uploads", secret=b"s" * 32, base_url="http://x")
    source = tmp_path / "source"
    source.write_bytes(b"x")
    for name in ("../ngoai.pdf", "tmp/x.pdf", "accepted/../../ngoai.pdf", "/etc/x"):
        with pytest.raises(ValueError):
            store.write_object(StoredObject(name, 1, 0.0), source)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source", "uploads"]
