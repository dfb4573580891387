"""Synthetic catalogues: thousands of realistic, valid procedures for benchmarks and tests.

`generate(out_dir, count, seed)` writes a complete catalogue folder (the layout of catalogue/)
that `build.py check` and `build.py build` accept with no errors: the seed files (`seed_files`:
fields.yaml, the privacy notice, units/ and calendar/) copied as they are from the seed catalogue,
a few dozen agencies, `count` procedures, online forms for about a tenth of them and a few life
events. About a fifth of the procedures have older district-level versions
(ending on 2025-07-01), about 2% are replaced by another synthetic procedure and about 2% are
abolished. Names, documents and steps are built from real Vietnamese vocabulary, but every value
is made up and every file says so. The same seed and seed catalogue give the same bytes.
"""

import dataclasses
import datetime as dt
import random
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from buildlib import paths

from .words import (
    AMOUNTS,
    CASES,
    COMMON_AGENCIES,
    COMMUNE_AGENCIES,
    CONDITIONS,
    DOCUMENTS,
    GENERIC,
    GENERIC_AGENCIES,
    LIFE_EVENTS,
    QUALIFIERS,
    STEPS,
    TOPICS,
    Topic,
)

SEED_CATALOGUE = paths.CATALOGUE
REFORM = dt.date(2025, 7, 1)  # two-tier local government: no district level from this day
PROGRESS_EVERY = 1000  # procedures between two calls of the progress callback
SHARES = {"multi": 0.20, "replaced": 0.02, "abolished": 0.02, "form": 0.10}
# Copied unchanged from the seed catalogue: what the build needs besides procedures, agencies,
# forms and life events (du-lieu-ca-nhan.md: the application pages' privacy notice).
SEED_FILES = ("fields.yaml", "du-lieu-ca-nhan.md", "units/*.yaml", "calendar/*.yaml")
EVERY_KIND_FROM = 10  # from this many procedures on, each kind above appears at least once
NOTE = "Dữ liệu tổng hợp (buildlib/synthetic/), không phải thủ tục hành chính thật."


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """libyaml's safe dumper that writes a value used twice in full, never as an anchor/alias
    (the catalogue loader refuses aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


@dataclass
class Summary:
    """What one call of `generate` wrote."""

    procedures: int = 0
    versions: int = 0
    multi_version: int = 0
    replaced: int = 0
    abolished: int = 0
    forms: int = 0
    agencies: int = 0
    life_events: int = 0


@dataclass
class _Plan:
    """One procedure's identity and history, decided before any file is written."""

    code: str
    field: str
    name: str
    action: str  # "đăng ký khai sinh": the procedure's name as a phrase inside a sentence
    result: str
    levels: list[str]  # of the current (last) version; older versions are district level
    starts: list[dt.date]  # effective_from of each version, oldest first
    end: dt.date | None = None  # effective_to of the last version (ended procedures only)
    ended: str | None = None  # "replaced" or "abolished"
    replaced_by: str | None = None
    replaces: str | None = None
    form: bool = False
    # dataclasses.field: the `field` above is the procedure's field of activity
    related: list[str] = dataclasses.field(default_factory=list)
    life_events: list[str] = dataclasses.field(default_factory=list)

    @property
    def form_id(self) -> str:
        return "bieu-mau-" + self.code.replace(".", "-")


def generate(
    out_dir: Path, count: int, seed: int = 0, *, progress: Callable[[int], None] | None = None
) -> Summary:
    """Writes a synthetic catalogue with `count` procedures into `out_dir` (new or empty).

    `progress`, if given, is called with the number of procedures written every
    PROGRESS_EVERY procedures and once at the end.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty")
    rng = random.Random(seed)
    fields, province = _copy_seed_files(out_dir)
    synth = _Synth(rng, seed, province, fields)
    agencies = synth.agencies()
    for agency in agencies:
        _write(out_dir / "agencies" / f"{agency['id']}.yaml", agency)
    plans = synth.plan(count)
    events = synth.life_events(plans)
    summary = Summary(agencies=len(agencies), life_events=len(events))
    for index, plan in enumerate(plans, 1):
        _write_procedure(out_dir, synth, plan, summary)
        if progress and (index % PROGRESS_EVERY == 0 or index == len(plans)):
            progress(index)
    for event in events:
        _write(out_dir / "life-events" / f"{event['id']}.yaml", event)
    return summary


def _write_procedure(out_dir: Path, synth: "_Synth", plan: _Plan, summary: Summary) -> None:
    """All versions of one procedure, and its form if it has one."""
    versions = [synth.version(plan, index) for index in range(len(plan.starts))]
    folder = out_dir / "procedures" / plan.code
    comment = f"Thủ tục {plan.code} — {plan.name}. {NOTE}"
    for version in versions:
        _write(folder / f"{version['effective_from'].isoformat()}.yaml", version, comment)
    if plan.form:
        _write(out_dir / "forms" / f"{plan.form_id}.yaml", synth.form(plan, versions[-1]))
    summary.procedures += 1
    summary.versions += len(versions)
    summary.multi_version += len(versions) > 1
    summary.replaced += plan.ended == "replaced"
    summary.abolished += plan.ended == "abolished"
    summary.forms += plan.form


def _write(path: Path, data: dict, comment: str = NOTE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(f"# {comment}\n{text}", encoding="utf-8")


def seed_files(seed_catalogue: Path = SEED_CATALOGUE) -> list[Path]:
    """The files `generate` copies unchanged from the seed catalogue (SEED_FILES), in order;
    a benchmark's cached catalogue is stale when one of them changes."""
    return [path for pattern in SEED_FILES for path in sorted(seed_catalogue.glob(pattern))]


def _copy_seed_files(out_dir: Path) -> tuple[dict[str, str], dict]:
    """Copies the seed files unchanged, but of fields.yaml only its list of fields (not the
    pull-request reviewers: a synthetic catalogue has no pull requests, and an older checkout
    benchmarked beside ours refuses keys it does not know); returns the field names by id and
    the province the synthetic agencies belong to (Hải Phòng when present)."""
    for path in seed_files():
        target = out_dir / path.relative_to(SEED_CATALOGUE)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    fields = _load(out_dir / "fields.yaml")["fields"]
    (out_dir / "fields.yaml").write_text(
        yaml.safe_dump({"fields": fields}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    units = sorted((out_dir / "units").glob("*.yaml"))
    chosen = next((p for p in units if p.stem == "31"), units[0])
    return {f["id"]: f["name"] for f in fields}, _load(chosen)


def _load(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def slugify(text: str) -> str:
    """'Phường Lê Đại Hành' -> 'phuong-le-dai-hanh'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    plain = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    words = "".join(c if c.isalnum() else " " for c in plain.lower()).split()
    return "-".join(words)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _abbreviation(ministry: str) -> str:
    """'Bộ Tư pháp' -> 'BTP', as in circular numbers (04/2024/TT-BTP)."""
    return "".join(word[0].upper() for word in ministry.split() if word != "và")


class _Synth:
    """Makes every synthetic document from one random generator, in a fixed order."""

    def __init__(self, rng: random.Random, seed: int, province: dict, fields: dict[str, str]):
        self.rng = rng
        self.seed = seed
        self.province = province
        self.place = province["name"][:1].lower() + province["name"][1:]  # "thành phố Hải Phòng"
        self.fields = fields
        self.laws = {field_id: self._laws(field_id) for field_id in sorted(fields)}

    def topic(self, field_id: str) -> Topic:
        return TOPICS.get(field_id, GENERIC)

    # Agencies

    def agencies(self) -> list[dict]:
        """Province-wide, generic commune and district, department, ministry, commune agencies."""
        out = [
            self._agency(i, n + " " + self.place, lvl, k, p) for i, n, lvl, k, p in GENERIC_AGENCIES
        ]
        out += [self._agency(i, n, lvl, k, "ubnd-tinh") for i, n, lvl, k in COMMON_AGENCIES]
        topics = [self.topic(f) for f in sorted(self.fields)]
        for agency_id, name in dict(t.department for t in topics).items():
            kind = "cong-an" if agency_id.startswith("cong-an") else "so"
            out.append(self._agency(agency_id, f"{name} {self.place}", "tinh", kind, "ubnd-tinh"))
        for agency_id, name in dict(t.ministry for t in topics).items():
            out.append(self._agency(agency_id, name, "trung-uong", "bo", None))
        for commune in self.province["communes"][:COMMUNE_AGENCIES]:
            name = commune["name"][:1].lower() + commune["name"][1:]
            agency = self._agency(
                f"ubnd-{slugify(name)}", f"Ủy ban nhân dân {name}", "xa", "ubnd", "ubnd-tinh"
            )
            agency["unit"] = commune["code"]
            out.append(agency)
        return list({agency["id"]: agency for agency in out}.values())

    def _agency(self, agency_id: str, name: str, level: str, kind: str, parent: str | None) -> dict:
        agency: dict[str, Any] = {
            "id": agency_id,
            "identifier": self._identifier(),
            "name": name,
            "level": level,
            "kind": kind,
        }
        if agency_id in {a[0] for a in COMMON_AGENCIES}:
            agency["generic"] = True
            # One identifier per commune office (offices.identifier derives them); a published
            # one on the generic agency would be shared by every commune's office.
            agency["identifier"] = "unpublished"
        if parent:
            agency["parent"] = parent
        if level == "tinh":
            agency["unit"] = self.province["code"]
        agency["address"] = "unpublished"
        if level == "huyen":
            agency["effective_to"] = REFORM
        agency["sources"] = [{"title": NOTE}]
        return agency

    def _identifier(self) -> str:
        if self.rng.random() < 0.3:
            return "unpublished"
        return f"000.{self.rng.randint(0, 99):02d}.{self.rng.randint(1, 99):02d}.H26"

    # Plan: identities, roles and dates

    def plan(self, count: int) -> list[_Plan]:
        """Every procedure's identity and history: versions, replacements, abolitions, forms."""
        numbers = sorted(self.rng.sample(range(3_000_000), count))
        codes = [f"{1 + n // 1_000_000}.{n % 1_000_000:06d}" for n in numbers]
        plans = [self._identity(code) for code in codes]
        order = list(range(count))
        self.rng.shuffle(order)
        rest = order[:]  # procedures not given a role yet
        replaced = self._take(rest, "replaced", count)
        successors = self._take(rest, "replaced", count)[: len(replaced)]
        abolished = self._take(rest, "abolished", count)
        multi = set(
            self.rng.sample(replaced + abolished + rest, self._share("multi", count, len(rest)))
        )
        with_form = set(self.rng.sample(successors + rest, self._share("form", count, len(rest))))
        for index in order:
            plan = plans[index]
            self._dates(plan, versions=self.rng.choice((2, 2, 3)) if index in multi else 1)
            plan.form = index in with_form
            plan.related = self.rng.sample(codes, self.rng.choice((0, 0, 1, 2)))
            plan.related = [c for c in plan.related if c != plan.code]
        for index in abolished:
            self._end(plans[index], "abolished")
        for old, new in zip(replaced, successors, strict=False):
            self._replace(plans[old], plans[new])
        return plans

    def _share(self, kind: str, count: int, available: int) -> int:
        wanted = round(count * SHARES[kind])
        if count >= EVERY_KIND_FROM:
            wanted = max(1, wanted)
        return min(wanted, available)

    def _take(self, order: list[int], kind: str, count: int) -> list[int]:
        """Removes and returns this kind's share of the procedures from the end of `order`."""
        return [order.pop() for _ in range(self._share(kind, count, len(order) // 2))]

    def _identity(self, code: str) -> _Plan:
        field_id = self.rng.choice(sorted(self.fields))
        verbs, objects, result = self.rng.choice(self.topic(field_id).groups)
        verb, obj = self.rng.choice(verbs), self.rng.choice(objects)
        action = f"{verb.lower()} {obj}{self.rng.choice(QUALIFIERS)}"
        name = f"Thủ tục {action}" if self.rng.random() < 0.3 else _capital(action)
        levels = self.rng.choice(
            (["xa"], ["xa"], ["tinh"], ["tinh"], ["tinh", "xa"], ["trung-uong"])
        )
        result = result.replace("{Obj}", _capital(obj)).replace("{action}", action)
        return _Plan(code, field_id, name, action, result, levels, starts=[])

    def _dates(self, plan: _Plan, versions: int) -> None:
        """Older versions (from 2016-2021 on) are district level and end on REFORM; the current one
        starts then or, for single-version procedures, on a day in the 15 months after it."""
        if versions == 1:
            plan.starts = [REFORM + dt.timedelta(days=self.rng.randint(0, 450))]
            return
        first = dt.date(self.rng.randint(2016, 2021), self.rng.randint(1, 12), 1)
        plan.starts = [first]
        if versions == 3:
            plan.starts.append(first + dt.timedelta(days=self.rng.randint(365, 1000)))
        plan.starts.append(REFORM)

    def _end(self, plan: _Plan, kind: str) -> None:
        plan.ended = kind
        plan.end = plan.starts[-1] + dt.timedelta(days=self.rng.randint(60, 420))

    def _replace(self, old: _Plan, new: _Plan) -> None:
        """`new` starts the day `old` ends and says which procedure it replaces."""
        self._end(old, "replaced")
        old.replaced_by, new.replaces = new.code, old.code
        new.starts = [old.end]  # type: ignore[list-item]

    def life_events(self, plans: list[_Plan]) -> list[dict]:
        """A few life events, each a chain of 2 to 4 procedures still in force."""
        active = [p for p in plans if p.ended is None]
        if len(plans) < EVERY_KIND_FROM or len(active) < 2:
            return []
        events = []
        for index in range(max(1, len(plans) // 500)):
            base, name = LIFE_EVENTS[index % len(LIFE_EVENTS)]
            event_id = (
                base if index < len(LIFE_EVENTS) else f"{base}-{index // len(LIFE_EVENTS) + 1}"
            )
            steps = self.rng.sample(active, min(len(active), self.rng.randint(2, 4)))
            for plan in steps:
                plan.life_events.append(event_id)
            events.append(
                {
                    "id": event_id,
                    "name": name,
                    "basis": [self._law(2024, "NĐ-CP", "Nghị định về liên thông điện tử")],
                    "steps": [{"procedure": p.code, "title": _capital(p.action)} for p in steps],
                    "sources": [{"title": NOTE}],
                }
            )
        return events

    # Procedure versions

    def version(self, plan: _Plan, index: int) -> dict:
        """The version `index` (0 = oldest) of a planned procedure, keys in the editors' order."""
        rng, last = self.rng, index == len(plan.starts) - 1
        start = plan.starts[index]
        end = plan.end if last else plan.starts[index + 1]
        levels = plan.levels if last else ["huyen"]
        form = plan.form and last
        channels = self._channels(online=form)
        data: dict[str, Any] = {
            "code": plan.code,
            "name": plan.name,
            "field": plan.field,
            "levels": levels,
            "procedure_type": rng.choice(
                (
                    "TTHC được giao luật quy định chi tiết",
                    "TTHC không được luật giao quy định chi tiết",
                )
            ),
            **self._audiences(plan.field),
            "decision": self._decision(plan, start, levels),
            "effective_from": start,
        }
        if end:
            data["effective_to"] = end
        data["change"] = self._change(plan, index, start)
        if last and plan.ended:
            data["ended"] = self._ended(plan)
        data["channels"] = channels
        data["cases"] = self._cases(plan, levels)
        data["conditions"] = rng.sample(CONDITIONS, rng.randint(0, 2))
        data["result"] = self._result(plan)
        data.update(self._agencies_of(plan, levels))
        data["legal_basis"] = rng.sample(self.laws[plan.field], rng.randint(1, 4))
        if plan.related:
            data["related"] = plan.related
        if plan.life_events and last:
            data["life_events"] = plan.life_events
        data["online_service"] = self._online_service(plan, channels, form)
        data["cross_boundary"] = {"allowed": rng.choice((True, False, "unpublished"))}
        if data["cross_boundary"]["allowed"] is True:  # a true without a source is a warning
            data["cross_boundary"]["sources"] = [{"title": NOTE}]
        data["synonyms"] = list(
            dict.fromkeys(s for s in (plan.action, plan.result.lower()) if len(s) <= 100)
        )
        if data["decision"]["date"] == "unpublished":
            data["unpublished"] = ["decision.date"]
        data["review"] = self._review(start)
        if form and data["review"]["status"] == "imported":  # a draft offers no form (schema)
            data["review"] = {"status": "reviewed"}
        data["sources"] = self._sources(plan)
        return data

    def _audiences(self, field_id: str) -> dict:
        audiences = ["citizen"]
        if field_id == "ho-kinh-doanh":
            audiences.append("business")
        if self.rng.random() < 0.2:
            audiences.append("organisation")
        names = {
            "citizen": "Công dân Việt Nam",
            "business": "Hộ kinh doanh",
            "organisation": "Tổ chức",
        }
        return {"audiences": audiences, "audience_text": ", ".join(names[a] for a in audiences)}

    def _decision(self, plan: _Plan, start: dt.date, levels: list[str]) -> dict:
        """The decision publishing a version: the province's, or the ministry's for central ones."""
        issuer = f"UBND {self.place}"
        suffix = "QĐ-UBND"
        if "trung-uong" in levels:
            issuer = self.topic(plan.field).ministry[1]
            suffix = f"QĐ-{_abbreviation(issuer)}"
        signed = start - dt.timedelta(days=self.rng.randint(5, 60))
        date = "unpublished" if self.rng.random() < 0.15 else signed
        return {"number": f"{self.rng.randint(100, 4999)}/{suffix}", "date": date, "issuer": issuer}

    def _change(self, plan: _Plan, index: int, start: dt.date) -> dict:
        if plan.replaces:
            summary = f"Thay thế thủ tục {plan.replaces} từ ngày {start:%d/%m/%Y}."
            return {"kind": "replacement", "summary": summary, "replaces": [plan.replaces]}
        if index == 0:
            return {"kind": self.rng.choice(("new", "amended"))}
        if start == REFORM:
            summary = (
                "Từ 01/7/2025 thực hiện tại cấp xã, cấp tỉnh (chính quyền địa phương hai cấp)."
            )
        else:
            summary = "Sửa đổi, bổ sung thành phần hồ sơ và thời hạn giải quyết."
        return {"kind": "amended", "summary": summary}

    def _ended(self, plan: _Plan) -> dict:
        ended: dict[str, Any] = {"kind": plan.ended}
        if plan.replaced_by:
            ended["replaced_by"] = [plan.replaced_by]
            ended["note"] = f"Nộp hồ sơ theo thủ tục {plan.replaced_by}."
        else:
            ended["note"] = "Thủ tục đã bị bãi bỏ."
        ended["decision"] = self._decision(plan, plan.end, plan.levels)  # type: ignore[arg-type]
        return ended

    def _channels(self, *, online: bool) -> list[dict]:
        """1 to 3 channels; the same deadline and fees everywhere, or each its own."""
        extra = self.rng.sample(("online", "post"), self.rng.randint(0, 2))
        if online and "online" not in extra:
            extra.append("online")
        kinds = ["in_person", *sorted(extra, key=("online", "post").index)]
        deadline, fees = self._deadline(), self._fees()
        same = self.rng.random() < 0.7
        return [
            {
                "kind": kind,
                "deadline": deadline if same else self._deadline(),
                "fees": fees if same else self._fees(),
            }
            for kind in kinds
        ]

    def _deadline(self) -> dict:
        unit = self.rng.choices(
            ("working_days", "days", "hours", "same_day", "unpublished"), (45, 20, 5, 10, 20)
        )[0]
        if unit == "same_day":
            return {"unit": unit, "published_text": "Trong ngày"}
        if unit == "unpublished":
            amount = self.rng.choice((1, 3, 5, 10))
            note = "Nguồn chỉ ghi con số, không ghi đơn vị (ngày làm việc hay ngày)."
            return {"amount": amount, "unit": unit, "published_text": str(amount), "note": note}
        amount = self.rng.choice(
            {"working_days": (1, 2, 3, 5, 7, 10, 15, 20, 30), "days": (5, 10, 15, 30, 45, 60)}.get(
                unit, (4, 8, 24)
            )
        )
        words = {"working_days": "ngày làm việc", "days": "ngày", "hours": "giờ làm việc"}[unit]
        return {"amount": amount, "unit": unit, "published_text": f"{amount:02d} {words}"}

    def _fees(self) -> dict:
        status = self.rng.choices(("none", "charged", "unpublished"), (35, 40, 25))[0]
        if status == "none":
            return {"status": status, "published_text": "Không thu phí, lệ phí"}
        if status == "unpublished":
            note = "Mức thu do HĐND cấp tỉnh quy định; nguồn không ghi mức thu."
            return {"status": status, "published_text": "Theo quy định", "note": note}
        items = [self._fee_item() for _ in range(self.rng.randint(1, 2))]
        return {"status": status, "items": items}

    def _fee_item(self) -> dict:
        kind = self.rng.choice(("fee", "charge"))
        item: dict[str, Any] = {
            "kind": kind,
            "name": "Phí thẩm định hồ sơ" if kind == "fee" else "Lệ phí cấp giấy",
            "amount": self.rng.choice(AMOUNTS),
            "per": self.rng.choice(("lần", "hồ sơ", "bản")),
        }
        if self.rng.random() < 0.3:
            item["exemptions"] = [
                "Miễn cho người thuộc hộ nghèo, người khuyết tật, người cao tuổi."
            ]
        item["basis"] = f"NQ {self.rng.randint(1, 60)}/{self.rng.randint(2018, 2025)}/NQ-HĐND"
        return item

    def _cases(self, plan: _Plan, levels: list[str]) -> list[dict]:
        """1 to 3 cases of 2 to 8 documents each; document ids are unique in the version."""
        extra = self.rng.sample(CASES, self.rng.choices((0, 1, 2), (70, 20, 10))[0])
        intake = "Trung tâm Phục vụ hành chính công" + (" cấp xã" if "xa" in levels else "")
        steps = [s.format(action=plan.action, result=plan.result, intake=intake) for s in STEPS]
        cases = []
        for case_id, name in [("chung", "Trường hợp chung"), *extra]:
            documents = self.rng.sample(DOCUMENTS, self.rng.randint(2, 8))
            documents.sort(key=DOCUMENTS.index)
            suffix = "" if case_id == "chung" else f"-{case_id}"
            cases.append(
                {
                    "id": case_id,
                    "name": name,
                    "steps": steps[: self.rng.randint(2, len(steps))],
                    "documents": [self._document(plan, d, suffix) for d in documents],
                }
            )
        return cases

    def _document(self, plan: _Plan, spec: tuple[str, str, str], suffix: str) -> dict:
        doc_id, name, flag = spec
        document: dict[str, Any] = {
            "id": doc_id + suffix,
            "name": name.format(action=plan.action),
            "originals": 0 if flag == "copy" else 1,
            "copies": 1 if flag == "copy" else 0,
        }
        if flag == "optional":
            document["required"] = False
            document["note"] = "Chỉ nộp khi thuộc trường hợp này."
        elif flag == "presented":
            document["presented"] = True
        elif flag == "form":
            circular = self.rng.choice(self.laws[plan.field])["number"]
            document["template"] = {
                "name": f"Mẫu {name.format(action=plan.action)}",
                "issued_by": circular,
            }
        return document

    def _result(self, plan: _Plan) -> list[dict]:
        result: dict[str, Any] = {"name": plan.result}
        if self.rng.random() < 0.4:
            result["code"] = f"KQ.G{self.rng.randint(1, 30):02d}.{self.rng.randint(1, 999_999):06d}"
        return [result]

    def _agencies_of(self, plan: _Plan, levels: list[str]) -> dict:
        topic = self.topic(plan.field)
        by_level = {
            "xa": ("cong-an-cap-xa" if topic.police else "ubnd-cap-xa", "trung-tam-pvhcc-cap-xa"),
            "tinh": (topic.department[0], "trung-tam-pvhcc-tinh"),
            "trung-uong": (topic.ministry[0], topic.ministry[0]),
            "huyen": ("ubnd-cap-huyen", "bo-phan-mot-cua-cap-huyen"),
        }
        implementing = [by_level[level][0] for level in levels]
        agencies: dict[str, Any] = {"implementing": implementing, "competent": implementing[:1]}
        if self.rng.random() < 0.2:
            agencies["coordinating"] = [topic.department[0]]
        intake = list(dict.fromkeys(by_level[level][1] for level in levels))
        text = "Trung tâm Phục vụ hành chính công; trực tuyến qua Cổng Dịch vụ công quốc gia."
        return {"agencies": agencies, "intake": {"text": text, "agencies": intake}}

    def _online_service(self, plan: _Plan, channels: list[dict], form: bool) -> dict:
        if form:
            return {"kind": self.rng.choice(("toan-trinh", "mot-phan")), "form": plan.form_id}
        if any(c["kind"] == "online" for c in channels):
            return {"kind": self.rng.choice(("toan-trinh", "mot-phan", "unpublished"))}
        return {"kind": self.rng.choice(("none", "unpublished"))}

    def _review(self, start: dt.date) -> dict:
        if self.rng.random() < 0.02:
            return {"status": "imported", "imported_at": max(start, dt.date(2026, 6, 10))}
        return {"status": "reviewed"}

    def _sources(self, plan: _Plan) -> list[dict]:
        return [
            {
                "title": f"Cổng DVCQG, bản ghi thủ tục {plan.code} (mô phỏng)",
                "fields": ["channels", "cases", "legal_basis"],
            },
            {"title": NOTE, "note": f"Sinh với seed {self.seed}."},
        ]

    # Laws

    def _laws(self, field_id: str) -> list[dict]:
        """A law, decrees, circulars and a local resolution for one field."""
        subject = self.fields[field_id].lower()
        ministry = self.topic(field_id).ministry[1]
        year = self.rng.randint(2014, 2022)
        decree = f"Nghị định quy định chi tiết một số điều của Luật {subject}"
        laws = [self._law(year, f"QH{13 + (year > 2016) + (year > 2021)}", f"Luật {subject}")]
        laws += [self._law(self.rng.randint(year, 2025), "NĐ-CP", decree) for _ in range(2)]
        laws += [
            self._law(
                self.rng.randint(year, 2025),
                f"TT-{_abbreviation(ministry)}",
                f"Thông tư hướng dẫn {subject}",
            )
            for _ in range(2)
        ]
        laws.append(self._law(2023, "NQ-HĐND", f"Nghị quyết về phí, lệ phí {self.place}"))
        return laws

    def _law(self, year: int, kind: str, title: str) -> dict:
        signed = dt.date(year, 1, 1) + dt.timedelta(days=self.rng.randint(0, 364))
        return {
            "number": f"{self.rng.randint(1, 199):02d}/{year}/{kind}",
            "date": signed,
            "title": title,
        }

    # Forms

    def form(self, plan: _Plan, version: dict) -> dict:
        """An online form for the current version: applicant details, a choice that other items
        depend on (`when`), and upload slots for that version's documents."""
        cases = version["cases"]
        choice, shown = self._choice(cases)
        fields = [
            {"id": "ho-ten", "type": "text", "label": "Họ, chữ đệm và tên", "max_length": 100},
            {"id": "so-dinh-danh", "type": "cccd", "label": "Số định danh cá nhân"},
            {"id": "dien-thoai", "type": "phone", "label": "Số điện thoại di động"},
            {"id": "email", "type": "email", "label": "Thư điện tử", "required": False},
            {"id": "noi-cu-tru", "type": "address", "label": "Nơi cư trú"},
            choice,
            shown,
        ]
        uploads = [
            self._upload(document, choice["id"], case["id"] if len(cases) > 1 else None)
            for case in cases
            for document in case["documents"][:3]
        ]
        return {
            "id": plan.form_id,
            "procedure": plan.code,
            "title": _capital(plan.action),
            "intro": "Chuẩn bị bản chụp các giấy tờ trong thành phần hồ sơ trước khi bắt đầu.",
            "pages": [
                {"id": "nguoi-yeu-cau", "title": "Thông tin người yêu cầu", "fields": fields},
                {"id": "giay-to", "title": "Giấy tờ kèm theo", "uploads": uploads},
            ],
            "sources": [{"title": NOTE}],
        }

    def _choice(self, cases: list[dict]) -> tuple[dict, dict]:
        """A select field and a field shown for one of its options only: which case applies
        (several cases), or how notices are sent (one case: how the result is returned is the
        engine's own question, chalicelib.forms.with_delivery, so no form declares it)."""
        if len(cases) > 1:
            options = [{"value": c["id"], "label": c["name"], "case": c["id"]} for c in cases]
            select = {"id": "truong-hop", "type": "select", "label": "Trường hợp của anh/chị"}
            shown: dict[str, Any] = {
                "id": "trinh-bay",
                "type": "textarea",
                "label": f"Trình bày cụ thể ({cases[1]['name'].lower()})",
                "when": {"field": "truong-hop", "in": [cases[1]["id"]]},
            }
            return {**select, "options": options}, shown
        options = [
            {"value": "truc-tiep", "label": "Nhận trực tiếp"},
            {"value": "buu-chinh", "label": "Nhận qua dịch vụ bưu chính"},
        ]
        select = {"id": "nhan-thong-bao", "type": "select", "label": "Cách nhận thông báo"}
        shown = {
            "id": "dia-chi-nhan",
            "type": "text",
            "label": "Địa chỉ nhận thông báo qua bưu chính",
            "max_length": 300,
            "when": {"field": "nhan-thong-bao", "in": ["buu-chinh"]},
        }
        return {**select, "options": options}, shown

    def _upload(self, document: dict, choice: str, case: str | None) -> dict:
        required = document.get("required", True) and not document.get("presented")
        upload: dict[str, Any] = {
            "id": f"tep-{document['id']}",
            "document": document["id"],
            "label": document["name"],
            "accept": ["pdf", "jpeg", "png"],
            "max_bytes": self.rng.choice((5_242_880, 10_485_760)),
            "min_files": 1 if required else 0,
            "max_files": self.rng.randint(1, 5),
        }
        if case and case != "chung":
            upload["when"] = {"field": choice, "in": [case]}
        return upload
