"""The site's web font (buildlib/site/webfont.py): Vietnamese and Latin subsets only, upright,
weights 400-700, the Latin letters Vietnamese writes, hashed names, and the build cache notices
when the font changes."""

import re
import shutil

import pytest
from fontTools.ttLib import TTFont

from buildlib import paths
from buildlib.site import cache, webfont


def test_writes_the_vietnamese_and_latin_faces_under_hashed_names_with_their_rules(tmp_path):
    webfont.copy_fonts(tmp_path)

    names = sorted(p.name for p in tmp_path.glob("*.woff2"))
    assert [re.sub(r"\.[0-9a-f]{8}\.woff2$", "", n) for n in names] == [
        "noto-sans-latin-wght-normal",
        "noto-sans-vietnamese-wght-normal",
    ]
    css = (tmp_path / webfont.CSS_NAME).read_text(encoding="utf-8")
    rules = re.findall(r"@font-face \{(.*?)\}", css, re.S)
    assert len(rules) == 2
    for rule in rules:
        assert f'font-family: "{webfont.FAMILY}";' in rule
        assert "font-display: optional;" in rule  # a late font never moves the text
        assert "font-style: normal;" in rule and "font-weight: 400 700;" in rule
        (src,) = re.findall(r'url\("([^"]+)"\)', rule)
        assert src in names
    # fontsource's Vietnamese range whole (ạ..ỹ); of Latin, ASCII and the letters Vietnamese uses
    vietnamese = next(r for r in rules if "vietnamese-wght-normal" in r)
    assert "U+1EA0-1EF9" in vietnamese and "U+0110-0111" in vietnamese
    latin = next(r for r in rules if "latin-wght-normal" in r)
    assert "U+0020-007E" in latin and "U+00E0-00E3" in latin
    assert "U+00E4" not in latin  # ä: not Vietnamese, drawn by the fallback font
    assert "SIL Open Font License" in (tmp_path / "OFL.txt").read_text(encoding="utf-8")


def test_the_faces_hold_what_their_rules_say_at_the_weights_used(tmp_path):
    webfont.copy_fonts(tmp_path)
    css = (tmp_path / webfont.CSS_NAME).read_text(encoding="utf-8")
    for rule in re.findall(r"@font-face \{(.*?)\}", css, re.S):
        (src,) = re.findall(r'url\("([^"]+)"\)', rule)
        font = TTFont(tmp_path / src)
        (axis,) = font["fvar"].axes
        assert (axis.axisTag, axis.minValue, axis.maxValue) == ("wght", 400, 700)
        (ranges,) = re.findall(r"unicode-range: ([^;]+);", rule)
        assert set(font.getBestCmap()) == set(webfont.code_points(ranges)), src
    sample = {ord(c) for c in "Thủ tục hành chính: Đăng ký khai sinh, “giấy tờ” – 1.001193"}
    held = set()
    for face in tmp_path.glob("*.woff2"):
        held |= set(TTFont(face).getBestCmap())
    assert sample <= held


def test_the_same_font_gives_the_same_files(tmp_path):
    webfont.copy_fonts(tmp_path / "a")
    webfont.copy_fonts(tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert (tmp_path / "b" / path.name).read_bytes() == path.read_bytes(), path.name


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


def test_a_cut_kept_in_the_build_cache_is_copied_without_cutting_again(tmp_path, monkeypatch):
    webfont.copy_fonts(tmp_path / "a", cache=tmp_path / "cache")
    (kept,) = (tmp_path / "cache").iterdir()  # one folder, named by its inputs' digest
    monkeypatch.setattr(webfont, "cut", lambda *args: pytest.fail("cut again"))
    webfont.copy_fonts(tmp_path / "b", cache=tmp_path / "cache")
    fresh = sorted(path.name for path in (tmp_path / "a").iterdir())
    assert sorted(path.name for path in (tmp_path / "b").iterdir()) == fresh
    for name in fresh:
        assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()
    assert kept.name.startswith("fonts-")
