"""QR codes, one encoder for the build's printable checklists and the API's receipts.

A code is exactly what `segno.make_qr(text, error="m")` makes (tests/test_qr.py compares them
on generated texts of many versions), made about ten times faster. segno still turns the text
into data codewords (its choice of mode, version, error level and padding); everything after
that is done here, because segno does it module by module in pure Python (~3 ms a code, ~70% of
the render CPU of the 10,000-procedure site and most of a submission's CPU):

- error correction: each block's Reed-Solomon remainder is an int of its EC bytes, one XOR of a
  precomputed product per data codeword;
- placement: the interleaved codewords become a string of bits, and one precomputed
  permutation (`operator.itemgetter`) puts every bit at its module;
- mask choice: the matrix is one int, its rows and then its columns, a bit per module, so that
  every mask and every penalty term (ISO/IEC 18004:2015, 7.8.3, scored as segno's
  `mask_scores` does, quirks included) is a few shifts, ANDs and bit counts over the whole
  symbol at once; the first of the lowest scores wins, as in segno;
- SVG: one path of horizontal runs, character for character what segno's SVG writer writes.

Everything that depends only on the version (the layout) or on the version and error level (the
block structure) is computed once per process.
"""

import itertools
import operator
import re
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple, cast
from xml.sax.saxutils import escape, quoteattr

from segno import consts, encoder


class _Group(NamedTuple):  # segno.consts.ECC: blocks of one size in a symbol
    num_blocks: int
    num_total: int  # codewords in a block
    num_data: int  # data codewords in a block


_GROUPS = cast(Mapping[int, Mapping[int, tuple[_Group, ...]]], consts.ECC)
_CAPACITY = cast(Mapping[int, Mapping[int, int]], consts.SYMBOL_CAPACITY)  # data bits
_ERROR = "m"  # the lowest error correction level; segno raises it when that costs no size
_TO_MODULES = bytes.maketrans(b"01", b"\x00\x01")  # digits of a number -> modules
_TO_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


@dataclass(frozen=True, slots=True)
class QRCode:
    version: int  # 1 to 40
    error: str  # error correction level: "L", "M", "Q" or "H"
    mask: int  # data mask pattern, 0 to 7
    matrix: tuple[bytes, ...]  # the rows, top to bottom, one byte a module: 1 dark, 0 light


def make(text: str) -> QRCode:
    """What `segno.make_qr(text, error="m")` makes."""
    version, error, codewords = _data_codewords(text)
    layout, blocks = _layout(version), _blocks(version, error)
    bits = format(int.from_bytes(blocks.message(codewords), "big"), f"0{blocks.bits}b")
    data = int("".join(layout.place(bits.ljust(layout.data_modules + 1, "0"))), 2)
    scores = [layout.penalty(layout.masked(data, mask)) for mask in range(8)]
    mask = scores.index(min(scores))
    rows = layout.masked(data, mask) & layout.rows | _information(version, error, mask)
    modules = format(rows, f"0{layout.width**2}b")[::-1].encode("ascii").translate(_TO_MODULES)
    width = layout.width
    matrix = tuple(modules[i : i + width] for i in range(0, width * width, width))
    return QRCode(version, encoder.get_error_name(error), mask, matrix)


def svg(
    text: str,
    *,
    svgclass: str,
    border: int = 2,
    title: str | None = None,
    light: str | None = None,
    newline: bool = True,
) -> str:
    """The QR code of `text` as an SVG element in the SVG namespace: a viewBox and no size (the
    stylesheet sizes it), a quiet zone of `border` modules, filled with the CSS colour `light`
    if given (else transparent), a <title> if given, the dark modules as one path of 1-unit
    strokes, no XML declaration. Character for character what segno writes with
    `save(kind="svg", xmldecl=False, omitsize=True, lineclass=None, nl=newline, ...)`."""
    code = make(text)
    size = len(code.matrix) + 2 * border
    head = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}"'
    parts = [f"{head} class={quoteattr(svgclass)}>"]
    if title is not None:
        parts.append(f"<title>{escape(title)}</title>")
    if light is not None:
        parts.append(f'<path fill={quoteattr(light)} d="M0 0h{size}v{size}h-{size}z"/>')
    parts.append(f'<path stroke="#000" d="{_path(code.matrix, border)}"/></svg>')
    if newline:
        parts.append("\n")
    return "".join(parts)


def _path(matrix: tuple[bytes, ...], border: int) -> str:
    """Every run of dark modules in a row as a horizontal stroke through the row's middle: an
    absolute move to the first run, then moves relative to the end of the one before. The rows
    are read as one string, each run with the light modules and row ends before it (`_STEPS`):
    a symbol has few kinds of them, so each one's move is formatted once (`_Steps`)."""
    steps = _TO_STEPS.findall(b"\x02".join(matrix))
    if not steps:
        return ""
    light = steps[0].rstrip(b"\x01")
    rows = light.count(b"\x02")  # the rows above the first dark module
    start = border + len(light) - light.rfind(b"\x02") - 1
    first = f"M{start} {border + rows}.5h{len(steps[0]) - len(light)}"
    return first + "".join(map(_steps(len(matrix)).__getitem__, itertools.islice(steps, 1, None)))


_TO_STEPS = re.compile(b"[\x00\x02]*\x01+")  # light modules and row ends (2), then dark ones
_STEPS_KEPT = 1 << 16  # moves kept for a width; a long-lived process (the API) stays bounded


class _Steps(dict[bytes, str]):
    """The move and stroke of a run of dark modules from the end of the one before, by the
    light modules and row ends between them (`_TO_STEPS`), for symbols `width` modules wide:
    made once per kind of step, as formatting costs more than a lookup."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def __missing__(self, step: bytes) -> str:
        light = step.rstrip(b"\x01")
        dark, rows = len(step) - len(light), light.count(b"\x02")
        if rows:  # from the end of the last run of a row above: its light modules after it,
            after, before = light.find(b"\x02"), len(light) - light.rfind(b"\x02") - 1
            move = f"m{before + after - self.width} {rows}h{dark}"  # and those before this one
        else:
            move = f"m{len(light)} 0h{dark}"
        if len(self) >= _STEPS_KEPT:
            self.clear()
        self[step] = move
        return move


@cache
def _steps(width: int) -> _Steps:
    return _Steps(width)


def _data_codewords(text: str) -> tuple[int, int, bytes]:
    """segno's encoding of `text` up to the data codewords (`segno.encoder._encode` before the
    final message): its version, its (possibly raised) error level, the codewords."""
    segments = _segments(text)
    error = encoder.normalize_errorlevel(_ERROR)
    version = encoder.find_version(segments, error, eci=False, micro=False)
    error = encoder.boost_error_level(version, error, segments, False)
    buffer = encoder.Buffer()
    for segment in segments:
        encoder.write_segment(buffer, segment, None, encoder.version_range(version), False)
    capacity = _CAPACITY[version][error]
    encoder.write_terminator(buffer, capacity, None, len(buffer))
    encoder.write_padding_bits(buffer, version, len(buffer))
    encoder.write_pad_codewords(buffer, version, capacity, len(buffer))
    bits = bytes(buffer.getbits())
    bits += bytes(-len(bits) % 8)  # as Buffer.toints: a last partial codeword padded with 0s
    number = int(bits.translate(_TO_DIGITS), 2)
    return version, error, number.to_bytes(len(bits) // 8, "big")


def _segments(text: str) -> "encoder.Segments":
    """`segno.encoder.prepare_data(text, None, None)`. A text segno puts in byte mode (a URL,
    a dossier's receipt) has its bits made here at once: segno appends them one at a time
    (~40 % of making a code)."""
    try:
        data = text.encode(consts.DEFAULT_BYTE_ENCODING)
    except UnicodeError:
        data = b""
    if not data or encoder.find_mode(data) != consts.MODE_BYTE:
        return cast(encoder.Segments, encoder.prepare_data(text, None, None))
    bits = format(int.from_bytes(data, "big"), f"0{8 * len(data)}b").encode("ascii")
    segments = encoder.Segments()
    segment = encoder._Segment(  # segno's own record of a segment
        bytearray(bits.translate(_TO_MODULES)),
        len(data),
        consts.MODE_BYTE,
        consts.DEFAULT_BYTE_ENCODING,
    )
    segments.add_segment(segment)
    return segments


class _Blocks:
    """The block structure of one version and error level (ISO/IEC 18004:2015, 7.5 and 7.6):
    the data codewords cut into blocks, each followed by its error correction codewords, and
    then both interleaved into the final message, as segno's make_final_message does."""

    def __init__(self, version: int, error: int) -> None:
        self.sizes: list[tuple[int, int]] = []  # per block: data codewords, EC codewords
        for group in _GROUPS[version][error]:
            size = (group.num_data, group.num_total - group.num_data)
            self.sizes += [size] * group.num_blocks
        data, ec = [d for d, _ in self.sizes], [e for _, e in self.sizes]
        # in the data blocks and then the EC blocks, all concatenated: each place of every data
        # block in turn, then each place of every EC block in turn
        data_starts = itertools.accumulate(data[:-1], initial=0)
        ec_starts = itertools.accumulate(ec[:-1], initial=sum(data))
        order = _interleaved(list(zip(data_starts, data, strict=True)))
        order += _interleaved(list(zip(ec_starts, ec, strict=True)))
        self._interleave = operator.itemgetter(*order)
        self.bits = 8 * len(order)

    def message(self, codewords: bytes) -> bytes:
        """The final message (without remainder bits) for a symbol's data codewords."""
        data, ec, start = [], [], 0
        for size, ec_size in self.sizes:
            block = codewords[start : start + size]
            data.append(block)
            ec.append(_remainder(block, ec_size))
            start += size
        return bytes(self._interleave(b"".join(data + ec)))


def _interleaved(blocks: list[tuple[int, int]]) -> list[int]:
    """The indexes of the codewords of `blocks` (start, length) taken a place at a time."""
    return [start + k for k in range(max(n for _, n in blocks)) for start, n in blocks if k < n]


def _remainder(block: bytes, size: int) -> bytes:
    """The `size` error correction codewords of a data block: the remainder of its polynomial
    divided by the generator polynomial of that degree, in GF(256)."""
    products = _products(size)
    top, mask = 8 * (size - 1), (1 << 8 * size) - 1
    remainder = 0
    for codeword in block:
        remainder = (remainder << 8) & mask ^ products[codeword ^ remainder >> top]
    return remainder.to_bytes(size, "big")


@cache
def _products(size: int) -> list[int]:
    """The generator polynomial of degree `size` times every codeword, as ints of `size` bytes
    (without the leading term, which the division cancels)."""
    log, exp, generator = consts.GALIOS_LOG, consts.GALIOS_EXP, consts.GEN_POLY[size]
    return [0] + [
        int.from_bytes(bytes(exp[log[c] + g] for g in generator), "big") for c in range(1, 256)
    ]


@cache
def _blocks(version: int, error: int) -> _Blocks:
    return _Blocks(version, error)


class _Layout:
    """A symbol of one version as ints over its 2 x width lines: the rows top to bottom, then
    the columns left to right. Module j of line n is bit n * width + j, so a shift by one is a
    step along the lines and a shift by `width` a step to the next line."""

    def __init__(self, version: int) -> None:
        width = self.width = version * 4 + 17
        function = encoder.make_matrix(width, width)  # format and version areas stay 0
        encoder.add_finder_patterns(function, width, width)
        encoder.add_alignment_patterns(function, width, width)
        placed = {position: n for n, position in enumerate(_placement(function))}
        raster = [
            divmod(p, width) if p < width * width else divmod(p - width * width, width)[::-1]
            for p in range(2 * width * width)
        ]  # bit -> (row, column) of its module
        self.data_modules = len(placed)
        self.place = operator.itemgetter(
            *(placed.get((i, j), len(placed)) for i, j in reversed(raster))
        )  # the data modules' bits, then a 0 for the others -> every bit, the highest first

        def number(dark: Container[tuple[int, int]]) -> int:  # the symbol with these modules
            return int("".join("1" if m in dark else "0" for m in reversed(raster)), 2)

        def lines(positions: Iterable[int]) -> int:  # these modules of every line
            line = sum(1 << j for j in positions)
            return sum(line << n * width for n in range(2 * width))

        self.fixed = number({(i, j) for i, j in raster[: width * width] if function[i][j] == 1})
        self.patterns = [
            number({(i, j) for i, j in placed if mask(i, j)})
            for mask in encoder.get_data_mask_functions(False)
        ]
        self.all = (1 << 2 * width * width) - 1
        self.rows = (1 << width * width) - 1
        self.blocks = (1 << width * (width - 1)) - 1  # rows with a row below
        self.next_same = lines(range(width - 1))  # modules with a next one in their line
        self.starts = lines(range(width - 6))  # where 7 modules fit
        self.ends = lines((0, width - 7))
        self.before = [lines(range(k)) for k in range(1, 5)]  # no module k before
        self.after = [lines(range(width - k, width)) for k in range(7, 11)]  # none k after

    def masked(self, data: int, mask: int) -> int:
        """The symbol as segno scores it with data mask `mask` (format and version areas 0)."""
        return self.fixed | data ^ self.patterns[mask]

    def penalty(self, x: int) -> int:
        """segno.encoder.mask_scores, summed, for the symbol `x` (rows, then columns)."""
        width = self.width
        same = ~(x ^ x >> 1) & self.next_same  # a module of the colour of the next one
        # N1: a run of 5 + i modules of one colour scores 3 + i; `five` marks each module that
        # starts 5 of one colour, so a run of 5 + i has 1 + i of them, in a row of their own.
        five = same & same >> 1 & same >> 2 & same >> 3
        n1 = five.bit_count() + 2 * (five & ~(five << 1)).bit_count()
        # N2: 3 per 2 x 2 block of one colour (the rows alone: the columns hold the same blocks)
        n2 = 3 * (same & same >> width & ~(x ^ x >> width) & self.blocks).bit_count()
        dark = (x & self.rows).bit_count()
        n4 = 10 * int(abs(float(dark) / (width**2) * 100 - 50) / 5)
        return n1 + n2 + self._finder_like(x) + n4

    def _finder_like(self, x: int) -> int:
        """N3 as segno's n3_pattern_occurrences counts it: 40 per dark-light-dark x3-light-dark
        found at either end of a line, or with every module up to 4 before it, or up to 4 after it,
        light. segno searches on 7 modules after one it counts, and 4 after one it does not,
        so of two that overlap the second is then not seen."""
        light = x ^ self.all
        found = x & light >> 1 & x >> 2 & x >> 3 & x >> 4 & light >> 5 & x >> 6 & self.starts
        if not found:
            return 0
        before, after = found, found
        for k, edge in enumerate(self.before, 1):
            before &= light << k | edge
        for k, edge in enumerate(self.after, 7):
            after &= light >> k | edge
        counted = found & (self.ends | before | after)
        # Two can overlap only 4 or 6 modules apart; the others are all seen.
        chained = found & (found << 4 | found << 6 | found >> 4 | found >> 6)
        score = 40 * (counted & ~chained).bit_count()
        if counted & chained:  # walk through them as segno does
            found_at = format(chained, "b")[::-1]  # digit p: bit p
            counted_at = format(counted & chained, f"0{len(found_at)}b")[::-1]
            p = found_at.find("1")
            while p != -1:
                if counted_at[p] == "1":
                    score += 40
                    p += 6
                p = found_at.find("1", p + 1)
        return score


def _placement(function: tuple[bytearray, ...]) -> Iterator[tuple[int, int]]:
    """The data modules (value 2 in `function`) in the order codewords fill them: two columns
    at a time from the right, up and down in turn, the timing column skipped (segno's
    add_codewords, ISO/IEC 18004:2015, 7.7.3)."""
    size = len(function)
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vertical in range(size):
            for j in (right, right - 1):
                upwards = (right & 2 == 0) ^ (j < 6)
                i = size - 1 - vertical if upwards else vertical
                if function[i][j] == 0x2:
                    yield i, j


@cache
def _layout(version: int) -> _Layout:
    return _Layout(version)


@cache
def _information(version: int, error: int, mask: int) -> int:
    """The format information (with the dark module) and version information, as rows."""
    width = version * 4 + 17
    matrix = tuple(bytearray(width) for _ in range(width))
    encoder.add_format_info(matrix, version, error, mask)
    encoder.add_version_info(matrix, version)
    return int(b"".join(matrix).translate(_TO_DIGITS)[::-1], 2)
