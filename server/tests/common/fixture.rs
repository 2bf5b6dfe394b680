//! The fixture format of `tests/fixtures/rules/*.fixture`: a base and a working side of a
//! project in one file, with expected findings as caret annotations under the line they point at
//! (see `fixtures.rs`).

/// The fixture files, sorted, with their names (file stems).
pub fn rule_fixtures() -> Vec<(String, std::path::PathBuf)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/rules");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).expect("fixtures folder").flatten().map(|e| e.path()).collect();
    paths.retain(|p| p.extension().is_some_and(|e| e == "fixture"));
    paths.sort();
    paths.into_iter().map(|p| (p.file_stem().unwrap_or_default().to_string_lossy().to_string(), p)).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub path: String,
    pub line: u32,
    pub col: u32,
    pub len: u32,
    pub severity: String,
    pub rule: String,
}

pub struct Fixture {
    pub base: Vec<(String, String)>,
    pub working: Vec<(String, String)>,
    /// `//- after "TITLE": PATH`: the text of PATH after the fix whose title starts with TITLE.
    pub after: Vec<After>,
    pub expected: Vec<Expected>,
    /// (expectation, substring the message must contain)
    pub contains: Vec<(Expected, String)>,
}

/// The expected text of one file after one fix.
pub struct After {
    pub title: String,
    pub path: String,
    pub text: String,
}

fn parse_annotation(line: &str) -> Option<(u32, u32, String, String, Option<String>)> {
    let rest = line.trim_start().strip_prefix("//")?;
    if !rest.trim_start().starts_with('^') {
        return None;
    }
    let col = line.find('^')? as u32;
    let len = line[col as usize..].chars().take_while(|&c| c == '^').count() as u32;
    let after = line[col as usize + len as usize..].trim();
    let (spec, contains) = match after.split_once(" -- ") {
        Some((s, c)) => (s.trim(), Some(c.trim().to_string())),
        None => (after, None),
    };
    let (severity, rule) = spec.split_once(':')?;
    Some((col, len, severity.trim().to_string(), rule.trim().to_string(), contains))
}

#[derive(PartialEq)]
enum Kind {
    Base,
    Working,
    /// After the fix with this title.
    After(String),
}

type Section = (Kind, String, Vec<String>);

fn flush(current: &mut Option<Section>, fixture: &mut Fixture) {
    if let Some((kind, path, lines)) = current.take() {
        let mut text = lines.join("\n");
        text.push('\n');
        match kind {
            Kind::Base => fixture.base.push((path, text)),
            Kind::Working => fixture.working.push((path, text)),
            Kind::After(title) => fixture.after.push(After { title, path, text }),
        }
    }
}

pub fn parse_fixture(text: &str) -> Fixture {
    let mut fixture = Fixture { base: Vec::new(), working: Vec::new(), after: Vec::new(), expected: Vec::new(), contains: Vec::new() };
    let mut current: Option<Section> = None;
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("//- ") {
            flush(&mut current, &mut fixture);
            let (kind, path) = if let Some(p) = header.strip_prefix("base: ") {
                (Kind::Base, p.trim().to_string())
            } else if let Some(rest) = header.strip_prefix("after \"") {
                let (title, path) = rest.split_once("\": ").expect("//- after \"TITLE\": PATH");
                (Kind::After(title.to_string()), path.trim().to_string())
            } else {
                (Kind::Working, header.trim().to_string())
            };
            current = Some((kind, path, Vec::new()));
            continue;
        }
        let Some((kind, path, lines)) = current.as_mut() else { continue };
        if let (Kind::Working, Some((col, len, severity, rule, contains))) = (&*kind, parse_annotation(line)) {
            assert!(!lines.is_empty(), "an annotation needs a line above it ({path})");
            assert!(*kind == Kind::Working);
            let e = Expected { path: path.clone(), line: lines.len() as u32 - 1, col, len, severity, rule };
            if let Some(c) = contains {
                fixture.contains.push((e.clone(), c));
            }
            fixture.expected.push(e);
            continue;
        }
        lines.push(line.to_string());
    }
    flush(&mut current, &mut fixture);
    fixture
}
