//! The names users write on the command line, in the config and in commands: a field as
//! `table.field`, and a dual-write place as `table` or `table.field`. One parser for each.

use std::fmt;

/// Whether `name` is a table or field name as Convex takes them in code (an identifier).
fn is_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A field of a table: `users.role`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct FieldRef {
    pub table: String,
    pub field: String,
}

impl FieldRef {
    pub fn new(table: impl Into<String>, field: impl Into<String>) -> FieldRef {
        FieldRef { table: table.into(), field: field.into() }
    }

    /// `table.field`, or why not (a message for the user that names the expected shape).
    pub fn parse(text: &str) -> Result<FieldRef, String> {
        match text.trim().split_once('.') {
            Some((table, field)) if is_name(table) && is_name(field) => Ok(FieldRef::new(table, field)),
            _ => Err(format!("`{text}` is not `table.field` (e.g. `users.role`)")),
        }
    }
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.table, self.field)
    }
}

/// One side of a dual-write pair: a whole table (`postTags`) or a field (`posts.tags`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    pub table: String,
    pub field: Option<String>,
}

impl Place {
    /// `posts.tags` or `postTags`.
    pub fn parse(text: &str) -> Option<Place> {
        let text = text.trim();
        match text.split_once('.') {
            Some(_) => FieldRef::parse(text).ok().map(|f| Place { table: f.table, field: Some(f.field) }),
            None => is_name(text).then(|| Place { table: text.to_string(), field: None }),
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}.{field}", self.table),
            None => f.write_str(&self.table),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_places_parse() {
        assert_eq!(FieldRef::parse("users.role"), Ok(FieldRef::new("users", "role")));
        for bad in ["users", "a.b.c", ".role", "users.", "", "a b.c"] {
            assert!(FieldRef::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Place::parse("posts.tags"), Some(Place { table: "posts".into(), field: Some("tags".into()) }));
        assert_eq!(Place::parse("postTags").unwrap().to_string(), "postTags");
        assert_eq!(Place::parse("a.b.c"), None);
        assert_eq!(Place::parse(""), None);
    }
}
