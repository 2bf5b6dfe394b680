//! Where a project's Convex functions live, and which of its files Convex deploys as function
//! modules (the rule of the Convex CLI's bundler).

use serde::Deserialize;

/// The layout of one Convex project, relative to its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The functions folder, `/`-separated, without a trailing slash (default `convex`).
    pub functions_dir: String,
    /// Where non-relative imports lead (tsconfig `paths`/`baseUrl`, workspace packages).
    pub modules: crate::project::modules::ModuleMap,
}

impl Default for Layout {
    fn default() -> Self {
        Layout { functions_dir: "convex".into(), modules: Default::default() }
    }
}

#[derive(Deserialize)]
struct ConvexJson {
    functions: Option<String>,
}

impl Layout {
    /// The layout from `convex.json`'s text (`"functions": "src/convex/"`); a file that does not
    /// parse gives the default layout and the reason.
    pub fn from_convex_json(text: Option<&str>) -> (Layout, Option<String>) {
        let Some(text) = text else { return (Layout::default(), None) };
        match serde_json::from_str::<ConvexJson>(text) {
            Ok(ConvexJson { functions: Some(dir) }) => {
                if let Some(problem) = functions_outside(&dir) {
                    return (Layout::default(), Some(problem));
                }
                let dir = normalize_dir(&dir);
                {
                    (Layout { functions_dir: dir, ..Layout::default() }, None)
                }
            }
            Ok(ConvexJson { functions: None }) => (Layout::default(), None),
            Err(e) => (Layout::default(), Some(format!("convex.json does not parse ({e}); using the `convex/` folder"))),
        }
    }

    /// The path of `path` (relative to the project root) inside the functions folder.
    pub fn module_path<'a>(&self, path: &'a str) -> Option<&'a str> {
        path.strip_prefix(self.functions_dir.as_str())?.strip_prefix('/')
    }

    pub fn schema_paths(&self) -> [String; 2] {
        [format!("{}/schema.ts", self.functions_dir), format!("{}/schema.js", self.functions_dir)]
    }

    /// Whether a file of the functions folder should be read at all (sources skip the rest).
    /// Declaration files (`.d.ts`, `.d.mts`, `.d.cts`) are left out, as Convex's bundler leaves
    /// them: they hold types, never a validator or a function that runs.
    pub fn is_source(&self, path: &str) -> bool {
        let Some(module) = self.module_path(path) else { return false };
        let declaration = [".d.ts", ".d.mts", ".d.cts"].iter().any(|ext| module.ends_with(ext));
        crate::syntax::Language::from_path(module).is_some()
            && !declaration
            && !module.split('/').any(|c| c == "node_modules" || c == "_generated")
    }

    /// Whether Convex deploys `path` as a function module. `has_component_config(dir)` tells
    /// whether a folder (relative to the functions folder) holds its own `convex.config.ts`.
    pub fn is_function_module(&self, path: &str, has_component_config: &dyn Fn(&str) -> bool) -> bool {
        let Some(module) = self.module_path(path) else { return false };
        if !self.is_source(path) || module.contains(' ') {
            return false;
        }
        let components: Vec<&str> = module.split('/').collect();
        let Some((file, dirs)) = components.split_last() else { return false };
        if file.matches('.').count() > 1 || *file == "schema.ts" || *file == "schema.js" {
            return false;
        }
        if components.iter().any(|c| c.starts_with('.') || c.starts_with('#')) {
            return false;
        }
        // A folder (below the root) with its own convex.config.ts is a local component.
        (1..=dirs.len()).all(|n| !has_component_config(&dirs[..n].join("/")))
    }

    /// The name `npx convex run` takes for an export: `migrations:backfillUsersRole`.
    pub fn function_reference(&self, path: &str, export: &str) -> String {
        let module = self.module_path(path).unwrap_or(path);
        let module = module.rsplit_once('.').map(|(stem, _)| stem).unwrap_or(module);
        if export == "default" {
            module.to_string()
        } else {
            format!("{module}:{export}")
        }
    }
}

/// Why a `functions` path from `convex.json` is not a folder inside the project (absolute, a
/// drive or UNC path, climbing with `..`, empty), if it is not.
pub fn functions_outside(dir: &str) -> Option<String> {
    let raw = dir.trim();
    let normal = normalize_dir(raw);
    let absolute = raw.starts_with('/') || raw.starts_with('\\') || raw.as_bytes().get(1) == Some(&b':') || raw.starts_with('~');
    let climbs = normal.split(['/', '\\']).any(|c| c == "..");
    let why = if absolute {
        "an absolute path"
    } else if climbs {
        "a path that climbs out with `..`"
    } else if normal.is_empty() || normal == "." || raw.contains('\0') {
        "not a folder"
    } else {
        return None;
    };
    Some(format!(
        "convex.json: `functions` must be a folder inside the project, not `{raw}` ({why}): nothing outside the project is read or written"
    ))
}

/// Whether convex.json's text (if any) sets a `functions` folder outside the project: the
/// message, which the CLI gives as an error.
pub fn convex_json_outside(text: Option<&str>) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(text?).ok()?;
    functions_outside(json.get("functions")?.as_str()?)
}

fn normalize_dir(dir: &str) -> String {
    dir.trim().trim_start_matches("./").trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_functions_folder() {
        let (layout, err) = Layout::from_convex_json(Some(r#"{ "functions": "./src/convex/" }"#));
        assert_eq!(layout.functions_dir, "src/convex");
        assert!(err.is_none());
        let (layout, err) = Layout::from_convex_json(Some("{ nope"));
        assert_eq!(layout, Layout::default());
        assert!(err.unwrap().contains("convex.json"));
    }

    #[test]
    fn follows_convex_rule_for_modules() {
        let l = Layout::default();
        let none = |_: &str| false;
        assert!(l.is_function_module("convex/users.ts", &none));
        assert!(l.is_function_module("convex/admin/users.js", &none));
        for skipped in [
            "convex/users.test.ts",
            "convex/convex.config.ts",
            "convex/schema.ts",
            "convex/_generated/server.ts",
            "convex/.hidden.ts",
            "convex/#x.ts",
            "convex/with space.ts",
            "convex/types.d.ts",
            "convex/readme.md",
            "src/users.ts",
        ] {
            assert!(!l.is_function_module(skipped, &none), "{skipped}");
        }
        let component = |dir: &str| dir == "myComponent";
        assert!(!l.is_function_module("convex/myComponent/lib.ts", &component));
        assert!(l.is_function_module("convex/other/lib.ts", &component));
    }

    #[test]
    fn names_functions_like_the_cli() {
        let l = Layout::default();
        assert_eq!(l.function_reference("convex/migrations.ts", "backfill"), "migrations:backfill");
        assert_eq!(l.function_reference("convex/a/b.ts", "f"), "a/b:f");
        assert_eq!(l.function_reference("convex/http.ts", "default"), "http");
    }
}
