"""Every internal link of every page we write must lead to a page that exists."""

import functools
import re
from collections.abc import Callable

_HREF = re.compile(r'(?:href|src|action)="([^"]*)"')
_SCHEME = re.compile(r"^[a-z]+:")
_SKIP, _EXTERNAL, _OUTSIDE = "", "liên kết ra ngoài trang", "liên kết ra ngoài gốc trang"


def check_links(path: str, html: str, exists: Callable[[str], bool]) -> list[str]:
    """Broken internal links of one page (`path` below the site root)."""
    folder = path.rsplit("/", 1)[0] if "/" in path else None
    broken = []
    for url in set(_HREF.findall(html)):
        problem, resolved = _resolve(folder, url)
        if problem:
            broken.append(f"{path}: {problem}: {url}")
        elif resolved is not None and not exists(resolved):
            broken.append(f"{path}: liên kết hỏng: {url}")
    return broken


@functools.lru_cache(maxsize=1 << 16)
def _resolve(folder: str | None, url: str) -> tuple[str, str | None]:
    """(what is wrong, "" if nothing; the path below the site root it leads to, None if it
    leads nowhere to check). Pages share most of their links (the frame's, per depth), so each
    distinct (folder, link) is resolved once."""
    if url.startswith(("#", "mailto:", "tel:", "data:")):
        return _SKIP, None
    if _SCHEME.match(url) or url.startswith("//"):
        return _EXTERNAL, None
    target = url.split("#", 1)[0].split("?", 1)[0]
    parts = folder.split("/") if folder is not None else []
    for piece in target.split("/"):
        if piece == "..":
            if not parts:
                return _OUTSIDE, None
            parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return _SKIP, "/".join(parts) + ("/" if target.endswith("/") or not target else "")
