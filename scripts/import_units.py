"""Writes catalogue/units/<province>.yaml from the reference crawl of QĐ 19/2025/QĐ-TTg codes.

Source: ../shared/reference/units/communes-flat-current.csv (derived from
thanglequoc/vietnamese-provinces-database, data of 2026-07-25; see that folder's SOURCES.md).
Run once when the reference data changes: python scripts/import_units.py
"""

import csv
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "reference" / "units" / "communes-flat-current.csv"
KINDS = {"Xã": "xa", "Phường": "phuong", "Đặc khu": "dac-khu"}
PROVINCE_KINDS = {"Thành phố": "thanh-pho", "Tỉnh": "tinh"}
SOURCE_ENTRY = {
    "title": "Danh mục đơn vị hành chính theo QĐ 19/2025/QĐ-TTg (bản cập nhật 2026-07-25)",
    "repo": "thanglequoc/vietnamese-provinces-database",
    "path": "json/full_json_generated_data_vn_units_2026-07-25__20_49_07.json",
    "commit": "a108d4d2e357b98482c84b4180995b9fb44883e8",
    "note": "Dữ liệu từ dịch vụ danh mục hành chính của Cục Thống kê, hiệu chỉnh theo QĐ 19/2025.",
}


def main() -> int:
    provinces: dict[str, dict] = {}
    communes: dict[str, list] = defaultdict(list)
    with SOURCE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["province_code"]
            provinces[code] = {
                "code": code,
                "name": row["province_full_name"],
                "kind": PROVINCE_KINDS[row["province_unit_type"]],
            }
            communes[code].append(
                {
                    "code": row["commune_code"],
                    "name": row["commune_full_name"],
                    "kind": KINDS[row["commune_unit_type"]],
                }
            )
    out = ROOT / "catalogue" / "units"
    out.mkdir(parents=True, exist_ok=True)
    for code, province in sorted(provinces.items()):
        document = {
            **province,
            "communes": sorted(communes[code], key=lambda c: c["code"]),
            "sources": [SOURCE_ENTRY],
        }
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)
        (out / f"{code}.yaml").write_text(text, encoding="utf-8")
    print(f"{len(provinces)} tỉnh, {sum(map(len, communes.values()))} xã", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
