"""QR codes, one encoder for the build's printable checklists and the API's receipts: segno's
encoder with a faster choice of data mask.

segno is pure Python and spends ~80% of a QR code's time choosing the mask: it applies each of
the 8 masks module by module and scores each result (ISO/IEC 18004:2015, 7.8.3). At 10,000
checklists that was ~10 s of a 2-core full build; in the API, most of a submission's CPU (the
receipt's QR code). Here segno encodes the URL once with mask 0; undoing that mask gives the
data modules, and every mask is then applied and scored a whole row at a time: a row is an int
with one byte per module (0 or 1), so XOR and AND act on every module at once, runs are found by
a regular expression and the finder-like pattern by bytes.find. The score is segno's, term by
term (`mask_scores`), so the chosen mask and the final matrix are exactly those of
`segno.make_qr(url, error="m")`; tests/test_qr.py compares the two on many URLs.
"""

import io
import itertools
import re
from collections.abc import Iterable
from functools import cache

import segno
from segno import consts, encoder

_RUN = re.compile(rb"\x00{5,}|\x01{5,}")  # penalty N1: 5 or more modules of one colour
_FINDER_LIKE = b"\x01\x00\x01\x01\x01\x00\x01"  # penalty N3: dark-light-dark x3-light-dark


def svg(url: str, *, svgclass: str) -> str:
    """The QR code of `url` as SVG text: a viewBox and no size (the stylesheet sizes it), a
    2-module quiet zone, one path, no XML declaration."""
    code = make(url)
    buffer = io.BytesIO()
    code.save(
        buffer,
        kind="svg",
        xmldecl=False,
        border=2,
        svgclass=svgclass,
        lineclass=None,
        omitsize=True,
    )
    return buffer.getvalue().decode("ascii")


def make(url: str) -> segno.QRCode:
    """What `segno.make_qr(url, error="m")` returns, made ~3 times faster."""
    code = segno.make_qr(url, error="m", mask=0)
    width = len(code.matrix)
    layout = _layout(width)
    rows = [int.from_bytes(row, "big") for row in code.matrix]
    data = [
        (row ^ p) & r for row, p, r in zip(rows, layout.patterns[0], layout.region, strict=True)
    ]
    scores = [_penalty(layout.masked(data, k), width) for k in range(len(layout.patterns))]
    best = scores.index(min(scores))  # the first of equal scores, as segno
    if best:
        masked = layout.masked(data, best)
        for row, old, new, region in zip(code.matrix, rows, masked, layout.region, strict=True):
            row[:] = ((old & ~region) | (new & region)).to_bytes(width, "big")
        encoder.add_format_info(code.matrix, code.version, consts.ERROR_MAPPING[code.error], best)
        code.mask = best
    return code


class _Layout:
    """Per row of a QR code of one size, as byte-per-module ints: the encoding region (1 where
    data modules go), each mask's pattern within it, and the function modules around it as
    they are when segno scores the masks (format and version areas still 0)."""

    def __init__(self, width: int) -> None:
        function = encoder.make_matrix(width, width)
        encoder.add_finder_patterns(function, width, width)
        encoder.add_alignment_patterns(function, width, width)

        def number(values: Iterable[int]) -> int:
            return int.from_bytes(bytes(values), "big")

        self.region = [number(int(v == 0x2) for v in row) for row in function]
        self.fixed = [number(0 if v == 0x2 else v for v in row) for row in function]
        self.patterns = [
            [
                number(int(row[j] == 0x2 and bool(mask(i, j))) for j in range(width))
                for i, row in enumerate(function)
            ]
            for mask in encoder.get_data_mask_functions(False)
        ]

    def masked(self, data: list[int], k: int) -> list[int]:
        """The matrix segno scores for mask `k`."""
        pattern = self.patterns[k]
        return [f | (d ^ p) for f, d, p in zip(self.fixed, data, pattern, strict=True)]


@cache
def _layout(width: int) -> _Layout:
    return _Layout(width)


def _penalty(rows: list[int], size: int) -> int:
    """segno.encoder.mask_scores, summed: N1 runs, N2 2x2 blocks, N3 finder-like patterns, N4
    dark proportion (ISO/IEC 18004:2015, table 11). Rows and columns are scanned as one bytes
    object, each line followed by a 2, which no run or pattern crosses."""
    lines = [row.to_bytes(size, "big") for row in rows]
    text = b"\x02".join(lines + [bytes(column) for column in zip(*lines, strict=True)])
    runs = _RUN.findall(text)
    n1 = sum(map(len, runs)) - 2 * len(runs)
    ones = int.from_bytes(b"\x01" * size, "big")
    not_first = int.from_bytes(b"\x00" + b"\x01" * (size - 1), "big")
    n2 = 0
    for above, row in itertools.pairwise(rows):
        same_column = ones ^ (above ^ row)  # module j equal in both rows
        same_row = ones ^ (row ^ (row >> 8))  # module j equal to module j - 1
        n2 += 3 * (same_column & (same_column >> 8) & same_row & not_first).bit_count()
    n3 = _finder_like(text, size)
    dark = sum(row.bit_count() for row in rows)
    n4 = 10 * int(abs(float(dark) / (size**2) * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


def _finder_like(text: bytes, size: int) -> int:
    """segno's n3_pattern_occurrences over every line of `text` (lines of `size` modules, each
    followed by a separator): 40 per dark-light-dark x3-light-dark pattern with 4 light modules
    on one side, or at either end of its line."""
    count = 0
    index = text.find(_FINDER_LIKE)
    while index != -1:
        position = index % (size + 1)  # within its line
        start = index - position
        after = index + 7
        if (
            position in (0, size - 7)
            or b"\x01" not in text[start + max(position - 4, 0) : index]
            or b"\x01" not in text[after : start + min(position + 11, size)]
        ):
            count += 40
        else:
            after = index + 4
        index = text.find(_FINDER_LIKE, after)
    return count
