"""What an uploaded file must be beyond its first bytes: a whole, harmless file of its kind.

A PDF is parsed to its last object (pypdf) and refused when it does not parse or carries active
content: JavaScript, launch actions, embedded files, RichMedia (Flash, 3D) or an XFA form; an
/OpenAction or /AA that runs one of them names it, so it is refused too. A JPEG or PNG is decoded
to its last pixel (Pillow) and written again without its metadata (the EXIF GPS position of a
phone photo is personal data): the re-encoded file is the one accepted.

The work is bounded: at most MAX_PDF_PAGES pages and MAX_PDF_OBJECTS objects, at most
MAX_IMAGE_PIXELS pixels (a decompression bomb is refused before it is decoded). Every problem is
an UnsafeFileError with a Vietnamese message; `Service.verify_upload` turns it into a 422.
"""

import io
from typing import IO, Any

from PIL import Image, ImageOps
from PIL.JpegImagePlugin import JpegImageFile, get_sampling
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

MAX_PDF_PAGES = 1000
MAX_PDF_OBJECTS = 100_000
MAX_PDF_DEPTH = 64  # nesting of arrays and dictionaries inside one object
# 50 megapixels: a phone's full-resolution photo (8160 × 6120) decodes to 150 MB of RGB.
MAX_IMAGE_PIXELS = 50_000_000
# Pillow raises DecompressionBombError itself above twice its limit, before decoding.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
# Names that make a PDF run or carry something: as a dictionary key or as a value (/S /Launch).
ACTIVE_PDF_NAMES = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/Launch": "lệnh chạy chương trình (Launch)",
    "/EmbeddedFiles": "tệp đính kèm bên trong",
    "/EmbeddedFile": "tệp đính kèm bên trong",
    "/RichMedia": "nội dung đa phương tiện (RichMedia)",
    "/XFA": "biểu mẫu XFA",
}
PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG"}


class UnsafeFileError(ValueError):
    """The file is not a whole, harmless file of its declared kind; the message says why."""


def check(kind: str, source: IO[bytes]) -> bytes | None:
    """Checks a seekable file of `kind` (forms.FILE_TYPES); returns the content to store
    instead (a re-encoded image), or None to keep the file as it is (a PDF)."""
    if kind == "pdf":
        check_pdf(source)
        return None
    return clean_image(kind, source)


def check_pdf(source: IO[bytes]) -> None:
    try:
        reader = PdfReader(source, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsafeFileError("Tệp PDF có mật khẩu: hãy gửi bản không đặt mật khẩu.")
        pages = len(reader.pages)
        references = _references(reader)
        found = None
        for reference in references:
            found = found or _active_content(reference.get_object())
    except UnsafeFileError:
        raise
    except Exception as error:  # any failure to parse hostile input is a refusal, never a 500
        raise UnsafeFileError("Tệp PDF bị hỏng hoặc không đọc được.") from error
    if pages < 1:
        raise UnsafeFileError("Tệp PDF không có trang nào.")
    if pages > MAX_PDF_PAGES:
        raise UnsafeFileError(f"Tệp PDF quá nhiều trang (tối đa {MAX_PDF_PAGES}).")
    if found:
        raise UnsafeFileError(f"Tệp PDF chứa {found}, không được nhận. Hãy in lại ra PDF thường.")


def _references(reader: PdfReader) -> list[IndirectObject]:
    """Every object the file's cross-reference tables list (object streams included)."""
    tables = reader.xref.items()
    numbers = {(number, generation) for generation, table in tables for number in table}
    numbers |= {(number, 0) for number in reader.xref_objStm}
    if len(numbers) > MAX_PDF_OBJECTS:
        raise UnsafeFileError(f"Tệp PDF quá phức tạp (hơn {MAX_PDF_OBJECTS} đối tượng).")
    return [IndirectObject(number, generation, reader) for number, generation in sorted(numbers)]


def _active_content(root: Any) -> str | None:
    """What active content one object names, walking its direct arrays and dictionaries (other
    indirect objects are walked on their own)."""
    stack = [(root, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_PDF_DEPTH:
            raise UnsafeFileError("Tệp PDF lồng quá sâu.")
        if isinstance(value, NameObject) and value in ACTIVE_PDF_NAMES:
            return ACTIVE_PDF_NAMES[value]
        if isinstance(value, DictionaryObject):
            for key, item in value.items():
                if key in ACTIVE_PDF_NAMES:
                    return ACTIVE_PDF_NAMES[key]
                stack.append((item, depth + 1))
        elif isinstance(value, ArrayObject):
            stack.extend((item, depth + 1) for item in value)
    return None


def clean_image(kind: str, source: IO[bytes]) -> bytes:
    """The image decoded in full and written again: pixels, orientation and colour profile kept,
    EXIF (GPS, camera, time), XMP and text chunks dropped."""
    name = PIL_FORMATS[kind]
    try:
        with Image.open(source, formats=[name]) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise UnsafeFileError(_too_large())
            image.load()
            options = _jpeg_options(image) if name == "JPEG" else {}
            if icc_profile := image.info.get("icc_profile"):
                options["icc_profile"] = icc_profile
            # The photo as the phone showed it: always a new image, the upload's stays untouched.
            clean = ImageOps.exif_transpose(image)
            # Only what drawing needs: a PNG's transparent colour; no EXIF, XMP or text chunks.
            clean.info = {k: v for k, v in image.info.items() if k == "transparency"}
            out = io.BytesIO()
            clean.save(out, name, **options)
    except UnsafeFileError:
        raise
    except Image.DecompressionBombError as error:
        raise UnsafeFileError(_too_large()) from error
    except Exception as error:  # any failure to decode hostile input is a refusal, never a 500
        raise UnsafeFileError(f"Tệp ảnh {kind.upper()} bị hỏng hoặc không đọc được.") from error
    return out.getvalue()


def _jpeg_options(image: Image.Image) -> dict[str, Any]:
    """The source's own quantization tables and chroma subsampling: the new JPEG looks the same
    and weighs about the same as the one uploaded."""
    if not (isinstance(image, JpegImageFile) and image.quantization):
        return {"quality": 90}
    # No "quality" with them: Pillow would scale the tables by it.
    options: dict[str, Any] = {"qtables": image.quantization}
    if (sampling := get_sampling(image)) >= 0:
        options["subsampling"] = sampling
    return options


def _too_large() -> str:
    return f"Ảnh quá lớn (tối đa {MAX_IMAGE_PIXELS // 1_000_000} triệu điểm ảnh)."
