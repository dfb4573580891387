"""buildlib/site/links.py: a page's relative links resolved against its own folder."""

from hypothesis import given, settings
from hypothesis import strategies as st

from buildlib.site import links
from buildlib.site.links import check_links

PAGES = {"", "thu-tuc/1.000001/", "duyet/", "assets/site.css"}


def broken(path: str, *urls: str) -> list[str]:
    html = "".join(f'<a href="{url}">' for url in urls)
    return sorted(check_links(path, html, PAGES.__contains__))


def test_links_that_reach_an_existing_page_or_file_pass():
    page = "thu-tuc/1.000002/2025-07-01/index.html"
    assert broken(page, "../../1.000001/", "../../../duyet/", "../../../assets/site.css#x") == []
    assert broken("index.html", "thu-tuc/1.000001/", "./duyet/?q=1", "#top") == []
    assert broken("duyet/index.html", "../assets/x/../site.css", "mailto:a@b.vn", "tel:1") == []


def test_the_same_link_is_judged_from_each_pages_own_folder():
    assert broken("thu-tuc/1.000001/index.html", "../../duyet/") == []
    assert broken("index.html", "../../duyet/") == [
        "index.html: liên kết ra ngoài gốc trang: ../../duyet/"
    ]
    assert broken("a/b/c/index.html", "../../duyet/") == [
        "a/b/c/index.html: liên kết hỏng: ../../duyet/"
    ]


def test_external_and_missing_links_are_reported():
    assert broken("duyet/index.html", "https://x.vn/", "//x.vn/", "../thu-tuc/9.999999/") == [
        "duyet/index.html: liên kết hỏng: ../thu-tuc/9.999999/",
        "duyet/index.html: liên kết ra ngoài trang: //x.vn/",
        "duyet/index.html: liên kết ra ngoài trang: https://x.vn/",
    ]


def test_a_link_to_the_site_root_with_a_trailing_slash_finds_the_home_page():
    # The root is "" in the set of pages, not "/": "../" from one folder down and "./" at the
    # top both name it (the header's home link on every page).
    assert broken("duyet/index.html", "../", "..") == []
    assert broken("thu-tuc/1.000001/index.html", "../../") == []
    assert broken("index.html", "./") == []


def test_only_a_plain_link_to_the_national_portal_may_leave_the_site():
    portal = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfd"
    page = (
        f'<a class="x" href="{portal}">Cổng</a>'
        '<img src="https://dichvucong.gov.vn/logo.png">'
        '<link rel="stylesheet" href="https://dichvucong.gov.vn/site.css">'
        '<a href="https://dichvucong.gov.vn.example/">x</a>'
    )
    assert sorted(check_links("thu-tuc/1/index.html", page, lambda path: True)) == [
        "thu-tuc/1/index.html: liên kết ra ngoài trang: https://dichvucong.gov.vn.example/",
        "thu-tuc/1/index.html: liên kết ra ngoài trang: https://dichvucong.gov.vn/logo.png",
        "thu-tuc/1/index.html: liên kết ra ngoài trang: https://dichvucong.gov.vn/site.css",
    ]


def test_a_link_to_a_page_not_known_yet_is_left_for_later_with_its_message():
    # The procedure pages are rendered while the browse pages are made (parallel.py): their
    # links to those are judged once every page is known.
    later: list[tuple[str, str]] = []
    page = "thu-tuc/1.000001/index.html"
    html = '<a href="../../duyet/linh-vuc/ho-tich/"><a href="https://x.vn/"><a href="../../">'
    assert check_links(page, html, PAGES.__contains__, later) == [
        f"{page}: liên kết ra ngoài trang: https://x.vn/"
    ]
    assert later == [
        ("duyet/linh-vuc/ho-tich/", f"{page}: liên kết hỏng: ../../duyet/linh-vuc/ho-tich/")
    ]


PIECES = st.sampled_from(
    ['href="', 'src="', 'action="', 'data-src="', "href=", "src=", '"', " ", ">", "<a ", "x", "/"]
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(PIECES, max_size=30).map("".join))
def test_each_attributes_own_pattern_finds_the_links_the_one_pattern_finds(html: str) -> None:
    # links.py looks for href, src and action one at a time (faster); a value ending in one of
    # the names and "=" would make them find a link the single pattern does not see.
    assert links._links(html) == set(links._HREF.findall(html))


def test_a_value_that_ends_in_an_attribute_name_is_one_link() -> None:
    html = '<a href="../../duyet/?src=">x</a> <img alt="" src="../../assets/site.css">'
    # (read from the quote that ends it, `src="` would give a link ">x</a> <img alt=")
    assert check_links("thu-tuc/1.000001/index.html", html, PAGES.__contains__) == []
