"""Every internal link of every page we write must lead to a page that exists."""

import re
from collections.abc import Callable

_HREF = re.compile(r'(?:href|src|action)="([^"]*)"')


def check_links(path: str, html: str, exists: Callable[[str], bool]) -> list[str]:
    """Broken internal links of one page (`path` below the site root)."""
    base = path.rsplit("/", 1)[0].split("/") if "/" in path else []
    broken = []
    for url in set(_HREF.findall(html)):
        if url.startswith(("#", "mailto:", "tel:", "data:")):
            continue
        if re.match(r"^[a-z]+:", url) or url.startswith("//"):
            broken.append(f"{path}: liên kết ra ngoài trang: {url}")
            continue
        target = url.split("#", 1)[0].split("?", 1)[0]
        parts = list(base)
        for piece in target.split("/"):
            if piece == "..":
                if not parts:
                    broken.append(f"{path}: liên kết ra ngoài gốc trang: {url}")
                    break
                parts.pop()
            elif piece not in ("", "."):
                parts.append(piece)
        else:
            folder = parts and (target.endswith("/") or not target)  # the root is "", not "/"
            resolved = "/".join(parts) + ("/" if folder else "")
            if not exists(resolved):
                broken.append(f"{path}: liên kết hỏng: {url}")
    return broken
