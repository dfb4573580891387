"""The `motcua:` vocabulary: what our CPSV-AP JSON-LD says that CPSV-AP itself cannot.

Published on the site under the public URL, so every term resolves to its documentation:

  du-lieu-mo/tu-vung/            the terms, one anchor each (`#workingDays` ...): HTML
  du-lieu-mo/tu-vung/motcua.ttl  the same as RDF (Turtle): rdf:Property and skos:Concept

The namespace is `<public URL>du-lieu-mo/tu-vung/#`. Terms are data here (TERMS), rendered twice.
"""

from typing import NamedTuple

import markupsafe

from buildlib import paths
from buildlib.catalogue import labels

FOLDER = "du-lieu-mo/tu-vung"
TURTLE = "motcua.ttl"
EUROPASS_CHANNEL_TYPES = "http://data.europa.eu/snb/com-channel/25831c2"

# dct:type of a cv:Channel, by channel kind (labels.CHANNELS): the EU concept's IRI where a source
# shows which concept it is, else None and our own concept motcua:<kind> (a Term below, in the
# scheme motcua:ChannelType, whose comment says why).
#
#   kind       EU concept (Europass Channel Type)      dct:type
#   in_person  no IRI known (see below)                 motcua:in_person
#   online     no IRI known (see below)                 motcua:online
#   post       no IRI known (see below)                 motcua:post
#
# Read: SEMICeu/CPSV-AP at e37f5e1991cd89772165bed7d42fd64cdea8c2d4 (the commit of the vendored
# shapes, schemas/cpsv-ap/), releases/3.2.0/index.html and rdf/cpsv-ap.ttl, usage note of
# Channel.type: "The recommended controlled vocabularies for this property is the Europass
# Channel Type Authority Table of the Publications Office" (scheme EUROPASS_CHANNEL_TYPES); the
# shapes ask only that the value be a skos:Concept (shacl/cpsv-ap-SHACL.ttl, no sh:in). The
# release names one concept of that table, http://data.europa.eu/snb/com-channel/b37115f83e
# (html/examples/example-rdf_public_service.ttl), without its label, so which channel it is
# cannot be read there, and no other; the table itself is published on the EU Vocabularies site,
# which this project's machines cannot reach. An IRI goes in this table only with the source that
# shows its label: none yet. (A third-party listing, not a source, gives its labels as post,
# e-mail, mobile phone, fax and web; nothing published here rests on it.)
EU_CHANNEL_TYPES: dict[str, str | None] = {"in_person": None, "online": None, "post": None}


def namespace() -> str:
    return f"{paths.site_url()}{FOLDER}/#"


class Term(NamedTuple):
    name: str  # local name: motcua:<name>
    kind: str  # "property", "scheme" or "concept" (of the scheme ChannelType)
    label: str  # Vietnamese
    comment: str  # Vietnamese: what it says and why CPSV-AP cannot say it
    comment_en: str
    range: str = ""  # a property's range (a CURIE)


TERMS = [
    Term(
        "workingDays",
        "property",
        "Thời hạn giải quyết (ngày làm việc)",
        "Thời hạn giải quyết của một kênh (cv:Channel), tính bằng số ngày làm việc. Thời hạn "
        "kiểu ISO 8601 (cv:processingTime) chỉ đếm ngày theo lịch, không bỏ qua ngày nghỉ.",
        "Processing time of a channel counted in working days, which an ISO 8601 duration "
        "(cv:processingTime) cannot express.",
        "xsd:integer",
    ),
    Term(
        "sameDay",
        "property",
        "Giải quyết trong ngày",
        "Hồ sơ nộp qua kênh này được giải quyết ngay trong ngày (giá trị true).",
        "The channel's applications are decided on the day they are received (true).",
        "xsd:boolean",
    ),
    Term(
        "unpublished",
        "property",
        f"Thông tin {labels.UNPUBLISHED}",
        "Một thuộc tính CPSV-AP (ví dụ cv:processingTime, cv:hasCost, cv:hasValue) mà cơ quan có "
        "thẩm quyền chưa công bố cho dịch vụ, kênh hoặc khoản phí này: nói rõ là chưa có, "
        "không đoán.",
        "A CPSV-AP property that the authorities have not published for this service, channel "
        "or cost (stated, not guessed).",
        "rdf:Property",
    ),
    Term(
        "ChannelType",
        "scheme",
        "Kênh nộp hồ sơ",
        "Các kênh nộp hồ sơ của thủ tục hành chính Việt Nam (giá trị của dct:type của "
        "cv:Channel), dùng khi chưa có khái niệm tương ứng của châu Âu. CPSV-AP 3.2 khuyến nghị "
        "bảng Europass Channel Type, nhưng bản phát hành CPSV-AP không công bố định danh (IRI) "
        "kèm tên của các khái niệm trong bảng, và chúng tôi chưa đọc được bảng từ nguồn chính "
        "thức.",
        "The channels through which Vietnamese administrative procedures are applied for (the "
        "dct:type of a cv:Channel), used where no EU concept is known. CPSV-AP 3.2 recommends the "
        "Europass Channel Type table, but the CPSV-AP release does not give the IRIs of its "
        "concepts with their labels, and we have not read the table from its official source.",
    ),
    *(
        Term(kind, "concept", f"Nộp {name}", comment, comment_en)
        for kind, name, comment, comment_en in (
            (
                "in_person",
                labels.CHANNELS["in_person"],
                "Nộp hồ sơ trực tiếp tại bộ phận một cửa.",
                "Applying in person at the one-stop counter.",
            ),
            (
                "online",
                labels.CHANNELS["online"],
                "Nộp hồ sơ trực tuyến (dịch vụ công trực tuyến).",
                "Applying online.",
            ),
            (
                "post",
                labels.CHANNELS["post"],
                "Nộp hồ sơ qua dịch vụ bưu chính công ích.",
                "Applying by post.",
            ),
        )
    ),
]


def _literal(text: str, language: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{language}'


def turtle() -> str:
    """The vocabulary as Turtle (prefixes of CPSV-AP's own, plus ours)."""
    lines = [
        f"@prefix motcua: <{namespace()}> .",
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
        "",
        f"<{namespace().rstrip('#')}> a owl:Ontology ;",
        f"    dct:title {_literal('Từ vựng mở rộng MotCua cho CPSV-AP', 'vi')} ;",
        f"    rdfs:seeAlso <{paths.site_url()}du-lieu-mo/> .",
        "",
    ]
    for term in TERMS:
        kind = {
            "property": "rdf:Property",
            "scheme": "skos:ConceptScheme",
            "concept": "skos:Concept",
        }[term.kind]
        label = "skos:prefLabel" if term.kind != "property" else "rdfs:label"
        lines.append(f"motcua:{term.name} a {kind} ;")
        lines.append(f"    {label} {_literal(term.label, 'vi')} ;")
        if term.range:
            lines.append(f"    rdfs:range {term.range} ;")
        if term.kind == "concept":
            lines.append("    skos:inScheme motcua:ChannelType ;")
            lines.append(f'    skos:notation "{term.name}" ;')
        if term.kind == "scheme":
            lines.append(f"    rdfs:seeAlso <{EUROPASS_CHANNEL_TYPES}> ;")
        lines.append(f"    rdfs:comment {_literal(term.comment, 'vi')} ,")
        lines.append(f"        {_literal(term.comment_en, 'en')} .")
        lines.append("")
    return "\n".join(lines)


def page_html() -> str:
    """The vocabulary's page (an HTML fragment for shell.Shell.wrap at depth 2): each term at the
    anchor its IRI names, as a definition list (a four-column table overflowed a phone)."""
    e = markupsafe.escape
    kinds = {"property": "thuộc tính", "scheme": "bảng mã", "concept": "giá trị của ChannelType"}
    items = []
    for term in TERMS:
        extra = f" Kiểu giá trị: <code>{e(term.range)}</code>." if term.range else ""
        items.append(
            f'<dt id="{e(term.name)}"><code>motcua:{e(term.name)}</code> '
            f"({e(kinds[term.kind])})</dt>\n"
            f"<dd><strong>{e(term.label)}</strong>. {e(term.comment)}{extra}</dd>"
        )
    return (
        "<h1>Từ vựng mở rộng <code>motcua:</code></h1>\n"
        '<p>Tệp <a href="../cpsv-ap.jsonld.gz">cpsv-ap.jsonld.gz</a> mô tả danh mục theo từ vựng '
        "CPSV-AP 3.2 của châu Âu. Những điều CPSV-AP không diễn đạt được dùng các thuật ngữ dưới "
        f"đây, trong không gian tên <code>{e(namespace())}</code>. Bản RDF: "
        f'<a href="{TURTLE}" download>{TURTLE}</a> (Turtle).</p>\n'
        "<h2>Các thuật ngữ</h2>\n<dl>\n" + "\n".join(items) + "\n</dl>\n"
    )
