//! Parsing one source file into an swc module, its comments and a line index.
//!
//! Parsing never fails: a file that does not parse yields `module: None` (or a module recovered
//! from minor errors) together with the errors as values, so the rest of the project is still
//! analysed.

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

/// Whether `path` is a declaration file (`types.d.ts`, `env.d.mts`, `x.d.cts`): parsed as
/// declarations (Convex's bundler never deploys one: its name has more than one dot).
fn is_declaration(path: &str) -> bool {
    [".d.ts", ".d.mts", ".d.cts"].iter().any(|ext| path.ends_with(ext))
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

    fn syntax(self, path: &str) -> Syntax {
        match self {
            Language::TypeScript => {
                Syntax::Typescript(TsSyntax { tsx: false, decorators: true, dts: is_declaration(path), ..Default::default() })
            }
            Language::Tsx => Syntax::Typescript(TsSyntax { tsx: true, decorators: true, ..Default::default() }),
            Language::JavaScript => Syntax::Es(EsSyntax { jsx: true, decorators: true, ..Default::default() }),
        }
    }
}

/// Parses `text` as the language its `path` names (TypeScript when the extension is unknown).
pub fn parse(path: &str, text: &str) -> ParsedFile {
    let line_index = LineIndex::new(text);
    let language = Language::from_path(path).unwrap_or(Language::TypeScript);
    // swc positions are u32; a file that does not fit is not source code.
    let Ok(len) = u32::try_from(text.len()) else {
        return ParsedFile {
            module: None,
            errors: vec![ParseError { range: TextRange::new(0, 0), message: "file is too large to analyse".into() }],
            comments: Vec::new(),
            line_index,
        };
    };
    let comments = SingleThreadedComments::default();
    let input = StringInput::new(text, BytePos(BASE), BytePos(BASE + len));
    let mut parser = Parser::new(language.syntax(path), input, Some(&comments as &dyn Comments));
    let result = parser.parse_module();
    let mut errors: Vec<ParseError> =
        parser.take_errors().into_iter().map(|e| ParseError { range: range(e.span()), message: e.kind().msg().into_owned() }).collect();
    let module = match result {
        Ok(module) => Some(module),
        Err(e) => {
            errors.push(ParseError { range: range(e.span()), message: e.kind().msg().into_owned() });
            None
        }
    };
    ParsedFile { module, errors, comments: collect_comments(comments), line_index }
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

    /// The binaries parse on threads with [`crate::STACK_SIZE`]; hostile nesting must fit in it.
    #[test]
    fn deep_nesting_does_not_overflow() {
        let text = format!("const a = {}1{};", "[".repeat(5000), "]".repeat(5000));
        let handle = std::thread::Builder::new()
            .stack_size(crate::STACK_SIZE)
            .spawn(move || crate::model::FileModel::build("convex/a.ts", &text).parsed)
            .expect("thread");
        assert!(handle.join().expect("no overflow"));
    }
}
