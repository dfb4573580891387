"""The scan step on AWS, between quarantine and acceptance (docs/deploy.en.md, "Malware scanning
on AWS").

The API's function has no clamd, and uploads go from the browser straight to S3, so the scan is a
step of its own: S3 sends each ObjectCreated event under `quarantine/` to the scanner function
(functions/resources.json `UploadScanner`: a container image holding clamd and its signature
database, deploy/aws/scanner/), whose handler is `handler` here. For each object it reads the
content, hashes it, scans it with clamd (MOTCUA_CLAMD: the image's own clamd, or one the
province runs) and records the verdict by the content's SHA-256 (scanner.ScanVerdicts).

Verify (dossiers.Service, its scanner a RecordedScanner on AWS) hashes the content it checks and
takes that content's verdict: clean, it goes on to the structure checks; infected, the file is
deleted (422); none yet, 202 scan_pending and the form asks again. So nothing is accepted
unscanned, and a verdict never covers other bytes than those scanned (an upload replaced after
its scan has another hash, hence no verdict, until its own event is scanned).

Failures: an object gone by the time it is read (accepted or refused meanwhile) is skipped. When
clamd cannot scan (down, timed out, an ERROR reply), the handler raises: Lambda retries the event
(twice, resources.json `UploadScannerInvokeConfig`) and then drops it; the content keeps no
verdict, and verify keeps answering scan_pending, which the form turns into "try again later".
"""

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

from .dossiers import UPLOAD_KEY
from .errors import NotFoundError
from .scanner import ClamdScanner, Scanner, ScannerUnavailableError, ScanVerdicts, sha256_of
from .storage.ports import Uploads

log = logging.getLogger("motcua.scan")
QUARANTINE = "quarantine/"
SPOOL_BYTES = 4 * 1024 * 1024  # a larger upload is copied to /tmp (Lambda's only disk)
CHUNK = 1024 * 1024
# At a cold start the image's clamd loads ClamAV's whole signature database (tens of seconds):
# the first event waits for it, within the function's timeout (resources.json: 300 s).
CLAMD_START_SECONDS = 180


@dataclass(frozen=True)
class ScanStep:
    """Scans the objects an S3 event names and records a verdict for each."""

    bucket: str
    uploads: Uploads
    scanner: Scanner
    verdicts: ScanVerdicts

    def run(self, event: dict[str, Any]) -> list[dict[str, str]]:
        """One entry per object of the event: its key and `clean`, `infected:<name>`,
        `gone` or `ignored` (not an upload in this bucket's quarantine). ScannerUnavailableError
        or StorageError if one could not be scanned or recorded (verdicts recorded before it
        stay)."""
        results = []
        for record in event.get("Records", []):
            s3 = record.get("s3", {})
            bucket = s3.get("bucket", {}).get("name")
            name = unquote_plus(s3.get("object", {}).get("key", ""))
            key = name.removeprefix(QUARANTINE)
            if bucket != self.bucket or key == name or not UPLOAD_KEY.fullmatch(key):
                log.warning("scan: ignored s3://%s/%s (not an upload in quarantine)", bucket, name)
                results.append({"key": name, "verdict": "ignored"})
            else:
                results.append(self._scan(key))
        return results

    def _scan(self, key: str) -> dict[str, str]:
        try:
            with (
                self.uploads.read(key) as source,
                tempfile.SpooledTemporaryFile(SPOOL_BYTES) as copy,
            ):
                shutil.copyfileobj(source, copy, CHUNK)
                copy.seek(0)
                sha256 = sha256_of(copy)
                copy.seek(0)
                found = self.scanner.scan(copy)
        except NotFoundError:  # accepted or refused since it was uploaded
            return {"key": key, "verdict": "gone"}
        self.verdicts.record(sha256, found)
        verdict = "clean" if found is None else f"infected:{found}"
        log.info("scan: %s sha256=%s %s", key, sha256, verdict)
        return {"key": key, "sha256": sha256, "verdict": verdict}


def handler(event: dict[str, Any], context: Any) -> list[dict[str, str]]:
    """The scanner function's entry point (the image's CMD)."""
    return _default_step().run(event)


@lru_cache(maxsize=1)
def _default_step() -> ScanStep:
    """Built once per container, when its clamd answers (not cached if it never does: the event
    fails, Lambda retries it, and the next one waits again)."""
    from .config import Settings
    from .wiring import build_scan_step

    # The scanner signs nothing and derives no secret: it is given no key.
    step = build_scan_step(Settings.from_env(secret_key=b"-"))
    assert isinstance(step.scanner, ClamdScanner)  # build_scan_step's
    wait_for_clamd(step.scanner, CLAMD_START_SECONDS)
    return step


def wait_for_clamd(scanner: ClamdScanner, seconds: float) -> None:
    """Returns once clamd answers PING; ScannerUnavailableError after `seconds`."""
    deadline = time.monotonic() + seconds
    while not scanner.ping():
        if time.monotonic() > deadline:
            raise ScannerUnavailableError()
        time.sleep(0.5)
