//! The budget a file must fit before swc sees it: a size, a nesting depth and a number of parser
//! steps, measured by one linear scan of the text.
//!
//! swc parses recursively and has no nesting limit of its own: ~100,000 nested `(` overflow any
//! thread's stack, and some TypeScript forms make it backtrack (each `(<a>` nested in another
//! doubles the work; each `a < (` nested in another re-parses what follows). The scan below
//! follows the tokens the way swc does (strings, comments, template literals, regular
//! expressions, JSX text and tags), so none of them can hide brackets from it, and counts:
//!
//! - **nesting**: the open brackets, plus the right-recursive operators of the current
//!   expression (prefix operators, `=>`, `?`, `:`, assignments, `**`, TypeScript `<`), plus a
//!   sixteenth of the left-recursive ones (member accesses, calls, binary operators), whose
//!   parse is a loop but whose tree is as deep. An expression's count ends where the expression
//!   does: at `;`, `,`, a closing bracket, or where one operand follows another (a new statement).
//! - **steps**: every token weighs one, times one more for each enclosing TypeScript `<` after an
//!   operand or `:` (which swc tries as type arguments or labels and may re-parse), times two for
//!   each enclosing `<` at the start of an expression (a type assertion or a generic arrow, which
//!   swc parses twice when the first try fails).
//!
//! Beyond a limit the file is not parsed; the caller reports which limit it was. The estimate
//! errs on the side of "too deep": a false limit on pathological but valid code is a finding the
//! user can read, an overflow is a crash.

use crate::line_index::TextRange;

/// Nesting levels a file may reach. swc needs up to ~3.3 KB of stack per level in a release build
/// (nested `(`, measured), so the limit needs ~3.3 MB; the parsing threads get
/// [`crate::STACK_SIZE`].
pub const MAX_NESTING: u32 = 1_000;
/// Bytes a file may hold: twice the largest source file of the 94 projects surveyed (1.8 MB).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Parser steps a file may need (0.1–0.5 µs each in a release build: a few seconds at most).
pub const MAX_STEPS: u64 = 10_000_000;

/// How many left-recursive operators count as one nesting level.
const CHEAP_PER_LEVEL: u32 = 16;

/// A limit a file exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Size { bytes: usize },
    Nesting { at: u32 },
    Steps { at: u32 },
}

impl Limit {
    /// What the user reads: which limit, and that the file is not analysed.
    pub fn message(&self) -> String {
        match self {
            Limit::Size { bytes } => format!(
                "the file holds {} bytes, more than the {} a file may hold: the file is not analysed",
                thousands(*bytes as u64),
                thousands(MAX_BYTES as u64)
            ),
            Limit::Nesting { .. } => {
                format!("nesting deeper than {} levels: the file is not analysed", thousands(u64::from(MAX_NESTING)))
            }
            Limit::Steps { .. } => format!(
                "parsing would take more than {} steps (nested type assertions, comparisons or labels that the parser must try more than once): the file is not analysed",
                thousands(MAX_STEPS)
            ),
        }
    }

    /// Where the limit was crossed.
    pub fn range(&self) -> TextRange {
        match self {
            Limit::Size { .. } => TextRange::empty(0),
            Limit::Nesting { at } | Limit::Steps { at } => TextRange::new(*at, at.saturating_add(1)),
        }
    }
}

/// `1000000` → `1,000,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What the scan measured of a file within its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Measure {
    pub depth: u32,
    pub steps: u64,
}

/// Checks `text` against the budget, as TypeScript (`ts`) and/or with JSX (`jsx`).
pub fn check(text: &str, ts: bool, jsx: bool) -> Result<Measure, Limit> {
    if text.len() > MAX_BYTES {
        return Err(Limit::Size { bytes: text.len() });
    }
    let mut scan = Scan::new(text.as_bytes(), ts, jsx);
    scan.run()?;
    Ok(Measure { depth: scan.max_depth, steps: scan.steps })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParenKind {
    /// `if (…)`, `for (…)`, `while (…)`, `with (…)`, `switch (…)`, `catch (…)`: a statement follows.
    Head,
    /// A function's parameters.
    Params,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BraceKind {
    /// A block or a declaration's body: a statement follows it.
    Block,
    /// An object literal, a type literal, a function or class expression's body.
    Expr,
    /// An arrow function's body.
    Arrow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Paren(ParenKind),
    Bracket,
    Brace(BraceKind),
    /// `${` of a template literal.
    TemplateExpr,
    /// A TypeScript `<`: type arguments or parameters, a type assertion, or a comparison that
    /// `>` never closes (then `;`, a closing bracket or a new statement ends it). `assertion`:
    /// at the start of an expression (an operand follows the `>`).
    Lt {
        assertion: bool,
    },
    /// Inside a JSX opening tag.
    JsxTag,
    /// Between a JSX element's tags.
    JsxChildren,
    /// `{…}` in a JSX tag or children.
    JsxExpr,
}

/// One open bracket (or JSX element, or TypeScript `<`) and the operators of the expression
/// being parsed inside it.
#[derive(Debug, Clone, Copy)]
struct Frame {
    kind: Kind,
    /// Right-recursive operators: one level each.
    chain: u32,
    /// Left-recursive operators: a sixteenth of a level each.
    cheap: u32,
    /// Places swc may re-parse what follows once more.
    retries: u32,
    /// Places swc may parse what follows twice.
    doublings: u32,
}

impl Frame {
    fn new(kind: Kind) -> Frame {
        Frame { kind, chain: 0, cheap: 0, retries: 0, doublings: 0 }
    }
}

/// What came before the current token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// The start of a statement.
    Stmt,
    /// An operator or keyword after which an expression starts.
    Expr,
    /// The end of an operand: `/` divides, `<` compares, and another operand starts a new statement.
    Operand,
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    ts: bool,
    jsx: bool,
    frames: Vec<Frame>,
    /// The top-level expression (outside every bracket).
    top: Frame,
    sum_chain: u32,
    sum_cheap: u32,
    sum_retries: u32,
    sum_doublings: u32,
    prev: Prev,
    /// The previous token was `.` or `?.`: a word is a property name.
    after_dot: bool,
    /// The previous token was `=>`: a `{` is an arrow body.
    after_arrow: bool,
    /// The next `(` is a statement head.
    head_next: bool,
    /// Since `function`: the next `(` holds parameters.
    params_next: bool,
    /// The `{` at this frame depth is a function's or class's body of this kind.
    pending_body: Option<(usize, BraceKind)>,
    max_depth: u32,
    steps: u64,
    /// Scanning a JSX tag or its children.
    in_jsx: bool,
    /// Scanning the content of a string, comment or text as code (its own are not scanned again).
    sub: bool,
}

impl<'a> Scan<'a> {
    fn new(b: &'a [u8], ts: bool, jsx: bool) -> Scan<'a> {
        Scan {
            b,
            i: 0,
            ts,
            jsx,
            frames: Vec::new(),
            top: Frame::new(Kind::Brace(BraceKind::Block)),
            sum_chain: 0,
            sum_cheap: 0,
            sum_retries: 0,
            sum_doublings: 0,
            prev: Prev::Stmt,
            after_dot: false,
            after_arrow: false,
            head_next: false,
            params_next: false,
            pending_body: None,
            max_depth: 0,
            steps: 0,
            in_jsx: false,
            sub: false,
        }
    }

    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn offset(&self) -> u32 {
        u32::try_from(self.i).unwrap_or(u32::MAX)
    }

    fn depth(&self) -> u32 {
        (self.frames.len() as u32).saturating_add(self.sum_chain).saturating_add(self.sum_cheap / CHEAP_PER_LEVEL)
    }

    fn current(&mut self) -> &mut Frame {
        match self.frames.last_mut() {
            Some(f) => f,
            None => &mut self.top,
        }
    }

    fn top_kind(&self) -> Option<Kind> {
        self.frames.last().map(|f| f.kind)
    }

    /// Counts a token: its parser steps (JSX takes swc about twice as long).
    fn token(&mut self) -> Result<(), Limit> {
        self.weighed(if self.in_jsx { 2 } else { 1 })
    }

    /// Counts `units` of parser work at the current weight.
    fn weighed(&mut self, units: u64) -> Result<(), Limit> {
        let weight = u64::from(self.sum_retries).saturating_mul(2).saturating_add(1);
        let weight = match 1u64.checked_shl(self.sum_doublings) {
            Some(factor) if self.sum_doublings < 40 => weight.saturating_mul(factor),
            _ => u64::MAX,
        };
        let weight = weight.saturating_mul(units);
        self.steps = self.steps.saturating_add(weight);
        if self.steps > MAX_STEPS {
            return Err(Limit::Steps { at: self.offset() });
        }
        Ok(())
    }

    fn check_depth(&mut self, extra: u32) -> Result<(), Limit> {
        let depth = self.depth().saturating_add(extra);
        self.max_depth = self.max_depth.max(depth);
        if depth > MAX_NESTING {
            return Err(Limit::Nesting { at: self.offset() });
        }
        Ok(())
    }

    fn chain(&mut self) -> Result<(), Limit> {
        self.current().chain += 1;
        self.sum_chain += 1;
        self.check_depth(0)
    }

    fn cheap(&mut self) -> Result<(), Limit> {
        self.current().cheap += 1;
        self.sum_cheap += 1;
        self.check_depth(0)
    }

    fn push(&mut self, kind: Kind) -> Result<(), Limit> {
        self.frames.push(Frame::new(kind));
        self.check_depth(0)
    }

    fn pop(&mut self) -> Option<Frame> {
        let f = self.frames.pop()?;
        self.unsum(&f);
        Some(f)
    }

    fn unsum(&mut self, f: &Frame) {
        self.sum_chain = self.sum_chain.saturating_sub(f.chain);
        self.sum_cheap = self.sum_cheap.saturating_sub(f.cheap);
        self.sum_retries = self.sum_retries.saturating_sub(f.retries);
        self.sum_doublings = self.sum_doublings.saturating_sub(f.doublings);
    }

    /// The current expression ended (`,`, or the statement): its operators no longer nest.
    fn reset(&mut self) {
        let f = *self.current();
        self.unsum(&f);
        let c = self.current();
        c.chain = 0;
        c.cheap = 0;
        c.retries = 0;
        c.doublings = 0;
    }

    /// A statement ended: comparisons that `>` never closed end with it.
    fn end_statement(&mut self) {
        while matches!(self.top_kind(), Some(Kind::Lt { .. })) {
            self.pop();
        }
        self.reset();
    }

    /// A token that starts an operand: after another operand, a new statement began.
    fn operand_start(&mut self) {
        if self.prev == Prev::Operand {
            self.end_statement();
        }
    }

    fn run(&mut self) -> Result<(), Limit> {
        // A hashbang line.
        if self.b.starts_with(b"#!") {
            self.skip_line();
        }
        while self.i < self.b.len() {
            let kind = self.top_kind();
            self.in_jsx = matches!(kind, Some(Kind::JsxTag | Kind::JsxChildren));
            match kind {
                Some(Kind::JsxTag) => self.jsx_tag_step()?,
                Some(Kind::JsxChildren) => self.jsx_children_step()?,
                _ => self.code_step()?,
            }
        }
        Ok(())
    }

    fn skip_line(&mut self) {
        while self.i < self.b.len() && !is_line_break(self.b, self.i) {
            self.i += 1;
        }
    }

    /// One token of code.
    fn code_step(&mut self) -> Result<(), Limit> {
        let c = self.at(self.i);
        // Whitespace (ASCII, and the non-ASCII spaces and line separators as one unit).
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            // A run of it at once: indentation is a good part of most files.
            let rest = &self.b[self.i..];
            self.i += rest.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)).unwrap_or(rest.len());
            return Ok(());
        }
        if c >= 0x80 && unicode_space_len(self.b, self.i) > 0 {
            self.i += unicode_space_len(self.b, self.i);
            return Ok(());
        }
        let start = self.i;
        let after_dot = std::mem::take(&mut self.after_dot);
        let after_arrow = std::mem::take(&mut self.after_arrow);
        let head_next = std::mem::take(&mut self.head_next);
        let params_next = std::mem::take(&mut self.params_next);
        match c {
            b'/' if self.at(self.i + 1) == b'/' => {
                self.skip_line();
                self.region(start)?;
                self.restore_flags(after_dot, after_arrow, head_next, params_next);
            }
            b'/' if self.at(self.i + 1) == b'*' => {
                self.i += 2;
                while self.i < self.b.len() && !(self.at(self.i) == b'*' && self.at(self.i + 1) == b'/') {
                    self.i += 1;
                }
                self.i = (self.i + 2).min(self.b.len());
                self.region(start)?;
                self.restore_flags(after_dot, after_arrow, head_next, params_next);
            }
            b'/' if self.prev != Prev::Operand => {
                self.regex();
                self.region(start)?;
                self.prev = Prev::Operand;
            }
            b'\'' | b'"' => {
                self.operand_start();
                self.string(c);
                self.region(start)?;
                self.prev = Prev::Operand;
            }
            b'`' => {
                if self.prev == Prev::Operand {
                    // A tagged template: like a call.
                    self.cheap()?;
                }
                self.i += 1;
                self.template_text(start)?;
            }
            b'0'..=b'9' => {
                self.operand_start();
                self.number();
                self.token()?;
                self.prev = Prev::Operand;
            }
            b'.' if self.at(self.i + 1).is_ascii_digit() => {
                self.operand_start();
                self.number();
                self.token()?;
                self.prev = Prev::Operand;
            }
            b'#' => {
                self.i += 1;
                self.ident();
                self.token()?;
                if !after_dot {
                    self.operand_start();
                }
                self.prev = Prev::Operand;
            }
            c if is_ident_start(c) => {
                self.ident();
                self.token()?;
                let b = self.b;
                self.word(&b[start..self.i], after_dot)?;
            }
            _ => self.punctuator(after_arrow, head_next, params_next)?,
        }
        Ok(())
    }

    /// Comments keep what the previous token decided.
    fn restore_flags(&mut self, after_dot: bool, after_arrow: bool, head_next: bool, params_next: bool) {
        self.after_dot = after_dot;
        self.after_arrow = after_arrow;
        self.head_next = head_next;
        self.params_next = params_next;
    }

    /// A string, comment, regular expression or text from `start` to here: one token. Should swc
    /// read it as code where the scan read text (after a syntax error it recovers from, say), it
    /// must still fit: its content is scanned as code too, and what that needs counts here.
    fn region(&mut self, start: usize) -> Result<(), Limit> {
        let end = self.i.min(self.b.len());
        let content = self.b.get((start + 1).min(end)..end).unwrap_or(&[]);
        let (depth, steps, exceeded) = if self.sub {
            fallback(content)
        } else {
            let mut sub = Scan::new(content, self.ts, self.jsx);
            sub.sub = true;
            let exceeded = sub.run().err();
            (sub.max_depth, sub.steps, exceeded)
        };
        let at = self.i;
        self.i = start;
        let here = self.offset();
        let checked = if let Some(limit) = exceeded {
            Err(match limit {
                Limit::Nesting { .. } | Limit::Size { .. } => Limit::Nesting { at: here },
                Limit::Steps { .. } => Limit::Steps { at: here },
            })
        } else {
            self.check_depth(depth).and_then(|()| self.weighed(steps.max(1)))
        };
        self.i = at;
        checked
    }

    fn word(&mut self, word: &[u8], after_dot: bool) -> Result<(), Limit> {
        if after_dot {
            // A property name, whatever the word.
            self.prev = Prev::Operand;
            return Ok(());
        }
        match word {
            b"typeof" | b"void" | b"delete" | b"await" | b"new" | b"yield" | b"keyof" | b"infer" | b"readonly" | b"unique" | b"async" => {
                self.operand_start();
                self.chain()?;
                self.prev = Prev::Expr;
            }
            b"in" | b"instanceof" | b"as" | b"satisfies" | b"is" | b"of" | b"extends" | b"implements" => {
                self.cheap()?;
                self.prev = Prev::Expr;
            }
            b"if" | b"for" | b"while" | b"with" | b"switch" | b"catch" => {
                self.operand_start();
                self.cheap()?;
                self.head_next = true;
                self.prev = Prev::Stmt;
            }
            b"else" | b"do" | b"try" | b"finally" => {
                self.cheap()?;
                self.prev = Prev::Stmt;
            }
            b"function" | b"class" => {
                self.operand_start();
                let kind = if self.prev == Prev::Expr { BraceKind::Expr } else { BraceKind::Block };
                self.pending_body = Some((self.frames.len(), kind));
                self.params_next = word == b"function";
                self.prev = Prev::Expr;
            }
            b"return" | b"throw" | b"case" | b"default" | b"export" | b"import" | b"const" | b"let" | b"var" | b"break" | b"continue"
            | b"debugger" | b"interface" | b"enum" => {
                self.operand_start();
                self.prev = Prev::Expr;
            }
            _ => {
                self.operand_start();
                // `function name(`: still the parameters next.
                if self.pending_body.is_some() && self.prev == Prev::Expr {
                    self.params_next = self.params_next_after_name();
                }
                self.prev = Prev::Operand;
            }
        }
        Ok(())
    }

    /// After `function name` (or `function* name`) comes `(`; a generic `<T>` in between is fine.
    fn params_next_after_name(&self) -> bool {
        let mut j = self.i;
        while matches!(self.at(j), b' ' | b'\t' | b'\n' | b'\r') {
            j += 1;
        }
        matches!(self.at(j), b'(' | b'<')
    }

    fn punctuator(&mut self, after_arrow: bool, head_next: bool, params_next: bool) -> Result<(), Limit> {
        let c = self.at(self.i);
        let n1 = self.at(self.i + 1);
        let n2 = self.at(self.i + 2);
        match c {
            b'(' => {
                self.i += 1;
                self.token()?;
                let kind = if head_next {
                    ParenKind::Head
                } else if params_next {
                    ParenKind::Params
                } else {
                    ParenKind::Other
                };
                if self.prev == Prev::Operand && kind == ParenKind::Other {
                    self.cheap()?;
                }
                self.push(Kind::Paren(kind))?;
                self.prev = Prev::Expr;
            }
            b'[' => {
                self.i += 1;
                self.token()?;
                if self.prev == Prev::Operand {
                    self.cheap()?;
                }
                self.push(Kind::Bracket)?;
                self.prev = Prev::Expr;
            }
            b'{' => {
                self.i += 1;
                self.token()?;
                let kind = match self.pending_body {
                    Some((depth, kind)) if depth == self.frames.len() => {
                        self.pending_body = None;
                        kind
                    }
                    _ if after_arrow => BraceKind::Arrow,
                    _ if self.prev == Prev::Expr => BraceKind::Expr,
                    _ => BraceKind::Block,
                };
                self.push(Kind::Brace(kind))?;
                self.prev = Prev::Stmt;
                if kind == BraceKind::Expr {
                    self.prev = Prev::Expr;
                }
            }
            b')' => {
                self.i += 1;
                self.token()?;
                self.close_lts();
                match self.top_kind() {
                    Some(Kind::Paren(kind)) => {
                        self.pop();
                        self.prev = if kind == ParenKind::Head { Prev::Stmt } else { Prev::Operand };
                    }
                    // A closer that closes nothing open here: an error swc reports; keep counting.
                    _ => self.prev = Prev::Operand,
                }
            }
            b']' => {
                self.i += 1;
                self.token()?;
                self.close_lts();
                if self.top_kind() == Some(Kind::Bracket) {
                    self.pop();
                }
                self.prev = Prev::Operand;
            }
            b'}' => {
                self.i += 1;
                self.token()?;
                self.close_lts();
                match self.top_kind() {
                    Some(Kind::Brace(kind)) => {
                        self.pop();
                        if kind == BraceKind::Block {
                            // The statement it belongs to is complete, except an `else` chain (cheap).
                            let f = Frame { cheap: 0, ..*self.current() };
                            self.unsum(&f);
                            let cur = self.current();
                            cur.chain = 0;
                            cur.retries = 0;
                            cur.doublings = 0;
                            self.prev = Prev::Stmt;
                        } else {
                            self.prev = Prev::Operand;
                        }
                    }
                    Some(Kind::TemplateExpr) => {
                        self.pop();
                        let start = self.i;
                        self.template_text(start)?;
                    }
                    Some(Kind::JsxExpr) => {
                        self.pop();
                    }
                    _ => self.prev = Prev::Operand,
                }
            }
            b';' => {
                self.i += 1;
                self.token()?;
                self.end_statement();
                self.pending_body = None;
                self.prev = Prev::Stmt;
            }
            b',' => {
                self.i += 1;
                self.token()?;
                self.reset();
                self.prev = Prev::Expr;
            }
            b'=' if n1 == b'>' => {
                self.i += 2;
                self.token()?;
                self.chain()?;
                self.after_arrow = true;
                self.prev = Prev::Expr;
            }
            b'=' => {
                let len = if n1 == b'=' && n2 == b'=' {
                    3
                } else if n1 == b'=' {
                    2
                } else {
                    1
                };
                self.op(len, len == 1)?;
            }
            b'?' if n1 == b'?' => {
                let len = if n2 == b'=' { 3 } else { 2 };
                self.op(len, len == 3)?;
            }
            b'?' if n1 == b'.' && !n2.is_ascii_digit() => {
                self.i += 2;
                self.token()?;
                self.cheap()?;
                self.after_dot = true;
                self.prev = Prev::Expr;
            }
            b'?' | b':' => {
                self.i += 1;
                self.token()?;
                self.chain()?;
                if c == b':' && matches!(self.current().kind, Kind::Brace(BraceKind::Block | BraceKind::Arrow)) {
                    // Perhaps a label: swc checks each against the enclosing ones.
                    self.current().retries += 1;
                    self.sum_retries += 1;
                }
                self.prev = Prev::Expr;
            }
            b'.' if n1 == b'.' && n2 == b'.' => {
                self.i += 3;
                self.token()?;
                self.chain()?;
                self.prev = Prev::Expr;
            }
            b'.' => {
                self.i += 1;
                self.token()?;
                self.cheap()?;
                self.after_dot = true;
                self.prev = Prev::Expr;
            }
            b'!' if n1 == b'=' => {
                let len = if n2 == b'=' { 3 } else { 2 };
                self.op(len, false)?;
            }
            b'!' if self.prev == Prev::Operand => {
                // TypeScript's non-null assertion.
                self.i += 1;
                self.token()?;
                self.cheap()?;
            }
            b'!' | b'~' => {
                self.i += 1;
                self.token()?;
                self.chain()?;
                self.prev = Prev::Expr;
            }
            b'+' | b'-' if n1 == c => {
                self.i += 2;
                self.token()?;
                if self.prev != Prev::Operand {
                    self.chain()?;
                    self.prev = Prev::Expr;
                }
            }
            b'+' | b'-' if n1 == b'=' => self.op(2, true)?,
            b'+' | b'-' if self.prev == Prev::Operand => self.op(1, false)?,
            b'+' | b'-' => {
                self.i += 1;
                self.token()?;
                self.chain()?;
                self.prev = Prev::Expr;
            }
            b'*' if n1 == b'*' => {
                let len = if n2 == b'=' { 3 } else { 2 };
                // Right-associative: one level each.
                self.op(len, true)?;
            }
            b'*' | b'/' | b'%' | b'^' => {
                let len = if n1 == b'=' { 2 } else { 1 };
                self.op(len, len == 2)?;
            }
            b'&' | b'|' => {
                let len = if n1 == c && n2 == b'=' {
                    3
                } else if n1 == c || n1 == b'=' {
                    2
                } else {
                    1
                };
                self.op(len, n1 == b'=' || n2 == b'=')?;
            }
            b'<' => self.less_than()?,
            b'>' => self.greater_than()?,
            b'@' => {
                self.i += 1;
                self.token()?;
                self.prev = Prev::Expr;
            }
            _ => {
                // Anything else (a stray byte, a backslash-escaped identifier start): one token.
                let len = utf8_len(c);
                self.i = (self.i + len).min(self.b.len());
                self.token()?;
                self.prev = Prev::Expr;
            }
        }
        Ok(())
    }

    /// A binary operator of `len` bytes; `right` when it is right-recursive (assignments).
    fn op(&mut self, len: usize, right: bool) -> Result<(), Limit> {
        self.i += len;
        self.token()?;
        if right {
            self.chain()?;
        } else {
            self.cheap()?;
        }
        self.prev = Prev::Expr;
        Ok(())
    }

    fn close_lts(&mut self) {
        while matches!(self.top_kind(), Some(Kind::Lt { .. })) {
            self.pop();
        }
    }

    fn less_than(&mut self) -> Result<(), Limit> {
        let n1 = self.at(self.i + 1);
        if n1 == b'<' {
            let len = if self.at(self.i + 2) == b'=' { 3 } else { 2 };
            return self.op(len, len == 3);
        }
        if n1 == b'=' {
            return self.op(2, false);
        }
        let expression_start = self.prev != Prev::Operand;
        let word_next = is_ident_start(self.at(skip_spaces(self.b, self.i + 1)));
        if self.jsx && expression_start && (word_next || n1 == b'>') && !(self.ts && self.type_params_ahead()) {
            self.i += 1;
            self.token()?;
            self.operand_start();
            self.push(Kind::JsxTag)?;
            return Ok(());
        }
        self.i += 1;
        self.token()?;
        if !self.ts {
            // A comparison.
            self.cheap()?;
            self.prev = Prev::Expr;
            return Ok(());
        }
        if expression_start {
            // `<T>x` or `<T>(…) =>`: swc tries a generic arrow first, and parses again if that fails.
            self.chain()?;
            if word_next {
                self.current().doublings += 1;
                self.sum_doublings += 1;
            }
            self.push(Kind::Lt { assertion: true })?;
        } else {
            // Type arguments, or a comparison: swc tries type arguments first.
            self.push(Kind::Lt { assertion: false })?;
            self.current().retries += 1;
            self.sum_retries += 1;
        }
        self.prev = Prev::Expr;
        Ok(())
    }

    /// In TSX, `<T,>` and `<T extends U>` are type parameters, not a tag.
    fn type_params_ahead(&self) -> bool {
        let mut j = skip_spaces(self.b, self.i + 1);
        while j < self.b.len() && is_ident_part(self.b[j]) {
            j += 1;
        }
        let j = skip_spaces(self.b, j);
        self.at(j) == b',' || self.b.get(j..).is_some_and(|rest| rest.starts_with(b"extends") && !is_ident_part(self.at(j + 7)))
    }

    fn greater_than(&mut self) -> Result<(), Limit> {
        let mut run = 0;
        while self.at(self.i + run) == b'>' && run < 3 {
            run += 1;
        }
        let mut closed = 0;
        let mut assertion_closed = false;
        while closed < run {
            match self.top_kind() {
                Some(Kind::Lt { assertion }) if self.ts => {
                    self.pop();
                    assertion_closed = assertion;
                    closed += 1;
                }
                _ => break,
            }
        }
        if closed > 0 {
            self.i += closed;
            self.token()?;
            // After `<T>` of an assertion an operand follows; after type arguments, a call or more.
            self.prev = if assertion_closed { Prev::Expr } else { Prev::Operand };
            return Ok(());
        }
        let len = if self.at(self.i + run) == b'=' { run + 1 } else { run };
        self.op(len, len > run && run > 1)
    }

    fn ident(&mut self) {
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if c == b'\\' {
                // `\u0061` escapes.
                self.i += 2;
            } else if c >= 0x80 {
                if unicode_space_len(self.b, self.i) > 0 {
                    break;
                }
                self.i += utf8_len(c);
            } else if is_ident_part(c) {
                self.i += 1;
            } else {
                break;
            }
        }
        self.i = self.i.min(self.b.len());
    }

    fn number(&mut self) {
        while self.i < self.b.len() {
            let c = self.b[self.i];
            let sign = (c == b'+' || c == b'-') && matches!(self.b.get(self.i.wrapping_sub(1)), Some(b'e' | b'E'));
            if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || sign {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// A string literal; it ends at its quote, or (unterminated) at the line's end.
    fn string(&mut self, quote: u8) {
        self.i += 1;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if c == b'\\' {
                self.i += 2;
            } else if c == quote {
                self.i += 1;
                break;
            } else if c == b'\n' || c == b'\r' {
                break;
            } else {
                self.i += 1;
            }
        }
        self.i = self.i.min(self.b.len());
    }

    /// A regular expression literal: up to its closing `/` outside a class, then its flags.
    fn regex(&mut self) {
        self.i += 1;
        let mut class = false;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if c == b'\\' {
                self.i += 2;
                continue;
            }
            if is_line_break(self.b, self.i) {
                break;
            }
            self.i += 1;
            match c {
                b'[' => class = true,
                b']' => class = false,
                b'/' if !class => {
                    self.ident();
                    break;
                }
                _ => {}
            }
        }
        self.i = self.i.min(self.b.len());
    }

    /// Template text from here: up to the closing backtick (an operand) or `${` (an expression).
    fn template_text(&mut self, start: usize) -> Result<(), Limit> {
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'`' => {
                    self.i += 1;
                    self.i = self.i.min(self.b.len());
                    self.region(start)?;
                    if self.prev != Prev::Operand {
                        self.prev = Prev::Operand;
                    }
                    return Ok(());
                }
                b'$' if self.at(self.i + 1) == b'{' => {
                    self.i += 2;
                    self.region(start)?;
                    self.push(Kind::TemplateExpr)?;
                    self.prev = Prev::Expr;
                    return Ok(());
                }
                _ => self.i += 1,
            }
        }
        self.i = self.b.len();
        self.region(start)
    }

    /// Inside an opening tag: names, attributes, `{…}`, up to `>` or `/>`.
    fn jsx_tag_step(&mut self) -> Result<(), Limit> {
        let start = self.i;
        let c = self.at(self.i);
        match c {
            b'/' if self.at(self.i + 1) == b'>' => {
                self.i += 2;
                self.token()?;
                self.pop();
                self.element_done();
            }
            b'>' => {
                self.i += 1;
                self.token()?;
                self.pop();
                self.push(Kind::JsxChildren)?;
            }
            b'{' => {
                self.i += 1;
                self.token()?;
                self.push(Kind::JsxExpr)?;
                self.prev = Prev::Expr;
            }
            b'"' | b'\'' => {
                // Attribute strings have no escapes and may span lines.
                self.i += 1;
                while self.i < self.b.len() && self.b[self.i] != c {
                    self.i += 1;
                }
                self.i = (self.i + 1).min(self.b.len());
                self.region(start)?;
            }
            b'<' => {
                // An element as an attribute's value.
                self.i += 1;
                self.token()?;
                self.push(Kind::JsxTag)?;
            }
            b'/' if self.at(self.i + 1) == b'*' || self.at(self.i + 1) == b'/' => {
                // Comments are allowed between attributes.
                self.code_step()?;
            }
            _ => {
                self.i += 1;
                while self.i < self.b.len() && !matches!(self.b[self.i], b'/' | b'>' | b'{' | b'"' | b'\'' | b'<') {
                    self.i += 1;
                }
                self.token()?;
            }
        }
        Ok(())
    }

    /// Between tags: text up to `{` or `<`.
    fn jsx_children_step(&mut self) -> Result<(), Limit> {
        let start = self.i;
        while self.i < self.b.len() && !matches!(self.b[self.i], b'{' | b'<') {
            self.i += 1;
        }
        if self.i > start {
            self.region(start)?;
        }
        match self.at(self.i) {
            b'{' => {
                self.i += 1;
                self.token()?;
                self.push(Kind::JsxExpr)?;
                self.prev = Prev::Expr;
            }
            b'<' => {
                let j = skip_spaces(self.b, self.i + 1);
                if self.at(j) == b'/' {
                    // The closing tag.
                    self.i = j;
                    while self.i < self.b.len() && self.b[self.i] != b'>' {
                        self.i += 1;
                    }
                    self.i = (self.i + 1).min(self.b.len());
                    self.token()?;
                    self.pop();
                    self.element_done();
                } else {
                    self.i += 1;
                    self.token()?;
                    self.push(Kind::JsxTag)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A JSX element ended: in code, it was an operand.
    fn element_done(&mut self) {
        if !matches!(self.top_kind(), Some(Kind::JsxChildren | Kind::JsxTag)) {
            self.prev = Prev::Operand;
        }
    }
}

/// What text inside text might need as code, counted without a scan: the deepest brackets, the
/// most nested groups that open with a type assertion (`(<a>` doubles swc's work) or follow a `<`
/// (`a < (` re-parses); the steps that would take. Linear, with no state to fool.
fn fallback(text: &[u8]) -> (u32, u64, Option<Limit>) {
    // For each open bracket: whether it starts with `<word`, whether a `<` precedes it.
    let mut open: Vec<(bool, bool)> = Vec::new();
    let (mut deepest, mut doublings, mut retries) = (0u32, 0u32, 0u32);
    let (mut max_doublings, mut max_retries) = (0u32, 0u32);
    let mut last = b' ';
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        match c {
            b'(' | b'[' | b'{' => {
                let next = text.get(skip_spaces(text, i + 1)).copied().unwrap_or(0);
                let assertion =
                    next == b'<' && is_ident_start(text.get(skip_spaces(text, skip_spaces(text, i + 1) + 1)).copied().unwrap_or(0));
                let retry = last == b'<';
                open.push((assertion, retry));
                doublings += u32::from(assertion);
                retries += u32::from(retry);
                deepest = deepest.max(open.len() as u32);
                max_doublings = max_doublings.max(doublings);
                max_retries = max_retries.max(retries);
            }
            b')' | b']' | b'}' => {
                if let Some((assertion, retry)) = open.pop() {
                    doublings -= u32::from(assertion);
                    retries -= u32::from(retry);
                }
            }
            _ => {}
        }
        if !c.is_ascii_whitespace() {
            last = c;
        }
        i += 1;
    }
    let per_token = (1 + 2 * u64::from(max_retries)).saturating_mul(1u64.checked_shl(max_doublings.min(40)).unwrap_or(u64::MAX));
    let steps = per_token.saturating_mul(1 + text.len() as u64 / 4);
    let exceeded = if deepest > MAX_NESTING {
        Some(Limit::Nesting { at: 0 })
    } else if max_doublings >= 40 || steps > MAX_STEPS {
        Some(Limit::Steps { at: 0 })
    } else {
        None
    };
    (deepest, steps, exceeded)
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c == b'\\' || c >= 0x80
}

fn is_ident_part(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

fn utf8_len(c: u8) -> usize {
    match c {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

/// The length of a non-ASCII space or line terminator at `i` (NBSP, BOM, U+2000–U+200A, U+2028,
/// U+2029, U+202F, U+205F, U+3000, U+1680), or 0.
fn unicode_space_len(b: &[u8], i: usize) -> usize {
    let rest = b.get(i..).unwrap_or(&[]);
    let Some(c) = std::str::from_utf8(rest.get(..utf8_len(rest.first().copied().unwrap_or(0)).min(rest.len())).unwrap_or(&[]))
        .ok()
        .and_then(|s| s.chars().next())
    else {
        return 0;
    };
    if matches!(
        c,
        '\u{a0}' | '\u{feff}' | '\u{1680}' | '\u{2000}'..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    ) {
        c.len_utf8()
    } else {
        0
    }
}

/// Whether a line terminator starts at `i`: `\n`, `\r`, U+2028, U+2029.
fn is_line_break(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        Some(b'\n' | b'\r') => true,
        Some(0xe2) => b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xa8 | 0xa9)),
        _ => false,
    }
}

fn skip_spaces(b: &[u8], mut j: usize) -> usize {
    while matches!(b.get(j), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        j += 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Result<Measure, Limit> {
        check(text, true, false)
    }

    fn nested(open: &str, inner: &str, close: &str, n: usize) -> String {
        format!("export const a = {}{inner}{};\n", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn real_code_is_shallow() {
        let text = r#"import { mutation } from "./_generated/server";
export const list = mutation({
  args: { id: v.id("users") },
  handler: async (ctx, { id }) => {
    const user = await ctx.db.get(id);
    if (!user) throw new Error("no (such) user: " + `${id} ((`);
    for (let i = 0; i < 10; i++) { if (i > 2 && i < 5) continue; }
    return /\(+/.test(user.name) ? user.name.split(/[(/]/) : [];
  },
});
"#;
        let m = ts(text).expect("within the budget");
        assert!(m.depth < 20, "{m:?}");
        assert!(m.steps < 1_000, "{m:?}");
    }

    #[test]
    fn deep_nesting_is_over_the_limit() {
        for (open, inner, close) in [("(", "1", ")"), ("[", "1", "]"), ("{a:", "1", "}"), ("() => ", "1", ""), ("`${", "1", "}`")] {
            assert!(ts(&nested(open, inner, close, 100)).is_ok(), "{open}");
            assert!(matches!(ts(&nested(open, inner, close, 100_000)), Err(Limit::Nesting { .. })), "{open}");
        }
        for op in ["!", "typeof ", "await ", "a = ", "a ? b : ", "x => ", "2 ** ", "-"] {
            assert!(matches!(ts(&nested(op, "x", "", 100_000)), Err(Limit::Nesting { .. })), "{op}");
        }
        // Left-recursive chains: a sixteenth of a level each.
        assert!(ts(&format!("a{};", ".b".repeat(10_000))).is_ok());
        assert!(matches!(ts(&format!("a{};", ".b".repeat(100_000))), Err(Limit::Nesting { .. })));
        assert!(matches!(ts(&format!("1{};", " + 1".repeat(100_000))), Err(Limit::Nesting { .. })));
        // Flat lists do not nest.
        assert!(ts(&format!("f(1{});", ", 1".repeat(100_000))).is_ok());
        assert!(ts(&"const a = 1;\n".repeat(100_000)).is_ok());
    }

    #[test]
    fn jsx_nesting_counts_in_jsx_files() {
        let deep = format!("const a = {}{};", "<a>".repeat(100_000), "</a>".repeat(100_000));
        assert!(matches!(check(&deep, true, true), Err(Limit::Nesting { .. })));
        assert!(matches!(check(&deep, false, true), Err(Limit::Nesting { .. })));
        let text = "const a = <div className=\"x\" title='it's'>Don't {\"(\"} stop: ((( <b>{x}</b></div>;";
        assert!(check(text, true, true).expect("fits").depth < 10);
    }

    #[test]
    fn type_assertions_are_bounded_by_steps_and_linear() {
        // ~8,000 nested `<a>` took swc ~40 s; the scan refuses them at once.
        let text = format!("const a = {}x;", "<a>".repeat(8_000));
        let started = std::time::Instant::now();
        assert!(matches!(ts(&text), Err(Limit::Steps { .. })));
        assert!(matches!(ts(&nested("(<a>", "x", ")", 100)), Err(Limit::Steps { .. })));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // A few are fine.
        assert!(ts("const a = <A><B>x;").is_ok());
        // `a < (a < (…` makes swc try type arguments over the rest each time.
        assert!(ts(&nested("a < (", "b", ")", 100)).expect("fits").steps > 10_000);
    }

    #[test]
    fn strings_comments_templates_and_regexes_hide_nothing() {
        let deep = nested("(", "1", ")", 5_000);
        for prefix in [
            "const s = \"((((\";\n",
            "const s = ')))))';\n",
            "// ))))))\n",
            "/* )))) */\n",
            "const t = `))) ${ \")\" } )))`;\n",
            "const r = /\\)\\)\\)[)]/g;\n",
            "if (a) /')/.test(x);\n",
            "const d = a / b / c;\n",
            "const j = x => x;\n",
        ] {
            let text = format!("{prefix}{deep}");
            assert!(matches!(ts(&text), Err(Limit::Nesting { .. })), "hidden by {prefix:?}");
        }
        // What swc may read as code where the scan reads text (here a regex where an object
        // literal expects a key: swc recovers and parses `(<a>(<a>…`, exponentially) still counts,
        // as code and, one text further in, by its brackets and assertions.
        for hidden in ["const o = {\n  a: 1,\n  /", "const o = {\n  a: 1,\n  /'", "// "] {
            let text = format!("{hidden}{}x{}", "(<a>".repeat(100), ")".repeat(100));
            assert!(matches!(ts(&text), Err(Limit::Steps { .. } | Limit::Nesting { .. })), "hidden after {hidden:?}");
        }
        // Brackets inside what the scan takes for a string, on its own line, still count.
        let text = format!("const s = '{}';", "(".repeat(5_000));
        assert!(matches!(ts(&text), Err(Limit::Nesting { .. })));
        // But balanced ones in ordinary strings are free.
        assert!(ts(&"const s = \"(a)\";\n".repeat(10_000)).is_ok());
    }

    #[test]
    fn sizes_over_the_budget_are_refused() {
        let text = " ".repeat(MAX_BYTES + 1);
        assert_eq!(ts(&text), Err(Limit::Size { bytes: MAX_BYTES + 1 }));
        assert_eq!(Limit::Nesting { at: 3 }.message(), "nesting deeper than 1,000 levels: the file is not analysed");
        assert_eq!(thousands(4_194_304), "4,194,304");
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        for text in ["\\", "'", "`", "`${", "/", "/[", "<", "</", "<a", "<a b='", "#", "#!", "\u{2028}(", "é(", "a?.", "0x", "1e+"] {
            let _ = check(text, true, true);
            let _ = check(text, false, true);
            let _ = check(text, true, false);
        }
    }
}
