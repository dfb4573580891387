"""Every page type loads without a failed request or an error in the console, once its scripts
and their requests have settled (Lighthouse's best-practices "errors-in-console" on a phone: a
404 that no page names, such as mkdocs-material's bundle fetching `sitemap.xml` beside every
`<link rel="alternate">`, costs a page type its score)."""

import pytest

from .test_site_a11y import PAGES, open_page

# Every page type of the site (test_site_a11y), the online application and the dossier lookup.
LOADS = {name: path for name, (path, _) in PAGES.items()} | {
    "apply": "/nop-ho-so/1.001193/",
    "lookup": "/tra-cuu/",
    "officer-login": "/can-bo/",
}


@pytest.mark.parametrize("name", LOADS)
def test_page_type_loads_without_a_failed_request_or_console_error(make_page, server, name):
    page = make_page(360, 800)
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: failed.append(f"{r.failure} {r.url}"))
    if name in PAGES:
        open_page(page, server, name)
    else:
        assert page.goto(server.url + LOADS[name]).status == 200
    page.wait_for_load_state("networkidle")  # the deferred scripts and what they fetch

    if name == "not-found":  # the page itself answers 404, and the console says so once
        failed.remove(f"404 {server.url}{LOADS[name]}")
        page.console_errors.remove(
            "Failed to load resource: the server responded with a status of 404 (Not Found)"
        )
    assert failed == [], f"{name}: failed requests"
    assert page.console_errors == [], f"{name}: console errors"
