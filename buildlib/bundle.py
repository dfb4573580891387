"""`build.py bundle`: the catalogue as the functions need it, in one JSON file.

The functions never read catalogue/ themselves: the build hands them the procedures that have an
online form (every version, so a dossier is checked against the version in force when it is
filed), the forms, agency identifiers, the office register (catalogue/offices.py: the offices a
dossier is filed with), the working calendar and the administrative units. A catalogue change is
a new bundle, not a code change.
"""

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import TextIO

from . import paths
from .catalogue import offices
from .catalogue.load import Catalogue
from .review.check import load_valid

DEFAULT_OUT = paths.BUNDLE


def catalogue_revision(root: Path = paths.ROOT) -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "catalogue"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    revision = result.stdout.strip() if result.returncode == 0 else "unknown"
    return revision + ("+dirty" if dirty.stdout.strip() else "")


def make_bundle(catalogue: Catalogue, *, revision: str, built: str) -> dict:
    forms = {d.data["id"]: d.data for d in catalogue.of_kind("form")}
    procedures = {}
    for code, docs in catalogue.procedures().items():
        versions = [d.data for d in docs if d.data["online_service"].get("form") in forms]
        if versions:
            procedures[code] = [
                {key: v[key] for key in _VERSION_KEYS if key in v} for v in versions
            ]
    agencies = {
        d.data["id"]: {
            "name": d.data["name"],
            "identifier": d.data["identifier"],
            "level": d.data["level"],
            "kind": d.data.get("kind", "khac"),
        }
        for d in catalogue.of_kind("agency")
    }
    units = {
        d.data["code"]: {
            "name": d.data["name"],
            "communes": {c["code"]: c["name"] for c in d.data["communes"]},
        }
        for d in catalogue.of_kind("units")
    }
    calendar = [d.data for d in catalogue.of_kind("calendar")]
    used = {v["online_service"]["form"] for vs in procedures.values() for v in vs}
    return {
        "revision": revision,
        "built": built,
        "procedures": procedures,
        "forms": {k: v for k, v in forms.items() if k in used},
        "agencies": agencies,
        "province": offices.PROVINCE,
        "offices": offices.of_catalogue(
            [(d.kind, d.data) for d in catalogue.documents if d.data is not None]
        ),
        "units": units,
        "calendar": calendar,
    }


_VERSION_KEYS = (
    "code",
    "name",
    "levels",
    "effective_from",
    "effective_to",
    "ended",
    "channels",
    "cases",
    "agencies",
    "online_service",
    "decision",
    "cross_boundary",
    "processing",
)


def bundle_command(catalogue_dir: Path, out_path: Path | None, *, out: TextIO) -> int:
    catalogue = load_valid(catalogue_dir, out=out, refusing="tạo gói dữ liệu")
    if catalogue is None:
        return 1
    bundle = make_bundle(
        catalogue,
        revision=catalogue_revision(),
        built=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    target = out_path or DEFAULT_OUT
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(bundle, ensure_ascii=False, separators=(",", ":")))
    temporary.replace(target)
    print(
        f"Gói dữ liệu cho API: {len(bundle['procedures'])} thủ tục nộp trực tuyến → {target}",
        file=out,
    )
    return 0
