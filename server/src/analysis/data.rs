//! Data-aware checks, pure: what a snapshot export (`npx convex export`) says about each schema
//! change — how many stored documents the push would reject. The reader (`sources::snapshot`)
//! hands in the lines of each table's `documents.jsonl`; here they are decoded, validated with the
//! same [`Validator`] model the rules use, and counted per [`Question`]. The rules read the counts
//! back with [`Snapshot::lookup`].
//!
//! What the export holds, as the Convex backend writes it (`crates/exports/src/lib.rs` and
//! `zip_uploader.rs`, `crates/value/src/export.rs` of get-convex/convex-backend):
//! - values in the "export JSON" format (`ValueFormat::ConvexExportJSON`, uniform since
//!   2026-03): an int64 is a JSON integer (`1`), a float64 a JSON number with a decimal point or
//!   exponent (`1.0`, `1e20`); NaN and ±Infinity are `{"$float": "<base64 of 8 little-endian
//!   bytes>"}`, bytes `{"$bytes": "<base64>"}`; `{"$integer": "<base64>"}` is read too (the
//!   backend's importer accepts the internal encoding). Field names never start with `$`;
//! - ids are strings: Crockford base32 (lowercase) of `VInt(table number) ++ 16 bytes ++
//!   fletcher16 footer` (`crates/value/src/id_v6.rs`), so the table an id points into can be
//!   told offline from `_tables/documents.jsonl` (`{"name": "users", "id": 10001}`).
//!
//! `v.id("t")` is checked as the backend checks it (`check_value_internal` in
//! `crates/common/src/schemas/validator.rs`): the string must decode as an id whose table number
//! names `t`. The numbers of system tables are not in `_tables`: an id into a table the export
//! does not name is accepted for `v.id("_storage")` (unless the export's `_storage` ids tell its
//! number) and any other system table, and rejected for an app table.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::analysis::diff::Change;
use crate::analysis::Workspace;
use crate::config::Severity;
use crate::model::validator::{Entry, Literal, Validator};

/// How many sample `_id`s a count keeps, by default.
pub const DEFAULT_SAMPLES: usize = 5;

/// A Convex value, decoded from the export format.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int64(i64),
    Float64(f64),
    Boolean(bool),
    String(String),
    /// `{"$bytes": …}`; its content does not matter to a validator.
    Bytes,
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// One line of a `documents.jsonl`: its `_id` and the top-level fields that were asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: Option<String>,
    /// The fields decoded (all but `_id` for [`Wanted::All`]), in the line's order.
    pub fields: Vec<(String, Value)>,
}

impl Document {
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// Which top-level fields of a document to decode (the others are only checked to be JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    All,
    Fields(Vec<String>),
}

impl Wanted {
    fn wants(&self, name: &str) -> bool {
        match self {
            Wanted::All => true,
            Wanted::Fields(names) => names.iter().any(|n| n == name),
        }
    }

    fn add(&mut self, name: &str) {
        if let Wanted::Fields(names) = self {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
}

/// Decodes one line of a `documents.jsonl` (without its newline). The error says what is wrong,
/// for a message that names the file and the line.
pub fn parse_document(line: &[u8], wanted: &Wanted) -> Result<Document, String> {
    let mut doc = Document { id: None, fields: Vec::new() };
    parse_document_into(line, wanted, &mut doc)?;
    Ok(doc)
}

/// [`parse_document`] into a document whose buffers are reused (a reader's loop).
pub fn parse_document_into(line: &[u8], wanted: &Wanted, doc: &mut Document) -> Result<(), String> {
    doc.fields.clear();
    let mut id = doc.id.take().unwrap_or_default();
    id.clear();
    let mut de = serde_json::Deserializer::from_slice(line);
    let found = DocSeed { wanted, fields: &mut doc.fields, id: &mut id }.deserialize(&mut de).map_err(json_error)?;
    de.end().map_err(json_error)?;
    doc.id = found.then_some(id);
    Ok(())
}

/// serde_json's message without its "line 1" (a line of the file is one JSON text).
fn json_error(e: serde_json::Error) -> String {
    let text = e.to_string();
    match (text.split(" at line ").next(), e.column()) {
        (Some(what), column) if column > 0 => format!("invalid JSON: {what} at column {column}"),
        (Some(what), _) => format!("invalid JSON: {what}"),
        (None, _) => format!("invalid JSON: {text}"),
    }
}

/// Reads a document into reused buffers; its value says whether it had an `_id`.
struct DocSeed<'a> {
    wanted: &'a Wanted,
    fields: &'a mut Vec<(String, Value)>,
    id: &'a mut String,
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a document (a JSON object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if key == "_id" {
                let Key(value) = map.next_value::<Key<'de>>()?;
                self.id.push_str(&value);
                found = true;
            } else if key.starts_with('$') {
                return Err(serde::de::Error::custom(format!("field name `{key}` starts with `$`")));
            } else if self.wanted.wants(&key) {
                let value = map.next_value::<Value>()?;
                self.fields.push((key.into_owned(), value));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// A map key, borrowed from the line when it holds no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Convex value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }
    // An integer lexeme is an int64 (`1`); one too large for an i64 is read as a float, as the
    // backend's importer does (`Number::as_i64`, else `as_f64`).
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map(Value::Int64).unwrap_or(Value::Float64(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float64(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields: Vec<(String, Value)> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let value = map.next_value::<Value>()?;
            fields.push((key.into_owned(), value));
        }
        special(fields).map_err(serde::de::Error::custom)
    }
}

/// An object, or one of the `$`-encodings (`$bytes`, `$integer`, `$float`).
fn special(fields: Vec<(String, Value)>) -> Result<Value, String> {
    if !fields.iter().any(|(k, _)| k.starts_with('$')) {
        return Ok(Value::Object(fields));
    }
    let [(key, Value::String(text))] = fields.as_slice() else {
        let key = fields.iter().map(|(k, _)| k.as_str()).find(|k| k.starts_with('$')).unwrap_or("$");
        return Err(format!("field name `{key}` starts with `$`"));
    };
    let bytes = base64(text).ok_or_else(|| format!("`{key}` holds invalid base64"))?;
    let eight = || <[u8; 8]>::try_from(bytes.as_slice()).map_err(|_| format!("`{key}` must hold 8 bytes"));
    match key.as_str() {
        "$bytes" => Ok(Value::Bytes),
        "$integer" => Ok(Value::Int64(i64::from_le_bytes(eight()?))),
        "$float" => Ok(Value::Float64(f64::from_le_bytes(eight()?))),
        other => Err(format!("field name `{other}` starts with `$`")),
    }
}

/// Standard base64 with padding (what the backend writes).
fn base64(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let body = text.trim_end_matches('=');
    if text.len() % 4 != 0 || text.len() - body.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in body.bytes() {
        acc = (acc << 6) | digit(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The export's table numbers (from `_tables/documents.jsonl`), for `v.id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableNumbers {
    by_number: HashMap<u32, String>,
    /// `_storage`'s number, when the export holds file storage (`_storage/documents.jsonl`).
    pub storage: Option<u32>,
}

impl TableNumbers {
    pub fn insert(&mut self, number: u32, name: String) {
        self.by_number.insert(number, name);
    }

    pub fn name(&self, number: u32) -> Option<&str> {
        self.by_number.get(&number).map(String::as_str)
    }

    pub fn number(&self, name: &str) -> Option<u32> {
        self.by_number.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }

    /// Whether `id` is an id of `table`, as far as the export can tell.
    fn id_of(&self, id: &str, table: &str) -> bool {
        let Some(number) = id_table_number(id) else { return false };
        if let Some(name) = self.name(number) {
            return name == table;
        }
        if self.storage == Some(number) {
            return table == "_storage";
        }
        // A table the export does not name: a system table (accepted for a system table's
        // validator: its number is not in the export), or none (rejected for an app table).
        table.starts_with('_') && !(table == "_storage" && self.storage.is_some())
    }
}

const BASE32: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u64, 0u32);
    for &b in data {
        acc = (acc << 8) | b as u64;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn fletcher16(data: &[u8]) -> u16 {
    let (mut c0, mut c1) = (0u8, 0u8);
    for &b in data {
        c0 = c0.wrapping_add(b);
        c1 = c1.wrapping_add(c0);
    }
    ((c1 as u16) << 8) | c0 as u16
}

/// The table number a Convex document id encodes (`None`: not an id). Mirrors
/// `DeveloperDocumentId::decode`: lengths 31 to 37, base32, a canonical VInt, 16 bytes, the
/// footer, and nothing else.
pub fn id_table_number(id: &str) -> Option<u32> {
    if !(31..=37).contains(&id.len()) {
        return None;
    }
    let mut bytes = Vec::with_capacity(23);
    let (mut acc, mut bits) = (0u64, 0u32);
    for c in id.bytes() {
        let d = BASE32.iter().position(|&b| b == c)? as u64;
        acc = (acc << 5) | d;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    let (mut number, mut pos) = (0u32, 0usize);
    loop {
        let b = *bytes.get(pos)? as u32;
        if pos >= 5 {
            return None;
        }
        number |= (b & 0x7f).checked_shl(7 * pos as u32)?;
        pos += 1;
        if b < 0x80 {
            break;
        }
    }
    if number == 0 || bytes.len() != pos + 16 + 2 {
        return None;
    }
    let footer = u16::from_le_bytes([bytes[pos + 16], bytes[pos + 17]]);
    if fletcher16(&bytes[..pos + 16]) != footer {
        return None;
    }
    // One-to-one: the canonical encoding of what was decoded is the id itself.
    (base32_encode(&bytes) == id && vint_len(number) == pos).then_some(number)
}

fn vint_len(n: u32) -> usize {
    match n {
        0..0x80 => 1,
        0x80..0x4000 => 2,
        0x4000..0x20_0000 => 3,
        0x20_0000..0x1000_0000 => 4,
        _ => 5,
    }
}

/// Whether `validator` accepts `value`, as Convex checks a stored document at push. Parts the
/// model could not read (`Unknown`) accept anything: no count is made from what is not known.
pub fn accepts(validator: &Validator, value: &Value, tables: &TableNumbers) -> bool {
    use Validator as V;
    match (validator, value) {
        (V::Any | V::Unknown | V::Ref(_), _) => true,
        (V::Optional(inner), value) => accepts(inner, value, tables),
        (V::Id(table), Value::String(s)) => tables.id_of(s, table),
        (V::Null, Value::Null)
        | (V::Number, Value::Float64(_))
        | (V::Int64, Value::Int64(_))
        | (V::Boolean, Value::Boolean(_))
        | (V::String, Value::String(_))
        | (V::Bytes, Value::Bytes) => true,
        (V::Literal(literal), value) => match (literal, value) {
            (Literal::String(a), Value::String(b)) => a == b,
            (Literal::Number(a), Value::Float64(b)) => a.to_bits() == b.to_bits(),
            (Literal::Boolean(a), Value::Boolean(b)) => a == b,
            (Literal::BigInt(a), Value::Int64(b)) => a.parse::<i64>().is_ok_and(|a| a == *b),
            _ => false,
        },
        (V::Array(inner), Value::Array(items)) => items.iter().all(|item| accepts(inner, item, tables)),
        (V::Record(key, inner), Value::Object(fields)) => {
            fields.iter().all(|(k, v)| accepts(key, &Value::String(k.clone()), tables) && accepts(inner, v, tables))
        }
        (V::Object(entries), Value::Object(fields)) => object_accepts(entries, validator.is_open(), fields, tables),
        (V::Union(members), value) => members.iter().any(|m| accepts(m, value, tables)),
        _ => false,
    }
}

fn object_accepts(entries: &[Entry], open: bool, fields: &[(String, Value)], tables: &TableNumbers) -> bool {
    let declared = entries.iter().filter_map(|e| match e {
        Entry::Field(f) => Some(f),
        Entry::Spread(..) => None,
    });
    for f in declared.clone() {
        match fields.iter().find(|(k, _)| *k == f.name) {
            Some((_, value)) => {
                if !accepts(&f.validator, value, tables) {
                    return false;
                }
            }
            None => {
                if !matches!(f.validator, Validator::Optional(_) | Validator::Any | Validator::Unknown | Validator::Ref(_)) {
                    return false;
                }
            }
        }
    }
    open || fields.iter().all(|(k, _)| declared.clone().any(|f| f.name == *k))
}

/// What is asked of one table's documents.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    /// The field, against a validator (its required form): documents lacking it are `missing`,
    /// those holding a value it rejects `rejected`.
    Field { field: String, validator: Validator },
    /// Documents that hold the field (`rejected`).
    Holds { field: String },
    /// Documents the table's document validator rejects (system fields aside) (`rejected`).
    Document { validator: Validator },
    /// Only how many documents there are.
    Count,
}

/// One question to a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub table: String,
    pub ask: Ask,
}

impl Question {
    /// The question a schema change asks of the data.
    pub fn of_change(change: &Change<'_>) -> Question {
        match change {
            Change::BecameRequired { table, field, .. } | Change::Narrowed { table, field, .. } => Question {
                table: table.name.clone(),
                ask: Ask::Field { field: field.name.clone(), validator: field.validator.required().clone() },
            },
            Change::Removed { table, base } => Question { table: table.name.clone(), ask: Ask::Holds { field: base.name.clone() } },
            Change::TableNarrowed { table, .. } => {
                Question { table: table.name.clone(), ask: Ask::Document { validator: table.validator.clone() } }
            }
            Change::TableRemoved { base } => Question { table: base.name.clone(), ask: Ask::Count },
        }
    }

    /// `table.field` filled (made required), against its validator.
    pub fn fill(table: &str, field: &str, validator: &Validator) -> Question {
        Question { table: table.to_string(), ask: Ask::Field { field: field.to_string(), validator: validator.required().clone() } }
    }

    /// `table.field` unset (removed).
    pub fn unset(table: &str, field: &str) -> Question {
        Question { table: table.to_string(), ask: Ask::Holds { field: field.to_string() } }
    }

    /// A text that tells questions apart (validators compare by their printed form).
    pub fn key(&self) -> String {
        match &self.ask {
            Ask::Field { field, validator } => format!("{}.{field} {validator}", self.table),
            Ask::Holds { field } => format!("{}.{field} holds", self.table),
            Ask::Document { validator } => format!("{} {validator}", self.table),
            Ask::Count => format!("{} count", self.table),
        }
    }
}

/// Every question the analysis of `ws` can use: one per schema change, and one per field in
/// transition (changed since the base, or with a backfill or a verify) for hover and `plan`.
pub fn questions(ws: &Workspace) -> Vec<Question> {
    let mut out: Vec<Question> = Vec::new();
    let mut push = |q: Question| {
        if !out.iter().any(|o| o.key() == q.key()) {
            out.push(q);
        }
    };
    let base = ws.base().and_then(|b| b.schema.as_ref());
    if let (Some(base), Some(working)) = (base, ws.working.schema.as_ref()) {
        for change in crate::analysis::diff::changes(base, working) {
            push(Question::of_change(&change));
        }
    }
    if let Some(schema) = ws.working.schema.as_ref() {
        for table in &schema.tables {
            for field in &table.fields {
                if field.validator.has_unknown() {
                    continue;
                }
                let at_base = base.and_then(|b| b.table(&table.name)).map(|t| t.field(&field.name).map(|f| f.validator.to_string()));
                let changed = at_base.is_some_and(|b| b != Some(field.validator.to_string()));
                let goal = crate::analysis::state::goal(&ws.working, &table.name, &field.name);
                let migrated = !ws.working.backfills(&table.name, &field.name, goal).is_empty()
                    || !ws.working.verifies(&table.name, &field.name).is_empty();
                if changed || migrated || goal == crate::analysis::backfill::Goal::Unset {
                    push(match goal {
                        crate::analysis::backfill::Goal::Fill => Question::fill(&table.name, &field.name, &field.validator),
                        crate::analysis::backfill::Goal::Unset => Question::unset(&table.name, &field.name),
                    });
                }
            }
        }
    }
    out
}

/// Documents counted, with the first few `_id`s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub samples: Vec<String>,
}

impl Tally {
    fn add(&mut self, id: Option<&str>, keep: usize) {
        self.count += 1;
        if self.samples.len() < keep {
            self.samples.push(id.unwrap_or("?").to_string());
        }
    }
}

/// The answer to one question.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// Documents in the table.
    pub total: u64,
    pub missing: Tally,
    pub rejected: Tally,
}

/// The counting of one table's documents, for every question about it.
pub struct TableCount<'a> {
    asks: Vec<(usize, &'a Ask)>,
    answers: Vec<Answer>,
    pub wanted: Wanted,
    keep: usize,
}

impl<'a> TableCount<'a> {
    /// The counting for `table` (`None`: nothing is asked about it).
    pub fn new(questions: &'a [Question], table: &str, keep: usize) -> Option<TableCount<'a>> {
        let asks: Vec<(usize, &Ask)> = questions.iter().enumerate().filter(|(_, q)| q.table == table).map(|(i, q)| (i, &q.ask)).collect();
        if asks.is_empty() {
            return None;
        }
        let mut wanted = Wanted::Fields(Vec::new());
        for (_, ask) in &asks {
            match ask {
                Ask::Field { field, .. } | Ask::Holds { field } => wanted.add(field),
                Ask::Document { .. } => wanted = Wanted::All,
                Ask::Count => {}
            }
        }
        let answers = vec![Answer::default(); asks.len()];
        Some(TableCount { asks, answers, wanted, keep })
    }

    /// Counts one document.
    pub fn feed(&mut self, doc: &Document, tables: &TableNumbers) {
        let id = doc.id.as_deref();
        for ((_, ask), answer) in self.asks.iter().zip(self.answers.iter_mut()) {
            answer.total += 1;
            match ask {
                Ask::Field { field, validator } => match doc.field(field) {
                    None => answer.missing.add(id, self.keep),
                    Some(value) => {
                        if !accepts(validator, value, tables) {
                            answer.rejected.add(id, self.keep);
                        }
                    }
                },
                Ask::Holds { field } => {
                    if doc.field(field).is_some() {
                        answer.rejected.add(id, self.keep);
                    }
                }
                Ask::Document { validator } => {
                    let value = Value::Object(doc.fields.iter().filter(|(k, _)| k != "_creationTime").cloned().collect());
                    if !accepts(validator, &value, tables) {
                        answer.rejected.add(id, self.keep);
                    }
                }
                Ask::Count => {}
            }
        }
    }

    /// The answers, by the index of their question.
    pub fn finish(self) -> Vec<(usize, Answer)> {
        self.asks.into_iter().map(|(i, _)| i).zip(self.answers).collect()
    }
}

/// When the snapshot was taken, and how that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// RFC 3339, UTC.
    pub at: String,
    pub from: TakenFrom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakenFrom {
    /// The name Convex gives the download: `snapshot_<deployment>_<timestamp>.zip`.
    FileName,
    /// The times of the zip's entries (older exports set them).
    Entries,
    /// The file's modification time (when it was downloaded).
    FileModified,
}

/// A snapshot read, with its answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The file, as the user named it.
    pub path: String,
    pub taken: Option<Taken>,
    /// The deployment it came from, when the file name says (`snapshot_<name>_<ts>.zip`).
    pub deployment: Option<String>,
    /// App tables in the export, with their document counts.
    pub tables: BTreeMap<String, u64>,
    /// Component folders skipped (`_components/<name>/`): their tables are the component's.
    pub components: Vec<String>,
    pub questions: Vec<Question>,
    /// Per question: `None` when its table is not in the snapshot.
    pub answers: Vec<Option<Answer>>,
    /// How many sample `_id`s each count kept.
    pub samples: usize,
}

/// What a snapshot says about a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// No snapshot, or it was not asked.
    Unknown,
    /// The table is not in the snapshot.
    TableMissing,
    Counted(&'a Answer),
}

impl Snapshot {
    pub fn lookup(&self, question: &Question) -> Lookup<'_> {
        let key = question.key();
        match self.questions.iter().position(|q| q.key() == key) {
            None => Lookup::Unknown,
            Some(i) => match self.answers.get(i) {
                Some(Some(answer)) => Lookup::Counted(answer),
                Some(None) => Lookup::TableMissing,
                None => Lookup::Unknown,
            },
        }
    }

    /// "the snapshot of 2026-11-25T12:00:00Z", or "the snapshot `export.zip`" when its time is
    /// unknown.
    pub fn described(&self) -> String {
        let name =
            std::path::Path::new(&self.path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| self.path.clone());
        match &self.taken {
            Some(Taken { at, from: TakenFrom::FileModified }) => format!("the snapshot `{name}` (file modified {at})"),
            Some(Taken { at, .. }) => format!("the snapshot of {at}"),
            None => format!("the snapshot `{name}`"),
        }
    }
}

/// What a finding says from the data: the documents its change breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFacts {
    pub total: u64,
    pub affected: u64,
    pub samples: Vec<String>,
    /// The severity the data calls for (set after the config's levels): a note when nothing is
    /// affected, an error when a backfill is shown unfinished.
    pub severity: Option<Severity>,
    /// The table counted.
    pub table: String,
    /// [`Snapshot::described`].
    pub snapshot: String,
    pub taken: Option<String>,
}

/// What the data says for one finding, for its rule to word.
pub enum Data {
    /// No snapshot was given.
    None,
    /// The snapshot has no such table: the finding stays, and says so.
    TableMissing {
        sentence: String,
    },
    Counted {
        answer: Answer,
        table: String,
        snapshot: String,
        taken: Option<String>,
        keep: usize,
    },
}

impl Data {
    pub fn of(ws: &Workspace, question: &Question) -> Data {
        let Some(snapshot) = ws.data.as_deref() else { return Data::None };
        match snapshot.lookup(question) {
            Lookup::Unknown => Data::None,
            Lookup::TableMissing => Data::TableMissing {
                sentence: format!("The table `{}` is not in {}, so no document was counted", question.table, snapshot.described()),
            },
            Lookup::Counted(answer) => Data::Counted {
                answer: answer.clone(),
                table: question.table.clone(),
                snapshot: snapshot.described(),
                taken: snapshot.taken.as_ref().map(|t| t.at.clone()),
                keep: snapshot.samples,
            },
        }
    }

    /// The facts to attach to a finding about the documents in `affected` (of the answer's
    /// tallies), with the severity the data calls for (`None`: the rule's own).
    pub fn facts(&self, affected: &[&Tally], severity: Option<Severity>) -> Option<DataFacts> {
        let Data::Counted { answer, table, snapshot, taken, keep } = self else { return None };
        let mut samples: Vec<String> = affected.iter().flat_map(|t| t.samples.iter().cloned()).collect();
        samples.truncate(*keep);
        Some(DataFacts {
            total: answer.total,
            affected: affected.iter().map(|t| t.count).sum(),
            samples,
            severity,
            table: table.clone(),
            snapshot: snapshot.clone(),
            taken: taken.clone(),
        })
    }
}

/// "3 of 5 `users` documents", "the one `users` document", "none of the 5 `users` documents".
pub fn of_total(affected: u64, total: u64, table: &str) -> String {
    let docs = |n: u64| if n == 1 { "document" } else { "documents" };
    match (affected, total) {
        (0, 0) => format!("no `{table}` document (the table is empty)"),
        (0, t) => format!("none of the {t} `{table}` {}", docs(t)),
        (a, t) if a == t && t == 1 => format!("the one `{table}` document"),
        (a, t) if a == t => format!("all {t} `{table}` documents"),
        (a, t) => format!("{a} of {t} `{table}` {}", docs(t)),
    }
}

/// "3 of 5 `users` documents lack `role`": `verb` in its singular and plural forms, then `rest`.
pub fn counted(affected: u64, total: u64, table: &str, verb: (&str, &str), rest: &str) -> String {
    if total == 0 {
        return format!("the table `{table}` is empty");
    }
    let verb = if affected <= 1 { verb.0 } else { verb.1 };
    format!("{} {verb} {rest}", of_total(affected, total, table))
}

/// After the config's levels: the severity each finding's data calls for.
pub fn settle(findings: &mut [crate::analysis::Finding]) {
    for finding in findings {
        if let Some(severity) = finding.data.as_ref().and_then(|d| d.severity) {
            finding.severity = severity;
        }
    }
}

/// What a snapshot export is asked about a field on its migration path: the documents that lack
/// it (or hold a value it rejects) when it is filled, that hold it when it is unset. `None`: a
/// filled field gone from the working schema.
pub fn question_of(state: &crate::analysis::state::MigrationState) -> Option<Question> {
    match state.goal {
        crate::analysis::backfill::Goal::Fill => state.working.as_ref().map(|w| Question::fill(&state.table, &state.field, w)),
        crate::analysis::backfill::Goal::Unset => Some(Question::unset(&state.table, &state.field)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(line: &str) -> Document {
        parse_document(line.as_bytes(), &Wanted::All).unwrap()
    }

    fn value(json: &str) -> Value {
        doc(&format!("{{\"_id\":\"x\",\"v\":{json}}}")).field("v").cloned().unwrap()
    }

    #[test]
    fn reads_the_export_encoding() {
        assert_eq!(value("1"), Value::Int64(1));
        // serde_json reads `-0` as the float -0.0, in the backend's importer too.
        assert!(matches!(value("-0"), Value::Float64(f) if f == 0.0 && f.is_sign_negative()));
        assert_eq!(value("1.0"), Value::Float64(1.0));
        assert_eq!(value("1e20"), Value::Float64(1e20));
        assert_eq!(value("18446744073709551615"), Value::Float64(18446744073709551615.0));
        assert_eq!(value("{\"$bytes\":\"AAEC\"}"), Value::Bytes);
        // NaN and Infinity as the backend writes them (little-endian f64 in base64).
        assert!(matches!(value("{\"$float\":\"AAAAAAAA+H8=\"}"), Value::Float64(f) if f.is_nan()));
        assert_eq!(value("{\"$float\":\"AAAAAAAA8H8=\"}"), Value::Float64(f64::INFINITY));
        assert_eq!(value("{\"$integer\":\"BQAAAAAAAAA=\"}"), Value::Int64(5));
        assert_eq!(
            value("{\"a\":[null,true,\"s\"]}"),
            Value::Object(vec![("a".into(), Value::Array(vec![Value::Null, Value::Boolean(true), Value::String("s".into())]))])
        );
        for bad in ["{\"$bytes\":\"***\"}", "{\"$integer\":\"AAEC\"}", "{\"$foo\":\"AAEC\"}", "{\"$bytes\":\"AAEC\",\"b\":1}"] {
            assert!(parse_document(format!("{{\"_id\":\"x\",\"v\":{bad}}}").as_bytes(), &Wanted::All).is_err(), "{bad}");
        }
        assert!(parse_document(b"[1]", &Wanted::All).is_err());
        assert!(parse_document(b"{\"a\":1} x", &Wanted::All).is_err());
        assert!(parse_document(b"{\"a\":", &Wanted::All).is_err());
        assert!(parse_document(b"", &Wanted::All).is_err());
    }

    #[test]
    fn decodes_only_the_fields_asked_for() {
        let d = parse_document(br#"{"_id":"a","x":{"deep":[1,2]},"role":"admin"}"#, &Wanted::Fields(vec!["role".into()])).unwrap();
        assert_eq!(d, Document { id: Some("a".into()), fields: vec![("role".into(), Value::String("admin".into()))] });
        // Skipped fields are still read as JSON.
        assert!(parse_document(br#"{"_id":"a","x":{"deep":[1,}}"#, &Wanted::Fields(vec![])).is_err());
    }

    /// Ids as the backend encodes them (`id_v6.rs`): table 10001, 16 bytes, the footer.
    fn encode_id(table: u32, internal: [u8; 16]) -> String {
        let mut bytes = Vec::new();
        let mut n = table;
        loop {
            if n < 0x80 {
                bytes.push(n as u8);
                break;
            }
            bytes.push((n & 0x7f) as u8 | 0x80);
            n >>= 7;
        }
        bytes.extend_from_slice(&internal);
        let footer = fletcher16(&bytes);
        bytes.extend_from_slice(&footer.to_le_bytes());
        base32_encode(&bytes)
    }

    #[test]
    fn decodes_ids() {
        let id = encode_id(10001, [7; 16]);
        assert_eq!(id.len(), 32);
        assert_eq!(id_table_number(&id), Some(10001));
        assert_eq!(id_table_number(&encode_id(1, [0; 16])), Some(1));
        assert_eq!(id_table_number(&encode_id(u32::MAX, [255; 16])), Some(u32::MAX));
        // A wrong footer, a character outside the alphabet, the wrong length, not canonical.
        let mut broken = id.clone().into_bytes();
        broken[10] = if broken[10] == b'a' { b'b' } else { b'a' };
        assert_eq!(id_table_number(std::str::from_utf8(&broken).unwrap()), None);
        assert_eq!(id_table_number(&id.replace(|c: char| c == id.chars().nth(3).unwrap(), "u")), None);
        assert_eq!(id_table_number("admin"), None);
        assert_eq!(id_table_number(&id[..31]), None);
        assert_eq!(id_table_number(&encode_id(0, [1; 16])), None);
    }

    #[test]
    fn validates_like_convex() {
        use crate::model::validator::Field;
        let mut tables = TableNumbers::default();
        tables.insert(10001, "users".into());
        tables.insert(10002, "posts".into());
        let user = encode_id(10001, [1; 16]);
        let post = encode_id(10002, [1; 16]);
        let system = encode_id(7, [1; 16]);
        let lit = |s: &str| Validator::Literal(Literal::String(s.into()));
        let field = |name: &str, validator: Validator| {
            Entry::Field(Field { name: name.into(), validator, name_range: Default::default(), value_range: Default::default() })
        };
        let s = |x: &str| Value::String(x.into());
        let cases: Vec<(Validator, Value, bool)> = vec![
            (Validator::Number, Value::Float64(1.0), true),
            (Validator::Number, Value::Int64(1), false),
            (Validator::Int64, Value::Int64(1), true),
            (Validator::Int64, Value::Float64(1.0), false),
            (Validator::Bytes, Value::Bytes, true),
            (Validator::Bytes, s("AAEC"), false),
            (Validator::Number, Value::Float64(f64::NAN), true),
            (Validator::Union(vec![lit("a"), lit("b")]), s("b"), true),
            (Validator::Union(vec![lit("a"), lit("b")]), s("c"), false),
            (Validator::Literal(Literal::Number(1.0)), Value::Float64(1.0), true),
            (Validator::Literal(Literal::Number(1.0)), Value::Int64(1), false),
            (Validator::Literal(Literal::BigInt("5".into())), Value::Int64(5), true),
            (Validator::Id("users".into()), s(&user), true),
            (Validator::Id("users".into()), s(&post), false),
            (Validator::Id("users".into()), s("not an id"), false),
            (Validator::Id("users".into()), s(&system), false),
            (Validator::Id("_storage".into()), s(&system), true),
            (Validator::Id("_storage".into()), s(&user), false),
            (Validator::String, s(&user), true),
            (Validator::Record(Box::new(Validator::String), Box::new(Validator::Number)), value("{\"a\":1.0,\"b\":2.0}"), true),
            (Validator::Record(Box::new(Validator::String), Box::new(Validator::Number)), value("{\"a\":1.0,\"b\":\"x\"}"), false),
            (
                Validator::Record(Box::new(Validator::Id("users".into())), Box::new(Validator::Any)),
                value(&format!("{{\"{user}\":1}}")),
                true,
            ),
            (Validator::Record(Box::new(Validator::Id("users".into())), Box::new(Validator::Any)), value("{\"a\":1}"), false),
            (Validator::Object(vec![field("a", Validator::String)]), value("{\"a\":\"x\"}"), true),
            (Validator::Object(vec![field("a", Validator::String)]), value("{}"), false),
            (Validator::Object(vec![field("a", Validator::String)]), value("{\"a\":\"x\",\"b\":1}"), false),
            (Validator::Object(vec![field("a", Validator::Optional(Box::new(Validator::String)))]), value("{}"), true),
            (
                Validator::Object(vec![
                    field("a", Validator::String),
                    Entry::Spread(Validator::Unknown, crate::line_index::TextRange::empty(0)),
                ]),
                value("{\"a\":\"x\",\"b\":1}"),
                true,
            ),
            (Validator::Array(Box::new(Validator::nullable(Validator::String))), value("[\"a\",null]"), true),
            (Validator::Array(Box::new(Validator::String)), value("[\"a\",null]"), false),
            (Validator::Unknown, Value::Null, true),
            (Validator::Any, Value::Bytes, true),
        ];
        for (validator, value, expected) in cases {
            assert_eq!(accepts(&validator, &value, &tables), expected, "{validator} on {value:?}");
        }
        // With file storage in the export, `_storage`'s number is known.
        tables.storage = Some(7);
        assert!(accepts(&Validator::Id("_storage".into()), &s(&system), &tables));
        assert!(!accepts(&Validator::Id("_storage".into()), &s(&encode_id(8, [1; 16])), &tables));
    }

    #[test]
    fn counts_per_question() {
        let questions = vec![
            Question::fill("users", "role", &Validator::Union(vec![Validator::Literal(Literal::String("admin".into()))])),
            Question::unset("users", "isPro"),
            Question { table: "users".into(), ask: Ask::Count },
            Question::unset("posts", "x"),
        ];
        let mut count = TableCount::new(&questions, "users", 1).unwrap();
        assert_eq!(count.wanted, Wanted::Fields(vec!["role".into(), "isPro".into()]));
        let tables = TableNumbers::default();
        for line in [r#"{"_id":"a","role":"admin"}"#, r#"{"_id":"b"}"#, r#"{"_id":"c","role":"x","isPro":true}"#, r#"{"_id":"d"}"#] {
            count.feed(&parse_document(line.as_bytes(), &count.wanted.clone()).unwrap(), &tables);
        }
        let answers = count.finish();
        assert_eq!(
            answers[0].1,
            Answer {
                total: 4,
                missing: Tally { count: 2, samples: vec!["b".into()] },
                rejected: Tally { count: 1, samples: vec!["c".into()] }
            }
        );
        assert_eq!(answers[1].1.rejected.count, 1);
        assert_eq!(answers[2], (2, Answer { total: 4, ..Answer::default() }));
        assert!(TableCount::new(&questions, "teams", 1).is_none());
    }

    #[test]
    fn words_counts() {
        assert_eq!(of_total(3, 5, "users"), "3 of 5 `users` documents");
        assert_eq!(of_total(0, 5, "users"), "none of the 5 `users` documents");
        assert_eq!(of_total(5, 5, "users"), "all 5 `users` documents");
        assert_eq!(of_total(1, 1, "users"), "the one `users` document");
        assert_eq!(of_total(0, 0, "users"), "no `users` document (the table is empty)");
        assert_eq!(counted(1, 5, "users", ("lacks", "lack"), "`role`"), "1 of 5 `users` documents lacks `role`");
        assert_eq!(counted(2, 5, "users", ("lacks", "lack"), "`role`"), "2 of 5 `users` documents lack `role`");
        assert_eq!(counted(0, 0, "users", ("lacks", "lack"), "`role`"), "the table `users` is empty");
    }
}
