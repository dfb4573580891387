"""The catalogue bundle written by `build.py bundle`: versions, forms, units, calendar, and the
office register (buildlib/catalogue/offices.py, schemas/office.schema.json)."""

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from .calendar import WorkingCalendar
from .config import ConfigurationError
from .errors import NotFoundError
from .forms import with_delivery
from .versions import version_in_force
from .workflow import Rules

JSON = dict[str, Any]  # a JSON object of the bundle, as build.py bundle wrote it


@dataclass
class Bundle:
    data: JSON
    _forms: dict[tuple[str, str], JSON] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> "Bundle":
        """The bundle at `path`; ConfigurationError (startup stops with its message) when there
        is none or it is not JSON."""
        try:
            return cls(json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise ConfigurationError(
                f"chưa có gói danh mục {path}: chạy `build.py bundle` (make run làm việc này)"
            ) from None
        except (OSError, ValueError) as error:
            raise ConfigurationError(f"không đọc được gói danh mục {path}: {error}") from None

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

    def filed_version(self, code: str, effective_from: str) -> JSON | None:
        """The version of a procedure that a dossier names (its code and effective_from), in
        force or not; None if the catalogue no longer has it."""
        return self._versions.get((code, effective_from))

    @cached_property
    def _versions(self) -> dict[tuple[str, str], JSON]:
        return {
            (code, version["effective_from"]): version
            for code, versions in self.data["procedures"].items()
            for version in versions
        }

    def form(self, version: JSON) -> JSON:
        """The version's form as the applicant fills it (forms.with_delivery), one object per
        version for the life of the bundle, so its compiled validators are made once."""
        key = (version["code"], version["effective_from"])
        if key not in self._forms:
            form = self.data["forms"][version["online_service"]["form"]]
            self._forms[key] = with_delivery(form, version)
        return self._forms[key]

    # --- per-procedure rules -----------------------------------------------------------------

    def rules(self, version: JSON) -> Rules:
        """What the lifecycle needs from a version: the online channel's deadline, the fee paid
        online (when the catalogue publishes one amount), and the `processing` block with the
        defaults of `workflow.Rules` (docs/lifecycle.md)."""
        channel = online_channel(version)
        deadline = channel.get("deadline", {}) if channel else {}
        amount = deadline.get("amount")
        processing = version.get("processing", {})
        defaults = Rules()
        return Rules(
            deadline_amount=amount if isinstance(amount, int) else None,
            deadline_unit=str(deadline.get("unit", "unpublished")),
            fee=online_fee(channel),
            supplement_limit=int(processing.get("supplement_limit", defaults.supplement_limit)),
            payment_stops_clock=bool(
                processing.get("payment_stops_clock", defaults.payment_stops_clock)
            ),
        )

    # --- offices -------------------------------------------------------------------------------

    @property
    def province(self) -> str:
        """The province this catalogue serves (its code)."""
        return str(self.data["province"])

    @property
    def offices(self) -> list[JSON]:
        return cast(list[JSON], self.data["offices"])

    @cached_property
    def _offices_by_id(self) -> dict[str, JSON]:
        return {office["id"]: office for office in self.offices}

    def office(self, office_id: str) -> JSON:
        office = self._offices_by_id.get(office_id)
        if office is None:
            raise NotFoundError("Không có cơ quan tiếp nhận này.")
        return office

    def offices_for(self, version: JSON, commune: str | None = None) -> list[JSON]:
        """The offices that accept dossiers of `version` (`accepting_offices`)."""
        return accepting_offices(version, self.data["agencies"], self.offices, commune)


def online_channel(version: JSON) -> JSON | None:
    return next((c for c in version["channels"] if c["kind"] == "online"), None)


def online_fee(channel: JSON | None) -> int | None:
    """The fee in VND when the online channel publishes exactly one amount; None when it charges
    nothing, is unpublished, or lists amounts that depend on the case (the officer says which)."""
    fees = (channel or {}).get("fees", {})
    if fees.get("status") != "charged":
        return None
    amounts = {item["amount"] for item in fees.get("items", []) if isinstance(item["amount"], int)}
    return amounts.pop() if len(amounts) == 1 else None


def is_cross_boundary(version: JSON) -> bool:
    """Accepted at any commune of the province (phi địa giới), as a source says; not known
    otherwise."""
    return version.get("cross_boundary", {}).get("allowed") is True


def accepting_offices(
    version: JSON, agencies: JSON, offices: list[JSON], commune: str | None = None
) -> list[JSON]:
    """The offices of the register that accept dossiers of `version` (docs/lifecycle.md,
    "Offices"); the API checks a submission's office with it and the build lists the same on
    the application page.

    Commune level (the first implementing agency is a commune-level one): the commune offices
    of that agency when the register has them (the commune police for cư trú), else the
    communes' one-stop centres. The applicant chooses the commune; `commune` (the applicant's
    own, when known) narrows the list to its office unless the version is cross-boundary, which
    accepts any commune of the province. Province level: the implementing agency's office,
    else the province's one-stop centre."""
    implementing = version["agencies"]["implementing"][0]
    if agencies.get(implementing, {}).get("level") == "xa":
        by_commune = [o for o in offices if o["level"] == "xa"]
        own = [o for o in by_commune if o["agency"] == implementing]
        chosen = own or [o for o in by_commune if o["kind"] == "trung-tam-pvhcc"]
        if commune and not is_cross_boundary(version):
            return [o for o in chosen if o["unit"] == commune]
        return chosen
    province = [o for o in offices if o["level"] == "tinh"]
    return [o for o in province if o["agency"] == implementing] or [
        o for o in province if o["kind"] == "trung-tam-pvhcc"
    ]
