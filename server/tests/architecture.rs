//! The layers of ARCHITECTURE.md, checked: every `crate::…` path in `server/src` names a module
//! of the same layer or one below it, and no two modules of one layer use each other (no cycle).
//! A test that fails when an import climbs, so the map stays true.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module with the modules it may use (its layer and those below).
const LAYERS: &[(&str, &[&str])] = &[
    ("line_index", &[]),
    ("names", &[]),
    ("syntax", &["line_index"]),
    ("config", &["line_index", "names"]),
    ("model", &["line_index", "syntax"]),
    ("project", &["line_index", "syntax", "model"]),
    ("analysis", &["line_index", "names", "syntax", "config", "model", "project"]),
    ("fixes", &["line_index", "names", "syntax", "config", "model", "project", "analysis"]),
    ("sources", &["line_index", "names", "syntax", "config", "model", "project", "analysis", "fixes"]),
    ("lsp", &["line_index", "names", "syntax", "config", "model", "project", "analysis", "fixes", "sources"]),
    ("cli", &["line_index", "names", "syntax", "config", "model", "project", "analysis", "fixes", "sources", "lsp"]),
];

/// Items of the crate root anyone may use (exit codes, the stack size).
const ROOT_ITEMS: &[&str] = &["EXIT_OK", "EXIT_FINDINGS", "EXIT_ERROR", "STACK_SIZE"];

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            // Tests may reach anywhere.
            let text = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
            out.push((path.to_string_lossy().to_string(), text));
        }
    }
}

/// The module path of a source file: `analysis/rules/mod.rs` → `["analysis", "rules"]`.
fn module_of(src: &Path, file: &str) -> Vec<String> {
    let rel = Path::new(file).strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel.with_extension("").iter().map(|p| p.to_string_lossy().to_string()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// `crate::a::b…` paths in a text, as their first two names.
fn crate_paths(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let name = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
        let first = name(rest);
        let after = &rest[first.len()..];
        let second = after.strip_prefix("::").map(name).filter(|s| !s.is_empty());
        out.push((first, second));
    }
    out
}

#[test]
fn imports_follow_the_layers_and_have_no_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut problems = Vec::new();
    // Second-level modules (`analysis::state`) and the siblings they use.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in &files {
        let module = module_of(&src, file);
        let Some(top) = module.first() else { continue };
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(may) = allowed.get(top.as_str()) else {
            problems.push(format!("{file}: the module `{top}` is not in the layer table of tests/architecture.rs"));
            continue;
        };
        for (first, second) in crate_paths(text) {
            if first.is_empty() || ROOT_ITEMS.contains(&first.as_str()) {
                continue;
            }
            if &first == top {
                // A sibling sub-module of the same layer: an edge of the graph checked for cycles.
                let is_module = |name: &str| src.join(top).join(format!("{name}.rs")).exists() || src.join(top).join(name).is_dir();
                if let (Some(own), Some(second)) = (module.get(1), &second) {
                    if own != second && is_module(second) {
                        edges.entry(format!("{top}::{own}")).or_default().insert(format!("{top}::{second}"));
                    }
                }
                continue;
            }
            if !may.contains(&first.as_str()) {
                problems.push(format!("{file}: `{top}` uses `crate::{first}`, a layer above it"));
            }
        }
    }
    // Cycles among the sub-modules of each layer.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|s| s == next).unwrap_or(0);
                    cycles.push(format!("{} → {next}", stack[at..].join(" → ")));
                }
                Some(_) => {}
                None => visit(next, edges, state, stack, cycles),
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
    }
    let mut state = BTreeMap::new();
    let mut cycles = Vec::new();
    for node in edges.keys() {
        if !state.contains_key(node) {
            visit(node, &edges, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    problems.extend(cycles.into_iter().map(|c| format!("import cycle: {c}")));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The check sees the modules it is about.
    assert!(edges.contains_key("analysis::hover") && edges.contains_key("model::value"), "{edges:?}");
}
