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
