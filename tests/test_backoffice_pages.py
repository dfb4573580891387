"""The back office pages the build writes (buildlib/site/backoffice.py): four pages in the light
frame, each `noindex`, each with the labels of the state machine in its configuration, so a
status, an action or a unit reads the same on the pages and in the API."""

import json
import re

from buildlib.site import backoffice
from buildlib.site.pagedata import environment
from buildlib.site.shell import MARKER, SHELL_TITLE, Shell
from chalicelib import workflow

FRAME = (
    f'<html><head><title>{SHELL_TITLE}</title><link rel="stylesheet" href="../assets/site.css">'
    '</head><body><header class="md-header">Site</header><nav class="md-nav">Menu</nav>'
    f"{MARKER}<footer>Chân trang</footer></body></html>"
)


def built() -> dict[str, str]:
    procedures = {"1.004194": "Đăng ký tạm trú"}
    return dict(backoffice.pages(environment(), Shell.from_html(FRAME), procedures))


def config(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="bo-config">(.*?)</script>', html, re.S)
    assert found, "the page carries its configuration"
    return json.loads(found[1])


def test_the_build_writes_the_five_officer_pages_noindex_in_the_light_frame() -> None:
    pages = built()
    assert sorted(pages) == [
        "can-bo/hang-doi/index.html",
        "can-bo/ho-so/index.html",
        "can-bo/in/index.html",
        "can-bo/index.html",
        "can-bo/thong-bao/index.html",
    ]
    for path, html in pages.items():
        head = html[: html.index("</head>")]
        assert '<meta name="robots" content="noindex">' in head, path
        assert "Menu" not in html and "Chân trang" not in html, path  # no navigation, no footer
        depth = path.count("/")
        assert f'href="{"../" * depth}assets/can-bo.css"' in html, path


def test_the_pages_name_statuses_actions_and_units_as_the_state_machine_does() -> None:
    for path, html in built().items():
        c = config(html)
        assert c["statuses"] == {str(k): v for k, v in workflow.STATUSES.items()}, path
        assert c["units"] == workflow.UNITS and c["return_methods"] == workflow.RETURN_METHODS
        officer_actions = {
            n for n, a in workflow.ACTIONS.items() if a.roles & workflow.ROLES.keys()
        }
        assert set(c["actions"]) == officer_actions
        for name, action in c["actions"].items():
            assert action["label"] == workflow.ACTIONS[name].label
            assert action["form"] == workflow.ACTIONS[name].form
        assert c["procedures"] == [["1.004194", "Đăng ký tạm trú"]]
        assert sorted(c["forms"]) == ["01", "02", "03", "04", "05", "06", "07"]


def test_every_officer_action_has_its_form_on_the_dossier_page() -> None:
    html = built()["can-bo/ho-so/index.html"]
    for name, action in workflow.ACTIONS.items():
        if not action.roles & workflow.ROLES.keys():  # the applicant's, a province system's
            assert f'data-action="{name}"' not in html
            continue
        assert f'<form class="bo-action" data-action="{name}"' in html, name
        for field in action.fields:
            if field == "note" and name in ("refuse", "stop", "extend", "request_supplement"):
                continue
            assert f'data-field="{field}"' in html or f'name="{field}"' in html, (name, field)


def test_the_print_page_has_a_section_for_each_form_and_says_its_layout_is_unverified() -> None:
    html = built()["can-bo/in/index.html"]
    for form in workflow.FORMS:
        assert f'<section data-mau="{form}"' in html
    assert "chưa được đối chiếu với mẫu chính thức" in html
