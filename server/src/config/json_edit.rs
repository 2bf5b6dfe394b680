//! Formatting-preserving edits of JSON text (for `convex-migrate.json`): a tokenizer and a small
//! syntax tree that know byte ranges, and edits (replace a value, insert a member, append or
//! remove array elements) that splice new text written in the file's own style (indent unit, line
//! endings, small objects on one line) and leave every other byte as it was. Pure: text in, text out.
//!
//! Invalid JSON is an error with its line and column, never a panic; the callers refuse to edit it.

use std::fmt;
use std::ops::Range;

use serde_json::Value;

/// How deeply containers may nest (serde_json's own limit), so hostile input cannot overflow the
/// stack of the recursive parser.
const MAX_DEPTH: usize = 128;

/// The widest value written on one line when the style writes small values on one line.
const MAX_INLINE_WIDTH: usize = 100;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Spaces, tabs, `\n` and `\r`.
    Whitespace,
    /// A string with its quotes (escapes checked, not decoded).
    String,
    Number,
    True,
    False,
    Null,
    OpenBrace,
    CloseBrace,
    OpenBracket,
    CloseBracket,
    Colon,
    Comma,
}

/// A token and its byte range in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub range: Range<usize>,
}

/// Why a text is not JSON, and where (`offset` in bytes; `line` and `column` from 1, the column
/// in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl JsonError {
    /// The error `message` at byte `offset` of `text`.
    fn at(text: &str, offset: usize, message: impl Into<String>) -> JsonError {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        JsonError {
            offset,
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
            message: message.into(),
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {}, column {}", self.message, self.line, self.column)
    }
}

impl std::error::Error for JsonError {}

/// Why an edit could not be made. Paths are lists of object keys from the top.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The document (or a value given as JSON text) is not JSON.
    #[error("{0}")]
    Parse(#[from] JsonError),
    #[error("{} is not an object", describe_path(.0))]
    NotAnObject(Vec<String>),
    #[error("{} is not an array", describe_path(.0))]
    NotAnArray(Vec<String>),
    #[error("{} is missing", describe_path(.0))]
    Missing(Vec<String>),
    #[error("{} is already there", describe_path(.0))]
    KeyExists(Vec<String>),
}

/// A path as a person reads it: `"verified" → "users.role"`, or `the top level`.
fn describe_path(path: &[String]) -> String {
    if path.is_empty() {
        return "the top level".to_string();
    }
    path.iter().map(|key| Value::String(key.clone()).to_string()).collect::<Vec<_>>().join(" → ")
}

/// `path` as owned keys, for an error.
fn owned(path: &[&str]) -> Vec<String> {
    path.iter().map(|key| key.to_string()).collect()
}

/// The largest char boundary of `text` at or before `offset`.
fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Splits `text` into tokens that cover it end to end (whitespace included). Strings are checked
/// (escapes, paired surrogates, no raw control characters), numbers follow JSON's grammar.
pub fn tokenize(text: &str) -> Result<Vec<Token>, JsonError> {
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let (kind, end) = scan_token(text, at)?;
        tokens.push(Token { kind, range: at..end });
        at = end;
    }
    Ok(tokens)
}

/// The token starting at byte `at` (a char boundary, before the end): its kind and end.
fn scan_token(text: &str, at: usize) -> Result<(TokenKind, usize), JsonError> {
    let bytes = text.as_bytes();
    let punctuation = |kind| Ok((kind, at + 1));
    match bytes.get(at).copied().unwrap_or(0) {
        b' ' | b'\t' | b'\n' | b'\r' => {
            let len = bytes[at..].iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')).count();
            Ok((TokenKind::Whitespace, at + len))
        }
        b'{' => punctuation(TokenKind::OpenBrace),
        b'}' => punctuation(TokenKind::CloseBrace),
        b'[' => punctuation(TokenKind::OpenBracket),
        b']' => punctuation(TokenKind::CloseBracket),
        b':' => punctuation(TokenKind::Colon),
        b',' => punctuation(TokenKind::Comma),
        b'"' => scan_string(text, at).map(|end| (TokenKind::String, end)),
        b'-' | b'0'..=b'9' => scan_number(text, at).map(|end| (TokenKind::Number, end)),
        b't' => scan_word(text, at, "true", TokenKind::True),
        b'f' => scan_word(text, at, "false", TokenKind::False),
        b'n' => scan_word(text, at, "null", TokenKind::Null),
        _ => {
            let found = text.get(at..).and_then(|rest| rest.chars().next()).unwrap_or('?');
            Err(JsonError::at(text, at, format!("unexpected character {found:?}")))
        }
    }
}

/// The end of the string whose opening quote is at `start`.
fn scan_string(text: &str, start: usize) -> Result<usize, JsonError> {
    let bytes = text.as_bytes();
    let unterminated = || JsonError::at(text, start, "unterminated string");
    let mut i = start + 1;
    loop {
        match bytes.get(i) {
            None => return Err(unterminated()),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match bytes.get(i + 1) {
                None => return Err(unterminated()),
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u') => i = scan_unicode_escape(text, i)?,
                Some(_) => return Err(JsonError::at(text, i, "invalid escape in a string")),
            },
            Some(b) if *b < 0x20 => return Err(JsonError::at(text, i, "control character in a string (write it as an escape)")),
            Some(_) => i += 1,
        }
    }
}

/// The end of the `\uXXXX` escape at `at` (and of its low surrogate, for a high one).
fn scan_unicode_escape(text: &str, at: usize) -> Result<usize, JsonError> {
    let unit = hex4(text, at + 2)?;
    let lone = || JsonError::at(text, at, "unpaired surrogate in a \\u escape");
    match unit {
        0xDC00..=0xDFFF => Err(lone()),
        0xD800..=0xDBFF => {
            let next = at + 6;
            if text.as_bytes().get(next..next + 2) != Some(b"\\u".as_slice()) {
                return Err(lone());
            }
            match hex4(text, next + 2)? {
                0xDC00..=0xDFFF => Ok(next + 6),
                _ => Err(lone()),
            }
        }
        _ => Ok(at + 6),
    }
}

/// The four hex digits at `at`, as a number.
fn hex4(text: &str, at: usize) -> Result<u32, JsonError> {
    let digits = text.as_bytes().get(at..at + 4).filter(|d| d.iter().all(u8::is_ascii_hexdigit));
    let Some(digits) = digits else {
        return Err(JsonError::at(text, at, "a \\u escape needs four hex digits"));
    };
    Ok(digits.iter().fold(0, |n, d| n * 16 + (*d as char).to_digit(16).unwrap_or(0)))
}

/// The end of the number starting at `start`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn scan_number(text: &str, start: usize) -> Result<usize, JsonError> {
    let bytes = text.as_bytes();
    let digits_from = |i: usize| bytes[i.min(bytes.len())..].iter().take_while(|b| b.is_ascii_digit()).count();
    let need_digits = |i: usize, what: &str| -> Result<usize, JsonError> {
        match digits_from(i) {
            0 => Err(JsonError::at(text, i, format!("invalid number: expected a digit{what}"))),
            n => Ok(i + n),
        }
    };
    let mut i = start;
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match bytes.get(i) {
        Some(b'0') => i + 1,
        _ => need_digits(i, "")?,
    };
    if bytes.get(i) == Some(&b'.') {
        i = need_digits(i + 1, " after the decimal point")?;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = need_digits(i, " in the exponent")?;
    }
    Ok(i)
}

/// The end of the literal `word` at `at`.
fn scan_word(text: &str, at: usize, word: &str, kind: TokenKind) -> Result<(TokenKind, usize), JsonError> {
    if text.get(at..).is_some_and(|rest| rest.starts_with(word)) {
        Ok((kind, at + word.len()))
    } else {
        Err(JsonError::at(text, at, format!("invalid literal, expected `{word}`")))
    }
}

/// A JSON value and its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub range: Range<usize>,
    pub kind: NodeKind,
}

/// What a value is; containers hold their children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    Object(Vec<Member>),
    Array(Vec<Node>),
    String,
    Number,
    Bool,
    Null,
}

/// A `"key": value` member of an object, its key decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub key: String,
    pub key_range: Range<usize>,
    pub value: Node,
}

impl Node {
    /// The value of `key` when this is an object holding it (the last one, when a key is
    /// repeated: the one serde_json and JavaScript keep).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Object(members) => members.iter().rev().find(|m| m.key == key).map(|m| &m.value),
            _ => None,
        }
    }

    /// The value at `path` (object keys from here).
    pub fn find(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The value as serde_json reads it.
    pub fn to_value(&self, text: &str) -> Result<Value, JsonError> {
        let source = text.get(self.range.clone()).unwrap_or("");
        serde_json::from_str(source).map_err(|e| JsonError::at(text, self.range.start, format!("unreadable value ({e})")))
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self.kind, NodeKind::Object(_))
    }

    /// The byte ranges of the children as written: `"key": value` for members, the value for
    /// elements. Empty for scalars.
    fn item_ranges(&self) -> Vec<Range<usize>> {
        match &self.kind {
            NodeKind::Object(members) => members.iter().map(|m| m.key_range.start..m.value.range.end).collect(),
            NodeKind::Array(elements) => elements.iter().map(|e| e.range.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// The child values (member values or elements).
    fn children(&self) -> Vec<&Node> {
        match &self.kind {
            NodeKind::Object(members) => members.iter().map(|m| &m.value).collect(),
            NodeKind::Array(elements) => elements.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Whether this is an object or an array with something in it.
    fn is_filled_container(&self) -> bool {
        !self.children().is_empty()
    }
}

/// Parses `text` as one JSON value (any kind) surrounded by whitespace.
pub fn parse(text: &str) -> Result<Node, JsonError> {
    let tokens: Vec<Token> = tokenize(text)?.into_iter().filter(|t| t.kind != TokenKind::Whitespace).collect();
    let mut parser = Parser { text, tokens: &tokens, next: 0 };
    let root = parser.value(0)?;
    match parser.peek() {
        Some(extra) => Err(JsonError::at(text, extra.range.start, "unexpected text after the JSON value")),
        None => Ok(root),
    }
}

/// A recursive-descent parser over the non-whitespace tokens.
struct Parser<'a> {
    text: &'a str,
    tokens: &'a [Token],
    next: usize,
}

impl Parser<'_> {
    /// The next token, not consumed.
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    /// Consumes the next token when there is one; `expected` names what should come, for the error.
    fn bump(&mut self, expected: &str) -> Result<Token, JsonError> {
        match self.tokens.get(self.next) {
            Some(token) => {
                self.next += 1;
                Ok(token.clone())
            }
            None => Err(JsonError::at(self.text, self.text.len(), format!("the text ends where {expected} was expected"))),
        }
    }

    /// Consumes a token of one of `kinds`, or fails naming `expected`.
    fn expect(&mut self, kinds: &[TokenKind], expected: &str) -> Result<Token, JsonError> {
        let token = self.bump(expected)?;
        if kinds.contains(&token.kind) {
            Ok(token)
        } else {
            Err(self.unexpected(&token, expected))
        }
    }

    /// The error for `token` where `expected` should be.
    fn unexpected(&self, token: &Token, expected: &str) -> JsonError {
        let found = self.text.get(token.range.clone()).unwrap_or("");
        let found: String = found.chars().take(20).collect();
        JsonError::at(self.text, token.range.start, format!("expected {expected}, found `{found}`"))
    }

    /// A value, `depth` containers deep.
    fn value(&mut self, depth: usize) -> Result<Node, JsonError> {
        let token = self.bump("a value")?;
        let scalar = |kind| Ok(Node { range: token.range.clone(), kind });
        match token.kind {
            TokenKind::OpenBrace => self.object(token.range.start, depth + 1),
            TokenKind::OpenBracket => self.array(token.range.start, depth + 1),
            TokenKind::String => scalar(NodeKind::String),
            TokenKind::Number => scalar(NodeKind::Number),
            TokenKind::True | TokenKind::False => scalar(NodeKind::Bool),
            TokenKind::Null => scalar(NodeKind::Null),
            _ => Err(self.unexpected(&token, "a value")),
        }
    }

    /// Fails when `depth` is past the limit.
    fn check_depth(&self, start: usize, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            return Err(JsonError::at(self.text, start, format!("nested more than {MAX_DEPTH} levels deep")));
        }
        Ok(())
    }

    /// An object whose `{` is at `start`.
    fn object(&mut self, start: usize, depth: usize) -> Result<Node, JsonError> {
        self.check_depth(start, depth)?;
        let mut members = Vec::new();
        if let Some(close) = self.peek().filter(|t| t.kind == TokenKind::CloseBrace).cloned() {
            self.next += 1;
            return Ok(Node { range: start..close.range.end, kind: NodeKind::Object(members) });
        }
        loop {
            let key_token = self.bump("a key")?;
            if key_token.kind == TokenKind::CloseBrace {
                return Err(JsonError::at(self.text, key_token.range.start, "trailing comma before `}`"));
            }
            if key_token.kind != TokenKind::String {
                return Err(self.unexpected(&key_token, "a key (a string in double quotes)"));
            }
            let key = decode_string(self.text, &key_token.range)?;
            self.expect(&[TokenKind::Colon], "`:` after the key")?;
            let value = self.value(depth)?;
            members.push(Member { key, key_range: key_token.range, value });
            let separator = self.expect(&[TokenKind::Comma, TokenKind::CloseBrace], "`,` or `}`")?;
            if separator.kind == TokenKind::CloseBrace {
                return Ok(Node { range: start..separator.range.end, kind: NodeKind::Object(members) });
            }
        }
    }

    /// An array whose `[` is at `start`.
    fn array(&mut self, start: usize, depth: usize) -> Result<Node, JsonError> {
        self.check_depth(start, depth)?;
        let mut elements = Vec::new();
        if let Some(close) = self.peek().filter(|t| t.kind == TokenKind::CloseBracket).cloned() {
            self.next += 1;
            return Ok(Node { range: start..close.range.end, kind: NodeKind::Array(elements) });
        }
        loop {
            if let Some(close) = self.peek().filter(|t| t.kind == TokenKind::CloseBracket) {
                return Err(JsonError::at(self.text, close.range.start, "trailing comma before `]`"));
            }
            elements.push(self.value(depth)?);
            let separator = self.expect(&[TokenKind::Comma, TokenKind::CloseBracket], "`,` or `]`")?;
            if separator.kind == TokenKind::CloseBracket {
                return Ok(Node { range: start..separator.range.end, kind: NodeKind::Array(elements) });
            }
        }
    }
}

/// The text of the (checked) string token at `range`, decoded.
fn decode_string(text: &str, range: &Range<usize>) -> Result<String, JsonError> {
    let source = text.get(range.clone()).unwrap_or("");
    serde_json::from_str(source).map_err(|e| JsonError::at(text, range.start, format!("unreadable string ({e})")))
}

/// The byte range of the value at `path` (`None` when some key is missing).
pub fn value_range(text: &str, path: &[&str]) -> Result<Option<Range<usize>>, JsonError> {
    Ok(parse(text)?.find(path).map(|node| node.range.clone()))
}

/// How a file writes JSON, as far as new text must match it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// One level of indentation: spaces or a tab.
    pub indent_unit: String,
    /// `"\n"` or `"\r\n"`.
    pub newline: String,
    /// Between a key and its value, the colon included (`": "`).
    pub colon: String,
    /// Between two items on one line, the comma included (`", "`).
    pub separator: String,
    /// Inside the braces of an object written on one line (`{ "a": 1 }`: one space).
    pub object_padding: String,
    /// Inside the brackets of an array written on one line (`["a"]`: none).
    pub array_padding: String,
    /// Whether small objects are written on one line.
    pub compact: bool,
}

impl Default for Style {
    /// `serde_json::to_string_pretty`'s style (with `{ "a": 1 }` and `["a"]` for one-line values).
    fn default() -> Style {
        Style {
            indent_unit: "  ".to_string(),
            newline: "\n".to_string(),
            colon: ": ".to_string(),
            separator: ", ".to_string(),
            object_padding: " ".to_string(),
            array_padding: String::new(),
            compact: false,
        }
    }
}

/// Whether `gap` stays on one line.
fn is_one_line(gap: &str) -> bool {
    !gap.contains(['\n', '\r'])
}

/// The nodes of the tree, in document order.
fn preorder(root: &Node) -> Vec<&Node> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        out.push(node);
        stack.extend(node.children().into_iter().rev());
    }
    out
}

impl Style {
    /// The style of `text`, whose tree is `root`; what the file does not show keeps the default.
    pub fn detect(text: &str, root: &Node) -> Style {
        let mut style = Style::default();
        if text.find('\n').is_some_and(|at| text[..at].ends_with('\r')) {
            style.newline = "\r\n".to_string();
        }
        if let Some(unit) = detect_indent_unit(text) {
            style.indent_unit = unit;
        }
        let nodes = preorder(root);
        let gap = |range: Range<usize>| text.get(range).filter(|g| is_one_line(g)).map(str::to_string);
        let on_one_line: Vec<&Node> =
            nodes.iter().copied().filter(|n| n.is_filled_container() && is_one_line(&text[n.range.clone()])).collect();
        let members = nodes.iter().filter_map(|n| match &n.kind {
            NodeKind::Object(members) => Some(members),
            _ => None,
        });
        if let Some(colon) = members.flatten().find_map(|m| gap(m.key_range.end..m.value.range.start)) {
            style.colon = colon;
        }
        let separator = on_one_line.iter().find_map(|n| match n.item_ranges().as_slice() {
            [first, second, ..] => gap(first.end..second.start),
            _ => None,
        });
        if let Some(separator) = separator {
            style.separator = separator;
        }
        let padding = |object: bool| {
            on_one_line.iter().filter(|n| n.is_object() == object).find_map(|n| gap(n.range.start + 1..n.item_ranges().first()?.start))
        };
        if let Some(padding) = padding(true) {
            style.object_padding = padding;
        }
        if let Some(padding) = padding(false) {
            style.array_padding = padding;
        }
        style.compact = on_one_line.iter().any(|n| n.is_object() && n.children().iter().all(|c| !c.is_filled_container()));
        style
    }
}

/// The indentation unit of `text`: a tab when the first indented line starts with one, else the
/// smallest indentation in spaces. `None` when no line is indented.
fn detect_indent_unit(text: &str) -> Option<String> {
    let mut smallest: Option<usize> = None;
    for line in text.split('\n').skip(1) {
        let content = line.trim_end_matches('\r');
        if content.trim().is_empty() {
            continue;
        }
        if content.starts_with('\t') {
            if smallest.is_none() {
                return Some("\t".to_string());
            }
            continue;
        }
        let spaces = content.bytes().take_while(|b| *b == b' ').count();
        if spaces > 0 {
            smallest = Some(smallest.map_or(spaces, |s| s.min(spaces)));
        }
    }
    smallest.map(|n| " ".repeat(n))
}

/// How a rendered value is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Everything on one line (the value goes into a container written on one line).
    OneLine,
    /// One item per line; with `compact`, small objects and arrays stay on one line.
    Pretty { compact: bool },
}

/// `value` as JSON text in `style`, laid out by `layout`; `indent` is the indentation of the line
/// the value starts on (nested lines are one unit deeper per level).
pub fn render_value(value: &Value, style: &Style, layout: Layout, indent: &str) -> String {
    match layout {
        Layout::OneLine => render_one_line(value, style),
        Layout::Pretty { compact } => render_pretty(value, style, compact, indent),
    }
}

/// `key` as a JSON string.
fn quote(key: &str) -> String {
    Value::String(key.to_string()).to_string()
}

/// `value` on one line.
fn render_one_line(value: &Value, style: &Style) -> String {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let members: Vec<String> =
                map.iter().map(|(k, v)| format!("{}{}{}", quote(k), style.colon, render_one_line(v, style))).collect();
            format!("{{{pad}{}{pad}}}", members.join(&style.separator), pad = style.object_padding)
        }
        Value::Array(items) if !items.is_empty() => {
            let items: Vec<String> = items.iter().map(|v| render_one_line(v, style)).collect();
            format!("[{pad}{}{pad}]", items.join(&style.separator), pad = style.array_padding)
        }
        other => other.to_string(),
    }
}

/// Whether `value` is a non-empty container of scalars (or of empty containers, or arrays of those).
fn is_small(value: &Value) -> bool {
    let flat = |v: &Value| match v {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => {
            items.iter().all(|i| !matches!(i, Value::Object(m) if !m.is_empty()) && !matches!(i, Value::Array(a) if !a.is_empty()))
        }
        _ => true,
    };
    match value {
        Value::Object(map) => !map.is_empty() && map.values().all(flat),
        Value::Array(items) => !items.is_empty() && items.iter().all(flat),
        _ => false,
    }
}

/// `value` one item per line, at `indent`.
fn render_pretty(value: &Value, style: &Style, compact: bool, indent: &str) -> String {
    if compact && is_small(value) {
        let line = render_one_line(value, style);
        if line.len() <= MAX_INLINE_WIDTH {
            return line;
        }
    }
    let inner = format!("{indent}{}", style.indent_unit);
    let block = |open: char, items: Vec<String>, close: char| {
        let newline = &style.newline;
        format!("{open}{newline}{}{newline}{indent}{close}", items.join(&format!(",{newline}")))
    };
    match value {
        Value::Object(map) if !map.is_empty() => block(
            '{',
            map.iter().map(|(k, v)| format!("{inner}{}{}{}", quote(k), style.colon, render_pretty(v, style, compact, &inner))).collect(),
            '}',
        ),
        Value::Array(items) if !items.is_empty() => {
            block('[', items.iter().map(|v| format!("{inner}{}", render_pretty(v, style, compact, &inner))).collect(), ']')
        }
        other => other.to_string(),
    }
}

/// `text` with `range` replaced by `new_text`.
fn splice(text: &str, range: Range<usize>, new_text: &str) -> String {
    let mut out = String::with_capacity(text.len() + new_text.len());
    out.push_str(&text[..range.start]);
    out.push_str(new_text);
    out.push_str(&text[range.end..]);
    out
}

/// The start of the line holding byte `at`.
fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The leading whitespace of the line holding byte `at`.
fn line_indent(text: &str, at: usize) -> &str {
    let start = line_start(text, at);
    let len = text[start..].bytes().take_while(|b| *b == b' ' || *b == b'\t').count();
    &text[start..start + len]
}

/// Whether only whitespace comes before byte `at` on its line.
fn starts_line(text: &str, at: usize) -> bool {
    text[line_start(text, at)..at].bytes().all(|b| b == b' ' || b == b'\t')
}

/// The node at `path` and its parent (`None` for the top level).
fn find_with_parent<'a>(root: &'a Node, path: &[&str]) -> Option<(Option<&'a Node>, &'a Node)> {
    match path.split_last() {
        None => Some((None, root)),
        Some((key, parent_path)) => {
            let parent = root.find(parent_path)?;
            parent.get(key).map(|node| (Some(parent), node))
        }
    }
}

/// Parses `text` for an edit: its tree and its style.
fn parse_for_edit(text: &str) -> Result<(Node, Style), EditError> {
    let root = parse(text)?;
    let style = Style::detect(text, &root);
    Ok((root, style))
}

/// Whether the last filled container among `container`'s children is written on one line
/// (`None` when there is none): new values follow their siblings.
fn siblings_compact(text: &str, container: &Node) -> Option<bool> {
    container.children().into_iter().rev().find(|c| c.is_filled_container()).map(|c| is_one_line(&text[c.range.clone()]))
}

/// The layout of a value replacing `replaced` inside `parent`: on one line when the parent is;
/// else compact like the replaced value itself, or its siblings, or the file.
fn layout_for(text: &str, style: &Style, parent: Option<&Node>, replaced: &Node) -> Layout {
    if parent.is_some_and(|p| is_one_line(&text[p.range.clone()])) {
        return Layout::OneLine;
    }
    let own = Some(replaced).filter(|r| r.is_filled_container()).map(|r| is_one_line(&text[r.range.clone()]));
    let compact = own.or_else(|| parent.and_then(|p| siblings_compact(text, p))).unwrap_or(style.compact);
    Layout::Pretty { compact }
}

/// `text` with `node` (inside `parent`) replaced by `value` rendered in place. An empty container
/// is indented from its closing bracket's line, as it will hold the new items.
fn replace_node(text: &str, style: &Style, parent: Option<&Node>, node: &Node, value: &Value) -> String {
    let layout = layout_for(text, style, parent, node);
    let anchor = if node.children().is_empty() { node.range.end.saturating_sub(1) } else { node.range.start };
    let rendered = render_value(value, style, layout, line_indent(text, anchor));
    splice(text, node.range.clone(), &rendered)
}

/// `text` with a new last item in the filled `container`, `item` rendering it for a layout and
/// the indentation of its line. On one line when the container is; else on a line of its own,
/// indented as the last item that starts a line (or one unit deeper than the closing bracket).
fn append_item(text: &str, style: &Style, container: &Node, item: impl Fn(Layout, &str) -> String) -> String {
    let items = container.item_ranges();
    let Some(last) = items.last() else { return text.to_string() };
    if is_one_line(&text[container.range.clone()]) {
        let separator = match items.as_slice() {
            [first, second, ..] => Some(&text[first.end..second.start]).filter(|g| is_one_line(g)),
            _ => None,
        };
        let separator = separator.unwrap_or(&style.separator);
        return splice(text, last.end..last.end, &format!("{separator}{}", item(Layout::OneLine, "")));
    }
    let indent = match items.iter().rev().find(|r| starts_line(text, r.start)) {
        Some(r) => line_indent(text, r.start).to_string(),
        None => format!("{}{}", line_indent(text, container.range.end.saturating_sub(1)), style.indent_unit),
    };
    let compact = siblings_compact(text, container).unwrap_or(style.compact);
    let new_item = item(Layout::Pretty { compact }, &indent);
    splice(text, last.end..last.end, &format!(",{}{indent}{new_item}", style.newline))
}

/// `{ k1: { k2: ... { key: value } } }` for the keys of `path` then `key`.
fn nest(path: &[&str], key: &str, value: &Value) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(key.to_string(), value.clone());
    let mut nested = Value::Object(map);
    for k in path.iter().rev() {
        let mut map = serde_json::Map::new();
        map.insert(k.to_string(), nested);
        nested = Value::Object(map);
    }
    nested
}

/// `text` with the member `"key": value` added to the object at `path`, written in the file's
/// style (after the object's last member, as its members are indented); missing objects on the
/// way are created. A key already there is an error ([`set_value`] replaces).
pub fn insert_member(text: &str, path: &[&str], key: &str, value: &Value) -> Result<String, EditError> {
    let (root, style) = parse_for_edit(text)?;
    let mut parent: Option<&Node> = None;
    let mut node = &root;
    for (depth, k) in path.iter().enumerate() {
        if !node.is_object() {
            return Err(EditError::NotAnObject(owned(&path[..depth])));
        }
        match node.get(k) {
            Some(child) => {
                parent = Some(node);
                node = child;
            }
            None => return Ok(insert_into_object(text, &style, parent, node, k, &nest(&path[depth + 1..], key, value))),
        }
    }
    if !node.is_object() {
        return Err(EditError::NotAnObject(owned(path)));
    }
    if node.get(key).is_some() {
        let mut at = owned(path);
        at.push(key.to_string());
        return Err(EditError::KeyExists(at));
    }
    Ok(insert_into_object(text, &style, parent, node, key, value))
}

/// `text` with `"key": value` added to `object` (inside `parent`). An empty object is replaced by
/// the one-member object, laid out as a new value in its place.
fn insert_into_object(text: &str, style: &Style, parent: Option<&Node>, object: &Node, key: &str, value: &Value) -> String {
    if object.children().is_empty() {
        return replace_node(text, style, parent, object, &nest(&[], key, value));
    }
    append_item(text, style, object, |layout, indent| {
        format!("{}{}{}", quote(key), style.colon, render_value(value, style, layout, indent))
    })
}

/// `text` with the value at `path` set to `value`, rendered in the local style: the old value's
/// bytes are replaced, or the member is inserted (see [`insert_member`]) when missing.
pub fn set_value(text: &str, path: &[&str], value: &Value) -> Result<String, EditError> {
    let (root, style) = parse_for_edit(text)?;
    if let Some((parent, node)) = find_with_parent(&root, path) {
        return Ok(replace_node(text, &style, parent, node, value));
    }
    match path.split_last() {
        Some((key, parent_path)) => insert_member(text, parent_path, key, value),
        None => Ok(replace_node(text, &style, None, &root, value)),
    }
}

/// `text` with the value at `path` replaced by `new_json` verbatim (it must be JSON).
pub fn replace_value(text: &str, path: &[&str], new_json: &str) -> Result<String, EditError> {
    parse(new_json)?;
    let root = parse(text)?;
    let node = root.find(path).ok_or_else(|| EditError::Missing(owned(path)))?;
    Ok(splice(text, node.range.clone(), new_json))
}

/// The array at `path`, or why not.
fn find_array<'a>(root: &'a Node, path: &[&str]) -> Result<(Option<&'a Node>, &'a Node, &'a [Node]), EditError> {
    let (parent, node) = find_with_parent(root, path).ok_or_else(|| EditError::Missing(owned(path)))?;
    match &node.kind {
        NodeKind::Array(elements) => Ok((parent, node, elements)),
        _ => Err(EditError::NotAnArray(owned(path))),
    }
}

/// `text` with `value` appended to the array at `path`, in the style of its elements.
pub fn push_element(text: &str, path: &[&str], value: &Value) -> Result<String, EditError> {
    let (root, style) = parse_for_edit(text)?;
    let (parent, node, elements) = find_array(&root, path)?;
    if elements.is_empty() {
        return Ok(replace_node(text, &style, parent, node, &Value::Array(vec![value.clone()])));
    }
    Ok(append_item(text, &style, node, |layout, indent| render_value(value, &style, layout, indent)))
}

/// `text` without the elements of the array at `path` for which `matches` holds. Each goes with
/// its comma and the whitespace up to the next element (the last one: from the end of the one
/// before), so the other lines keep their bytes; an array left empty is written `[]`.
pub fn remove_elements(text: &str, path: &[&str], mut matches: impl FnMut(&Value) -> bool) -> Result<String, EditError> {
    let mut text = text.to_string();
    loop {
        let root = parse(&text)?;
        let (_, node, elements) = find_array(&root, path)?;
        let mut found = None;
        for (i, element) in elements.iter().enumerate() {
            if matches(&element.to_value(&text)?) {
                found = Some(i);
                break;
            }
        }
        let Some(i) = found else { return Ok(text) };
        let range = match (elements.get(i.wrapping_sub(1)), elements.get(i + 1)) {
            (_, Some(next)) => elements[i].range.start..next.range.start,
            (Some(previous), None) => previous.range.end..elements[i].range.end,
            (None, None) => node.range.start + 1..node.range.end - 1,
        };
        text = splice(&text, range, "");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Parses `text` with serde_json (the reference reader).
    fn read(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
    }

    /// `expected` after checking it is JSON equal to `value`.
    fn check(actual: &str, expected: &str, value: Value) {
        assert_eq!(actual, expected);
        assert_eq!(read(actual), value);
    }

    #[test]
    fn tokens_cover_the_text() {
        let text = "{ \"a\\\"b\": [1, -2.5e+3, true, false, null], \"é\": \"\\u00e9\\ud83d\\ude00\" }\r\n";
        let tokens = tokenize(text).unwrap();
        let mut at = 0;
        for token in &tokens {
            assert_eq!(token.range.start, at);
            at = token.range.end;
        }
        assert_eq!(at, text.len());
        let kinds: Vec<TokenKind> = tokens.iter().filter(|t| t.kind != TokenKind::Whitespace).map(|t| t.kind).collect();
        use TokenKind::*;
        assert_eq!(
            kinds,
            [
                OpenBrace,
                String,
                Colon,
                OpenBracket,
                Number,
                Comma,
                Number,
                Comma,
                True,
                Comma,
                False,
                Comma,
                Null,
                CloseBracket,
                Comma,
                String,
                Colon,
                String,
                CloseBrace
            ]
        );
        assert_eq!(&text[tokens[2].range.clone()], "\"a\\\"b\"");
    }

    #[test]
    fn finds_values_by_path() {
        let text = "{\"verified\": {\"users.role\": {\"at\": \"x\"}, \"a\\\"b\": 1}, \"n\": [1]}";
        let range = value_range(text, &["verified", "users.role"]).unwrap().unwrap();
        assert_eq!(&text[range], "{\"at\": \"x\"}");
        let range = value_range(text, &["verified", "a\"b"]).unwrap().unwrap();
        assert_eq!(&text[range], "1");
        assert_eq!(value_range(text, &["verified", "nope"]), Ok(None));
        assert_eq!(value_range(text, &["n", "x"]), Ok(None));
        assert_eq!(&text[value_range(text, &[]).unwrap().unwrap()], text);
        // A repeated key: the last one counts, as for serde_json.
        let text = "{ \"a\": 1, \"a\": 2 }";
        assert_eq!(&text[value_range(text, &["a"]).unwrap().unwrap()], "2");
    }

    #[test]
    fn invalid_json_is_an_error_with_a_place() {
        let cases = [
            ("", "the text ends where a value was expected at line 1, column 1"),
            ("{ \"a\": 1", "the text ends where `,` or `}` was expected at line 1, column 9"),
            ("{ \"a\": 1 } x", "unexpected character 'x' at line 1, column 12"),
            ("{ \"a\": 1 } {}", "unexpected text after the JSON value at line 1, column 12"),
            ("{\n  \"a\": 1,\n}", "trailing comma before `}` at line 3, column 1"),
            ("[1,]", "trailing comma before `]` at line 1, column 4"),
            ("{ a: 1 }", "unexpected character 'a' at line 1, column 3"),
            ("{ 1: 1 }", "expected a key (a string in double quotes), found `1` at line 1, column 3"),
            ("{ \"a\" 1 }", "expected `:` after the key, found `1` at line 1, column 7"),
            ("\"abc", "unterminated string at line 1, column 1"),
            ("\"a\\x\"", "invalid escape in a string at line 1, column 3"),
            ("\"\\ud800\"", "unpaired surrogate in a \\u escape at line 1, column 2"),
            ("\"\\u12\"", "a \\u escape needs four hex digits at line 1, column 4"),
            ("\"a\tb\"", "control character in a string (write it as an escape) at line 1, column 3"),
            ("-", "invalid number: expected a digit at line 1, column 2"),
            ("1.", "invalid number: expected a digit after the decimal point at line 1, column 3"),
            ("tru", "invalid literal, expected `true` at line 1, column 1"),
            ("[01]", "expected `,` or `]`, found `1` at line 1, column 3"),
            ("{ \"é\": ü }", "unexpected character 'ü' at line 1, column 8"),
        ];
        for (text, message) in cases {
            let error = parse(text).expect_err(text);
            assert_eq!(error.to_string(), message, "{text:?}");
            assert!(serde_json::from_str::<Value>(text).is_err(), "serde_json accepts {text:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().message.contains("nested more than"));
        assert!(parse(&"[".repeat(100_000)).is_err());
    }

    #[test]
    fn a_top_level_array_parses_but_has_no_keys() {
        assert!(parse("[1, 2]").is_ok());
        assert_eq!(insert_member("[1, 2]", &[], "a", &json!(1)), Err(EditError::NotAnObject(vec![])));
        assert_eq!(set_value("[1, 2]", &["a"], &json!(1)), Err(EditError::NotAnObject(vec![])));
        assert_eq!(EditError::NotAnObject(vec![]).to_string(), "the top level is not an object");
        assert_eq!(EditError::NotAnArray(owned(&["a", "b.c"])).to_string(), "\"a\" → \"b.c\" is not an array");
    }

    #[test]
    fn detects_the_style() {
        let four = "{\n    \"a\": {\n        \"b\": 1\n    }\n}\n";
        let style = Style::detect(four, &parse(four).unwrap());
        assert_eq!((style.indent_unit.as_str(), style.newline.as_str(), style.compact), ("    ", "\n", false));
        let tabs = "{\r\n\t\"a\": [ 1,2 ],\r\n\t\"b\": {\"c\":1}\r\n}";
        let style = Style::detect(tabs, &parse(tabs).unwrap());
        assert_eq!(
            style,
            Style {
                indent_unit: "\t".into(),
                newline: "\r\n".into(),
                colon: ": ".into(),
                separator: ",".into(),
                object_padding: "".into(),
                array_padding: " ".into(),
                compact: true,
            }
        );
        let bare = "{}";
        assert_eq!(Style::detect(bare, &parse(bare).unwrap()), Style::default());
    }

    #[test]
    fn renders_like_serde_json_by_default() {
        let value = json!({ "a": [1, { "b": null }], "c": {}, "d": [], "e": "é \"q\"" });
        let pretty = render_value(&value, &Style::default(), Layout::Pretty { compact: false }, "");
        assert_eq!(pretty, serde_json::to_string_pretty(&value).unwrap());
        assert_eq!(
            render_value(&value, &Style::default(), Layout::OneLine, ""),
            "{ \"a\": [1, { \"b\": null }], \"c\": {}, \"d\": [], \"e\": \"é \\\"q\\\"\" }"
        );
        let compact = render_value(
            &json!({ "x": { "from": "a", "to": "b" }, "y": [1, 2] }),
            &Style::default(),
            Layout::Pretty { compact: true },
            "  ",
        );
        assert_eq!(compact, "{\n    \"x\": { \"from\": \"a\", \"to\": \"b\" },\n    \"y\": [1, 2]\n  }");
    }

    #[test]
    fn inserts_members_in_a_four_space_file() {
        let text = "{\n    \"base\": \"main\",\n    \"rules\": {\n        \"removed-table\": \"off\"\n    }\n}\n";
        let out = insert_member(text, &[], "verified", &json!({ "users.role": { "deployment": "prod" } })).unwrap();
        check(
            &out,
            "{\n    \"base\": \"main\",\n    \"rules\": {\n        \"removed-table\": \"off\"\n    },\n    \"verified\": {\n        \"users.role\": {\n            \"deployment\": \"prod\"\n        }\n    }\n}\n",
            json!({ "base": "main", "rules": { "removed-table": "off" }, "verified": { "users.role": { "deployment": "prod" } } }),
        );
        let out = insert_member(text, &["rules"], "narrowed-type", &json!("warn")).unwrap();
        check(
            &out,
            "{\n    \"base\": \"main\",\n    \"rules\": {\n        \"removed-table\": \"off\",\n        \"narrowed-type\": \"warn\"\n    }\n}\n",
            json!({ "base": "main", "rules": { "removed-table": "off", "narrowed-type": "warn" } }),
        );
        assert_eq!(insert_member(text, &[], "base", &json!("x")), Err(EditError::KeyExists(owned(&["base"]))));
        assert_eq!(insert_member(text, &["base"], "x", &json!(1)), Err(EditError::NotAnObject(owned(&["base"]))));
    }

    #[test]
    fn creates_missing_parents() {
        let text = "{\n\t\"base\": \"main\"\n}";
        let out = insert_member(text, &["verified", "users.role"], "at", &json!("now")).unwrap();
        check(
            &out,
            "{\n\t\"base\": \"main\",\n\t\"verified\": {\n\t\t\"users.role\": {\n\t\t\t\"at\": \"now\"\n\t\t}\n\t}\n}",
            json!({ "base": "main", "verified": { "users.role": { "at": "now" } } }),
        );
        assert_eq!(set_value(text, &["verified", "users.role", "at"], &json!("now")).unwrap(), out);
    }

    #[test]
    fn keeps_one_line_objects_on_one_line() {
        let text = "{\"base\":\"main\",\"rules\":{\"a\":\"off\"}}";
        let out = insert_member(text, &[], "dualWrites", &json!([{ "from": "p.t", "to": "t" }])).unwrap();
        check(
            &out,
            "{\"base\":\"main\",\"rules\":{\"a\":\"off\"},\"dualWrites\":[{\"from\":\"p.t\",\"to\":\"t\"}]}",
            json!({ "base": "main", "rules": { "a": "off" }, "dualWrites": [{ "from": "p.t", "to": "t" }] }),
        );
        let text = "{\n  \"rules\": { \"a\": \"off\" }\n}\n";
        let out = insert_member(text, &["rules"], "b", &json!({ "deep": [1] })).unwrap();
        check(
            &out,
            "{\n  \"rules\": { \"a\": \"off\", \"b\": { \"deep\": [1] } }\n}\n",
            json!({ "rules": { "a": "off", "b": { "deep": [1] } } }),
        );
    }

    #[test]
    fn fills_empty_objects_and_arrays() {
        let text = "{\n  \"verified\": {},\n  \"dualWrites\": [ ]\n}";
        let out = insert_member(text, &["verified"], "users.role", &json!({ "at": "x" })).unwrap();
        check(
            &out,
            "{\n  \"verified\": {\n    \"users.role\": {\n      \"at\": \"x\"\n    }\n  },\n  \"dualWrites\": [ ]\n}",
            json!({ "verified": { "users.role": { "at": "x" } }, "dualWrites": [] }),
        );
        let out = push_element(text, &["dualWrites"], &json!({ "from": "a", "to": "b" })).unwrap();
        check(
            &out,
            "{\n  \"verified\": {},\n  \"dualWrites\": [\n    {\n      \"from\": \"a\",\n      \"to\": \"b\"\n    }\n  ]\n}",
            json!({ "verified": {}, "dualWrites": [{ "from": "a", "to": "b" }] }),
        );
        // Indented from the closing brace's line.
        let text = "{\n  \"verified\": {\n  }\n}";
        let out = insert_member(text, &["verified"], "k", &json!(1)).unwrap();
        check(&out, "{\n  \"verified\": {\n    \"k\": 1\n  }\n}", json!({ "verified": { "k": 1 } }));
        check(&insert_member("{}", &[], "k", &json!(1)).unwrap(), "{\n  \"k\": 1\n}", json!({ "k": 1 }));
        check(&insert_member("{ \"a\": {} }", &["a"], "k", &json!(1)).unwrap(), "{ \"a\": { \"k\": 1 } }", json!({ "a": { "k": 1 } }));
    }

    #[test]
    fn follows_compact_siblings() {
        let text = "{\n  \"dualWrites\": [\n    { \"from\": \"a\", \"to\": \"b\" }\n  ]\n}\n";
        let out = push_element(text, &["dualWrites"], &json!({ "from": "c", "to": "d" })).unwrap();
        check(
            &out,
            "{\n  \"dualWrites\": [\n    { \"from\": \"a\", \"to\": \"b\" },\n    { \"from\": \"c\", \"to\": \"d\" }\n  ]\n}\n",
            json!({ "dualWrites": [{ "from": "a", "to": "b" }, { "from": "c", "to": "d" }] }),
        );
        // A file that writes small objects on one line gets new ones on one line.
        let text = "{\n  \"rules\": { \"a\": \"off\" },\n  \"base\": \"main\"\n}";
        let out = set_value(text, &["verified"], &json!({ "users.role": { "deployment": "prod", "remaining": 0 } })).unwrap();
        check(
            &out,
            "{\n  \"rules\": { \"a\": \"off\" },\n  \"base\": \"main\",\n  \"verified\": {\n    \"users.role\": { \"deployment\": \"prod\", \"remaining\": 0 }\n  }\n}",
            json!({ "rules": { "a": "off" }, "base": "main", "verified": { "users.role": { "deployment": "prod", "remaining": 0 } } }),
        );
    }

    #[test]
    fn replaces_values_in_place() {
        let text = "{\r\n    \"base\": \"main\", \r\n    \"verified\": {\r\n        \"users.role\": {\r\n            \"at\": \"x\"\r\n        }\r\n    }\r\n}\r\n";
        let out = set_value(text, &["verified", "users.role"], &json!([{ "at": "x" }, { "at": "y" }])).unwrap();
        check(
            &out,
            "{\r\n    \"base\": \"main\", \r\n    \"verified\": {\r\n        \"users.role\": [\r\n            {\r\n                \"at\": \"x\"\r\n            },\r\n            {\r\n                \"at\": \"y\"\r\n            }\r\n        ]\r\n    }\r\n}\r\n",
            json!({ "base": "main", "verified": { "users.role": [{ "at": "x" }, { "at": "y" }] } }),
        );
        let out = replace_value(text, &["base"], "\"origin/main\"").unwrap();
        assert_eq!(out, text.replace("\"main\"", "\"origin/main\""));
        assert!(matches!(replace_value(text, &["base"], "nope"), Err(EditError::Parse(_))));
        assert_eq!(replace_value(text, &["nope"], "1"), Err(EditError::Missing(owned(&["nope"]))));
        check(&set_value("{ \"a\": 1 }", &[], &json!([])).unwrap(), "[]", json!([]));
    }

    #[test]
    fn removes_elements_tidily() {
        let text = "{\n  \"list\": [\n    1,\n    2,\n    3\n  ]\n}";
        let drop = |n: i64| move |v: &Value| v.as_i64() == Some(n);
        check(&remove_elements(text, &["list"], drop(1)).unwrap(), "{\n  \"list\": [\n    2,\n    3\n  ]\n}", json!({ "list": [2, 3] }));
        check(&remove_elements(text, &["list"], drop(2)).unwrap(), "{\n  \"list\": [\n    1,\n    3\n  ]\n}", json!({ "list": [1, 3] }));
        check(&remove_elements(text, &["list"], drop(3)).unwrap(), "{\n  \"list\": [\n    1,\n    2\n  ]\n}", json!({ "list": [1, 2] }));
        check(&remove_elements(text, &["list"], |_| true).unwrap(), "{\n  \"list\": []\n}", json!({ "list": [] }));
        assert_eq!(remove_elements(text, &["list"], drop(9)).unwrap(), text);
        let text = "{ \"list\": [ 1, 2, 1 ] }";
        check(&remove_elements(text, &["list"], drop(1)).unwrap(), "{ \"list\": [ 2 ] }", json!({ "list": [2] }));
        assert_eq!(remove_elements(text, &["nope"], drop(1)), Err(EditError::Missing(owned(&["nope"]))));
        assert_eq!(remove_elements("{ \"list\": {} }", &["list"], drop(1)), Err(EditError::NotAnArray(owned(&["list"]))));
    }

    #[test]
    fn keeps_unicode_and_escapes() {
        let text = "{\n  \"clé \\\"x\\\"\": \"naïve — \\\"quoted\\\" \\\\ \\u00e9\",\n  \"表\": { \"列\": 1 }\n}\n";
        let out = insert_member(text, &["表"], "新しい", &json!("値 \"q\"")).unwrap();
        check(
            &out,
            "{\n  \"clé \\\"x\\\"\": \"naïve — \\\"quoted\\\" \\\\ \\u00e9\",\n  \"表\": { \"列\": 1, \"新しい\": \"値 \\\"q\\\"\" }\n}\n",
            json!({ "clé \"x\"": "naïve — \"quoted\" \\ é", "表": { "列": 1, "新しい": "値 \"q\"" } }),
        );
        let out = set_value(text, &["clé \"x\""], &json!(2)).unwrap();
        check(&out, "{\n  \"clé \\\"x\\\"\": 2,\n  \"表\": { \"列\": 1 }\n}\n", json!({ "clé \"x\"": 2, "表": { "列": 1 } }));
    }

    /// Texts near a valid file: every truncation, every character deleted, every delimiter
    /// inserted at every place.
    fn mutations(text: &str) -> Vec<String> {
        let boundaries: Vec<usize> = (0..=text.len()).filter(|i| text.is_char_boundary(*i)).collect();
        let mut out: Vec<String> = boundaries.iter().map(|i| text[..*i].to_string()).collect();
        for pair in boundaries.windows(2) {
            out.push(format!("{}{}", &text[..pair[0]], &text[pair[1]..]));
            for extra in ["{", "}", "[", "]", ":", ",", "\"", "\\", "1", "-", "\u{1}"] {
                out.push(format!("{}{extra}{}", &text[..pair[0]], &text[pair[0]..]));
            }
        }
        out
    }

    #[test]
    fn never_panics_and_agrees_with_serde_json_on_validity() {
        let text = "{\r\n\t\"base\": \"main\",\r\n\t\"n\": [-1.5e3, 0, true, null],\r\n\t\"é\\\"\": { \"k\": \"\\ud83d\\ude00\" }\r\n}\r\n";
        for candidate in mutations(text) {
            let mine = parse(&candidate);
            let reference = serde_json::from_str::<Value>(&candidate);
            assert_eq!(mine.is_ok(), reference.is_ok(), "{candidate:?}: {mine:?} / {reference:?}");
            if mine.is_ok() {
                // Edits of whatever parses give JSON.
                for result in [
                    set_value(&candidate, &["n"], &json!(1)),
                    insert_member(&candidate, &["x", "y"], "z", &json!({ "a": [1] })),
                    push_element(&candidate, &["n"], &json!({ "a": 1 })),
                    remove_elements(&candidate, &["n"], |v| v.is_number()),
                ]
                .into_iter()
                .flatten()
                {
                    assert!(serde_json::from_str::<Value>(&result).is_ok(), "{candidate:?} → {result:?}");
                }
            } else {
                assert!(set_value(&candidate, &["n"], &json!(1)).is_err());
            }
        }
    }
}
