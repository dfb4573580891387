"""The site's web font: Noto Sans (variable weight), cut down to what the pages use.

The woff2 files come from the npm package pinned in package-lock.json
(@fontsource-variable/noto-sans), installed by `npm ci` into node_modules/. `copy_fonts(dest)`
cuts fontsource's Vietnamese and Latin subsets down with fontTools and writes them into the built
site under names that carry a hash of their bytes, so the server may let browsers keep them for a
year, and writes `noto-sans.css` beside them: one @font-face rule per file with the unicode-range
of the letters it holds and `font-display: optional`, so text shows at once in a fallback font
and never moves: a font that is not there within the first ~100 ms is used from the next page on,
once cached (with `swap` the late font re-flowed every page's text, Lighthouse's layout shift up
to 0.2 on a phone). theme/assets/site.css names the family for the whole site; mkdocs.yml links
the CSS. Nothing is requested from another host.

What is cut, and why (bench/README.md, "Lighthouse"): every page fetches the font before its
first paint on a slow phone, so its bytes count in the first paint.
- Weights: the pages set text at 400 (regular) and 700 (bold) only (site.css sets material's light
  h1/h2 to 400), so the weight axis is limited to 400-700: the thin and black ends of the
  variable font are a third of its bytes.
- No italic faces: `<em>` is rare (a few notes), and the browser slants the upright face for it;
  the italic files doubled the font's bytes on every page that has one.
- Letters: the Vietnamese subset whole; of the Latin subset, ASCII, the Latin-1 letters that
  Vietnamese writes (à á â ã è é ê ì í ò ó ô õ ù ú ý and capitals) and the punctuation and signs of
  the catalogue's text. Any other letter (ö, ñ in a foreign name) is drawn by the fallback font.
Together, 24 KB instead of fontsource's 50 KB upright and 56 KB italic.
"""

import hashlib
import io
import os
import re
import shutil
from pathlib import Path

from buildlib import paths
from buildlib.errors import BuildError

PACKAGE = paths.ROOT / "node_modules" / "@fontsource-variable" / "noto-sans"
FAMILY = "Noto Sans Variable"
SUBSETS = ("vietnamese", "latin")  # latin-ext, greek, cyrillic...: not needed for Vietnamese
SOURCE_CSS = "wght.css"  # fontsource's rules for the upright variable faces
WEIGHTS = (400, 700)  # what the pages' CSS asks for (site.css; material's own 300 is overridden)
# Of the Latin subset: ASCII, no-break space, the Latin-1 letters Vietnamese writes, the signs the
# catalogue uses, and General Punctuation (dashes, quotes, ellipsis, bullet).
LATIN = frozenset(
    [*range(0x20, 0x7F), 0xA0, *range(0x2000, 0x2070)]
    + [ord(c) for c in "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý©«°±·»×€™−"]
)
CSS_NAME = "noto-sans.css"
_RULE = re.compile(r"@font-face\s*\{([^}]*)\}")
_FIELD = re.compile(r"([a-z-]+)\s*:\s*([^;]+);")


class WebFontError(BuildError):
    """The font package is missing or no longer has the files and rules expected."""


def _package() -> Path:
    if not PACKAGE.is_dir():
        raise WebFontError(
            f"Không có phông chữ web {PACKAGE}: "
            "chạy `npm ci --no-audit --no-fund` ở thư mục gốc (package-lock.json)."
        )
    return PACKAGE


def _faces() -> list[tuple[str, Path, frozenset[int]]]:
    """(subset, woff2 file, code points of its unicode-range) of each subset we use, from
    fontsource's CSS."""
    package = _package()
    ranges = {}
    for body in _RULE.findall((package / SOURCE_CSS).read_text(encoding="utf-8")):
        fields = dict(_FIELD.findall(body))
        src = re.search(r"url\(\./files/([^)]+)\)", fields.get("src", ""))
        if src and "unicode-range" in fields:
            ranges[src.group(1)] = code_points(fields["unicode-range"])
    faces = []
    for name in SUBSETS:
        file = f"noto-sans-{name}-wght-normal.woff2"
        if file not in ranges or not (package / "files" / file).is_file():
            raise WebFontError(f"{package / SOURCE_CSS}: không có {file} và unicode-range của nó.")
        faces.append((name, package / "files" / file, ranges[file]))
    return faces


def code_points(unicode_range: str) -> frozenset[int]:
    """The code points of a CSS unicode-range (`U+0102-0103, U+20AB`)."""
    points: set[int] = set()
    for span in unicode_range.replace("U+", "").split(","):
        first, _, last = span.strip().partition("-")
        points.update(range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(points)


def cut(source: Path, points: frozenset[int]) -> tuple[bytes, list[int]]:
    """The face `source` limited to WEIGHTS and to the letters `points` it has: woff2 bytes,
    and the code points it holds (its unicode-range). The same input gives the same bytes (no
    timestamp), so the file's hashed name changes only with the font. fontTools is imported
    here: only the frame's build cuts fonts, and importing it was ~0.06 s of every rebuild."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    font = TTFont(source, recalcTimestamp=False)
    keep = sorted(points & set(font.getBestCmap()))
    font = instancer.instantiateVariableFont(font, {"wght": WEIGHTS})
    buffer = io.BytesIO()
    font.save(buffer)  # the subsetter wants the instanced font read back (its lazy tables)
    buffer.seek(0)
    font = TTFont(buffer, recalcTimestamp=False)
    options = subset.Options(flavor="woff2", hinting=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=keep)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), keep


def unicode_range(points: list[int]) -> str:
    """`U+0020-007E, U+00A0, ...`: the code points, sorted, as CSS ranges."""
    spans: list[list[int]] = []
    for point in sorted(points):
        if spans and point == spans[-1][1] + 1:
            spans[-1][1] = point
        else:
            spans.append([point, point])
    return ", ".join(f"U+{a:04X}" if a == b else f"U+{a:04X}-{b:04X}" for a, b in spans)


def inputs() -> list[Path]:
    """What the copied fonts depend on, for the build cache: this module and the package's files."""
    package = _package()
    sources = [package / "LICENSE", package / SOURCE_CSS]
    return [Path(__file__), *sources, *(path for _, path, _ in _faces())]


def copy_fonts(dest: Path, cache: Path | None = None) -> None:
    """Write the cut faces into `dest` (hashed names) and dest/noto-sans.css. With `cache` (the
    build's cache folder), the cut is kept there under a digest of its inputs() and copied on the
    next build: cutting takes ~0.6 s, on every build that runs mkdocs."""
    if cache is None:
        _write_fonts(dest)
        return
    digest = hashlib.blake2b(digest_size=8)
    for path in inputs():
        digest.update(path.read_bytes())
    kept = cache / f"fonts-{digest.hexdigest()}"
    if not kept.is_dir():
        making = cache / f"{kept.name}.{os.getpid()}.tmp"  # builds at once each make their own
        shutil.rmtree(making, ignore_errors=True)
        _write_fonts(making)
        try:
            making.rename(kept)  # whole or not at all: a build stopped midway leaves no half cut
        except OSError:  # another build kept the same cut first
            shutil.rmtree(making, ignore_errors=True)
    shutil.copytree(kept, dest, dirs_exist_ok=True)


def _write_fonts(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    rules = []
    for name, source, points in _faces():
        data, held = cut(source, points & LATIN if name == "latin" else points)
        digest = hashlib.blake2b(data, digest_size=4).hexdigest()
        file = f"{source.stem}.{digest}.woff2"
        (dest / file).write_bytes(data)
        rules.append(
            "@font-face {\n"
            f'  font-family: "{FAMILY}";\n'
            "  font-style: normal;\n"
            "  font-display: optional;\n"
            f"  font-weight: {WEIGHTS[0]} {WEIGHTS[1]};\n"
            f'  src: url("{file}") format("woff2");\n'
            f"  unicode-range: {unicode_range(held)};\n"
            "}\n"
        )
    header = (
        "/* Noto Sans (SIL Open Font License 1.1), Vietnamese and Latin subsets from "
        "@fontsource-variable/noto-sans, cut down by buildlib/site/webfont.py. */\n"
    )
    (dest / CSS_NAME).write_text(header + "".join(rules), encoding="utf-8")
    shutil.copyfile(_package() / "LICENSE", dest / "OFL.txt")  # the licence travels with the font
