"""The lookup secret an applicant keeps with the dossier code: its format, its check character,
its slow hash and its sealing for a retried submission (docs/lifecycle.md, "Lookup secret").

Format: 11 random characters and a check character, shown in groups of four (`7KQ4-M9XC-2RB8`).
The alphabet is the digits and the consonants that neither look like a digit nor change under a
Vietnamese keyboard: no vowel (Telex turns `AS` into `Á`, VNI turns `A1` into `Á`), no `W`
(Telex `Ư`), no `D` (`DD` is `Đ`), no `L` (`1`), no `Z` (`2`). 26 characters, so 11 of them
carry 51.7 bits. Typed text is accepted in any case, with or without spaces and dashes, and
`O`, `I`, `L` are read as `0`, `1`, `1`. The check character is Luhn mod 26 over the alphabet: it
catches every single mistyped character and every swap of two neighbours but `0X` and `X0`
(one pair of the alphabet's 325, as Luhn's own misses 09 and 90).
The status page (theme/assets/tra-cuu.js) applies the same rule before it sends anything, and
tests/test_status_rules.py runs both on generated texts and requires the same answers.

Secrets made before this format (24 lower-case base32 characters, 120 bits, stored as SHA-256)
are still accepted: 120 random bits need no slow hash.

Stored: only an argon2id hash with its own salt (`hash_secret`), and, for the retry of the same
submission, the secret sealed under its idempotency key (`seal`), which is itself stored only as
SHA-256 (`idempotency_hash`).
"""

import base64
import hashlib
import hmac
import re
import secrets
from functools import cache
from typing import ClassVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

ALPHABET = "0123456789BCFGHJKMNPQRSTVX"
RANDOM_LENGTH = 11
LENGTH = RANDOM_LENGTH + 1  # and the check character
GROUP = 4
ALIASES = {"O": "0", "I": "1", "L": "1"}
# What people put between groups: spaces and dashes of any kind, dots, underscores. Listed one
# by one, not `\s`, which Python and JavaScript read differently.
_SEPARATORS = re.compile("[\t\n\r \u00a0\u2000-\u200b\u202f\u205f\u3000\u2010-\u2015\u2212._-]+")
_FORMAT = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")
_LEGACY = re.compile(r"[a-z2-7]{24}")
# argon2id with 256 KiB and one pass: 0.12 ms of CPU on the project's machine, paid by every
# submission and every lookup (bench/README.md has the measurements and why not 5-20 ms: that
# would cap submissions at 100-400/s on two cores). Offline, finding one dossier's secret takes
# ~2^50.7 of them, about 7,000 CPU-years; online, the limits guard (docs/lifecycle.md).
HASH = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1, hash_len=32, type=Type.ID)
SEAL_LABEL = b"motcua lookup secret seal"
IDEMPOTENCY_PREFIX = "sha256:"  # never in a key as sent (IDEMPOTENCY_KEY has no colon)


class MalformedSecretError(ValueError):
    """The typed text is not a lookup secret: `problem` is "empty", "format" or "check" (the
    status page's names for it), the message says why in Vietnamese."""

    MESSAGES: ClassVar[dict[str, str]] = {
        "empty": "Nhập mã tra cứu ghi trên biên nhận.",
        "format": "Mã tra cứu gồm 12 chữ cái và chữ số, như trên biên nhận (ví dụ 7KQ4-M9XC-2RB8).",
        "check": "Mã tra cứu có một ký tự gõ sai; hãy đối chiếu từng ký tự với biên nhận.",
    }

    def __init__(self, problem: str):
        super().__init__(self.MESSAGES[problem])
        self.problem = problem


# A random byte below this is one of ALPHABET's characters with equal chances (byte % 26); the
# rest (8.6 %) are drawn again. One read of the system's random source, not one a character.
_UNBIASED = 256 - 256 % len(ALPHABET)


def new() -> str:
    """A fresh secret in its canonical form (no separators), check character included."""
    chars: list[str] = []
    while len(chars) < RANDOM_LENGTH:
        chars += [ALPHABET[b % len(ALPHABET)] for b in secrets.token_bytes(16) if b < _UNBIASED]
    body = "".join(chars[:RANDOM_LENGTH])
    return body + check_character(body)


def display(secret: str) -> str:
    """The secret as printed and shown: groups of four joined by dashes (a legacy one as is)."""
    if not _FORMAT.fullmatch(secret):
        return secret
    return "-".join(secret[i : i + GROUP] for i in range(0, len(secret), GROUP))


def check_character(body: str) -> str:
    """Luhn mod N over ALPHABET: the character that makes `body + it` pass `is_checked`."""
    total, factor = 0, 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // len(ALPHABET) + addend % len(ALPHABET)
        factor = 3 - factor
    return ALPHABET[-total % len(ALPHABET)]


def is_checked(secret: str) -> bool:
    total, factor = 0, 1
    for char in reversed(secret):
        addend = factor * ALPHABET.index(char)
        total += addend // len(ALPHABET) + addend % len(ALPHABET)
        factor = 3 - factor
    return total % len(ALPHABET) == 0


def parse(text: str | None) -> str:
    """The canonical secret of what someone typed or pasted; MalformedSecretError if it cannot
    be one (this depends on the text only, never on a dossier)."""
    compact = _SEPARATORS.sub("", text or "")
    if not compact:
        raise MalformedSecretError("empty")
    if not compact.isascii():  # no letter that upper-cases into ASCII (ı, ſ, K) slips through
        raise MalformedSecretError("format")
    if _LEGACY.fullmatch(compact.lower()):
        return compact.lower()
    canonical = "".join(ALIASES.get(char, char) for char in compact.upper())
    if not _FORMAT.fullmatch(canonical):
        raise MalformedSecretError("format")
    if not is_checked(canonical):
        raise MalformedSecretError("check")
    return canonical


def hash_secret(secret: str) -> str:
    """The stored form of a canonical secret: argon2id's encoded string (salt and parameters)."""
    return HASH.hash(secret)


def verify(stored_hash: str | None, secret: str) -> bool:
    """Whether canonical `secret` is the one `stored_hash` was made of. The cost depends on the
    secret's format only: a new-format secret always pays one argon2id hash (against a dummy
    when there is no dossier or it holds a legacy hash), a legacy one always one SHA-256."""
    if _LEGACY.fullmatch(secret):
        given = hashlib.sha256(secret.encode()).hexdigest()
        expected = stored_hash if stored_hash and not stored_hash.startswith("$") else _DUMMY_SHA
        return hmac.compare_digest(given, expected) and stored_hash is not None
    usable = stored_hash is not None and stored_hash.startswith("$argon2")
    try:
        matches = HASH.verify(stored_hash if stored_hash and usable else _dummy_hash(), secret)
    except (VerificationError, InvalidHashError):
        return False
    return matches and usable


@cache
def _dummy_hash() -> str:
    return HASH.hash(new())


_DUMMY_SHA = hashlib.sha256(b"no dossier").hexdigest()


def idempotency_hash(key: str) -> str:
    """How an idempotency key is stored: its SHA-256 (a retry finds its record, nobody reading
    the store learns the key)."""
    return IDEMPOTENCY_PREFIX + hashlib.sha256(key.encode()).hexdigest()


def seal(secret: str, idempotency_key: str) -> str:
    """`secret` encrypted under a pad only the holder of the idempotency key can make: an
    HMAC-SHA256 of a fixed label keyed by the idempotency key, XORed once with one secret (a
    one-time pad: each key seals one secret). The store holds only SHA-256 of the key, from
    which the HMAC cannot be computed."""
    data = secret.encode()
    return base64.b64encode(_xor(data, _pad(idempotency_key, len(data)))).decode()


def unseal(sealed: str, idempotency_key: str) -> str:
    data = base64.b64decode(sealed)
    return _xor(data, _pad(idempotency_key, len(data))).decode()


def _pad(idempotency_key: str, length: int) -> bytes:
    return hmac.digest(idempotency_key.encode(), SEAL_LABEL, "sha256")[:length]


def _xor(data: bytes, pad: bytes) -> bytes:
    if len(data) != len(pad):
        raise ValueError("the pad is as long as the data")
    return (int.from_bytes(data) ^ int.from_bytes(pad)).to_bytes(len(data))
