"""`motcua purge` on the embedded and the province target: uploads no dossier references, once
older than the limit, go (a verified one never filed, one never verified); every file a dossier
references stays, in its slots or in its events (a supplement); ended sessions and old sign-in
attempts go. `--dry-run` removes nothing. The clock is moved forward instead of aging files: S3
sets an object's time itself."""

import datetime as dt
import uuid

import pytest

from chalicelib import lookup_secret, workflow
from chalicelib.admin.cli import main
from chalicelib.admin.purge import duration, purge
from chalicelib.config import Settings
from chalicelib.errors import LoginFailedError, NotAuthenticatedError, NotFoundError
from chalicelib.storage.ports import Rating, UploadTarget
from chalicelib.wiring import build_officer_auth, build_ratings, build_upload_store

from ..api.filling import FILES
from .conftest import post_form
from .installations import (  # noqa: F401 (the fixtures bundle_path and target)
    CLIENT,
    PASSWORD,
    WITH_FILES,
    bundle_fixture,
    environment,
    opened,
    populate,
    target_fixture,
)

pytestmark = pytest.mark.slow

TWO_DAYS = dt.timedelta(days=2)


def never_verified(target) -> str:
    """A file sent to its upload target and left in quarantine (the page was closed)."""
    with opened(target) as service:
        content_type, data = FILES["pdf"]
        slot = next(
            s for page in service.form(WITH_FILES)["form"]["pages"] for s in page.get("uploads", [])
        )
        body = {
            "procedure": WITH_FILES,
            "slot": slot["id"],
            "draft": uuid.uuid4().hex,
            "content_type": content_type,
        }
        signed = service.upload_target({**body, "size": len(data)})
        sent = UploadTarget(signed["url"], signed["fields"], signed["key"], signed["expires_at"])
        assert post_form(sent, data, content_type) in (200, 201, 204)
        return signed["key"]


def upload_keys(settings: Settings) -> set[str]:
    names = {stored.name for stored in build_upload_store(settings).objects()}
    return {name.split("/", 1)[1] for name in names if not name.startswith("digests/")}


def test_purge_removes_only_old_uploads_no_dossier_references(target, capsys):
    with environment(target.new()):
        assert main(["migrate"]) == 0
        filed = populate(target)
        quarantined = never_verified(target)
        settings = Settings.from_env()
        everything = upload_keys(settings)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
        unattached = sorted([*filed.unattached, quarantined])

        fresh = purge(settings, older_than=TWO_DAYS, dry_run=False, now=dt.datetime.now(dt.UTC))
        assert fresh.uploads == [] and upload_keys(settings) == everything

        planned = purge(settings, older_than=TWO_DAYS, dry_run=True, now=later)
        assert planned.uploads == unattached and upload_keys(settings) == everything

        done = purge(settings, older_than=TWO_DAYS, dry_run=False, now=later)
        assert done.uploads == unattached
        assert upload_keys(settings) == everything - set(unattached)
        with opened(target) as service:
            for key in filed.files:
                assert service.uploads.is_accepted(key) is (key not in filed.unattached)
            for code, secret in filed.secrets.items():
                assert service.lookup(code, secret, CLIENT)["code"] == code

        assert main(["purge", "--dry-run"]) == 0
    assert "Sẽ xóa 0 tệp tải lên" in capsys.readouterr().out


def test_purge_ends_stale_sessions_and_forgets_old_sign_in_attempts(target):
    with environment(target.new()):
        assert main(["migrate"]) == 0
        populate(target)  # the officer mot.cua signed in once
        settings = Settings.from_env()
        auth = build_officer_auth(settings)
        _officer, token, _csrf = auth.login("mot.cua", PASSWORD, CLIENT)
        with pytest.raises(LoginFailedError):  # a failure stays counted until the window ends
            auth.login("mot.cua", "không phải mật khẩu", CLIENT)

        now = dt.datetime.now(dt.UTC)
        kept = purge(settings, older_than=TWO_DAYS, dry_run=False, now=now)
        assert (kept.sessions, kept.attempts) == (0, 0)
        auth.current(token)  # still signed in

        later = now + dt.timedelta(hours=9)
        planned = purge(settings, older_than=TWO_DAYS, dry_run=True, now=later)
        assert (planned.sessions, planned.attempts) == (2, 1)
        auth.current(token)  # a dry run ends nothing

        done = purge(settings, older_than=TWO_DAYS, dry_run=False, now=later)
        assert done.sessions == 2 and done.attempts == 1
        with pytest.raises(NotAuthenticatedError):
            auth.current(token)
        auth.accounts.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2d", dt.timedelta(days=2)),
        ("36h", dt.timedelta(hours=36)),
        ("90m", dt.timedelta(minutes=90)),
        ("3", dt.timedelta(days=3)),
    ],
)
def test_older_than_takes_days_hours_or_minutes(text, expected):
    assert duration(text) == expected


def test_older_than_refuses_anything_else():
    with pytest.raises(ValueError):
        duration("hai ngày")
    with pytest.raises(SystemExit):
        main(["purge", "--older-than", "-1d"])


# Well formed (a malformed secret is refused before it counts), and nobody's.
WRONG_SECRET = "00000000000" + lookup_secret.check_character("00000000000")


def test_purge_forgets_failed_lookups_once_their_window_has_passed(target):
    with environment(target.new()):
        assert main(["migrate"]) == 0
        filed = populate(target)
        code = next(iter(filed.secrets))
        with opened(target) as service:
            for _ in range(3):
                with pytest.raises(NotFoundError):
                    service.lookup(code, WRONG_SECRET, "203.0.113.9")
        settings = Settings.from_env()
        now = dt.datetime.now(dt.UTC)
        after_window = now + dt.timedelta(seconds=settings.lookup_window_seconds + 60)

        assert purge(settings, older_than=TWO_DAYS, dry_run=False, now=now).lookup_failures == 0
        planned = purge(settings, older_than=TWO_DAYS, dry_run=True, now=after_window)
        assert planned.lookup_failures == 9  # each counted for the client, the code, the site
        assert (
            purge(settings, older_than=TWO_DAYS, dry_run=False, now=after_window).lookup_failures
            == 9
        )
        assert (
            purge(settings, older_than=TWO_DAYS, dry_run=False, now=after_window).lookup_failures
            == 0
        )


def test_purge_deletes_dossiers_their_timeline_and_files_once_retention_has_passed(target, capsys):
    with environment(target.new()):
        assert main(["migrate"]) == 0
        filed = populate(target)
        settings = Settings.from_env()
        withdrawn, *kept = filed.secrets
        with opened(target) as service:
            secret = filed.secrets[withdrawn]
            version = service.lookup(withdrawn, secret, CLIENT)["version"]
            body = {"version": version, "data": {}}
            assert (
                service.applicant_act(withdrawn, secret, CLIENT, "withdraw", body, None)["status"]
                in workflow.FINAL
            )
            its_files = {
                key
                for keys in service.dossiers.get(withdrawn).dossier.uploads.values()
                for key in keys
            }
        assert its_files and its_files <= upload_keys(settings)
        ratings = build_ratings(settings)
        for code in (withdrawn, kept[0]):  # as if rated: the store takes any dossier's
            ratings.add(Rating(code, "o", "p", "2026-12-07T10:00:00+07:00", {}, "Ý kiến."))
        retention = dt.timedelta(days=settings.retention_days)
        now = dt.datetime.now(dt.UTC)

        early = purge(settings, older_than=TWO_DAYS, dry_run=False, now=now + retention / 2)
        assert early.dossiers == []
        planned = purge(settings, older_than=TWO_DAYS, dry_run=True, now=now + retention + TWO_DAYS)
        assert planned.dossiers == [withdrawn] and its_files <= upload_keys(settings)
        with environment({"MOTCUA_RETENTION_DAYS": "400000"}):
            assert (
                purge(
                    Settings.from_env(),
                    older_than=TWO_DAYS,
                    dry_run=True,
                    now=now + retention + TWO_DAYS,
                ).dossiers
                == []
            )

        done = purge(settings, older_than=TWO_DAYS, dry_run=False, now=now + retention + TWO_DAYS)
        assert done.dossiers == [withdrawn] and done.dossier_files == len(its_files)
        assert not its_files & upload_keys(settings)
        assert ratings.get(withdrawn) is None  # its rating went with it
        assert ratings.get(kept[0]) is not None
        ratings.close()
        with opened(target) as service:
            assert service.dossiers.get(withdrawn) is None
            with pytest.raises(NotFoundError):
                service.lookup(withdrawn, filed.secrets[withdrawn], CLIENT)
            for code in kept:  # open dossiers stay, whatever their age
                assert service.lookup(code, filed.secrets[code], CLIENT)["code"] == code
