"""The site's web font: Noto Sans (variable weight), Vietnamese and Latin subsets only.

The woff2 files come from the npm package pinned in package-lock.json
(@fontsource-variable/noto-sans), installed by `npm ci` into node_modules/. `copy_fonts(dest)`
copies them into the built site under names that carry a hash of their bytes, so the server may
let browsers keep them for a year, and writes `noto-sans.css` beside them: one @font-face rule per
file with fontsource's own unicode-range (read from the package's CSS, not copied by hand) and
`font-display: optional`, so text shows at once in a fallback font and never moves: a font that
is not there within the first ~100 ms is used from the next page on, once cached (with `swap`
the late font re-flowed every page's text, Lighthouse's layout shift up to 0.2 on a phone).
theme/assets/site.css names the family for the whole site; mkdocs.yml links the CSS. Nothing is
requested from another host.
"""

import hashlib
import re
import shutil
from pathlib import Path

from buildlib import paths
from buildlib.errors import BuildError

PACKAGE = paths.ROOT / "node_modules" / "@fontsource-variable" / "noto-sans"
FAMILY = "Noto Sans Variable"
SUBSETS = ("vietnamese", "latin")  # latin-ext, greek, cyrillic...: not needed for Vietnamese
STYLES = {"normal": "wght.css", "italic": "wght-italic.css"}  # italic: <em> in the templates
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


def _faces() -> list[tuple[str, Path, str]]:
    """(style, woff2 file, unicode-range) of each subset we use, from fontsource's CSS."""
    package = _package()
    faces = []
    for style, css in STYLES.items():
        ranges = {}
        for body in _RULE.findall((package / css).read_text(encoding="utf-8")):
            fields = dict(_FIELD.findall(body))
            file = re.search(r"url\(\./files/([^)]+)\)", fields.get("src", ""))
            if file and "unicode-range" in fields:
                ranges[file.group(1)] = fields["unicode-range"].strip()
        for subset in SUBSETS:
            name = f"noto-sans-{subset}-wght-{style}.woff2"
            if name not in ranges or not (package / "files" / name).is_file():
                raise WebFontError(f"{package / css}: không có {name} và unicode-range của nó.")
            faces.append((style, package / "files" / name, ranges[name]))
    return faces


def inputs() -> list[Path]:
    """What the copied fonts depend on, for the build cache: this module and the package's files."""
    package = _package()
    sources = [package / "LICENSE", *(package / css for css in STYLES.values())]
    return [Path(__file__), *sources, *(path for _, path, _ in _faces())]


def copy_fonts(dest: Path) -> None:
    """Copy the woff2 files into `dest` (hashed names) and write dest/noto-sans.css."""
    dest.mkdir(parents=True, exist_ok=True)
    rules = []
    for style, source, unicode_range in _faces():
        data = source.read_bytes()
        digest = hashlib.blake2b(data, digest_size=4).hexdigest()
        name = f"{source.stem}.{digest}.woff2"
        shutil.copyfile(source, dest / name)
        rules.append(
            "@font-face {\n"
            f'  font-family: "{FAMILY}";\n'
            f"  font-style: {style};\n"
            "  font-display: optional;\n"
            "  font-weight: 100 900;\n"
            f'  src: url("{name}") format("woff2");\n'
            f"  unicode-range: {unicode_range};\n"
            "}\n"
        )
    header = (
        "/* Noto Sans (SIL Open Font License 1.1), Vietnamese and Latin subsets, from "
        "@fontsource-variable/noto-sans: written by buildlib/site/webfont.py. */\n"
    )
    (dest / CSS_NAME).write_text(header + "".join(rules), encoding="utf-8")
    shutil.copyfile(_package() / "LICENSE", dest / "OFL.txt")  # the licence travels with the font
