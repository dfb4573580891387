"""The Atom feeds of changes (buildlib/site/feeds.py), per procedure, field and agency: read back by
a real feed parser (feedparser) and checked against RFC 4287's essentials with the standard
library's XML parser; ids stable from one build to the next; links under the public URL; every
feed named by its page's `<link rel="alternate">`."""

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest

from buildlib import paths
from buildlib.site import built
from buildlib.site import feeds as feeds_
from buildlib.site.build import build_command

from .conftest import CATALOGUE

pytestmark = pytest.mark.slow

PUBLIC = "https://thutuc.example.gov.vn/"
TODAY = "2026-09-15"  # 1.001612's 2026-08-08 version in force; 1.009444 abolished
A = "{http://www.w3.org/2005/Atom}"


def build(tmp: Path) -> Path:
    out = io.StringIO()
    with paths.public_url(PUBLIC.rstrip("/")):
        code = build_command(
            CATALOGUE, out=out, today=TODAY, site_dir=tmp / "site", cache_dir=tmp / "cache"
        )
    assert code == 0, out.getvalue()
    return tmp / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("feeds"))


def feeds(site: Path) -> list[Path]:
    return sorted(site.rglob("thay-doi.xml"))


def test_there_is_a_feed_per_procedure_field_and_agency(site: Path):
    found = {str(p.parent.relative_to(site)) for p in feeds(site)}
    assert {"thu-tuc/1.001612", "thu-tuc/1.009444", "duyet/linh-vuc/ho-tich"} <= found
    assert "co-quan/ubnd-cap-xa" in found
    assert len([f for f in found if f.startswith("thu-tuc/")]) == 9


def test_every_feed_is_valid_atom_with_the_rfc_4287_essentials(site: Path):
    for path in feeds(site):
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, f"{path}: {parsed.bozo_exception}"
        assert parsed.version == "atom10", path
        root = ET.parse(path).getroot()
        assert root.tag == f"{A}feed"
        for name in ("id", "title", "updated"):  # atom:feed MUST contain exactly one of each
            assert len(root.findall(f"{A}{name}")) == 1, (path, name)
        assert root.find(f"{A}author/{A}name").text  # no entry has its own author
        assert root.find(f"{A}link[@rel='self']").get("href").startswith(PUBLIC)
        ids = []
        for entry in root.findall(f"{A}entry"):
            for name in ("id", "title", "updated"):
                assert len(entry.findall(f"{A}{name}")) == 1, (path, name)
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00\+07:00", entry.find(f"{A}updated").text)
            assert entry.find(f"{A}link[@rel='alternate']").get("href").startswith(PUBLIC)
            ids.append(entry.find(f"{A}id").text)
        assert len(ids) == len(set(ids)), path
        assert all(i.startswith(PUBLIC) for i in ids)


def test_a_procedure_feed_says_what_changed_in_each_version_and_its_ending(site: Path):
    versions = feedparser.parse((site / "thu-tuc/1.001612/thay-doi.xml").read_bytes())
    titles = [e.title for e in versions.entries]
    assert titles == [
        "Đăng ký thành lập hộ kinh doanh: áp dụng từ 08/08/2026",
        "Đăng ký thành lập hộ kinh doanh: áp dụng từ 01/07/2025",
        "Đăng ký thành lập hộ kinh doanh: áp dụng từ 04/01/2021",
    ]
    assert "Phí, lệ phí (trực tiếp): chưa được công bố → không thu" in versions.entries[0].summary
    assert versions.entries[0].link == f"{PUBLIC}thu-tuc/1.001612/2026-08-08/"
    abolished = feedparser.parse((site / "thu-tuc/1.009444/thay-doi.xml").read_bytes())
    assert "bị bãi bỏ" in abolished.entries[0].title


def test_a_field_feed_gathers_its_procedures_changes(site: Path):
    field = feedparser.parse((site / "duyet/linh-vuc/ho-tich/thay-doi.xml").read_bytes())
    links = {e.link for e in field.entries}
    assert f"{PUBLIC}thu-tuc/1.001193/2026-06-10/" in links
    assert all("1.001612" not in link for link in links)  # another field


def test_ids_are_stable_from_one_build_to_the_next(site: Path, tmp_path: Path):
    again = build(tmp_path)
    for path in feeds(site):
        assert (again / path.relative_to(site)).read_bytes() == path.read_bytes(), path


def test_pages_name_their_feed_with_a_link_alternate(site: Path):
    for page in ("thu-tuc/1.001612/", "duyet/linh-vuc/ho-tich/", "co-quan/ubnd-cap-xa/"):
        html = built.read(site / page / "index.html")
        head = html[: html.index("</head>")]
        found = re.search(r'<link rel="alternate feed" type="application/atom\+xml"[^>]*>', head)
        assert found and 'href="thay-doi.xml"' in found[0], page
        assert (site / page / "thay-doi.xml").is_file()


def _element_tree_feed(path: str, title: str, items: list[dict]) -> str:
    """What feeds.feed wrote through ElementTree before it wrote text: the reference its
    output must equal byte for byte."""
    base = paths.site_url()
    chosen = sorted(items, key=lambda e: (e["date"], e["path"]), reverse=True)[: feeds_.LIMIT]
    ET.register_namespace("", feeds_.ATOM)
    root = ET.Element(f"{{{feeds_.ATOM}}}feed", {"xml:lang": "vi"})

    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{feeds_.ATOM}}}{tag}", attrs)
        element.text = text
        return element

    add(root, "id", base + path + feeds_.FILE)
    add(root, "title", title)
    add(root, "updated", f"{chosen[0]['date'] if chosen else '2025-01-01'}T00:00:00+07:00")
    add(root, "link", rel="self", type="application/atom+xml", href=base + path + feeds_.FILE)
    add(root, "link", rel="alternate", type="text/html", href=base + path)
    author = add(root, "author")
    add(author, "name", feeds_.site_name())
    for item in chosen:
        entry = add(root, "entry")
        add(entry, "id", base + item["path"])
        add(entry, "title", item["title"])
        add(entry, "updated", f"{item['date']}T00:00:00+07:00")
        add(entry, "link", rel="alternate", type="text/html", href=base + item["path"])
        add(entry, "summary", item["text"], type="text")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


@pytest.mark.parametrize(
    "text",
    ["", "Quyết định 1/QĐ-UBND.", "a & b < c > d \"e\" 'f'\nhai dòng\r\tvà tab", "&amp; <b>"],
)
def test_a_feed_is_byte_for_byte_what_element_tree_wrote(text: str):
    items = [
        {"path": f"thu-tuc/1.000001/{d}/", "date": d, "title": text or "x", "text": text}
        for d in ("2026-01-02", "2025-05-06")
    ]
    items.append({"path": 'thu-tuc/&<"\n\t>/', "date": "2024-01-01", "title": "", "text": "t"})
    for path, title, chosen in [("thu-tuc/1.000001/", text, items), ('co-quan/a&"b/', "t", [])]:
        assert feeds_.feed(path, title, chosen) == _element_tree_feed(path, title, chosen)
