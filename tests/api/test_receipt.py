"""The receipt's status address and QR code (no I/O)."""

import re
import xml.etree.ElementTree as ET

import segno

from chalicelib import receipt
from tests.qr_modules import SVG, drawn_modules, with_quiet_zone

CODE = "000.00.31.H26-260715-0042"
SECRET = "mfrggzdfmztwq2lknnwg23tp"


def expected_modules(url: str) -> list[list[bool]]:
    return with_quiet_zone(segno.make_qr(url, error="m").matrix, 4)


def test_the_status_address_carries_code_and_secret_in_the_fragment_only():
    url = receipt.status_url("https://dichvucong.example.vn/", CODE, SECRET)
    assert url == f"https://dichvucong.example.vn/tra-cuu/#ma={CODE}&khoa={SECRET}"
    assert SECRET not in url.split("#")[0]


def test_odd_characters_in_a_code_cannot_break_out_of_the_fragment():
    url = receipt.status_url("http://127.0.0.1:8000", "a&khoa=x#y", SECRET)
    assert url.endswith(f"#ma=a%26khoa%3Dx%23y&khoa={SECRET}")


def test_the_receipt_of_a_submission_is_the_status_address_without_its_qr_code():
    made = receipt.receipt("http://127.0.0.1:8000", CODE, SECRET)
    assert made == {"status_url": f"http://127.0.0.1:8000/tra-cuu/#ma={CODE}&khoa={SECRET}"}


def test_the_qr_code_is_a_self_contained_scalable_svg_with_a_vietnamese_title():
    svg = receipt.receipt_qr("http://127.0.0.1:8000", CODE, SECRET)
    root = ET.fromstring(svg)  # well-formed XML, no declaration, SVG namespace
    assert root.tag == SVG + "svg" and not svg.startswith("<?xml")
    assert root.get("viewBox") and root.get("width") is None and root.get("height") is None
    assert root.get("role") == "img"
    assert root.find(SVG + "title").text == f"Mã QR tra cứu hồ sơ {CODE}"
    assert "\n" not in svg and len(svg) < 4000
    assert not re.search(r"href|url\(|<image|<script|@import", svg)


def test_the_qr_code_encodes_the_status_address():
    svg = receipt.receipt_qr("http://127.0.0.1:8000", CODE, SECRET)
    expected = f"http://127.0.0.1:8000/tra-cuu/#ma={CODE}&khoa={SECRET}"
    assert drawn_modules(svg) == expected_modules(expected)
    assert drawn_modules(svg) != expected_modules(expected + "x")
