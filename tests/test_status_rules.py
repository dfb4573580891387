"""The status page (theme/assets/tra-cuu.js) refuses a mistyped dossier code before asking the
API, with the API's own rule (chalicelib.dossiers.is_dossier_code): both run on generated codes,
real ones and near misses, and must give the same answer."""

import json
import random
import shutil
import string
import subprocess

from chalicelib.dossiers import is_dossier_code
from chalicelib.storage.ports import format_code

from .conftest import ROOT

STATUS_JS = ROOT / "theme" / "assets" / "tra-cuu.js"
DRIVER = """
const { CODE } = require(process.argv[1]);
const texts = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(texts.map((t) => CODE.test(t))));
"""
AGENCY = string.ascii_letters + string.digits + ".-"


def generated_codes(count: int, seed: int = 12) -> list[str]:
    """Codes as the API makes them, then each with one edit (a character added, removed or
    changed, from an alphabet of what people type and paste), and random strings."""
    rng = random.Random(seed)
    noise = AGENCY + "_ /:#\n\tđĐ٣０"
    codes = []
    for _ in range(count):
        agency = "".join(rng.choices(AGENCY, k=rng.choice([1, 2, 3, 13, 59, 60, 61])))
        day = f"{rng.randrange(0, 10 ** rng.choice([5, 6, 7])):06d}"
        code = format_code(agency, day, rng.choice([0, 1, 42, 9999, 10_000, 123_456]))
        codes.append(code)
        at = rng.randrange(len(code) + 1)
        edit = rng.choice(["add", "drop", "change"])
        if edit == "add":
            codes.append(code[:at] + rng.choice(noise) + code[at:])
        elif edit == "drop":
            codes.append(code[:at] + code[at + 1 :])
        else:
            codes.append(code[:at] + rng.choice(noise) + code[at + 1 :])
        codes.append("".join(rng.choices(noise, k=rng.randrange(0, 30))))
    return [*codes, "", "-", "000.00.31.H26-260715-0042\n", " 000.00.31.H26-260715-0042"]


def test_the_status_page_and_the_api_agree_on_what_a_dossier_code_looks_like() -> None:
    node = shutil.which("node")
    assert node, "node is needed to run theme/assets/tra-cuu.js"
    texts = generated_codes(3000)
    answer = subprocess.run(
        [node, "-e", DRIVER, str(STATUS_JS)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
    )
    browser = json.loads(answer.stdout)
    server = [is_dossier_code(text) for text in texts]
    differ = [text for text, b, s in zip(texts, browser, server, strict=True) if b != s]
    assert not differ, differ[:10]
    assert 0.2 < sum(server) / len(server) < 0.6  # both answers occur, often
