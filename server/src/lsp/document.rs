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
}
