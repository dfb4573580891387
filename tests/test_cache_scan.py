"""cache.scan: which procedure folders changed since the last build, without listing the
folders that did not (buildlib/site/cache.py)."""

import os
from pathlib import Path

import pytest

from buildlib.site import cache

LONG_AGO = 1_600_000_000_000_000_000  # ns


def make_catalogue(root: Path) -> Path:
    catalogue = root / "catalogue"
    for code in ("1.000001", "1.000002"):
        (catalogue / "procedures" / code).mkdir(parents=True)
        (catalogue / "procedures" / code / "2024-01-01.yaml").write_text(f"code: {code}\n")
    (catalogue / "fields.yaml").write_text("fields: []\n")
    settle(catalogue)
    return catalogue


def settle(catalogue: Path) -> None:
    """Every folder last changed long ago (past scan's racy window)."""
    for folder in (catalogue / "procedures").iterdir():
        os.utime(folder, ns=(LONG_AGO, LONG_AGO))


def known_from(catalogue: Path) -> dict:
    hashes, _, _, signatures, _ = cache.scan(catalogue)
    return {c: (signatures[c], hashes[c]) for c in hashes}


def test_an_unchanged_folder_is_not_listed_again(tmp_path: Path, monkeypatch):
    catalogue = make_catalogue(tmp_path)
    known = known_from(catalogue)
    monkeypatch.setattr(cache.os, "listdir", lambda path: pytest.fail(f"listed {path}"))
    hashes, per_code, _, signatures, _ = cache.scan(catalogue, known)
    assert {c: (signatures[c], hashes[c]) for c in hashes} == known
    assert per_code["1.000001"] == [str(catalogue / "procedures/1.000001/2024-01-01.yaml")]


def test_an_edit_in_place_leaves_the_folder_and_is_seen(tmp_path: Path):
    catalogue = make_catalogue(tmp_path)
    known = known_from(catalogue)
    (catalogue / "procedures/1.000001/2024-01-01.yaml").write_text("code: 1.000001\nname: x\n")
    settle(catalogue)  # the folder's mtime as before: an edit in place does not change it
    hashes, _, _, _, _ = cache.scan(catalogue, known)
    assert hashes["1.000001"] != known["1.000001"][1]
    assert hashes["1.000002"] == known["1.000002"][1]


def test_a_file_added_or_removed_is_seen(tmp_path: Path):
    catalogue = make_catalogue(tmp_path)
    known = known_from(catalogue)
    (catalogue / "procedures/1.000001/2025-01-01.yaml").write_text("code: 1.000001\n")
    (catalogue / "procedures/1.000002/2024-01-01.yaml").unlink()
    hashes, per_code, _, _, _ = cache.scan(catalogue, known)
    assert [Path(p).name for p in per_code["1.000001"]] == ["2024-01-01.yaml", "2025-01-01.yaml"]
    assert per_code["1.000002"] == []
    assert hashes["1.000001"] != known["1.000001"][1]


def test_a_folder_changed_just_now_is_listed_next_time(tmp_path: Path, monkeypatch):
    catalogue = make_catalogue(tmp_path)
    (catalogue / "procedures/1.000001/2025-01-01.yaml").write_text("code: 1.000001\n")
    known = known_from(catalogue)  # scanned within the folder's mtime tick: not to be trusted
    assert known["1.000001"][0][0] is None
    listed = []
    real = os.listdir
    monkeypatch.setattr(cache.os, "listdir", lambda path: listed.append(path) or real(path))
    cache.scan(catalogue, known)
    assert listed == [str(catalogue / "procedures/1.000001")]


def test_a_folder_in_a_procedures_folder_is_listed_every_time(tmp_path: Path):
    catalogue = make_catalogue(tmp_path)
    (catalogue / "procedures/1.000001/notes").mkdir()
    (catalogue / "procedures/1.000001/notes/a.txt").write_text("a")
    settle(catalogue)
    first = cache.scan(catalogue)
    known = {c: (first[3][c], first[0][c]) for c in first[0]}
    again = cache.scan(catalogue, known)
    assert again[2] == first[2]  # its file is among the others both times
    (catalogue / "procedures/1.000001/notes/a.txt").write_text("b")
    assert cache.scan(catalogue, known)[2] != first[2]


def settle_files(catalogue: Path) -> None:
    """Every file last changed long ago too (past the racy window)."""
    for path in catalogue.rglob("*"):
        os.utime(path, ns=(LONG_AGO, LONG_AGO))


def test_the_other_files_are_not_read_again_while_their_signature_is_the_same(
    tmp_path: Path, monkeypatch
):
    catalogue = make_catalogue(tmp_path)
    settle_files(catalogue)
    hashes, _, others, signatures, signature = cache.scan(catalogue)
    assert signature is not None
    known = {c: (signatures[c], hashes[c]) for c in hashes}
    monkeypatch.setattr(cache, "digest", lambda *a: pytest.fail("read again"))
    assert cache.scan(catalogue, known, (signature, others))[2] == others


@pytest.mark.parametrize(
    "change",
    [
        lambda c: (c / "fields.yaml").write_text("fields: [x]\n"),  # same size, other bytes
        lambda c: (c / "agency.yaml").write_text("id: x\n"),  # a new file
        lambda c: (c / "fields.yaml").unlink(),
    ],
)
def test_a_changed_added_or_removed_other_file_is_hashed_again(tmp_path: Path, change):
    catalogue = make_catalogue(tmp_path)
    settle_files(catalogue)
    _, _, others, _, signature = cache.scan(catalogue)
    change(catalogue)
    settle_files(catalogue)  # even with the old mtime: the inode or the size or the names differ
    again = cache.scan(catalogue, known_others=(signature, others))
    assert again[2] == cache.scan(catalogue)[2] != others


def test_other_files_changed_just_now_are_hashed_next_time_too(tmp_path: Path):
    catalogue = make_catalogue(tmp_path)
    (catalogue / "fields.yaml").write_text("fields: [y]\n")
    assert cache.scan(catalogue)[4] is None  # not to be trusted by the next scan
