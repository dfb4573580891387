"""chalicelib.filecheck: what a PDF, JPEG or PNG must be to be accepted (no I/O but memory)."""

import io

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript

from chalicelib import filecheck
from chalicelib.filecheck import UnsafeFileError

from . import files


def check(kind: str, content: bytes) -> bytes | None:
    return filecheck.check(kind, io.BytesIO(content))


def refusal(kind: str, content: bytes) -> str:
    with pytest.raises(UnsafeFileError) as refused:
        check(kind, content)
    return str(refused.value)


def written(build) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_genuine_pdf_is_kept_as_it_is():
    assert check("pdf", files.pdf(pages=3)) is None


def test_a_pdf_whose_openaction_only_shows_its_first_page_is_accepted():
    assert check("pdf", files.pdf_with_catalog_entry(b"/OpenAction [3 0 R /Fit]")) is None


@pytest.mark.parametrize(
    ("entry", "extra", "named"),
    [
        (b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>", (), "JavaScript"),
        # A name written with #xx escapes is the same name.
        (b"/OpenAction << /S /J#61vaScript /JS 4 0 R >>", (b"(app.alert\\(1\\))",), "JavaScript"),
        (b"/Names << /JavaScript << /Names [(a) 4 0 R] >> >>", (b"<< /S /JavaScript >>",), "Java"),
        (b"/OpenAction << /S /Launch /F (cmd.exe) >>", (), "Launch"),
        (b"/AA << /WC << /S /Launch /F (x.exe) >> >>", (), "Launch"),
        (
            b"/Names << /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >>",
            (b"<< /Type /Filespec /F (a.exe) >>",),
            "tệp đính kèm",
        ),
        (b"/AcroForm << /Fields [] /XFA 4 0 R >>", (b"[(template) 5 0 R]", b"(x)"), "XFA"),
        (b"/PageMode /UseNone /Extra 4 0 R", (b"<< /Subtype /RichMedia >>",), "RichMedia"),
    ],
)
def test_a_pdf_with_active_content_is_refused_naming_it(entry, extra, named):
    message = refusal("pdf", files.pdf_with_catalog_entry(entry, *extra))

    assert message.startswith("Tệp PDF chứa") and named in message


def test_active_content_inside_a_compressed_object_stream_is_found():
    def attach(writer: PdfWriter) -> None:
        writer.add_attachment("chay.exe", b"MZ")
        writer.compress_identical_objects()

    assert "tệp đính kèm" in refusal("pdf", written(attach))


def test_a_pdf_with_a_javascript_open_action_from_pypdf_is_refused():
    def javascript(writer: PdfWriter) -> None:
        writer.add_open_action(JavaScript("app.alert(1)"))  # pypdf's own way to add one

    assert "JavaScript" in refusal("pdf", written(javascript))


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4\n<html><script>alert(1)</script></html>",
        b"%PDF-",
        files.pdf()[:-200],  # cut short
        files.raw_pdf(
            b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"
        ),
    ],
    ids=["html", "magic-only", "truncated", "no-page"],
)
def test_a_pdf_that_does_not_parse_or_has_no_page_is_refused(content):
    assert refusal("pdf", content).startswith("Tệp PDF")


def test_a_pdf_with_more_pages_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(filecheck, "MAX_PDF_PAGES", 2)

    assert "quá nhiều trang" in refusal("pdf", files.pdf(pages=3))


def test_a_pdf_with_more_objects_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(filecheck, "MAX_PDF_OBJECTS", 3)

    assert "quá phức tạp" in refusal("pdf", files.pdf(pages=3))


def test_a_pdf_nested_deeper_than_the_limit_is_refused():
    deep = b"[" * (filecheck.MAX_PDF_DEPTH + 5) + b"]" * (filecheck.MAX_PDF_DEPTH + 5)

    assert refusal("pdf", files.pdf_with_catalog_entry(b"/Deep " + deep)).startswith("Tệp PDF")


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_an_image_is_re_encoded_with_the_same_pixels(kind):
    original = files.png(size=(40, 30)) if kind == "png" else files.jpeg(size=(40, 30))

    cleaned = check(kind, original)

    assert cleaned is not None
    image = Image.open(io.BytesIO(cleaned))
    assert image.format == {"jpeg": "JPEG", "png": "PNG"}[kind]
    assert image.size == (40, 30)


def test_a_photo_loses_its_exif_gps_and_camera_but_keeps_its_orientation():
    photo = files.jpeg(size=(40, 30), gps=True, orientation=6)  # taken with the phone turned

    cleaned = check("jpeg", photo)

    image = Image.open(io.BytesIO(cleaned))
    assert dict(image.getexif()) == {}
    assert image.size == (30, 40)  # turned upright, since no EXIF says to turn it any more


def test_a_png_keeps_its_transparent_colour_but_not_its_text_chunks():
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Comment", "Vị trí: 20.85, 106.68")
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, "PNG", transparency=(1, 2, 3), pnginfo=text)

    cleaned = check("png", out.getvalue())

    image = Image.open(io.BytesIO(cleaned))
    assert image.info.get("transparency") == (1, 2, 3)
    assert "Comment" not in image.info and b"Comment" not in cleaned


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("png", b"\x89PNG\r\n\x1a\n<svg onload='alert(1)'/>"),
        ("jpeg", b"\xff\xd8\xff\xe0" + files.zip_archive()),
        ("jpeg", files.jpeg()[:-100]),  # cut short
        ("png", files.png()[:-30]),
        ("png", files.jpeg()),  # another kind than declared
    ],
    ids=["png-svg", "jpeg-zip", "jpeg-truncated", "png-truncated", "jpeg-as-png"],
)
def test_an_image_that_does_not_decode_is_refused(kind, content):
    assert "bị hỏng" in refusal(kind, content)


def test_a_jpeg_with_a_zip_appended_is_accepted_without_it():
    cleaned = check("jpeg", files.jpeg() + files.zip_archive())

    assert cleaned is not None and b"PK\x03\x04" not in cleaned


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    assert "Ảnh quá lớn" in refusal("png", files.png_bomb())


def test_an_image_over_the_pixel_limit_is_refused(monkeypatch):
    monkeypatch.setattr(filecheck, "MAX_IMAGE_PIXELS", 100)

    assert "Ảnh quá lớn" in refusal("png", files.png(size=(20, 20)))
