"""`motcua purge [--older-than 2d] [--dry-run]`: removes what no one needs any more, and says what.

- Uploads never attached to a dossier: an upload (in quarantine, or verified and accepted)
  older than `--older-than` that no dossier references, neither in its filed slots nor in an
  event (a supplement, a result file). Default 2 days, the lifetime the S3 bucket's lifecycle
  rule gives quarantine/ on AWS (functions/resources.json). An applicant's draft keeps its file
  keys in the browser: a draft submitted after its files were purged is told to upload them
  again (the submission checks every key is accepted).
- Officers' sessions that ended (past their end, or idle longer than the idle limit), and
  sign-in attempts older than the lockout window, which no limit counts any more.
- Failed status lookups older than their window (the limiter deletes them itself at the next
  failure; those of the last failures stay until then). On AWS the table's TTL does it.
- Dossiers past their retention period: `Settings.retention_days` (MOTCUA_RETENTION_DAYS) after
  they ended (a final status, workflow.FINAL: result returned, refused, withdrawn, stopped; the
  time of the event that ended them), with their events (the timeline is personal data too),
  their idempotency records and every file they name, on every target (`Dossiers.delete`),
  and their ratings (`Ratings.delete`: the comment may be personal data).
  A dossier whose result waits to be collected (status 9) has not ended and is kept.

Which uploads are referenced is read after the candidates are listed, from every dossier
(`Dossiers.codes` and `get`), so a dossier committed before the scan keeps its files. A dossier
committed during the scan, with a file older than the limit, could lose it: the window is the
scan's length, and such a file was uploaded days before its submission. A slow scan of a large
store is one more reason to run purge at night.

Who runs it: the embedded server's own thread (functions/serve.py `--purge-every`), the province's
systemd timer (deploy/systemd/motcua-purge.timer), and on AWS a scheduled function
(functions/app.py `nightly_purge`, with a role of its own: functions/.chalice/purge-policy.json).
"""

import datetime as dt
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib import workflow
from chalicelib.config import Settings
from chalicelib.dossiers import UPLOAD_KEY
from chalicelib.errors import NotConfiguredError
from chalicelib.storage.ports import Dossiers, StoredDossier, StoredObject
from chalicelib.wiring import (
    build_officer_auth,
    build_ratings,
    build_stores,
    build_upload_store,
)

UPLOAD_AREAS = ("quarantine/", "accepted/")
# How long an upload no dossier references is kept: a draft's files live two days, the lifetime
# the S3 bucket's lifecycle rule also gives quarantine/ (functions/resources.json).
DRAFT_FILES_LIVE = dt.timedelta(days=2)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([dhm]?)$")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "": 86400}


@dataclass
class Purged:
    uploads: list[str] = field(default_factory=list)  # upload keys
    dossiers: list[str] = field(default_factory=list)  # codes past their retention period
    dossier_files: int = 0  # the files of those dossiers
    sessions: int = 0
    attempts: int = 0
    lookup_failures: int = 0
    notes: list[str] = field(default_factory=list)


def duration(text: str) -> dt.timedelta:
    """`2d`, `36h`, `90m`, or a number of days."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"không hiểu thời lượng {text!r} (ví dụ: 2d, 36h, 90m)")
    return dt.timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def purge(
    settings: Settings, *, older_than: dt.timedelta, dry_run: bool, now: dt.datetime
) -> Purged:
    purged = Purged()
    cutoff = (now - older_than).timestamp()
    store = build_upload_store(settings)
    candidates = sorted({key for key in _old_uploads(store.objects(), cutoff)})
    dossiers, _uploads, failures = build_stores(settings)
    ratings = build_ratings(settings)
    try:
        ended_before = now - dt.timedelta(days=settings.retention_days)
        referenced, expired = _scan(dossiers, ended_before)
        purged.dossiers = sorted(expired)
        expired_files = sorted(set().union(*expired.values()) - referenced)
        purged.dossier_files = len(expired_files)
        purged.uploads = [
            key for key in candidates if key not in referenced and key not in expired_files
        ]
        if not dry_run:
            for start in range(0, len(purged.dossiers), 500):
                dossiers.delete(purged.dossiers[start : start + 500])
                ratings.delete(purged.dossiers[start : start + 500])
            for key in [*expired_files, *purged.uploads]:
                store.remove(key)
        window_start = now.timestamp() - settings.lookup_window_seconds
        purged.lookup_failures = failures.prune(window_start, dry_run=dry_run)
    finally:
        failures.close()
        ratings.close()
        close = getattr(dossiers, "close", None)  # not every Dossiers adapter holds connections
        if close is not None:
            close()
    _accounts(settings, now.timestamp(), dry_run, purged)
    return purged


def on_schedule(now: dt.datetime) -> dict[str, int]:
    """The scheduled run (AWS's nightly function): reads the settings from the environment,
    removes what `motcua purge` removes with the default age, and returns how much of each for
    the function's log."""
    done = purge(Settings.from_env(), older_than=DRAFT_FILES_LIVE, dry_run=False, now=now)
    return {
        "uploads": len(done.uploads),
        "dossiers": len(done.dossiers),
        "dossier_files": done.dossier_files,
        "sessions": done.sessions,
        "attempts": done.attempts,
        "lookup_failures": done.lookup_failures,
    }


def _old_uploads(objects: Iterator[StoredObject], cutoff: float) -> Iterator[str]:
    for stored in objects:
        for area in UPLOAD_AREAS:
            if stored.name.startswith(area) and stored.modified < cutoff:
                yield stored.name[len(area) :]


def _scan(dossiers: Dossiers, ended_before: dt.datetime) -> tuple[set[str], dict[str, set[str]]]:
    """Every upload key a dossier to keep names (its filed slots, and any key in its events),
    and the dossiers that ended before `ended_before` with the keys each names."""
    keys: set[str] = set()
    expired: dict[str, set[str]] = {}
    scanned = 0
    for code in dossiers.codes():
        stored = dossiers.get(code)
        if stored is None:
            continue
        named = _keys_of(stored)
        if _ended_before(stored, ended_before):
            expired[code] = named
        else:
            keys.update(named)
        scanned += 1
        if scanned % 10_000 == 0:
            print(f"Đã đọc {scanned} hồ sơ", file=sys.stderr, flush=True)
    return keys, expired


def _keys_of(stored: StoredDossier) -> set[str]:
    keys = {key for slot_keys in stored.dossier.uploads.values() for key in slot_keys}
    for event in stored.events:
        keys.update(_keys_in(event))
    return keys


def _ended_before(stored: StoredDossier, moment: dt.datetime) -> bool:
    """In a final status since before `moment` (the event that ended it; events carry an ISO
    time with its offset)."""
    if stored.state is None or stored.state.status not in workflow.FINAL or not stored.events:
        return False
    return dt.datetime.fromisoformat(stored.events[-1]["at"]) < moment


def _keys_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if UPLOAD_KEY.fullmatch(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _keys_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys_in(item)


def _accounts(settings: Settings, now: float, dry_run: bool, purged: Purged) -> None:
    try:
        auth = build_officer_auth(settings)
    except NotConfiguredError:
        purged.notes.append("Trên AWS không có tài khoản cán bộ ở đây (OIDC): bỏ qua phiên.")
        return
    try:
        purged.sessions, purged.attempts = auth.accounts.remove_stale(
            now=now,
            idle_since=now - auth.idle_seconds,
            attempts_before=now - auth.lock_seconds,
            dry_run=dry_run,
        )
    finally:
        auth.accounts.close()
