"""`build.py build`: catalogue -> Markdown pages (Jinja2) -> mkdocs-material -> site/.

Everything is loaded and checked before anything is written; a catalogue error stops the build.
Catalogue text is HTML-escaped by Jinja2's autoescape inside raw-HTML blocks, so no markup in a
YAML file reaches a page as markup.
"""

import datetime as dt
import shutil
from pathlib import Path
from typing import TextIO

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from . import labels
from .catalogue import Catalogue, load, version_in_force
from .checks import run_all

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "theme" / "templates"


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _fees(channel: dict) -> str:
    fees = channel["fees"]
    if fees["status"] != "charged":
        return labels.FEE_STATUS[fees["status"]].capitalize()
    return "; ".join(
        f"{item['name']}: {labels.money(item['amount'])}"
        + (f" ({item['condition']})" if item.get("condition") else "")
        for item in fees["items"]
    )


def _status(latest: dict, today: str) -> dict | None:
    ended = latest.get("ended")
    if ended and latest.get("effective_to", "9999") <= today:
        if ended["kind"] == "replaced":
            by = ", ".join(ended.get("replaced_by", []))
            return {
                "title": "Thủ tục đã bị thay thế",
                "text": f"Từ {labels.date(latest['effective_to'])}, thực hiện theo thủ tục {by}.",
            }
        return {
            "title": "Thủ tục đã bị bãi bỏ",
            "text": f"Bãi bỏ từ {labels.date(latest['effective_to'])}.",
        }
    return None


def render(catalogue: Catalogue, out: Path, today: str) -> int:
    env = _environment()
    fields = {f["id"]: f["name"] for d in catalogue.of_kind("field") for f in d.data["fields"]}
    agencies = {d.data["id"]: d.data["name"] for d in catalogue.of_kind("agency")}
    groups: dict[str, list[tuple[str, str]]] = {}
    page = env.get_template("procedure.md.j2")
    for code, docs in sorted(catalogue.procedures().items()):
        versions = [d.data for d in docs]
        shown = version_in_force(versions, today) or versions[-1]
        channels = [
            {
                "name": labels.CHANNELS[c["kind"]].capitalize(),
                "deadline": labels.deadline(c["deadline"]),
                "fees": _fees(c),
            }
            for c in shown["channels"]
        ]
        history = [
            f"Từ {labels.date(v['effective_from'])}"
            + (f" đến {labels.date(v['effective_to'])}" if v.get("effective_to") else "")
            + (" (áp dụng từ ngày này)" if v["effective_from"] > today else "")
            for v in versions
        ]
        target = out / "thu-tuc" / code / "index.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            page.render(
                v=shown,
                field_name=fields.get(shown["field"], shown["field"]),
                levels=", ".join(labels.LEVELS[x] for x in shown["levels"]).capitalize(),
                channels=channels,
                status=_status(versions[-1], today),
                agencies=[agencies.get(a, a) for a in shown["agencies"]["implementing"]],
                versions=history,
                decision=labels.decision(shown["decision"]),
            ),
            encoding="utf-8",
        )
        groups.setdefault(fields.get(shown["field"], shown["field"]), []).append(
            (code, shown["name"])
        )
    (out / "index.md").write_text(
        env.get_template("index.md.j2").render(
            count=sum(map(len, groups.values())),
            today=labels.date(today),
            groups=sorted(groups.items()),
        ),
        encoding="utf-8",
    )
    return sum(map(len, groups.values()))


def build_command(catalogue_dir: Path, *, out: TextIO, today: str | None = None) -> int:
    catalogue = load(catalogue_dir)
    errors = [p for p in catalogue.problems + run_all(catalogue) if p.severity == "error"]
    if errors:
        for problem in errors:
            print(problem.text(), file=out)
        print(f"Không dựng trang: {len(errors)} lỗi trong danh mục.", file=out)
        return 1
    docs = ROOT / "build" / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    docs.mkdir(parents=True)
    count = render(catalogue, docs, today or dt.date.today().isoformat())
    print(f"Đã viết {count} trang thủ tục vào {docs.relative_to(ROOT)}", file=out)
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    build(load_config(str(ROOT / "mkdocs.yml")))
    print(f"Đã dựng trang web vào {ROOT / 'site'}", file=out)
    return 0
