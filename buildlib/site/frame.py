"""mkdocs' frame: the hand-sized pages (home, about) and the hidden shell page that every page we
render is put into (shell.py), built by mkdocs-material into a folder of the build cache and then
moved into the site. `build.start_frame` runs `run_mkdocs` in a process of its own while the
catalogue loads; `build.frame` moves its output in once the catalogue is known to be right."""

import os
import shutil
from pathlib import Path

from buildlib import paths
from buildlib.errors import MkdocsError

from . import cache, webfont

FOLDER = "frame"  # in the build cache: mkdocs' output before it is moved into the site


def run_mkdocs(site_dir: Path, work: Path) -> None:
    """mkdocs' build of theme/pages (with the theme's assets and the web font's cut, kept in
    `work`) into `site_dir`, at the site's public address; a warning fails it (strict mode)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    docs = work / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    shutil.copytree(paths.THEME / "pages", docs)
    (docs / "assets").mkdir(exist_ok=True)
    for asset in cache.files(paths.THEME / "assets"):
        if cache.theme_asset(asset):
            shutil.copy2(asset, docs / "assets" / asset.name)
    webfont.copy_fonts(docs / "assets" / "fonts", cache=work)
    config = load_config(
        str(paths.MKDOCS_CONFIG),
        docs_dir=str(docs),
        site_dir=str(site_dir),
        site_url=paths.site_url(),  # the API's public address too (chalicelib.config)
    )
    try:
        build(config)
    except MkDocsException as error:  # mkdocs' strict mode: a warning aborts the build
        raise MkdocsError(f"mkdocs: {error}") from error


def move_into(built: Path, site_dir: Path) -> None:
    """mkdocs' output moved into the site as mkdocs would write it there: the site's content
    removed first, except hidden files (mkdocs' clean_directory)."""
    site_dir.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(site_dir):
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            os.unlink(entry.path)
    for entry in os.scandir(built):
        os.replace(entry.path, site_dir / entry.name)
    built.rmdir()
