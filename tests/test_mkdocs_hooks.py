"""The mkdocs hook (buildlib/site/mkdocs_hooks.py): the theme's own markup made valid, and the
header's icons as one sprite the pages refer to."""

import re
import unicodedata
from pathlib import Path

import yaml

from buildlib.site.mkdocs_hooks import ICONS, clean, icon_sprite, sprite_names

ROOT = Path(__file__).resolve().parents[1]


def test_drops_autocomplete_from_checkboxes_only():
    html = (
        '<input class="md-toggle" type="checkbox" id="__drawer" autocomplete="off">'
        '<input type="search" autocomplete="off">'
    )
    assert clean(html) == (
        '<input class="md-toggle" type="checkbox" id="__drawer">'
        '<input type="search" autocomplete="off">'
    )


def test_writes_decomposed_text_composed():
    decomposed = unicodedata.normalize("NFD", "Cổng dịch vụ công")
    assert clean(f"<p>{decomposed}</p>") == "<p>Cổng dịch vụ công</p>"


def test_the_sprite_holds_each_way_in_s_icon_as_the_theme_draws_it():
    config = yaml.safe_load(
        re.sub(r"!!python/\S+", "", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    )
    names = [way["icon"] for way in config["extra"]["ways_in"]]
    sprite = icon_sprite(names)
    for name in names:
        path = re.search(r'<path d="([^"]+)"', (ICONS / f"{name}.svg").read_text())
        assert path is not None
        symbol = re.search(rf'<symbol id="{name}" viewBox="0 0 24 24">(.*?)</symbol>', sprite)
        assert symbol is not None and path[1] in symbol[1]


def test_the_header_refers_to_the_sprite_instead_of_repeating_the_icons():
    header = (ROOT / "theme" / "overrides" / "partials" / "header.html").read_text()
    links = header[header.index('class="tthc-header-links"') :]
    links = links[: links.index("</div>")]
    assert "assets/icons.svg" in links and "<use " in links
    assert ".icons/" not in links  # no inline SVG on each page


def test_the_logo_and_the_menu_are_drawn_from_the_sprite_too():
    config = {"theme": {"icon": {}}, "extra": {"ways_in": [{"icon": "magnify"}]}}
    assert sprite_names(config) == ["magnify", "menu", "library"]  # mkdocs-material's defaults
    config["theme"]["icon"] = {"logo": "material/bank"}
    assert sprite_names(config)[-1] == "bank"
    sprite = icon_sprite(sprite_names(config))
    assert '<symbol id="menu" viewBox="0 0 24 24">' in sprite
    overrides = ROOT / "theme" / "overrides" / "partials"
    logo = (overrides / "logo.html").read_text(encoding="utf-8")
    header = (overrides / "header.html").read_text(encoding="utf-8")
    menu = header[header.index('for="__drawer"') : header.index("</button>")]
    for markup in (logo, menu):
        assert "assets/icons.svg" in markup and "<use " in markup
        assert ".icons/" not in markup.split("-#}")[-1]  # no inline SVG on each page
