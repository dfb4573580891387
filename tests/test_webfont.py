"""The site's web font (buildlib/site/webfont.py): Vietnamese and Latin subsets only, fontsource's
own unicode ranges, hashed names, and the build cache notices when the font changes."""

import re
import shutil

import pytest

from buildlib import paths
from buildlib.site import cache, webfont


def test_copies_the_vietnamese_and_latin_faces_under_hashed_names_with_their_rules(tmp_path):
    webfont.copy_fonts(tmp_path)

    names = sorted(p.name for p in tmp_path.glob("*.woff2"))
    assert [re.sub(r"\.[0-9a-f]{8}\.woff2$", "", n) for n in names] == [
        "noto-sans-latin-wght-italic",
        "noto-sans-latin-wght-normal",
        "noto-sans-vietnamese-wght-italic",
        "noto-sans-vietnamese-wght-normal",
    ]
    css = (tmp_path / webfont.CSS_NAME).read_text(encoding="utf-8")
    rules = re.findall(r"@font-face \{(.*?)\}", css, re.S)
    assert len(rules) == 4
    for rule in rules:
        assert f'font-family: "{webfont.FAMILY}";' in rule
        assert "font-display: optional;" in rule  # a late font never moves the text
        (src,) = re.findall(r'url\("([^"]+)"\)', rule)
        assert src in names
    # the ranges are fontsource's: ạ..ỹ in the Vietnamese face, ASCII in the Latin one
    vietnamese = next(r for r in rules if "vietnamese-wght-normal" in r)
    assert "U+1EA0-1EF9" in vietnamese
    latin = next(r for r in rules if "latin-wght-normal" in r)
    assert "U+0000-00FF" in latin
    assert "SIL Open Font License" in (tmp_path / "OFL.txt").read_text(encoding="utf-8")


def test_a_missing_font_package_says_to_run_npm_ci(tmp_path, monkeypatch):
    monkeypatch.setattr(webfont, "PACKAGE", tmp_path / "node_modules" / "nowhere")
    with pytest.raises(webfont.WebFontError, match="npm ci"):
        webfont.copy_fonts(tmp_path / "out")


def test_a_changed_font_file_rebuilds_the_shell(tmp_path, monkeypatch):
    package = tmp_path / "noto-sans"
    shutil.copytree(webfont.PACKAGE, package)
    monkeypatch.setattr(webfont, "PACKAGE", package)
    before = cache.shell_inputs()
    font = package / "files" / "noto-sans-vietnamese-wght-normal.woff2"
    font.write_bytes(font.read_bytes() + b"\0")
    assert cache.shell_inputs() != before


def test_the_font_package_is_pinned_in_the_lock_file():
    lock = (paths.ROOT / "package-lock.json").read_text(encoding="utf-8")
    assert '"node_modules/@fontsource-variable/noto-sans"' in lock
