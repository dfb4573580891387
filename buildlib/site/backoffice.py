"""The officers' back office (`can-bo/`): static pages that call the officer API with fetch, like
the applicant's pages call theirs (routes and JSON in docs/lifecycle.md, section API).

    can-bo/           log in (and the lockout message)
    can-bo/hang-doi/  the queue of an office: filters, counts per status, "Xem thêm"
    can-bo/ho-so/     one dossier (?ma=): answers, files, timeline, the actions allowed now
    can-bo/in/        a printable form of Thông tư 03/2025/TT-VPCP, Phụ lục I (?ma=&mau=01..07)
    can-bo/thong-bao/ notifications that did not leave, with their last error and "Gửi lại"

Every page is in the light frame (Shell.bare: the site's header bar, no navigation or search),
marked `noindex`, and never in the search index or the sitemap (neither is made from here). The
labels the pages show (statuses, actions, units, return methods) come from the state machine,
`chalicelib.workflow`, through the page's JSON configuration: one source with the API.
"""

from collections.abc import Iterator
from typing import Any

import markupsafe
from jinja2 import Environment

from chalicelib import workflow

from .application import API
from .pagedata import script_json
from .shell import Shell

ROOT = "can-bo/"
NOINDEX = '<meta name="robots" content="noindex">\n'
CHANNELS = {  # storage.ports.NewDossier.channel (DVCQG channels 1, 2, 3)
    "truc_tiep": "Trực tiếp",
    "truc_tuyen": "Trực tuyến",
    "buu_chinh": "Bưu chính công ích",
}
# (template, path, title, depth)
PAGES = [
    ("can-bo/login.html.j2", "can-bo/index.html", "Đăng nhập cán bộ", 1),
    ("can-bo/queue.html.j2", "can-bo/hang-doi/index.html", "Hàng đợi hồ sơ", 2),
    ("can-bo/dossier.html.j2", "can-bo/ho-so/index.html", "Hồ sơ", 2),
    ("can-bo/print.html.j2", "can-bo/in/index.html", "In biểu mẫu", 2),
    ("can-bo/outbox.html.j2", "can-bo/thong-bao/index.html", "Thông báo chưa gửi được", 2),
]


def client_config(procedures: dict[str, str]) -> dict[str, Any]:
    """What the back office scripts need, in each page as JSON."""
    return {
        "api": API,
        "statuses": {str(k): v for k, v in workflow.STATUSES.items()},
        "actions": {
            name: {"label": a.label, "form": a.form, "fields": list(a.fields)}
            for name, a in workflow.ACTIONS.items()
            if a.roles & workflow.ROLES.keys()  # an officer's (not the applicant's, nor mirror)
        },
        "units": workflow.UNITS,
        "roles": workflow.ROLES,
        "return_methods": workflow.RETURN_METHODS,
        "outcomes": workflow.OUTCOMES,
        "channels": CHANNELS,
        "forms": workflow.FORMS,
        "procedures": [[code, procedures[code]] for code in sorted(procedures)],
    }


def pages(env: Environment, shell: Shell, procedures: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(path, HTML) of every back office page. `procedures`: code -> name of those that can be
    filed online (the queue's procedure filter)."""
    data = client_config(procedures)
    config = markupsafe.Markup(script_json(data))
    for template, path, title, depth in PAGES:
        html = env.get_template(template).render(
            root="../" * depth, config=config, c=data, title=title
        )
        page = shell.bare(html, title=f"{title} | Bộ phận Một cửa", depth=depth)
        yield path, page.replace("</head>", NOINDEX + "</head>", 1)
