//! Editing `convex-migrate.json`: the ledger of verified migrations (reading a verify function's
//! result as the Convex CLI prints it, recording an entry) and declared dual-write pairs, always
//! keeping the rest of the file in its order. Pure: text in, text out; callers do the I/O (or hand
//! the edit to the editor).

use serde_json::{Map, Value};

use super::Verified;

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

/// The config file as an object (empty when there is none). A file that does not parse as a
/// JSON object is an error: the user must fix it before it is edited.
fn parse_root(config_text: Option<&str>) -> Result<Map<String, Value>, String> {
    match config_text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Map::new()),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(format!("{} must hold a JSON object", super::FILE_NAME)),
            Err(e) => Err(format!("{} does not parse ({e}); fix it first", super::FILE_NAME)),
        },
    }
}

fn render(root: Map<String, Value>) -> Result<String, String> {
    let mut text = serde_json::to_string_pretty(&Value::Object(root)).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}

/// The config file's text with `{ "from", "to" }` added to `dualWrites` (once).
pub fn add_dual_write(config_text: Option<&str>, from: &str, to: &str) -> Result<String, String> {
    let mut root = parse_root(config_text)?;
    let list = root.entry("dualWrites").or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    if let Value::Array(items) = list {
        let entry = serde_json::json!({ "from": from, "to": to });
        if !items.contains(&entry) {
            items.push(entry);
        }
    }
    render(root)
}

/// The config file's text with `verified[key]` set to `entry`; everything else is kept in its
/// order.
pub fn record(config_text: Option<&str>, key: &str, entry: &Verified) -> Result<String, String> {
    let mut root = parse_root(config_text)?;
    let verified = root.entry("verified").or_insert_with(|| Value::Object(Map::new()));
    if !verified.is_object() {
        *verified = Value::Object(Map::new());
    }
    if let Value::Object(map) = verified {
        map.insert(key.to_string(), serde_json::to_value(entry).map_err(|e| e.to_string())?);
    }
    render(root)
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
        let entry = Verified { deployment: Some("prod".into()), at: Some(rfc3339(0)), remaining: Some(0), scanned: None };
        let text = record(Some("{ \"rules\": { \"removed-table\": \"off\" }, \"base\": \"main\" }"), "users.role", &entry).unwrap();
        assert_eq!(
            text,
            "{\n  \"rules\": {\n    \"removed-table\": \"off\"\n  },\n  \"base\": \"main\",\n  \"verified\": {\n    \"users.role\": {\n      \"deployment\": \"prod\",\n      \"at\": \"1970-01-01T00:00:00Z\",\n      \"remaining\": 0\n    }\n  }\n}\n"
        );
        assert!(record(Some("{ nope"), "a.b", &entry).is_err());
        let fresh = record(None, "users.role", &entry).unwrap();
        assert!(crate::config::Config::parse(&fresh, &crate::config::tests::known).0.is_verified("users", "role"));
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
}
