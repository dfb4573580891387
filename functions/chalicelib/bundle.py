"""The catalogue bundle written by `build.py bundle`: versions, forms, units, calendar."""

import datetime as dt
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .calendar import WorkingCalendar
from .errors import NotFound
from .versions import version_in_force


@dataclass
class Bundle:
    data: dict

    @classmethod
    def load(cls, path: Path) -> "Bundle":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    @property
    def revision(self) -> str:
        return self.data["revision"]

    @property
    def units(self) -> dict:
        return self.data["units"]

    @cached_property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar.from_documents(self.data["calendar"])

    def version(self, code: str, on: dt.date) -> dict:
        """The version of a procedure in force on a date that takes online dossiers."""
        version = version_in_force(self.data["procedures"].get(code, []), on.isoformat())
        if version is not None:
            return version
        raise NotFound("Thủ tục này không nhận hồ sơ trực tuyến trên cổng này.")

    def form(self, version: dict) -> dict:
        return self.data["forms"][version["online_service"]["form"]]

    def agency_prefix(self, version: dict) -> str:
        """The agency part of dossier codes: its QCVN 102 identifier, or its catalogue id when the
        identifier is not published."""
        agency_id = version["agencies"]["implementing"][0]
        identifier = self.data["agencies"].get(agency_id, {}).get("identifier", "unpublished")
        return agency_id if identifier == "unpublished" else identifier
