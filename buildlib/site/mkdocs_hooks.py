"""mkdocs hooks (mkdocs.yml `hooks:`): what mkdocs-material writes outside any block a theme
override can replace, made valid HTML (the Nu validator, tests/browser/test_markup.py), on the
pages mkdocs builds; every other page is written into the frame of one of them (shell.py).

- base.html's two hidden checkboxes (the drawer and the search) carry autocomplete="off", which
  HTML allows on text fields only (it kept Firefox from restoring a checked drawer; the drawer
  is closed on every page load anyway).
- Text is NFC, as the catalogue's is (buildlib/catalogue/yamlsource.py).

It also writes `assets/icons.svg`, one <symbol> per icon of the header (the ways in of mkdocs.yml
`extra.ways_in`, the menu's and the logo's), from the theme's own icon files: the header and the
drawer refer to it (`<use>`) instead of repeating ~3 KB of inline SVG in each of the ~30,000
pages at 10,000 procedures.
"""

import re
import unicodedata
from pathlib import Path
from typing import Any

import material  # type: ignore[import-untyped]

ICONS = Path(material.__file__).parent / "templates" / ".icons" / "material"
_SVG = re.compile(r"<svg\b[^>]*?\bviewBox=\"([^\"]+)\"[^>]*>(.*)</svg>", re.S)
_CHECKBOX_AUTOCOMPLETE = re.compile(r'(<input\b[^>]*\btype="checkbox"[^>]*?)\s+autocomplete="off"')


def clean(html: str) -> str:
    """The page's HTML without the theme's invalid attributes, in NFC."""
    return unicodedata.normalize("NFC", _CHECKBOX_AUTOCOMPLETE.sub(r"\1", html))


def on_post_page(output: str, page: Any, config: Any) -> str:
    return clean(output)


def on_post_template(output_content: str, template_name: str, config: Any) -> str:
    return clean(output_content)


def icon_sprite(names: list[str]) -> str:
    """One SVG holding each named material icon as a <symbol id="name">."""
    symbols = []
    for name in names:
        match = _SVG.search((ICONS / f"{name}.svg").read_text(encoding="utf-8"))
        if match is None:
            raise ValueError(f"biểu tượng {name}: không đọc được tệp SVG của giao diện")
        symbols.append(f'<symbol id="{name}" viewBox="{match[1]}">{match[2]}</symbol>')
    return '<svg xmlns="http://www.w3.org/2000/svg">' + "".join(symbols) + "</svg>\n"


def sprite_names(config: Any) -> list[str]:
    """The icons the header draws from the sprite: the ways in, the menu's and the logo's
    (mkdocs.yml `theme.icon`, else mkdocs-material's defaults, as partials/logo.html and
    partials/header.html name them)."""
    icons = config["theme"].get("icon") or {}
    names = [way["icon"] for way in config["extra"].get("ways_in", [])]
    for name in (icons.get("menu") or "material/menu", icons.get("logo") or "material/library"):
        if not name.startswith("material/"):
            raise ValueError(f"biểu tượng {name}: chỉ dùng được biểu tượng material/")
        names.append(name.removeprefix("material/"))
    return names


def on_post_build(config: Any) -> None:
    names = sprite_names(config)
    target = Path(config["site_dir"]) / "assets" / "icons.svg"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(icon_sprite(names), encoding="utf-8")
