//! `convex-migrate mcp`: a Model Context Protocol server on stdio (rmcp, the official Rust SDK),
//! for agents. Its tools are `check`, `plan` and `explain`, run through the command line's own
//! code paths and answering with the same JSON as `--format json`. What a tool found is a
//! successful result whatever it says; input it cannot use (not a project, an unknown rule, a bad
//! change) is a result with `isError`, and the server goes on serving.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rmcp::handler::server::common::schema_for_type;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, JsonObject, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::cli::{check, explain, plan, BaseArgs, DataArgs, Format, EXIT_ERROR, EXIT_OK};

/// Where the baseline comes from, as each tool takes it (the flags of `check`).
#[derive(Deserialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
struct Base {
    /// The git revision that is deployed (branch, tag, sha, `HEAD~1`). Default: the config's
    /// `base`, else the merge-base with the upstream branch, else `HEAD`.
    base: Option<String>,
    /// Take the baseline from a folder (a copy of the deployed project) instead of git; a relative
    /// path starts where `path` does.
    base_dir: Option<String>,
    /// Compare with nothing: only the rules that need no baseline run.
    #[serde(default)]
    no_base: bool,
    /// The deployment whose verifications count (`prod`, `dev`, a deployment name). Default: `prod`.
    deployment: Option<String>,
    /// A snapshot export (`npx convex export --path FILE.zip`): count the documents each change
    /// breaks. A relative path starts where `path` does.
    snapshot: Option<String>,
    /// How many sample `_id`s to keep per count (with `snapshot`). Default: 5.
    samples: Option<usize>,
}

impl Base {
    /// The command line's flags, with clap's conflicts checked here; relative paths start where
    /// `path` does.
    fn args(&self, root: Option<&Path>) -> Result<(BaseArgs, DataArgs), String> {
        let given = [("base", self.base.is_some()), ("baseDir", self.base_dir.is_some()), ("noBase", self.no_base)];
        let chosen: Vec<&str> = given.iter().filter(|(_, set)| *set).map(|(name, _)| *name).collect();
        if chosen.len() > 1 {
            return Err(format!("give at most one of base, baseDir and noBase, not {}", chosen.join(" and ")));
        }
        if self.samples.is_some() && self.snapshot.is_none() {
            return Err("samples needs snapshot".into());
        }
        let base = BaseArgs {
            base: self.base.clone(),
            base_dir: self.base_dir.as_ref().map(|dir| resolve(dir, root)),
            no_base: self.no_base,
            deployment: self.deployment.clone().unwrap_or_else(|| crate::analysis::DEFAULT_DEPLOYMENT.to_string()),
        };
        let data = DataArgs {
            snapshot: self.snapshot.as_ref().map(|file| resolve(file, root)),
            samples: self.samples.unwrap_or(crate::analysis::data::DEFAULT_SAMPLES),
        };
        Ok((base, data))
    }
}

/// `check`: compare the project with what is deployed and report unsafe schema changes.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct CheckInput {
    /// The project root (holding convex.json or convex/): absolute, or relative to the client's
    /// first workspace root (the server's working folder when the client names no roots). Default:
    /// that root or folder.
    path: Option<String>,
    #[serde(flatten)]
    base: Base,
}

/// `plan`: the ordered steps of a migration; `apply` takes the next step when it is an edit.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct PlanInput {
    /// The project root: absolute, or relative to the client's first workspace root (the server's
    /// working folder when the client names no roots). Default: that root or folder.
    path: Option<String>,
    /// The change: `require`, `remove`, `narrow`, `rename`, `retype` or `split`. None: every change
    /// between the base and the working tree.
    change: Option<String>,
    /// The field, as `table.field` (needed with `change`).
    field: Option<String>,
    /// `require`: the value written by the backfill, the inserts and the dual-writes (a TypeScript
    /// expression; `doc.x` reads the document).
    default: Option<String>,
    /// `rename`: the new name; `retype`: the new validator (`v.number()`).
    to: Option<String>,
    /// `retype`: the new field's name (default: the field's name + `V2`).
    #[serde(rename = "as")]
    as_field: Option<String>,
    /// `split`: a new table, or new fields as `a,b` (each with a `with` entry).
    into: Option<String>,
    /// `narrow`: what each removed value becomes, as `OLD=NEW`.
    #[serde(default)]
    map: Vec<String>,
    /// `split` into fields: how each new field is derived from `doc`, as `FIELD=EXPR`.
    #[serde(default)]
    with: Vec<String>,
    /// Apply the next step's edit to the files (all or none; refused if a file changed since it was
    /// read). Default false: the plan is only described.
    #[serde(default)]
    apply: bool,
    #[serde(flatten)]
    base: Base,
}

/// `explain`: a rule's documentation.
#[derive(Deserialize, JsonSchema)]
struct ExplainInput {
    /// The rule's id (`required-without-backfill`). None: every rule, with its default severity and summary.
    rule: Option<String>,
}

/// The tools, with their input schemas.
fn tools() -> Vec<Tool> {
    let object = |value: Value| match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    };
    let diagnostic = json!({
        "type": "object",
        "required": ["path", "line", "column", "endLine", "endColumn", "severity", "rule", "message"],
    });
    vec![
        Tool::new(
            "check",
            "Compare a Convex project's working tree with what is deployed (a git base, or a folder) and report the schema \
             changes the next push will reject, and the next safe step (widen → migrate → narrow). The result is the JSON of \
             `convex-migrate check --format json`: `diagnostics` with path, line, column, severity, rule and message. \
             Findings are a successful result, whatever they say.",
            schema::<CheckInput>(),
        )
        .with_title("Check schema changes")
        .with_raw_output_schema(object(json!({
            "type": "object",
            "required": ["version", "diagnostics"],
            "properties": { "diagnostics": { "type": "array", "items": diagnostic } },
        })))
        .with_annotations(ToolAnnotations::new().read_only(true).open_world(false)),
        Tool::new(
            "plan",
            "Plan a schema migration: the ordered steps over its deploys (edit, deploy, run, verify, cleanup), each marked done \
             only on evidence, as `convex-migrate plan --format json`. Without `change`, every change between the base and the \
             working tree. Describes only, unless `apply` is true: then it applies the next step when that step is an edit \
             (`applied`), or says why not (`applied: null`, `reason`).",
            schema::<PlanInput>(),
        )
        .with_title("Plan a migration")
        .with_raw_output_schema(object(json!({ "type": "object", "required": ["version"] })))
        .with_annotations(ToolAnnotations::new().read_only(false).destructive(false).idempotent(false).open_world(false)),
        Tool::new(
            "explain",
            "A convex-migrate rule's documentation (what it does, why it matters, an example, the fix), as \
             `convex-migrate explain RULE`; without a rule, the list of rules.",
            schema::<ExplainInput>(),
        )
        .with_title("Explain a rule")
        .with_raw_output_schema(object(json!({ "type": "object" })))
        .with_annotations(ToolAnnotations::new().read_only(true).open_world(false)),
    ]
}

/// A tool's input schema, closed: an argument it does not name is a mistake to report (serde's
/// `deny_unknown_fields` does not work with `flatten`).
fn schema<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    let mut schema = (*schema_for_type::<T>()).clone();
    schema.insert("additionalProperties".into(), Value::Bool(false));
    Arc::new(schema)
}

/// A tool's input as its type; what does not fit (an unknown argument, a wrong type) is the
/// caller's error.
fn input<T: serde::de::DeserializeOwned + JsonSchema + 'static>(tool: &str, arguments: JsonObject) -> Result<T, String> {
    let schema = schema_for_type::<T>();
    let known = schema.get("properties").and_then(Value::as_object);
    let unknown: Vec<&str> = arguments.keys().map(String::as_str).filter(|k| !known.is_some_and(|p| p.contains_key(*k))).collect();
    if !unknown.is_empty() {
        let names = known.map(|p| p.keys().map(String::as_str).collect::<Vec<_>>().join(", ")).unwrap_or_default();
        return Err(format!("`{tool}` takes no argument `{}` (it takes: {names})", unknown.join("`, `")));
    }
    serde_json::from_value(Value::Object(arguments)).map_err(|e| format!("invalid arguments for `{tool}`: {e}"))
}

fn failed(message: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!("error: {message}"))])
}

/// A successful result: the JSON as structured content and as text, then any notes.
fn structured(value: Value, notes: &[String]) -> CallToolResult {
    let mut result = CallToolResult::structured(value);
    if !notes.is_empty() {
        let notes: Vec<String> = notes.iter().map(|n| format!("note: {n}")).collect();
        result.content.push(ContentBlock::text(notes.join("\n")));
    }
    result
}

/// A path a call names: a relative one starts at the client's first root, else at the server's
/// working folder.
fn resolve(path: &str, root: Option<&Path>) -> PathBuf {
    match root {
        Some(root) if Path::new(path).is_relative() => root.join(path),
        _ => PathBuf::from(path),
    }
}

/// The project a call names: its `path`, else the client's first root, else the working folder.
fn project(path: Option<String>, root: Option<&Path>) -> PathBuf {
    match (path, root) {
        (Some(path), _) => resolve(&path, root),
        (None, Some(root)) => root.to_path_buf(),
        (None, None) => PathBuf::from("."),
    }
}

fn run_check(arguments: JsonObject, root: Option<&Path>) -> Result<CallToolResult, String> {
    let CheckInput { path, base } = input("check", arguments)?;
    let (base, data) = base.args(root)?;
    let args = check::Args {
        path: Some(project(path, root)),
        projects: Vec::new(),
        base,
        format: Format::Json,
        fix: false,
        data,
        color: crate::cli::color::ColorChoice::Never,
        max_warnings: None,
        quiet: false,
    };
    let (value, notes) = check::json(args)?;
    Ok(structured(value, &notes))
}

fn run_plan(arguments: JsonObject, root: Option<&Path>) -> Result<CallToolResult, String> {
    let PlanInput { path, change, field, default, to, as_field, into, map, with, apply, base } = input("plan", arguments)?;
    let (base, data) = base.args(root)?;
    let args = plan::Args {
        verb: change,
        target: field,
        default,
        to,
        as_field,
        into,
        map,
        with,
        project: project(path, root),
        base,
        format: plan::PlanFormat::Json,
        apply,
        data,
    };
    let (value, code) = plan::json(args)?;
    let notes = match (code, value.get("reason").and_then(Value::as_str)) {
        (plan::EXIT_NOTHING_TO_APPLY, Some(reason)) => vec![format!("nothing applied: {reason}")],
        _ => Vec::new(),
    };
    Ok(structured(value, &notes))
}

fn run_explain(arguments: JsonObject) -> Result<CallToolResult, String> {
    use crate::analysis::rules::Rule;
    let ExplainInput { rule } = input("explain", arguments)?;
    let text = explain::text(rule.as_deref())?;
    let value = match rule.as_deref().and_then(Rule::from_id) {
        Some(rule) => json!({
            "rule": rule.id(), "defaultSeverity": rule.default_severity().as_str(), "summary": rule.summary(), "doc": text,
        }),
        None => json!({ "rules": Rule::ALL.iter().map(|rule| json!({
            "rule": rule.id(), "defaultSeverity": rule.default_severity().as_str(), "summary": rule.summary(),
        })).collect::<Vec<_>>() }),
    };
    let mut result = CallToolResult::structured(value);
    // The doc reads better as itself than inside JSON.
    result.content = vec![ContentBlock::text(text)];
    Ok(result)
}

/// Runs one tool; `None`: no such tool. `root`: the client's first workspace root, if it said.
fn call(name: &str, arguments: JsonObject, root: Option<&Path>) -> Option<CallToolResult> {
    let result = match name {
        "check" => run_check(arguments, root),
        "plan" => run_plan(arguments, root),
        "explain" => run_explain(arguments),
        _ => return None,
    };
    Some(result.unwrap_or_else(|message| failed(&message)))
}

struct Server;

/// The client's first workspace root that is a local folder, when the client offers roots (editors
/// do: their servers may not start in the workspace). `None`: no roots, or no answer in time.
/// Roots are deprecated from protocol 2026-07-28 on (SEP-2577), but they are how the clients of
/// 2025-11-25 and before (VS Code, Cursor, the TypeScript SDK 1.x) name their workspace.
#[allow(deprecated)]
async fn client_root(context: &RequestContext<RoleServer>) -> Option<PathBuf> {
    context.peer.peer_info()?.capabilities.roots.as_ref()?;
    let listed = tokio::time::timeout(Duration::from_secs(5), context.peer.list_roots()).await.ok()?.ok()?;
    listed.roots.iter().find_map(|root| {
        let uri = root.uri.parse::<tower_lsp_server::ls_types::Uri>().ok()?;
        crate::lsp::convert::path_of(&uri)
    })
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("convex-migrate", env!("CARGO_PKG_VERSION"))
                    .with_title("convex-migrate: safe Convex schema migrations"),
            )
            .with_instructions(
                "Run `check` before and after editing convex/schema.ts: it compares the working tree with what is deployed and \
                 says which changes the push will reject. `plan` gives the safe path (widen → migrate → narrow) step by step; \
                 take edits with `apply: true`, and leave deploys, runs and verifications to the user's commands it lists. \
                 `explain` documents a rule.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools().into_iter().find(|tool| tool.name == name)
    }

    async fn call_tool(&self, request: CallToolRequestParams, context: RequestContext<RoleServer>) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        if self.get_tool(&name).is_none() {
            return Err(ErrorData::invalid_params(format!("unknown tool `{name}`: the tools are check, plan and explain"), None));
        }
        let arguments = request.arguments.unwrap_or_default();
        let root = if name == "explain" { None } else { client_root(&context).await };
        // On a blocking thread of the runtime (whose stacks are `STACK_SIZE`): a panic there is
        // this call's error, and the server goes on.
        let tool = name.clone();
        let result = match tokio::task::spawn_blocking(move || call(&tool, arguments, root.as_deref())).await {
            Ok(Some(result)) => result,
            Ok(None) => failed(&format!("unknown tool `{name}`")),
            Err(e) => failed(&format!("`{name}` failed inside convex-migrate ({e}); please report it")),
        };
        Ok(result.into())
    }
}

/// Serves MCP on stdin/stdout until the client closes stdin; returns the process exit code.
pub fn run_stdio() -> i32 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .thread_stack_size(crate::STACK_SIZE)
        .enable_all()
        .build();
    let Ok(runtime) = runtime else {
        eprintln!("error: cannot start the async runtime");
        return EXIT_ERROR;
    };
    let code = runtime.block_on(async {
        match Server.serve(rmcp::transport::stdio()).await {
            Ok(service) => match service.waiting().await {
                Ok(_) => EXIT_OK,
                Err(e) => {
                    eprintln!("error: the MCP server stopped: {e}");
                    EXIT_ERROR
                }
            },
            Err(e) => {
                eprintln!("error: the MCP session did not start: {e}");
                EXIT_ERROR
            }
        }
    });
    // A read of stdin cannot be cancelled: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(50));
    code
}
