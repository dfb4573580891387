"""The receipt's status address and QR code (no I/O)."""

import re
import xml.etree.ElementTree as ET

import segno

from chalicelib import receipt

SVG = "{http://www.w3.org/2000/svg}"
CODE = "000.00.31.H26-260715-0042"
SECRET = "mfrggzdfmztwq2lknnwg23tp"


def modules(svg: str) -> list[list[bool]]:
    """The dark modules drawn by the SVG's path (segno draws each row's runs as 1-unit strokes),
    quiet zone included, so a test can compare them with the QR code a URL should give."""
    root = ET.fromstring(svg)
    size = int(root.get("viewBox").split()[2])
    grid = [[False] * size for _ in range(size)]
    path = next(p for p in root.iter(SVG + "path") if p.get("stroke"))
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.get("d")):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            for column in range(int(x), int(x + float(a))):
                grid[int(y)][column] = True
            x += float(a)
    return grid


def expected_modules(url: str) -> list[list[bool]]:
    return [[bool(v) for v in row] for row in segno.make(url, error="m").matrix_iter(border=4)]


def test_the_status_address_carries_code_and_secret_in_the_fragment_only():
    url = receipt.status_url("https://dichvucong.example.vn/", CODE, SECRET)
    assert url == f"https://dichvucong.example.vn/tra-cuu/#ma={CODE}&khoa={SECRET}"
    assert SECRET not in url.split("#")[0]


def test_odd_characters_in_a_code_cannot_break_out_of_the_fragment():
    url = receipt.status_url("http://127.0.0.1:8000", "a&khoa=x#y", SECRET)
    assert url.endswith(f"#ma=a%26khoa%3Dx%23y&khoa={SECRET}")


def test_the_qr_code_is_a_self_contained_scalable_svg_with_a_vietnamese_title():
    made = receipt.receipt("http://127.0.0.1:8000", CODE, SECRET)
    svg = made["qr_svg"]
    root = ET.fromstring(svg)  # well-formed XML, no declaration, SVG namespace
    assert root.tag == SVG + "svg" and not svg.startswith("<?xml")
    assert root.get("viewBox") and root.get("width") is None and root.get("height") is None
    assert root.get("role") == "img"
    assert root.find(SVG + "title").text == f"Mã QR tra cứu hồ sơ {CODE}"
    assert "\n" not in svg and len(svg) < 4000
    assert not re.search(r"href|url\(|<image|<script|@import", svg)


def test_the_qr_code_encodes_the_status_address():
    made = receipt.receipt("http://127.0.0.1:8000", CODE, SECRET)
    expected = f"http://127.0.0.1:8000/tra-cuu/#ma={CODE}&khoa={SECRET}"
    assert made["status_url"] == expected
    assert modules(made["qr_svg"]) == expected_modules(expected)
    assert modules(made["qr_svg"]) != expected_modules(expected + "x")
