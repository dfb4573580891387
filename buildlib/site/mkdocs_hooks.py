"""mkdocs hooks (mkdocs.yml `hooks:`): what mkdocs-material writes outside any block a theme
override can replace, made valid HTML (the Nu validator, tests/browser/test_markup.py), on the
pages mkdocs builds; every other page is written into the frame of one of them (shell.py).

- base.html's two hidden checkboxes (the drawer and the search) carry autocomplete="off", which
  HTML allows on text fields only (it kept Firefox from restoring a checked drawer; the drawer
  is closed on every page load anyway).
- Text is NFC, as the catalogue's is (buildlib/catalogue/yamlsource.py).
"""

import re
import unicodedata
from typing import Any

_CHECKBOX_AUTOCOMPLETE = re.compile(r'(<input\b[^>]*\btype="checkbox"[^>]*?)\s+autocomplete="off"')


def clean(html: str) -> str:
    """The page's HTML without the theme's invalid attributes, in NFC."""
    return unicodedata.normalize("NFC", _CHECKBOX_AUTOCOMPLETE.sub(r"\1", html))


def on_post_page(output: str, page: Any, config: Any) -> str:
    return clean(output)


def on_post_template(output_content: str, template_name: str, config: Any) -> str:
    return clean(output_content)
