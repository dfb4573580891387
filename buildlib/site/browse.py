"""Browse pages: by field, level, audience, online kind, agency and life event.

They are built from one small summary per procedure (name, field, levels... of the version shown
today), not from the catalogue itself, so an incremental rebuild can redo them from the cache
without loading 10,000 procedures. A few dozen pages: rendered by our templates into the shell,
and written only when their HTML differs from the last build's (`made`: a digest of each page's
HTML). When the rebuild also says which procedures' summaries may have changed (`touched`), a
page none of them is listed on, before or after, is not even put together (its list of up to
10,000 items was most of a one-procedure rebuild's browse phase). A list's items are written
once per procedure and build, not once per list (`_Renderer.items`).
"""

import bisect
import hashlib
import operator
import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from jinja2 import Environment, Template
from markupsafe import escape

from buildlib.catalogue import labels
from chalicelib.bundle import accepting_offices
from chalicelib.versions import has_ended, shown_version, state_of, version_in_force

from . import feeds
from .pagedata import SiteData
from .search import fold
from .shell import Shell

_HEAD = re.compile(r"[,;:(]")  # a name's head ends there (search.core_length)

ROLES = {
    "implementing": "thực hiện",
    "competent": "có thẩm quyền",
    "coordinating": "phối hợp",
    "intake": "tiếp nhận hồ sơ",
}


def summary(versions: list[dict], today: str) -> dict:
    """What browse pages and other procedures' pages need to know about one procedure."""
    v = shown_version(versions, today)
    last = versions[-1]
    agencies = {role: list(v.get("agencies", {}).get(role, [])) for role in ROLES}
    agencies["intake"] = list(v.get("intake", {}).get("agencies", []))
    ended = last.get("ended")
    status = "active"
    if state_of(v, today) == "future":
        status = "future"
    if ended and has_ended(versions, today):
        status = ended["kind"]
    in_force = version_in_force(versions, today)
    out = {
        "name": v["name"],
        "form": (in_force or {}).get("online_service", {}).get("form"),
        "field": v["field"],
        "levels": list(v["levels"]),
        "audiences": list(v.get("audiences", [])),
        "online": v.get("online_service", {}).get("kind", "unpublished"),
        "agencies": agencies,
        "status": status,
        "from": v["effective_from"],
        "ranges": [[x["effective_from"], x.get("effective_to")] for x in versions],
        "refs": sorted(set(v.get("related", [])) | set((ended or {}).get("replaced_by", []))),
        # for the procedure's, field's and agencies' feeds (packed: feeds.pack)
        "changes": feeds.pack(feeds.entries(v["code"], versions, today)),
        # The name's head, folded as search folds it (the finding page's common searches).
        "head": " ".join(fold(_HEAD.split(v["name"], maxsplit=1)[0])),
    }
    # Its `<li>` on the lists (`_item_tail`), written once and kept in the page cache with the
    # rest: a rebuild wrote again the items of every procedure on the lists it remade.
    out["item"] = _item_tail(v["code"], out)
    return out


STATUS = {
    "active": "",
    "future": "chưa áp dụng",
    "replaced": "đã bị thay thế",
    "abolished": "đã bị bãi bỏ",
}


def _item(root: str, code: str, s: dict) -> dict:
    return {"href": f"{root}thu-tuc/{code}/", "text": s["name"], "meta": _meta(code, s)}


def _meta(code: str, s: dict) -> str:
    meta = [code]
    if s["status"] == "future":
        meta.append(f"áp dụng từ {labels.date(s['from'])}")
    elif STATUS[s["status"]]:
        meta.append(STATUS[s["status"]])
    return " · ".join(meta)


def _item_tail(code: str, s: dict) -> str:
    """A procedure's list item (`_item` as pagedata.list_items writes it) after `href="` and its
    root: the same on every list the procedure is on, whatever the list's depth."""
    e = escape
    return f'thu-tuc/{e(code)}/">{e(s["name"])}</a> <small>{e(_meta(code, s))}</small></li>\n'


def _sorted(summaries: dict[str, dict], codes) -> list[str]:
    return sorted(codes, key=lambda c: _rank_key(summaries, c))


def _rank_key(summaries: dict[str, dict], code: str) -> tuple:
    """The lists' order: procedures in force or to come first, then by name and code."""
    s = summaries[code]
    return (s["status"] not in ("active", "future"), s["name"], code)


def ranked(
    summaries: dict[str, dict],
    previous: list[str] | None = None,
    touched: Iterable[str] = (),
) -> list[str]:
    """Every procedure in the lists' order. `previous`: the last build's order, when only the
    summaries of `touched` codes (changed, appeared or went) can differ from the ones it was
    made from: the others keep their order, and each touched one still here is put in its place
    by bisection (sorting 10,000 names was ~0.03 s of a one-procedure rebuild)."""
    if previous is None:
        return _sorted(summaries, summaries)
    touched = set(touched)
    order = [c for c in previous if c not in touched]
    for c in sorted(touched & summaries.keys()):
        bisect.insort(order, c, key=lambda x: _rank_key(summaries, x))
    return order


class Page(NamedTuple):
    path: str  # below the site
    html: str | None  # None: unchanged, not rendered
    # What to check the links of (links.check_links): the HTML without the procedures' items,
    # which each link to `thu-tuc/<code>/` of a code in `listed` (None: the whole HTML).
    frame: str | None = None
    listed: tuple[str, ...] = ()


class _Listed(list[str]):
    """A list's procedure items, written (`_Renderer.items`) as one text (empty: no text), and
    their codes."""

    codes: tuple[str, ...] = ()


def pages(
    env: Environment,
    shell: Shell,
    site: SiteData,
    made: dict[str, str] | None = None,
    touched: list[dict] | None = None,
    order: list[str] | None = None,
) -> Iterator[Page]:
    """(path below the site, HTML) of every browse, agency and life-event page.

    `made` maps page paths to a digest of their HTML: given the previous build's, a page that
    comes out the same comes with HTML None (its file is already right). It is updated with this
    build's digests.

    `touched` (a rebuild on the same date, with the same other catalogue files): the summaries,
    before and after, of every procedure that changed, appeared or went. A list page or agency page
    that lists none of them comes with HTML None without being made again: every other input of
    these pages is the same (a change to any other catalogue file, the code or the date is a
    build without `touched`).

    `order`: every procedure in the lists' order (`ranked`), if the caller has it."""
    s = site.summaries
    listing = env.get_template("list.html.j2")
    renderer = _Renderer(shell, site, {} if made is None else made, order)
    mentioned = _Mentions(touched)

    def page(
        path: str, title: str, sections: list[dict], intro: str = "", feed: str | None = None
    ) -> Page:
        depth = path.count("/")
        root = "../" * depth
        for section in sections:
            for item in section["items"]:
                if type(item) is dict:  # else a procedure's item, written (`_Renderer.items`)
                    item["href"] = item["href"].replace("{root}", root)
        context = {"title": title, "intro": intro, "sections": sections, "root": root}
        return renderer.page(path, listing, title, context, feed=feed)

    lists, handled = _buckets(s, renderer.ranking_of_all())

    def group(key, names: dict[str, str], base: str, title: str, noun: str):
        buckets = lists[key]
        index = []
        slugs = labels.SLUGS.get(key, {})
        for value in sorted(buckets, key=lambda x: names.get(x, x)):
            name = names.get(value, value)
            slug = slugs.get(value, value)
            path = f"{base}/{slug}/"
            if mentioned.spares(key, value) and renderer.has(path):
                yield renderer.kept(path)
            else:
                items = renderer.items("../" * path.count("/"), buckets[value], ordered=True)
                yield page(
                    path,
                    f"{noun} {name}".strip(),
                    [{"heading": None, "items": items}],
                    f"{len(buckets[value])} thủ tục.",
                    feed=f"Thay đổi: lĩnh vực {name}" if key == "field" else None,
                )
            index.append(
                {
                    "href": f"{{root}}{path}",
                    "text": name.capitalize(),
                    "meta": f"{len(buckets[value])} thủ tục",
                }
            )
        yield page(f"{base}/", title, [{"heading": None, "items": index}])

    yield from group("field", site.fields, "duyet/linh-vuc", "Thủ tục theo lĩnh vực", "Lĩnh vực")
    yield from group("levels", labels.LEVELS, "duyet/cap", "Thủ tục theo cấp thực hiện", "Thủ tục")
    yield from group(
        "audiences",
        labels.AUDIENCES,
        "duyet/doi-tuong",
        "Thủ tục theo đối tượng thực hiện",
        "Thủ tục dành cho",
    )
    yield from group(
        "online",
        labels.ONLINE,
        "duyet/truc-tuyen",
        "Thủ tục theo mức độ dịch vụ công trực tuyến",
        "Dịch vụ công trực tuyến",
    )
    kinds = [
        ("duyet/linh-vuc/", "Theo lĩnh vực"),
        ("su-kien/", "Theo sự kiện cuộc sống"),
        ("co-quan/", "Theo cơ quan giải quyết"),
        ("duyet/cap/", "Theo cấp thực hiện"),
        ("duyet/doi-tuong/", "Theo đối tượng thực hiện"),
        ("duyet/truc-tuyen/", "Theo mức độ dịch vụ công trực tuyến"),
    ]
    yield page(
        "duyet/",
        "Tra cứu thủ tục hành chính",
        [
            {
                "heading": None,
                "items": [
                    {"href": "{root}" + href, "text": text, "meta": ""} for href, text in kinds
                ],
            }
        ],
        f"{len(s)} thủ tục. Dữ liệu tại ngày {labels.date(site.today)}.",
    )
    yield from agency_pages(env, renderer, site, page, mentioned, handled)
    if mentioned.spares_online(site.forms) and renderer.has(ONLINE):
        yield renderer.kept(ONLINE)
    else:
        yield online_page(env, renderer, site)
    if mentioned.spares_finding() and renderer.has(FINDING):
        yield renderer.kept(FINDING)
    else:
        yield finding_page(env, renderer, site)
    yield from life_event_pages(env, renderer, site, page)  # a few small pages: digested


Buckets = dict[str, list[str]]  # a value (or role) -> its procedures' codes


def _buckets(
    summaries: dict[str, dict], ranking: list[str]
) -> tuple[dict[str, Buckets], dict[str, Buckets]]:
    """The codes of each list, in the lists' order (`ranking`): {key: {value: codes}} for the
    field, levels, audiences and online kind, and {agency: {role: codes}}. One pass over every
    procedure for all of them (a pass per key and one for the agencies were 0.085 s of a rename
    rebuild at 10,000 procedures, this one 0.045 s: each list a rebuild spares still needs its
    count on its index page)."""
    field: Buckets = {}
    levels: Buckets = {}
    audiences: Buckets = {}
    online: Buckets = {}
    agencies: dict[str, Buckets] = {}
    for code in ranking:
        summary = summaries[code]
        value = summary["field"]
        if value in field:
            field[value].append(code)
        else:
            field[value] = [code]
        for value in summary["levels"]:
            if value in levels:
                levels[value].append(code)
            else:
                levels[value] = [code]
        for value in summary["audiences"]:
            if value in audiences:
                audiences[value].append(code)
            else:
                audiences[value] = [code]
        value = summary["online"]
        if value in online:
            online[value].append(code)
        else:
            online[value] = [code]
        for role, ids in summary["agencies"].items():
            for agency in ids:
                roles = agencies.get(agency)
                if roles is None:
                    roles = agencies[agency] = {}
                if role in roles:
                    roles[role].append(code)
                else:
                    roles[role] = [code]
    lists = {"field": field, "levels": levels, "audiences": audiences, "online": online}
    return lists, agencies


class _Mentions:
    """What the touched summaries name (see `pages`); with no `touched`, nothing is spared."""

    def __init__(self, touched: list[dict] | None) -> None:
        self.everything = touched is None
        self.values: dict[str, set] = {}
        self.agencies: set[str] = set()
        self.forms = {summary.get("form") for summary in touched or []}
        self.heads = [f" {summary['head']} " for summary in touched or []]
        for summary in touched or []:
            for key in ("field", "levels", "audiences", "online"):
                value = summary[key]
                self.values.setdefault(key, set()).update(
                    value if isinstance(value, list) else [value]
                )
            self.agencies.update(a for ids in summary["agencies"].values() for a in ids)

    def spares(self, key: str, value: Any) -> bool:
        return not self.everything and value not in self.values.get(key, ())

    def spares_agency(self, agency: str) -> bool:
        return not self.everything and agency not in self.agencies

    def spares_online(self, forms: set[str]) -> bool:
        """The online page lists only procedures with a form here (`online_page`)."""
        return not self.everything and not self.forms & forms

    def spares_finding(self) -> bool:
        """The finding page lists only procedures whose name's head holds a common search."""
        return not self.everything and not any(
            phrase in head for phrase in _COMMON_PHRASES for head in self.heads
        )


_ITEM = operator.itemgetter("item")


class _Renderer:
    """Renders a page into the shell, and tells whether it is what the last build wrote."""

    def __init__(
        self, shell: Shell, site: SiteData, made: dict[str, str], order: list[str] | None = None
    ) -> None:
        self.shell, self.today, self.made = shell, site.today, made
        self.summaries = site.summaries
        self.ranking = order
        self.rank: dict[str, int] | None = None

    def order(self, codes: Iterable[str]) -> list[str]:
        """`codes` in the lists' order (`ranked`). Every procedure is ranked once, when the
        first list is made; each list then sorts by an integer (a procedure is on ~6 lists:
        its field, levels, audiences, online kind and agencies)."""
        if self.rank is None:
            self.rank = {c: i for i, c in enumerate(self.ranking_of_all())}
        return sorted(codes, key=self.rank.__getitem__)

    def ranking_of_all(self) -> list[str]:
        """Every procedure in the lists' order."""
        if self.ranking is None:
            self.ranking = ranked(self.summaries)
        return self.ranking

    def items(self, root: str, codes: Iterable[str], *, ordered: bool = False) -> "_Listed":
        """The `<li>` of each procedure of a list (`_item`, escaped as pagedata.list_items
        escapes it), in the lists' order: each procedure's is its summary's `item`, the same
        on every list, prefixed with each list's root (which climbs to the site's root: the
        link is to `thu-tuc/<code>/`, see `page`). `ordered`: `codes` are in that order already."""
        out = _Listed()
        out.codes = tuple(codes) if ordered else tuple(self.order(codes))
        if out.codes:  # joined with C-level lookups: ~51,000 items on a rename's 9 lists
            start = '<li><a href="' + root
            items = map(_ITEM, map(self.summaries.__getitem__, out.codes))
            out.append(start + start.join(items))
        return out

    def has(self, path: str) -> bool:
        """A file made by an earlier build is there for this page."""
        return path + "index.html" in self.made

    def kept(self, path: str) -> Page:
        """The page as an earlier build made it (its inputs did not change)."""
        return Page(path + "index.html", None)

    def page(
        self,
        path: str,
        template: Template,
        title: str,
        context: dict[str, Any],
        feed: str | None = None,
    ) -> Page:
        """The page, or None when it is byte for byte the file the last build wrote (`made`
        holds the digest of each page's HTML): its file is not written again, nor its links
        checked. The procedures' items of its lists are put in after the rest is rendered, so
        that the links checked with a regular expression are the rest's (a list's items are
        each a link to `thu-tuc/<code>/`, and up to 10,000 of them: reading them again for their
        links was most of the check)."""
        extra = feeds.link(feed) if feed else ""
        lists: dict[str, _Listed] = {}
        sections: list[dict] = []
        for section in context.get("sections", ()):
            if isinstance(section["items"], _Listed) and section["items"]:
                marker = f"\0{len(lists)}\0"  # no catalogue text holds a NUL (YAML refuses it)
                lists[marker] = section["items"]
                section = {**section, "items": [marker]}
            sections.append(section)
        html = frame = self.shell.wrap(
            template.render(**{**context, "sections": sections}),
            title=title,
            depth=path.count("/"),
            head_extra=extra,
        )
        for marker, items in lists.items():
            html = html.replace(marker, "".join(items), 1)
        digest = hashlib.blake2b(html.encode(), digest_size=16).hexdigest()
        target = path + "index.html"
        if self.made.get(target) == digest:
            return Page(target, None)
        self.made[target] = digest
        listed = tuple(c for items in lists.values() for c in items.codes)
        return Page(target, html, frame, listed)


def agency_pages(
    env,
    renderer: _Renderer,
    site: SiteData,
    page,
    mentioned: _Mentions,
    handled: dict[str, dict[str, list[str]]],
) -> Iterator[Page]:
    """`handled`: agency -> role -> the codes of its procedures in that role (`_buckets`)."""
    template = env.get_template("agency.html.j2")
    index = []
    for agency_id, agency in sorted(site.agencies.items(), key=lambda a: a[1]["name"]):
        roles = handled.get(agency_id, {})
        count = len({c for codes in roles.values() for c in codes})
        index.append(
            {
                "href": f"{{root}}co-quan/{agency_id}/",
                "text": agency["name"],
                "meta": f"{count} thủ tục",
            }
        )
        if mentioned.spares_agency(agency_id) and renderer.has(f"co-quan/{agency_id}/"):
            yield renderer.kept(f"co-quan/{agency_id}/")
            continue
        sections = [
            {
                "heading": f"Là cơ quan {label}",
                "items": renderer.items("../../", roles[role], ordered=True),
            }
            for role, label in ROLES.items()
            if role in roles
        ]
        offices = site.offices.get(agency_id, [])
        yield renderer.page(
            f"co-quan/{agency_id}/",
            template,
            agency["name"],
            {
                "a": agency,
                "sections": sections,
                "offices": offices,
                "root": "../../",
                "site": site,
            },
            feed=f"Thay đổi: {agency['name']}",
        )
    yield page("co-quan/", "Cơ quan giải quyết thủ tục", [{"heading": None, "items": index}])


def life_event_pages(env, renderer: _Renderer, site: SiteData, page) -> Iterator[Page]:
    template = env.get_template("life_event.html.j2")
    index = []
    for event_id, event in sorted(site.life_event_docs.items()):
        yield renderer.page(
            f"su-kien/{event_id}/",
            template,
            event["name"],
            {"e": event, "root": "../../", "site": site},
        )
        index.append(
            {
                "href": f"{{root}}su-kien/{event_id}/",
                "text": event["name"],
                "meta": f"{len(event['steps'])} bước",
            }
        )
    yield page(
        "su-kien/",
        "Sự kiện cuộc sống",
        [{"heading": None, "items": index}],
        "Những việc thường phải làm cùng nhau, theo thứ tự.",
    )


ONLINE = "nop-truc-tuyen/"


def online_page(env: Environment, renderer: _Renderer, site: SiteData) -> Page:
    """ "Nộp hồ sơ trực tuyến": every procedure whose version in force has an online form here,
    by field, each with where its dossiers are filed (the offices the API accepts, as on its
    application page) and a link to that agency's page (address, hours, phone)."""
    register = [o for offices in site.offices.values() for o in offices]
    by_field: dict[str, list[dict]] = {}
    for code in renderer.order(site.summaries):
        s = site.summaries[code]
        if s.get("form") not in site.forms:
            continue
        implementing = s["agencies"]["implementing"]
        accepted = accepting_offices(
            {"agencies": {"implementing": implementing}}, site.agencies, register
        )
        places = []
        for agency_id in dict.fromkeys(o["agency"] for o in accepted):
            mine = [o for o in accepted if o["agency"] == agency_id]
            agency = site.agencies.get(agency_id, {})
            communes = mine[0]["level"] == "xa"
            places.append(
                {
                    "agency": agency_id if agency else None,
                    "text": agency.get("name", agency_id) if communes else mine[0]["name"],
                    "count": len(mine) if communes else 0,
                }
            )
        by_field.setdefault(s["field"], []).append(
            {"code": code, "name": s["name"], "places": places}
        )
    sections = [
        {"heading": site.fields.get(f, f).capitalize(), "items": by_field[f]}
        for f in sorted(by_field, key=lambda f: site.fields.get(f, f))
    ]
    count = sum(len(section["items"]) for section in sections)
    title = "Nộp hồ sơ trực tuyến"
    context = {"title": title, "sections": sections, "count": count, "root": "../"}
    return renderer.page(ONLINE, env.get_template("online.html.j2"), title, context)


FINDING = "tim-kiem/"
# What citizens look for most (the life events and the seed's search queries): the finding page
# lists, for each, the procedures whose name's head holds all its words.
COMMON_QUERIES = [
    "khai sinh",
    "kết hôn",
    "khai tử",
    "thường trú",
    "tạm trú",
    "căn cước",
    "lý lịch tư pháp",
    "hộ kinh doanh",
    "giấy chứng nhận quyền sử dụng đất",
    "giấy phép xây dựng",
]


_COMMON_PHRASES = [f" {' '.join(fold(words))} " for words in COMMON_QUERIES]


def finding_page(env: Environment, renderer: _Renderer, site: SiteData) -> Page:
    """`tim-kiem/`, where the home page's search box sends its words when the browser runs no
    JavaScript (with JavaScript the search runs in the page, and here too on the words sent):
    the procedures of the most common searches, and the ways to browse the catalogue."""
    heads = {
        code: f" {s['head']} "
        for code, s in site.summaries.items()
        if s["status"] in ("active", "future")
    }
    sections = []
    for words, phrase in zip(COMMON_QUERIES, _COMMON_PHRASES, strict=True):
        codes = renderer.order([c for c, head in heads.items() if phrase in head])
        if codes:
            items = [_item("../", c, site.summaries[c]) for c in codes]
            sections.append({"heading": words.capitalize(), "items": items})
    title = "Tìm thủ tục"
    context = {"title": title, "sections": sections, "root": "../"}
    return renderer.page(FINDING, env.get_template("find.html.j2"), title, context)
