"""Browse pages: by field, level, audience, online kind, agency and life event.

They are built from one small summary per procedure (name, field, levels... of the version shown
today), not from the catalogue itself, so an incremental rebuild can redo them from the cache
without loading 10,000 procedures. A few dozen pages: rendered by our templates into the shell,
and on a rebuild only those whose inputs changed (`made`: a digest of each page's inputs). When
the rebuild also says which procedures' summaries may have changed (`touched`), a page none of
them is listed on, before or after, is not even put together (its list of up to 10,000 items
and their digest were most of a one-procedure rebuild's browse phase).
"""

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from jinja2 import Environment, Template

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
    return {
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
        "changes": feeds.entries(v["code"], versions, today),  # for the field and agency feeds
        # The name's head, folded as search folds it (the finding page's common searches).
        "head": " ".join(fold(_HEAD.split(v["name"], maxsplit=1)[0])),
    }


STATUS = {
    "active": "",
    "future": "chưa áp dụng",
    "replaced": "đã bị thay thế",
    "abolished": "đã bị bãi bỏ",
}


def _item(root: str, code: str, s: dict, extra: str = "") -> dict:
    meta = [code]
    if s["status"] == "future":
        meta.append(f"áp dụng từ {labels.date(s['from'])}")
    elif STATUS[s["status"]]:
        meta.append(STATUS[s["status"]])
    if extra:
        meta.append(extra)
    return {"href": f"{root}thu-tuc/{code}/", "text": s["name"], "meta": " · ".join(meta)}


def _sorted(summaries: dict[str, dict], codes) -> list[str]:
    return sorted(
        codes,
        key=lambda c: (summaries[c]["status"] not in ("active", "future"), summaries[c]["name"], c),
    )


Page = tuple[str, str | None]  # (path below the site, HTML; None: unchanged, not rendered)


def pages(
    env: Environment,
    shell: Shell,
    site: SiteData,
    made: dict[str, str] | None = None,
    touched: list[dict] | None = None,
) -> Iterator[Page]:
    """(path below the site, HTML) of every browse, agency and life-event page.

    `made` maps page paths to a digest of what each was made from (template, inputs, date): given
    the previous build's, a page made from the same inputs comes with HTML None (its file is
    already right) and is not rendered. It is updated with this build's digests.

    `touched` (a rebuild on the same date, with the same other catalogue files): the summaries,
    before and after, of every procedure that changed, appeared or went. A list page, agency page
    or life-event page that lists none of them comes with HTML None without being made again:
    every other input of these pages is in `made`'s digest only through those summaries."""
    s = site.summaries
    listing = env.get_template("list.html.j2")
    renderer = _Renderer(shell, site, {} if made is None else made)
    mentioned = _Mentions(touched)

    def page(
        path: str, title: str, sections: list[dict], intro: str = "", feed: str | None = None
    ) -> Page:
        depth = path.count("/")
        root = "../" * depth
        for section in sections:
            for item in section["items"]:
                item["href"] = item["href"].replace("{root}", root)
        context = {"title": title, "intro": intro, "sections": sections, "root": root}
        return renderer.page(path, listing, title, context, basis=context, feed=feed)

    def group(key, names: dict[str, str], base: str, title: str, noun: str):
        buckets: dict[str, list[str]] = {}
        for code, item in s.items():
            values = item[key] if isinstance(item[key], list) else [item[key]]
            for value in values:
                buckets.setdefault(value, []).append(code)
        index = []
        slugs = labels.SLUGS.get(key, {})
        for value in sorted(buckets, key=lambda x: names.get(x, x)):
            name = names.get(value, value)
            slug = slugs.get(value, value)
            path = f"{base}/{slug}/"
            if mentioned.spares(key, value) and renderer.has(path):
                yield renderer.kept(path)
            else:
                root = "../" * path.count("/")
                items = [_item(root, c, s[c]) for c in renderer.order(buckets[value])]
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
    yield from agency_pages(env, renderer, site, page, mentioned)
    if mentioned.spares_online(site.forms) and renderer.has(ONLINE):
        yield renderer.kept(ONLINE)
    else:
        yield online_page(env, renderer, site)
    if mentioned.spares_finding() and renderer.has(FINDING):
        yield renderer.kept(FINDING)
    else:
        yield finding_page(env, renderer, site)
    yield from life_event_pages(env, renderer, site, page)  # a few small pages: digested


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


class _Renderer:
    """Renders a page into the shell unless it is made from the same inputs as last time."""

    def __init__(self, shell: Shell, site: SiteData, made: dict[str, str]) -> None:
        self.shell, self.today, self.made = shell, site.today, made
        self.summaries = site.summaries
        self.rank: dict[str, int] | None = None

    def order(self, codes: Iterable[str]) -> list[str]:
        """`codes` in the lists' order (`_sorted`). Every procedure is ranked once, when the
        first list is made; each list then sorts by an integer (a procedure is on ~6 lists:
        its field, levels, audiences, online kind and agencies)."""
        if self.rank is None:
            self.rank = {c: i for i, c in enumerate(_sorted(self.summaries, self.summaries))}
        return sorted(codes, key=self.rank.__getitem__)

    def has(self, path: str) -> bool:
        """A file made by an earlier build is there for this page."""
        return path + "index.html" in self.made

    def kept(self, path: str) -> Page:
        """The page as an earlier build made it (its inputs did not change)."""
        return path + "index.html", None

    def page(
        self,
        path: str,
        template: Template,
        title: str,
        context: dict[str, Any],
        basis: Any,
        feed: str | None = None,
    ) -> Page:
        """`basis`: everything the page shows, JSON-able (the context without SiteData)."""
        text = json.dumps([template.name, self.today, title, basis], ensure_ascii=False)
        digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        target = path + "index.html"
        if self.made.get(target) == digest:
            return target, None
        self.made[target] = digest
        html = template.render(**context)
        extra = feeds.link(feed) if feed else ""
        return target, self.shell.wrap(html, title=title, depth=path.count("/"), head_extra=extra)


def agency_pages(
    env, renderer: _Renderer, site: SiteData, page, mentioned: _Mentions
) -> Iterator[Page]:
    handled: dict[str, dict[str, list[str]]] = {}
    for code, item in site.summaries.items():
        for role, ids in item["agencies"].items():
            for agency in ids:
                handled.setdefault(agency, {}).setdefault(role, []).append(code)
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
                "items": [
                    _item("../../", c, site.summaries[c]) for c in renderer.order(roles[role])
                ],
            }
            for role, label in ROLES.items()
            if role in roles
        ]
        parent = site.agencies.get(agency.get("parent") or "", {}).get("name")
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
            basis=[agency, sections, parent, offices],
            feed=f"Thay đổi: {agency['name']}",
        )
    yield page("co-quan/", "Cơ quan giải quyết thủ tục", [{"heading": None, "items": index}])


def life_event_pages(env, renderer: _Renderer, site: SiteData, page) -> Iterator[Page]:
    template = env.get_template("life_event.html.j2")
    index = []
    for event_id, event in sorted(site.life_event_docs.items()):
        steps = [site.summaries.get(step.get("procedure")) for step in event["steps"]]
        yield renderer.page(
            f"su-kien/{event_id}/",
            template,
            event["name"],
            {"e": event, "root": "../../", "site": site},
            basis=[event, steps],
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
    return renderer.page(ONLINE, env.get_template("online.html.j2"), title, context, context)


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
    return renderer.page(FINDING, env.get_template("find.html.j2"), title, context, context)
