"""The catalogue bundle written by `build.py bundle`: versions, forms, units, calendar."""

import datetime as dt
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from .calendar import WorkingCalendar
from .errors import NotFoundError
from .versions import version_in_force

JSON = dict[str, Any]  # a JSON object of the bundle, as build.py bundle wrote it


@dataclass
class Bundle:
    data: JSON

    @classmethod
    def load(cls, path: Path) -> "Bundle":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    @property
    def revision(self) -> str:
        return str(self.data["revision"])

    @property
    def units(self) -> JSON:
        return cast(JSON, self.data["units"])

    @cached_property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar.from_documents(self.data["calendar"])

    def version(self, code: str, on: dt.date) -> JSON:
        """The version of a procedure in force on a date that takes online dossiers."""
        versions: list[JSON] = self.data["procedures"].get(code, [])
        version = version_in_force(versions, on.isoformat())
        if version is not None:
            return version
        raise NotFoundError("Thủ tục này không nhận hồ sơ trực tuyến trên cổng này.")

    def form(self, version: JSON) -> JSON:
        return cast(JSON, self.data["forms"][version["online_service"]["form"]])

    def agency_prefix(self, version: JSON) -> str:
        """The agency part of dossier codes: its QCVN 102 identifier, or its catalogue id when the
        identifier is not published."""
        agency_id = version["agencies"]["implementing"][0]
        identifier = self.data["agencies"].get(agency_id, {}).get("identifier", "unpublished")
        return str(agency_id if identifier == "unpublished" else identifier)
