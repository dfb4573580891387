"""The office register: the real offices that receive dossiers, derived from the province's
administrative units and the agencies (schemas/office.schema.json says what an entry holds).

An agency file such as `cong-an-cap-xa.yaml` is a kind of office shared by every commune
(`generic: true`); a dossier is filed with one of them, Công an Phường Lê Chân. The register
therefore holds, for the province this catalogue serves:

- one office per commune for each generic commune-level agency of a receiving kind (the one-stop
  centre, Trung tâm Phục vụ hành chính công, and the commune police for cư trú); a commune's own
  agency file of that kind (`trung-tam-pvhcc-xa-vinh-bao.yaml`) is that office, its data wins;
- the province-level agencies of the province, and one office of each generic province-level
  agency (Văn phòng đăng ký đất đai); a branch of a generic agency has none (its parent receives).

Where the QCVN 102 identifier is unpublished the identifier is derived (see `identifier`).
Pure: lists and dicts in, a list of dicts out, so tests build registers from small inputs.
"""

import re
import unicodedata
from collections import Counter

PROVINCE = "31"  # the province this catalogue serves: Thành phố Hải Phòng (catalogue/units/31.yaml)
RECEIVING_KINDS = ("trung-tam-pvhcc", "cong-an")  # commune-level kinds with an office per commune
# "Công an" + " Phường Lê Chân": the office's name is its kind's name and the commune's.
KIND_NAMES = {
    "trung-tam-pvhcc": "Trung tâm Phục vụ hành chính công",
    "cong-an": "Công an",
    "ubnd": "Ủy ban nhân dân",
}
GENERIC_SUFFIX = "-cap-xa"


def register(agencies: list[dict], province: dict) -> list[dict]:
    """Every office of `province` (a units document) given the agencies' data, province-level
    offices first, then the communes in the units file's order."""
    by_id = {a["id"]: a for a in agencies if not a.get("effective_to")}
    offices = [
        _province_office(agency, province, by_id)
        for agency in by_id.values()
        if agency["level"] == "tinh" and _in_province(agency, province, by_id)
    ]
    generics = [
        a
        for a in by_id.values()
        if a.get("generic") and a["level"] == "xa" and a.get("kind") in RECEIVING_KINDS
    ]
    own = {  # (commune, kind) -> the commune's own agency file
        (a["unit"], a.get("kind")): a
        for a in by_id.values()
        if not a.get("generic") and a["level"] == "xa" and a.get("unit")
    }
    # Xã Cẩm Giang and Xã Cẩm Giàng are two communes: a name whose ASCII form is not unique in
    # the province takes the commune's code too ("...-xa-cam-giang-10888").
    communes: dict[str, dict] = {}
    for commune in province["communes"]:
        communes.setdefault(commune["code"], commune)  # a repeated code (check_unique_ids) once
    seen = Counter(slug(c["name"]) for c in communes.values())
    for commune in communes.values():
        place = slug(commune["name"])
        place = place if seen[place] == 1 else f"{place}-{commune['code']}"
        for generic in sorted(generics, key=lambda a: a["id"]):
            specific = own.get((commune["code"], generic["kind"]))
            offices.append(_commune_office(generic, specific, commune, province, place))
    return offices


def duplicates(offices: list[dict]) -> list[str]:
    """Ids and identifiers used by more than one office (the build refuses them)."""
    counts = Counter([o["id"] for o in offices] + [o["identifier"] for o in offices])
    return sorted(value for value, count in counts.items() if count > 1)


def identifier(agency: dict, unit: str, generic: dict | None = None) -> tuple[str, str]:
    """(identifier, identifier_source). The published QCVN 102 identifier when the agency file
    gives one; else `<unit>.<code>`: the commune's 5-digit or the province's 2-digit code (QĐ
    19/2025/QĐ-TTg, unique in the country and stable) and the agency's `office_code` (its generic
    agency's for a commune's own file without one), or the initials of the words of its id
    without `-cap-xa` ("trung-tam-pvhcc-cap-xa" -> "TTP"). Short, never of the QCVN 102 shape
    (four groups of 2-3 characters), and it fits the dossier code's pattern."""
    if agency.get("identifier", "unpublished") != "unpublished":
        return agency["identifier"], "published"
    code = agency.get("office_code") or (generic or {}).get("office_code")
    if not code:
        words = (generic or agency)["id"].removesuffix(GENERIC_SUFFIX).split("-")
        code = "".join(word[0] for word in words if word[0].isalpha()).upper()[:8]
    return f"{unit}.{code}", "derived"


def slug(text: str) -> str:
    """ASCII id part from a Vietnamese name: "Phường Lê Chân" -> "phuong-le-chan"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _in_province(agency: dict, province: dict, by_id: dict[str, dict]) -> bool:
    if agency.get("generic"):  # one office per province, unless it is a generic's branch
        parent = by_id.get(agency.get("parent", ""))
        return not (parent and parent.get("generic"))
    return agency.get("unit") == province["code"]


def _province_office(agency: dict, province: dict, by_id: dict[str, dict]) -> dict:
    place = province["name"][:1].lower() + province["name"][1:]  # "thành phố Hải Phòng"
    generic = bool(agency.get("generic"))
    ident, source = identifier(agency, province["code"])
    return {
        "id": f"{agency['id']}-{slug(province['name'])}" if generic else agency["id"],
        "identifier": ident,
        "identifier_source": source,
        "name": f"{agency['name']} {place}" if generic else agency["name"],
        "kind": agency.get("kind", "khac"),
        "level": "tinh",
        "agency": agency["id"],
        "unit": province["code"],
        "province": province["code"],
    }


def _commune_office(
    generic: dict, specific: dict | None, commune: dict, province: dict, place: str
) -> dict:
    ident, source = identifier(specific or generic, commune["code"], generic)
    if specific:
        office_id, name = specific["id"], specific["name"]
    else:
        office_id = f"{generic['id'].removesuffix(GENERIC_SUFFIX)}-{place}"
        name = f"{KIND_NAMES[generic['kind']]} {commune['name']}"
    return {
        "id": office_id,
        "identifier": ident,
        "identifier_source": source,
        "name": name,
        "kind": generic["kind"],
        "level": "xa",
        "agency": generic["id"],
        "unit": commune["code"],
        "province": province["code"],
    }


def of_catalogue(documents: list[tuple[str, dict]], province: str = PROVINCE) -> list[dict]:
    """The register from a loaded catalogue's (kind, data) pairs; empty without the province's
    units file (a catalogue of other content, such as a test's broken one)."""
    units = [data for kind, data in documents if kind == "units" and data["code"] == province]
    agencies = [data for kind, data in documents if kind == "agency"]
    return register(agencies, units[0]) if units else []
