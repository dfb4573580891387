"""Open data: the catalogue as downloads under site/du-lieu-mo/, and machine-readable page data.

Why: the catalogue is public information that other portals, researchers and journalists want as
data, not as 10,000 HTML pages. Every download says which catalogue revision (git commit) and
which build date it comes from, so a copy found elsewhere can be traced and dated.

  du-lieu-mo/thu-tuc.json.gz       every procedure with all its versions, as edited (plus "meta"),
                                   one procedure per line (gzipped: it repeats the files below)
  du-lieu-mo/thu-tuc/<code>.json.gz  the same, one procedure per file (stable per-procedure URL),
                                   gzipped like the bulk files (60 -> 20 MB at 10,000 procedures);
                                   its meta gives the revision and date at which it last changed
  du-lieu-mo/thu-tuc.csv           one row per procedure: the version shown on its page today
                                   (UTF-8 with a BOM, for spreadsheets)
  du-lieu-mo/thu-tuc.csv.meta.json revision and build date of the CSV (a comment row in the CSV
                                   itself breaks spreadsheet and CSV tools)
  du-lieu-mo/datapackage.json      the CSV as a Frictionless Data Package: its Table Schema (codes
                                   are strings), licence, revision
  du-lieu-mo/cpsv-ap.jsonld.gz     the EU Core Public Service Vocabulary (CPSV-AP) as JSON-LD
  du-lieu-mo/tu-vung/              the motcua: vocabulary: motcua.ttl, and its page (with the shell)
  du-lieu-mo/index.html            the "Dữ liệu mở" page listing them (when given the shell)

CPSV-AP (`cpsv_service`, context `cpsv_context`) conforms to the official CPSV-AP 3.2.0 SHACL
shapes (schemas/cpsv-ap/, checked by pyshacl in the tests): identifiers on services, channels and
costs; amounts as cv:hasValue in the EU currency concept VND; organisations located in the EU
country concept VNM; ended services with an adms:status (ADMS status vocabulary) and
dct:isReplacedBy. What CPSV-AP cannot say uses the `motcua:` vocabulary, published on the site
under the public URL (vocabulary.py, du-lieu-mo/tu-vung/): motcua:workingDays (a deadline counted
in working days, which an ISO 8601 duration cannot express), motcua:sameDay, motcua:unpublished
(the CPSV-AP properties the authorities have not published for this service, channel or cost)
and the channel types (dct:type of a channel) that have no known EU concept (the table
vocabulary.EU_CHANNEL_TYPES, with the sources read). Deadlines and costs differ per channel (in
person, online, post), so cv:processingTime and the costs hang off each cv:Channel; every cv:Cost
also names its channel with cv:ifAccessedThrough.

Incremental: each procedure's share of the catalogue-wide files (its thu-tuc.json member, CSV row
and CPSV-AP node) is serialised once into a `Fragment`, and the fragments of the codes of one
`chunk_of` are joined and compressed once into a `Chunk`: the two gzipped
files are a gzip member per chunk (a gzip file may hold several members, read as one stream by
gzip, zcat and every zlib-based reader). The build caches both, so a rebuild serialises only the
procedures that changed, compresses only their chunks again, and rewrites only the
per-procedure files whose content changed (the others keep their bytes, meta included: it says
when that content was produced, while the catalogue-wide files say when the whole catalogue was
built).
"""

import csv
import gzip
import io
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import markupsafe

from buildlib import paths
from buildlib.catalogue import labels
from chalicelib.versions import has_ended, shown_version, state_of

from . import vocabulary
from .pagedata import compact_json, script_json
from .precompress import gzipped

FOLDER = "du-lieu-mo"
# EU vocabularies (the Publications Office's authority tables) and ADMS's status vocabulary.
CURRENCY_VND = "http://publications.europa.eu/resource/authority/currency/VND"
COUNTRY_VNM = "http://publications.europa.eu/resource/authority/country/VNM"
ENDED_STATUS = {  # adms:status of a service that has ended, by `ended.kind`
    "abolished": ("http://purl.org/adms/status/Withdrawn", "Đã bãi bỏ"),
    "replaced": ("http://purl.org/adms/status/Deprecated", "Đã được thay thế"),
}


def cpsv_context() -> dict[str, Any]:
    return {
        "cpsv": "http://purl.org/vocab/cpsv#",
        "cv": "http://data.europa.eu/m8g/",
        "dct": "http://purl.org/dc/terms/",
        "adms": "http://www.w3.org/ns/adms#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "motcua": vocabulary.namespace(),
        "cv:hasValue": {"@type": "xsd:double"},
        "cv:processingTime": {"@type": "xsd:duration"},
        "dct:issued": {"@type": "xsd:date"},
        "motcua:workingDays": {"@type": "xsd:integer"},
        "motcua:unpublished": {"@type": "@id"},
    }


# thu-tuc.csv's columns, each with its Table Schema field (datapackage.json): every one a string
# but the dates, so no tool reads the code 1.001570 as the number 1.00157.
CSV_FIELDS: dict[str, dict[str, Any]] = {
    "code": {"title": "Mã thủ tục", "constraints": {"required": True, "unique": True}},
    "name": {"title": "Tên thủ tục"},
    "field": {"title": "Mã lĩnh vực"},
    "field_name": {"title": "Lĩnh vực"},
    "levels": {"title": "Cấp thực hiện (cách nhau bởi '; ')"},
    "status": {
        "title": "Tình trạng hôm nay",
        "description": "in_force: đang áp dụng; future: sắp áp dụng; abolished: đã bãi bỏ; "
        "replaced: đã được thay thế",
        "constraints": {"enum": ["in_force", "future", "abolished", "replaced", "ended"]},
    },
    "online_kind": {"title": "Dịch vụ công trực tuyến (toan-trinh, mot-phan, none, unpublished)"},
    "deadline_in_person": {"title": "Thời hạn giải quyết, nộp trực tiếp"},
    "fees_in_person": {"title": "Phí, lệ phí, nộp trực tiếp"},
    "deadline_online": {"title": "Thời hạn giải quyết, nộp trực tuyến"},
    "fees_online": {"title": "Phí, lệ phí, nộp trực tuyến"},
    "deadline_post": {"title": "Thời hạn giải quyết, nộp qua bưu chính"},
    "fees_post": {"title": "Phí, lệ phí, nộp qua bưu chính"},
    "decision": {"title": "Quyết định công bố"},
    "effective_from": {"title": "Áp dụng từ ngày", "type": "date"},
    "effective_to": {"title": "Hết hiệu lực từ ngày (trống: còn hiệu lực)", "type": "date"},
    "url": {"title": "Trang của thủ tục", "format": "uri"},
}
CSV_COLUMNS = list(CSV_FIELDS)
# Excel on a Vietnamese Windows reads a CSV without a byte order mark in the ANSI code page
# (cp1258), and "Thủ tục" becomes "Thá»§ tá»¥c"; with it, UTF-8. Other CSV tools skip it.
BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def procedure_url(code: str) -> str:
    return f"{paths.site_url()}thu-tuc/{code}/"


# --- cell values ---------------------------------------------------------------------------


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: a leading = + - @ TAB or CR starts a formula
    (e.g. =HYPERLINK(...) that leaks data), so such cells get a leading apostrophe (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def fees_text(fees: dict | None) -> str:
    """One channel's fees as the page words them, on one line."""
    if not fees or fees.get("status") == "unpublished":
        return labels.UNPUBLISHED
    if fees.get("status") == "none":
        return "Không thu"
    items = []
    for item in fees.get("items", []):
        kind = labels.FEE_KINDS.get(item.get("kind", ""), "Khoản thu")
        name = str(item.get("name", ""))
        if not name.lower().startswith(kind.lower()):  # "Lệ phí đăng ký", not "Lệ phí Lệ phí"
            name = f"{kind} {name}"
        text = f"{name}: {labels.money(item.get('amount'))}"
        if item.get("per"):
            text += f"/{item['per']}"
        if item.get("condition"):
            text += f" ({item['condition']})"
        items.append(text)
    return "; ".join(items) or labels.UNPUBLISHED


def _channel(version: dict, kind: str) -> dict | None:
    return next((c for c in version.get("channels", []) if c.get("kind") == kind), None)


def _status(versions: list[dict], shown: dict, today: str) -> str:
    last = versions[-1]
    if state_of(shown, today) == "future":
        return "future"
    if has_ended(versions, today):
        return (last.get("ended") or {}).get("kind", "ended")
    return "in_force"


# --- the downloads -------------------------------------------------------------------------


def _procedures(catalogue: Any) -> dict[str, list[dict]]:
    """Versions by code, oldest first, from a Catalogue or an already built mapping."""
    if isinstance(catalogue, Mapping):
        return {c: list(v) for c, v in sorted(catalogue.items())}
    return {c: [d.data for d in docs] for c, docs in sorted(catalogue.procedures().items())}


def _names(catalogue: Any) -> tuple[dict[str, str], dict[str, str]]:
    if isinstance(catalogue, Mapping):
        return {}, {}
    fields = {f["id"]: f["name"] for d in catalogue.of_kind("field") for f in d.data["fields"]}
    agencies = {d.data["id"]: d.data["name"] for d in catalogue.of_kind("agency")}
    return fields, agencies


def _json(value: Any) -> str:
    return compact_json(value) + "\n"


def csv_row(code: str, versions: list[dict], fields: Mapping[str, str], today: str) -> str:
    """The procedure's CSV row (CRLF-terminated): the version its page shows today (in force,
    else scheduled, else the last one, with `status` saying which)."""
    v = shown_version(versions, today)
    row = {
        "code": code,
        "name": v.get("name"),
        "field": v.get("field"),
        "field_name": fields.get(v.get("field", ""), v.get("field")),
        "levels": "; ".join(labels.LEVELS.get(x, x) for x in v.get("levels", [])),
        "status": _status(versions, v, today),
        "online_kind": v.get("online_service", {}).get("kind", "unpublished"),
        "decision": labels.decision(v.get("decision")),
        "effective_from": v.get("effective_from"),
        "effective_to": v.get("effective_to", ""),
        "url": procedure_url(code),
    }
    for kind in labels.CHANNELS:
        channel = _channel(v, kind)
        row[f"deadline_{kind}"] = labels.deadline(channel.get("deadline")) if channel else ""
        row[f"fees_{kind}"] = fees_text(channel.get("fees")) if channel else ""
    return _csv_line([safe_cell(row[c]) for c in CSV_COLUMNS])


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def csv_text(procedures: dict[str, list[dict]], fields: Mapping[str, str], today: str) -> str:
    """The whole CSV: a header row, then one row per procedure."""
    rows = (csv_row(code, versions, fields, today) for code, versions in procedures.items())
    return _csv_line(CSV_COLUMNS) + "".join(rows)


def data_package(meta: Mapping[str, Any]) -> dict:
    """datapackage.json: a Frictionless Data Package whose one resource is thu-tuc.csv, with
    its Table Schema (every column a string but the dates; the code unique and required)."""
    fields = [{"name": name, "type": "string", **field} for name, field in CSV_FIELDS.items()]
    fields[0]["constraints"] = {**fields[0]["constraints"], "pattern": _code_pattern()}
    return {
        "name": "motcua-thu-tuc-hanh-chinh",
        "title": "Danh mục thủ tục hành chính",
        "homepage": f"{meta['source']}{FOLDER}/",
        "licenses": [DATA_LICENCE],
        "version": meta["revision"],
        "meta": dict(meta),
        "resources": [
            {
                "name": "thu-tuc",
                "path": "thu-tuc.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "dialect": {"delimiter": ",", "doubleQuote": True, "header": True},
                "schema": {"fields": fields, "primaryKey": ["code"], "missingValues": [""]},
            }
        ],
    }


def _code_pattern() -> str:
    """The catalogue schema's procedure code pattern (a Table Schema pattern is anchored)."""
    common = json.loads((paths.SCHEMAS / "common.schema.json").read_text(encoding="utf-8"))
    return str(common["$defs"]["procedure_code"]["pattern"]).removeprefix("^").removesuffix("$")


def _duration(deadline: dict | None) -> dict:
    """CPSV-AP properties of one deadline: an ISO 8601 duration where the unit allows it."""
    if not deadline:
        return {"motcua:unpublished": ["cv:processingTime"]}
    unit, amount = deadline.get("unit", "unpublished"), deadline.get("amount")
    if unit == "same_day":
        return {"motcua:sameDay": True}
    if not isinstance(amount, int) or unit == "unpublished":
        return {"motcua:unpublished": ["cv:processingTime"]}
    if unit == "days":
        return {"cv:processingTime": f"P{amount}D"}
    if unit == "hours":
        return {"cv:processingTime": f"PT{amount}H"}
    return {"motcua:workingDays": amount}  # working days: not an ISO 8601 duration


def cpsv_service(
    code: str, v: dict, agencies: Mapping[str, str], *, ended: str | None = None
) -> dict:
    """One procedure's shown version as a cpsv:PublicService node, conformant with the CPSV-AP
    3.2 shapes (schemas/cpsv-ap/). `ended`: "abolished" or "replaced" once the procedure has
    ended (adms:status, and dct:isReplacedBy the services that replace it)."""
    url = procedure_url(code)
    roles = v.get("agencies", {})
    competent = roles.get("competent") or roles.get("implementing") or []
    channels, costs = [], []
    for c in v.get("channels", []):
        channel_id, identifier = f"{url}#kenh-{c['kind']}", f"{code}-kenh-{c['kind']}"
        node: dict[str, Any] = {
            "@id": channel_id,
            "@type": "cv:Channel",
            "dct:identifier": identifier,
            "dct:type": channel_type(c["kind"]),
            **_duration(c.get("deadline")),
        }
        fees = c.get("fees") or {}
        if fees.get("status") == "unpublished" or not fees:
            node.setdefault("motcua:unpublished", []).append("cv:hasCost")
        elif fees.get("status") == "none":
            costs.append(_cost(channel_id, identifier, 0, 0, "Không thu"))
        for i, item in enumerate(fees.get("items", []) if fees.get("status") == "charged" else []):
            text = fees_text({"status": "charged", "items": [item]})
            costs.append(_cost(channel_id, identifier, i + 1, item.get("amount"), text))
        channels.append(node)
    service: dict[str, Any] = {
        "@id": url,
        "@type": "cpsv:PublicService",
        "dct:identifier": code,
        "dct:title": _vi(v.get("name")),
        "dct:description": _vi(service_description(v)),
        "dct:issued": v.get("effective_from"),
        "cv:hasCompetentAuthority": [
            {
                "@id": f"{paths.site_url()}co-quan/{a}/",
                "@type": "cv:PublicOrganisation",
                "skos:prefLabel": _vi(agencies.get(a, a)),
                # Every agency of the catalogue acts in Viet Nam (the EU country table); a finer
                # area (province, commune) is not in the agency data.
                "dct:spatial": {"@id": COUNTRY_VNM, "@type": "dct:Location"},
            }
            for a in competent
        ],
        "cv:hasChannel": channels,
        "cv:hasCost": costs,
    }
    if ended in ENDED_STATUS:
        status, label = ENDED_STATUS[ended]
        service["adms:status"] = {
            "@id": status,
            "@type": "skos:Concept",
            "skos:prefLabel": _vi(label),
        }
        replaced_by = (v.get("ended") or {}).get("replaced_by", [])
        if replaced_by:
            service["dct:isReplacedBy"] = [{"@id": procedure_url(c)} for c in replaced_by]
    return service


def _vi(text: object) -> dict:
    return {"@value": text, "@language": "vi"}


def service_description(v: dict) -> str:
    """dct:description of a service, which the source does not publish as such: its published
    results and who may apply, in the source's own words; where the source gives neither, that
    it is unpublished (nothing is made up)."""
    parts = []
    results = [str(r["name"]) for r in v.get("result") or [] if isinstance(r, Mapping)]
    if results:
        parts.append("Kết quả thực hiện: " + "; ".join(results) + ".")
    if v.get("audience_text"):
        parts.append(f"Đối tượng thực hiện: {v['audience_text']}.")
    return " ".join(parts) or f"Mô tả {labels.UNPUBLISHED}."


def channel_type(kind: str) -> dict:
    """dct:type of a channel, a skos:Concept: the EU concept of vocabulary.EU_CHANNEL_TYPES where
    one is known, else ours, motcua:<kind> in the scheme motcua:ChannelType (the table says why)."""
    concept: dict[str, Any] = {
        "@type": "skos:Concept",
        "skos:prefLabel": _vi(f"Nộp {labels.CHANNELS[kind]}"),
    }
    eu = vocabulary.EU_CHANNEL_TYPES.get(kind)
    if eu:
        return {"@id": eu, **concept}
    return {"@id": f"motcua:{kind}", **concept, "skos:inScheme": {"@id": "motcua:ChannelType"}}


def _cost(channel_id: str, channel: str, n: int, amount: object, text: str) -> dict:
    """The channel's n-th cost (0: the channel charges nothing)."""
    cost: dict[str, Any] = {
        "@id": f"{channel_id}-phi-{n}",
        "@type": "cv:Cost",
        "dct:identifier": f"{channel}-phi-{n}",
        "dct:description": _vi(text),
        "cv:ifAccessedThrough": {"@id": channel_id},
    }
    if isinstance(amount, int):
        cost["cv:hasValue"] = amount
        cost["cv:currency"] = {"@id": CURRENCY_VND, "@type": "skos:Concept"}
    else:
        cost["motcua:unpublished"] = ["cv:hasValue"]
    return cost


class Fragment(NamedTuple):
    """One procedure's share of the catalogue-wide downloads, as text ready to be joined."""

    versions: str  # its versions as JSON (also the body of its own file)
    row: str  # its thu-tuc.csv row
    service: str  # its cpsv-ap.jsonld @graph node


class Chunk(NamedTuple):
    """The fragments of the codes of one `chunk_of`, joined: gzip members of thu-tuc.json's and
    cpsv-ap.jsonld's lines (one procedure per line, separated by ",\\n" as in the whole file)
    and the CSV rows as text."""

    codes: tuple[str, ...]
    procedures_gz: bytes
    graph_gz: bytes
    rows: str


def chunk_of(code: str) -> str:
    """Codes that differ only in their last four digits: "1.000894" -> "1.00". At 10,000
    synthetic procedures that is 300 chunks of ~33 (each compressed alone: thu-tuc.json.gz
    grows ~7%; by two digits, one procedure per chunk, it tripled)."""
    return code[:-4]


def make_chunk(fragments: Mapping[str, Fragment]) -> Chunk:
    codes = tuple(sorted(fragments))
    procedures = ",\n".join(f"{compact_json(c)}:{fragments[c].versions}" for c in codes)
    graph = ",\n".join(fragments[c].service for c in codes)
    return Chunk(codes, _gzip(procedures), _gzip(graph), "".join(fragments[c].row for c in codes))


def _gzip(text: str) -> bytes:
    """The bulk downloads are ~66 MB plain at 10,000 procedures (~8 MB gzipped): ISA-L's
    deflate (precompress.gzipped) is faster than zlib's level 1, and smaller."""
    return gzipped(text.encode("utf-8"))


class Published(NamedTuple):
    """What write_open_data wrote: (path below the site, bytes) of each catalogue-wide file,
    the fragments it had or made, every chunk, and the size of each per-procedure file (when it
    wrote the open data page, which states their total), for the next build."""

    files: list[tuple[str, int]]
    fragments: dict[str, Fragment]
    chunks: dict[str, Chunk]
    sizes: dict[str, int]


def fragment(
    code: str,
    versions: list[dict],
    today: str,
    fields: Mapping[str, str],
    agencies: Mapping[str, str],
) -> Fragment:
    shown = shown_version(versions, today)
    ended = (versions[-1].get("ended") or {}).get("kind") if has_ended(versions, today) else None
    return Fragment(
        compact_json(versions),
        csv_row(code, versions, fields, today),
        compact_json(cpsv_service(code, shown, agencies, ended=ended)),
    )


def write_single(site_dir: Path, code: str, versions_json: str, revision: str, today: str) -> None:
    """`du-lieu-mo/thu-tuc/<code>.json.gz`, unless it already holds these versions: then it
    keeps its bytes, meta included (the revision and date its content was produced at). `meta`
    comes last, so an unchanged file is recognised by its beginning without parsing it."""
    content = f'{{"code":{compact_json(code)},"url":{compact_json(procedure_url(code))},'
    content += f'"versions":{versions_json},"meta":'
    target = single_path(site_dir, code)
    try:
        if read_single(target).startswith(content):
            return
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "revision": revision,
        "built": today,
        "source": paths.site_url(),
        "licence": LICENCE,
        "note": SINGLE_NOTE,
    }
    text = content + compact_json(meta) + "}\n"
    target.write_bytes(gzipped(text.encode("utf-8")))


def single_path(site_dir: Path, code: str) -> Path:
    return site_dir / FOLDER / "thu-tuc" / f"{code}{SINGLE_SUFFIX}"


def read_single(path: Path) -> str:
    """The JSON text of a per-procedure file (FileNotFoundError when there is none)."""
    return gzip.decompress(path.read_bytes()).decode("utf-8")


def write_open_data(
    catalogue: Any,
    site_dir: Path,
    today: str,
    revision: str,
    *,
    shell: Any = None,
    procedures: Mapping[str, list[dict]] | None = None,
    fragments: Mapping[str, Fragment] | None = None,
    chunks: Mapping[str, Chunk] | None = None,
    sizes: Mapping[str, int] | None = None,
) -> Published:
    """Writes the downloads (see the module docstring).

    `catalogue` gives field and agency names, and the procedures unless `procedures`
    ({code: versions}) is given: those are serialised and get their own files (`write_single`).
    `fragments` are those of other procedures, already serialised (cached, or made with
    their own files by the build's workers), and `chunks` are whole chunks already joined (a
    rebuild's unchanged ones: no fragment of their codes is needed); the downloads cover the
    procedures of all three, and per-procedure files of any other code are removed. With
    `shell` (shell.Shell) it also writes the "Dữ liệu mở" page, du-lieu-mo/index.html, which
    states the per-procedure files' total size: `sizes` are those of files the caller knows to be
    as the last build left them (a rebuild's; at 10,000 procedures a stat of each was ~0.05 s),
    any other is stat'ed."""
    procedures = _procedures(catalogue if procedures is None else procedures)
    fields, agencies = _names(catalogue)
    out = site_dir / FOLDER
    (out / "thu-tuc").mkdir(parents=True, exist_ok=True)
    every = dict(fragments or {})
    for code, versions in procedures.items():
        every[code] = fragment(code, versions, today, fields, agencies)
        write_single(site_dir, code, every[code].versions, revision, today)
    grouped: dict[str, dict[str, Fragment]] = {}
    for code, part in every.items():
        grouped.setdefault(chunk_of(code), {})[code] = part
    joined = dict(chunks or {})
    joined.update({key: make_chunk(parts) for key, parts in grouped.items()})
    joined = dict(sorted(joined.items()))
    codes = {c for chunk in joined.values() for c in chunk.codes}
    singles = os.path.join(out, "thu-tuc")
    present = []
    for name in os.listdir(singles):
        if name.removesuffix(SINGLE_SUFFIX) not in codes:
            os.unlink(os.path.join(singles, name))
        elif name.endswith(SINGLE_SUFFIX):
            present.append(name.removesuffix(SINGLE_SUFFIX))

    meta = {
        "revision": revision,
        "built": today,
        "source": paths.site_url(),
        "procedures": len(codes),
        "licence": LICENCE,
    }
    graph_meta = {**meta, "note": "meta is not part of the graph (no @context term)"}
    # One procedure per line: JSON allows the newlines, and line tools and diffs can use them.
    separator = _gzip(",\n")
    files = {
        "thu-tuc.json.gz": _gzip(f'{{"meta":{compact_json(meta)},"procedures":{{\n')
        + separator.join(c.procedures_gz for c in joined.values())
        + _gzip("\n}}\n"),
        "thu-tuc.csv": (
            BOM + _csv_line(CSV_COLUMNS) + "".join(c.rows for c in joined.values())
        ).encode("utf-8"),
        "datapackage.json": _json(data_package(meta)).encode("utf-8"),
        "thu-tuc.csv.meta.json": _json({"meta": {**meta, "file": "thu-tuc.csv"}}).encode("utf-8"),
        "cpsv-ap.jsonld.gz": _gzip(
            f'{{"@context":{compact_json(cpsv_context())},"meta":{compact_json(graph_meta)},'
            '"@graph":[\n'
        )
        + separator.join(c.graph_gz for c in joined.values())
        + _gzip("\n]}\n"),
    }
    files["tu-vung/" + vocabulary.TURTLE] = vocabulary.turtle().encode("utf-8")
    (out / "tu-vung").mkdir(exist_ok=True)
    written = []
    for name, data in files.items():
        if name.removesuffix(".gz") in GZIPPED:
            (out / name.removesuffix(".gz")).unlink(missing_ok=True)
        (out / name).write_bytes(data)
        written.append((f"{FOLDER}/{name}", len(data)))
    known = sizes or {}
    single_sizes = {}
    if shell is not None:
        for c in present:
            size = known.get(c)
            if size is None:
                size = os.stat(os.path.join(singles, c + SINGLE_SUFFIX)).st_size
            single_sizes[c] = size
        page = open_data_page_html(written, revision, today, singles=list(single_sizes.values()))
        html = shell.wrap(page, title="Dữ liệu mở", depth=1)
        (out / "index.html").write_text(html, encoding="utf-8")
        html = shell.wrap(vocabulary.page_html(), title="Từ vựng motcua", depth=2)
        (out / "tu-vung" / "index.html").write_text(html, encoding="utf-8")
    return Published(written, every, joined, single_sizes)


# The two catalogue-wide files that repeat every procedure's own file are published gzipped
# (bulk data, read by programs): at 10,000 procedures they are ~66 MB plain, ~8 MB gzipped.
GZIPPED = {"thu-tuc.json", "cpsv-ap.jsonld"}
SINGLE_SUFFIX = ".json.gz"  # per-procedure files
# The catalogue data's licence, in the same words on the about page, the README and LICENSE
# (tests/test_opendata_standards.py holds them to it); the code is MIT (LICENSE).
LICENCE = (
    "Dữ liệu danh mục thủ tục hành chính được phát hành theo giấy phép Creative Commons Ghi công "
    "4.0 Quốc tế (CC BY 4.0, https://creativecommons.org/licenses/by/4.0/): được tự do sao chép, "
    "dùng lại và chỉnh sửa, kể cả cho mục đích thương mại, với điều kiện ghi rõ nguồn."
)
DATA_LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}
SINGLE_NOTE = (
    "revision và built: phiên bản danh mục và ngày dựng khi nội dung tệp này thay đổi lần cuối; "
    "thu-tuc.json.gz ghi lần dựng hiện tại."
)


DESCRIPTIONS = {
    "thu-tuc.json.gz": "Toàn bộ danh mục: mọi thủ tục với mọi phiên bản (JSON, nén gzip)",
    "thu-tuc.csv": "Mỗi thủ tục một dòng, phiên bản đang áp dụng (CSV, UTF-8 có BOM)",
    "datapackage.json": "Mô tả tệp CSV theo chuẩn Frictionless Data Package: kiểu của từng cột "
    "(mã thủ tục là chuỗi ký tự), giấy phép",
    "thu-tuc.csv.meta.json": "Phiên bản danh mục và ngày dựng của tệp CSV (JSON)",
    "cpsv-ap.jsonld.gz": "Danh mục theo từ vựng CPSV-AP của châu Âu (JSON-LD, nén gzip)",
}


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB".replace(".", ",")
    return f"{n / 1024 / 1024:.1f} MB".replace(".", ",")


def open_data_page_html(
    written: list[tuple[str, int]], revision: str, today: str, *, singles: list[int]
) -> str:
    """The "Dữ liệu mở" page's content (an HTML fragment for shell.Shell.wrap at depth 1,
    links relative to du-lieu-mo/): the downloads with sizes, revision and build date;
    `singles` are the sizes of the per-procedure files."""
    e = markupsafe.escape
    rows = []
    for path, size in written:
        name = path.removeprefix(f"{FOLDER}/")
        if name in DESCRIPTIONS:
            rows.append(
                f'<tr><td><a href="{e(name)}" download>{e(name)}</a></td>'
                f"<td>{e(DESCRIPTIONS[name])}</td><td>{e(_size(size))}</td></tr>"
            )
    total = sum(singles)
    return (
        "<h1>Dữ liệu mở</h1>\n"
        "<p>Danh mục thủ tục hành chính trên trang này được công bố lại dưới dạng dữ liệu để "
        "các hệ thống và người dùng khác sử dụng. Số liệu giải quyết hồ sơ (tiếp nhận, đúng hạn, "
        'mức độ hài lòng) ở trang <a href="../thong-ke/">Thống kê</a>.</p>\n'
        f'<p class="tthc-meta">Phiên bản danh mục <code>{e(revision)}</code> · '
        f"ngày dựng {e(labels.date(today))}</p>\n"
        '<div class="tthc-table"><table>\n<caption>Tệp tải về</caption>\n'
        '<thead><tr><th scope="col">Tệp</th><th scope="col">Nội dung</th>'
        '<th scope="col">Dung lượng</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table></div>\n"
        f"<p>Mỗi thủ tục còn có một tệp riêng: <code>thu-tuc/&lt;mã thủ tục&gt;.json.gz</code> "
        f"({len(singles)} tệp, tổng {e(_size(total))}).</p>\n"
        "<p>Mỗi tệp JSON ghi phiên bản danh mục (<code>meta.revision</code>) và ngày dựng "
        "(<code>meta.built</code>); với tệp CSV, hai thông tin này nằm trong "
        "<code>thu-tuc.csv.meta.json</code>. Tệp riêng của một thủ tục ghi phiên bản và ngày "
        "dựng khi nội dung của nó thay đổi lần cuối. Ô CSV bắt đầu bằng = + - @ được thêm "
        "dấu ' ở đầu để bảng tính không chạy chúng như công thức. Tệp CSV mã hoá UTF-8 có BOM "
        "để Excel hiển thị đúng tiếng Việt; <code>datapackage.json</code> (Frictionless Data "
        "Package) khai báo kiểu của từng cột: mã thủ tục là chuỗi ký tự, giữ nguyên số 0 ở "
        "cuối như <code>1.001570</code>. Trong "
        "<code>cpsv-ap.jsonld.gz</code>, "
        "những điều CPSV-AP không diễn đạt được (thời hạn tính theo ngày làm việc, thông tin "
        'chưa được công bố, kênh nộp) dùng <a href="tu-vung/">từ vựng mở rộng '
        "<code>motcua:</code></a>.</p>\n"
        f'<h2 id="giay-phep">Giấy phép</h2>\n<p>{e(LICENCE)}</p>\n'
    )


# --- on the pages --------------------------------------------------------------------------


def government_service_jsonld(
    version: dict, url: str, agencies: Mapping[str, Any], fields: Mapping[str, str] | None = None
) -> str:
    """schema.org GovernmentService for one procedure page, safe inside
    <script type="application/ld+json">: search engines show services from it, so an ended
    procedure gets none (procedure.py). Only properties of GovernmentService and its parents
    (schema.org has no inLanguage on a Service: the page's lang="vi" says it)."""
    roles = version.get("agencies", {})
    providers = []
    for a in roles.get("competent") or roles.get("implementing") or []:
        data = agencies.get(a)
        name = data.get("name", a) if isinstance(data, Mapping) else (data or a)
        providers.append({"@type": "GovernmentOrganization", "name": name})
    channels = []
    for c in version.get("channels", []):
        channel: dict[str, Any] = {"@type": "ServiceChannel", "name": labels.CHANNELS[c["kind"]]}
        deadline = c.get("deadline")
        if deadline:
            channel["description"] = f"Thời hạn giải quyết: {labels.deadline(deadline)}"
        channels.append(channel)
    service: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "@id": url,
        "url": url,
        "name": version.get("name"),
        "identifier": version.get("code"),
        "serviceType": (fields or {}).get(version.get("field", ""), version.get("field")),
        "provider": providers,
        "availableChannel": channels,
    }
    if version.get("audience_text"):
        service["audience"] = {"@type": "Audience", "audienceType": version["audience_text"]}
    return script_json(service)


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG (made at build time: no request, no script); a
    viewBox without width or height, so it takes the size the stylesheet gives it."""
    from chalicelib import qr  # segno: only the builds that print checklists need it

    svg = qr.svg(url, svgclass="tthc-qr")
    label = f'role="img" aria-label="Mã QR dẫn tới {markupsafe.escape(url)}"'
    return re.sub(r"^<svg ", f"<svg {label} ", svg, count=1)
