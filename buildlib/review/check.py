"""`build.py check`: load, validate and cross-check everything; report every problem at once."""

from pathlib import Path
from typing import TextIO

from buildlib.catalogue.crosschecks import run_all
from buildlib.catalogue.load import Catalogue, load
from buildlib.catalogue.problems import Problem


def check(catalogue_dir: Path, *, workers: int | None = None) -> list[Problem]:
    catalogue = load(catalogue_dir, workers=workers)
    return sorted(catalogue.problems + run_all(catalogue))


def report(problems: list[Problem], *, fmt: str, out: TextIO) -> int:
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        print(problem.github() if fmt == "github" else problem.text(), file=out)
    warnings = len(problems) - len(errors)
    if errors:
        print(f"{len(errors)} lỗi, {warnings} cảnh báo.", file=out)
        return 1
    print(f"Danh mục hợp lệ ({warnings} cảnh báo).", file=out)
    return 0


def load_valid(catalogue_dir: Path, *, out: TextIO, refusing: str) -> Catalogue | None:
    """The loaded catalogue, or None after printing every error: for steps that must not run on
    a broken catalogue (the site, the API bundle). `refusing` says what is not done."""
    catalogue = load(catalogue_dir)
    errors = [p for p in catalogue.problems + run_all(catalogue) if p.severity == "error"]
    if not errors:
        return catalogue
    for problem in errors:
        print(problem.text(), file=out)
    print(f"Không {refusing}: {len(errors)} lỗi trong danh mục.", file=out)
    return None
