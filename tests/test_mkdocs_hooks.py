"""The mkdocs hook that makes the theme's own markup valid (buildlib/site/mkdocs_hooks.py)."""

import unicodedata

from buildlib.site.mkdocs_hooks import clean


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
