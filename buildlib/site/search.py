"""Search index for the static site: Vietnamese as people type it, small enough for a cheap phone.

Why not the stock mkdocs-material search: it does not fold diacritics ("dang ky" finds nothing)
and at 10,000 procedures its one index file is 17.4 MB gzip, fetched before the first result.

Layout written under site/search/ (all JSON, served gzip by the static host, cached by the
browser, so search works offline once the files were fetched):
  meta.json        the documents (codes, names, field and level ids, ended flags, name lengths),
                   the scoring constants, and the list of shards. Codes are matched here, so a
                   code query needs no other file.
  t/<prefix>.json  the inverted index of name, synonym, field, result and agency tokens, sharded
                   by the first two folded letters of the token: a query fetches only its shards.
  b/<prefix>.json  the same for steps and document names, low weight, fetched only when the
                   first pass finds few results.
A shard maps a token to a flat list [doc delta, weight, doc delta, weight, ...]; deltas keep
the numbers short and repetitive, which gzip likes. Adjacent word pairs of names and
synonyms are indexed too ("so_do"), so a phrase earns a bonus without storing positions.

`query(index, text)` is the same ranking as theme/assets/search.js; the constants travel in
meta.json so the two cannot drift, and a test runs both on the same queries.
"""

import bisect
import functools
import gzip
import itertools
import json
import math
import operator
import re
import shutil
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from buildlib.catalogue.load import Catalogue
from chalicelib.versions import has_ended, shown_version

FORMAT = 1
URL = "thu-tuc/{code}/"

# Scoring constants, copied into meta.json for the JavaScript side.
# Integers keep the shards short; a weight of `unit` counts as one occurrence in BM25.
WEIGHTS = {"name": 8, "synonym": 6, "field": 2, "result": 2, "agency": 1, "body": 2}
SCORING = {
    "unit": 4,
    "k1": 1.2,
    "b": 0.75,
    "exact": 1.0,
    "prefix": 0.75,  # the last word while typing: "sin" -> "sinh"
    "fuzzy": 0.6,  # one edit on words of 5 letters or more
    "split": 0.8,  # a missing space: "khaisinh" -> "khai sinh"
    "body": 0.3,  # steps and documents only count when nothing better is found
    "phrase": 3.0,  # the whole query inside the name, in order
    # Every query word in the name's head (before the first , ; : or "("): the procedure is
    # about what was asked ("hộ kinh doanh": "Đăng ký thành lập hộ kinh doanh", not "Tạm ngừng
    # kinh doanh, ... của hộ kinh doanh"). The last word may be a prefix, as it is typed.
    "head": 3.0,
    # Results scoring below this share of the best are not shown: a list stops where the
    # procedures asked for end ("lý lịch tư pháp": 2 results, not 2 and 8 unrelated ones).
    "cutoff": 0.3,
    "pair": 1.0,  # each adjacent pair of query words found as a pair in a name or synonym
    "code_exact": 100.0,
    "code_partial": 50.0,
    "coverage": 2.0,  # exponent: a document matching every word beats one matching most
    # Most of what citizens do is done at the commune; on equal text, local procedures first.
    "level_prior": {"xa": 1.0, "tinh": 0.96, "trung-uong": 0.92},
    "level_other": 0.94,
    "ended": 0.5,  # ended procedures stay findable but below those in force
    "fuzzy_min": 5,
    "deep_below": 5,  # fetch the body shards when the first pass finds fewer results
    "limit": 10,
}

_SPLIT = re.compile(r"[^0-9a-z]+")
_MARKS = re.compile("[\u0300-\u036f]")  # combining diacritical marks, as in search.js
_CODE = re.compile(r"^\d{1,2}\.\d{6}$")
_DIGITS = re.compile(r"^\d{4,8}$")
_HEAD = re.compile(r"[,;:(]")
_SHORT_Y = re.compile(r"^([bcdghklmnpqrstvx]+)y$")


def fold(text: str) -> list[str]:
    """Folded tokens: lowercase, no diacritics, đ -> d, split on anything not a letter or digit.

    A token that is consonants + "y" ends in "i" ("ký" and "kí", "lý" and "lí" are both
    correct spellings, and people type either). theme/assets/search.js has the same rules;
    a test checks both agree.
    """
    return list(_folded(text))


@functools.lru_cache(maxsize=1 << 16)
def _folded(text: str) -> tuple[str, ...]:
    """`fold`, remembered: the catalogue repeats its names, steps and documents many times
    (agency and field names in every record, the same document in many procedures)."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d").replace("Đ", "d")
    text = _MARKS.sub("", text)
    return tuple(_SHORT_Y.sub(r"\1i", t) if t[-1] == "y" else t for t in _SPLIT.split(text) if t)


def core_length(name: str) -> int:
    """Words in a name's head, before the first , ; : or (, without a leading "Thủ tục".

    What follows that punctuation lists the cases a procedure covers ("..., cấp IV (công trình
    không theo tuyến/...)"); it does not make the procedure more specialised, so it should not
    push the procedure down. The head does: "đăng ký khai sinh" < "... có yếu tố nước ngoài".
    """
    tokens = fold(_HEAD.split(name, maxsplit=1)[0])
    if tokens[:2] == ["thu", "tuc"]:
        tokens = tokens[2:]
    return max(len(tokens), 1)


def shard_of(token: str) -> str:
    """The shard holding a token or a pair: the first two letters of its (first) word."""
    return token.split("_")[0][:2]


@dataclass
class _Builder:
    postings: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, doc: int, text: str, weight: int) -> None:
        for token in _folded(text):
            self.postings[token][doc] = self.postings[token].get(doc, 0) + weight

    def add_pairs(self, doc: int, text: str, weight: int) -> None:
        """Adjacent word pairs ("so_do"): phrases without positions, in the first word's shard."""
        tokens = _folded(text)
        for pair in {f"{a}_{b}" for a, b in itertools.pairwise(tokens)}:
            self.postings[pair][doc] = self.postings[pair].get(doc, 0) + weight

    def shards(self) -> dict[str, dict[str, list[int]]]:
        out: dict[str, dict[str, list[int]]] = defaultdict(dict)
        for token in sorted(self.postings):
            flat: list[int] = []
            previous = 0
            for doc, weight in sorted(self.postings[token].items()):
                flat += [doc - previous, weight]
                previous = doc
            out[shard_of(token)][token] = flat
        return out


def _documents(catalogue: Catalogue, today: str) -> list[tuple[dict, bool]]:
    shown = []
    for _code, docs in sorted(catalogue.procedures().items()):
        versions = [d.data for d in docs]
        shown.append((shown_version(versions, today), has_ended(versions, today)))
    return shown


def record(version: dict, ended: bool, fields: dict, agencies: dict) -> dict[str, Any]:
    """What one procedure contributes to the index, tokens already folded and weighted. Pure and
    per procedure, so an incremental site build recomputes it only for changed procedures."""
    main, body = _Builder(), _Builder()
    main.add(0, version["name"], WEIGHTS["name"])
    main.add_pairs(0, version["name"], WEIGHTS["name"])
    for synonym in version.get("synonyms", []):
        main.add(0, synonym, WEIGHTS["synonym"])
        main.add_pairs(0, synonym, WEIGHTS["synonym"])
    main.add(0, fields.get(version["field"], version["field"]), WEIGHTS["field"])
    for result in version.get("result", []):
        main.add(0, result["name"], WEIGHTS["result"])
    for agency in version["agencies"]["implementing"]:
        main.add(0, agencies.get(agency, agency), WEIGHTS["agency"])
    for case in version["cases"]:
        for step in case["steps"]:
            body.add(0, step, WEIGHTS["body"])
        for document in case["documents"]:
            body.add(0, document["name"], WEIGHTS["body"])
    return {
        "code": version["code"],
        "name": version["name"],
        "field": version["field"],
        "field_name": fields.get(version["field"], version["field"]),
        "levels": version["levels"],
        "ended": ended,
        "length": core_length(version["name"]),  # meta.json's, made once per changed procedure
        "main": {token: docs[0] for token, docs in main.postings.items()},
        "body": {token: docs[0] for token, docs in body.postings.items()},
    }


def records(catalogue: Catalogue, today: str) -> list[dict[str, Any]]:
    fields = {f["id"]: f["name"] for d in catalogue.of_kind("field") for f in d.data["fields"]}
    agencies = {d.data["id"]: d.data["name"] for d in catalogue.of_kind("agency")}
    return [record(v, ended, fields, agencies) for v, ended in _documents(catalogue, today)]


def build(catalogue: Catalogue, today: str) -> dict[str, Any]:
    """The index as {relative path: JSON-able object}; pure, so tests and the bench can use it."""
    return assemble(records(catalogue, today))


def assemble(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The index files from per-procedure records (sorted by code: document ids are positions)."""
    items = sorted(items, key=lambda r: r["code"])
    main, body = _Builder(), _Builder()
    for i, item in enumerate(items):
        for token, weight in item["main"].items():
            main.postings[token][i] = weight
        for token, weight in item["body"].items():
            body.postings[token][i] = weight
    files: dict[str, Any] = {}
    main_shards, body_shards = main.shards(), body.shards()
    for prefix, shard in main_shards.items():
        files[f"t/{prefix}.json"] = shard
    for prefix, shard in body_shards.items():
        files[f"b/{prefix}.json"] = shard
    files["meta.json"] = _meta(items, sorted(main_shards), sorted(body_shards))
    return files


def _meta(items: list[dict[str, Any]], shards: list[str], body: list[str]) -> dict[str, Any]:
    """meta.json of records sorted by code, given the prefixes of the shards that exist."""
    field_names = {r["field"]: r["field_name"] for r in items}
    field_ids = sorted(field_names)
    level_ids = sorted({lvl for r in items for lvl in r["levels"]})
    field_at = {f: i for i, f in enumerate(field_ids)}
    level_bit = {lvl: 1 << i for i, lvl in enumerate(level_ids)}
    return _meta_of(
        fields=[[f, field_names[f]] for f in field_ids],
        levels=level_ids,
        codes=[r["code"] for r in items],
        names=[r["name"] for r in items],
        field=[field_at[r["field"]] for r in items],
        level=[sum(level_bit[lvl] for lvl in r["levels"]) for r in items],
        ended=[i for i, r in enumerate(items) if r["ended"]],
        length=[r["length"] for r in items],
        shards=shards,
        body=body,
    )


def _meta_of(**parts: Any) -> dict[str, Any]:
    """meta.json from its per-document lists (`_meta`, `_patched_meta`), its keys in order."""
    lengths = parts["length"]
    return {
        "format": FORMAT,
        "url": URL,
        "weights": WEIGHTS,
        "scoring": SCORING,
        **{k: parts[k] for k in ("fields", "levels", "codes", "names", "field", "level")},
        "ended": parts["ended"],
        "length": lengths,
        "avglength": round(sum(lengths) / max(len(lengths), 1), 3),
        "shards": parts["shards"],
        "body": parts["body"],
    }


def update_files(
    site_dir: Path, codes: list[str], before: dict[str, dict], after: dict[str, dict]
) -> bool:
    """Brings site_dir/search/, written from records of `codes` (every procedure, sorted), to
    what `assemble` makes of them once the procedures in `after` (code -> record) have changed
    from `before` (the same codes: their records then), rewriting only the shards holding a
    token whose weight changed, and meta.json's entries of those procedures. Document ids are
    positions among the sorted codes, so this needs the index written for the same `codes`;
    returns False otherwise (or without a written index), and the caller writes every file.
    Byte for byte what a full build writes (the rebuild tests compare them)."""
    out = Path(site_dir) / "search"
    if before.keys() != after.keys() or not (out / "meta.json").is_file():
        return False
    meta = json.loads((out / "meta.json").read_bytes())
    if meta.get("codes") != codes:
        return False
    position = {code: bisect.bisect_left(codes, code) for code in after}
    for part, folder in (("main", "t"), ("body", "b")):
        changes: dict[str, dict[str, dict[int, int | None]]] = defaultdict(dict)
        for code, new in after.items():
            old = before[code]
            if old is new or old[part] == new[part]:
                continue
            was, now = old[part], new[part]
            for token in was.keys() | now.keys():
                if was.get(token) != now.get(token):
                    shard = changes[shard_of(token)]
                    shard.setdefault(token, {})[position[code]] = now.get(token)
        for prefix, tokens in changes.items():
            _patch_shard(out / folder / f"{prefix}.json", tokens)
    shards = sorted(p.stem for p in (out / "t").glob("*.json"))
    body = sorted(p.stem for p in (out / "b").glob("*.json"))
    patched = _patched_meta(meta, position, after, shards, body)
    if patched is None:  # a field or level appeared or went: every document's numbers change
        meta_records = dict(zip(codes, _records_of_meta(meta), strict=True))
        meta_records.update(after)
        patched = _meta([meta_records[c] for c in codes], shards, body)
    (out / "meta.json").write_bytes(_dump(patched))
    return True


def _records_of_meta(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The records (without tokens) meta.json was made from, by position: what `_meta` reads."""
    fields, levels, ended = meta["fields"], meta["levels"], set(meta["ended"])
    return [
        {
            "code": code,
            "name": name,
            "field": fields[f][0],
            "field_name": fields[f][1],
            "levels": [lvl for b, lvl in enumerate(levels) if bits >> b & 1],
            "ended": i in ended,
            "length": length,
        }
        for i, (code, name, f, bits, length) in enumerate(
            zip(
                meta["codes"],
                meta["names"],
                meta["field"],
                meta["level"],
                meta["length"],
                strict=True,
            )
        )
    ]


def _patched_meta(
    meta: dict[str, Any],
    position: dict[str, int],
    after: dict[str, dict],
    shards: list[str],
    body: list[str],
) -> dict[str, Any] | None:
    """meta.json as written (`meta`) with the entries of the procedures in `after` (at their
    `position`) made from their records (a rename at 10,000 procedures made the whole of it from
    10,000 records again, ~0.05 s). None when their fields or levels are not exactly those it
    lists, with every one still used (then `_meta` numbers them again)."""
    field_at = {f: i for i, (f, _) in enumerate(meta["fields"])}
    field_name = dict(meta["fields"])
    level_bit = {lvl: 1 << i for i, lvl in enumerate(meta["levels"])}
    names, field, level = list(meta["names"]), list(meta["field"]), list(meta["level"])
    length, ended = list(meta["length"]), set(meta["ended"])
    for code, r in after.items():
        if field_name.get(r["field"]) != r["field_name"] or not level_bit.keys() >= set(
            r["levels"]
        ):
            return None
        i = position[code]
        names[i], length[i] = r["name"], r["length"]
        field[i] = field_at[r["field"]]
        level[i] = sum(level_bit[lvl] for lvl in r["levels"])
        (ended.add if r["ended"] else ended.discard)(i)
    if (
        len(set(field)) != len(field_at)
        or functools.reduce(operator.or_, level, 0) != (1 << len(level_bit)) - 1
    ):
        return None
    return _meta_of(
        fields=meta["fields"],
        levels=meta["levels"],
        codes=meta["codes"],
        names=names,
        field=field,
        level=level,
        ended=sorted(ended),
        length=length,
        shards=shards,
        body=body,
    )


def _patch_shard(path: Path, tokens: dict[str, dict[int, int | None]]) -> None:
    """Sets the weights of documents in a shard file (None: the token left the document)."""
    shard = json.loads(path.read_bytes()) if path.is_file() else {}
    for token, weights in tokens.items():
        postings: dict[int, int] = {}
        doc = 0
        flat = shard.get(token, [])
        for k in range(0, len(flat), 2):
            doc += flat[k]
            postings[doc] = flat[k + 1]
        for doc, weight in weights.items():
            if weight is None:
                postings.pop(doc, None)
            else:
                postings[doc] = weight
        if not postings:
            shard.pop(token, None)
            continue
        encoded: list[int] = []
        previous = 0
        for doc, weight in sorted(postings.items()):
            encoded += [doc - previous, weight]
            previous = doc
        shard[token] = encoded
    if shard:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_dump(dict(sorted(shard.items()))))
    else:
        path.unlink(missing_ok=True)


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write_index(catalogue: Catalogue, site_dir: Path, today: str) -> dict[str, int]:
    """Writes site_dir/search/; returns sizes {"files", "raw", "gzip", "meta_gzip"} in bytes."""
    return write_files(build(catalogue, today), site_dir)


def write_files(files: dict[str, Any], site_dir: Path, *, measure: bool = True) -> dict[str, int]:
    """Replaces site_dir/search/ with `files`; gzip sizes only when measured (the bench)."""
    out = Path(site_dir) / "search"
    shutil.rmtree(out, ignore_errors=True)
    sizes = {"files": 0, "raw": 0, "gzip": 0, "meta_gzip": 0}
    for rel, obj in files.items():
        data = _dump(obj)
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        packed = len(gzip.compress(data, 9)) if measure else 0
        sizes["files"] += 1
        sizes["raw"] += len(data)
        sizes["gzip"] += packed
        if rel == "meta.json":
            sizes["meta_gzip"] = packed
    return sizes


class Index:
    """An index on disk, read the way the browser reads it: meta first, shards when needed.

    `fetched` lists the files read, so the bench can count the bytes before the first result.
    """

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.fetched: list[str] = []
        self._cache: dict[str, Any] = {}
        self.meta = self.load("meta.json")

    def load(self, rel: str) -> Any:
        if rel not in self._cache:
            self.fetched.append(rel)
            self._cache[rel] = json.loads((self.directory / rel).read_text(encoding="utf-8"))
        return self._cache[rel]

    def shard(self, kind: str, prefix: str) -> dict[str, list[int]]:
        listed = self.meta["shards"] if kind == "t" else self.meta["body"]
        return self.load(f"{kind}/{prefix}.json") if prefix in listed else {}


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or transposition."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and (a[diff[1]] == b[diff[0]])
        )
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def _expand(index: Index, kind: str, token: str, last: bool) -> dict[str, float]:
    """Vocabulary tokens a query word stands for, with the factor each match earns."""
    scoring = index.meta["scoring"]
    shard = index.shard(kind, shard_of(token))
    found: dict[str, float] = {}
    if token in shard:
        found[token] = scoring["exact"]
    if last and len(token) >= 2:
        for term in shard:
            if term != token and term.startswith(token) and "_" not in term:
                found.setdefault(term, scoring["prefix"])
    if not found and len(token) >= scoring["fuzzy_min"]:
        for term in shard:
            if "_" not in term and _one_edit(token, term):
                found[term] = scoring["fuzzy"]
    return found


def _words(index: Index, kind: str, tokens: list[str]) -> list[dict[str, float]]:
    """One expansion per query word; a word found nowhere may be two words without a space."""
    words: list[dict[str, float]] = []
    for n, token in enumerate(tokens):
        last = n == len(tokens) - 1
        found = _expand(index, kind, token, last)
        if not found and kind == "t" and len(token) >= 4:
            for cut in range(2, len(token) - 1):
                left, right = token[:cut], token[cut:]
                if left in index.shard(kind, shard_of(left)) and right in index.shard(
                    kind, shard_of(right)
                ):
                    words.append({left: index.meta["scoring"]["split"]})
                    found = {right: index.meta["scoring"]["split"]}
                    break
        words.append(found)
    return words


def _idf(total: int, flat: list[int]) -> float:
    df = len(flat) // 2
    return math.log(1 + (total - df + 0.5) / (df + 0.5))


def _score_pass(index: Index, kind: str, tokens: list[str]) -> dict[int, float]:
    """BM25 over field-weighted postings; pairs add phrase evidence but not coverage."""
    meta, scoring = index.meta, index.meta["scoring"]
    total = len(meta["codes"])
    k1, b, avg, unit = scoring["k1"], scoring["b"], meta["avglength"], scoring["unit"]
    words = _words(index, kind, tokens)
    pairs = [f"{x}_{y}" for x, y in itertools.pairwise(tokens)] if kind == "t" else []
    scores: dict[int, float] = defaultdict(float)
    matched: dict[int, int] = defaultdict(int)
    for n, found in enumerate(words + [{p: scoring["pair"]} for p in pairs]):
        best: dict[int, float] = {}
        # A completion or a correction is never rarer than the word typed, when that word exists.
        cap = math.inf
        for term, factor in found.items():
            flat = index.shard(kind, shard_of(term)).get(term)
            if factor == scoring["exact"] and flat:
                cap = min(cap, _idf(total, flat))
        for term, factor in found.items():
            flat = index.shard(kind, shard_of(term)).get(term)
            if not flat:
                continue
            idf = min(_idf(total, flat), cap)
            doc = 0
            for i in range(0, len(flat), 2):
                doc += flat[i]
                weight = flat[i + 1] / unit
                norm = k1 * (1 - b + b * meta["length"][doc] / avg)
                value = factor * idf * weight * (k1 + 1) / (weight + norm)
                if value > best.get(doc, 0.0):
                    best[doc] = value
        for doc, value in best.items():
            scores[doc] += value
            if n < len(words):
                matched[doc] += 1
    count = max(len(words), 1)
    return {doc: s * (matched[doc] / count) ** scoring["coverage"] for doc, s in scores.items()}


def query(index: Index, text: str, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Ranked results [{code, name, url, score, ended}] for what a citizen typed."""
    meta, scoring = index.meta, index.meta["scoring"]
    limit = limit or scoring["limit"]
    raw = text.strip()
    scores: dict[int, float] = defaultdict(float)
    tokens = fold(raw)
    compact = raw.replace(" ", "")
    if _CODE.match(compact) or _DIGITS.match(compact):
        for doc, code in enumerate(meta["codes"]):
            if code == compact:
                scores[doc] += scoring["code_exact"]
            elif compact in code.replace(".", "") or compact in code:
                scores[doc] += scoring["code_partial"]
        if scores:
            tokens = []
    if tokens:
        for doc, value in _score_pass(index, "t", tokens).items():
            scores[doc] += value
        if len(scores) < scoring["deep_below"]:
            for doc, value in _score_pass(index, "b", tokens).items():
                scores[doc] += scoring["body"] * value
        _bonus(index, tokens, scores)
    _prior(meta, scores)
    ended = set(meta["ended"])
    for doc in ended & scores.keys():
        scores[doc] *= scoring["ended"]
    order = sorted(scores, key=lambda d: (-round(scores[d], 6), meta["length"][d], d))
    if order:
        floor = round(scores[order[0]] * scoring["cutoff"], 6)
        order = [d for d in order if round(scores[d], 6) >= floor]
    return [
        {
            "code": meta["codes"][d],
            "name": meta["names"][d],
            "url": meta["url"].replace("{code}", meta["codes"][d]),
            "score": round(scores[d], 6),
            "ended": d in ended,
        }
        for d in order[:limit]
    ]


def _prior(meta: dict[str, Any], scores: dict[int, float]) -> None:
    """Scales each score by the most local of the procedure's levels."""
    scoring = meta["scoring"]
    factors = [scoring["level_prior"].get(lvl, scoring["level_other"]) for lvl in meta["levels"]]
    for doc in scores:
        mask = meta["level"][doc]
        scores[doc] *= max((f for i, f in enumerate(factors) if mask >> i & 1), default=1.0)


def _bonus(index: Index, tokens: list[str], scores: dict[int, float]) -> None:
    """The whole query inside a name, in order, and every query word in the name's head (see
    SCORING); checked on the best 50 candidates only, whose names are folded on demand (folding
    every name up front would cost the phone time)."""
    meta, scoring = index.meta, index.meta["scoring"]
    phrase = f" {' '.join(tokens)} "
    for doc in sorted(scores, key=lambda d: (-scores[d], d))[:50]:
        name = meta["names"][doc]
        if len(tokens) >= 2 and phrase in f" {' '.join(fold(name))} ":
            scores[doc] += scoring["phrase"]
        if _in_head(tokens, fold(_HEAD.split(name, maxsplit=1)[0])):
            scores[doc] += scoring["head"]


def _in_head(tokens: list[str], head: list[str]) -> bool:
    """Every query word is a word of the head; the last one may be the start of one."""
    words = set(head)
    *whole, last = tokens
    return all(t in words for t in whole) and any(w.startswith(last) for w in head)
