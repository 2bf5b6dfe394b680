//! `convex-migrate.json`: the project's settings and its ledger of verified migrations.
//!
//! Parsing is lenient: a malformed file yields errors that point into it, and the defaults (or
//! the parts that did parse) are used. [`ledger`] edits the file's text (the ledger, declared
//! dual-writes), keeping the rest.

pub mod json_edit;
pub mod ledger;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::line_index::{ColumnUnit, LineCol, LineIndex, TextRange};

pub const FILE_NAME: &str = "convex-migrate.json";

/// A severity as set in `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Hint,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }
}

/// A rule's level: a severity, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Off,
    On(Severity),
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        Some(match text {
            "off" => Level::Off,
            "error" => Level::On(Severity::Error),
            "warning" | "warn" => Level::On(Severity::Warning),
            "info" => Level::On(Severity::Info),
            "hint" => Level::On(Severity::Hint),
            _ => return None,
        })
    }
}

/// A dual-write pair: `from` the old place, `to` the new one (`table` or `table.field`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DualWrite {
    pub from: String,
    pub to: String,
}

/// A ledger entry: a migration verified on a deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verified {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    /// How many documents the verification looked at (`verify --snapshot`: the table's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned: Option<u64>,
    /// For a narrowing: the values verified gone from every document (`["guest"]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub without: Vec<serde_json::Value>,
}

impl Verified {
    /// An entry for a verification that found nothing left on `deployment`, now.
    pub fn now_on(deployment: &str) -> Verified {
        Verified { deployment: Some(deployment.to_string()), at: Some(ledger::now()), remaining: Some(0), ..Verified::default() }
    }
}

/// A field's ledger as written: one entry, or a list (one per deployment).
#[derive(Deserialize)]
#[serde(untagged)]
enum Entries {
    One(Verified),
    Many(Vec<Verified>),
}

impl Entries {
    fn into_vec(self) -> Vec<Verified> {
        match self {
            Entries::One(v) => vec![v],
            Entries::Many(v) => v,
        }
    }
}

/// The settings of one project.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub base: Option<String>,
    pub dual_writes: Vec<DualWrite>,
    /// Rule id → level, as written (checked against the known rules by the analysis).
    pub rules: BTreeMap<String, Level>,
    /// `table.field` → its verifications, one per deployment.
    pub verified: BTreeMap<String, Vec<Verified>>,
    /// Don't repeat in `.ts` files what TypeScript reports (editor only; default on).
    pub defer_to_typescript: Option<bool>,
    /// How many first-parent commits before the base are searched for deleted migrations.
    pub history_depth: Option<usize>,
    /// Rule id → a level of the rule's own (`"unbounded-collect": "all"`), as written.
    pub options: BTreeMap<String, String>,
}

/// The config file as read: its settings, its text (when the file exists) and its mistakes.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    pub config: Config,
    /// `None` when the project has no `convex-migrate.json`.
    pub text: Option<String>,
    pub errors: Vec<ConfigError>,
}

impl ConfigFile {
    /// Parses the file's text (`None`: there is no file, the defaults apply).
    pub fn parse(text: Option<String>, rules: RuleTable<'_>) -> ConfigFile {
        match text {
            Some(t) => {
                let (config, errors) = Config::parse(&t, rules);
                ConfigFile { config, text: Some(t), errors }
            }
            None => ConfigFile::default(),
        }
    }
}

/// What the config knows of the rules (the registry, above it): for a rule id, the levels of the
/// rule's own besides the severities (`Some(&[])` for most; `None`: no such rule).
pub type RuleTable<'a> = &'a dyn Fn(&str) -> Option<&'static [&'static str]>;

/// A problem in the config file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub range: TextRange,
    pub message: String,
}

impl Config {
    /// Whether the ledger records `table.field` verified on `deployment`: an entry for that
    /// deployment (or one that names none, which a person wrote for every deployment) with nothing
    /// remaining.
    pub fn is_verified(&self, table: &str, field: &str, deployment: &str) -> bool {
        self.verifications(table, field)
            .iter()
            .any(|v| v.remaining.is_none_or(|r| r == 0) && v.deployment.as_deref().is_none_or(|d| d == deployment))
    }

    /// Whether the ledger records, on `deployment`, that no document of `table.field` holds any of
    /// `values` (a narrowing verified).
    pub fn is_verified_without(&self, table: &str, field: &str, deployment: &str, values: &[serde_json::Value]) -> bool {
        self.verifications(table, field).iter().any(|v| {
            v.remaining.is_none_or(|r| r == 0)
                && v.deployment.as_deref().is_none_or(|d| d == deployment)
                && values.iter().all(|value| v.without.contains(value))
        })
    }

    /// The ledger's entries for `table.field`, one per deployment.
    pub fn verifications(&self, table: &str, field: &str) -> &[Verified] {
        self.verified.get(&format!("{table}.{field}")).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Parses the file's text. Unknown keys and bad values are errors; what is valid is kept.
    pub fn parse(text: &str, known: RuleTable<'_>) -> (Config, Vec<ConfigError>) {
        let index = LineIndex::new(text);
        let mut errors = Vec::new();
        let mut config = Config::default();
        let root: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let pos = LineCol { line: e.line().saturating_sub(1) as u32, col: e.column().saturating_sub(1) as u32 };
                let at = index.offset(text, pos, ColumnUnit::Chars);
                errors.push(ConfigError {
                    range: TextRange::new(at, at + 1),
                    message: format!("{FILE_NAME} does not parse: {e}; using the defaults"),
                });
                return (config, errors);
            }
        };
        let find = |needle: &str| -> TextRange {
            let quoted = format!("\"{needle}\"");
            match text.find(&quoted) {
                Some(at) => TextRange::new(at as u32, (at + quoted.len()) as u32),
                None => TextRange::new(0, 1),
            }
        };
        let serde_json::Value::Object(map) = root else {
            errors.push(ConfigError { range: TextRange::new(0, 1), message: format!("{FILE_NAME} must hold a JSON object") });
            return (config, errors);
        };
        for (key, value) in map {
            let mut bad = |what: &str| errors.push(ConfigError { range: find(&key), message: format!("`{key}` {what}") });
            match key.as_str() {
                "$schema" => {}
                "base" => match value {
                    serde_json::Value::String(s) if !s.trim().is_empty() => config.base = Some(s),
                    _ => bad("must be a git revision, e.g. \"origin/main\""),
                },
                "historyDepth" => match value.as_u64() {
                    Some(n) if n <= 100_000 => config.history_depth = Some(n as usize),
                    _ => bad("must be a number of commits (0 turns the history walk off)"),
                },
                "deferToTypeScript" => match value {
                    serde_json::Value::Bool(b) => config.defer_to_typescript = Some(b),
                    _ => bad("must be true or false"),
                },
                "dualWrites" => match serde_json::from_value::<Vec<DualWrite>>(value) {
                    Ok(pairs) => config.dual_writes = pairs,
                    Err(e) => bad(&format!("must be a list of {{ \"from\": \"table.field\", \"to\": \"table\" }} ({e})")),
                },
                "rules" => match value {
                    serde_json::Value::Object(rules) => {
                        for (rule, level) in rules {
                            let Some(own_levels) = known(&rule) else {
                                errors.push(ConfigError {
                                    range: find(&rule),
                                    message: format!("unknown rule `{rule}` in `rules`; `convex-migrate explain` lists the rules"),
                                });
                                continue;
                            };
                            if let Some(own) = level.as_str().filter(|l| own_levels.contains(l)) {
                                config.options.insert(rule, own.to_string());
                                continue;
                            }
                            match level.as_str().and_then(Level::parse) {
                                Some(level) => {
                                    config.rules.insert(rule, level);
                                }
                                None => errors.push(ConfigError {
                                    range: find(&rule),
                                    message: format!(
                                        "rule `{rule}`: the level must be \"error\", \"warning\", \"info\", \"hint\" or \"off\"{}",
                                        own_levels.iter().map(|l| format!(", or \"{l}\"")).collect::<String>()
                                    ),
                                }),
                            }
                        }
                    }
                    _ => bad("must be an object of rule ids to levels"),
                },
                "verified" => match serde_json::from_value::<BTreeMap<String, Entries>>(value) {
                    Ok(verified) => {
                        let verified: BTreeMap<String, Vec<Verified>> = verified.into_iter().map(|(k, e)| (k, e.into_vec())).collect();
                        for name in verified.keys().filter(|k| crate::names::FieldRef::parse(k).is_err()) {
                            errors.push(ConfigError {
                                range: find(name),
                                message: format!("`verified` keys are `table.field`, not `{name}`"),
                            });
                        }
                        config.verified = verified;
                    }
                    Err(e) => bad(&format!(
                        "must map \"table.field\" to {{ \"deployment\", \"at\", \"remaining\" }}, or to a list of them (one per deployment) ({e})"
                    )),
                },
                _ => bad("is not a setting of convex-migrate (known: base, dualWrites, rules, verified, deferToTypeScript, historyDepth)"),
            }
        }
        (config, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule but `nope`, none with levels of its own.
    pub(crate) fn known(rule: &str) -> Option<&'static [&'static str]> {
        (rule != "nope").then_some(&[])
    }

    #[test]
    fn parses_the_documented_example() {
        let text = r#"{
  "base": "origin/main",
  "dualWrites": [ { "from": "posts.tags", "to": "postTags" } ],
  "rules": { "unbounded-collect": "off", "dual-write-one-side": "error" },
  "verified": { "users.role": { "deployment": "prod", "at": "2026-11-25T12:00:00Z", "remaining": 0 } }
}"#;
        let (config, errors) = Config::parse(text, &known);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(config.base.as_deref(), Some("origin/main"));
        assert_eq!(config.dual_writes[0].to, "postTags");
        assert_eq!(config.rules["unbounded-collect"], Level::Off);
        assert!(config.is_verified("users", "role", "prod"));
        assert!(!config.is_verified("users", "role", "dev"));
        assert!(!config.is_verified("users", "name", "prod"));
    }

    #[test]
    fn errors_point_into_the_file_and_keep_the_rest() {
        let text = "{\n  \"base\": 3,\n  \"rules\": { \"narrowed-type\": \"loud\" },\n  \"verified\": { \"users.role\": {} }\n}";
        let (config, errors) = Config::parse(text, &known);
        assert_eq!(errors.len(), 2);
        assert_eq!(&text[errors[0].range.as_usize_range()], "\"base\"");
        // An entry without a deployment is a person's claim for every deployment.
        assert!(config.is_verified("users", "role", "prod") && config.is_verified("users", "role", "dev"));
        let (_, errors) = Config::parse(r#"{ "rules": { "nope": "off" } }"#, &known);
        assert!(errors[0].message.contains("unknown rule `nope`"));
        let (config, errors) = Config::parse("{ \"base\": ", &known);
        assert_eq!(config, Config::default());
        assert!(errors[0].message.contains("does not parse"));
    }
}
