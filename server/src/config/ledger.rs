//! Editing `convex-migrate.json`: the ledger of verified migrations (reading a verify function's
//! result as the Convex CLI prints it, recording an entry) and declared dual-write pairs. Edits go
//! through [`json_edit`], so only the edited value changes and the rest of the file keeps its
//! bytes (indentation, key order, one-line objects, line endings). Pure: text in, text out;
//! callers do the I/O (or hand the edit to the editor).

use serde_json::{Map, Value};

use super::json_edit::{self, EditError, Layout, Node, NodeKind};
use super::{Verified, FILE_NAME};

/// What a verify function returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyResult {
    pub scanned: Option<u64>,
    pub remaining: u64,
}

/// Reads `{ scanned, remaining }` from the output of `npx convex run` (JSON, or the JavaScript
/// object notation the CLI prints: `{ remaining: 0, scanned: 250 }`). `None` when absent.
pub fn parse_verify_output(output: &str) -> Option<VerifyResult> {
    let number_after = |key: &str| -> Option<u64> {
        let mut rest = output;
        while let Some(at) = rest.find(key) {
            let after = &rest[at + key.len()..];
            let after = after.trim_start_matches(['"', '\'']).trim_start();
            if let Some(value) = after.strip_prefix(':') {
                let digits: String = value.trim_start().chars().take_while(|c| c.is_ascii_digit()).collect();
                if !digits.is_empty() {
                    return digits.parse().ok();
                }
            }
            rest = &rest[at + key.len()..];
        }
        None
    };
    Some(VerifyResult { remaining: number_after("remaining")?, scanned: number_after("scanned") })
}

/// The config file's text and tree, checked before an edit: `None` when there is no file (or it
/// is blank). A file that does not parse as a JSON object is an error: the user must fix it
/// before it is edited.
fn parse_config(config_text: Option<&str>) -> Result<Option<(&str, Node)>, String> {
    let Some(text) = config_text.filter(|t| !t.trim().is_empty()) else { return Ok(None) };
    let root = json_edit::parse(text).map_err(|e| edit_error(e.into()))?;
    if !root.is_object() {
        return Err(edit_error(EditError::NotAnObject(Vec::new())));
    }
    Ok(Some((text, root)))
}

/// What the user reads when the file cannot be edited.
fn edit_error(error: EditError) -> String {
    match error {
        EditError::Parse(e) => format!("{FILE_NAME} does not parse ({e}); fix it first"),
        EditError::NotAnObject(path) if path.is_empty() => format!("{FILE_NAME} must hold a JSON object"),
        other => format!("cannot edit {FILE_NAME}: {other}"),
    }
}

/// A new config file holding `root`: 2-space indentation and a final newline.
fn fresh(root: &Value) -> String {
    let mut text = json_edit::render_value(root, &json_edit::Style::default(), Layout::Pretty { compact: false }, "");
    text.push('\n');
    text
}

/// `{ key: value }`.
fn object(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_string(), value);
    Value::Object(map)
}

/// The config file's text with `{ "from", "to" }` added to `dualWrites` (once: a declared pair
/// leaves the text as it is). A `dualWrites` that is not a list is replaced by one. Only the list
/// changes; the rest of the file keeps its bytes.
pub fn add_dual_write(config_text: Option<&str>, from: &str, to: &str) -> Result<String, String> {
    let entry = serde_json::json!({ "from": from, "to": to });
    let Some((text, root)) = parse_config(config_text)? else {
        return Ok(fresh(&object("dualWrites", Value::Array(vec![entry]))));
    };
    let edited = match root.get("dualWrites").map(|node| &node.kind) {
        Some(NodeKind::Array(items)) => {
            for item in items {
                if item.to_value(text).map_err(|e| edit_error(e.into()))? == entry {
                    return Ok(text.to_string());
                }
            }
            json_edit::push_element(text, &["dualWrites"], &entry)
        }
        _ => json_edit::set_value(text, &["dualWrites"], &Value::Array(vec![entry])),
    };
    edited.map_err(edit_error)
}

/// The config file's text without the `{ "from", "to" }` entries of `dualWrites`, each removed
/// with its comma; the list stays, empty (`[]`) when it held only that pair. Without such a pair
/// (or a `dualWrites` list) the text is returned as it is; without a file, an empty config (`{}`).
pub fn remove_dual_write(config_text: Option<&str>, from: &str, to: &str) -> Result<String, String> {
    let Some((text, root)) = parse_config(config_text)? else { return Ok(fresh(&Value::Object(Map::new()))) };
    if !matches!(root.get("dualWrites").map(|node| &node.kind), Some(NodeKind::Array(_))) {
        return Ok(text.to_string());
    }
    let is_pair =
        |item: &Value| item.get("from").and_then(Value::as_str) == Some(from) && item.get("to").and_then(Value::as_str) == Some(to);
    json_edit::remove_elements(text, &["dualWrites"], is_pair).map_err(edit_error)
}

/// The config file's text with `entry` recorded for `verified[key]`: it replaces the entry of the
/// same deployment and keeps those of other deployments (one object when it is the only one, a
/// list otherwise; a new entry goes last). Only `verified[key]` changes (or `verified`, when it is
/// missing or not an object); the rest of the file keeps its bytes.
pub fn record(config_text: Option<&str>, key: &str, entry: &Verified) -> Result<String, String> {
    let entry_value = serde_json::to_value(entry).map_err(|e| e.to_string())?;
    let Some((text, root)) = parse_config(config_text)? else {
        return Ok(fresh(&object("verified", object(key, entry_value))));
    };
    let same = |v: &Value| v.get("deployment").and_then(Value::as_str) == entry.deployment.as_deref();
    let path = ["verified", key];
    let edited = match (root.get("verified"), root.find(&path)) {
        (Some(verified), _) if !verified.is_object() => json_edit::set_value(text, &["verified"], &object(key, entry_value)),
        (_, Some(node)) => match &node.kind {
            NodeKind::Array(elements) => {
                let mut others = 0;
                for element in elements {
                    others += usize::from(!same(&element.to_value(text).map_err(|e| edit_error(e.into()))?));
                }
                if others == 0 {
                    json_edit::set_value(text, &path, &entry_value)
                } else {
                    json_edit::remove_elements(text, &path, same).and_then(|kept| json_edit::push_element(&kept, &path, &entry_value))
                }
            }
            NodeKind::Object(_) => {
                let old = node.to_value(text).map_err(|e| edit_error(e.into()))?;
                let value = if same(&old) { entry_value } else { Value::Array(vec![old, entry_value]) };
                json_edit::set_value(text, &path, &value)
            }
            _ => json_edit::set_value(text, &path, &entry_value),
        },
        (_, None) => json_edit::set_value(text, &path, &entry_value),
    };
    edited.map_err(edit_error)
}

/// `seconds` since the Unix epoch as an RFC 3339 UTC timestamp (`2026-11-25T12:00:00Z`).
pub fn rfc3339(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rem = seconds % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Now, as RFC 3339.
pub fn now() -> String {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    rfc3339(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_cli_output() {
        assert_eq!(
            parse_verify_output("{\n  \"remaining\": 0,\n  \"scanned\": 250\n}\n"),
            Some(VerifyResult { scanned: Some(250), remaining: 0 })
        );
        assert_eq!(parse_verify_output("{ scanned: 3, remaining: 2 }"), Some(VerifyResult { scanned: Some(3), remaining: 2 }));
        assert_eq!(parse_verify_output("Error: function not found"), None);
    }

    #[test]
    fn records_and_keeps_the_rest() {
        let entry = Verified { deployment: Some("prod".into()), at: Some(rfc3339(0)), remaining: Some(0), ..Verified::default() };
        let text = record(Some("{ \"rules\": { \"removed-table\": \"off\" }, \"base\": \"main\" }"), "users.role", &entry).unwrap();
        // A file written on one line stays on one line.
        assert_eq!(
            text,
            "{ \"rules\": { \"removed-table\": \"off\" }, \"base\": \"main\", \"verified\": { \"users.role\": { \"deployment\": \"prod\", \"at\": \"1970-01-01T00:00:00Z\", \"remaining\": 0 } } }"
        );
        assert!(record(Some("{ nope"), "a.b", &entry).is_err());
        let fresh = record(None, "users.role", &entry).unwrap();
        assert!(crate::config::Config::parse(&fresh, &crate::config::tests::known).0.is_verified("users", "role", "prod"));
        // A dev verification joins the prod one; a second prod one replaces the first.
        let dev = Verified { deployment: Some("dev".into()), at: Some(rfc3339(60)), remaining: Some(0), ..Verified::default() };
        let both = record(Some(&fresh), "users.role", &dev).unwrap();
        let again = record(Some(&both), "users.role", &Verified { at: Some(rfc3339(120)), ..entry.clone() }).unwrap();
        let config = crate::config::Config::parse(&again, &crate::config::tests::known).0;
        let deployments: Vec<_> = config.verifications("users", "role").iter().map(|v| (v.deployment.clone(), v.at.clone())).collect();
        assert_eq!(deployments, [(Some("dev".into()), Some(rfc3339(60))), (Some("prod".into()), Some(rfc3339(120)))]);
    }

    #[test]
    fn declares_dual_writes_once() {
        let text = add_dual_write(Some("{ \"base\": \"main\" }"), "posts.tags", "postTags").unwrap();
        let again = add_dual_write(Some(&text), "posts.tags", "postTags").unwrap();
        assert_eq!(text, again);
        let config = crate::config::Config::parse(&text, &crate::config::tests::known).0;
        assert_eq!(config.dual_writes, vec![crate::config::DualWrite { from: "posts.tags".into(), to: "postTags".into() }]);
        assert_eq!(config.base.as_deref(), Some("main"));
    }

    #[test]
    fn formats_timestamps() {
        assert_eq!(rfc3339(1_795_608_000), "2026-11-25T12:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    /// A ledger entry for `deployment` at `seconds`, built through serde (so fields added to
    /// `Verified` keep their defaults).
    fn entry(deployment: &str, seconds: u64) -> Verified {
        serde_json::from_value(serde_json::json!({ "deployment": deployment, "at": rfc3339(seconds), "remaining": 0 }))
            .expect("a ledger entry")
    }

    /// What `record` means, computed on the whole file with serde_json (as it was once written):
    /// the reference for the value of every edit.
    fn recorded(text: &str, key: &str, entry: &Verified) -> Value {
        let mut root: Value = serde_json::from_str(text).expect("JSON");
        let same = |v: &Value| v.get("deployment").and_then(Value::as_str) == entry.deployment.as_deref();
        let map = root.as_object_mut().expect("an object");
        if !map.get("verified").is_some_and(Value::is_object) {
            map.insert("verified".into(), Value::Object(Map::new()));
        }
        let verified = map.get_mut("verified").and_then(Value::as_object_mut).expect("an object");
        let mut entries = match verified.remove(key) {
            Some(Value::Array(items)) => items,
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        };
        entries.retain(|v| !same(v));
        entries.push(serde_json::to_value(entry).expect("an entry"));
        verified.insert(key.into(), if entries.len() == 1 { entries.remove(0) } else { Value::Array(entries) });
        root
    }

    /// `text`'s `dualWrites` with the pair added or removed, computed with serde_json.
    fn dual_written(text: &str, from: &str, to: &str, add: bool) -> Value {
        let mut root: Value = serde_json::from_str(text).expect("JSON");
        let pair = serde_json::json!({ "from": from, "to": to });
        let map = root.as_object_mut().expect("an object");
        match map.get_mut("dualWrites").and_then(Value::as_array_mut) {
            Some(items) if add && !items.contains(&pair) => items.push(pair),
            Some(_) if add => {}
            Some(items) => items.retain(|item| *item != pair),
            None if add => {
                map.insert("dualWrites".into(), Value::Array(vec![pair]));
            }
            None => {}
        }
        root
    }

    /// Checks that `after` differs from `before` only inside the value at `path` in `before`, and
    /// writes new lines as `before` does.
    fn changes_only(before: &str, after: &str, path: &[&str]) {
        if before == after {
            return;
        }
        let prefix = before.bytes().zip(after.bytes()).take_while(|(a, b)| a == b).count();
        let room = before.len().min(after.len()) - prefix;
        let suffix = before.bytes().rev().zip(after.bytes().rev()).take_while(|(a, b)| a == b).count().min(room);
        let value = json_edit::value_range(before, path).expect("JSON").expect("the value");
        assert!(value.start <= prefix && before.len() - suffix <= value.end, "{before:?} → {after:?} changed outside {path:?}");
        if before.contains("\r\n") {
            assert_eq!(after.matches('\n').count(), after.matches("\r\n").count(), "{after:?}");
        }
        let unit = if before.contains("\n\t") { ' ' } else { '\t' };
        assert!(!after.contains(&format!("\n{unit}")) && !after.contains(&format!("\r\n{unit}")), "{after:?} mixes indents");
    }

    const FOUR_SPACES: &str = "{\n    \"$schema\": \"./node_modules/convex-migrate/schema.json\",\n    \"base\": \"origin/main\",\n    \"rules\": {\n        \"unbounded-collect\": \"off\"\n    }\n}\n";
    const TABS: &str = "{\n\t\"base\": \"main\",\n\t\"verified\": {\n\t\t\"users.role\": {\n\t\t\t\"deployment\": \"prod\",\n\t\t\t\"at\": \"2026-01-01T00:00:00Z\",\n\t\t\t\"remaining\": 0\n\t\t}\n\t}\n}";
    const ONE_LINE: &str = "{\"base\":\"main\",\"verified\":{\"users.role\":[{\"deployment\":\"dev\",\"at\":\"x\"},{\"deployment\":\"prod\",\"at\":\"y\"}]}}\n";
    const CRLF: &str = "{\r\n  \"$schema\": \"déjà vu — \\\"quoted\\\" \\\\ 表\",\r\n  \"dualWrites\": [ { \"from\": \"posts.tags\", \"to\": \"postTags\" } ],\r\n  \"rules\": { \"unbounded-collect\": \"off\" },\r\n  \"verified\": {\r\n    \"users.role\": { \"deployment\": \"prod\", \"at\": \"2026-11-25T12:00:00Z\", \"remaining\": 0 },\r\n    \"ü.名前\": [\r\n      { \"deployment\": \"dev\", \"at\": \"a\" },\r\n      { \"deployment\": \"prod\", \"at\": \"b\" }\r\n    ]\r\n  }\r\n}\r\n";
    const NESTED: &str = "{\n  \"rules\": {\n    \"unbounded-collect\": { \"level\": \"all\", \"extra\": { \"deep\": [1, { \"x\": null }] } }\n  },\n  \"dualWrites\": [\n    {\n      \"from\": \"posts.tags\",\n      \"to\": \"postTags\"\n    },\n    {\n      \"from\": \"a.b\",\n      \"to\": \"c\"\n    }\n  ],\n  \"verified\": {}\n}";

    #[test]
    fn every_edit_keeps_the_rest_and_means_what_it_says() {
        for text in [FOUR_SPACES, TABS, ONE_LINE, CRLF, NESTED] {
            for (key, deployment) in
                [("users.role", "prod"), ("users.role", "dev"), ("users.role", "staging"), ("ü.名前", "prod"), ("new.field", "dev")]
            {
                let entry = entry(deployment, 100);
                let after = record(Some(text), key, &entry).unwrap();
                assert_eq!(serde_json::from_str::<Value>(&after).unwrap(), recorded(text, key, &entry), "{text:?} {key} {deployment}");
                let path: &[&str] = match json_edit::value_range(text, &["verified", key]).unwrap() {
                    Some(_) => &["verified", key],
                    None if text.contains("\"verified\"") => &["verified"],
                    None => &[],
                };
                changes_only(text, &after, path);
            }
            for (from, to) in [("posts.tags", "postTags"), ("a.b", "c"), ("x.y", "z")] {
                let added = add_dual_write(Some(text), from, to).unwrap();
                assert_eq!(serde_json::from_str::<Value>(&added).unwrap(), dual_written(text, from, to, true));
                let removed = remove_dual_write(Some(text), from, to).unwrap();
                assert_eq!(serde_json::from_str::<Value>(&removed).unwrap(), dual_written(text, from, to, false));
                let path: &[&str] = if text.contains("dualWrites") { &["dualWrites"] } else { &[] };
                changes_only(text, &added, path);
                changes_only(text, &removed, path);
            }
        }
    }

    #[test]
    fn records_in_a_four_space_file_without_a_ledger() {
        let after = record(Some(FOUR_SPACES), "users.role", &entry("prod", 0)).unwrap();
        assert_eq!(
            after,
            "{\n    \"$schema\": \"./node_modules/convex-migrate/schema.json\",\n    \"base\": \"origin/main\",\n    \"rules\": {\n        \"unbounded-collect\": \"off\"\n    },\n    \"verified\": {\n        \"users.role\": {\n            \"deployment\": \"prod\",\n            \"at\": \"1970-01-01T00:00:00Z\",\n            \"remaining\": 0\n        }\n    }\n}\n"
        );
        let declared = add_dual_write(Some(FOUR_SPACES), "a.b", "c").unwrap();
        assert_eq!(
            declared,
            "{\n    \"$schema\": \"./node_modules/convex-migrate/schema.json\",\n    \"base\": \"origin/main\",\n    \"rules\": {\n        \"unbounded-collect\": \"off\"\n    },\n    \"dualWrites\": [\n        {\n            \"from\": \"a.b\",\n            \"to\": \"c\"\n        }\n    ]\n}\n"
        );
    }

    #[test]
    fn records_in_a_tab_file_with_one_entry() {
        // Another deployment: the entry becomes a list.
        let after = record(Some(TABS), "users.role", &entry("dev", 0)).unwrap();
        assert_eq!(
            after,
            "{\n\t\"base\": \"main\",\n\t\"verified\": {\n\t\t\"users.role\": [\n\t\t\t{\n\t\t\t\t\"deployment\": \"prod\",\n\t\t\t\t\"at\": \"2026-01-01T00:00:00Z\",\n\t\t\t\t\"remaining\": 0\n\t\t\t},\n\t\t\t{\n\t\t\t\t\"deployment\": \"dev\",\n\t\t\t\t\"at\": \"1970-01-01T00:00:00Z\",\n\t\t\t\t\"remaining\": 0\n\t\t\t}\n\t\t]\n\t}\n}"
        );
        // The same deployment: replaced in place.
        let after = record(Some(TABS), "users.role", &entry("prod", 0)).unwrap();
        assert_eq!(after, TABS.replace("2026-01-01T00:00:00Z", "1970-01-01T00:00:00Z"));
        // A new field joins the ledger at its members' indentation.
        let after = record(Some(TABS), "posts.tags", &entry("prod", 0)).unwrap();
        assert_eq!(
            after,
            "{\n\t\"base\": \"main\",\n\t\"verified\": {\n\t\t\"users.role\": {\n\t\t\t\"deployment\": \"prod\",\n\t\t\t\"at\": \"2026-01-01T00:00:00Z\",\n\t\t\t\"remaining\": 0\n\t\t},\n\t\t\"posts.tags\": {\n\t\t\t\"deployment\": \"prod\",\n\t\t\t\"at\": \"1970-01-01T00:00:00Z\",\n\t\t\t\"remaining\": 0\n\t\t}\n\t}\n}"
        );
    }

    #[test]
    fn records_in_a_one_line_file_with_a_list() {
        let after = record(Some(ONE_LINE), "users.role", &entry("prod", 0)).unwrap();
        assert_eq!(
            after,
            "{\"base\":\"main\",\"verified\":{\"users.role\":[{\"deployment\":\"dev\",\"at\":\"x\"},{\"deployment\":\"prod\",\"at\":\"1970-01-01T00:00:00Z\",\"remaining\":0}]}}\n"
        );
        let after = record(Some(ONE_LINE), "users.name", &entry("dev", 0)).unwrap();
        assert_eq!(
            after,
            "{\"base\":\"main\",\"verified\":{\"users.role\":[{\"deployment\":\"dev\",\"at\":\"x\"},{\"deployment\":\"prod\",\"at\":\"y\"}],\"users.name\":{\"deployment\":\"dev\",\"at\":\"1970-01-01T00:00:00Z\",\"remaining\":0}}}\n"
        );
    }

    #[test]
    fn records_in_a_crlf_file_with_unicode() {
        let after = record(Some(CRLF), "ü.名前", &entry("dev", 0)).unwrap();
        assert_eq!(
            after,
            "{\r\n  \"$schema\": \"déjà vu — \\\"quoted\\\" \\\\ 表\",\r\n  \"dualWrites\": [ { \"from\": \"posts.tags\", \"to\": \"postTags\" } ],\r\n  \"rules\": { \"unbounded-collect\": \"off\" },\r\n  \"verified\": {\r\n    \"users.role\": { \"deployment\": \"prod\", \"at\": \"2026-11-25T12:00:00Z\", \"remaining\": 0 },\r\n    \"ü.名前\": [\r\n      { \"deployment\": \"prod\", \"at\": \"b\" },\r\n      { \"deployment\": \"dev\", \"at\": \"1970-01-01T00:00:00Z\", \"remaining\": 0 }\r\n    ]\r\n  }\r\n}\r\n"
        );
        let after = record(Some(CRLF), "users.role", &entry("dev", 0)).unwrap();
        assert_eq!(
            after,
            "{\r\n  \"$schema\": \"déjà vu — \\\"quoted\\\" \\\\ 表\",\r\n  \"dualWrites\": [ { \"from\": \"posts.tags\", \"to\": \"postTags\" } ],\r\n  \"rules\": { \"unbounded-collect\": \"off\" },\r\n  \"verified\": {\r\n    \"users.role\": [\r\n      { \"deployment\": \"prod\", \"at\": \"2026-11-25T12:00:00Z\", \"remaining\": 0 },\r\n      { \"deployment\": \"dev\", \"at\": \"1970-01-01T00:00:00Z\", \"remaining\": 0 }\r\n    ],\r\n    \"ü.名前\": [\r\n      { \"deployment\": \"dev\", \"at\": \"a\" },\r\n      { \"deployment\": \"prod\", \"at\": \"b\" }\r\n    ]\r\n  }\r\n}\r\n"
        );
        let after = add_dual_write(Some(CRLF), "a.b", "c").unwrap();
        assert_eq!(after, CRLF.replace("\"postTags\" } ]", "\"postTags\" }, { \"from\": \"a.b\", \"to\": \"c\" } ]"));
        let after = remove_dual_write(Some(CRLF), "posts.tags", "postTags").unwrap();
        assert_eq!(after, CRLF.replace("[ { \"from\": \"posts.tags\", \"to\": \"postTags\" } ]", "[]"));
    }

    #[test]
    fn edits_next_to_nested_objects() {
        // The ledger's neighbour (the list above it) is written one item per line: so is the entry.
        let after = record(Some(NESTED), "users.role", &entry("prod", 0)).unwrap();
        assert_eq!(
            after,
            NESTED.replace(
                "\"verified\": {}",
                "\"verified\": {\n    \"users.role\": {\n      \"deployment\": \"prod\",\n      \"at\": \"1970-01-01T00:00:00Z\",\n      \"remaining\": 0\n    }\n  }"
            )
        );
        let after = remove_dual_write(Some(NESTED), "posts.tags", "postTags").unwrap();
        assert_eq!(after, NESTED.replace("    {\n      \"from\": \"posts.tags\",\n      \"to\": \"postTags\"\n    },\n", ""));
        let after = remove_dual_write(Some(NESTED), "a.b", "c").unwrap();
        assert_eq!(after, NESTED.replace(",\n    {\n      \"from\": \"a.b\",\n      \"to\": \"c\"\n    }", ""));
        assert_eq!(remove_dual_write(Some(NESTED), "a.b", "nope").unwrap(), NESTED);
        assert_eq!(remove_dual_write(Some(FOUR_SPACES), "a.b", "c").unwrap(), FOUR_SPACES);
        assert_eq!(add_dual_write(Some(NESTED), "a.b", "c").unwrap(), NESTED);
    }

    #[test]
    fn replaces_what_is_not_a_ledger_or_a_list() {
        let after = record(Some("{ \"verified\": [] }"), "users.role", &entry("prod", 0)).unwrap();
        assert_eq!(
            after,
            "{ \"verified\": { \"users.role\": { \"deployment\": \"prod\", \"at\": \"1970-01-01T00:00:00Z\", \"remaining\": 0 } } }"
        );
        let after = record(Some("{ \"verified\": { \"users.role\": \"yes\" } }"), "users.role", &entry("prod", 0)).unwrap();
        assert_eq!(
            after,
            "{ \"verified\": { \"users.role\": { \"deployment\": \"prod\", \"at\": \"1970-01-01T00:00:00Z\", \"remaining\": 0 } } }"
        );
        let after = add_dual_write(Some("{\n  \"dualWrites\": null\n}\n"), "a.b", "c").unwrap();
        assert_eq!(after, "{\n  \"dualWrites\": [\n    {\n      \"from\": \"a.b\",\n      \"to\": \"c\"\n    }\n  ]\n}\n");
    }

    #[test]
    fn without_a_file_writes_a_fresh_pretty_one() {
        let one = entry("prod", 0);
        let expected =
            serde_json::to_string_pretty(&serde_json::json!({ "verified": { "users.role": serde_json::to_value(&one).unwrap() } }))
                .unwrap()
                + "\n";
        assert_eq!(record(None, "users.role", &one).unwrap(), expected);
        assert_eq!(record(Some(" \n"), "users.role", &one).unwrap(), expected);
        assert_eq!(
            add_dual_write(None, "a.b", "c").unwrap(),
            "{\n  \"dualWrites\": [\n    {\n      \"from\": \"a.b\",\n      \"to\": \"c\"\n    }\n  ]\n}\n"
        );
        assert_eq!(remove_dual_write(None, "a.b", "c").unwrap(), "{}\n");
    }

    #[test]
    fn refuses_what_is_not_a_json_object() {
        let one = entry("prod", 0);
        let cases = [
            (
                "{ \"base\": \"main\"",
                "convex-migrate.json does not parse (the text ends where `,` or `}` was expected at line 1, column 17); fix it first",
            ),
            (
                "{ \"base\": \"main\" } x",
                "convex-migrate.json does not parse (unexpected character 'x' at line 1, column 20); fix it first",
            ),
            ("[1]", "convex-migrate.json must hold a JSON object"),
            ("\"verified\"", "convex-migrate.json must hold a JSON object"),
        ];
        for (text, message) in cases {
            assert_eq!(record(Some(text), "users.role", &one), Err(message.to_string()), "{text:?}");
            assert_eq!(add_dual_write(Some(text), "a.b", "c"), Err(message.to_string()), "{text:?}");
            assert_eq!(remove_dual_write(Some(text), "a.b", "c"), Err(message.to_string()), "{text:?}");
        }
    }

    #[test]
    fn truncated_files_are_refused_never_panicked_on() {
        let one = entry("dev", 0);
        for end in (0..=CRLF.len()).filter(|end| CRLF.is_char_boundary(*end)) {
            let text = &CRLF[..end];
            let is_object = serde_json::from_str::<Value>(text).is_ok_and(|v| v.is_object());
            for result in [
                record(Some(text), "ü.名前", &one),
                add_dual_write(Some(text), "a.b", "c"),
                remove_dual_write(Some(text), "posts.tags", "postTags"),
            ] {
                match result {
                    Ok(after) => {
                        assert!(is_object || text.trim().is_empty(), "{text:?} was edited");
                        assert!(serde_json::from_str::<Value>(&after).is_ok_and(|v| v.is_object()), "{after:?}");
                    }
                    Err(message) => {
                        assert!(!is_object, "{text:?}: {message}");
                        assert!(message.starts_with("convex-migrate.json does not parse ("), "{message}");
                    }
                }
            }
        }
    }
}
