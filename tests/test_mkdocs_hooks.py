"""buildlib/site/mkdocs_hooks.py: the header's icons as one sprite the pages refer to."""

import re
from pathlib import Path

import yaml

from buildlib.site.mkdocs_hooks import ICONS, icon_sprite

ROOT = Path(__file__).resolve().parents[1]


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
