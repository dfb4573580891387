"""Recomputes every figure of MotCua's open statistics from the published files alone, and says
where a published figure differs. Python 3.11's standard library only, and nothing of MotCua:
download the folder du-lieu-mo/thong-ke/ of the site (su-kien.csv, thong-ke.csv,
thong-ke.json) and run

    python recompute_stats.py FOLDER

Exit 0: every figure of thong-ke.csv and thong-ke.json (each row per month, office and field,
the month totals the charts draw, the indicators) is what su-kien.csv gives. Exit 1: the
differences are listed. The rules, as docs/statistics.md states them:

- a row per month, office and field having any event; counts of events by kind: received (and
  per channel), supplement_requested, finished (and per outcome: truoc_han, dung_han, qua_han,
  "" for a procedure without a due date), rated (and those whose overall answer, tong_the, is
  khong_hai_long);
- average_working_days = sum of working_days / finished, 2 decimals;
  on_time_rate = (early + on time) / (early + on time + late) × 100, 1 decimal;
  online_rate = received online / received × 100, 1 decimal;
  satisfaction_rate = (ratings - not satisfied) / ratings × 100, 1 decimal;
  every ratio rounded half up, empty when its denominator is 0;
- the month totals and the indicators are the same figures over a month, and over everything.
"""

import csv
import json
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

COUNTS = [
    "received",
    "received_online",
    "received_in_person",
    "received_post",
    "supplement_requests",
    "finished",
    "finished_early",
    "finished_on_time",
    "finished_late",
    "finished_no_due_date",
    "ratings",
    "ratings_not_satisfied",
]
RATIOS = {  # name: decimals
    "average_working_days": "0.01",
    "on_time_rate": "0.1",
    "online_rate": "0.1",
    "satisfaction_rate": "0.1",
}


def ratio(part, whole, scale=100, places="0.1"):
    if whole == 0:
        return None
    return (Decimal(part) * scale / Decimal(whole)).quantize(Decimal(places), ROUND_HALF_UP)


def figures(events):
    def count(kind, key=None, *values):
        return sum(1 for e in events if e["kind"] == kind and (key is None or e[key] in values))

    n = {
        "received": count("received"),
        "received_online": count("received", "channel", "truc_tuyen"),
        "received_in_person": count("received", "channel", "truc_tiep"),
        "received_post": count("received", "channel", "buu_chinh"),
        "supplement_requests": count("supplement_requested"),
        "finished": count("finished"),
        "finished_early": count("finished", "outcome", "truoc_han"),
        "finished_on_time": count("finished", "outcome", "dung_han"),
        "finished_late": count("finished", "outcome", "qua_han"),
        "finished_no_due_date": count("finished", "outcome", ""),
        "ratings": count("rated"),
        "ratings_not_satisfied": count("rated", "tong_the", "khong_hai_long"),
    }
    days = sum(int(e["working_days"]) for e in events if e["kind"] == "finished")
    timed = n["finished_early"] + n["finished_on_time"] + n["finished_late"]
    n["average_working_days"] = ratio(days, n["finished"], 1, "0.01")
    n["on_time_rate"] = ratio(n["finished_early"] + n["finished_on_time"], timed)
    n["online_rate"] = ratio(n["received_online"], n["received"])
    n["satisfaction_rate"] = ratio(n["ratings"] - n["ratings_not_satisfied"], n["ratings"])
    return n


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def as_text(value):
    """A figure as the CSV writes it."""
    return "" if value is None else str(value)


def as_json(value):
    """A figure as the JSON writes it (a ratio as a JSON number)."""
    return float(value) if isinstance(value, Decimal) else value


def recompute(folder):
    """The differences between the published figures and those su-kien.csv gives."""
    folder = Path(folder)
    events = read_csv(folder / "su-kien.csv")
    published_rows = read_csv(folder / "thong-ke.csv")
    document = json.loads((folder / "thong-ke.json").read_text(encoding="utf-8"))
    names = COUNTS + list(RATIOS)
    differences = []

    groups, by_month = {}, {}
    for e in events:
        groups.setdefault((e["month"], e["office"], e["field"]), []).append(e)
        by_month.setdefault(e["month"], []).append(e)
    expected = {key: figures(group) for key, group in groups.items()}

    def compare(where, got, want, convert):
        for name in names:
            if got.get(name) != convert(want[name]):
                differences.append(f"{where}: {name} {got.get(name)!r}, tính lại {want[name]}")

    for label, published, convert in (
        ("thong-ke.csv", published_rows, as_text),
        ("thong-ke.json rows", document["rows"], as_json),
    ):
        seen = set()
        for row in published:
            key = (row["month"], row["office"], row["field"])
            seen.add(key)
            if key not in expected:
                differences.append(f"{label}: dòng {key} không có sự kiện nào")
                continue
            compare(f"{label} {key}", row, expected[key], convert)
        for key in expected.keys() - seen:
            differences.append(f"{label}: thiếu dòng {key}")
        if len(published) != len(seen):
            differences.append(f"{label}: có dòng lặp lại")

    months = {m["month"]: m for m in document["months"]}
    if sorted(months) != sorted(by_month) or len(months) != len(document["months"]):
        differences.append(f"thong-ke.json months: {sorted(months)}, tính lại {sorted(by_month)}")
    for month, group in by_month.items():
        if month in months:
            compare(f"thong-ke.json months {month}", months[month], figures(group), as_json)

    total = figures(events)
    for indicator in document["indicators"]:
        key = indicator["indicator"]
        if key is None:
            continue
        if indicator["value"] != as_json(total[key]):
            differences.append(f"thong-ke.json indicators {key}: {indicator['value']!r}, "
                               f"tính lại {total[key]}")  # fmt: skip
    return differences


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    differences = recompute(args[0])
    for line in differences:
        print(line)
    if differences:
        print(f"{len(differences)} con số khác với số tính lại từ su-kien.csv.")
        return 1
    print("Mọi con số đã công bố đều khớp với số tính lại từ su-kien.csv.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
