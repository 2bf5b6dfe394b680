//! Where a module specifier leads, beyond relative paths: the `paths` aliases and `baseUrl` of the
//! project's `tsconfig.json`, and the packages of its workspace (package.json `workspaces`,
//! pnpm-workspace.yaml), as monorepos import their schema and validator modules. Pure data: the
//! loader reads the config files and hands the map in; paths are relative to the project root,
//! `/`-separated, and may lead out of it (`../packages/shared/index.ts`).

/// The non-relative specifiers a project can resolve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleMap {
    /// `compilerOptions.paths`: a pattern (at most one `*`) and its targets (the `*` filled in),
    /// the targets relative to the project root.
    pub paths: Vec<(String, Vec<String>)>,
    /// `compilerOptions.baseUrl`, relative to the project root.
    pub base_url: Option<String>,
    /// Workspace packages: name, folder (relative to the project root), entry file in it (from
    /// `types`/`module`/`main`, when given).
    pub packages: Vec<Package>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub dir: String,
    pub entry: Option<String>,
}

impl ModuleMap {
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.base_url.is_none() && self.packages.is_empty()
    }

    /// The paths (without extension resolution) a non-relative `spec` may name, in the order
    /// TypeScript tries them: `paths` (the longest matching prefix first), workspace packages, then
    /// `baseUrl`.
    pub fn candidates(&self, spec: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut matches: Vec<(usize, &Vec<String>, String)> = self
            .paths
            .iter()
            .filter_map(|(pattern, targets)| match pattern.split_once('*') {
                Some((prefix, suffix)) => {
                    let rest = spec.strip_prefix(prefix)?.strip_suffix(suffix)?;
                    Some((prefix.len(), targets, rest.to_string()))
                }
                None => (pattern == spec).then(|| (pattern.len(), targets, String::new())),
            })
            .collect();
        matches.sort_by_key(|m| std::cmp::Reverse(m.0));
        for (_, targets, star) in matches {
            out.extend(targets.iter().map(|t| normalize(&t.replacen('*', &star, 1))));
        }
        for package in &self.packages {
            if spec == package.name {
                if let Some(entry) = &package.entry {
                    out.push(normalize(&format!("{}/{entry}", package.dir)));
                }
                for guess in ["src/index", "index"] {
                    out.push(normalize(&format!("{}/{guess}", package.dir)));
                }
            } else if let Some(sub) = spec.strip_prefix(&format!("{}/", package.name)) {
                out.push(normalize(&format!("{}/{sub}", package.dir)));
                out.push(normalize(&format!("{}/src/{sub}", package.dir)));
            }
        }
        if let Some(base) = &self.base_url {
            out.push(normalize(&format!("{base}/{spec}")));
        }
        out.dedup();
        out
    }
}

/// What a tsconfig contributes: its `baseUrl`, its `paths`, the file it extends.
pub type Tsconfig = (Option<String>, Vec<(String, Vec<String>)>, Option<String>);

/// What a `tsconfig.json` says (its text, JSON with comments and trailing commas): `baseUrl`
/// and `paths` (relative to `dir`, the tsconfig's folder relative to the project root), and the
/// file it `extends` (relative to `dir`; packages left out). `None` when it does not parse.
pub fn read_tsconfig(text: &str, dir: &str) -> Option<Tsconfig> {
    let value: serde_json::Value = serde_json::from_str(&strip_jsonc(text)).ok()?;
    let options = value.get("compilerOptions");
    let base_url = options.and_then(|o| o.get("baseUrl")).and_then(|b| b.as_str()).map(|b| normalize(&format!("{dir}/{b}")));
    // `paths` targets are relative to baseUrl when there is one, else to the tsconfig itself.
    let targets_from = base_url.clone().unwrap_or_else(|| normalize(dir));
    let paths = options
        .and_then(|o| o.get("paths"))
        .and_then(|p| p.as_object())
        .map(|paths| {
            paths
                .iter()
                .map(|(pattern, targets)| {
                    let targets = targets
                        .as_array()
                        .map(|t| t.iter().filter_map(|x| x.as_str()).map(|x| normalize(&format!("{targets_from}/{x}"))).collect())
                        .unwrap_or_default();
                    (pattern.clone(), targets)
                })
                .collect()
        })
        .unwrap_or_default();
    let extends = value
        .get("extends")
        .and_then(|e| e.as_str())
        .filter(|e| e.starts_with("./") || e.starts_with("../"))
        .map(|e| normalize(&format!("{dir}/{e}")));
    Some((base_url, paths, extends))
}

/// JSON with comments (`//`, `/* */`) and trailing commas, as tsconfig files are written, made
/// plain JSON; strings are left as they are.
pub fn strip_jsonc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for n in chars.by_ref() {
                    if last == '*' && n == '/' {
                        break;
                    }
                    last = n;
                }
            }
            _ => out.push(c),
        }
    }
    // Trailing commas: `,` followed (after white space) by `}` or `]`.
    let mut cleaned = String::with_capacity(out.len());
    let chars: Vec<char> = out.chars().collect();
    let mut in_string = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            cleaned.push(c);
            if c == '\\' && i + 1 < chars.len() {
                cleaned.push(chars[i + 1]);
                i += 1;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            cleaned.push(c);
        } else if c == ',' && chars[i + 1..].iter().find(|n| !n.is_whitespace()).is_some_and(|n| *n == '}' || *n == ']') {
            // dropped
        } else {
            cleaned.push(c);
        }
        i += 1;
    }
    cleaned
}

/// `a/./b/../c` → `a/c`; `..` beyond the start is kept (`../x`).
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// The file a module path names, trying what TypeScript's resolver tries: the path itself, with
/// each source extension (a `.js` specifier standing for its `.ts`), and `index` in a folder.
pub fn with_extensions(base: &str) -> Vec<String> {
    let stem = ["js", "jsx", "mjs", "cjs"].iter().find_map(|ext| base.strip_suffix(&format!(".{ext}"))).unwrap_or(base);
    let exts = ["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];
    std::iter::once(base.to_string())
        .chain(exts.iter().map(|e| format!("{stem}.{e}")))
        .chain(exts.iter().map(|e| format!("{base}/index.{e}")))
        .collect()
}

/// `spec` imported from the file at `from`: the relative path joined to the file's folder.
pub fn join_relative(from: &str, spec: &str) -> String {
    let dir = from.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    normalize(&format!("{dir}/{spec}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_typescript() {
        let map = ModuleMap {
            paths: vec![("@/*".into(), vec!["./*".into()]), ("@repo/backend/*".into(), vec!["../backend/*".into()])],
            base_url: Some(".".into()),
            packages: vec![Package { name: "@acme/shared".into(), dir: "../packages/shared".into(), entry: Some("index.ts".into()) }],
        };
        assert_eq!(map.candidates("@/convex/validators")[0], "convex/validators");
        assert_eq!(map.candidates("@repo/backend/convex/x")[0], "../backend/convex/x");
        assert_eq!(map.candidates("@acme/shared")[0], "../packages/shared/index.ts");
        assert_eq!(map.candidates("@acme/shared/fields")[0], "../packages/shared/fields");
        assert_eq!(map.candidates("lib/x"), ["lib/x"]);
        assert_eq!(normalize("convex/../../packages/./a"), "../packages/a");
        assert_eq!(join_relative("convex/schema.ts", "../shared/v"), "shared/v");
        let (base, paths, extends) = read_tsconfig(
            "{\n  // comment\n  \"extends\": \"../../tsconfig.base.json\",\n  \"compilerOptions\": { /* x */ \"baseUrl\": \".\", \"paths\": { \"@/*\": [\"./src/*\",], }, },\n}",
            "apps/web",
        )
        .unwrap();
        assert_eq!(base.as_deref(), Some("apps/web"));
        assert_eq!(paths, [("@/*".to_string(), vec!["apps/web/src/*".to_string()])]);
        assert_eq!(extends.as_deref(), Some("tsconfig.base.json"));
        assert_eq!(strip_jsonc("{\"a\": \"//not a comment\", }"), "{\"a\": \"//not a comment\" }");
    }
}
