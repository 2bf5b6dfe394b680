//! An open document: a rope edited incrementally, its version, and the model of its current text
//! (built on demand by the analysis worker, outside any lock, so a burst of keystrokes parses once).

use std::sync::Arc;

use ropey::Rope;
use tower_lsp_server::ls_types::{Position, TextDocumentContentChangeEvent};

use crate::line_index::ColumnUnit;
use crate::project::SourceFile;

pub struct Document {
    pub rope: Rope,
    pub version: i32,
    /// The model of the current text, keyed by the project-relative path it was built for.
    source: Option<SourceFile>,
}

/// What the analysis takes of a document while holding its lock: cheap (a rope shares its
/// chunks), so the model is built after the lock is released.
pub struct Taken {
    pub rope: Rope,
    pub version: i32,
    pub source: Option<SourceFile>,
}

impl Taken {
    /// The model of the text as the file at `path` (relative to its project): the cached one, or
    /// built now.
    pub fn source(self, path: &str) -> SourceFile {
        match self.source {
            Some(s) if s.path == path => s,
            _ => SourceFile::new(path.to_string(), Arc::from(self.rope.to_string())),
        }
    }
}

impl Document {
    pub fn new(text: &str, version: i32) -> Document {
        Document { rope: Rope::from_str(text), version, source: None }
    }

    /// Applies the client's changes in order. Positions outside the text are clamped.
    pub fn apply(&mut self, changes: Vec<TextDocumentContentChangeEvent>, version: i32, unit: ColumnUnit) {
        for change in changes {
            match change.range {
                None => self.rope = Rope::from_str(&change.text),
                Some(range) => {
                    let start = char_index(&self.rope, range.start, unit);
                    let end = char_index(&self.rope, range.end, unit).max(start);
                    self.rope.remove(start..end);
                    self.rope.insert(start, &change.text);
                }
            }
        }
        self.version = version;
        self.source = None;
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    /// The text, version and cached model, to build the model from outside the lock.
    pub fn take(&self) -> Taken {
        Taken { rope: self.rope.clone(), version: self.version, source: self.source.clone() }
    }

    /// Keeps the model built for `version`, if the document is still at that version.
    pub fn keep(&mut self, version: i32, source: SourceFile) {
        if self.version == version {
            self.source = Some(source);
        }
    }
}

/// The char index of a position in `unit`s, clamped to its line and to the text.
fn char_index(rope: &Rope, pos: Position, unit: ColumnUnit) -> usize {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return rope.len_chars();
    }
    let line_start = rope.line_to_char(line);
    let line_slice = rope.line(line);
    let mut counted = 0u32;
    let mut chars = 0usize;
    for c in line_slice.chars() {
        if counted >= pos.character || c == '\n' || c == '\r' {
            break;
        }
        counted += match unit {
            ColumnUnit::Utf8 => c.len_utf8() as u32,
            ColumnUnit::Utf16 => c.len_utf16() as u32,
            ColumnUnit::Chars => 1,
        };
        chars += 1;
    }
    line_start + chars
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::Range;

    fn range(start: Position, end: Position) -> Range {
        Range { start, end }
    }

    fn change(sl: u32, sc: u32, el: u32, ec: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(range(Position::new(sl, sc), Position::new(el, ec))),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn incremental_edits_in_utf16_and_utf8() {
        let mut doc = Document::new("a😀b\nc\n", 1);
        // After the emoji: 3 UTF-16 units, 5 UTF-8 bytes.
        doc.apply(vec![change(0, 3, 0, 3, "X")], 2, ColumnUnit::Utf16);
        assert_eq!(doc.text(), "a😀Xb\nc\n");
        doc.apply(vec![change(0, 5, 0, 6, "")], 3, ColumnUnit::Utf8);
        assert_eq!(doc.text(), "a😀b\nc\n");
        assert_eq!(doc.version, 3);
    }

    /// The rope must count lines as LSP does; Cargo features unify across the dependency graph,
    /// so a dependency that turned ropey's `unicode_lines` back on would break this.
    #[test]
    fn the_rope_breaks_lines_only_where_lsp_does() {
        let rope = Rope::from_str("a\u{2028}b\u{2029}c\u{85}d\u{b}e\u{c}f\rg\r\nh\ni");
        assert_eq!(rope.len_lines(), 4);
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let mut doc = Document::new("ab\ncd", 1);
        doc.apply(vec![change(0, 99, 0, 99, "!")], 2, ColumnUnit::Utf16);
        assert_eq!(doc.text(), "ab!\ncd");
        doc.apply(vec![change(7, 0, 9, 9, "?")], 3, ColumnUnit::Utf16);
        assert_eq!(doc.text(), "ab!\ncd?");
        doc.apply(vec![change(1, 1, 0, 0, "")], 4, ColumnUnit::Utf16);
        assert_eq!(doc.text(), "ab!\ncd?");
    }

    /// The client's side, written from the LSP specification alone (no rope, no line index):
    /// lines end at `\n`, `\r\n` or `\r`; a character past the line's end means its end; a line
    /// past the last one means the end of the text.
    mod client {
        use crate::line_index::ColumnUnit;

        fn units(c: char, unit: ColumnUnit) -> u32 {
            match unit {
                ColumnUnit::Utf8 => c.len_utf8() as u32,
                ColumnUnit::Utf16 => c.len_utf16() as u32,
                ColumnUnit::Chars => 1,
            }
        }

        pub fn offset(text: &str, line: u32, character: u32, unit: ColumnUnit) -> usize {
            let chars: Vec<(usize, char)> = text.char_indices().collect();
            let mut k = 0;
            let mut at_line = 0;
            while at_line < line {
                let Some(&(_, c)) = chars.get(k) else { return text.len() };
                k += 1;
                if c == '\r' && chars.get(k).is_some_and(|&(_, n)| n == '\n') {
                    k += 1;
                }
                if c == '\n' || c == '\r' {
                    at_line += 1;
                }
            }
            let mut col = 0;
            while let Some(&(_, c)) = chars.get(k) {
                if c == '\n' || c == '\r' || col >= character {
                    break;
                }
                col += units(c, unit);
                k += 1;
            }
            chars.get(k).map(|&(i, _)| i).unwrap_or(text.len())
        }

        /// The position of a byte offset (at a character boundary).
        pub fn position(text: &str, offset: usize, unit: ColumnUnit) -> (u32, u32) {
            let (mut line, mut col) = (0, 0);
            let mut chars = text.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if i >= offset {
                    break;
                }
                if c == '\r' && chars.peek().is_some_and(|&(j, n)| n == '\n' && j < offset) {
                    continue;
                }
                if c == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n') {
                    // `offset` is between `\r` and `\n`: the end of this line.
                    break;
                }
                if c == '\n' || c == '\r' {
                    line += 1;
                    col = 0;
                } else {
                    col += units(c, unit);
                }
            }
            (line, col)
        }
    }

    /// xorshift64*: a seeded generator, so a failure names its seed and replays exactly.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// Every kind of line separator LSP counts and those it does not, astral and accented
    /// characters, spaces.
    const PIECES: &[&str] =
        &["a", "b", "é", "😀", "\n", "\r", "\r\n", "\u{2028}", "\u{2029}", "\u{85}", "\u{c}", "\u{b}", " ", "\t", "x(", ")"];

    fn random_text(rng: &mut Rng, max: usize) -> String {
        (0..rng.below(max + 1)).map(|_| PIECES[rng.below(PIECES.len())]).collect()
    }

    /// A character boundary of `text`, near one end of a line or anywhere.
    fn random_offset(rng: &mut Rng, text: &str) -> usize {
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
        boundaries[rng.below(boundaries.len())]
    }

    fn random_position(rng: &mut Rng, text: &str, unit: ColumnUnit) -> Position {
        match rng.below(10) {
            // Past the end of a line, or past the last line: clamped.
            0 => {
                let (line, col) = client::position(text, random_offset(rng, text), unit);
                Position::new(line, col + 1 + rng.below(5) as u32)
            }
            1 => Position::new(client::position(text, text.len(), unit).0 + rng.below(3) as u32, rng.below(4) as u32),
            _ => {
                let (line, col) = client::position(text, random_offset(rng, text), unit);
                Position::new(line, col)
            }
        }
    }

    /// Cases the property test runs: `CONVEX_MIGRATE_SYNC_CASES`, else 300 (the fuzz script runs
    /// many more).
    fn cases() -> u64 {
        std::env::var("CONVEX_MIGRATE_SYNC_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
    }

    /// After any sequence of edits the server's document is the client's text, and the one
    /// converter (`LineIndex`, through `Converter`) agrees with the client on every position.
    #[test]
    fn document_equals_the_client_after_random_edits() {
        use crate::lsp::convert::Converter;
        let seed0: u64 = std::env::var("CONVEX_MIGRATE_SYNC_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5eed);
        let mut edits = 0u64;
        for case in 0..cases() {
            let seed = seed0.wrapping_add(case);
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let unit = if rng.below(2) == 0 { ColumnUnit::Utf16 } else { ColumnUnit::Utf8 };
            let mut client_text = random_text(&mut rng, 30);
            let mut doc = Document::new(&client_text, 0);
            for version in 1..=12 {
                let mut changes = Vec::new();
                for _ in 0..1 + rng.below(3) {
                    let new_text = random_text(&mut rng, 4);
                    if rng.below(20) == 0 {
                        client_text = new_text.clone();
                        changes.push(TextDocumentContentChangeEvent { range: None, range_length: None, text: new_text });
                        continue;
                    }
                    let (a, b) = (random_position(&mut rng, &client_text, unit), random_position(&mut rng, &client_text, unit));
                    let (start, end) = if (a.line, a.character) <= (b.line, b.character) { (a, b) } else { (b, a) };
                    let s = client::offset(&client_text, start.line, start.character, unit);
                    let e = client::offset(&client_text, end.line, end.character, unit).max(s);
                    client_text.replace_range(s..e, &new_text);
                    changes.push(TextDocumentContentChangeEvent { range: Some(Range { start, end }), range_length: None, text: new_text });
                }
                edits += changes.len() as u64;
                doc.apply(changes.clone(), version, unit);
                assert_eq!(doc.text(), client_text, "seed {seed}, version {version}, {unit:?}, changes {changes:?}");
                let conv = Converter::new(&client_text, unit);
                for _ in 0..4 {
                    let offset = random_offset(&mut rng, &client_text);
                    let (line, col) = client::position(&client_text, offset, unit);
                    assert_eq!(conv.position(offset as u32), Position::new(line, col), "seed {seed}: {client_text:?} at {offset}");
                    let back = client::offset(&client_text, line, col, unit);
                    assert_eq!(conv.offset(Position::new(line, col)) as usize, back, "seed {seed}: {client_text:?} at {line}:{col}");
                }
            }
        }
        assert!(edits > 0);
        println!("document sync: {} cases, {edits} edits, the document equal to the client's after each batch", cases());
    }
}
