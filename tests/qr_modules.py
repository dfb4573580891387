"""Reading a QR code's modules back from the SVG that chalicelib.qr draws, for the tests."""

import re
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def drawn_modules(svg: str) -> list[list[bool]]:
    """The dark modules drawn by the SVG's stroked path (each row's runs as 1-unit strokes
    through the row's middle), quiet zone included."""
    root = ET.fromstring(svg)
    size = int(root.get("viewBox", "").split()[2])
    grid = [[False] * size for _ in range(size)]
    path = next(p for p in root.iter(SVG + "path") if p.get("stroke"))
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.get("d", "")):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            assert y % 1 == 0.5, "a stroke through the middle of a row"
            for column in range(int(x), int(x + float(a))):
                grid[int(y)][column] = True
            x += float(a)
    return grid


def with_quiet_zone(matrix: tuple[bytes, ...] | list[bytearray], border: int) -> list[list[bool]]:
    """The modules of `matrix` (rows of 0 and 1), surrounded by `border` light ones."""
    size = len(matrix) + 2 * border
    light = [[False] * size for _ in range(border)]
    rows = [[False] * border + [bool(m) for m in row] + [False] * border for row in matrix]
    return light + rows + light
