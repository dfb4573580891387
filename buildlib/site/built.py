"""A built file as a reader gets it, whether the build kept it plain or only gzipped.

The procedure pages that have a gzip copy are stored only as that copy (`index.html.gz`,
precompress.write_with_copy); the servers unpack it for a client that does not take gzip.
Whatever reads built pages (the pull request's preview, the tests) reads them here, by the name
the page has on the site (`thu-tuc/1.001193/index.html`), never by opening the file itself.
"""

import gzip
from collections.abc import Iterator
from pathlib import Path

COPY = ".gz"


def stored(path: Path) -> Path | None:
    """The file that holds `path`: itself, its gzip copy when only the copy was kept, or None."""
    if path.is_file():
        return path
    copy = path.with_name(path.name + COPY)
    return copy if copy.is_file() else None


def exists(path: Path) -> bool:
    return stored(path) is not None


def read_bytes(path: Path) -> bytes:
    """The content of `path` (unpacked when only its copy was kept); FileNotFoundError if none."""
    held = stored(path)
    if held is None:
        raise FileNotFoundError(path)
    data = held.read_bytes()
    return gzip.decompress(data) if held is not path else data


def read(path: Path) -> str:
    """The text (UTF-8) of `path`, as read_bytes."""
    return read_bytes(path).decode("utf-8")


def find(folder: Path, pattern: str) -> Iterator[Path]:
    """The files below `folder` whose name matches `pattern` (Path.glob's), plain or kept only
    as their copy, by their name on the site, sorted."""
    plain = set(folder.glob(pattern))
    copies = {p.with_name(p.name[: -len(COPY)]) for p in folder.glob(pattern + COPY)}
    yield from sorted(plain | copies)
