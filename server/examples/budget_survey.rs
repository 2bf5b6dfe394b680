//! The parse budget over a folder of real code: the deepest nesting and the most steps any file
//! needs, the files near a limit, and whether swc parses each (for RELIABILITY.md).
//!
//! `cargo run --release --example budget_survey -- DIR...`
use convex_migrate::syntax::budget;

fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            walk(&path, out);
        } else if kind.is_file() && convex_migrate::syntax::Language::from_path(&path.to_string_lossy()).is_some() {
            out.push(path);
        }
    }
}

fn main() {
    let mut files = Vec::new();
    for dir in std::env::args().skip(1) {
        walk(std::path::Path::new(&dir), &mut files);
    }
    let (mut depths, mut steps, mut limited, mut bytes) = (Vec::new(), Vec::new(), Vec::new(), 0usize);
    let started = std::time::Instant::now();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        bytes += text.len();
        let name = path.to_string_lossy().to_string();
        let lang = convex_migrate::syntax::Language::from_path(&name).unwrap_or(convex_migrate::syntax::Language::TypeScript);
        let ts = !matches!(lang, convex_migrate::syntax::Language::JavaScript);
        let jsx = !matches!(lang, convex_migrate::syntax::Language::TypeScript);
        match budget::check(&text, ts, jsx) {
            Ok(m) => {
                depths.push((m.depth, name.clone()));
                steps.push((m.steps, name));
            }
            Err(limit) => limited.push((limit, name)),
        }
    }
    let scan_time = started.elapsed();
    depths.sort();
    steps.sort();
    println!("{} files, {} MB, scanned in {:.2?}", files.len(), bytes / 1_000_000, scan_time);
    let pct = |v: &Vec<(u64, String)>, p: f64| v.get(((v.len() as f64 - 1.0) * p) as usize).map(|x| x.0).unwrap_or(0);
    let d: Vec<(u64, String)> = depths.iter().map(|(d, n)| (u64::from(*d), n.clone())).collect();
    println!("depth: median {} p99 {} max {}", pct(&d, 0.5), pct(&d, 0.99), pct(&d, 1.0));
    println!("steps: median {} p99 {} max {}", pct(&steps, 0.5), pct(&steps, 0.99), pct(&steps, 1.0));
    for (depth, name) in depths.iter().rev().take(5) {
        println!("  deepest: {depth} {name}");
    }
    for (s, name) in steps.iter().rev().take(5) {
        println!("  most steps: {s} {name}");
    }
    println!("{} files over a limit", limited.len());
    for (limit, name) in &limited {
        println!("  {limit:?} {name}");
    }
}
