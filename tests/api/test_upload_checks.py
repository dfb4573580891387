"""Issue 15, files: every file of the issue's table is refused through the API (upload target,
upload, verify), genuine files still pass, a photo loses its GPS position, and no file is
accepted while clamd is down. The server scans with a real clamd (tests/clamd.py)."""

import io
import urllib.request

import pytest
from PIL import Image

from chalicelib.bundle import Bundle
from chalicelib.errors import UploadChangedError
from chalicelib.storage.files import FilesystemUploads
from chalicelib.wiring import default_service
from tests.factories import make_service

from .. import files
from .client import upload

pytestmark = pytest.mark.slow

PROCEDURE = "1.001193"  # đăng ký khai sinh
SLOT = {"id": "giay-chung-sinh"}  # takes PDF, JPEG and PNG up to 5 MB


def verify(server, key: str):
    return server.request("POST", "/api/uploads/verify", {"key": key})


@pytest.mark.parametrize("row", sorted(files.HOSTILE))
def test_every_hostile_file_of_the_issue_is_refused_and_deleted(server, row):
    kind, content = files.HOSTILE[row]
    key = upload(server, PROCEDURE, SLOT, kind, content)

    status, reply = verify(server, key)

    assert status == 422, reply
    assert reply["fields"]["/key"] == reply["message"]
    assert verify(server, key)[0] == 404  # deleted: nothing left to verify
    assert not default_service().uploads.is_accepted(key)


def test_the_eicar_test_file_is_refused_by_clamd_by_name(server):
    kind, content = files.HOSTILE["pdf-eicar"]
    key = upload(server, PROCEDURE, SLOT, kind, content)

    status, reply = verify(server, key)

    assert status == 422, reply
    assert reply["message"] == "Tệp có mã độc: MotCua.Test.EICAR.UNOFFICIAL"


def test_a_well_formed_pdf_carrying_the_eicar_string_is_refused_by_clamd(server):
    key = upload(server, PROCEDURE, SLOT, "pdf", files.pdf() + files.EICAR)

    status, reply = verify(server, key)

    assert (status, reply["message"]) == (422, "Tệp có mã độc: MotCua.Test.EICAR.UNOFFICIAL")


def test_a_pdf_whose_openaction_runs_javascript_is_refused_for_it(server):
    kind, content = files.HOSTILE["pdf-javascript-openaction"]
    key = upload(server, PROCEDURE, SLOT, kind, content)

    status, reply = verify(server, key)

    assert status == 422
    assert reply["message"].startswith("Tệp PDF chứa JavaScript")


@pytest.mark.parametrize("kind", ["pdf", "jpeg", "png"])
def test_genuine_files_are_accepted(server, kind):
    key = upload(server, PROCEDURE, SLOT, kind)

    status, reply = verify(server, key)

    assert status == 200, reply
    assert reply["accepted"] is True
    assert default_service().uploads.is_accepted(key)


def accepted_content(key: str) -> bytes:
    link = default_service().uploads.download_url(key, filename="anh.jpg", expires_in=60)
    with urllib.request.urlopen(link, timeout=30) as response:
        return response.read()


def test_a_photo_is_accepted_without_its_gps_position(server):
    photo = files.jpeg(size=(320, 240), gps=True)
    assert files.GPS_IFD in Image.open(io.BytesIO(photo)).getexif()
    key = upload(server, PROCEDURE, SLOT, "jpeg", photo)

    status, reply = verify(server, key)

    assert status == 200, reply
    stored = accepted_content(key)
    assert reply["size"] == len(stored)
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (320, 240)
    assert dict(image.getexif()) == {}
    assert b"Exif" not in stored and "Điện thoại thử".encode() not in stored


def test_while_clamd_is_down_nothing_is_accepted_and_verifying_again_later_works(server, clamd):
    key = upload(server, PROCEDURE, SLOT, "pdf")
    clamd.stop()
    try:
        status, reply = verify(server, key)
    finally:
        clamd.start()

    assert status == 503, reply
    assert reply["code"] == "scanner_unavailable"
    assert "mã độc" in reply["message"] and "thử lại" in reply["message"]
    uploads = default_service().uploads
    assert not uploads.is_accepted(key)
    assert uploads.size(key) is not None  # still in quarantine, waiting to be scanned
    assert verify(server, key)[0] == 200


class SwappingScanner:
    """A fake clamd that finds nothing, while the file is uploaded again to the same signed
    target as it scans: the race an attacker would run against verify."""

    def __init__(self, uploads: FilesystemUploads, key: str, content: bytes):
        self.uploads, self.key, self.content = uploads, key, content

    def scan(self, source) -> None:
        source.read()
        with self.uploads.incoming(self.key) as out:
            out.write(self.content)


def racing_service(tmp_path, bundle_path, key: str, first: bytes, again: bytes):
    uploads = FilesystemUploads(tmp_path, secret=b"s" * 32, base_url="http://127.0.0.1")
    with uploads.incoming(key) as out:
        out.write(first)
    service = make_service(
        tmp_path,
        Bundle.load(bundle_path),
        uploads=uploads,
        scanner=SwappingScanner(uploads, key, again),
    )
    return service, uploads


def test_a_pdf_uploaded_again_while_it_is_verified_is_not_accepted(tmp_path, bundle_path):
    key = f"{PROCEDURE}/{SLOT['id']}/{'a' * 20}.pdf"
    hostile = files.pdf() + files.EICAR
    service, uploads = racing_service(tmp_path, bundle_path, key, files.pdf(), hostile)

    with pytest.raises(UploadChangedError):
        service.verify_upload({"key": key})

    assert not uploads.is_accepted(key)
    assert uploads.size(key) is None  # the unverified replacement is deleted


def test_an_image_uploaded_again_while_it_is_verified_gives_way_to_the_verified_one(
    tmp_path, bundle_path
):
    key = f"{PROCEDURE}/{SLOT['id']}/{'a' * 20}.png"
    hostile = files.HOSTILE["png-svg"][1]
    service, uploads = racing_service(tmp_path, bundle_path, key, files.png(), hostile)

    reply = service.verify_upload({"key": key})

    assert uploads.is_accepted(key)
    content = (tmp_path / "accepted" / key).read_bytes()
    assert reply["size"] == len(content) and content != hostile
    assert Image.open(io.BytesIO(content)).size == (64, 48)  # the re-encoded original
