"""The QR encoder shared by the build's checklists and the API's receipts (chalicelib/qr.py)."""

import segno

from chalicelib import qr

SITE = "https://dichvucong.example.gov.vn/"


def test_qr_codes_are_the_ones_segno_makes_with_its_own_mask_choice() -> None:
    """chalicelib/qr.py picks the data mask faster than segno; the result must not differ."""
    urls = [f"{SITE}thu-tuc/1.{n:06d}/" for n in range(0, 400_000, 1000)]
    urls += [f"{SITE}thu-tuc/{'x' * n}/" for n in range(0, 300, 3)]
    urls += [  # receipts: the status page with a dossier code and its secret in the fragment
        f"{SITE}tra-cuu/#ma=000.00.31.H26-2607{n % 30 + 1:02d}-{n:04d}&khoa={'a2' * (n % 13 + 6)}"
        for n in range(0, 2000, 37)
    ]
    masks = set()
    for url in urls:
        expected, made = segno.make_qr(url, error="m"), qr.make(url)
        assert (made.mask, made.version, made.error) == (
            expected.mask,
            expected.version,
            expected.error,
        ), url
        assert [bytes(r) for r in made.matrix] == [bytes(r) for r in expected.matrix], url
        masks.add(made.mask)
    assert masks == set(range(8))  # every mask was the best one somewhere
