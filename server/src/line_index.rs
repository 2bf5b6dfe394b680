//! Byte ranges and the one converter between byte offsets and line/column positions.
//!
//! Lines end where the Language Server Protocol says they do: at `\n`, `\r\n` and `\r`, and
//! nowhere else (not at U+2028, U+2029, U+0085 or a form feed), so the server, the editor and the
//! terminal count the same lines. Columns come in the units a consumer needs: UTF-8 bytes, UTF-16
//! code units (the LSP default) or characters (what a person counts in a terminal). Out-of-range
//! input is clamped, never a panic.

use serde::{Deserialize, Serialize};

/// A half-open range of byte offsets into one file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: u32, end: u32) -> TextRange {
        TextRange { start, end: end.max(start) }
    }

    pub fn empty(at: u32) -> TextRange {
        TextRange { start: at, end: at }
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn contains(self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }

    pub fn as_usize_range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// The unit in which columns are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnUnit {
    Utf8,
    Utf16,
    Chars,
}

/// A 0-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Where each line starts, for converting offsets to positions and back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    len: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            // `\r\n` is one break (after its `\n`); a lone `\r` is one too.
            if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        line_starts.shrink_to_fit();
        LineIndex { line_starts, len: u32::try_from(text.len()).unwrap_or(u32::MAX) }
    }

    pub fn line_count(&self) -> u32 {
        self.line_starts.len() as u32
    }

    /// The byte range of line `line` (0-based), without its line terminator.
    pub fn line_range(&self, text: &str, line: u32) -> TextRange {
        let line = (line as usize).min(self.line_starts.len().saturating_sub(1));
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let mut end = self.line_starts.get(line + 1).copied().unwrap_or(self.len).min(text.len() as u32);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes.get(end as usize - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        TextRange::new(start, end)
    }

    /// The position of byte `offset` (clamped to the text; inside a line break, the end of its
    /// line), with the column in `unit`.
    pub fn line_col(&self, text: &str, offset: u32, unit: ColumnUnit) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(self.len));
        let line = self.line_starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let range = self.line_range(text, line as u32);
        let offset = offset.clamp(range.start, range.end.max(range.start));
        let prefix = text.get(range.start as usize..offset as usize).unwrap_or("");
        let col = match unit {
            ColumnUnit::Utf8 => prefix.len() as u32,
            ColumnUnit::Utf16 => prefix.encode_utf16().count() as u32,
            ColumnUnit::Chars => prefix.chars().count() as u32,
        };
        LineCol { line: line as u32, col }
    }

    /// The byte offset of a position whose column is in `unit`; past the end of a line or of the
    /// text it clamps to that end.
    pub fn offset(&self, text: &str, pos: LineCol, unit: ColumnUnit) -> u32 {
        if pos.line as usize >= self.line_starts.len() {
            return self.len;
        }
        let line = self.line_range(text, pos.line);
        let line_text = text.get(line.as_usize_range()).unwrap_or("");
        let mut counted = 0u32;
        for (i, c) in line_text.char_indices() {
            if counted >= pos.col {
                return line.start + i as u32;
            }
            counted += match unit {
                ColumnUnit::Utf8 => c.len_utf8() as u32,
                ColumnUnit::Utf16 => c.len_utf16() as u32,
                ColumnUnit::Chars => 1,
            };
        }
        line.end
    }
}

fn floor_char_boundary(text: &str, offset: u32) -> u32 {
    let mut offset = offset.min(text.len() as u32);
    while offset > 0 && !text.is_char_boundary(offset as usize) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_ways_in_every_unit() {
        let text = "ab\ncé😀x\r\nlast";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap() as u32;
        assert_eq!(index.line_col(text, x, ColumnUnit::Utf8), LineCol { line: 1, col: 7 });
        assert_eq!(index.line_col(text, x, ColumnUnit::Utf16), LineCol { line: 1, col: 4 });
        assert_eq!(index.line_col(text, x, ColumnUnit::Chars), LineCol { line: 1, col: 3 });
        for unit in [ColumnUnit::Utf8, ColumnUnit::Utf16, ColumnUnit::Chars] {
            let pos = index.line_col(text, x, unit);
            assert_eq!(index.offset(text, pos, unit), x);
        }
        assert_eq!(&text[index.line_range(text, 1).as_usize_range()], "cé😀x");
    }

    /// LSP's line breaks and no others: `\n`, `\r\n`, a lone `\r`; not U+2028, U+2029, U+0085
    /// or a form feed (the rope counted those, and positions after them drifted).
    #[test]
    fn lines_break_where_lsp_says() {
        let text = "a\rb\r\nc\nd\u{2028}e\u{2029}f\u{85}g\u{c}h";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        let h = text.find('h').unwrap() as u32;
        assert_eq!(index.line_col(text, h, ColumnUnit::Utf16), LineCol { line: 3, col: 8 });
        assert_eq!(index.offset(text, LineCol { line: 3, col: 8 }, ColumnUnit::Utf16), h);
        assert_eq!(index.line_col(text, text.find('b').unwrap() as u32, ColumnUnit::Utf16), LineCol { line: 1, col: 0 });
        // Between `\r` and `\n`: the end of the line.
        let lf = text.find("\r\n").unwrap() as u32 + 1;
        assert_eq!(index.line_col(text, lf, ColumnUnit::Utf16), LineCol { line: 1, col: 1 });
        assert_eq!(&text[index.line_range(text, 0).as_usize_range()], "a");
        assert_eq!(&text[index.line_range(text, 1).as_usize_range()], "b");
    }

    #[test]
    fn clamps_out_of_range_positions() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, LineCol { line: 9, col: 0 }, ColumnUnit::Utf16), 5);
        assert_eq!(index.offset(text, LineCol { line: 0, col: 99 }, ColumnUnit::Utf16), 2);
        assert_eq!(index.line_col(text, 99, ColumnUnit::Utf8), LineCol { line: 1, col: 2 });
        // Inside a multi-byte character: the start of that character.
        let text = "é";
        assert_eq!(LineIndex::new(text).line_col(text, 1, ColumnUnit::Utf8).col, 0);
    }
}
