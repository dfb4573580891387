"""`build.py new`: a new procedure from a commented skeleton, or a new version of an existing one
copied from its latest version, so an editor never starts from a blank file.

A new version is the latest file copied as text (comments and layout kept) with the top-level
keys that must change rewritten: effective_from, change, and no review or effective_to. The
latest version gets effective_to = the new start, so the two do not overlap.
"""

import argparse
import datetime as dt
import re
from pathlib import Path
from typing import TextIO

from buildlib.catalogue.yamlsource import load_text

from .check import check

SKELETON = Path(__file__).resolve().parent / "templates" / "new-procedure.yaml"
CODE = re.compile(r"^[0-9]\.[0-9]{6}(\.000\.00\.00\.H[0-9]{2})?$")


def _top_level_block(text: str, key: str) -> re.Match | None:
    """The lines of a top-level key and its indented continuation."""
    pattern = rf"^{re.escape(key)}:.*\n(?:(?:[ \t]+.*|[ \t]*#.*|[ \t]*)\n)*"
    return re.search(pattern, text, flags=re.MULTILINE)


def set_top_level(text: str, key: str, value: str | None, *, after: str | None = None) -> str:
    """Replaces (or removes, with value None) a top-level key; adds it after `after` if absent."""
    block = _top_level_block(text, key)
    new = f"{key}: {value}\n" if value is not None else ""
    if block:
        trailing_blank = re.search(r"\n(\s*\n)+$", block.group(0))
        keep = trailing_blank.group(0)[1:] if trailing_blank else ""
        return text[: block.start()] + new + keep + text[block.end() :]
    if value is None:
        return text
    anchor = _top_level_block(text, after) if after else None
    position = anchor.end() if anchor else len(text)
    return text[:position] + new + text[position:]


def new_version(latest_text: str, start: str, summary: str) -> str:
    text = set_top_level(latest_text, "effective_from", start)
    text = set_top_level(text, "effective_to", None)
    text = set_top_level(text, "review", None)
    change = f'{{kind: amended, summary: "{summary}"}}'
    return set_top_level(text, "change", change, after="effective_from")


def new_command(catalogue: Path, args: argparse.Namespace, *, out: TextIO) -> int:
    code = args.code
    if not CODE.match(code):
        print(f"Mã thủ tục '{code}' sai định dạng (ví dụ 1.001193).", file=out)
        return 2
    start = args.effective_from or dt.date.today().isoformat()
    try:
        dt.date.fromisoformat(start)
    except ValueError:
        print(f"Ngày '{start}' sai định dạng YYYY-MM-DD.", file=out)
        return 2
    folder = catalogue / "procedures" / code
    target = folder / f"{start}.yaml"
    if target.exists():
        print(f"Đã có {target}: sửa tệp đó thay vì tạo mới.", file=out)
        return 2
    versions = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if versions:
        latest = versions[-1]
        if latest.stem >= start:
            print(f"Phiên bản mới phải bắt đầu sau phiên bản gần nhất ({latest.stem}).", file=out)
            return 2
        latest_text = latest.read_text(encoding="utf-8")
        data, problems = load_text(latest_text, str(latest))
        if data is None or problems:
            print(f"Không đọc được {latest}; chạy `python build.py check` trước.", file=out)
            return 2
        if "ended" in data:
            print(
                f"Thủ tục {code} đã kết thúc ({data['ended'].get('kind')}); không thêm phiên "
                "bản mới.",
                file=out,
            )
            return 2
        summary = "Tóm tắt thay đổi theo quyết định công bố mới"
        target.write_text(new_version(latest_text, start, summary), encoding="utf-8")
        latest.write_text(
            set_top_level(latest_text, "effective_to", start, after="effective_from"),
            encoding="utf-8",
        )
        print(f"Đã tạo {target} từ {latest.name}; {latest.name} hết hiệu lực từ {start}.", file=out)
        print(
            "Tiếp theo: sửa decision, change.summary, nội dung thay đổi và sources; rồi chạy "
            "`python build.py check` và `python build.py diff`.",
            file=out,
        )
    else:
        folder.mkdir(parents=True, exist_ok=True)
        skeleton = SKELETON.read_text(encoding="utf-8").format(
            code=code, name=args.name or "", field=args.field or '""', effective_from=start
        )
        target.write_text(skeleton, encoding="utf-8")
        print(
            f"Đã tạo {target}. Điền các mục còn trống; `python build.py check` chỉ ra từng mục.",
            file=out,
        )
    todo = [p for p in check(catalogue) if p.path.endswith(f"{code}/{start}.yaml")]
    if todo:
        print(f"Còn {len(todo)} mục cần điền:", file=out)
        for problem in todo:
            print(f"  {problem.text()}", file=out)
    return 0
