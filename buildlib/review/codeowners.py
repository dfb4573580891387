""".github/CODEOWNERS, generated from the catalogue: who reviews a pull request is catalogue data
(`reviewers` in catalogue/fields.yaml: a default, and reviewers per field), not a file edited by
hand. A procedure's folder and its online form go to the reviewers of its field (its latest
version's); everything else under catalogue/, and schemas/ and theme/, to the default.

    python -m buildlib.review.codeowners            # writes .github/CODEOWNERS
    python -m buildlib.review.codeowners --check    # exits 1 if the file is not what it would write

The test command runs --check, so a new procedure or a changed reviewer cannot leave the file
behind (GitHub reads CODEOWNERS from the base branch: a stale one asks the wrong people).
"""

import argparse
import sys
from pathlib import Path

from buildlib import paths
from buildlib.catalogue.yamlsource import load_text

TARGET = paths.ROOT / ".github" / "CODEOWNERS"
HEADER = """\
# Sinh tự động từ `reviewers` trong catalogue/fields.yaml: không sửa tay.
# Cập nhật: python -m buildlib.review.codeowners (lệnh kiểm thử chạy --check).
# GitHub dùng dòng khớp cuối cùng: dòng riêng theo lĩnh vực đứng sau dòng mặc định.
"""


def _read(path: Path) -> object:
    data, problems = load_text(path.read_text(encoding="utf-8"), str(path))
    if problems:
        raise SystemExit(f"{path}: không đọc được ({problems[0].message}); chạy build.py check")
    return data


def render(catalogue_dir: Path) -> str:
    fields = _read(catalogue_dir / "fields.yaml")
    reviewers = fields.get("reviewers") if isinstance(fields, dict) else None
    if not isinstance(reviewers, dict) or not reviewers.get("default"):
        raise SystemExit(f"{catalogue_dir / 'fields.yaml'}: thiếu reviewers.default")
    default = " ".join(reviewers["default"])
    by_field = {f: " ".join(h) for f, h in (reviewers.get("by_field") or {}).items()}
    lines = [HEADER, f"* {default}", f"/catalogue/ {default}", f"/schemas/ {default}"]
    lines += [f"/theme/ {default}", f"/.github/ {default}", ""]
    forms: dict[str, str] = {}
    for folder in sorted((catalogue_dir / "procedures").iterdir()):
        versions = sorted(folder.glob("*.yaml"))
        if not versions:
            continue
        latest = _read(versions[-1])
        if not isinstance(latest, dict):
            continue
        owners = by_field.get(str(latest.get("field")))
        form = (latest.get("online_service") or {}).get("form")
        if owners is None:
            continue
        lines.append(f"/catalogue/procedures/{folder.name}/ {owners}")
        if isinstance(form, str):
            forms.setdefault(form, owners)
    lines += [f"/catalogue/forms/{form}.yaml {owners}" for form, owners in sorted(forms.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    top = argparse.ArgumentParser(prog="python -m buildlib.review.codeowners")
    top.add_argument("--catalogue", default=str(paths.CATALOGUE))
    top.add_argument("--out", default=str(TARGET))
    top.add_argument("--check", action="store_true", help="chỉ kiểm tra tệp có đúng không")
    args = top.parse_args(argv)
    text = render(Path(args.catalogue))
    out = Path(args.out)
    current = out.read_text(encoding="utf-8") if out.is_file() else None
    if args.check:
        if current != text:
            print(
                f"{out} lệch với reviewers trong danh mục: chạy `python -m "
                "buildlib.review.codeowners` rồi commit tệp đó.",
                file=sys.stderr,
            )
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
