"""Verifies every dossier's event chain: `python -m chalicelib.chain --data-dir var`.

Each event's hash covers its content and the previous event's hash, and the first one's `prev` is
the hash of the dossier as filed (workflow.verify_chain), so an answer, an event, or their order
changed in storage after the fact is found. The stored state must also end where the chain ends
(its `head` and `version`), so a state edited behind the log's back is found too.
`verify` works on any Dossiers adapter; the command opens the embedded SQLite file.
"""

import argparse
import os
import sys
from pathlib import Path

from chalicelib import workflow
from chalicelib.config import Settings
from chalicelib.storage.ports import Dossiers


def verify(dossiers: Dossiers) -> dict[str, list[str]]:
    """The problems of every dossier whose chain is broken, by code (empty when all are whole)."""
    problems: dict[str, list[str]] = {}
    for code in dossiers.codes():
        stored = dossiers.get(code)
        if stored is None:  # codes() listed it: only a concurrent deletion, which nothing does
            problems[code] = ["hồ sơ biến mất trong khi kiểm tra"]
            continue
        found = workflow.verify_chain(stored.dossier, stored.events)
        state = stored.state or workflow.initial_state(stored.dossier)
        head = stored.events[-1].get("hash") if stored.events else workflow.genesis(stored.dossier)
        if state.head != head or state.version != len(stored.events):
            found.append("trạng thái lưu không khớp với sự kiện cuối cùng")
        if found:
            problems[code] = found
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chalicelib.chain",
        description="Kiểm tra chuỗi băm nhật ký của mọi hồ sơ (phát hiện dữ liệu bị sửa).",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("MOTCUA_DATA_DIR", Settings.data_dir)),
        help="thư mục dữ liệu của máy chủ nhúng (mặc định: MOTCUA_DATA_DIR hoặc var/)",
    )
    args = parser.parse_args(argv)
    path = args.data_dir / "motcua.sqlite3"
    if not path.is_file():
        print(f"Không có tệp dữ liệu {path}.", file=sys.stderr)
        return 2
    from chalicelib.storage.sqlite import SqliteDossiers

    dossiers = SqliteDossiers(path)
    try:
        problems = verify(dossiers)
    finally:
        dossiers.close()
    for code, found in problems.items():
        for problem in found:
            print(f"{code}: {problem}")
    if problems:
        print(f"{len(problems)} hồ sơ có nhật ký bị thay đổi.", file=sys.stderr)
        return 1
    print("Mọi chuỗi nhật ký đều nguyên vẹn.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
