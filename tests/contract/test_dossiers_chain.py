"""The chain verifier (chalicelib.chain) on a real SQLite file changed behind the adapter's back."""

import json
import sqlite3

import pytest

from chalicelib import chain
from chalicelib.storage.sqlite import SqliteDossiers

from .test_dossiers_contract import code
from .test_dossiers_lifecycle import SPECIALIST, act, file


@pytest.fixture
def data_dir(tmp_path):
    """Three dossiers: one just filed, two with a few events each."""
    dossiers = SqliteDossiers(tmp_path / "motcua.sqlite3")
    try:
        file(dossiers, 1)
        for number in (2, 3):
            stored = act(dossiers, file(dossiers, number), "receive")
            stored = act(dossiers, stored, "transfer", {"to_unit": "chuyen-mon"})
            act(dossiers, stored, "done", actor=SPECIALIST)
    finally:
        dossiers.close()
    return tmp_path


def tamper(data_dir, sql: str, *params) -> None:
    with sqlite3.connect(data_dir / "motcua.sqlite3") as db:
        assert db.execute(sql, params).rowcount == 1
    db.close()


def test_whole_chains_pass(data_dir, capsys):
    assert chain.main(["--data-dir", str(data_dir)]) == 0
    assert "nguyên vẹn" in capsys.readouterr().out


def test_a_changed_event_is_reported_with_its_dossier(data_dir, capsys):
    tamper(
        data_dir,
        "UPDATE events SET body = json_set(body, '$.at', '2026-11-29T08:00:00+07:00')"
        " WHERE code = ? AND seq = 2",
        code(2),
    )

    assert chain.main(["--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert f"{code(2)}: sự kiện 2: nội dung đã bị thay đổi (hash sai)" in out
    assert code(3) not in out and code(1) not in out


def test_a_removed_event_and_a_changed_answer_are_found(data_dir):
    tamper(data_dir, "DELETE FROM events WHERE code = ? AND seq = 3", code(3))
    tamper(
        data_dir,
        "UPDATE dossiers SET body = json_set(body, '$.answers.n', 99) WHERE code = ?",
        code(1),
    )
    dossiers = SqliteDossiers(data_dir / "motcua.sqlite3")
    try:
        problems = chain.verify(dossiers)
    finally:
        dossiers.close()

    assert set(problems) == {code(1), code(3)}
    assert problems[code(3)] == ["trạng thái lưu không khớp với sự kiện cuối cùng"]
    assert problems[code(1)] == ["trạng thái lưu không khớp với sự kiện cuối cùng"]


def test_two_events_swapped_are_found(data_dir):
    with sqlite3.connect(data_dir / "motcua.sqlite3") as db:
        bodies = dict(db.execute("SELECT seq, body FROM events WHERE code = ?", (code(2),)))
        for seq, other in ((1, 2), (2, 1)):
            moved = json.loads(bodies[other]) | {"seq": seq}
            db.execute(
                "UPDATE events SET body = ? WHERE code = ? AND seq = ?",
                (json.dumps(moved), code(2), seq),
            )
    db.close()
    dossiers = SqliteDossiers(data_dir / "motcua.sqlite3")
    try:
        problems = chain.verify(dossiers)
    finally:
        dossiers.close()

    assert set(problems) == {code(2)}
    assert any("prev sai" in problem for problem in problems[code(2)])


def test_a_missing_data_file_is_an_error_not_a_new_file(tmp_path, capsys):
    assert chain.main(["--data-dir", str(tmp_path / "none")]) == 2
    assert not (tmp_path / "none").exists()
