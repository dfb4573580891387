"""Where the build reads and writes, named once; and the site's public address.

The build runs from a checkout (`python build.py ...`, buildlib installed editable), so the
repository is the folder above this package.
"""

from pathlib import Path

from chalicelib import config

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
    """The site's public address, ending in '/' (chalicelib.config.public_url: the API reads the
    same value). Absolute URLs are for QR codes, JSON-LD and mkdocs' sitemap; the pages' own
    links stay relative."""
    return config.public_url() + "/"
