//! The floor for `check --snapshot`'s benchmark (tests/bench/snapshot.py): inflate every
//! `<table>/documents.jsonl` of an export and parse each line into a `serde_json::Value`, with the
//! same zip and JSON libraries, and nothing else. Prints documents and bytes.
//!
//!     cargo run --release --example snapshot_floor -- FILE.zip

use std::io::BufRead;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: snapshot_floor FILE.zip")?;
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
            let value: serde_json::Value = serde_json::from_slice(&line)?;
            std::hint::black_box(value);
            documents += 1;
            bytes += line.len() as u64;
        }
    }
    println!("{documents} documents, {bytes} bytes");
    Ok(())
}
