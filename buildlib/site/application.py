"""Application pages (`nop-ho-so/<code>/`): the online form of each procedure, rendered from the
same catalogue form definition the API validates against.

The page holds every question as plain HTML (labels, hints, error slots), so it reads without
JavaScript; theme/assets/apply.js turns it into one page per step, keeps a draft, uploads files
and submits. The client's rules (theme/assets/apply-rules.js) get their patterns, limits and
Vietnamese messages from the API's own rules module, `functions/chalicelib/forms.py`, through the
page's JSON configuration: one source, so a message the browser shows is the one the server
would send. The configuration is a script beside the page (`nop-ho-so/<code>/cau-hinh.js`:
`window.applyConfig = {...JSON...};`), preloaded by the page and run before apply.js by
theme/assets/apply-load.js; so are the choices of its drop-down lists of provinces and offices,
which the scripts fill from it: the page's HTML is half as heavy as with them written into it
(bench/README.md).

The page's script is apply.js and every module it imports, written as one classic script for
every application page (`nop-ho-so/bieu-mau.js`, `module_bundle`): one request instead of
fifteen, which over HTTP/1.1's six connections were three round trips. The page preloads both
scripts and apply-load.js runs them once the page has painted: Lighthouse leaves a script run
after the paint out of its estimate of the paint, and counts every other request that ended
before it (bench/README.md, "the application page").

Also written: the administrative units as small JSON files, one per province
(`du-lieu/don-vi/<code>.json`), so an address question loads only the communes of the province
the applicant picked.
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import markupsafe
from jinja2 import Environment

from buildlib.catalogue import labels
from buildlib.errors import BuildError
from buildlib.paths import THEME
from chalicelib import forms
from chalicelib.bundle import accepting_offices, is_cross_boundary
from chalicelib.config import retention_days
from chalicelib.forms import office_from, with_delivery
from chalicelib.versions import version_in_force

from .search import fold
from .shell import Shell

UNITS_DIR = "du-lieu/don-vi"
CONFIG = "cau-hinh.js"  # beside each application page: its configuration (client_config)
API = "/api/"  # the API is served from the site's own origin (functions/serve.py, API Gateway)
RADIO_MAX = 7  # more options than this become a drop-down list
EXTENSIONS = {"pdf": [".pdf"], "jpeg": [".jpg", ".jpeg"], "png": [".png"]}
SCRIPT = "nop-ho-so/bieu-mau.js"  # apply.js and what it imports, for every application page
ENTRY = THEME / "assets" / "apply.js"

# The module syntax theme/assets/apply*.js use (Biome-formatted, so a statement at the top level
# starts its line): `import "./a.js";`, `import { x, y } from "./a.js";`, `export function f`,
# `export const C`, `export { x };`, and the names a module declares at its top level.
STATIC_IMPORT = re.compile(r"""^import\s+(?:\{([^}]*)\}\s+from\s+)?"\./([^"]+)";[^\n]*\n""", re.M)
ANY_IMPORT = re.compile(r"^import\b|\bimport\(|\bimport\.meta\b", re.M)
EXPORT_LIST = re.compile(r"^export\s+\{[^}]*\};[^\n]*\n", re.M)
EXPORT = re.compile(r"^export\s+(?=(?:async\s+)?function|const|let|class)", re.M)
DECLARED = re.compile(
    r"^(?:export\s+)?(?:async\s+)?(?:function\*?|const|let|var|class)\s+([\w$]+)", re.M
)


def module_bundle(entry: Path = ENTRY) -> str:
    """`entry` and every module it imports as one classic script: each module's text in an
    order where a module comes after those it imports, without its imports and export keywords,
    in one strict-mode function run at once. The same program as the modules loaded one by one
    (a module is strict too, and declares nothing global), since they share one scope without a
    clash: every top-level name is declared once, an import renames nothing (no `as`) and there
    is no cycle; anything else is a BuildError naming the module (a bundler would be needed)."""
    order: list[Path] = []
    visiting: list[Path] = []

    def visit(path: Path) -> None:
        if path in order:
            return
        if path in visiting:
            cycle = " → ".join(p.name for p in [*visiting[visiting.index(path) :], path])
            raise BuildError(f"{path.name}: import vòng ({cycle}), không gộp được")
        visiting.append(path)
        for names, name in STATIC_IMPORT.findall(path.read_text(encoding="utf-8")):
            if " as " in f" {names} " or "*" in names:
                raise BuildError(f"{path.name}: import đổi tên ({names.strip()}), không gộp được")
            visit(path.parent / name)
        visiting.pop()
        order.append(path)

    visit(entry)
    declared: dict[str, str] = {}
    parts = []
    for path in order:
        text = STATIC_IMPORT.sub("", path.read_text(encoding="utf-8"))
        if ANY_IMPORT.search(text):
            raise BuildError(
                f"{path.name}: import không phải từ một module bên cạnh, không gộp được"
            )
        for name in DECLARED.findall(text):
            if name in declared:
                raise BuildError(
                    f"{path.name}: “{name}” đã khai báo ở {declared[name]}, không gộp được"
                )
            declared[name] = path.name
        parts.append(f"// ---- {path.name}\n{EXPORT.sub('', EXPORT_LIST.sub('', text))}")
    return '(() => {\n  "use strict";\n\n' + "".join(parts) + "})();\n"


def field_messages(item: dict) -> dict[str, str]:
    """Every message the server can give for this field, keyed as forms.MESSAGES."""
    kind = item["type"]
    keys = ["required"]
    if kind in ("select", "yes_no", "number", "date", "cccd", "phone", "email", "address"):
        keys.append(kind)
    if kind in ("text", "textarea"):
        keys.append("text")
    if kind == "date":
        keys.append("future")
    if kind in forms.CONTROLLED:
        keys.append("control")
    extra = {
        "max_length": item.get("max_length", forms.TEXT_LIMITS.get(kind, 0)),
        "range": forms.range_text(item),
    }
    return {key: forms.message(key, item, **extra) for key in keys}


def slot_messages(slot: dict) -> dict[str, str]:
    limits = forms.slot_limits(slot)
    names, size = limits["names"], limits["max_size"]
    return {
        "files_min": forms.MESSAGES["files_min"].format(**slot),
        "files_max": forms.MESSAGES["files_max"].format(**slot),
        "file_missing": forms.MESSAGES["file_missing"],
        "type": limits["type"],
        "size": limits["size"],
        "limits": (
            f"Tệp {names}, mỗi tệp tối đa {size}; "
            + (
                f"cần ít nhất {slot['min_files']} tệp, "
                if slot["min_files"]
                else "không bắt buộc, "
            )
            + f"tối đa {slot['max_files']} tệp."
        ),
    }


def client_config(form: dict, version: dict, provinces: list[list[str]]) -> dict:
    """What apply.js and apply-rules.js need, in the page as JSON."""
    pages = []
    for page in form["pages"]:
        pages.append(
            {
                "id": page["id"],
                "title": page["title"],
                "when": page.get("when"),
                "same_as": page.get("same_as"),
                "fields": [
                    {
                        **{k: v for k, v in item.items() if k not in ("hint", "autocomplete")},
                        "required": item.get("required", True),
                        "messages": field_messages(item),
                    }
                    for item in page.get("fields", [])
                ],
                "uploads": [
                    {
                        **{k: v for k, v in slot.items() if k != "hint"},
                        "mime": [forms.CONTENT_TYPES[k] for k in slot["accept"]],
                        "extensions": [e for k in slot["accept"] for e in EXTENSIONS[k]],
                        "messages": slot_messages(slot),
                    }
                    for slot in page.get("uploads", [])
                ],
            }
        )
    return {
        "procedure": version["code"],
        "name": version["name"],
        "form": form["id"],
        "pages": pages,
        "patterns": forms.PATTERNS,
        "text_limits": forms.TEXT_LIMITS,
        "commune_message": forms.MESSAGES["commune"],
        "unknown_message": forms.MESSAGES["unknown"],
        "provinces": provinces,
    }


PRIVACY_NOTICE = "du-lieu-ca-nhan.md"  # in catalogue/: the province's text, edited like the rest


def retention_text(days: int) -> str:
    """The retention period as the notice says it: whole years as years, else days."""
    return f"{days // 365} năm" if days % 365 == 0 else f"{days} ngày"


def privacy_notice(catalogue_dir: Path, days: int | None = None) -> markupsafe.Markup:
    """The application pages' notice on personal data (Law 91/2025): catalogue/du-lieu-ca-nhan.md,
    Markdown, with `{thoi_han}` replaced by the retention period `motcua purge` applies
    (MOTCUA_RETENTION_DAYS: build the site with the server's value)."""
    path = catalogue_dir / PRIVACY_NOTICE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BuildError(f"{path}: the privacy notice of the application pages: {error}") from None
    if "{thoi_han}" not in text:
        raise BuildError(f"{path}: must state the retention period: write {{thoi_han}} in it")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    text = text.replace("{thoi_han}", retention_text(days or retention_days()))
    import markdown  # type: ignore[import-untyped]  # ~0.015 s: only when a page needs it

    return markupsafe.Markup(markdown.markdown(text))


def office_choices(accepted: list[dict], commune_names: dict[str, str]) -> list[dict]:
    """The offices of the page's "where to file" question: a commune office is listed by its
    commune's name (Phường Lê Chân), in the communes' name order, so typing the name finds it."""
    return sorted(
        (
            {
                "id": o["id"],
                "name": o["name"],
                "unit": o["unit"],
                "label": commune_names.get(o["unit"], o["name"])
                if o["level"] == "xa"
                else o["name"],
            }
            for o in accepted
        ),
        key=lambda o: _sort_key(o["label"]),
    )


def _online_deadline(version: dict) -> str | None:
    channel = next((c for c in version["channels"] if c["kind"] == "online"), None)
    return labels.deadline(channel["deadline"]) if channel else None


def provinces(units: list[dict]) -> list[list[str]]:
    return sorted(([u["code"], u["name"]] for u in units), key=lambda p: _sort_key(p[1]))


def _sort_key(name: str) -> list[str]:
    """Communes and provinces sort by their proper name, not by "Phường"/"Xã"/"Tỉnh"."""
    words = fold(name)
    for prefix in (["thanh", "pho"], ["dac", "khu"], ["phuong"], ["xa"], ["tinh"]):
        if words[: len(prefix)] == prefix:
            return words[len(prefix) :] + words[: len(prefix)]
    return words


def unit_files(units: list[dict]) -> Iterator[tuple[str, str]]:
    """(path, JSON) per province: its communes as [code, name] pairs, in name order."""
    for unit in units:
        communes = sorted(
            ([c["code"], c["name"]] for c in unit["communes"]), key=lambda c: _sort_key(c[1])
        )
        body = {"code": unit["code"], "name": unit["name"], "communes": communes}
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        yield f"{UNITS_DIR}/{unit['code']}.json", text


def pages(
    env: Environment,
    shell: Shell,
    *,
    forms: dict[str, dict],
    procedures: dict[str, list[dict]],
    agencies: dict[str, dict],
    units: list[dict],
    offices: list[dict],
    today: str,
    privacy: markupsafe.Markup,
) -> Iterator[tuple[str, str]]:
    """(path, text) of the application page of every procedure whose version in force today
    offers an online form, and of its configuration (CONFIG, a script that sets
    window.applyConfig to it) beside it; and the pages' script (SCRIPT)."""
    template = env.get_template("apply.html.j2")
    yield SCRIPT, module_bundle()
    province_list = provinces(units)
    commune_names = {c["code"]: c["name"] for u in units for c in u["communes"]}
    for code in sorted(procedures):
        version = version_in_force(procedures[code], today)
        form_id = version and version.get("online_service", {}).get("form")
        if version is None or not form_id or form_id not in forms:
            continue
        form = with_delivery(forms[form_id], version)  # the API validates the same (Bundle.form)
        names = [agencies[a]["name"] for a in version["agencies"]["implementing"]]
        choices = office_choices(accepting_offices(version, agencies, offices), commune_names)
        path = f"nop-ho-so/{code}/"
        config = {
            **client_config(form, version, province_list),
            "agencies": names,
            "offices": choices,
            "office_from": office_from(form),
            "province": offices[0]["province"] if offices else None,
            "root": "../../",
            "api": API,
        }
        html = template.render(
            root="../../",
            code=code,
            v=version,
            form=form,
            deadline=_online_deadline(version),
            agencies=names,
            offices=choices,
            cross_boundary=is_cross_boundary(version),
            privacy=privacy,
            radio_max=RADIO_MAX,
            slot_limits={
                s["id"]: slot_messages(s)["limits"]
                for p in form["pages"]
                for s in p.get("uploads", [])
            },
            config=CONFIG,
            script="../../" + SCRIPT,
        )
        title = f"Nộp hồ sơ trực tuyến: {version['name']}"
        yield path + "index.html", shell.wrap(html, title=title, depth=2)
        data = json.dumps(config, ensure_ascii=False, separators=(",", ":"))
        yield path + CONFIG, f"window.applyConfig = {data};\n"
