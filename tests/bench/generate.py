#!/usr/bin/env python3
"""Generate a pair of synthetic Convex projects for benchmarking convex-migrate.

    python3 tests/bench/generate.py OUT [--tables N] [--files M] [--seed S] [--codegen]

writes
    OUT/base/      the "deployed" project: package.json, convex/schema.ts, convex/**.ts
    OUT/working/   the working tree: the same project with a few dozen schema and code changes
    OUT/changes.json   what differs between the two (kind, table, field, the rule expected to react)

The TypeScript is written the way real Convex apps write it (validators in consts and spread
field groups, tables spread in from `convex/tables/*.ts`, functions in nested folders importing
`../_generated/server`, helpers in `convex/lib/` that take `ctx` and write, paginated backfills
in `convex/migrations.ts`). With `--codegen` a `convex/_generated/` folder is written as well
(the same .d.ts/.js files `npx convex codegen` writes), so each project can be type-checked with
`tsc` against the real `convex` package. Output is a pure function of the arguments.

Python 3.11, standard library only.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass, field as dc_field

CONVEX_VERSION = "1.48.0"

# ---------------------------------------------------------------------------------------------
# validators: small tuples
#   ("string",) ("number",) ("boolean",) ("any",) ("null",)
#   ("lit", [values])                union of literals (one value: v.literal)
#   ("union", [validators])
#   ("id", table)
#   ("array", inner) ("record", inner)  (record keys are v.string())
#   ("object", [(name, validator), ...])
#   ("optional", inner, method)      method=True renders as inner.optional()
#   ("nullable", inner)
#   ("ref", const_name, underlying)  a validator held in a named const
# ---------------------------------------------------------------------------------------------
S = ("string",)
N = ("number",)
B = ("boolean",)


def lit(*xs):
    return ("lit", list(xs))


def opt(x, method=False):
    return ("optional", x, method)


def nul(x):
    return ("nullable", x)


def arr(x):
    return ("array", x)


def obj(*pairs):
    return ("object", list(pairs))


def is_optional(val):
    return val[0] == "optional"


def strip(val):
    """The validator without its optional wrapper."""
    return val[1] if val[0] == "optional" else val


def deref(val):
    return val[2] if val[0] == "ref" else val


def js_str(s):
    return json.dumps(s)


def render_val(val, indent=0, expand_refs=False, width=72):
    """Render a validator as TypeScript, breaking long objects/unions over lines."""
    one = _render_inline(val, expand_refs)
    if len(one) + indent <= width:
        return one
    k = val[0]
    pad = " " * (indent + 2)
    end = " " * indent
    if k == "object":
        parts = [f"{pad}{n}: {render_val(x, indent + 2, expand_refs, width)}," for n, x in val[1]]
        return "v.object({\n" + "\n".join(parts) + f"\n{end}}})"
    if k == "lit" and len(val[1]) > 1:
        parts = [f"{pad}v.literal({js_str(x)})," for x in val[1]]
        return "v.union(\n" + "\n".join(parts) + f"\n{end})"
    if k == "union":
        parts = [f"{pad}{render_val(x, indent + 2, expand_refs, width)}," for x in val[1]]
        return "v.union(\n" + "\n".join(parts) + f"\n{end})"
    if k == "optional":
        inner = render_val(val[1], indent, expand_refs, width)
        return f"{inner}.optional()" if val[2] else f"v.optional({inner})"
    if k == "nullable":
        return f"v.nullable({render_val(val[1], indent, expand_refs, width)})"
    if k == "array":
        return f"v.array({render_val(val[1], indent, expand_refs, width)})"
    if k == "record":
        return f"v.record(v.string(), {render_val(val[1], indent, expand_refs, width)})"
    if k == "ref" and expand_refs:
        return render_val(val[2], indent, expand_refs, width)
    return one


def _render_inline(val, expand_refs):
    k = val[0]
    if k in ("string", "number", "boolean", "any", "null"):
        return f"v.{k}()"
    if k == "lit":
        if len(val[1]) == 1:
            return f"v.literal({js_str(val[1][0])})"
        return "v.union(" + ", ".join(f"v.literal({js_str(x)})" for x in val[1]) + ")"
    if k == "union":
        return "v.union(" + ", ".join(_render_inline(x, expand_refs) for x in val[1]) + ")"
    if k == "id":
        return f"v.id({js_str(val[1])})"
    if k == "array":
        return f"v.array({_render_inline(val[1], expand_refs)})"
    if k == "record":
        return f"v.record(v.string(), {_render_inline(val[1], expand_refs)})"
    if k == "object":
        return "v.object({ " + ", ".join(f"{n}: {_render_inline(x, expand_refs)}" for n, x in val[1]) + " })"
    if k == "optional":
        inner = _render_inline(val[1], expand_refs)
        return f"{inner}.optional()" if val[2] else f"v.optional({inner})"
    if k == "nullable":
        return f"v.nullable({_render_inline(val[1], expand_refs)})"
    if k == "ref":
        return _render_inline(val[2], expand_refs) if expand_refs else val[1]
    raise ValueError(val)


def default_expr(val, name=""):
    """A TypeScript value that the (required) validator accepts; None when there is none (ids)."""
    val = deref(strip(val))
    k = val[0]
    if k == "string":
        return '"Untitled"' if name in ("title", "name", "label") else '""'
    if k == "number":
        return "Date.now()" if name.endswith("At") else "0"
    if k == "boolean":
        return "false"
    if k == "lit":
        return js_str(val[1][0])
    if k == "union":
        return default_expr(val[1][0], name)
    if k == "array":
        return "[]"
    if k == "record":
        return "{}"
    if k in ("nullable", "any", "null"):
        return "null"
    if k == "object":
        parts = []
        for n, x in val[1]:
            if is_optional(x):
                continue
            d = default_expr(x, n)
            if d is None:
                return None
            parts.append(f"{n}: {d}")
        return "{ " + ", ".join(parts) + " }" if parts else "{}"
    return None  # ids


def is_scalar(val):
    """Indexable / patchable-from-an-arg scalar."""
    return deref(strip(val))[0] in ("string", "number", "boolean", "lit", "id")


def is_backfillable(val):
    return deref(strip(val))[0] in ("string", "number", "boolean", "lit")


# ---------------------------------------------------------------------------------------------
# names
# ---------------------------------------------------------------------------------------------
NOUNS = [
    ("item", "items"), ("task", "tasks"), ("project", "projects"), ("comment", "comments"),
    ("message", "messages"), ("channel", "channels"), ("document", "documents"), ("file", "files"),
    ("invoice", "invoices"), ("payment", "payments"), ("order", "orders"), ("product", "products"),
    ("customer", "customers"), ("ticket", "tickets"), ("event", "events"), ("note", "notes"),
    ("board", "boards"), ("card", "cards"), ("column", "columns"), ("label", "labels"),
    ("milestone", "milestones"), ("release", "releases"), ("deployment", "deployments"),
    ("workspace", "workspaces"), ("member", "members"), ("invite", "invites"), ("session", "sessions"),
    ("notification", "notifications"), ("subscription", "subscriptions"), ("report", "reports"),
    ("dashboard", "dashboards"), ("widget", "widgets"), ("metric", "metrics"), ("alert", "alerts"),
    ("webhook", "webhooks"), ("integration", "integrations"), ("snippet", "snippets"),
    ("template", "templates"), ("page", "pages"), ("post", "posts"), ("thread", "threads"),
    ("reaction", "reactions"), ("poll", "polls"), ("vote", "votes"), ("survey", "surveys"),
    ("answer", "answers"), ("question", "questions"), ("lesson", "lessons"), ("course", "courses"),
    ("quiz", "quizzes"), ("badge", "badges"), ("reward", "rewards"), ("shipment", "shipments"),
    ("warehouse", "warehouses"), ("supplier", "suppliers"), ("contract", "contracts"),
    ("lead", "leads"), ("deal", "deals"), ("campaign", "campaigns"), ("segment", "segments"),
    ("asset", "assets"), ("folder", "folders"), ("bookmark", "bookmarks"), ("playlist", "playlists"),
    ("track", "tracks"), ("video", "videos"), ("photo", "photos"), ("recipe", "recipes"),
    ("booking", "bookings"), ("room", "rooms"), ("guest", "guests"), ("review", "reviews"),
    ("coupon", "coupons"), ("cart", "carts"), ("category", "categories"), ("activity", "activities"),
    ("entry", "entries"), ("policy", "policies"), ("story", "stories"), ("reply", "replies"),
    ("sprint", "sprints"), ("epic", "epics"), ("goal", "goals"), ("habit", "habits"),
]
PREFIXES = [
    "team", "project", "billing", "chat", "store", "crm", "cms", "support", "analytics", "hr",
    "admin", "shared", "public", "draft", "archived", "org", "agent", "game", "forum", "mail",
]
AREAS = [
    "billing", "chat", "projects", "admin", "crm", "content", "support", "analytics", "store",
    "inbox", "social", "learning", "scheduling", "workflows", "integrations", "settings",
    "reports", "catalog", "shipping", "marketing", "community", "teamspace", "search", "media",
]
TABLE_MODULES = [
    "commerce", "messaging", "planning", "knowledge", "growth", "operations", "identity", "insights",
    "engagement", "logistics",
]
FILE_SUFFIXES = ["", "Queries", "Mutations", "Admin", "Sync", "Search", "Stats", "Export", "Import",
                 "Public", "Internal", "Actions", "Triggers", "Webhooks"]

STATUS_SETS = [
    ["draft", "active", "archived"], ["pending", "approved", "rejected"], ["open", "closed"],
    ["queued", "running", "done", "failed"], ["todo", "in_progress", "blocked", "done"],
    ["active", "paused", "cancelled"],
]
KIND_SETS = [["text", "image", "video"], ["email", "sms", "push"], ["internal", "external"],
             ["bug", "feature", "chore", "docs"], ["one_time", "recurring"]]
SEVERITY = ["info", "warning", "critical"]


def cap(s):
    return s[0].upper() + s[1:]


def singular(table, plural_to_singular):
    return plural_to_singular.get(table, table[:-1] if table.endswith("s") else table)


# ---------------------------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------------------------
@dataclass
class Field:
    name: str
    val: tuple


@dataclass
class Table:
    name: str
    singular: str
    own: list  # [Field]
    groups: list  # names of spread field groups
    indexes: list  # [(name, [fields])]
    search: tuple | None  # (name, searchField, [filterFields])
    location: str  # "schema" or a table-module name
    style: str  # "inline" | "const" | "vobject"
    core: bool = False


@dataclass
class Group:
    name: str
    location: str  # "schema" (local const) or "shared" (convex/tables/shared.ts)
    fields: list  # [Field]


@dataclass
class Version:
    tables: dict  # name -> Table (ordered)
    groups: dict  # name -> Group
    validators: dict  # ref name -> (location, validator)
    migrations: list  # [dict]
    files: dict  # path -> FilePlan
    extra_lib: dict = dc_field(default_factory=dict)  # lib helper additions


@dataclass
class FilePlan:
    path: str  # relative to convex/, without .ts
    table: str
    folder: str
    exports: list  # [dict]


def table_fields(t: Table, groups: dict):
    out = []
    for g in t.groups:
        out.extend(groups[g].fields)
    out.extend(t.own)
    return out


def field_map(t: Table, groups: dict):
    return {f.name: f.val for f in table_fields(t, groups)}


GROUP_FIELD_NAMES = {"createdAt", "updatedAt", "createdBy", "updatedBy", "ownerId", "teamId",
                     "deletedAt", "deletedBy", "metadata"}


def field_pool():
    """(name, factory(rng) -> validator). Types follow the name, as in real schemas."""
    o = lambda r, x, p=0.5: opt(x, r.random() < 0.15) if r.random() < p else x  # noqa: E731
    return [
        ("description", lambda r: opt(S, r.random() < 0.2)),
        ("body", lambda r: S),
        ("summary", lambda r: o(r, S, 0.8)),
        ("slug", lambda r: S),
        ("email", lambda r: o(r, S)),
        ("url", lambda r: o(r, S, 0.7)),
        ("externalId", lambda r: o(r, S, 0.7)),
        ("notes", lambda r: nul(S)),
        ("color", lambda r: o(r, S, 0.8)),
        ("locale", lambda r: o(r, S, 0.7)),
        ("status", lambda r: o(r, lit(*r.choice(STATUS_SETS)), 0.3)),
        ("priority", lambda r: o(r, ("ref", "priorityValidator", lit("low", "medium", "high", "urgent")), 0.4)
            if r.random() < 0.5 else o(r, lit("low", "normal", "high"), 0.4)),
        ("kind", lambda r: lit(*r.choice(KIND_SETS))),
        ("visibility", lambda r: o(r, ("ref", "visibilityValidator", lit("private", "team", "public")), 0.3)),
        ("stage", lambda r: o(r, lit("lead", "qualified", "proposal", "won", "lost"), 0.7)),
        ("severity", lambda r: o(r, lit(*SEVERITY), 0.4)),
        ("count", lambda r: N),
        ("position", lambda r: o(r, N, 0.4)),
        ("score", lambda r: o(r, N, 0.7)),
        ("amount", lambda r: N),
        ("quantity", lambda r: o(r, N, 0.4)),
        ("dueAt", lambda r: o(r, N, 0.8)),
        ("startsAt", lambda r: N),
        ("endsAt", lambda r: o(r, N, 0.8)),
        ("lastSeenAt", lambda r: o(r, N, 0.9)),
        ("durationMs", lambda r: o(r, N, 0.8)),
        ("rating", lambda r: o(r, N, 0.8)),
        ("isArchived", lambda r: o(r, B, 0.7)),
        ("isPinned", lambda r: o(r, B, 0.5)),
        ("isPublic", lambda r: B),
        ("enabled", lambda r: o(r, B, 0.6)),
        ("isDefault", lambda r: o(r, B, 0.8)),
        ("tags", lambda r: arr(S)),
        ("labels", lambda r: opt(arr(S))),
        ("aliases", lambda r: o(r, arr(S), 0.7)),
        ("settings", lambda r: obj(
            ("theme", lit("system", "light", "dark")),
            ("notifications", B),
            ("digest", opt(obj(("frequency", lit("daily", "weekly")), ("hour", N)))),
        )),
        ("address", lambda r: opt(obj(("line1", S), ("city", S), ("zip", opt(S)), ("country", S)))),
        ("stats", lambda r: obj(("views", N), ("likes", N), ("shares", opt(N)))),
        ("attachments", lambda r: arr(obj(("storageId", ("id", "_storage")), ("name", S), ("size", N)))),
        ("geo", lambda r: opt(obj(("lat", N), ("lng", N)))),
        ("externalRef", lambda r: ("union", [S, N])),
        ("archivedReason", lambda r: nul(S)),
        ("payload", lambda r: opt(("any",))),
        ("counters", lambda r: opt(("record", N))),
        ("currency", lambda r: o(r, lit("usd", "eur", "gbp"), 0.3)),
        ("source", lambda r: o(r, lit("web", "ios", "android", "api"), 0.6)),
        ("version", lambda r: o(r, N, 0.3)),
        ("lastError", lambda r: opt(nul(S))),
        ("retries", lambda r: o(r, N, 0.6)),
    ]


# ---------------------------------------------------------------------------------------------
# building the base model
# ---------------------------------------------------------------------------------------------
class Gen:
    def __init__(self, n_tables, n_files, seed):
        self.n_tables = max(3, n_tables)
        self.n_files = max(0, n_files)
        self.seed = seed
        self.rng = random.Random(f"convex-migrate-bench/{seed}")
        self.pool = field_pool()
        self.p2s = {p: s for s, p in NOUNS}
        self.changes = []

    def sub(self, *key):
        return random.Random("/".join(str(k) for k in (self.seed,) + key))

    # -- tables ---------------------------------------------------------------------------
    def table_names(self):
        r = self.rng
        names = [p for _, p in NOUNS]
        r.shuffle(names)
        combos = [pre + cap(p) for pre in PREFIXES for _, p in NOUNS]
        r.shuffle(combos)
        out = ["users", "teams", "auditEvents"]
        for nm in names + combos:
            if len(out) >= self.n_tables:
                break
            out.append(nm)
        k = 2
        while len(out) < self.n_tables:  # very large N
            out.append(f"{names[len(out) % len(names)]}V{k}")
            k += 1
        for nm in combos:
            s = nm[:-1]
            for sg, pl in NOUNS:
                if nm.endswith(cap(pl)):
                    s = nm[: -len(pl)] + cap(sg)
            self.p2s[nm] = s
        self.p2s.update({"users": "user", "teams": "team", "auditEvents": "auditEvent"})
        return out

    def build_base(self):
        r = self.rng
        groups = {
            "auditFields": Group("auditFields", "shared", [
                Field("createdAt", N), Field("updatedAt", N), Field("createdBy", opt(("id", "users")))]),
            "ownershipFields": Group("ownershipFields", "shared", [
                Field("ownerId", ("id", "users")), Field("teamId", opt(("id", "teams")))]),
            "softDeleteFields": Group("softDeleteFields", "schema", [
                Field("deletedAt", opt(N)), Field("deletedBy", opt(("id", "users")))]),
            "metadataFields": Group("metadataFields", "schema", [
                Field("metadata", opt(obj(("source", S), ("importedAt", opt(N)), ("tags", arr(S)))))]),
        }
        validators = {
            "visibilityValidator": ("shared", lit("private", "team", "public")),
            "priorityValidator": ("schema", lit("low", "medium", "high", "urgent")),
        }
        names = self.table_names()
        n = len(names)
        # tables that the working tree will drop: nothing references them
        non_core = names[3:]
        n_remove = min(3, max(0, len(non_core) // 6))
        self.removed_tables = sorted(r.sample(non_core, n_remove), key=names.index)
        referencable = [t for t in names if t not in self.removed_tables]
        n_modules = min(len(TABLE_MODULES), max(1, n // 40))
        modules = TABLE_MODULES[:n_modules]

        tables = {}
        tables["users"] = Table("users", "user", [
            Field("name", S), Field("email", S), Field("tokenIdentifier", S), Field("imageUrl", opt(S)),
            Field("role", lit("owner", "admin", "member", "viewer")), Field("lastSeenAt", opt(N)),
        ], [], [("by_token", ["tokenIdentifier"]), ("by_email", ["email"])], None, "schema", "const", True)
        tables["teams"] = Table("teams", "team", [
            Field("name", S), Field("slug", S), Field("ownerId", ("id", "users")),
            Field("plan", lit("free", "pro", "enterprise")),
        ], ["auditFields"], [("by_slug", ["slug"]), ("by_owner", ["ownerId"])], None, "schema", "inline", True)
        tables["auditEvents"] = Table("auditEvents", "auditEvent", [
            Field("kind", S), Field("ref", S), Field("at", N), Field("actorId", opt(("id", "users"))),
        ], [], [("by_ref", ["ref"]), ("by_at", ["at"])], None, "schema", "inline", True)

        for i, name in enumerate(names[3:], start=3):
            tr = self.sub("table", name)
            grp = []
            if tr.random() < 0.55:
                grp.append("auditFields")
            if tr.random() < 0.35:
                grp.append("ownershipFields")
            location = "schema" if tr.random() < 0.62 else modules[i % len(modules)]
            if location == "schema":
                if tr.random() < 0.2:
                    grp.append("softDeleteFields")
                if tr.random() < 0.12:
                    grp.append("metadataFields")
            n_group = sum(len(groups[g].fields) for g in grp)
            total = tr.randint(max(4, n_group + 2), max(12, n_group + 2))
            n_own = max(2, total - n_group)
            first = tr.choice(["title", "name", "label"])
            own = [Field(first, S)]
            taken = {first} | GROUP_FIELD_NAMES
            # references to other tables
            n_ids = tr.choice([0, 1, 1, 2, 2, 3])
            cands = [t for t in referencable[:max(3, i)] if t not in (name, "auditEvents")]
            for other in tr.sample(cands, min(n_ids, len(cands), n_own - 1)):
                fname = f"{self.p2s.get(other, other[:-1])}Id"
                if fname in taken:
                    continue
                taken.add(fname)
                own.append(Field(fname, ("id", other) if tr.random() < 0.6 else opt(("id", other))))
            if tr.random() < 0.1 and "parentId" not in taken:
                taken.add("parentId")
                own.append(Field("parentId", opt(("id", name))))
            pool = [p for p in self.pool if p[0] not in taken]
            for pname, fac in tr.sample(pool, max(0, min(len(pool), n_own - len(own)))):
                own.append(Field(pname, fac(tr)))
            # indexes
            t = Table(name, self.p2s.get(name, name[:-1]), own, grp, [], None, location,
                      "const" if tr.random() < 0.1 else ("vobject" if tr.random() < 0.03 else "inline"))
            fm = field_map(t, groups)
            indexable = [f for f, x in fm.items() if is_scalar(x) and f not in ("createdBy", "deletedBy")]
            pref = [f for f in indexable if f.endswith("Id") or f in ("status", "slug", "kind", "startsAt")]
            picks = []
            for f in pref + tr.sample(indexable, len(indexable)):
                if f not in picks:
                    picks.append(f)
            for f in picks[: tr.randint(1, 3)]:
                t.indexes.append((f"by_{f}", [f]))
            if len(picks) >= 2 and tr.random() < 0.25:
                a, b = picks[0], picks[1]
                t.indexes.append((f"by_{a}_and_{b}", [a, b]))
            if tr.random() < 0.1:
                texts = [f.name for f in own if strip(f.val) == S and not is_optional(f.val)]
                filt = [f for f in fm if deref(strip(fm[f]))[0] == "lit"][:1]
                if texts:
                    t.search = (f"search_{texts[0]}", texts[0], filt)
            tables[name] = t
        self.modules = modules
        schema_tables = [t for t in tables if tables[t].location == "schema"]
        slots = {}
        for k, m in enumerate(modules):
            slots.setdefault(int(len(schema_tables) * (k + 1) / (len(modules) + 1)), []).append(m)
        self.spread_anchors = [(t, slots.get(i, [])) for i, t in enumerate(schema_tables)]
        self.spread_anchors.append(("", slots.get(len(schema_tables), [])))
        return Version(tables, groups, validators, [], {})

    # -- function files -------------------------------------------------------------------------
    def plan_files(self, ver: Version):
        r = self.rng
        names = list(ver.tables)
        n_folders = max(1, len(names) // 5)
        folders = []
        for i in range(n_folders):
            base = AREAS[i % len(AREAS)]
            folders.append(base if i < len(AREAS) else f"{base}{i // len(AREAS) + 1}")
        self.table_folder = {t: folders[i % n_folders] for i, t in enumerate(names)}
        per = {t: 0 for t in names}
        if self.n_files >= len(names):
            for t in names:
                per[t] = self.n_files // len(names)
            for t in r.sample(names, self.n_files - sum(per.values())):
                per[t] += 1
        else:
            for t in r.sample(names, self.n_files):
                per[t] = 1
        files = {}
        for t in names:
            for j in range(per[t]):
                fp = self.plan_file(ver, t, j)
                files[fp.path] = fp
        ver.files = files

    def file_path(self, table, j, tr):
        folder = self.table_folder[table]
        nm = table + FILE_SUFFIXES[j] if j < len(FILE_SUFFIXES) else f"{table}Ops{j}"
        x = tr.random()
        if x < 0.07:
            return nm
        if x < 0.2:
            return f"{folder}/jobs/{nm}"
        return f"{folder}/{nm}"

    def plan_file(self, ver, table, j, tag="f"):
        tr = self.sub(tag, table, j)
        path = self.file_path(table, j, tr)
        t = ver.tables[table]
        n_exports = tr.randint(2, 6)
        kinds = ["list", "paginate", "get", "create", "update", "remove", "bulk_loop", "bulk_map",
                 "helper", "stats", "with_ref", "action"]
        weights = [14, 8, 12, 12, 14, 7, 6, 5, 8, 5, 5, 4]
        exports = []
        used = set()
        while len(exports) < n_exports:
            kind = tr.choices(kinds, weights)[0]
            if kind == "action":
                if n_exports - len(exports) < 3 or "action" in used:
                    continue
                exports.extend(self.plan_action(tr, t, used))
                continue
            exports.append(self.plan_export(tr, t, kind, used))
        return FilePlan(path, table, self.table_folder[table], exports)

    def uniq(self, name, used):
        n, k = name, 2
        while n in used:
            n = f"{name}{k}"
            k += 1
        used.add(n)
        return n

    def plan_export(self, tr, t: Table, kind, used):
        own_names = [f.name for f in t.own]
        scal = [f.name for f in t.own[1:] if is_scalar(f.val) and deref(strip(f.val))[0] != "id"]
        e = {"kind": kind, "idx": tr.randint(0, 5), "tableFirst": tr.random() < 0.3,
             "pick": tr.sample(scal, min(2, len(scal))) if scal else [own_names[0]],
             "args": tr.sample(own_names, min(3, len(own_names))), "spread": tr.random() < 0.35,
             "internal": tr.random() < 0.2, "log": tr.random() < 0.3, "x": tr.random()}
        base = {
            "list": "listBy", "paginate": "list", "get": "get", "create": "create", "update": "update",
            "remove": "remove", "bulk_loop": "archiveAll", "bulk_map": "resetAll", "helper": "touch",
            "stats": "stats", "with_ref": "listWithDetails",
        }[kind]
        if kind == "list":
            base = "listByIndex"
        if kind == "update" and e["pick"]:
            base = "set" + cap(e["pick"][0])
        e["name"] = self.uniq(base, used)
        return e

    def plan_action(self, tr, t, used):
        pick = [f.name for f in t.own[1:] if is_scalar(f.val) and deref(strip(f.val))[0] != "id"][:1] \
            or [t.own[0].name]
        load = self.uniq("loadForSync", used)
        apply = self.uniq("applySync", used)
        act = self.uniq("sync", used)
        sched = tr.random() < 0.4
        return [
            {"kind": "a_load", "name": load, "x": tr.random()},
            {"kind": "a_apply", "name": apply, "pick": pick, "tableFirst": tr.random() < 0.3, "x": tr.random()},
            {"kind": "a_action", "name": act, "load": load, "apply": apply, "pick": pick, "sched": sched,
             "x": tr.random()},
        ]

    def plan_helpers(self, ver):
        """lib helper choice per table: the field set{T}{F} writes."""
        self.helper_field = {}
        self.helper_tf = {}
        for t in ver.tables.values():
            lits = [f.name for f in t.own[1:] if deref(strip(f.val))[0] == "lit"]
            scal = [f.name for f in t.own[1:] if is_scalar(f.val) and deref(strip(f.val))[0] != "id"]
            self.helper_field[t.name] = (lits or scal or [t.own[0].name])[0]
            self.helper_tf[t.name] = self.sub("helper", t.name).random() < 0.5

    # -- differences ------------------------------------------------------------------------------
    def apply_changes(self, base: Version) -> Version:
        r = self.sub("changes")
        w = copy.deepcopy(base)
        used = set()
        cand_tables = [t for t in base.tables.values() if not t.core and t.name not in self.removed_tables]
        indexed = {}
        for t in base.tables.values():
            s = set(f for _, fs in t.indexes for f in fs)
            if t.search:
                s.add(t.search[1])
                s.update(t.search[2])
            indexed[t.name] = s

        def own_cands(pred):
            out = []
            for t in cand_tables:
                for i, f in enumerate(t.own):
                    if i == 0 or (t.name, f.name) in used:
                        continue
                    if deref(strip(f.val))[0] == "id":
                        continue
                    if pred(t, f):
                        out.append((t.name, f.name))
            return out

        def take(cands, k):
            cands = [c for c in cands if c not in used]
            picks = r.sample(cands, min(k, len(cands)))
            # keep distinct per table when possible
            for c in picks:
                used.add(c)
            return picks

        def wfield(tn, fn):
            for f in w.tables[tn].own:
                if f.name == fn:
                    return f
            raise KeyError((tn, fn))

        def note(kind, table, fieldname, rule, detail):
            self.changes.append({"kind": kind, "table": table, "field": fieldname, "expect": rule,
                                 "detail": detail})

        self.backfills_base = []  # (table, field, kind)
        self.backfills_working = []

        # optional -> required, backfill deployed at the base
        opt_scalar = lambda t, f: is_optional(f.val) and is_backfillable(f.val)  # noqa: E731
        for tn, fn in take(own_cands(opt_scalar), 5):
            f = wfield(tn, fn)
            f.val = strip(f.val)
            self.backfills_base.append((tn, fn, "backfill"))
            note("made-required", tn, fn, "backfill-unverified", "v.optional(X) -> X; backfill in base migrations.ts")
        # optional -> required, no backfill
        for tn, fn in take(own_cands(opt_scalar), 4):
            wfield(tn, fn).val = strip(wfield(tn, fn).val)
            note("made-required", tn, fn, "required-without-backfill", "v.optional(X) -> X; no backfill")
        # optional -> required, backfill written only in the working tree
        for tn, fn in take(own_cands(opt_scalar), 2):
            wfield(tn, fn).val = strip(wfield(tn, fn).val)
            self.backfills_working.append((tn, fn, "backfill"))
            note("made-required", tn, fn, "required-without-backfill",
                 "v.optional(X) -> X; backfill only in the working tree's migrations.ts")
        # new required fields
        newreq = [p for p in self.pool if p[0] in ("severity", "currency", "source", "version", "retries",
                                                      "isPinned", "color", "locale", "kind")]
        for t in r.sample(cand_tables, min(3, len(cand_tables))):
            wt = w.tables[t.name]
            have = {f.name for f in table_fields(wt, w.groups)}
            opts = [p for p in newreq if p[0] not in have]
            if not opts:
                continue
            pname, fac = r.choice(opts)
            val = strip(fac(self.sub("newreq", t.name)))
            if val[0] == "ref":
                val = val[2]
            wt.own.append(Field(pname, val))
            used.add((t.name, pname))
            note("added-required", t.name, pname, "required-without-backfill", "new field, required from the start")
        # optional fields added (widening)
        addopt = [p for p in self.pool if p[0] not in ("settings", "attachments", "stats")]
        for t in r.sample(cand_tables, min(8, len(cand_tables))):
            wt = w.tables[t.name]
            have = {f.name for f in table_fields(wt, w.groups)}
            opts = [p for p in addopt if p[0] not in have]
            if not opts:
                continue
            pname, fac = r.choice(opts)
            val = fac(self.sub("addopt", t.name))
            wt.own.append(Field(pname, val if is_optional(val) else opt(val)))
            used.add((t.name, pname))
            note("added-optional", t.name, pname, None, "widening")
        w.groups["auditFields"].fields.append(Field("updatedBy", opt(("id", "users"))))
        note("added-optional", "*auditFields", "updatedBy", None, "widening of a shared, spread field group")
        # removed fields
        removable = lambda t, f: f.name not in indexed[t.name]  # noqa: E731
        rem_opt = lambda t, f: removable(t, f) and is_optional(f.val)  # noqa: E731
        for tn, fn in take(own_cands(rem_opt), 2):
            w.tables[tn].own = [f for f in w.tables[tn].own if f.name != fn]
            self.backfills_base.append((tn, fn, "unset"))
            note("removed-field", tn, fn, "backfill-unverified", "unset migration in base migrations.ts")
        for tn, fn in take(own_cands(removable), 4):
            w.tables[tn].own = [f for f in w.tables[tn].own if f.name != fn]
            note("removed-field", tn, fn, "removed-field", "no unset migration")
        # narrowing
        lit_field = lambda t, f: strip(f.val)[0] == "lit" and len(strip(f.val)[1]) >= 2  # noqa: E731
        for tn, fn in take(own_cands(lit_field), 4):
            f = wfield(tn, fn)
            inner = strip(f.val)
            gone = inner[1][-1]
            newinner = ("lit", inner[1][:-1])
            f.val = ("optional", newinner, f.val[2]) if is_optional(f.val) else newinner
            note("narrowed-union", tn, fn, "narrowed-type", f"literal {gone!r} removed")
        nullable = lambda t, f: f.val[0] == "nullable"  # noqa: E731
        for tn, fn in take(own_cands(nullable), 2):
            f = wfield(tn, fn)
            f.val = f.val[1]
            note("narrowed-nullable", tn, fn, "narrowed-type", "v.nullable(X) -> X")
        union_t = lambda t, f: strip(f.val)[0] == "union"  # noqa: E731
        for tn, fn in take(own_cands(union_t), 1):
            f = wfield(tn, fn)
            f.val = S
            note("narrowed-union", tn, fn, "narrowed-type", "v.union(v.string(), v.number()) -> v.string()")
        nested = lambda t, f: f.name == "settings"  # noqa: E731
        for tn, fn in take(own_cands(nested), 1):
            f = wfield(tn, fn)
            f.val = obj(("theme", lit("system", "light")), *f.val[1][1:])
            note("narrowed-nested", tn, fn, "narrowed-type", "settings.theme loses 'dark'")
        # widening of unions, optional wrap (silent)
        for tn, fn in take(own_cands(lit_field), 3):
            f = wfield(tn, fn)
            inner = strip(f.val)
            newinner = ("lit", inner[1] + ["other"])
            f.val = ("optional", newinner, f.val[2]) if is_optional(f.val) else newinner
            note("widened-union", tn, fn, None, "literal 'other' added")
        req_scalar = lambda t, f: not is_optional(f.val) and is_backfillable(f.val)  # noqa: E731
        for tn, fn in take(own_cands(req_scalar), 2):
            f = wfield(tn, fn)
            f.val = opt(f.val)
            note("made-optional", tn, fn, None, "widening")
        self.touched = used
        # indexes added
        for t in r.sample(cand_tables, min(3, len(cand_tables))):
            wt = w.tables[t.name]
            have = {i for _, fs in wt.indexes for i in fs}
            fm = field_map(wt, w.groups)
            opts = [f for f, x in fm.items() if is_scalar(x) and f not in have]
            if opts:
                f = r.choice(opts)
                wt.indexes.append((f"by_{f}", [f]))
                note("added-index", t.name, f, None, f"index by_{f}")
        # tables removed / added
        for tn in self.removed_tables:
            del w.tables[tn]
            note("removed-table", tn, None, "removed-table", "table and its function files removed")
        self.added_tables = []
        for k in range(2):
            src = cand_tables[(k * 7) % len(cand_tables)] if cand_tables else None
            if src is None:
                break
            nm = f"{src.singular}Revisions"
            if nm in w.tables:
                continue
            own = [Field("title", S), Field(f"{src.singular}Id", ("id", src.name)),
                   Field("changedAt", N), Field("note", opt(S))]
            w.tables[nm] = Table(nm, f"{src.singular}Revision", own, [], [(f"by_{src.singular}Id",
                                 [f"{src.singular}Id"])], None, src.location, "inline")
            self.p2s[nm] = f"{src.singular}Revision"
            self.added_tables.append(nm)
            note("added-table", nm, None, None, f"new table referencing {src.name}")
        return w

    def edit_files(self, base: Version, w: Version):
        r = self.sub("edits")
        # files of removed tables go away
        for p in list(w.files):
            if w.files[p].table not in w.tables:
                del w.files[p]
        live = sorted(p for p, fp in w.files.items() if fp.table not in self.added_tables
                      and not base.tables[fp.table].core)
        if not live:
            return

        def note(kind, path, detail, rule=None):
            self.changes.append({"kind": kind, "path": f"convex/{path}.ts", "expect": rule, "detail": detail})

        picks = r.sample(live, min(12, len(live)))
        it = iter(picks)
        for p in [next(it, None) for _ in range(3)]:
            if p is None:
                break
            fp = w.files[p]
            tr = self.sub("edit-add", p)
            used = {e["name"] for e in fp.exports}
            e = self.plan_export(tr, w.tables[fp.table], tr.choice(["update", "bulk_loop", "create"]), used)
            fp.exports.append(e)
            note("added-export", p, f"new {e['kind']} export {e['name']}")
        for p in [next(it, None) for _ in range(2)]:
            if p is None:
                break
            fp = w.files[p]
            plain = [e for e in fp.exports if not e["kind"].startswith("a_")]
            if len(plain) >= 2:
                gone = plain[-1]
                fp.exports.remove(gone)
                note("removed-export", p, f"export {gone['name']} removed")
        for p in [next(it, None) for _ in range(2)]:
            if p is None:
                break
            fp = w.files[p]
            ups = [e for e in fp.exports if e["kind"] in ("update", "create")]
            if ups:
                ups[0]["spread"] = not ups[0]["spread"]
                ups[0]["tableFirst"] = not ups[0]["tableFirst"]
                note("edited-export", p, f"export {ups[0]['name']} rewritten")
        for p in [next(it, None) for _ in range(2)]:
            if p is None:
                break
            del w.files[p]
            note("deleted-file", p, "function file deleted")
        # a mutation that unsets a field which just became required
        req = [c for c in self.changes if c["kind"] == "made-required"]
        p = next(it, None)
        if req and p is not None:
            c = req[-1]
            fp = w.files.get(p)
            cand = [q for q, f in w.files.items() if f.table == c["table"]]
            if cand:
                fp = w.files[sorted(cand)[0]]
                used = {e["name"] for e in fp.exports}
                fp.exports.append({"kind": "unset", "name": self_uniq(f"clear{cap(c['field'])}", used),
                                   "field": c["field"], "x": 0.0})
                note("added-export", fp.path, f"clears {c['table']}.{c['field']}", "invalid-value")
        # dual write: an update of the source table now also records a revision
        for nm in self.added_tables:
            rev = w.tables[nm]
            src = [f for f in rev.own if f.name.endswith("Id")][0].val[1]
            cand = sorted(q for q, f in w.files.items() if f.table == src)
            if cand:
                fp = w.files[cand[0]]
                used = {e["name"] for e in fp.exports}
                fp.exports.append({"kind": "dual", "name": self_uniq("rename", used), "rev": nm, "x": 0.0})
                note("added-export", fp.path, f"writes {src}.{w.tables[src].own[0].name} and inserts into {nm} "
                     f"(new table): an inferred dual-write pair; the other writers of "
                     f"{src}.{w.tables[src].own[0].name} write one side", "dual-write-one-side")
            self.table_folder[nm] = self.table_folder[src]
            fp = self.plan_file(w, nm, 0, tag="nf")
            w.files[fp.path] = fp
            note("added-file", fp.path, f"functions of new table {nm}")
        for k in range(2):
            t = r.choice([t for t in w.tables.values() if not t.core and t.name not in self.added_tables])
            fp = self.plan_file(w, t.name, 40 + k, tag="nf")
            if fp.path not in w.files:
                w.files[fp.path] = fp
                note("added-file", fp.path, f"new functions for {t.name}")


def self_uniq(name, used):
    n, k = name, 2
    while n in used:
        n = f"{name}{k}"
        k += 1
    used.add(n)
    return n


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------
class Renderer:
    def __init__(self, gen: Gen, ver: Version, migrations: list):
        self.g = gen
        self.v = ver
        self.migrations = migrations

    # -- schema -----------------------------------------------------------------------------------
    def table_expr(self, t: Table, indent):
        pad = " " * indent
        if t.style == "const":
            head = f"defineTable({t.singular}Fields)"
        else:
            body = self.fields_block(t, indent + 2)
            head = f"defineTable(v.object({body}))" if t.style == "vobject" else f"defineTable({body})"
        chain = []
        for name, fs in t.indexes:
            chain.append(f'{pad}  .index("{name}", [{", ".join(js_str(f) for f in fs)}])')
        if t.search:
            sn, sf, ff = t.search
            filt = f", filterFields: [{', '.join(js_str(f) for f in ff)}]" if ff else ""
            chain.append(f'{pad}  .searchIndex("{sn}", {{ searchField: "{sf}"{filt} }})')
        return head + ("\n" + "\n".join(chain) if chain else "")

    def fields_block(self, t: Table, indent):
        pad = " " * indent
        lines = [f"{pad}...{g}," for g in t.groups]
        for f in t.own:
            lines.append(f"{pad}{f.name}: {render_val(f.val, indent)},")
        return "{\n" + "\n".join(lines) + "\n" + " " * (indent - 2) + "}"

    def const_fields(self, t: Table):
        return f"const {t.singular}Fields = {self.fields_block(t, 2)};\n"

    def render_schema(self):
        v = self.v
        shared_groups = [g for g in v.groups.values() if g.location == "shared"]
        used_groups = {g for t in v.tables.values() if t.location == "schema" for g in t.groups}
        used_refs = {strip(f.val)[1] for t in v.tables.values() if t.location == "schema"
                     for f in t.own if strip(f.val)[0] == "ref"}
        out = ['import { defineSchema, defineTable } from "convex/server";',
               'import { v } from "convex/values";']
        imp = [g.name for g in shared_groups if g.name in used_groups]
        imp += sorted(r for r in used_refs if v.validators[r][0] == "shared")
        if imp:
            out.append(f'import {{ {", ".join(imp)} }} from "./tables/shared";')
        for m in self.g.modules:
            out.append(f'import {{ {m}Tables }} from "./tables/{m}";')
        out.append("")
        for name, (loc, val) in v.validators.items():
            if loc == "schema":
                out.append(f"export const {name} = {render_val(val, 0)};\n")
        for g in v.groups.values():
            if g.location == "schema":
                out.append(f"const {g.name} = {{")
                for f in g.fields:
                    out.append(f"  {f.name}: {render_val(f.val, 2)},")
                out.append("};\n")
        for t in v.tables.values():
            if t.location == "schema" and t.style == "const":
                out.append(self.const_fields(t))
        out.append("export default defineSchema({")
        # module spreads sit between inline tables, as they accrete in real schemas; each keeps its
        # place (before the same base table) in both versions
        pending = []
        for name, mods in self.g.spread_anchors:
            pending.extend(mods)
            t = v.tables.get(name)
            if t is None or t.location != "schema":
                continue
            for m in pending:
                out.append(f"  ...{m}Tables,")
            pending = []
            out.append(f"  {t.name}: {self.table_expr(t, 2)},")
        for m in pending:
            out.append(f"  ...{m}Tables,")
        known = {name for name, _ in self.g.spread_anchors}
        for t in v.tables.values():  # tables new in this version go last
            if t.location == "schema" and t.name not in known:
                out.append(f"  {t.name}: {self.table_expr(t, 2)},")
        out.append("});\n")
        return "\n".join(out)

    def render_shared(self):
        out = ['import { v } from "convex/values";', ""]
        for name, (loc, val) in self.v.validators.items():
            if loc == "shared":
                out.append(f"export const {name} = {render_val(val, 0)};\n")
        for g in self.v.groups.values():
            if g.location == "shared":
                out.append(f"export const {g.name} = {{")
                for f in g.fields:
                    out.append(f"  {f.name}: {render_val(f.val, 2)},")
                out.append("};\n")
        return "\n".join(out)

    def render_module(self, m):
        ts = [t for t in self.v.tables.values() if t.location == m]
        gr = sorted({g for t in ts for g in t.groups})
        refs = sorted({strip(f.val)[1] for t in ts for f in t.own if strip(f.val)[0] == "ref"})
        out = ['import { defineTable } from "convex/server";', 'import { v } from "convex/values";']
        imp = gr + [r for r in refs if self.v.validators[r][0] == "shared"]
        if imp:
            out.append(f'import {{ {", ".join(imp)} }} from "./shared";')
        out.append("")
        for r in refs:  # a validator schema.ts keeps to itself is re-declared here, as people do
            if self.v.validators[r][0] != "shared":
                out.append(f"const {r} = {render_val(self.v.validators[r][1], 0)};\n")
        for t in ts:
            if t.style == "const":
                out.append(self.const_fields(t))
        out.append(f"export const {m}Tables = {{")
        for t in ts:
            out.append(f"  {t.name}: {self.table_expr(t, 2)},")
        out.append("};\n")
        return "\n".join(out)

    # -- helpers -----------------------------------------------------------------------------------
    def has_audit(self, t: Table):
        return "auditFields" in t.groups

    def helper_field(self, t: Table):
        fm = field_map(t, self.v.groups)
        f = self.g.helper_field.get(t.name)
        if f not in fm:
            f = t.own[0].name
        return f

    def render_lib(self, folder):
        ts = [t for t in self.v.tables.values() if self.g.table_folder.get(t.name) == folder]
        out = ['import type { MutationCtx, QueryCtx } from "../_generated/server";',
               'import type { Doc, Id } from "../_generated/dataModel";', ""]
        for t in ts:
            T = cap(t.singular)
            out.append(f"export async function get{T}OrThrow(ctx: QueryCtx, id: Id<{js_str(t.name)}>): "
                       f"Promise<Doc<{js_str(t.name)}>> {{")
            out.append("  const doc = await ctx.db.get(id);")
            out.append(f'  if (doc === null) throw new Error(`{t.singular} ${{id}} not found`);')
            out.append("  return doc;\n}\n")
            if self.has_audit(t):
                out.append(f"export async function touch{T}(ctx: MutationCtx, id: Id<{js_str(t.name)}>) {{")
                out.append("  await ctx.db.patch(id, { updatedAt: Date.now() });\n}\n")
            f = self.helper_field(t)
            out.append(f"export async function set{T}{cap(f)}(\n  ctx: MutationCtx,\n  id: Id<{js_str(t.name)}>,\n"
                       f"  value: Doc<{js_str(t.name)}>[{js_str(f)}],\n) {{")
            if self.g.helper_tf.get(t.name):
                out.append(f"  await ctx.db.patch({js_str(t.name)}, id, {{ {f}: value }});")
            else:
                out.append(f"  await ctx.db.patch(id, {{ {f}: value }});")
            if self.has_audit(t):
                out.append(f"  await touch{T}(ctx, id);")
            out.append("}\n")
        return "\n".join(out)

    def render_audit_lib(self):
        return "\n".join([
            'import type { MutationCtx } from "../_generated/server";',
            'import type { Id } from "../_generated/dataModel";',
            "",
            "export async function logEvent(",
            "  ctx: MutationCtx,",
            "  kind: string,",
            "  ref: string,",
            '  actorId?: Id<"users">,',
            ") {",
            '  await ctx.db.insert("auditEvents", { kind, ref, at: Date.now(), actorId });',
            "}",
            "",
        ])

    # -- function files --------------------------------------------------------------------------
    def render_file(self, fp: FilePlan):
        t = self.v.tables[fp.table]
        depth = fp.path.count("/")
        up = "./" if depth == 0 else "../" * depth
        self.imp = {"server": set(), "v": False, "ConvexError": False, "pagination": False,
                    "internal": False, "types": set(), "lib": set(), "audit": False}
        self.fp = fp
        bodies = [self.render_export(t, e) for e in fp.exports]
        imp = self.imp
        out = []
        vals = (["ConvexError"] if imp["ConvexError"] else []) + (["v"] if imp["v"] else [])
        if vals:
            out.append(f'import {{ {", ".join(vals)} }} from "convex/values";')
        if imp["pagination"]:
            out.append('import { paginationOptsValidator } from "convex/server";')
        order = ["query", "internalQuery", "mutation", "internalMutation", "action", "internalAction"]
        out.append(f'import {{ {", ".join(b for b in order if b in imp["server"])} }} from "{up}_generated/server";')
        if imp["internal"]:
            out.append(f'import {{ internal }} from "{up}_generated/api";')
        if imp["types"]:
            out.append(f'import type {{ {", ".join(sorted(imp["types"]))} }} from "{up}_generated/dataModel";')
        if imp["lib"]:
            out.append(f'import {{ {", ".join(sorted(imp["lib"]))} }} from "{up}lib/{fp.folder}";')
        if imp["audit"]:
            out.append(f'import {{ logEvent }} from "{up}lib/audit";')
        return "\n".join(out) + "\n\n" + "\n\n".join(bodies) + "\n"

    def arg_val(self, val, optional=False):
        self.imp["v"] = True
        s = render_val(strip(val), 4, expand_refs=True)
        return f"v.optional({s})" if optional else s

    def fn(self, builder, name, args, body, ret=""):
        self.imp["server"].add(builder)
        lines = [f"export const {name} = {builder}({{"]
        if args:
            self.imp["v"] = True
            lines.append("  args: {")
            for k, a in args:
                lines.append(f"    {k}: {a},")
            lines.append("  },")
            lines.append(f"  handler: async (ctx, args){ret} => {{")
        else:
            lines.append("  args: {},")
            lines.append(f"  handler: async (ctx){ret} => {{")
        for b in body:
            lines.append(("    " + b) if b else "")
        lines.append("  },")
        lines.append("});")
        return "\n".join(lines)

    def index_for(self, t: Table, e):
        if not t.indexes:
            return None
        return t.indexes[e.get("idx", 0) % len(t.indexes)]

    def index_query(self, t, e, fm, args):
        """Returns the query chain lines, adding the index args to `args`."""
        ix = self.index_for(t, e)
        if ix is None:
            return ["ctx.db", f"  .query({js_str(t.name)})"]
        name, fs = ix
        first = fs[0]
        args.append((first, self.arg_val(fm[first])))
        return [f"ctx.db", f"  .query({js_str(t.name)})",
                f'  .withIndex({js_str(name)}, (q) => q.eq({js_str(first)}, args.{first}))']

    def picks(self, t, e, fm):
        p = [f for f in e.get("pick", []) if f in fm]
        if not p:
            p = [f.name for f in t.own if f.name in fm and is_scalar(f.val)
                 and deref(strip(f.val))[0] != "id"][:1] or [t.own[0].name]
        return p

    def value_for(self, name, val):
        d = default_expr(val, name)
        return d if d is not None else "undefined"

    def render_export(self, t: Table, e):
        fm = field_map(t, self.v.groups)
        k = e["kind"]
        T = cap(t.singular)
        tn = js_str(t.name)
        name = e["name"]
        x = e.get("x", 0.0)
        if k == "list":
            args = []
            q = self.index_query(t, e, fm, args)
            shown = self.picks(t, e, fm)[0]
            body = ["const docs = await " + q[0]] + q[1:] + ["  .collect();"]
            if x < 0.5:
                body.append(f"return docs.map((d) => ({{ _id: d._id, {shown}: d.{shown} }}));")
            else:
                body.append("return docs;")
            return self.fn("internalQuery" if e.get("internal") else "query", name, args, body)
        if k == "paginate":
            self.imp["pagination"] = True
            args = [("paginationOpts", "paginationOptsValidator")]
            if x < 0.5 and t.indexes:
                q = self.index_query(t, e, fm, args)
                body = ["return await " + q[0]] + q[1:] + ['  .order("desc")', "  .paginate(args.paginationOpts);"]
            else:
                body = ["return await ctx.db", f"  .query({tn})", '  .order("desc")',
                        "  .paginate(args.paginationOpts);"]
            return self.fn("query", name, args, body)
        if k == "get":
            self.imp["v"] = True
            args = [("id", f"v.id({tn})")]
            get = f"ctx.db.get({tn}, args.id)" if e.get("tableFirst") else "ctx.db.get(args.id)"
            body = [f"const doc = await {get};", "if (doc === null) return null;"]
            shown = self.picks(t, e, fm)[0]
            if x < 0.5:
                body.append(f"return {{ ...doc, {shown}: doc.{shown} }};")
            else:
                body.append("return doc;")
            return self.fn("internalQuery" if e.get("internal") else "query", name, args, body)
        if k in ("create",):
            return self.render_create(t, e, fm)
        if k == "update":
            self.imp["v"] = True
            p = self.picks(t, e, fm)
            args = [("id", f"v.id({tn})")] + [(f, self.arg_val(fm[f])) for f in p]
            extra = ", updatedAt: Date.now()" if "updatedAt" in fm else ""
            if e.get("spread"):
                body = ["const { id, ...fields } = args;"]
                if e.get("tableFirst"):
                    body.append(f"await ctx.db.patch({tn}, id, {{ ...fields{extra} }});")
                else:
                    body.append(f"await ctx.db.patch(id, {{ ...fields{extra} }});")
            else:
                obj_ = ", ".join(f"{f}: args.{f}" for f in p) + extra
                if e.get("tableFirst"):
                    body = [f"await ctx.db.patch({tn}, args.id, {{ {obj_} }});"]
                else:
                    body = [f"await ctx.db.patch(args.id, {{ {obj_} }});"]
            if e.get("log"):
                self.imp["audit"] = True
                body.append(f'await logEvent(ctx, "{t.singular}.updated", args.id);')
            return self.fn("internalMutation" if e.get("internal") else "mutation", name, args, body)
        if k == "remove":
            self.imp["v"] = True
            args = [("id", f"v.id({tn})")]
            if x < 0.5:
                self.imp["ConvexError"] = True
                body = ["const existing = await ctx.db.get(args.id);",
                        f'if (!existing) throw new ConvexError("{t.singular} not found");']
            else:
                self.imp["lib"].add(f"get{T}OrThrow")
                body = [f"await get{T}OrThrow(ctx, args.id);"]
            body.append(f"await ctx.db.delete({tn}, args.id);" if e.get("tableFirst")
                        else "await ctx.db.delete(args.id);")
            return self.fn("mutation", name, args, body)
        if k in ("bulk_loop", "bulk_map"):
            args = []
            q = self.index_query(t, e, fm, args)
            p = self.picks(t, e, fm)[0]
            val = self.value_for(p, fm[p])
            if k == "bulk_loop":
                body = ["const docs = await " + q[0]] + q[1:] + ["  .collect();"]
                body += ["for (const doc of docs) {",
                         f"  if (doc.{p} === {val}) continue;" if val.startswith(('"', "0", "f")) else "",
                         f"  await ctx.db.patch(doc._id, {{ {p}: {val} }});", "}", "return docs.length;"]
                body = [b for b in body if b != ""]
            else:
                body = ["const docs = await " + q[0]] + q[1:] + ["  .take(100);"]
                body += [f"await Promise.all(docs.map((d) => ctx.db.patch(d._id, {{ {p}: {val} }})));"]
            return self.fn("internalMutation" if k == "bulk_loop" or e.get("internal") else "mutation",
                           name, args, body)
        if k == "helper":
            self.imp["v"] = True
            args = [("id", f"v.id({tn})")]
            if self.has_audit(t) and x < 0.5:
                self.imp["lib"].add(f"touch{T}")
                body = [f"await touch{T}(ctx, args.id);"]
            else:
                f = self.helper_field(t)
                self.imp["lib"].add(f"set{T}{cap(f)}")
                args.append(("value", self.arg_val(fm[f], optional=is_optional(fm[f]))))
                body = [f"await set{T}{cap(f)}(ctx, args.id, args.value);"]
            return self.fn("mutation", name, args, body)
        if k == "stats":
            args = []
            q = self.index_query(t, e, fm, args)
            nums = [f for f, v_ in fm.items() if deref(strip(v_))[0] == "number" and f not in ("createdAt", "updatedAt")]
            body = ["const docs = await " + q[0]] + q[1:] + ["  .collect();"]
            if nums:
                f = nums[0]
                acc = f"doc.{f} ?? 0" if is_optional(fm[f]) else f"doc.{f}"
                body += ["let total = 0;", "for (const doc of docs) {", f"  total += {acc};", "}",
                         "return { count: docs.length, total };"]
            else:
                body += ["return { count: docs.length };"]
            return self.fn("query", name, args, body)
        if k == "with_ref":
            refs = [(f, v_) for f, v_ in fm.items() if deref(strip(v_))[0] == "id"
                    and strip(v_)[1] != "_storage" and f not in ("createdBy", "deletedBy", "updatedBy")]
            args = []
            q = self.index_query(t, e, fm, args)
            body = ["const docs = await " + q[0]] + q[1:] + ["  .take(50);"]
            if refs:
                f, v_ = refs[0]
                get = f"d.{f} ? await ctx.db.get(d.{f}) : null" if is_optional(v_) else f"await ctx.db.get(d.{f})"
                body += ["return await Promise.all(",
                         "  docs.map(async (d) => ({", "    ...d,", f"    {f[:-2]}: {get},", "  })),", ");"]
            else:
                body += ["return docs;"]
            return self.fn("query", name, args, body)
        if k == "a_load":
            self.imp["v"] = True
            return self.fn("internalQuery", name, [("id", f"v.id({tn})")],
                           ["return await ctx.db.get(args.id);"])
        if k == "a_apply":
            p = self.picks(t, e, fm)[0]
            args = [("id", f"v.id({tn})"), (p, self.arg_val(fm[p]))]
            body = [f"await ctx.db.patch({tn}, args.id, {{ {p}: args.{p} }});" if e.get("tableFirst")
                    else f"await ctx.db.patch(args.id, {{ {p}: args.{p} }});"]
            return self.fn("internalMutation", name, args, body)
        if k == "a_action":
            self.imp["internal"] = True
            self.imp["types"].add("Doc")
            p = self.picks(t, e, fm)[0]
            ref = "internal." + ".".join(self.fp.path.split("/"))
            val = self.value_for(p, fm[p])
            if val == "undefined":
                val = f"doc.{p}"
            body = [f"const doc: Doc<{tn}> | null = await ctx.runQuery({ref}.{e['load']}, {{ id: args.id }});",
                    "if (doc === null) return false;"]
            if e.get("sched"):
                body.append(f"await ctx.scheduler.runAfter(0, {ref}.{e['apply']}, {{ id: args.id, {p}: {val} }});")
            else:
                body.append(f"await ctx.runMutation({ref}.{e['apply']}, {{ id: args.id, {p}: {val} }});")
            body.append("return true;")
            self.imp["v"] = True
            return self.fn("action", name, [("id", f"v.id({tn})")], body, ret=": Promise<boolean>")
        if k == "unset":
            self.imp["v"] = True
            f = e["field"]
            return self.fn("mutation", name, [("id", f"v.id({tn})")],
                           [f"await ctx.db.patch(args.id, {{ {f}: undefined }});"])
        if k == "dual":
            self.imp["v"] = True
            rev = self.v.tables[e["rev"]]
            first = t.own[0].name
            link = [f.name for f in rev.own if f.name.endswith("Id")][0]
            body = ["const now = Date.now();",
                    f"await ctx.db.patch(args.id, {{ {first}: args.{first} }});",
                    f"await ctx.db.insert({js_str(rev.name)}, {{",
                    f"  title: args.{first},", f"  {link}: args.id,", "  changedAt: now,", "});"]
            return self.fn("mutation", name, [("id", f"v.id({tn})"), (first, "v.string()")], body)
        raise ValueError(k)

    def render_create(self, t, e, fm):
        tn = js_str(t.name)
        audit = {"createdAt": "now", "updatedAt": "now"}
        arg_names = set(e.get("args", []))
        args, vals = [], []
        spread = e.get("spread")
        for f, val in fm.items():
            if f in audit:
                vals.append((f, audit[f]))
                continue
            req = not is_optional(val)
            is_id = deref(strip(val))[0] == "id"
            d = default_expr(val, f)
            if spread:
                if req or f in arg_names:
                    args.append((f, self.arg_val(val, optional=not req)))
                continue
            if req and (is_id or d is None or f in arg_names):
                args.append((f, self.arg_val(val)))
                vals.append((f, f"args.{f}"))
            elif req:
                vals.append((f, d))
            elif f in arg_names and not is_id:
                args.append((f, self.arg_val(val, optional=True)))
                vals.append((f, f"args.{f}"))
        body = []
        if "createdAt" in fm:
            body.append("const now = Date.now();")
        if spread:
            extra = "".join(f", {f}: {x}" for f, x in vals)
            body.append(f"const id = await ctx.db.insert({tn}, {{ ...args{extra} }});")
        else:
            body.append(f"const id = await ctx.db.insert({tn}, {{")
            for f, x in vals:
                body.append(f"  {f}: {x}," if f != x else f"  {f},")
            body.append("});")
        if e.get("log"):
            self.imp["audit"] = True
            body.append(f'await logEvent(ctx, "{t.singular}.created", id);')
        body.append("return id;")
        return self.fn("internalMutation" if e.get("internal") else "mutation", e["name"], args, body)

    # -- migrations ----------------------------------------------------------------------------------
    def render_migrations(self):
        out = ['import { v } from "convex/values";',
               'import { internalMutation, internalQuery } from "./_generated/server";',
               'import { internal } from "./_generated/api";', ""]
        out.append("// Backfills run with `npx convex run migrations:<name> '{\"cursor\": null}'`.\n")
        for m in self.migrations:
            out.append(self.render_migration(m))
        return "\n".join(out)

    def render_migration(self, m):
        kind, table, fname, name, val = m["kind"], m["table"], m["field"], m["name"], m.get("value")
        tn = js_str(table)
        if kind in ("backfill", "unset"):
            setv = "undefined" if kind == "unset" else val
            cond = f"doc.{fname} !== undefined" if kind == "unset" else f"doc.{fname} === undefined"
            return "\n".join([
                f"export const {name} = internalMutation({{",
                "  args: { cursor: v.union(v.string(), v.null()) },",
                "  handler: async (ctx, args): Promise<void> => {",
                "    const { page, isDone, continueCursor } = await ctx.db",
                f"      .query({tn})",
                "      .paginate({ cursor: args.cursor, numItems: 100 });",
                "    for (const doc of page) {",
                f"      if ({cond}) {{",
                f"        await ctx.db.patch(doc._id, {{ {fname}: {setv} }});",
                "      }",
                "    }",
                "    if (!isDone) {",
                f"      await ctx.scheduler.runAfter(0, internal.migrations.{name}, {{",
                "        cursor: continueCursor,",
                "      });",
                "    }",
                "  },",
                "});\n"])
        if kind == "take":  # the widely copied buggy batch: same first n documents every time
            return "\n".join([
                f"export const {name} = internalMutation({{",
                "  args: {},",
                "  handler: async (ctx) => {",
                f"    const batch = await ctx.db.query({tn}).take(500);",
                "    for (const doc of batch) {",
                f"      await ctx.db.patch(doc._id, {{ {fname}: {val} }});",
                "    }",
                "    return batch.length;",
                "  },",
                "});\n"])
        if kind == "collect":
            return "\n".join([
                f"export const {name} = internalMutation({{",
                "  args: {},",
                "  handler: async (ctx) => {",
                f"    const all = await ctx.db.query({tn}).collect();",
                f"    const missing = all.filter((d) => d.{fname} === undefined);",
                "    for (const doc of missing) {",
                f"      await ctx.db.patch(doc._id, {{ {fname}: {val} }});",
                "    }",
                "  },",
                "});\n"])
        if kind == "verify":
            return "\n".join([
                f"export const {name} = internalQuery({{",
                "  args: { cursor: v.union(v.string(), v.null()) },",
                "  handler: async (ctx, args) => {",
                "    const { page, isDone, continueCursor } = await ctx.db",
                f"      .query({tn})",
                "      .paginate({ cursor: args.cursor, numItems: 500 });",
                f"    const remaining = page.filter((d) => d.{fname} === undefined).length;",
                "    return { scanned: page.length, remaining, isDone, continueCursor };",
                "  },",
                "});\n"])
        raise ValueError(kind)

    # -- misc files -------------------------------------------------------------------------------------
    def render_http(self):
        return "\n".join([
            'import { httpRouter } from "convex/server";',
            'import { httpAction } from "./_generated/server";',
            "",
            "const http = httpRouter();",
            "",
            "http.route({",
            '  path: "/health",',
            '  method: "GET",',
            "  handler: httpAction(async () => {",
            '    return new Response(JSON.stringify({ ok: true }), {',
            '      headers: { "content-type": "application/json" },',
            "    });",
            "  }),",
            "});",
            "",
            "export default http;",
            ""])

    def render_crons(self):
        return "\n".join([
            'import { cronJobs } from "convex/server";',
            'import { internal } from "./_generated/api";',
            "",
            "const crons = cronJobs();",
            "",
            'crons.interval("purge old audit events", { hours: 24 }, internal.maintenance.purgeAuditEvents, {});',
            "",
            "export default crons;",
            ""])

    def render_maintenance(self):
        return "\n".join([
            'import { internalMutation } from "./_generated/server";',
            "",
            "const RETENTION_MS = 90 * 24 * 60 * 60 * 1000;",
            "",
            "export const purgeAuditEvents = internalMutation({",
            "  args: {},",
            "  handler: async (ctx) => {",
            "    const cutoff = Date.now() - RETENTION_MS;",
            "    const old = await ctx.db",
            '      .query("auditEvents")',
            '      .withIndex("by_at", (q) => q.lt("at", cutoff))',
            "      .take(500);",
            "    for (const event of old) {",
            "      await ctx.db.delete(event._id);",
            "    }",
            "  },",
            "});",
            ""])


TSCONFIG = """{
  /* This TypeScript project config describes the environment that
   * Convex functions run in and is used to typecheck them.
   * You can modify it, but some settings are required to use Convex.
   */
  "compilerOptions": {
    /* These settings are not required by Convex and can be modified. */
    "allowJs": true,
    "strict": true,
    "moduleResolution": "Bundler",
    "jsx": "react-jsx",
    "skipLibCheck": true,
    "allowSyntheticDefaultImports": true,

    /* These compiler options are required by Convex */
    "target": "ESNext",
    "lib": ["ES2023", "dom"],
    "forceConsistentCasingInFileNames": true,
    "module": "ESNext",
    "isolatedModules": true,
    "noEmit": true
  },
  "include": ["./**/*"],
  "exclude": ["./_generated"]
}
"""


def codegen_files(modules):
    """The classic (.d.ts + .js) files `npx convex codegen` writes into convex/_generated/."""
    def ident(mp):
        s = mp.replace("/", "_").replace("-", "_")
        return s + "_" if s in ("fullApi", "api", "internal", "components") else s
    api_d = ['import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";']
    api_d += [f'import type * as {ident(m)} from "../{m}.js";' for m in modules]
    api_d += ["", "declare const fullApi: ApiFromModules<{"]
    api_d += [f'  "{m}": typeof {ident(m)};' for m in modules]
    api_d += ["}>;",
              'export declare const api: FilterApi<typeof fullApi, FunctionReference<any, "public">>;',
              'export declare const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">>;', ""]
    server_d = """import {
  ActionBuilder,
  HttpActionBuilder,
  MutationBuilder,
  QueryBuilder,
  GenericActionCtx,
  GenericMutationCtx,
  GenericQueryCtx,
  GenericDatabaseReader,
  GenericDatabaseWriter,
} from "convex/server";
import type { DataModel } from "./dataModel.js";

export declare const query: QueryBuilder<DataModel, "public">;
export declare const internalQuery: QueryBuilder<DataModel, "internal">;
export declare const mutation: MutationBuilder<DataModel, "public">;
export declare const internalMutation: MutationBuilder<DataModel, "internal">;
export declare const action: ActionBuilder<DataModel, "public">;
export declare const internalAction: ActionBuilder<DataModel, "internal">;
export declare const httpAction: HttpActionBuilder;
export type QueryCtx = GenericQueryCtx<DataModel>;
export type MutationCtx = GenericMutationCtx<DataModel>;
export type ActionCtx = GenericActionCtx<DataModel>;
export type DatabaseReader = GenericDatabaseReader<DataModel>;
export type DatabaseWriter = GenericDatabaseWriter<DataModel>;
"""
    server_js = """import {
  actionGeneric,
  httpActionGeneric,
  queryGeneric,
  mutationGeneric,
  internalActionGeneric,
  internalMutationGeneric,
  internalQueryGeneric,
} from "convex/server";

export const query = queryGeneric;
export const internalQuery = internalQueryGeneric;
export const mutation = mutationGeneric;
export const internalMutation = internalMutationGeneric;
export const action = actionGeneric;
export const internalAction = internalActionGeneric;
export const httpAction = httpActionGeneric;
"""
    data_d = """import type {
  DataModelFromSchemaDefinition,
  DocumentByName,
  TableNamesInDataModel,
  SystemTableNames,
} from "convex/server";
import type { GenericId } from "convex/values";
import schema from "../schema.js";

export type TableNames = TableNamesInDataModel<DataModel>;
export type Doc<TableName extends TableNames> = DocumentByName<DataModel, TableName>;
export type Id<TableName extends TableNames | SystemTableNames> = GenericId<TableName>;
export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
"""
    api_js = 'import { anyApi } from "convex/server";\n\nexport const api = anyApi;\nexport const internal = anyApi;\n'
    header = "/* eslint-disable */\n/**\n * Generated by convex-migrate's benchmark generator, in the shape of `npx convex codegen`.\n */\n\n"
    return {
        "_generated/api.d.ts": header + "\n".join(api_d),
        "_generated/api.js": header + api_js,
        "_generated/server.d.ts": header + server_d,
        "_generated/server.js": header + server_js,
        "_generated/dataModel.d.ts": header + data_d,
    }


# ---------------------------------------------------------------------------------------------
# putting it together
# ---------------------------------------------------------------------------------------------
def plan_migrations(gen: Gen, base: Version, work: Version):
    """migrations.ts entries at base and in the working tree."""
    def val_for(ver, table, fname):
        fm = field_map(ver.tables[table], ver.groups)
        return default_expr(fm[fname], fname)

    base_m = []
    # finished migrations for fields already required at the base (left behind, as they are)
    r = gen.sub("finished")
    fin = []
    for t in base.tables.values():
        if t.core or t.name in gen.removed_tables:
            continue
        for f in t.own[1:]:
            if not is_optional(f.val) and is_backfillable(f.val) and (t.name, f.name) not in gen.touched:
                fin.append((t.name, f.name))
    for i, (tn, fn) in enumerate(r.sample(fin, min(3, len(fin)))):
        kind = ["backfill", "take", "collect"][i]
        name = f"backfill{cap(tn)}{cap(fn)}" + ("Batch" if kind == "take" else "")
        base_m.append({"kind": kind, "table": tn, "field": fn, "name": name, "value": val_for(base, tn, fn)})
        gen.changes.append({"kind": "finished-migration-at-base", "table": tn, "field": fn,
                            "expect": {"take": "unpaginated-migration", "collect": "unbounded-collect"}.get(kind),
                            "detail": f"{kind} migration {name} for a field already required at base"})
    for tn, fn, kind in gen.backfills_base:
        if kind == "backfill":
            base_m.append({"kind": "backfill", "table": tn, "field": fn, "name": f"backfill{cap(tn)}{cap(fn)}",
                           "value": val_for(base, tn, fn)})
        else:
            base_m.append({"kind": "unset", "table": tn, "field": fn, "name": f"remove{cap(tn)}{cap(fn)}"})
    # once a field has left the schema its unset migration is deleted with it (it would not type-check)
    work_m = [m for m in base_m if m["kind"] != "unset"]
    for tn, fn, kind in gen.backfills_working:
        work_m.append({"kind": "backfill", "table": tn, "field": fn, "name": f"backfill{cap(tn)}{cap(fn)}",
                       "value": val_for(work, tn, fn)})
    for tn, fn, kind in gen.backfills_base[:1]:
        work_m.append({"kind": "verify", "table": tn, "field": fn, "name": f"verify{cap(tn)}{cap(fn)}"})
    return base_m, work_m


def write_project(root, gen: Gen, ver: Version, migrations, with_codegen):
    rnd = Renderer(gen, ver, migrations)
    files = {}
    files["package.json"] = json.dumps({
        "name": f"bench-app-{gen.seed}", "private": True, "version": "0.1.0", "type": "module",
        "scripts": {"dev": "convex dev", "deploy": "convex deploy", "typecheck": "tsc -p convex"},
        "dependencies": {"convex": CONVEX_VERSION},
        "devDependencies": {"typescript": "^5.9.0"},
    }, indent=2) + "\n"
    c = "convex/"
    files[c + "tsconfig.json"] = TSCONFIG
    files[c + "schema.ts"] = rnd.render_schema()
    files[c + "tables/shared.ts"] = rnd.render_shared()
    for m in gen.modules:
        files[c + f"tables/{m}.ts"] = rnd.render_module(m)
    folders = sorted({gen.table_folder[fp.table] for fp in ver.files.values()} |
                     {gen.table_folder[t] for t in ver.tables if t in gen.table_folder})
    for f in folders:
        files[c + f"lib/{f}.ts"] = rnd.render_lib(f)
    files[c + "lib/audit.ts"] = rnd.render_audit_lib()
    for p in sorted(ver.files):
        files[c + p + ".ts"] = rnd.render_file(ver.files[p])
    files[c + "migrations.ts"] = rnd.render_migrations()
    files[c + "http.ts"] = rnd.render_http()
    files[c + "crons.ts"] = rnd.render_crons()
    files[c + "maintenance.ts"] = rnd.render_maintenance()
    if with_codegen:
        mods = sorted(p[len(c):-3] for p in files if p.startswith(c) and p.endswith(".ts")
                      and p != c + "schema.ts")
        for p, text in codegen_files(mods).items():
            files[c + p] = text
    for p, text in files.items():
        full = os.path.join(root, p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    return len(files), sum(len(t.encode()) for t in files.values())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="output folder (OUT/base, OUT/working and OUT/changes.json are replaced)")
    ap.add_argument("--tables", type=int, default=300, help="number of tables (default 300, minimum 3)")
    ap.add_argument("--files", type=int, default=2000, help="number of function files (default 2000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--codegen", action="store_true",
                    help="also write convex/_generated/ (for type-checking with tsc)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    gen = Gen(a.tables, a.files, a.seed)
    base = gen.build_base()
    gen.plan_files(base)
    gen.plan_helpers(base)
    work = gen.apply_changes(base)
    gen.edit_files(base, work)
    base_m, work_m = plan_migrations(gen, base, work)
    os.makedirs(a.out, exist_ok=True)
    for sub in ("base", "working"):
        shutil.rmtree(os.path.join(a.out, sub), ignore_errors=True)
    nb, bb = write_project(os.path.join(a.out, "base"), gen, base, base_m, a.codegen)
    nw, bw = write_project(os.path.join(a.out, "working"), gen, work, work_m, a.codegen)
    with open(os.path.join(a.out, "changes.json"), "w", encoding="utf-8") as fh:
        json.dump({"seed": a.seed, "tables": a.tables, "files": a.files, "changes": gen.changes}, fh, indent=2)
        fh.write("\n")
    if not a.quiet:
        print(f"generated {a.out}: base {nb} files {bb} bytes, working {nw} files {bw} bytes, "
              f"{len(base.tables)} -> {len(work.tables)} tables, {len(gen.changes)} changes, "
              f"{time.perf_counter() - t0:.2f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
