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
    pub expected: Vec<Expected>,
    /// (expectation, substring the message must contain)
    pub contains: Vec<(Expected, String)>,
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

type Section = (bool, String, Vec<String>);

fn flush(current: &mut Option<Section>, fixture: &mut Fixture) {
    if let Some((is_base, path, lines)) = current.take() {
        let mut text = lines.join("\n");
        text.push('\n');
        if is_base {
            fixture.base.push((path, text));
        } else {
            fixture.working.push((path, text));
        }
    }
}

pub fn parse_fixture(text: &str) -> Fixture {
    let mut fixture = Fixture { base: Vec::new(), working: Vec::new(), expected: Vec::new(), contains: Vec::new() };
    let mut current: Option<Section> = None;
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("//- ") {
            flush(&mut current, &mut fixture);
            let (is_base, path) = match header.strip_prefix("base: ") {
                Some(p) => (true, p.trim().to_string()),
                None => (false, header.trim().to_string()),
            };
            current = Some((is_base, path, Vec::new()));
            continue;
        }
        let Some((is_base, path, lines)) = current.as_mut() else { continue };
        if let Some((col, len, severity, rule, contains)) = parse_annotation(line) {
            assert!(!*is_base, "annotations belong to working files ({path})");
            assert!(!lines.is_empty(), "an annotation needs a line above it ({path})");
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
