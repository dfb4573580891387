"""Procedure pages: one catalogue procedure -> its HTML pages, framed by the shell.

Each procedure gives `thu-tuc/<code>/` (the version in force today), one permanent page per
version, `thu-tuc/<code>/<effective_from>/`, and a printable checklist, `thu-tuc/<code>/in/`.
The permanent page of the version in force is a pointer to the stable page, which shows that
version (a full copy was ~140 MB at 10,000 procedures); it becomes the full record when the date
moves past it (a rebuild re-renders a procedure whose version in force changed with the date).
Pages are rendered by our Jinja2 templates with autoescape on and StrictUndefined.
"""

import markupsafe
from jinja2 import Environment

from buildlib.catalogue import labels
from buildlib.catalogue.changes import compare
from chalicelib.versions import has_ended, shown_version, state_of

from . import feeds, opendata
from .pagedata import SiteData
from .shell import Shell


def _notice(last: dict, today: str, site: SiteData) -> dict | None:
    ended = last.get("ended")
    if not ended:
        return None
    end = last.get("effective_to")
    done = state_of(last, today) == "past"
    replaced = [
        {"code": c, "name": site.summaries.get(c, {}).get("name"), "known": c in site.summaries}
        for c in ended.get("replaced_by", [])
    ]
    return {
        "kind": ended["kind"],
        "done": done,
        "end": end,
        "decision": ended.get("decision"),
        "note": ended.get("note"),
        "replaced": replaced,
    }


def _calculator(v: dict) -> list[dict]:
    out = []
    for c in v["channels"]:
        d = c.get("deadline") or {}
        amount = d.get("amount")
        out.append(
            {
                "channel": labels.CHANNELS[c["kind"]],
                "amount": amount if isinstance(amount, int) else None,
                "unit": d.get("unit", "unpublished"),
            }
        )
    return out


NATIONAL_PORTAL = ("cổng dịch vụ công quốc gia", "cổng dvcqg")
NATIONAL_PAGE = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/"


def _texts(v: dict) -> str:
    """What the version says about where and how to file, lower-cased: intake, channel notes,
    online service note."""
    parts = [v.get("intake", {}).get("text", ""), v.get("online_service", {}).get("note", "")]
    parts += [c.get("note", "") for c in v["channels"]]
    return " ".join(p for p in parts if isinstance(p, str)).lower()


def _fee_text(fees: dict) -> str | None:
    """A channel's fees in a few words; None when unpublished."""
    if fees["status"] == "none":
        return "không thu"
    if fees["status"] == "unpublished":
        return None
    items = fees.get("items", [])
    amounts = sorted({i["amount"] for i in items if isinstance(i.get("amount"), int)})
    pers = {i.get("per") for i in items}
    per = f"/{items[0]['per']}" if len(pers) == 1 and items[0].get("per") else ""
    if len(amounts) == 1:
        text = labels.money(amounts[0]) + per
    elif amounts:
        text = f"từ {labels.money(amounts[0])} đến {labels.money(amounts[-1])}, tùy trường hợp"
    else:
        return None
    if len(amounts) < len(items) and any(not isinstance(i.get("amount"), int) for i in items):
        text += " (có khoản chưa được công bố)"
    return text


def _summary(v: dict) -> dict:
    """The card at the top of a procedure page: where, how long, how much, what to bring. Only
    what the version states; each part says when its source is silent (labels and the template
    turn "unpublished" into "chưa được công bố")."""
    channels = v["channels"]
    deadlines = [(c["kind"], c.get("deadline")) for c in channels]
    fees = [(c["kind"], _fee_text(c["fees"])) for c in channels]
    counts = [len(case["documents"]) for case in v["cases"] if case.get("documents")]
    texts = _texts(v)
    online = any(c["kind"] == "online" for c in channels)
    national = online and any(name in texts for name in NATIONAL_PORTAL)
    pages = [
        s["url"]
        for s in v.get("sources", [])
        if isinstance(s, dict) and str(s.get("url", "")).startswith(NATIONAL_PAGE)
    ]
    return {
        "agencies": v.get("intake", {}).get("agencies") or v["agencies"]["implementing"],
        "online": online,
        "cross_boundary": v.get("cross_boundary", {}).get("allowed") is True,
        # One line when every channel has the same deadline, or the same fees.
        "deadlines": deadlines[:1] if len({repr(d) for _, d in deadlines}) == 1 else deadlines,
        "fees": fees[:1] if len({repr(f) for _, f in fees}) == 1 else fees,
        # Fewest and most documents over the cases that list theirs (None: no case does).
        "documents": (min(counts), max(counts)) if counts else None,
        "cases": len(v["cases"]),
        "national": {"page": pages[0] if pages else None, "vneid": "vneid" in texts}
        if national
        else None,
    }


def procedure_pages(
    code: str, versions: list[dict], env: Environment, shell: Shell, site: SiteData
) -> list[tuple[str, str]]:
    """(path below the site, HTML) for the stable page and every version's permanent page."""
    today = site.today
    shown = shown_version(versions, today)
    history = []
    for i, each in enumerate(versions):
        changes = compare(versions[i - 1], each) if i else []
        history.append(
            {
                "from": each["effective_from"],
                "to": each.get("effective_to"),
                "state": state_of(each, today),
                "kind": each.get("change", {}).get("kind"),
                "summary": each.get("change", {}).get("summary"),
                "changes": [c.markdown() for c in changes],
                "decision": each.get("decision"),
            }
        )
    notice = _notice(versions[-1], today, site)
    template = env.get_template("procedure.html.j2")
    pages = []
    for v in [None, *versions]:
        if v is shown and state_of(v, today) == "current":
            path = f"thu-tuc/{code}/{v['effective_from']}/index.html"
            pages.append((path, pointer_page(v)))
            continue
        version = v or shown
        depth = 2 if v is None else 3
        root = "../" * depth
        home = f"{root}thu-tuc/{code}/"
        picker = [{"from": h["from"], "to": h["to"], "url": f"{home}{h['from']}/"} for h in history]
        content = template.render(
            v=version,
            code=code,
            root=root,
            home=home,
            permalink=v is not None,
            state=state_of(version, today),
            history=history,
            notice=notice,
            site=site,
            picker=picker,
            calculator=_calculator(version),
            summary=_summary(version),
            form=site.summaries[code].get("form") in site.forms,
            # The service is described once, on its stable page; a version's permalink is a record,
            # and an ended procedure is no service any more (not advertised to search engines).
            jsonld=markupsafe.Markup(
                opendata.government_service_jsonld(
                    version, opendata.procedure_url(code), site.agencies, site.fields
                )
            )
            if v is None and not has_ended(versions, today)
            else None,
        )
        path = f"thu-tuc/{code}/" + ("" if v is None else f"{v['effective_from']}/")
        title = (
            version["name"]
            if v is None
            else f"{version['name']} (từ {labels.date(v['effective_from'])})"
        )
        # The stable page names the procedure's feed of changes (feeds.py), beside it.
        extra = feeds.link(f"Thay đổi: {version['name']}") if v is None else ""
        html = shell.wrap(content, title=title, depth=depth, head_extra=extra)
        pages.append((path + "index.html", html))
    pages.append(checklist_page(code, shown, env, shell, site))
    return pages


def pointer_page(version: dict) -> str:
    """The permanent page of the version in force: a small page that sends the reader to the
    stable page showing the same version (at once, and by a link for those whose browser does
    not follow the refresh), and names it as the page search engines should keep (relative, as
    every link of ours is: the site works wherever it is served)."""
    name = markupsafe.escape(version["name"])
    start = labels.date(version["effective_from"])
    return (
        '<!doctype html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width,initial-scale=1">\n'
        f"<title>{name} (từ {start})</title>\n"
        '<link rel="canonical" href="../">\n'
        '<meta http-equiv="refresh" content="0; url=../">\n'
        "</head>\n<body>\n<main>\n"
        f"<h1>{name}</h1>\n"
        f'<p class="tthc-version">Phiên bản áp dụng từ {start} là phiên bản đang áp dụng. '
        '<a href="../">Xem phiên bản đang áp dụng</a>.</p>\n'
        "</main>\n</body>\n</html>\n"
    )


def checklist_page(
    code: str, version: dict, env: Environment, shell: Shell, site: SiteData
) -> tuple[str, str]:
    """`thu-tuc/<code>/in/`: what to bring, pay and where to go, made to be printed, with a QR
    code back to the procedure's public page (printed pages get carried to the counter). In the
    light frame: a printout needs no site navigation, and 10,000 of them weigh half as much."""
    url = opendata.procedure_url(code)
    content = env.get_template("checklist.html.j2").render(
        v=version,
        code=code,
        root="../../../",
        home="../",
        url=url,
        qr=markupsafe.Markup(opendata.qr_svg(url)),
        state=state_of(version, site.today),
        site=site,
    )
    title = f"Danh sách giấy tờ: {version['name']}"
    return f"thu-tuc/{code}/in/index.html", shell.bare(content, title=title, depth=3)
