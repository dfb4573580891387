"""The Dossiers contract (storage/ports.py), run against SQLite and against DynamoDB in moto."""

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.errors import IdempotencyConflictError
from chalicelib.storage.ports import NewDossier

AGENCY = "000.00.01.H26"
DAY = "261125"


class Crash(Exception):
    """What the after_write hook raises to stand for a process dying at that point."""


def make_dossier(*, agency: str = AGENCY, day: str = DAY, **overrides) -> NewDossier:
    values = {
        "agency": agency,
        "day": day,
        "procedure": "1.001193",
        "version": "2025-07-01",
        "catalogue": "4acdfe5",
        "answers": {"ho_ten": "Nguyễn Văn An", "so_dinh_danh": "001234567890"},
        "uploads": {"to-khai": ["2025/11/26/abc.pdf"]},
        "secret_hash": "sha256:00ff",
        "received_at": "2026-11-25T09:30:00+07:00",
        "due_at": "2026-11-28T17:00:00+07:00",
    }
    return NewDossier(**(values | overrides))


def code(sequence: int, *, agency: str = AGENCY, day: str = DAY) -> str:
    return f"{agency}-{day}-{sequence:04d}"


def test_a_created_dossier_reads_back_whole(dossiers):
    dossier = make_dossier()

    stored = dossiers.create(dossier, idempotency_key="k1", request_hash="h1")

    assert stored.code == code(1)
    assert stored.dossier == dossier
    read = dossiers.get(stored.code)
    assert read is not None
    assert (read.code, read.dossier, read.events) == (code(1), dossier, ())


def test_an_unknown_code_reads_as_none(dossiers):
    assert dossiers.get(code(1)) is None


def test_the_same_key_and_request_returns_the_first_dossier(dossiers):
    first = dossiers.create(make_dossier(), idempotency_key="k1", request_hash="h1")
    again = dossiers.create(make_dossier(), idempotency_key="k1", request_hash="h1")

    assert again.code == first.code == code(1)
    assert dossiers.get(code(2)) is None
    assert dossiers.create(make_dossier(), idempotency_key="k2", request_hash="h2").code == code(2)


def test_the_same_key_with_another_request_is_a_conflict(dossiers):
    dossiers.create(make_dossier(), idempotency_key="k1", request_hash="h1")

    with pytest.raises(IdempotencyConflictError):
        dossiers.create(make_dossier(procedure="1.000656"), idempotency_key="k1", request_hash="h2")
    assert dossiers.get(code(2)) is None


def test_filed_under_names_the_dossier_of_an_idempotency_key_and_none_before(dossiers):
    assert dossiers.filed_under("nhap-1") is None
    stored = dossiers.create(make_dossier(), idempotency_key="nhap-1", request_hash="h1")

    assert dossiers.filed_under("nhap-1") == stored.code
    assert dossiers.filed_under("nhap-2") is None


def test_two_hundred_concurrent_creates_number_one_day_without_gaps(dossiers):
    def create(number: int) -> str:
        dossier = make_dossier(answers={"n": number})
        return dossiers.create(dossier, idempotency_key=f"k{number}", request_hash="h").code

    # Eight threads race hard enough (about 400 lost races on DynamoDB) and keep moto, which
    # copies the whole table for every transaction, at about ten seconds.
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(create, range(200)))

    assert sorted(codes) == [code(n) for n in range(1, 201)]
    for number, stored_code in enumerate(codes):
        assert dossiers.get(stored_code).dossier.answers == {"n": number}


def test_twenty_concurrent_retries_of_one_request_store_one_dossier(dossiers):
    def create(_: int) -> str:
        return dossiers.create(make_dossier(), idempotency_key="same", request_hash="h").code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = set(pool.map(create, range(20)))

    assert codes == {code(1)}
    assert dossiers.create(make_dossier(), idempotency_key="next", request_hash="h").code == code(2)


def test_each_agency_and_day_has_its_own_sequence(dossiers):
    other_agency = "000.00.02.H26"
    creates = [(AGENCY, DAY), (other_agency, DAY), (AGENCY, "261126"), (AGENCY, DAY)]

    codes = [
        dossiers.create(
            make_dossier(agency=agency, day=day), idempotency_key=f"k{n}", request_hash="h"
        ).code
        for n, (agency, day) in enumerate(creates)
    ]

    assert codes == [
        code(1),
        code(1, agency=other_agency),
        code(1, day="261126"),
        code(2),
    ]


def test_a_crash_after_any_write_leaves_one_whole_dossier_once_retried(make_dossiers):
    """Crash after write 1, then after write 2, ... until a create runs past every write."""
    crashed_at: list[str] = []
    for write in itertools.count(1):
        dossier = make_dossier(answers={"write": write})
        key = f"crash-after-write-{write}"
        try:
            make_dossiers(after_write=crash_at(write, crashed_at)).create(
                dossier, idempotency_key=key, request_hash="h"
            )
        except Crash:
            left = make_dossiers().get(code(write))
            assert left is None or left.dossier == dossier, "a crash left half a dossier"
            retried = make_dossiers().create(dossier, idempotency_key=key, request_hash="h")
            assert (retried.code, retried.dossier) == (code(write), dossier)
            continue
        break

    assert crashed_at, "the adapter never called after_write"
    after = make_dossiers().create(make_dossier(), idempotency_key="after", request_hash="h")
    assert after.code == code(write + 1)
    for number in range(1, write + 1):
        assert make_dossiers().get(code(number)).dossier.answers == {"write": number}


def crash_at(write: int, crashed_at: list[str]):
    """An after_write hook that raises Crash at its `write`-th call and records the label."""
    calls = itertools.count(1)

    def hook(label: str) -> None:
        if next(calls) == write:
            crashed_at.append(label)
            raise Crash(label)

    return hook
