"""The QR encoder shared by the build's checklists and the API's receipts (chalicelib/qr.py):
the codes segno makes, drawn as segno's SVG writer draws them."""

import io
import random
import string

import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from segno import consts

from chalicelib import qr
from tests.qr_modules import drawn_modules, with_quiet_zone

SITE = "https://dichvucong.example.gov.vn/"
ALPHANUMERIC = string.digits + string.ascii_uppercase + " $%*+-./:"  # segno's alphanumeric mode

TEXTS = st.one_of(
    st.text(alphabet=string.digits, max_size=800),  # numeric mode
    st.text(alphabet=ALPHANUMERIC, max_size=500),  # alphanumeric mode
    st.builds(  # receipts: the status page with a dossier code and its secret in the fragment
        "{}tra-cuu/#ma={}&khoa={}".format,
        st.sampled_from([SITE, "http://127.0.0.1:8000/"]),
        st.from_regex(r"[a-z0-9.\-]{1,40}", fullmatch=True),
        st.text(alphabet=string.ascii_lowercase + string.digits, min_size=16, max_size=40),
    ),
    st.text(max_size=300),  # anything: bytes in Latin-1 or UTF-8, or Kanji
)


def assert_same_code(made: qr.QRCode, expected: segno.QRCode, text: str) -> None:
    assert (made.version, made.error, made.mask) == (
        expected.version,
        expected.error,
        expected.mask,
    ), text
    assert list(made.matrix) == [bytes(row) for row in expected.matrix], text


def segno_svg(code: segno.QRCode, **options: object) -> str:
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", xmldecl=False, omitsize=True, lineclass=None, **options)
    return buffer.getvalue().decode("utf-8")


def test_qr_codes_are_the_ones_segno_makes_with_its_own_mask_choice() -> None:
    """chalicelib/qr.py does segno's work its own way; the result must not differ."""
    urls = [f"{SITE}thu-tuc/1.{n:06d}/" for n in range(0, 400_000, 1000)]
    urls += [f"{SITE}thu-tuc/{'x' * n}/" for n in range(0, 300, 3)]
    urls += [  # receipts: the status page with a dossier code and its secret in the fragment
        f"{SITE}tra-cuu/#ma=000.00.31.H26-2607{n % 30 + 1:02d}-{n:04d}&khoa={'a2' * (n % 13 + 6)}"
        for n in range(0, 2000, 37)
    ]
    masks = set()
    for url in urls:
        made = qr.make(url)
        assert_same_code(made, segno.make_qr(url, error="m"), url)
        masks.add(made.mask)
    assert masks == set(range(8))  # every mask was the best one somewhere


def test_every_version_is_the_one_segno_makes() -> None:
    """The longest text of each version, 1 to 40 (byte mode at level M)."""
    for version in range(1, 41):
        overhead = 4 + (8 if version < 10 else 16)  # mode indicator, character count
        length = (consts.SYMBOL_CAPACITY[version][consts.ERROR_LEVEL_M] - overhead) // 8
        text = "".join(random.Random(version).choices(string.ascii_lowercase + "/:.", k=length))
        made = qr.make(text)
        assert made.version == version
        assert_same_code(made, segno.make_qr(text, error="m"), text)


@settings(max_examples=60, deadline=None)  # segno takes up to ~50 ms a code
@given(TEXTS)
def test_any_text_gives_segno_code_and_svg(text: str) -> None:
    made, expected = qr.make(text), segno.make_qr(text, error="m")
    assert_same_code(made, expected, text)
    checklist = qr.svg(text, svgclass="tthc-qr")
    assert checklist == segno_svg(expected, border=2, svgclass="tthc-qr")
    receipt = qr.svg(text, svgclass="c", border=4, title="Mã <QR> & tra cứu", light="#fff")
    assert receipt == segno_svg(
        expected, border=4, svgclass="c", title="Mã <QR> & tra cứu", light="#fff"
    )
    assert qr.svg(text, svgclass="c", newline=False) == checklist.replace("tthc-qr", "c")[:-1]


@settings(max_examples=30, deadline=None)
@given(TEXTS, st.integers(min_value=0, max_value=6))
def test_the_svg_path_draws_exactly_the_dark_modules(text: str, border: int) -> None:
    made = qr.make(text)
    svg = qr.svg(text, svgclass="tthc-qr", border=border)
    assert drawn_modules(svg) == with_quiet_zone(made.matrix, border)


def test_the_svg_is_segnos_while_the_moves_kept_are_bounded(monkeypatch) -> None:
    """The moves of a width are kept up to a bound (the API makes codes for as long as it
    runs); emptied when it is reached, they are made again, the same."""
    monkeypatch.setattr(qr, "_STEPS_KEPT", 40)
    qr._steps.cache_clear()  # another test of this process may have kept more under the default
    urls = [f"{SITE}thu-tuc/1.{n:06d}/" for n in range(0, 400_000, 5000)]
    urls += [f"{SITE}tra-cuu/#ma=000.00.31.H26-2607{n:02d}-{n:04d}&khoa=a2b3" for n in range(30)]
    for url in urls:
        made = qr.make(url)
        assert qr.svg(url, svgclass="q") == segno_svg(
            segno.make_qr(url, error="m"), border=2, svgclass="q"
        )
        assert len(qr._steps(len(made.matrix))) <= 40
