"""serve.py purges on a schedule (issue 15: "unverified and never-submitted uploads are never
purged (embedded)"): its purge thread removes an upload older than two days that no dossier
references, and keeps a recent one."""

import os
import time

from chalicelib.storage.files import FilesystemUploads
from serve import purge_interval, start_purging


def test_the_serving_process_purges_old_unattached_uploads_on_a_schedule(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MOTCUA_STORAGE", "embedded")
    uploads = FilesystemUploads(
        tmp_path / "uploads", secret=b"x" * 32, base_url="http://127.0.0.1:9"
    )
    old = uploads.root / "quarantine" / "1.004873" / "giay-to" / "cu.pdf"
    new = uploads.root / "accepted" / "1.004873" / "giay-to" / "moi.pdf"
    for path in (old, new):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"%PDF-1.7\n")
    three_days_ago = time.time() - 3 * 86400
    os.utime(old, (three_days_ago, three_days_ago))

    stop = start_purging(0.2, first=0.05)
    try:
        deadline = time.monotonic() + 10
        while old.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert not old.exists() and new.exists()


def test_the_interval_is_a_duration_and_zero_turns_it_off():
    assert purge_interval("1h") == 3600 and purge_interval("30m") == 1800
    assert purge_interval("0") is None
    assert start_purging(None).is_set() is False  # nothing started, nothing to stop
