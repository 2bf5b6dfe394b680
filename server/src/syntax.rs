//! Parsing one source file into an swc module, its comments and a line index.
//!
//! Parsing never fails: a file that does not parse yields `module: None` (or a module recovered
//! from minor errors) together with the errors as values, so the rest of the project is still
//! analysed. Before swc sees a file, [`budget`] checks that it fits a size, a nesting depth and a
//! number of parser steps; beyond them the file is not parsed and its error names the limit.

pub mod budget;

use std::path::Path;

use swc_common::{
    comments::{Comments, SingleThreadedComments},
    input::StringInput,
    BytePos, Span, Spanned,
};
use swc_ecma_ast::{Expr, Lit, Module, PropName};
use swc_ecma_parser::{EsSyntax, Parser, Syntax, TsSyntax};

use crate::line_index::{LineIndex, TextRange};

/// swc reserves `BytePos(0)` for dummy spans, so files start at 1.
const BASE: u32 = 1;

/// Converts an swc span of a file parsed by [`parse`] into byte offsets of its text.
pub fn range(span: Span) -> TextRange {
    TextRange::new(span.lo.0.saturating_sub(BASE), span.hi.0.saturating_sub(BASE))
}

/// A parse error: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub range: TextRange,
    pub message: String,
    pub kind: ParseErrorKind,
}

/// Whether the text does not parse, or was not parsed because it exceeds a [`budget`] limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    Syntax,
    Limit,
}

/// A line (`//`) or block comment, with the range of the whole comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub range: TextRange,
    pub text: String,
}

/// Strips TypeScript-only wrappers and parentheses: `x as const`, `x satisfies T`, `x!`, `(x)`.
pub fn unwrap_ts(mut expr: &Expr) -> &Expr {
    loop {
        expr = match expr {
            Expr::Paren(e) => &e.expr,
            Expr::TsAs(e) => &e.expr,
            Expr::TsSatisfies(e) => &e.expr,
            Expr::TsConstAssertion(e) => &e.expr,
            Expr::TsNonNull(e) => &e.expr,
            Expr::TsTypeAssertion(e) => &e.expr,
            Expr::TsInstantiation(e) => &e.expr,
            _ => return expr,
        }
    }
}

/// The key of an object property, when it is static.
pub fn prop_name(key: &PropName) -> Option<String> {
    match key {
        PropName::Ident(i) => Some(i.sym.to_string()),
        PropName::Str(s) => Some(s.value.to_atom_lossy().to_string()),
        PropName::Num(n) => Some(n.value.to_string()),
        PropName::Computed(c) => match unwrap_ts(&c.expr) {
            Expr::Lit(Lit::Str(s)) => Some(s.value.to_atom_lossy().to_string()),
            _ => None,
        },
        PropName::BigInt(_) => None,
    }
}

/// The result of parsing one file.
pub struct ParsedFile {
    /// `None` when the file could not be parsed at all.
    pub module: Option<Module>,
    pub errors: Vec<ParseError>,
    pub comments: Vec<Comment>,
    pub line_index: LineIndex,
}

/// The source language of a file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    TypeScript,
    Tsx,
    JavaScript,
}

impl Language {
    /// The extensions Convex deploys as function modules: `.ts .tsx .mts .cts .js .jsx .mjs .cjs`.
    pub fn from_path(path: &str) -> Option<Language> {
        let ext = Path::new(path).extension()?.to_str()?;
        match ext {
            "ts" | "mts" | "cts" => Some(Language::TypeScript),
            "tsx" => Some(Language::Tsx),
            "js" | "jsx" | "mjs" | "cjs" => Some(Language::JavaScript),
            _ => None,
        }
    }

    fn is_typescript(self) -> bool {
        matches!(self, Language::TypeScript | Language::Tsx)
    }

    /// swc reads JSX in `.tsx` and in every JavaScript file.
    fn has_jsx(self) -> bool {
        matches!(self, Language::Tsx | Language::JavaScript)
    }

    fn syntax(self) -> Syntax {
        match self {
            // Declaration files too are read as plain TypeScript: swc's `dts` mode asserts that no
            // expression is reparsed as a pattern, which an arrow function in a `.d.ts` file
            // does (a panic, found by tests/fuzz.rs).
            Language::TypeScript => Syntax::Typescript(TsSyntax { tsx: false, decorators: true, ..Default::default() }),
            Language::Tsx => Syntax::Typescript(TsSyntax { tsx: true, decorators: true, ..Default::default() }),
            Language::JavaScript => Syntax::Es(EsSyntax { jsx: true, decorators: true, ..Default::default() }),
        }
    }
}

/// Parses `text` as the language its `path` names (TypeScript when the extension is unknown).
pub fn parse(path: &str, text: &str) -> ParsedFile {
    let line_index = LineIndex::new(text);
    let language = Language::from_path(path).unwrap_or(Language::TypeScript);
    let not_parsed = |limit: budget::Limit, line_index: LineIndex| ParsedFile {
        module: None,
        errors: vec![ParseError { range: limit.range(), message: limit.message(), kind: ParseErrorKind::Limit }],
        comments: Vec::new(),
        line_index,
    };
    if let Err(limit) = budget::check(text, language.is_typescript(), language.has_jsx()) {
        return not_parsed(limit, line_index);
    }
    // swc positions are u32 (the size budget is far below).
    let Ok(len) = u32::try_from(text.len()) else {
        return not_parsed(budget::Limit::Size { bytes: text.len() }, line_index);
    };
    // swc has panics of its own on some malformed input (debug assertions, found by
    // tests/fuzz.rs): one becomes this file's parse error, not a crash.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let comments = SingleThreadedComments::default();
        let input = StringInput::new(text, BytePos(BASE), BytePos(BASE + len));
        let mut parser = Parser::new(language.syntax(), input, Some(&comments as &dyn Comments));
        let result = parser.parse_module();
        let mut errors: Vec<ParseError> = parser
            .take_errors()
            .into_iter()
            .map(|e| ParseError { range: range(e.span()), message: e.kind().msg().into_owned(), kind: ParseErrorKind::Syntax })
            .collect();
        let module = match result {
            Ok(module) => Some(module),
            Err(e) => {
                errors.push(ParseError { range: range(e.span()), message: e.kind().msg().into_owned(), kind: ParseErrorKind::Syntax });
                None
            }
        };
        (module, errors, collect_comments(comments))
    }));
    let Ok((module, errors, comments)) = parsed else {
        let message = "the parser failed on this file (an internal error of swc)".to_string();
        return ParsedFile {
            module: None,
            errors: vec![ParseError { range: TextRange::empty(0), message, kind: ParseErrorKind::Syntax }],
            comments: Vec::new(),
            line_index,
        };
    };
    ParsedFile { module, errors, comments, line_index }
}

fn collect_comments(comments: SingleThreadedComments) -> Vec<Comment> {
    let (leading, trailing) = comments.take_all();
    let mut all: Vec<Comment> = Vec::new();
    for map in [leading, trailing] {
        for list in map.borrow().values() {
            all.extend(list.iter().map(|c| Comment { range: range(c.span), text: c.text.to_string() }));
        }
    }
    all.sort_by_key(|c| c.range.start);
    all.dedup();
    all
}

/// Whether `code` holds `name` as a whole name (or a whole expression such as `args.email`): not
/// part of a longer identifier, and not a property of something else (`x.name`).
pub fn mentions_name(code: &str, name: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    !name.is_empty()
        && code.match_indices(name).any(|(i, _)| {
            let before = code[..i].chars().next_back();
            let after = code[i + name.len()..].chars().next();
            !before.is_some_and(|c| ident(c) || c == '.') && !after.is_some_and(ident)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typescript_and_collects_comments() {
        let text = "// hello\nconst a: number = 1; /* b */\n";
        let parsed = parse("convex/a.ts", text);
        assert!(parsed.module.is_some());
        assert!(parsed.errors.is_empty());
        let texts: Vec<_> = parsed.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, vec![" hello", " b "]);
        assert_eq!(&text[parsed.comments[0].range.as_usize_range()], "// hello");
    }

    #[test]
    fn reports_errors_as_values() {
        let parsed = parse("convex/a.ts", "export const = ;");
        assert!(!parsed.errors.is_empty());
        let parsed = parse("convex/a.ts", "const a = (");
        assert!(parsed.module.is_none());
        assert_eq!(parsed.errors.len(), 1);
    }

    #[test]
    fn javascript_with_jsx_parses() {
        let parsed = parse("convex/a.jsx", "export const a = <div/>;");
        assert!(parsed.module.is_some(), "{:?}", parsed.errors);
    }

    fn on_parsing_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let handle = std::thread::Builder::new().stack_size(crate::STACK_SIZE).spawn(f).expect("thread");
        handle.join().expect("no overflow")
    }

    /// Within the nesting limit, parsing and modelling fit the parsing threads' stack
    /// ([`crate::STACK_SIZE`]); beyond it (~100,000 nested `(` or `() =>` overflowed it, and
    /// killed `check` and the language server) the file is not parsed and says which limit.
    #[test]
    fn deep_nesting_is_parsed_within_the_limit_and_refused_beyond() {
        let within = format!("const a = {}1{};", "[".repeat(990), "]".repeat(990));
        assert!(on_parsing_thread(move || crate::model::FileModel::build("convex/a.ts", &within).parsed));
        for text in
            [format!("const a = {}1{};", "(".repeat(100_000), ")".repeat(100_000)), format!("const a = {}1;", "() => ".repeat(100_000))]
        {
            let errors = on_parsing_thread(move || crate::model::FileModel::build("convex/a.ts", &text).errors);
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].message, "nesting deeper than 1,000 levels: the file is not analysed");
            assert_eq!(errors[0].kind, ParseErrorKind::Limit);
        }
    }

    /// ~8,000 nested `<a>` type assertions took swc ~40 s (it parses each twice); refused at once.
    #[test]
    fn nested_type_assertions_take_linear_time() {
        let text = format!("const a = {}x;", "<a>".repeat(8_000));
        let started = std::time::Instant::now();
        let parsed = on_parsing_thread(move || parse("convex/a.ts", &text));
        assert!(parsed.module.is_none());
        assert!(parsed.errors[0].message.starts_with("parsing would take more than 10,000,000 steps"), "{:?}", parsed.errors);
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    }
}
