"""Loads the catalogue folder: every YAML file read strictly and validated against its schema.

Layout (see README, "Biên tập danh mục"):
  procedures/<code>/<effective_from>.yaml   one file per version of a procedure
  forms/<id>.yaml  agencies/<id>.yaml  life-events/<id>.yaml  units/<province code>.yaml
  calendar/<year>.yaml  fields.yaml  templates/<any form template file>
Large catalogues are read by one process per core; each document's problems come back with it.
"""

import gc
import hashlib
import marshal
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from buildlib import paths

from .problems import Problem
from .schemas import SchemaSet
from .yamlsource import Locator, load_bytes, unreadable

FOLDERS = {
    "forms": "form",
    "agencies": "agency",
    "life-events": "life-event",
    "units": "units",
    "calendar": "calendar",
}
PARALLEL_FROM = 400  # files; below this, worker start-up costs more than it saves
BATCHES_PER_PROCESS = 16  # small batches: the processes end close together (see _load_shared)
MIN_BATCH = 50  # files


@dataclass
class Document:
    kind: str
    rel: str  # path relative to the repository root (what editors see in messages)
    path: Path
    data: Any  # None when the file could not be read as YAML

    def locator(self) -> Locator:
        return Locator(self.path.read_text(encoding="utf-8", errors="replace"))

    def problem(self, parts: tuple, message: str, **kw: Any) -> Problem:
        return self.locator().problem(self.rel, parts, message, **kw)

    @property
    def code(self) -> str:
        """A procedure file's code: the name of its folder."""
        return self.path.parent.name


class Stub(Document):
    """A procedure file a partial load does not read (`data` None, see build's _load_partial):
    it only tells the cross-checks that its code exists. Its `path` is made when first asked for,
    from text: 10,000 pathlib objects and their folders' names were ~0.03 s of a one-procedure
    rebuild at 10,000 procedures."""

    def __init__(self, code: str, rel: str, file: str) -> None:  # not the dataclass's: no Path
        self.kind, self.rel, self.data = "procedure", rel, None
        self._code, self._file = code, file

    @property
    def code(self) -> str:
        return self._code

    def __getattr__(self, name: str) -> Any:  # only for what __init__ did not set: `path`
        if name != "path":
            raise AttributeError(name)
        self.path = Path(self._file)
        return self.path


@dataclass
class Catalogue:
    root: Path
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Document]:
        return [d for d in self.documents if d.kind == kind and d.data is not None]

    def procedures(self) -> dict[str, list[Document]]:
        """Versions by procedure code (the folder name), oldest first."""
        out: dict[str, list[Document]] = {}
        for doc in self.of_kind("procedure"):
            out.setdefault(doc.path.parent.name, []).append(doc)
        for versions in out.values():
            versions.sort(key=lambda d: str(d.data.get("effective_from", d.path.stem)))
        return out

    def by_id(self, kind: str, key: str = "id") -> dict[str, Document]:
        return {str(d.data.get(key)): d for d in self.of_kind(kind) if isinstance(d.data, dict)}


def _kind_of(parts: tuple[str, ...]) -> str | None:
    """The kind of the file at `parts` (its path below catalogue/, split)."""
    if not parts[-1].endswith((".yaml", ".yml")):
        return None
    if parts == ("fields.yaml",):
        return "field"
    if len(parts) == 3 and parts[0] == "procedures":
        return "procedure"
    if len(parts) == 2 and parts[0] in FOLDERS:
        return FOLDERS[parts[0]]
    return "unknown"


def discover(catalogue_dir: Path, *, procedures: bool = True) -> list[tuple[str, Path]]:
    """(kind, path) for every YAML file below catalogue/, skipping templates/ (and procedures/
    unless `procedures`). Paths are joined as text: at 10,000 procedures pathlib's parsing was
    a third of a cached `check`."""
    found: list[tuple[str, Path]] = []
    top = str(catalogue_dir)
    skip = {"templates"} if procedures else {"templates", "procedures"}
    for dirpath, dirnames, filenames in os.walk(top):
        rel_dir = tuple(dirpath[len(top) + 1 :].split(os.sep)) if dirpath != top else ()
        if rel_dir[:1] and rel_dir[0] in skip:
            dirnames[:] = []
            continue
        dirnames.sort()
        for name in sorted(filenames):
            kind = _kind_of((*rel_dir, name))
            if kind:
                found.append((kind, Path(dirpath, name)))
    return found


_schemas: SchemaSet | None = None


def _init_worker(schema_dir: str) -> None:
    global _schemas
    _schemas = SchemaSet(Path(schema_dir))
    # Loaded documents are trees without cycles: the cyclic collector only re-scans millions of
    # young objects while they are built (measured: loading 10,000 procedures 9.5 s -> 6.9 s).
    gc.disable()


Job = tuple[str, str, str]  # (kind, path, path relative to the repository)
Loaded = tuple[Any, list[Problem]]  # a document's data (None if unreadable) and its problems
Read = tuple[Any, list[Problem], str | None]  # the same and the digest of the bytes read


def _load_one(kind: str, path: str, rel: str) -> Read:
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        return None, [unreadable(rel, error)], None
    if kind == "unknown":
        message = "tệp YAML nằm ngoài cấu trúc danh mục (xem README, Biên tập danh mục)"
        return None, [Problem(rel, 1, 1, "", message)], file_digest(raw)
    assert _schemas is not None
    data, problems = load_bytes(raw, rel)
    if data is not None:
        errors = list(_schemas.errors(kind, data))
        if errors:
            locator = Locator(raw.decode("utf-8"))
            for parts, message, at_key in errors:
                problems.append(locator.problem(rel, parts, message, key=at_key))
    return data, problems, file_digest(raw)


def file_digest(raw: bytes) -> str:
    """What `build.py check`'s cache keeps to know a file whose stat changed but not its bytes."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _load_batch(batch: list[Job]) -> list[Read]:
    return [_load_one(kind, path, rel) for kind, path, rel in batch]


def _load_batch_marshalled(batch: list[Job]) -> bytes:
    """_load_batch's results in a worker, as one marshal blob: a pickle of the same trees took
    ~8x the CPU to make and ~1.2x to read back (~1.1 s of the workers' CPU at 10,000)."""
    read = _load_batch(batch)
    return marshal.dumps(
        [(data, [p.fields() for p in found], digest) for data, found, digest in read]
    )


def _unmarshal(blob: bytes) -> list[Read]:
    read = marshal.loads(blob)
    return [(data, [Problem(*p) for p in found], digest) for data, found, digest in read]


def _load_shared(jobs: list[Job], workers: int, schema_dir: Path) -> list[Read]:
    """The jobs read by `workers` processes: this one and `workers - 1` forked ones. The batches
    are queued for the pool in order and this process takes them from the end, each one the pool
    has not started yet (its future cancelled), until it meets one the pool has; between two of
    its own batches it unmarshals what the pool sent back. At 10,000 procedures on two cores, a
    second worker cost more CPU (its start, marshalling its half back) than this process's idle
    wait saved."""
    size = max(MIN_BATCH, len(jobs) // (workers * BATCHES_PER_PROCESS))
    batches = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    read: list[list[Read] | None] = [None] * len(batches)
    with ProcessPoolExecutor(
        workers - 1, initializer=_init_worker, initargs=(str(schema_dir),)
    ) as pool:
        futures = [pool.submit(_load_batch_marshalled, batch) for batch in batches]
        _init_worker(str(schema_dir))  # gc off here too: see load
        sent_back = 0  # futures before this one are unmarshalled
        for index in reversed(range(len(batches))):
            if not futures[index].cancel():
                break
            read[index] = _load_batch(batches[index])
            while sent_back < index and futures[sent_back].done():
                read[sent_back] = _unmarshal(futures[sent_back].result())
                sent_back += 1
        for index, future in enumerate(futures):
            if read[index] is None:
                read[index] = _unmarshal(future.result())
    return [one for batch in read for one in batch]  # type: ignore[union-attr]


def load_jobs(jobs: list[Job], schema_dir: Path) -> list[Loaded]:
    """Loads and validates the given (kind, path, rel) files in this process, leaving the garbage
    collector as it found it (used by incremental builds that read only changed files)."""
    gc_was_enabled = gc.isenabled()
    try:
        _init_worker(str(schema_dir))
        return [(data, problems) for data, problems, _ in _load_batch(jobs)]
    finally:
        if gc_was_enabled:
            gc.enable()


def load(
    catalogue_dir: Path,
    *,
    repo_root: Path | None = None,
    schema_dir: Path | None = None,
    workers: int | None = None,
    known: Callable[[list[Job]], dict[str, Loaded]] | None = None,
    digests: dict[str, str] | None = None,
) -> Catalogue:
    """Every file read and validated. `known` (for `build.py check`'s cache) may answer for
    some of the jobs, by path relative to the repository: those files are not read again.
    `digests` receives the `file_digest` of each file read, by the same path."""
    catalogue_dir = catalogue_dir.resolve()
    repo_root = (repo_root or catalogue_dir.parent).resolve()
    schema_dir = schema_dir or paths.SCHEMAS
    files = discover(catalogue_dir)
    every = [(kind, str(path), _rel(path, repo_root)) for kind, path in files]
    answered = known(every) if known else {}
    jobs = [job for job in every if job[2] not in answered]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    gc_was_enabled = gc.isenabled()
    try:
        if not jobs:
            results = []
        elif workers > 1 and len(jobs) >= PARALLEL_FROM:
            results = _load_shared(jobs, workers, schema_dir)
        else:
            _init_worker(str(schema_dir))
            results = _load_batch(jobs)
    finally:
        if gc_was_enabled:
            # The documents live as long as the command: without this, the next collections of
            # the oldest generation walk their millions of objects (~0.5 s of a cold check).
            gc.freeze()
            gc.enable()
    for (_, _, rel), (data, problems, digest) in zip(jobs, results, strict=True):
        answered[rel] = (data, problems)
        if digests is not None and digest is not None:
            digests[rel] = digest
    catalogue = Catalogue(root=catalogue_dir)
    for (kind, _, rel), (_, path) in zip(every, files, strict=True):
        data, problems = answered[rel]
        catalogue.documents.append(Document(kind, rel, path, data))
        catalogue.problems.extend(problems)
    return catalogue


def _rel(path: Path, root: Path) -> str:
    text, prefix = str(path), str(root) + os.sep
    return text[len(prefix) :] if text.startswith(prefix) else text
