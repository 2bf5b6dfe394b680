#!/usr/bin/env python3
"""Write Convex snapshot exports (`npx convex export`) in the backend's real format.

    python3 tests/snapshots/export.py fixtures [OUT]        the test fixtures (default tests/snapshots/zips/)
    python3 tests/snapshots/export.py check [DIR]           the committed fixtures match what this writes
    python3 tests/snapshots/export.py bench OUT.zip --documents N [--seed S]

The layout and encodings follow get-convex/convex-backend (`crates/exports/src/lib.rs`,
`zip_uploader.rs`, `export_storage.rs`; values: `crates/value/src/export.rs`; ids:
`crates/value/src/id_v6.rs`, `base32.rs`):

- `README.md`, then `_tables/documents.jsonl` (`{"name": ..., "id": <table number>}` per app
  table, by number) for the app and each component, then each table's `documents.jsonl`
  followed by its `generated_schema.jsonl` (`"uniform"`), smallest tables first, then
  `_storage/documents.jsonl` and the files; a component's entries under `_components/<name>/`;
- values in the export JSON format: int64 a JSON integer, float64 a number with a decimal point
  (`1.0`) or exponent, NaN/±Infinity `{"$float": base64(8 LE bytes)}`, bytes
  `{"$bytes": base64}`;
- ids: Crockford base32 (lowercase) of VInt(table number) ++ 16 bytes ++ fletcher16 footer;
- entries deflated and streamed (data descriptors, general-purpose flag bit 3), with zero DOS
  timestamps, as async_zip writes them without its chrono feature, 0o644.

Documents in a fixture are Python values: int → int64, float → float64, bytes → bytes,
`Ref(table, i)` → the id of document i of that table, `Id(number)` → an id into a table number
of one's choosing. Output is a pure function of the arguments. Python 3.9+, standard library.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import os
import random
import struct
import sys
import zipfile

README = """# Welcome to your Convex snapshot export!

This ZIP file contains a snapshot of the tables in your Convex deployment.

Documents for each table are listed as lines of JSON in
<table_name>/documents.jsonl files.

For details on the format and how to use this snapshot with npx convex import,
check out [the docs](https://docs.convex.dev/database/import-export/export) or
ask us in [Discord](http://convex.dev/community).
"""

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
FIRST_TABLE_NUMBER = 10001


def base32(data: bytes) -> str:
    out, acc, bits = [], 0, 0
    for b in data:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append(ALPHABET[(acc >> bits) & 31])
    if bits:
        out.append(ALPHABET[(acc << (5 - bits)) & 31])
    return "".join(out)


def fletcher16(data: bytes) -> int:
    c0 = c1 = 0
    for b in data:
        c0 = (c0 + b) & 0xFF
        c1 = (c1 + c0) & 0xFF
    return (c1 << 8) | c0


def encode_id(table_number: int, internal: bytes) -> str:
    assert len(internal) == 16 and table_number > 0
    out = bytearray()
    n = table_number
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    out += internal
    out += struct.pack("<H", fletcher16(bytes(out)))
    return base32(bytes(out))


def internal_id(*parts) -> bytes:
    return hashlib.sha256(repr(parts).encode()).digest()[:16]


class Ref:
    """The id of document `index` of `table` (in the same component)."""

    def __init__(self, table: str, index: int):
        self.table, self.index = table, index


class Id:
    """An id into table number `number` (e.g. a table the export does not list)."""

    def __init__(self, number: int, salt: str = ""):
        self.number, self.salt = number, salt


def export_value(value, ids):
    """A Python value in the export JSON format (ConvexExportJSON)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        assert -(2**63) <= value < 2**63
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value  # json.dumps writes 1.0, 1e+20: a float lexeme
        return {"$float": base64.b64encode(struct.pack("<d", value)).decode()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, Ref):
        return ids[value.table][value.index]
    if isinstance(value, Id):
        return encode_id(value.number, internal_id("foreign", value.number, value.salt))
    if isinstance(value, list):
        return [export_value(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: export_value(v, ids) for k, v in value.items()}
    raise TypeError(f"not a Convex value: {value!r}")


class Unseekable(io.RawIOBase):
    """A sink zipfile cannot seek in, so it streams entries with data descriptors."""

    def __init__(self, sink):
        self.sink = sink

    def writable(self):
        return True

    def write(self, b):
        return self.sink.write(b)

    def flush(self):
        self.sink.flush()


def entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 0, 0, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info


def line(doc) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode() + b"\n"


class Component:
    def __init__(self, tables: dict, storage: list | None = None, generated_schema="uniform"):
        self.tables = tables  # name -> list of documents (or a callable yielding them, with a count)
        self.storage = storage
        self.generated_schema = generated_schema


def table_ids(component: Component, salt: str):
    ids, numbers = {}, {}
    for i, name in enumerate(component.tables):
        numbers[name] = FIRST_TABLE_NUMBER + i
        docs = component.tables[name]
        count = docs[0] if isinstance(docs, tuple) else len(docs)
        ids[name] = LazyIds(numbers[name], salt, name, count)
    return ids, numbers


class LazyIds:
    def __init__(self, number, salt, table, count):
        self.number, self.salt, self.table, self.count = number, salt, table, count

    def __getitem__(self, i):
        assert 0 <= i < self.count, f"{self.table}[{i}]"
        return encode_id(self.number, internal_id(self.salt, self.table, i))


def write_export(path: str, components: dict, created: float = 1795600000000.0):
    """`components`: "" for the app, else a component name → Component."""
    with open(path, "wb") as raw, zipfile.ZipFile(Unseekable(raw), "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(entry("README.md"), README)
        prepared = []
        for name, component in components.items():
            prefix = f"_components/{name}/" if name else ""
            ids, numbers = table_ids(component, name)
            prepared.append((prefix, component, ids, numbers))
            with z.open(entry(f"{prefix}_tables/documents.jsonl"), "w") as f:
                for table, number in sorted(numbers.items(), key=lambda kv: kv[1]):
                    f.write(line({"name": table, "id": number}))
        for prefix, component, ids, numbers in prepared:
            def size(t):
                docs = component.tables[t]
                return docs[0] if isinstance(docs, tuple) else len(docs)
            for table in sorted(component.tables, key=size):
                docs = component.tables[table]
                if isinstance(docs, Raw):
                    z.writestr(entry(f"{prefix}{table}/documents.jsonl"), docs.data)
                    continue
                source = docs[1]() if isinstance(docs, tuple) else docs
                with z.open(entry(f"{prefix}{table}/documents.jsonl"), "w") as f:
                    buffer = []
                    for i, doc in enumerate(source):
                        full = {"_creationTime": created + i * 1000.25, "_id": ids[table][i]}
                        full.update(export_value(doc, ids))
                        buffer.append(line(full))
                        if len(buffer) >= 4096:
                            f.write(b"".join(buffer))
                            buffer.clear()
                    f.write(b"".join(buffer))
                schema = component.generated_schema
                text = json.dumps(schema(table) if callable(schema) else schema) + "\n"
                z.writestr(entry(f"{prefix}{table}/generated_schema.jsonl"), text)
        for prefix, component, ids, numbers in prepared:
            if component.storage is None:
                continue
            with z.open(entry(f"{prefix}_storage/documents.jsonl"), "w") as f:
                for i, content in enumerate(component.storage):
                    sid = encode_id(STORAGE_TABLE_NUMBER, internal_id(prefix, "_storage", i))
                    f.write(line({"_id": sid, "_creationTime": created + i, "sha256": base64.b64encode(hashlib.sha256(content).digest()).decode(), "size": len(content), "contentType": "text/plain", "internalId": f"internal-{i}"}))
            for i, content in enumerate(component.storage):
                sid = encode_id(STORAGE_TABLE_NUMBER, internal_id(prefix, "_storage", i))
                z.writestr(entry(f"{prefix}_storage/{sid}.txt"), content)


STORAGE_TABLE_NUMBER = 29  # the number of a system table: not in `_tables`


def storage_id(i: int, component: str = "") -> str:
    prefix = f"_components/{component}/" if component else ""
    return encode_id(STORAGE_TABLE_NUMBER, internal_id(prefix, "_storage", i))


# ---------------------------------------------------------------------------------------------
# The fixtures: data for examples/team-app and tests/snapshots/kinds, with known counts.


def team_app(clean: bool):
    """Documents valid under examples/team-app/deployed's schema."""
    users = [
        {"name": "Ada", "email": "ada@x.dev", "role": "admin", "plan": "pro", "updatedAt": 1.0},
        {"name": "Bo", "email": "bo@x.dev", "plan": "free", "isPro": False},
        {"name": "Cy", "email": "cy@x.dev", "role": "member", "isPro": True, "createdBy": Ref("users", 0)},
        {"name": "Di", "email": "di@x.dev", "plan": "free"},
        {"name": "Ed", "email": "ed@x.dev", "plan": "pro", "isPro": True},
    ]
    posts = [
        {"author": Ref("users", 0), "title": "Hello", "status": "published", "tags": ["a"]},
        {"author": Ref("users", 1), "title": "Draft", "status": "draft"},
        {"author": Ref("users", 2), "title": "Old", "status": "archived"},
        {"author": Ref("users", 0), "title": "Older", "status": "archived", "tags": []},
    ]
    sessions = [{"user": Ref("users", i), "expiresAt": 1795600000000.0 + i} for i in range(3)]
    if clean:
        users = [{"name": u["name"], "email": u["email"], "role": u.get("role", "member"), "plan": u.get("plan", "free")} for u in users]
        posts = [dict(p, status="draft" if p["status"] == "archived" else p["status"]) for p in posts]
        sessions = []
    migrations_component = Component({"migrations": [{"name": "migrations:backfillUsersPlan", "isDone": False, "cursor": None, "processed": 120}]})
    return {"": Component({"users": users, "posts": posts, "sessions": sessions}), "migrations": migrations_component}


def kinds():
    """Documents valid under tests/snapshots/kinds/deployed's schema, each breaking a known part
    of the working one (see kinds/README.md)."""
    users = [{"name": f"u{i}"} for i in range(3)]
    posts = [{"title": f"p{i}"} for i in range(2)]
    base = {
        "kind": "a",
        "owner": Ref("users", 0),
        "meta": {"size": 1.0, "tag": "t"},
        "counts": {"x": 1.0},
        "big": 7,
        "score": 0.5,
        "blob": b"\x00\x01",
        "level": 3.0,
        "tags": ["s"],
    }

    def item(**changes):
        doc = dict(base)
        for k, v in changes.items():
            if v is DROP:
                doc.pop(k, None)
            else:
                doc[k] = v
        return doc

    items = [
        item(),                                            # 0 valid
        item(kind="c"),                                    # 1 kind: "c" is gone
        item(owner=Ref("posts", 0)),                       # 2 owner: a posts id is not a users id
        item(owner="someone"),                             # 3 owner: not an id at all
        item(meta={"size": 2.0}),                          # 4 meta.tag became required
        item(counts={"x": 1.0, "y": "two"}),               # 5 counts: a string value (record)
        item(big=7.5),                                     # 6 big: a float where int64 is required
        item(score=None),                                  # 7 score: null is gone
        item(score=float("nan")),                          # 8 valid: NaN is a float64
        item(score=float("inf")),                          # 9 valid: Infinity too
        item(blob="text"),                                 # 10 blob: a string where bytes are required
        item(extra={"any": [1, "x"]}),                     # 11 extra: removed
        item(level=DROP),                                  # 12 level: became required
        item(tags=["s", 2.0]),                             # 13 tags: a number in the array
        item(kind="b", big=-(2**63), score=-0.0, tags=[]), # 14 valid, edge values
        item(owner=Id(10099, "gone")),                     # 15 owner: an id into no table
        item(kind="c", level=DROP, extra=None),            # 16 three things at once
        item(file=storage_id(0)),                          # 17 valid: an id of a stored file
        item(file=Ref("users", 1)),                        # 18 file: a users id is not a _storage id
        item(level="high"),                                # 19 level: a string, where a number is now required
    ]
    events = [
        {"type": "click", "x": 1.0},
        {"type": "view"},
        {"type": "old"},                                   # the "old" variant is gone
        {"type": "click", "x": 2.0},
    ]
    app = Component({"users": users, "posts": posts, "items": items, "events": events}, storage=[b"hello"])
    return {"": app}


DROP = object()


class Raw:
    """A table's documents.jsonl as given bytes (for the bad-input fixtures)."""

    def __init__(self, data: bytes):
        self.data = data

    def __len__(self):
        return self.data.count(b"\n")


def bad_line():
    """`users/documents.jsonl` whose third line is not JSON."""
    ok = lambda i: json.dumps({"_creationTime": 1795600000000.5, "_id": encode_id(FIRST_TABLE_NUMBER, internal_id("", "users", i)), "name": f"u{i}", "email": "e"}).encode()
    data = ok(0) + b"\n" + ok(1) + b"\n" + b'{"_id": "x", "name": "broken\n' + ok(3) + b"\n"
    return {"": Component({"users": Raw(data), "posts": [], "sessions": []})}


def not_an_export(path: str):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(entry("data.json"), '[{"name": "Ada"}]\n')


def legacy():
    """A table in the pre-2026 format: an inferred shape with int64 in generated_schema.jsonl."""
    shapes = {"users": '{"_creationTime": normalfloat64, "_id": id<users>, "name": string, "n": int64}'}
    return {"": Component({"users": [{"name": "a", "n": "5"}]}, generated_schema=lambda t: shapes[t])}


FIXTURES = {
    "team-app.zip": lambda: team_app(clean=False),
    "team-app-clean.zip": lambda: team_app(clean=True),
    "kinds.zip": kinds,
    "legacy.zip": legacy,
    "bad-line.zip": bad_line,
    "not-an-export.zip": None,
}


def write_fixtures(out: str):
    os.makedirs(out, exist_ok=True)
    for name, build in FIXTURES.items():
        if build is None:
            not_an_export(os.path.join(out, name))
        else:
            write_export(os.path.join(out, name), build())
        print(f"wrote {os.path.join(out, name)}")


def contents(path: str):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def check_fixtures(directory: str) -> int:
    import tempfile

    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        write_fixtures(tmp)
        for name in FIXTURES:
            if contents(os.path.join(tmp, name)) != contents(os.path.join(directory, name)):
                print(f"{name}: differs from what export.py writes (run: python3 tests/snapshots/export.py fixtures)")
                bad += 1
    print(f"{len(FIXTURES) - bad} passed, {bad} failed")
    return 1 if bad else 0


# ---------------------------------------------------------------------------------------------
# The benchmark: examples/team-app's tables, N documents in all.


def bench(path: str, documents: int, seed: int):
    rng = random.Random(seed)
    n_users = documents * 6 // 10
    n_posts = documents * 3 // 10
    n_sessions = documents - n_users - n_posts
    names = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"]

    def users():
        for i in range(n_users):
            doc = {"name": f"{rng.choice(names)} {i}", "email": f"user{i}@example.com", "updatedAt": 1795600000000.0 + i}
            if rng.random() < 0.9:
                doc["role"] = rng.choice(["admin", "member"])
            if rng.random() < 0.95:
                doc["plan"] = rng.choice(["free", "pro"])
            if rng.random() < 0.2:
                doc["isPro"] = rng.random() < 0.5
            if i and rng.random() < 0.3:
                doc["createdBy"] = Ref("users", rng.randrange(i))
            yield doc

    def posts():
        for i in range(n_posts):
            doc = {"author": Ref("users", rng.randrange(n_users)), "title": f"Post number {i} about things", "status": rng.choice(["draft", "published", "published", "archived"])}
            if rng.random() < 0.5:
                doc["tags"] = rng.sample(["convex", "rust", "db", "news", "howto"], rng.randrange(1, 4))
            yield doc

    def sessions():
        for i in range(n_sessions):
            yield {"user": Ref("users", rng.randrange(n_users)), "expiresAt": 1795600000000.0 + rng.random() * 1e9}

    write_export(path, {"": Component({"users": (n_users, users), "posts": (n_posts, posts), "sessions": (n_sessions, sessions)})})


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    if len(argv) >= 1 and argv[0] == "fixtures":
        write_fixtures(argv[1] if len(argv) > 1 else os.path.join(here, "zips"))
        return 0
    if len(argv) >= 1 and argv[0] == "check":
        return check_fixtures(argv[1] if len(argv) > 1 else os.path.join(here, "zips"))
    if len(argv) >= 2 and argv[0] == "bench":
        documents = int(argv[argv.index("--documents") + 1]) if "--documents" in argv else 1_000_000
        seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 1
        bench(argv[1], documents, seed)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
