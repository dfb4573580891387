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
from .workflow import Rules

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

    # Interim (branch officers): the `offices` branch replaces these with the office register.
    def rules(self, version: JSON) -> Rules:
        """What the lifecycle needs from a procedure version: the online channel's deadline, its
        fee when the catalogue publishes one, the `processing` block with its defaults."""
        channels: list[JSON] = version.get("channels", [])
        channel: JSON = next((c for c in channels if c["kind"] == "online"), {})
        deadline = channel.get("deadline", {})
        amount = deadline.get("amount")
        fees = channel.get("fees", {})
        charged = [
            item["amount"]
            for item in fees.get("items", [])
            if isinstance(item.get("amount"), int) and item["amount"] > 0
        ]
        processing = version.get("processing", {})
        return Rules(
            deadline_amount=amount if isinstance(amount, int) else None,
            deadline_unit=deadline.get("unit", "unpublished"),
            fee=charged[0] if fees.get("status") == "charged" and charged else None,
            supplement_limit=processing.get("supplement_limit", 1),
            payment_stops_clock=processing.get("payment_stops_clock", True),
        )

    def office(self, office_id: str) -> JSON:
        """An office of the register; NotFoundError for an unknown id."""
        offices: dict[str, JSON] = self.data.get("offices", {})
        if office_id in offices:
            return {"id": office_id, **offices[office_id]}
        agency = self.data["agencies"].get(office_id)
        if agency is None:
            raise NotFoundError("Không tìm thấy cơ quan này.")
        return {"id": office_id, "name": agency["name"]}
