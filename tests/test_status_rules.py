"""The status page (theme/assets/tra-cuu.js) refuses a mistyped dossier code before asking the
API, with the API's own rule (chalicelib.dossiers.is_dossier_code): both run on generated codes,
real ones and near misses, and must give the same answer."""

import json
import random
import shutil
import string
import subprocess

from chalicelib import lookup_secret
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


SECRET_DRIVER = """
const { parseSecret } = require(process.argv[1]);
const texts = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(texts.map((t) => {
  const parsed = parseSecret(t);
  return parsed.secret !== undefined ? parsed.secret : "!" + parsed.problem;
})));
"""


def python_secret(text: str) -> str:
    try:
        return lookup_secret.parse(text)
    except lookup_secret.MalformedSecretError as error:
        return "!" + error.problem


def generated_secrets(count: int, seed: int = 19) -> list[str]:
    """Secrets as the API makes them, written as people copy them (grouped or not, any case,
    other separators, O/I/L for 0/1), then with one mistake (a character changed, dropped or
    added, two neighbours swapped), legacy 24-character ones, and noise with what phones type
    and paste (Vietnamese letters, full-width digits, dashes, letters that upper-case to ASCII)."""
    rng = random.Random(seed)
    noise = lookup_secret.ALPHABET + "AEIOUYWDLZaeiouwdlz -–—._\u00a0\t/+#ĐđưƯơ０１ıſK\u2212"
    texts = []
    for _ in range(count):
        secret = lookup_secret.new()
        shown = lookup_secret.display(secret)
        written = rng.choice(
            [
                shown,
                shown.lower(),
                secret,
                " ".join(shown.split("-")),
                shown.replace("-", rng.choice(["–", ".", " - ", "\u00a0", "_"])),
                secret.replace("0", "O").replace("1", rng.choice("IlLi")),
                f"  {secret.lower()}\n",
            ]
        )
        texts.append(written)
        at = rng.randrange(len(written))
        edit = rng.choice(["change", "drop", "add", "swap"])
        if edit == "change":
            texts.append(written[:at] + rng.choice(noise) + written[at + 1 :])
        elif edit == "drop":
            texts.append(written[:at] + written[at + 1 :])
        elif edit == "add":
            texts.append(written[:at] + rng.choice(noise) + written[at:])
        elif at + 1 < len(written):
            texts.append(written[:at] + written[at + 1] + written[at] + written[at + 2 :])
        legacy = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz234567", k=24))
        texts.append(rng.choice([legacy, legacy.upper(), f"{legacy[:12]} {legacy[12:]}"]))
        texts.append("".join(rng.choices(noise, k=rng.randrange(0, 30))))
    return [*texts, "", " ", "-", "7KQ4-M9XC-2RB8", "7kq4 m9xc 2rb8", "7KQ4-M9XC-2RB9"]


def test_the_status_page_and_the_api_read_a_typed_lookup_secret_the_same_way() -> None:
    node = shutil.which("node")
    assert node, "node is needed to run theme/assets/tra-cuu.js"
    texts = generated_secrets(3000)
    answer = subprocess.run(
        [node, "-e", SECRET_DRIVER, str(STATUS_JS)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
    )
    browser = json.loads(answer.stdout)
    server = [python_secret(text) for text in texts]
    differ = [(t, b, s) for t, b, s in zip(texts, browser, server, strict=True) if b != s]
    assert not differ, differ[:10]
    kinds = {answer if answer.startswith("!") else "ok" for answer in server}
    assert kinds == {"ok", "!empty", "!format", "!check"}  # every answer occurs


def test_the_check_character_catches_every_single_mistake_and_most_swaps() -> None:
    rng = random.Random(5)
    swaps = caught = 0
    for _ in range(2000):
        secret = lookup_secret.new()
        at = rng.randrange(len(secret))
        for other in lookup_secret.ALPHABET.replace(secret[at], ""):
            assert not lookup_secret.is_checked(secret[:at] + other + secret[at + 1 :])
        if at + 1 < len(secret) and secret[at] != secret[at + 1]:
            swaps += 1
            swapped = secret[:at] + secret[at + 1] + secret[at] + secret[at + 2 :]
            caught += not lookup_secret.is_checked(swapped)
    assert caught / swaps > 0.9
