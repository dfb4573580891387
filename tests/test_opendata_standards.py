"""The open data against the standards it claims, read by the standards' own validators.

- One public URL: a build with `--public-url` puts that address, and never the local default,
  in every published identifier.
- CPSV-AP 3.2: the JSON-LD of the published catalogue (catalogue/: this is about its content)
  conforms to the official SHACL shapes (schemas/cpsv-ap/), read by pyshacl.
- CSV: frictionless validates thu-tuc.csv against its Table Schema (datapackage.json); codes stay
  strings.

Each validator is also shown a known-bad input and must reject it, so a validator that checks
nothing cannot pass.
"""

import gzip
import io
import json
import os
import re
from contextlib import redirect_stderr
from pathlib import Path

import pytest

import build as build_py
from buildlib.catalogue import labels
from buildlib.catalogue.yamlsource import load_text
from buildlib.site import built, opendata, vocabulary
from chalicelib.versions import has_ended

from .conftest import CATALOGUE, SEED_CATALOGUE

PUBLIC = "https://dichvucong.haiphong.example.vn/tthc"
LOCAL = "127.0.0.1"
TODAY = "2026-09-15"
# mkdocs-material's own JavaScript source map names its authors' dev server; it is not ours and
# no identifier of the catalogue.
NOT_OURS = re.compile(r"^assets/javascripts/.*\.map(\.gz)?$")


def build_site(catalogue: Path, tmp: Path, *extra: str) -> Path:
    site_dir = tmp / "site"
    argv = ["build", "--catalogue", str(catalogue), "--site-dir", str(site_dir)]
    argv += ["--cache-dir", str(tmp / "cache"), "--today", TODAY, *extra]
    assert build_py.main(argv) == 0
    return site_dir


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(CATALOGUE, tmp_path_factory.mktemp("public-url"), "--public-url", PUBLIC)


def text_of(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


# --- one public URL ------------------------------------------------------------------------


@pytest.mark.slow
def test_a_build_with_a_public_url_publishes_no_local_address(fixture_site: Path) -> None:
    found = []
    for path in sorted(p for p in fixture_site.rglob("*") if p.is_file()):
        name = path.relative_to(fixture_site).as_posix()
        if not NOT_OURS.match(name) and LOCAL in text_of(path):
            found.append(name)
    assert found == []


@pytest.mark.slow
def test_every_kind_of_published_identifier_starts_with_the_public_url(
    fixture_site: Path,
) -> None:
    data = fixture_site / "du-lieu-mo"
    assert f"{PUBLIC}/thu-tuc/1.001193/" in (data / "thu-tuc.csv").read_text(encoding="utf-8-sig")
    graph = json.loads(text_of(data / "cpsv-ap.jsonld.gz"))
    assert graph["meta"]["source"] == f"{PUBLIC}/"
    assert all(node["@id"].startswith(f"{PUBLIC}/thu-tuc/") for node in graph["@graph"])
    single = json.loads(text_of(data / "thu-tuc" / "1.001193.json.gz"))
    assert single["url"] == f"{PUBLIC}/thu-tuc/1.001193/"
    page = built.read(fixture_site / "thu-tuc" / "1.001193" / "index.html")
    assert f'"@id":"{PUBLIC}/thu-tuc/1.001193/"' in page  # schema.org
    checklist = built.read(fixture_site / "thu-tuc" / "1.001193" / "in" / "index.html")
    assert f"Mã QR dẫn tới {PUBLIC}/thu-tuc/1.001193/" in checklist
    assert f"<loc>{PUBLIC}/</loc>" in (fixture_site / "sitemap.xml").read_text(encoding="utf-8")
    home = built.read(fixture_site / "index.html")
    assert f'<link rel="canonical" href="{PUBLIC}/">' in home


def test_the_public_url_option_beats_the_environment_and_leaves_it_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from buildlib import paths

    monkeypatch.setenv("MOTCUA_PUBLIC_URL", "https://env.example.vn")
    with paths.public_url("https://option.example.vn/"):
        assert paths.site_url() == "https://option.example.vn/"
    assert paths.site_url() == "https://env.example.vn/"
    monkeypatch.delenv("MOTCUA_PUBLIC_URL")
    with paths.public_url(None):
        assert paths.site_url() == "http://127.0.0.1:8000/"
    assert "MOTCUA_PUBLIC_URL" not in os.environ


@pytest.mark.parametrize("url", ["dichvucong.vn", "ftp://a.vn/", "https://a.vn/?x=1", "https://"])
def test_a_public_url_that_is_not_an_http_address_is_refused(url: str) -> None:
    err = io.StringIO()
    with redirect_stderr(err):
        assert build_py.main(["build", "--public-url", url, "--site-dir", "/nonexistent"]) == 1
    assert "--public-url" in err.getvalue()


# --- CPSV-AP 3.2 ---------------------------------------------------------------------------

SHAPES = Path(__file__).resolve().parent.parent / "schemas" / "cpsv-ap" / "cpsv-ap-SHACL.ttl"
SH = "http://www.w3.org/ns/shacl#"


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published catalogue (catalogue/): these tests are about its content."""
    return build_site(SEED_CATALOGUE, tmp_path_factory.mktemp("seed"), "--public-url", PUBLIC)


def shacl_violations(jsonld: str) -> list[str]:
    """pyshacl with the official CPSV-AP 3.2.0 shapes: each violation as 'path: message'."""
    from pyshacl import validate
    from rdflib import Graph, URIRef

    data = Graph().parse(data=jsonld, format="json-ld")
    shapes = Graph().parse(SHAPES, format="turtle")
    _, report, _ = validate(data, shacl_graph=shapes, inference="none")
    found = []
    for result in report.subjects(URIRef(SH + "resultSeverity"), URIRef(SH + "Violation")):
        path = report.value(result, URIRef(SH + "resultPath"))
        found.append(f"{path}: {report.value(result, URIRef(SH + 'resultMessage'))}")
    return sorted(found)


def graph_of(site_dir: Path) -> dict:
    return json.loads(text_of(site_dir / "du-lieu-mo" / "cpsv-ap.jsonld.gz"))


@pytest.mark.slow
def test_the_published_cpsv_ap_conforms_to_the_official_shapes(seed_site: Path) -> None:
    graph = graph_of(seed_site)
    assert len(graph["@graph"]) == len(list((SEED_CATALOGUE / "procedures").iterdir()))
    assert shacl_violations(json.dumps(graph)) == []


@pytest.mark.slow
def test_the_shapes_reject_a_cost_without_identifier_and_a_currency_that_is_a_string(
    seed_site: Path,
) -> None:
    graph = graph_of(seed_site)
    service = next(s for s in graph["@graph"] if s["cv:hasCost"])
    cost = service["cv:hasCost"][0]
    del cost["dct:identifier"]
    cost["cv:currency"] = "VND"
    graph["@graph"] = [service]
    found = shacl_violations(json.dumps(graph))
    assert any(f.startswith("http://purl.org/dc/terms/identifier:") for f in found), found
    assert any(f.startswith("http://data.europa.eu/m8g/currency:") for f in found), found


@pytest.mark.slow
def test_amounts_are_cv_has_value_in_the_eu_currency_concept(seed_site: Path) -> None:
    from rdflib import Graph, URIRef

    data = Graph().parse(data=json.dumps(graph_of(seed_site)), format="json-ld")
    cv = "http://data.europa.eu/m8g/"
    values = list(data.objects(None, URIRef(cv + "hasValue")))
    assert values and all(
        v.datatype == URIRef("http://www.w3.org/2001/XMLSchema#double") for v in values
    )
    assert set(data.objects(None, URIRef(cv + "currency"))) == {URIRef(opendata.CURRENCY_VND)}
    assert not list(data.objects(None, URIRef(cv + "value")))  # no CPSV-AP term


@pytest.mark.slow
def test_ended_services_carry_their_status_and_replacements(seed_site: Path) -> None:
    services = {s["dct:identifier"]: s for s in graph_of(seed_site)["@graph"]}
    for code, service in services.items():
        versions = [
            load_text(p.read_text(encoding="utf-8"), p.name)[0]
            for p in sorted((SEED_CATALOGUE / "procedures" / code).glob("*.yaml"))
        ]
        ended = versions[-1].get("ended") if has_ended(versions, TODAY) else None
        if ended is None:
            assert "adms:status" not in service, code
            continue
        status, _ = opendata.ENDED_STATUS[ended["kind"]]
        assert service["adms:status"]["@id"] == status
        replacing = [r["@id"] for r in service.get("dct:isReplacedBy", [])]
        assert replacing == [f"{PUBLIC}/thu-tuc/{c}/" for c in ended.get("replaced_by", [])]
    assert any("adms:status" in s for s in services.values())  # the catalogue has ended ones


@pytest.mark.slow
def test_every_motcua_term_used_is_published_in_the_vocabulary_with_its_page(
    seed_site: Path,
) -> None:
    from rdflib import Graph

    namespace = f"{PUBLIC}/du-lieu-mo/tu-vung/#"
    folder = seed_site / "du-lieu-mo" / "tu-vung"
    vocabulary = Graph().parse(folder / "motcua.ttl", format="turtle")
    defined = {str(s) for s in vocabulary.subjects() if str(s).startswith(namespace)}
    data = Graph().parse(data=json.dumps(graph_of(seed_site)), format="json-ld")
    used = {str(t) for triple in data for t in triple if str(t).startswith(namespace)}
    assert used and used <= defined, used - defined
    page = built.read(folder / "index.html")
    for term in defined:
        assert f'id="{term.removeprefix(namespace)}"' in page, term
    assert 'href="motcua.ttl"' in page


EUROPASS_CONCEPTS = "http://data.europa.eu/snb/com-channel/"


@pytest.mark.slow
def test_every_channel_type_is_an_eu_concept_or_a_documented_extension(seed_site: Path) -> None:
    """dct:type of each cv:Channel: an IRI of the EU table vocabulary.EU_CHANNEL_TYPES, or our
    own concept, published in the motcua: vocabulary in the scheme that says why it is ours."""
    from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef

    namespace = f"{PUBLIC}/du-lieu-mo/tu-vung/#"
    scheme = URIRef(namespace + "ChannelType")
    published = Graph().parse(seed_site / "du-lieu-mo" / "tu-vung" / "motcua.ttl", format="turtle")
    data = Graph().parse(data=json.dumps(graph_of(seed_site)), format="json-ld")
    channels = list(data.subjects(RDF.type, URIRef("http://data.europa.eu/m8g/Channel")))
    types = [data.value(c, URIRef("http://purl.org/dc/terms/type")) for c in channels]
    assert channels and None not in types
    eu = {iri for iri in vocabulary.EU_CHANNEL_TYPES.values() if iri}
    ours = {t for t in types if str(t) not in eu}
    for concept in ours:
        assert (concept, RDF.type, SKOS.Concept) in published, concept
        assert (concept, SKOS.inScheme, scheme) in published, concept
        kind = str(concept).removeprefix(namespace)
        assert vocabulary.EU_CHANNEL_TYPES[kind] is None, kind
    why = {str(c) for c in published.objects(scheme, RDFS.comment) if isinstance(c, Literal)}
    assert any("Europass Channel Type" in text for text in why), why
    europass = URIRef(vocabulary.EUROPASS_CHANNEL_TYPES)
    assert (scheme, RDFS.seeAlso, europass) in published


def test_the_channel_type_table_names_every_channel_kind_and_only_europass_concepts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = vocabulary.EU_CHANNEL_TYPES
    assert set(table) == set(labels.CHANNELS)
    for kind, iri in table.items():
        if iri:
            assert iri.startswith(EUROPASS_CONCEPTS) and iri != vocabulary.EUROPASS_CHANNEL_TYPES
        else:
            assert any(t.name == kind and t.kind == "concept" for t in vocabulary.TERMS), kind
    assert opendata.channel_type("post")["@id"] == (table["post"] or "motcua:post")
    # Where the table has an EU concept, the channel names it, typed skos:Concept as the shapes
    # require (the concept of CPSV-AP 3.2.0's own example, html/examples/, for this test only).
    example = EUROPASS_CONCEPTS + "b37115f83e"
    monkeypatch.setitem(vocabulary.EU_CHANNEL_TYPES, "post", example)
    node = opendata.channel_type("post")
    assert node["@id"] == example and node["@type"] == "skos:Concept"
    assert "skos:inScheme" not in node


# --- CSV and its Table Schema --------------------------------------------------------------


def frictionless_errors(folder: Path) -> list[str]:
    """frictionless on du-lieu-mo/datapackage.json: each error as 'type: note'."""
    from frictionless import Package

    report = Package(str(folder / "datapackage.json")).validate()
    return [f"{e.type}: {e.note}" for task in report.tasks for e in task.errors] + [
        f"{e.type}: {e.note}" for e in report.errors
    ]


@pytest.mark.slow
def test_the_published_csv_validates_against_its_table_schema(seed_site: Path) -> None:
    assert frictionless_errors(seed_site / "du-lieu-mo") == []


@pytest.mark.slow
def test_the_table_schema_rejects_a_duplicate_and_a_malformed_code(
    seed_site: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "du-lieu-mo"
    folder.mkdir()
    (folder / "datapackage.json").write_bytes(
        (seed_site / "du-lieu-mo" / "datapackage.json").read_bytes()
    )
    lines = (seed_site / "du-lieu-mo" / "thu-tuc.csv").read_text("utf-8").splitlines(True)
    bad = [lines[0], lines[1], lines[1], lines[2].replace("1.", "1,", 1)]
    (folder / "thu-tuc.csv").write_text("".join(bad), encoding="utf-8")
    found = frictionless_errors(folder)
    assert any(f.startswith("primary-key") or f.startswith("unique") for f in found), found
    assert any(f.startswith("constraint-error") for f in found), found


@pytest.mark.slow
def test_a_code_with_a_trailing_zero_stays_a_string(seed_site: Path) -> None:
    from frictionless import Package

    package = Package(str(seed_site / "du-lieu-mo" / "datapackage.json"))
    codes = [row["code"] for row in package.get_resource("thu-tuc").read_rows()]
    assert "1.001570" in codes
    assert all(isinstance(code, str) for code in codes)


@pytest.mark.slow
def test_the_csv_starts_with_a_byte_order_mark_for_spreadsheets(seed_site: Path) -> None:
    raw = (seed_site / "du-lieu-mo" / "thu-tuc.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcode,name,")
    assert raw.count(b"\xef\xbb\xbf") == 1  # one file-level mark, not one per chunk


# --- schema.org ----------------------------------------------------------------------------

# Properties of schema.org GovernmentService (and its parents Service, Thing), ServiceChannel,
# GovernmentOrganization and Audience that the pages use: nothing outside them.
SCHEMA_ORG = {
    "GovernmentService": {"name", "url", "identifier", "serviceType", "provider"}
    | {"availableChannel", "audience", "serviceOperator", "description"},
    "ServiceChannel": {"name", "description", "availableLanguage", "serviceUrl"},
    "GovernmentOrganization": {"name", "url"},
    "Audience": {"audienceType"},
}


def schema_org_types(node: object) -> list[tuple[str, set[str]]]:
    if isinstance(node, list):
        return [t for item in node for t in schema_org_types(item)]
    if not isinstance(node, dict):
        return []
    own = [(node["@type"], {k for k in node if not k.startswith("@")})]
    return own + [t for value in node.values() for t in schema_org_types(value)]


@pytest.mark.slow
def test_schema_org_uses_only_properties_of_its_types_and_skips_ended_services(
    seed_site: Path,
) -> None:
    ld_json = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
    advertised = set()
    for page in built.find(seed_site / "thu-tuc", "*/index.html"):
        for block in ld_json.findall(built.read(page)):
            advertised.add(page.parent.name)
            for kind, properties in schema_org_types(json.loads(block)):
                assert properties <= SCHEMA_ORG[kind], (page, kind, properties - SCHEMA_ORG[kind])
    ended = {s["dct:identifier"] for s in graph_of(seed_site)["@graph"] if "adms:status" in s}
    assert ended and not ended & advertised
    assert len(advertised) + len(ended) == len(list((SEED_CATALOGUE / "procedures").iterdir()))


# --- licences ------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_data_licence_is_stated_in_the_same_words_everywhere(fixture_site: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    licence = opendata.LICENCE
    assert "CC BY 4.0" in licence
    for path in (root / "README.md", root / "LICENSE", fixture_site / "gioi-thieu" / "index.html"):
        assert licence in path.read_text(encoding="utf-8"), path
    assert licence in built.read(fixture_site / "du-lieu-mo" / "index.html")
    data = fixture_site / "du-lieu-mo"
    for name in ("thu-tuc.json.gz", "cpsv-ap.jsonld.gz", "thu-tuc.csv.meta.json"):
        assert json.loads(text_of(data / name))["meta"]["licence"] == licence, name
    single = next((data / "thu-tuc").iterdir())
    assert json.loads(text_of(single))["meta"]["licence"] == licence
    package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    assert package["meta"]["licence"] == licence
    assert package["licenses"] == [opendata.DATA_LICENCE]
    assert "MIT License" in (root / "LICENSE").read_text(encoding="utf-8")
    assert "giấy phép MIT" in built.read(fixture_site / "gioi-thieu" / "index.html")
