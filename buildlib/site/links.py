"""Every internal link of every page we write must lead to a page that exists."""

import functools
import re
from collections.abc import Callable

_ATTRIBUTES = ("href", "src", "action")  # the attributes whose value is a link
_HREF = re.compile(r'(?:href|src|action)="([^"]*)"')
# Each attribute on its own: a pattern that begins with a literal is searched for as one, twice
# as fast as the pattern above (~0.5 CPU s of a 10,000-procedure build's link checks).
_EACH = [re.compile(name + r'="([^"]*)"').findall for name in _ATTRIBUTES]
_OVERLAPPING = tuple(name + "=" for name in _ATTRIBUTES)
# The one other site a page may link to (a plain link, never a loaded resource: the pages' CSP
# allows nothing from other hosts): the national portal, where a procedure is also filed online.
LINKED_SITES = ("https://dichvucong.gov.vn/",)
_LINKED = re.compile(r'<a [^>]*href="((?:' + "|".join(map(re.escape, LINKED_SITES)) + r')[^"]*)"')
_SCHEME = re.compile(r"^[a-z]+:")
_EXTERNAL, _OUTSIDE = "liên kết ra ngoài trang", "liên kết ra ngoài gốc trang"


def check_links(
    path: str,
    html: str,
    exists: Callable[[str], bool],
    later: list[tuple[str, str]] | None = None,
) -> list[str]:
    """Broken internal links of one page (`path` below the site root). `later`: a link to a
    target `exists` does not know is put there, as (target, what to report if it is still
    missing once every page is written), instead of being reported: for pages rendered before
    the pages they link to (the procedure pages, rendered while the browse pages are made)."""
    base = path.rsplit("/", 1)[0].split("/") if "/" in path else []
    broken = []
    linked = set(_LINKED.findall(html))
    for url in _links(html):
        if url in linked:  # an <a> to the national portal
            continue
        link = _parse(url)
        if link is None:
            continue
        if isinstance(link, str):
            broken.append(f"{path}: {link}: {url}")
            continue
        ups, below, folder = link
        if ups > len(base):
            broken.append(f"{path}: {_OUTSIDE}: {url}")
            continue
        parts = [*base[: len(base) - ups], *below]
        target = "/".join(parts) + (folder if parts else "")  # the root is "", not "/"
        if not exists(target):
            message = f"{path}: liên kết hỏng: {url}"
            if later is None:
                broken.append(message)
            else:
                later.append((target, message))
    return broken


def _links(html: str) -> set[str]:
    """The values of the page's href, src and action attributes: what `_HREF` finds, found by
    each attribute's own pattern. They find the same unless a value ends in one of the names and
    "=" (`href="?src="`): its closing quote would then begin another match, which `_HREF`, having
    read past it, does not make; such a page is read again by `_HREF`."""
    found = {url for findall in _EACH for url in findall(html)}
    if any(url.endswith(_OVERLAPPING) for url in found):
        return set(_HREF.findall(html))
    return found


@functools.lru_cache(maxsize=1 << 16)
def _parse(url: str) -> tuple[int, tuple[str, ...], str] | str | None:
    """A relative link as (folders it climbs above its page's, the path it then follows, "/" if
    it names a folder), what is wrong with it, or None (nothing to check: an anchor, mail...).
    Pages share most of their links (the frame's), so each distinct link is parsed once."""
    if url.startswith(("#", "mailto:", "tel:", "data:")):
        return None
    if _SCHEME.match(url) or url.startswith("//"):
        return _EXTERNAL
    target = url.split("#", 1)[0].split("?", 1)[0]
    ups, below = 0, list[str]()
    for piece in target.split("/"):
        if piece == "..":
            if below:
                below.pop()
            else:
                ups += 1
        elif piece not in ("", "."):
            below.append(piece)
    return ups, tuple(below), "/" if target.endswith("/") or not target else ""
