//! The floors for `check --snapshot`'s benchmark (tests/bench/snapshot.py): inflate every
//! `<table>/documents.jsonl` of an export and split it into lines, with the same zip library, and
//! then, by mode, nothing else (`inflate`), check each line is JSON without building anything
//! (`syntax`: serde's `IgnoredAny`, the least a reader that validates JSON can do), or parse each
//! line into a `serde_json::Value` (`value`: what a straightforward reader does). Prints
//! documents and bytes.
//!
//!     cargo run --release --example snapshot_floor -- FILE.zip [inflate|syntax|value]

use std::io::BufRead;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: snapshot_floor FILE.zip [inflate|syntax|value]")?;
    let mode = std::env::args().nth(2).unwrap_or_else(|| "value".into());
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(std::fs::File::open(&path)?))?;
    let names: Vec<String> =
        archive.file_names().filter(|n| n.ends_with("/documents.jsonl") && !n.starts_with('_')).map(str::to_string).collect();
    let (mut documents, mut bytes) = (0u64, 0u64);
    for name in names {
        let mut reader = std::io::BufReader::with_capacity(1 << 16, archive.by_name(&name)?);
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            match mode.as_str() {
                "inflate" => {}
                "syntax" => {
                    let value: serde::de::IgnoredAny = serde_json::from_slice(&line)?;
                    std::hint::black_box(value);
                }
                _ => {
                    let value: serde_json::Value = serde_json::from_slice(&line)?;
                    std::hint::black_box(value);
                }
            }
            documents += 1;
            bytes += line.len() as u64;
        }
    }
    println!("{documents} documents, {bytes} bytes");
    Ok(())
}
