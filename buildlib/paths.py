"""Where the build reads and writes, named once; and the site's public address.

The build runs from a checkout (`python build.py ...`, buildlib installed editable), so the
repository is the folder above this package.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from chalicelib import config

from .errors import BuildError

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "catalogue"
SCHEMAS = ROOT / "schemas"
THEME = ROOT / "theme"
TEMPLATES = THEME / "templates"  # our Jinja2 page templates
MKDOCS_CONFIG = ROOT / "mkdocs.yml"
SITE = ROOT / "site"
CACHE = ROOT / "build" / "cache"
CORPUS = ROOT / "build" / "corpus" / "catalogue"  # `build.py import` writes its drafts here
BUNDLE = config.DEFAULT_BUNDLE  # the API's catalogue bundle, shipped inside functions/


def site_url() -> str:
    """The site's public address, ending in '/' (chalicelib.config.public_url: MOTCUA_PUBLIC_URL,
    which the API reads too; the local server's address when unset). Every published identifier
    starts with it: the downloads' `url` and `source`, CPSV-AP `@id`s, the `motcua:` vocabulary,
    schema.org, the checklists' QR codes, mkdocs' sitemap and canonical links. The pages' own
    links stay relative."""
    return config.public_url() + "/"


@contextmanager
def public_url(url: str | None) -> Iterator[None]:
    """`build.py build --public-url URL`: the build's public address, over MOTCUA_PUBLIC_URL,
    for the duration of the block. Set in the environment, so the workers the build forks and
    the API code it imports read the same value; restored afterwards. None: leave it alone."""
    if url is None:
        yield
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise BuildError(f"--public-url: cần địa chỉ http(s)://máy/đường-dẫn, không phải {url!r}")
    before = os.environ.get("MOTCUA_PUBLIC_URL")
    os.environ["MOTCUA_PUBLIC_URL"] = url
    try:
        yield
    finally:
        if before is None:
            del os.environ["MOTCUA_PUBLIC_URL"]
        else:
            os.environ["MOTCUA_PUBLIC_URL"] = before
