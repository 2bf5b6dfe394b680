//! Convex validators as values: what `v.string()`, `v.optional(...)`, `v.union(...)` and friends
//! accept, in a form that can be compared and printed.

use std::fmt;

use crate::line_index::TextRange;
use crate::model::symbol::SymRef;

/// A literal accepted by `v.literal(...)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Number(f64),
    Boolean(bool),
    BigInt(String),
}

impl Literal {
    /// As JSON (how the ledger records a value): `"guest"`, `3`, `true`; a bigint as its digits.
    pub fn json(&self) -> serde_json::Value {
        match self {
            Literal::String(s) => serde_json::Value::String(s.clone()),
            Literal::Number(n) => serde_json::Number::from_f64(*n).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null),
            Literal::Boolean(b) => serde_json::Value::Bool(*b),
            Literal::BigInt(digits) => serde_json::Value::String(digits.clone()),
        }
    }
}

/// A validator. Before the project resolves it, it may hold references to other bindings.
#[derive(Debug, Clone, PartialEq)]
pub enum Validator {
    Id(String),
    Null,
    /// `v.number()` and `v.float64()`.
    Number,
    /// `v.int64()` and `v.bigint()`.
    Int64,
    Boolean,
    String,
    Bytes,
    Any,
    Literal(Literal),
    Array(Box<Validator>),
    Object(Vec<Entry>),
    Record(Box<Validator>, Box<Validator>),
    Union(Vec<Validator>),
    /// `v.optional(x)` or `x.optional()`: only meaningful as an object field.
    Optional(Box<Validator>),
    /// Another binding, not yet resolved (only in per-file models).
    Ref(SymRef),
    /// Could not be understood statically: compares as accepting anything, never causes a finding.
    Unknown,
}

/// An entry of an object validator: a field, or a spread of other fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Field(Field),
    /// `...x` inside `v.object({...})` or a table's fields, with the range of the spread. After
    /// resolution only spreads that could not be resolved remain, with `Validator::Unknown`: the
    /// object is then open.
    Spread(Validator, TextRange),
}

/// A named field of an object validator, with the range of its name in the file that wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub validator: Validator,
    pub name_range: TextRange,
    /// The range of the validator expression.
    pub value_range: TextRange,
}

impl Validator {
    pub fn is_optional(&self) -> bool {
        matches!(self, Validator::Optional(_))
    }

    /// The validator without its `v.optional(...)` wrapper.
    pub fn required(&self) -> &Validator {
        match self {
            Validator::Optional(inner) => inner.required(),
            other => other,
        }
    }

    /// The literals of a union of literals (of `v.optional(union)`), other members (`v.null()`)
    /// left out; `None` when it holds no literal.
    pub fn literals(&self) -> Option<Vec<Literal>> {
        match self.required() {
            Validator::Union(members) => {
                let out: Vec<Literal> =
                    members.iter().filter_map(|m| if let Validator::Literal(l) = m { Some(l.clone()) } else { None }).collect();
                (!out.is_empty()).then_some(out)
            }
            Validator::Literal(l) => Some(vec![l.clone()]),
            _ => None,
        }
    }

    /// The same validator without the `removed` literals (what is left of the union; a single
    /// member unwrapped; `v.optional` kept).
    pub fn without(&self, removed: &[Literal]) -> Validator {
        let narrowed = match self.required() {
            Validator::Union(members) => {
                let mut kept: Vec<Validator> =
                    members.iter().filter(|m| !matches!(m, Validator::Literal(l) if removed.contains(l))).cloned().collect();
                if kept.len() == 1 {
                    kept.remove(0)
                } else {
                    Validator::Union(kept)
                }
            }
            other => other.clone(),
        };
        if self.is_optional() {
            Validator::Optional(Box::new(narrowed))
        } else {
            narrowed
        }
    }

    pub fn nullable(inner: Validator) -> Validator {
        Validator::Union(vec![inner, Validator::Null])
    }

    /// The fields of an object validator, in order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        let entries: &[Entry] = match self {
            Validator::Object(entries) => entries,
            _ => &[],
        };
        entries.iter().filter_map(|e| match e {
            Entry::Field(f) => Some(f),
            Entry::Spread(..) => None,
        })
    }

    /// Whether an object validator has a spread that could not be resolved.
    pub fn is_open(&self) -> bool {
        match self {
            Validator::Object(entries) => entries.iter().any(|e| matches!(e, Entry::Spread(..))),
            _ => false,
        }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields().find(|f| f.name == name)
    }

    /// Whether the validator (or something nested in it) could not be understood.
    pub fn has_unknown(&self) -> bool {
        match self {
            Validator::Unknown | Validator::Ref(_) => true,
            Validator::Array(v) | Validator::Optional(v) => v.has_unknown(),
            Validator::Record(k, v) => k.has_unknown() || v.has_unknown(),
            Validator::Union(vs) => vs.iter().any(Validator::has_unknown),
            Validator::Object(entries) => entries.iter().any(|e| match e {
                Entry::Field(f) => f.validator.has_unknown(),
                Entry::Spread(..) => true,
            }),
            _ => false,
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::String(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
            Literal::Number(n) => write!(f, "{n}"),
            Literal::Boolean(b) => write!(f, "{b}"),
            Literal::BigInt(b) => write!(f, "{b}n"),
        }
    }
}

/// Prints the validator as Convex code, e.g. `v.optional(v.union(v.literal("a"), v.null()))`.
impl fmt::Display for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list(f: &mut fmt::Formatter<'_>, items: &[Validator]) -> fmt::Result {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{item}")?;
            }
            Ok(())
        }
        match self {
            Validator::Id(table) => write!(f, "v.id({})", serde_json::Value::String(table.clone())),
            Validator::Null => f.write_str("v.null()"),
            Validator::Number => f.write_str("v.number()"),
            Validator::Int64 => f.write_str("v.int64()"),
            Validator::Boolean => f.write_str("v.boolean()"),
            Validator::String => f.write_str("v.string()"),
            Validator::Bytes => f.write_str("v.bytes()"),
            Validator::Any => f.write_str("v.any()"),
            Validator::Literal(l) => write!(f, "v.literal({l})"),
            Validator::Array(v) => write!(f, "v.array({v})"),
            Validator::Record(k, v) => write!(f, "v.record({k}, {v})"),
            Validator::Union(vs) => {
                if let [inner, Validator::Null] = vs.as_slice() {
                    return write!(f, "v.nullable({inner})");
                }
                f.write_str("v.union(")?;
                list(f, vs)?;
                f.write_str(")")
            }
            Validator::Optional(v) => write!(f, "v.optional({v})"),
            Validator::Object(entries) => {
                f.write_str("v.object({ ")?;
                for (i, entry) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match entry {
                        Entry::Field(field) => write!(f, "{}: {}", field.name, field.validator)?,
                        Entry::Spread(..) => f.write_str("...")?,
                    }
                }
                f.write_str(" })")
            }
            Validator::Ref(r) => write!(f, "{r}"),
            Validator::Unknown => f.write_str("…"),
        }
    }
}
