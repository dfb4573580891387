"""The page frame: mkdocs-material builds one hidden page, `_shell/`, and every page of ours is
written into it (cut around a marker), so the site looks like one mkdocs site without mkdocs ever
seeing 10,000 pages (its nav and per-page work grow with pages x pages)."""

import functools
import json
import re
from dataclasses import dataclass

import markupsafe

from buildlib.errors import RenderError

from .pagedata import script_json

MARKER = "<!--MOTCUA:CONTENT-->"
SHELL_TITLE = "MOTCUA_SHELL_TITLE"


@dataclass(frozen=True)
class Shell:
    """The page frame mkdocs built for `_shell/` (depth 1), cut around the content marker.

    `bare_head` and `bare_tail` are a light frame for pages made to be printed: the same <head>
    (styles, icon, title), colour scheme and header bar (logo and site name, linking home), but
    no navigation drawer, footer or scripts."""

    head: str
    tail: str
    bare_head: str = ""
    bare_tail: str = ""

    @classmethod
    def from_html(cls, html: str) -> "Shell":
        if html.count(MARKER) != 1:
            raise RenderError(f"trang khung _shell/index.html phải chứa đúng một {MARKER}")
        # Indentation is ~20% of the frame, which every one of ~20,000 pages repeats; the frame
        # has no <pre> or <textarea>, so dropping it changes nothing rendered.
        html = re.sub(r"\n\s*", "\n", html)
        html = re.sub(r'<link rel="canonical" href="[^"]*">\s*', "", html)
        # What these pages never use, repeated ~30,000 times at 10,000 procedures: the generator
        # tag, the script that opens tabbed content (no page has tabs) and the empty table-of-
        # contents sidebar (as mkdocs-material's own `hide: [toc]` leaves it out).
        html = re.sub(r'<meta name="generator" content="[^"]*">\n', "", html)
        html = re.sub(
            r"<script>var target=document\.getElementById\(location\.hash.*?</script>\n", "", html
        )
        html = re.sub(
            r'<div class="md-sidebar md-sidebar--secondary"[^>]*>\n'
            r'<div class="md-sidebar__scrollwrap">\n<div class="md-sidebar__inner">\n'
            r'<nav class="md-nav md-nav--secondary"[^>]*>\n</nav>\n</div>\n</div>\n</div>\n',
            "",
            html,
        )
        # mkdocs-material's page configuration, ASCII-escaped (Vietnamese translations): the same
        # object in UTF-8 is ~40% smaller.
        html = re.sub(
            r'(<script id="__config" type="application/json">)(.*?)(</script>)',
            lambda m: m[1] + script_json(json.loads(m[2])) + m[3],
            html,
            count=1,
            flags=re.S,
        )
        head, tail = html.split(MARKER)
        body = re.search(r"<body[^>]*>", head)
        if "</head>" not in head or body is None:
            raise RenderError("trang khung _shell/index.html thiếu </head> hoặc <body>")
        top = re.sub(r"<script\b.*?</script>\n?", "", head[: head.index("</head>")], flags=re.S)
        header = re.search(r"<header\b.*?</header>\n?", head, flags=re.S)
        bar = re.sub(  # the menu (label, and the button frame.js shows) and the page title
            r'<label\b[^>]*\bfor="__drawer"[^>]*>.*?</label>\n?'
            r"|<button\b[^>]*\btthc-menu\b[^>]*>.*?</button>\n?"
            r'|<div\b[^>]*\bdata-md-component="header-topic"[^>]*>.*?</div>\n?',
            "",
            header[0] if header else "",
            flags=re.S,
        )
        bare_head = (
            f"{top}</head>\n{body[0]}\n{bar}"
            '<main class="md-main"><div class="md-main__inner md-grid">'
            '<div class="md-content"><article class="md-content__inner md-typeset">\n'
        )
        bare_tail = "</article></div></div></main>\n</body>\n</html>\n"
        return cls(head, tail, bare_head, bare_tail)

    def wrap(self, content: str, *, title: str, depth: int, head_extra: str = "") -> str:
        """The page at `depth` folders below the site root: the frame's relative URLs re-rooted
        (only the frame's: the content's links are already relative to its own page).
        `head_extra`: markup added at the end of <head> (a feed's `<link rel="alternate feed">`)."""
        head, tail = self._at(self.head, self.tail, depth)
        head = head.replace(SHELL_TITLE, _attr(title), 2)
        if head_extra:
            head = head.replace("</head>", head_extra + "</head>", 1)
        return head + content + tail

    def bare(self, content: str, *, title: str, depth: int) -> str:
        """The page at `depth` in the light frame (see the class)."""
        head, tail = self._at(self.bare_head, self.bare_tail, depth)
        return head.replace(SHELL_TITLE, _attr(title), 1) + content + tail

    def frames(self, depth: int) -> list[list[str]]:
        """The full and the light frame at `depth` as the pieces every page at that depth has
        the same, in order: from </head> to the content, cut around the title, then the frame
        after the content. Their links are checked once (parallel.py), not in every page."""
        out = []
        for head, tail in ((self.head, self.tail), (self.bare_head, self.bare_tail)):
            head, tail = self._at(head, tail, depth)
            out.append([*head[head.index("</head>") :].split(SHELL_TITLE), tail])
        return out

    @staticmethod
    @functools.lru_cache(maxsize=32)
    def _at(head: str, tail: str, depth: int) -> tuple[str, str]:
        """The frame re-rooted at `depth`, made once for each (a full frame's four replaces
        took ~26 us, in every one of ~30,000 pages of a 10,000-procedure build)."""
        if depth == 1:
            return head, tail
        prefix = "../" * depth

        def move(html: str) -> str:
            return html.replace('"../', '"' + prefix).replace('".."', '"' + prefix[:-1] + '"')

        return move(head), move(tail)


def _attr(text: str) -> str:
    return str(markupsafe.escape(text))
