"""Files for upload tests: genuine PDFs, JPEGs and PNGs, and the hostile ones of issue 15's table
(`%PDF-` + HTML, a PDF whose OpenAction runs JavaScript, `%PDF-` + the EICAR test string, PNG
magic + SVG, JPEG magic + a ZIP) with their relatives (launch actions, embedded files, XFA,
decompression bombs).

The EICAR test string is assembled here, never stored whole, so that no scanner on a developer's
machine quarantines this file.
"""

import io
import struct
import zipfile
import zlib

from PIL import Image
from pypdf import PdfWriter

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
GPS_IFD = 0x8825


def pdf(*, pages: int = 1, text: str = "Giấy tờ thử") -> bytes:
    """A genuine PDF of blank A4 pages (pypdf's writer), with `text` in its metadata."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def raw_pdf(*objects: bytes) -> bytes:
    """A well-formed PDF written by hand: `objects` are the bodies of objects 1, 2, ...; object 1
    must be the catalog. Lets a test write a name as an attacker would (`/J#61vaScript`)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def pdf_with_catalog_entry(entry: bytes, *extra: bytes) -> bytes:
    """A one-page PDF whose catalog also holds `entry` (objects 4, 5, ... are `extra`)."""
    return raw_pdf(b"<< /Type /Catalog /Pages 2 0 R " + entry + b" >>", PAGES, PAGE, *extra)


def png(*, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "#3366cc" if mode == "RGB" else 128).save(out, "PNG")
    return out.getvalue()


def jpeg(*, size: tuple[int, int] = (64, 48), gps: bool = False, orientation: int = 1) -> bytes:
    """A genuine JPEG; with `gps`, an EXIF GPS position as a phone writes it."""
    image = Image.new("RGB", size, "#cc6633")
    exif = Image.Exif()
    exif[0x010F] = "Điện thoại thử"  # Make
    if orientation != 1:
        exif[0x0112] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (20.0, 51.0, 30.0), 3: "E", 4: (106.0, 41.0, 15.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


def png_bomb(*, side: int = 100_000) -> bytes:
    """A PNG whose header declares side × side pixels: a few hundred bytes that would decode to
    gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * (side * 3 + 1) * 4)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("chay-toi.js", "WScript.Echo('x')")
    return out.getvalue()


# Issue 15's table: what got through when only the first bytes were checked.
HOSTILE = {
    "pdf-html": (
        "pdf",
        b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n",
    ),
    "pdf-javascript-openaction": (
        "pdf",
        pdf_with_catalog_entry(b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>"),
    ),
    "pdf-eicar": ("pdf", b"%PDF-1.4\n" + EICAR + b"\n"),
    "png-svg": (
        "png",
        b"\x89PNG\r\n\x1a\n<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    ),
    "jpeg-zip": ("jpeg", b"\xff\xd8\xff\xe0" + zip_archive()),
}
