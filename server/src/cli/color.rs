//! Whether the human report is coloured: `--color always|never` decides; with `auto` (the
//! default) `NO_COLOR` (set and not empty) turns colour off, `FORCE_COLOR` or `CLICOLOR_FORCE`
//! (set, not empty, not `0`/`false`) turns it on, `CLICOLOR=0` off, and otherwise a terminal that
//! is not `TERM=dumb` gets colour and a pipe or file none.

use clap::ValueEnum;

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour on a terminal, none on a pipe; `NO_COLOR`, `FORCE_COLOR`, `CLICOLOR_FORCE` honoured.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour output going to a stream that `is_terminal` or not.
    pub fn enabled(self, env: &dyn Fn(&str) -> Option<String>, is_terminal: bool) -> bool {
        let set = |name: &str| env(name).filter(|v| !v.is_empty());
        let on = |name: &str| set(name).is_some_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "0" | "false"));
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // no-color.org: NO_COLOR wins over every environment variable (the flag wins over it).
            ColorChoice::Auto if set("NO_COLOR").is_some() => false,
            ColorChoice::Auto if on("FORCE_COLOR") || on("CLICOLOR_FORCE") => true,
            // FORCE_COLOR=0 is Node's (chalk's, supports-color's) way to say none.
            ColorChoice::Auto if set("FORCE_COLOR").is_some() => false,
            ColorChoice::Auto if set("CLICOLOR").is_some_and(|v| v.trim() == "0") => false,
            ColorChoice::Auto => is_terminal && env("TERM").is_none_or(|t| t != "dumb"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn auto_follows_the_terminal_and_the_environment() {
        let auto = ColorChoice::Auto;
        assert!(auto.enabled(&with(&[]), true));
        assert!(!auto.enabled(&with(&[]), false));
        assert!(!auto.enabled(&with(&[("TERM", "dumb")]), true));
        assert!(!auto.enabled(&with(&[("NO_COLOR", "1")]), true));
        // An empty NO_COLOR is unset (no-color.org).
        assert!(auto.enabled(&with(&[("NO_COLOR", "")]), true));
        assert!(auto.enabled(&with(&[("FORCE_COLOR", "1")]), false));
        assert!(auto.enabled(&with(&[("FORCE_COLOR", "3")]), false));
        assert!(auto.enabled(&with(&[("CLICOLOR_FORCE", "1")]), false));
        assert!(!auto.enabled(&with(&[("FORCE_COLOR", "0")]), true));
        assert!(!auto.enabled(&with(&[("FORCE_COLOR", "false")]), true));
        assert!(!auto.enabled(&with(&[("CLICOLOR", "0")]), true));
        assert!(!auto.enabled(&with(&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")]), true));
    }

    #[test]
    fn the_flag_wins() {
        assert!(ColorChoice::Always.enabled(&with(&[("NO_COLOR", "1")]), false));
        assert!(!ColorChoice::Never.enabled(&with(&[("FORCE_COLOR", "1")]), true));
    }
}
