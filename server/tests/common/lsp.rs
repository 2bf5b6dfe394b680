//! An editor in process: drives the language server with real requests (ruff's and biome's habit)
//! and answers the server's own requests like an editor does.

use std::path::Path;
use std::time::Duration;

use convex_migrate::lsp::Backend;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tower::{Service, ServiceExt};
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::ls_types::Uri;
use tower_lsp_server::LspService;

pub fn uri(path: &Path) -> String {
    Uri::from_file_path(path).unwrap().to_string()
}

pub struct Client {
    service: LspService<Backend>,
    messages: mpsc::UnboundedReceiver<Value>,
    next_id: i64,
    /// Server → client messages seen so far.
    pub seen: Vec<Value>,
}

impl Client {
    pub fn start() -> Client {
        let (service, socket) = LspService::new(Backend::new);
        let (tx, messages) = mpsc::unbounded_channel();
        let (mut requests, mut responses) = socket.split();
        tokio::spawn(async move {
            while let Some(request) = requests.next().await {
                let value = serde_json::to_value(&request).unwrap();
                let (method, id, _) = request.into_parts();
                let _ = tx.send(value);
                if let Some(id) = id {
                    // Answer the server's requests (registerCapability, applyEdit, …) like an editor.
                    let result = if method == "workspace/applyEdit" { json!({ "applied": true }) } else { Value::Null };
                    let _ = responses.send(Response::from_ok(id, result)).await;
                }
            }
        });
        Client { service, messages, next_id: 1, seen: Vec::new() }
    }

    pub async fn request(&mut self, method: &'static str, params: Value) -> Value {
        self.try_request(method, params).await.expect("no error")
    }

    pub async fn try_request(&mut self, method: &'static str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let request = Request::build(method).params(params).id(self.next_id).finish();
        let response = self.service.ready().await.unwrap().call(request).await.unwrap().expect("a response");
        let (_, result) = response.into_parts();
        result.map_err(|e| e.message.to_string())
    }

    pub async fn notify(&mut self, method: &'static str, params: Value) {
        let request = Request::build(method).params(params).finish();
        let response = self.service.ready().await.unwrap().call(request).await.unwrap();
        assert!(response.is_none());
    }

    pub async fn initialize(&mut self, root: &Path, capabilities: Value) -> Value {
        let result = self
            .request("initialize", json!({ "capabilities": capabilities, "workspaceFolders": [{ "uri": uri(root), "name": "w" }] }))
            .await;
        self.notify("initialized", json!({})).await;
        result
    }

    /// Waits for a server → client message that satisfies `check` (notifications may arrive
    /// after the response to the request that caused them).
    pub async fn wait(&mut self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(m) = self.seen.iter().find(|m| check(m)) {
                return m.clone();
            }
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(remaining, self.messages.recv()).await {
                Ok(Some(m)) => self.seen.push(m),
                _ => panic!("no {what}; seen: {:#?}", self.seen),
            }
        }
    }

    /// Waits for a diagnostics publication for `uri` that satisfies `check`.
    pub async fn diagnostics(&mut self, uri: &str, check: impl Fn(&Value) -> bool) -> Value {
        let what = format!("matching diagnostics for {uri}");
        self.wait(&what, |m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri && check(&m["params"])).await
            ["params"]
            .clone()
    }

    pub fn drain(&mut self) {
        while let Ok(m) = self.messages.try_recv() {
            self.seen.push(m);
        }
    }
}

pub fn rules(params: &Value) -> Vec<String> {
    params["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap_or("").to_string()).collect()
}

/// Applies LSP text edits (UTF-16 positions, ASCII texts here) to a text.
pub fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |pos: &Value| {
        let line = pos["line"].as_u64().unwrap() as usize;
        let col = pos["character"].as_u64().unwrap() as usize;
        text.split_inclusive('\n').take(line).map(str::len).sum::<usize>() + col
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| (offset(&e["range"]["start"]), offset(&e["range"]["end"]), e["newText"].as_str().unwrap().to_string()))
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, t) in edits {
        out.replace_range(s..e, &t);
    }
    out
}
