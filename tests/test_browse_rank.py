"""The lists' order (browse.ranked): a rebuild starts from the last build's and moves only the
procedures whose summaries changed; it must be the order a full build sorts."""

import random

from buildlib.site import browse


def _summaries(count: int, rng: random.Random) -> dict[str, dict]:
    names = ["Cấp giấy phép", "Đăng ký khai sinh", "Gia hạn", "Cấp lại", "Xác nhận", "Đổi"]
    statuses = ["active", "active", "future", "replaced", "abolished"]
    return {
        f"1.{i:06d}": {"name": rng.choice(names), "status": rng.choice(statuses)}
        for i in rng.sample(range(100_000), count)
    }


def test_the_order_patched_after_changes_is_the_order_sorted_from_scratch():
    rng = random.Random(12)
    for _ in range(200):
        before = _summaries(rng.randrange(0, 40), rng)
        previous = browse.ranked(before)
        after = dict(before)
        touched = set()
        for code in rng.sample(sorted(before), min(len(before), rng.randrange(0, 4))):
            touched.add(code)
            if rng.random() < 0.3:
                del after[code]  # removed
            else:  # renamed, or ended
                after[code] = {"name": rng.choice(["A", "Ê", "Cấp lại", "Z"]), "status": "active"}
        for code in _summaries(rng.randrange(0, 3), rng):  # new procedures
            if code not in after:
                touched.add(code)
                after[code] = {"name": "Mới", "status": rng.choice(["active", "replaced"])}
        assert browse.ranked(after, previous, touched) == browse.ranked(after)


def test_active_and_future_procedures_come_before_ended_ones_then_by_name_and_code():
    summaries = {
        "2.000001": {"name": "B", "status": "replaced"},
        "1.000002": {"name": "B", "status": "active"},
        "1.000001": {"name": "B", "status": "future"},
        "1.000003": {"name": "A", "status": "abolished"},
    }
    assert browse.ranked(summaries) == ["1.000001", "1.000002", "1.000003", "2.000001"]


def test_the_lists_gathered_in_one_pass_hold_each_procedure_in_the_lists_order():
    rng = random.Random(5)
    roles = list(browse.ROLES)
    summaries = {
        f"1.{i:06d}": {
            "field": rng.choice(["f1", "f2", "f3"]),
            "levels": rng.sample(["tinh", "huyen", "xa"], rng.randrange(0, 3)),
            "audiences": rng.sample(["citizen", "business"], rng.randrange(0, 3)),
            "online": rng.choice(["full", "partial", "unpublished"]),
            "agencies": {
                r: rng.sample(["a1", "a2", "a3", "a4"], rng.randrange(0, 3)) for r in roles
            },
        }
        for i in range(300)
    }
    ranking = rng.sample(sorted(summaries), len(summaries))
    lists, agencies = browse._buckets(summaries, ranking)
    for key in ("field", "levels", "audiences", "online"):
        expected: dict[str, list[str]] = {}
        for code in ranking:
            value = summaries[code][key]
            for one in value if isinstance(value, list) else [value]:
                expected.setdefault(one, []).append(code)
        assert lists[key] == expected
    for agency in ("a1", "a2", "a3", "a4"):
        for role in roles:
            codes = [c for c in ranking if agency in summaries[c]["agencies"][role]]
            assert agencies.get(agency, {}).get(role, []) == codes
            assert role in agencies.get(agency, {}) or not codes
