//! The real binary as an editor runs it: `convex-migrate lsp` as a child process on stdio. A
//! client that never answers the server's requests, `exit` and the end of stdin while work is in
//! flight, malformed frames, hostile files, and a private folder for the rule docs.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{git, lsp::uri, stand_in_npx, write};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_convex-migrate");

/// A client on the server's stdio that answers nothing the server asks.
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: mpsc::Receiver<Value>,
    seen: Vec<Value>,
    next_id: i64,
}

/// Reads frames from the server's stdout (its own `Content-Length` framing) until it closes.
fn read_frames(mut out: impl Read, tx: mpsc::Sender<Value>) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let header = String::from_utf8_lossy(&buf[..end]).to_string();
            let length: usize = header
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|v| v.trim().parse().ok())
                .expect("the server's frames have a Content-Length");
            if buf.len() < end + 4 + length {
                break;
            }
            let body: Value = serde_json::from_slice(&buf[end + 4..end + 4 + length]).expect("the server writes JSON");
            buf.drain(..end + 4 + length);
            if tx.send(body).is_err() {
                return;
            }
        }
        match out.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

impl Client {
    fn start(cwd: &Path) -> Client {
        let mut child = Command::new(BIN)
            .arg("lsp")
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || read_frames(stdout, tx));
        let stdin = child.stdin.take();
        Client { child, stdin, messages, seen: Vec::new(), next_id: 0 }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Waits for a message that satisfies `check`.
    fn wait(&mut self, what: &str, timeout: Duration, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(m) = self.seen.iter().find(|m| check(m)) {
                return m.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(m) => self.seen.push(m),
                Err(_) => panic!("no {what} within {timeout:?}; seen: {:#?}", self.seen),
            }
        }
    }

    /// Takes what has arrived so far.
    fn drain(&mut self) {
        while let Ok(m) = self.messages.try_recv() {
            self.seen.push(m);
        }
    }

    fn response(&mut self, id: i64) -> Value {
        self.wait(&format!("response {id}"), Duration::from_secs(60), |m| m["id"] == id && m.get("method").is_none())
    }

    fn initialize(&mut self, root: &Path, capabilities: Value) {
        let id =
            self.request("initialize", json!({ "capabilities": capabilities, "workspaceFolders": [{ "uri": uri(root), "name": "w" }] }));
        self.response(id);
        self.notify("initialized", json!({}));
    }

    /// How long the process takes to end from now, at most `limit` (then it is killed).
    fn exits_within(&mut self, limit: Duration) -> Option<(ExitStatus, Duration)> {
        let started = Instant::now();
        while started.elapsed() < limit * 3 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some((status, started.elapsed()));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const BASE_SCHEMA: &str = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\n\nexport default defineSchema({\n  users: defineTable({\n    name: v.string(),\n    role: v.optional(v.string()),\n  }),\n});\n";
const WORKING_SCHEMA: &str = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\n\nexport default defineSchema({\n  users: defineTable({\n    name: v.string(),\n    role: v.string(),\n  }),\n});\n";

/// A repository whose HEAD has `role` optional and whose working tree makes it required; with
/// `files` more function modules (for an analysis that takes a while).
fn repo(files: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    git(&root, &["init", "-q"]);
    write(&root, "convex/schema.ts", BASE_SCHEMA);
    for i in 0..files {
        let mut text = String::from("import { mutation, query } from \"./_generated/server\";\nimport { v } from \"convex/values\";\n");
        for j in 0..20 {
            text.push_str(&format!(
                "export const set{j} = mutation({{\n  args: {{ id: v.id(\"users\"), name: v.string() }},\n  handler: async (ctx, args) => {{\n    const user = await ctx.db.get(args.id);\n    if (!user) return null;\n    await ctx.db.patch(args.id, {{ name: args.name + \"{i}\" }});\n    return await ctx.db.query(\"users\").take(10);\n  }},\n}});\n"
            ));
        }
        write(&root, &format!("convex/m{i}.ts"), &text);
    }
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "base"]);
    write(&root, "convex/schema.ts", WORKING_SCHEMA);
    (dir, root)
}

const WATCHERS: &str = r#"{ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } }"#;

/// A client that ignores `client/registerCapability`: `shutdown` is answered and `exit` ends the
/// process within a second (before, the server waited for that answer forever and never exited).
#[test]
fn exit_ends_the_server_within_a_second_when_the_client_ignores_its_requests() {
    let (_dir, root) = repo(0);
    let mut client = Client::start(&root);
    client.initialize(&root, serde_json::from_str(WATCHERS).unwrap());
    client.wait("registerCapability", Duration::from_secs(20), |m| m["method"] == "client/registerCapability");
    let id = client.request("shutdown", Value::Null);
    client.response(id);
    client.notify("exit", Value::Null);
    let (status, took) = client.exits_within(Duration::from_secs(1)).expect("the server exits");
    println!("exit after shutdown, registerCapability unanswered: {took:?}");
    assert!(took < Duration::from_secs(1), "exit took {took:?}");
    assert_eq!(status.code(), Some(0));
}

/// The end of stdin ends the server too, within a second, with the same unanswered request.
#[test]
fn end_of_stdin_ends_the_server_within_a_second() {
    let (_dir, root) = repo(0);
    let mut client = Client::start(&root);
    client.initialize(&root, serde_json::from_str(WATCHERS).unwrap());
    client.wait("registerCapability", Duration::from_secs(20), |m| m["method"] == "client/registerCapability");
    client.stdin = None;
    let (_, took) = client.exits_within(Duration::from_secs(1)).expect("the server exits");
    println!("end of stdin, registerCapability unanswered: {took:?}");
    assert!(took < Duration::from_secs(1), "EOF took {took:?}");
}

/// `exit` (and EOF) while a big project is being loaded and analysed: the process ends within
/// a second all the same; the analysis thread is cancelled (before, `exit` waited ~10 s).
#[test]
fn exit_and_eof_cancel_an_analysis_in_flight() {
    let (_dir, root) = repo(400);
    for eof in [false, true] {
        let mut client = Client::start(&root);
        client.initialize(&root, json!({}));
        // The load and the analysis of 8,000 functions take seconds; stop in the middle.
        std::thread::sleep(Duration::from_millis(300));
        client.drain();
        assert!(!client.seen.iter().any(|m| m["method"] == "textDocument/publishDiagnostics"), "the analysis was over already");
        if eof {
            client.stdin = None;
        } else {
            client.notify("exit", Value::Null);
        }
        let (status, took) = client.exits_within(Duration::from_secs(1)).expect("the server exits");
        println!("{} during the load of 400 modules: {took:?}", if eof { "end of stdin" } else { "exit" });
        assert!(took < Duration::from_secs(1), "eof {eof}: took {took:?}");
        if !eof {
            // `exit` without `shutdown`: code 1, as LSP asks.
            assert_eq!(status.code(), Some(1));
        }
    }
}

/// Malformed frames are answered with a JSON-RPC parse error and the connection goes on (before,
/// the first one ended it).
#[test]
fn malformed_frames_get_a_parse_error_and_the_connection_continues() {
    let (_dir, root) = repo(0);
    let mut client = Client::start(&root);
    let malformed: [&[u8]; 5] = [
        b"Content-Length: abc\r\n\r\n{}",
        b"Content-Length: 9\r\n\r\n{\"jsonrpc",
        b"this is not a frame\r\n",
        b"Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc\r\n\r\n[]",
        b"Content-Length: 60\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"$/x\"}",
    ];
    for bytes in malformed {
        client.send_raw(bytes);
    }
    client.initialize(&root, json!({}));
    // The answers came before the response to `initialize`, sent after them.
    let errors: Vec<Value> = client.seen.iter().take_while(|m| m["id"] != 1).cloned().collect();
    assert_eq!(errors.len(), malformed.len(), "{:#?}", client.seen);
    for e in &errors {
        assert_eq!(e["id"], Value::Null, "{e}");
        assert!(e["error"]["code"] == -32700 || e["error"]["code"] == -32600, "{e}");
    }
    // Still serving: diagnostics for the schema, then a clean shutdown.
    client.wait("diagnostics", Duration::from_secs(30), |m| m["method"] == "textDocument/publishDiagnostics");
    let id = client.request("shutdown", Value::Null);
    client.response(id);
    client.notify("exit", Value::Null);
    assert_eq!(client.exits_within(Duration::from_secs(1)).map(|(s, _)| s.code()), Some(Some(0)));
}

/// An open buffer nested 100,000 deep: the server does not overflow; the file gets a parse-error
/// naming the limit, and the schema is still analysed.
#[test]
fn a_hostile_buffer_gets_a_parse_error_and_the_rest_is_analysed() {
    let (_dir, root) = repo(0);
    let mut client = Client::start(&root);
    client.initialize(&root, json!({}));
    let path = root.join("convex/deep.ts");
    let text = format!("export const a = {}1{};\n", "(".repeat(100_000), ")".repeat(100_000));
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri(&path), "languageId": "typescript", "version": 1, "text": text } }),
    );
    let deep_uri = uri(&path);
    let deep = client.wait("the deep file's diagnostics", Duration::from_secs(60), |m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == deep_uri.as_str()
    });
    let d = &deep["params"]["diagnostics"][0];
    assert_eq!(d["code"], "parse-error");
    assert!(d["message"].as_str().unwrap().starts_with("nesting deeper than 1,000 levels: the file is not analysed"), "{d}");
    let schema_uri = uri(&root.join("convex/schema.ts"));
    client.wait("the schema's diagnostics", Duration::from_secs(60), |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == schema_uri.as_str()
            && m["params"]["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["code"] == "required-without-backfill"))
    });
    assert!(client.child.try_wait().unwrap().is_none(), "the server is still running");
}

/// A client that ignores `client/registerCapability` still gets its diagnostics: the
/// registration waits on a task of its own (before, `initialized` awaited the answer before
/// scheduling the first analysis, so none came).
#[test]
fn an_unanswered_registration_holds_nothing_up() {
    let (_dir, root) = repo(0);
    let mut client = Client::start(&root);
    client.initialize(&root, serde_json::from_str(WATCHERS).unwrap());
    client.wait("registerCapability", Duration::from_secs(20), |m| m["method"] == "client/registerCapability");
    let schema_uri = uri(&root.join("convex/schema.ts"));
    client.wait("diagnostics", Duration::from_secs(30), |m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == schema_uri.as_str()
    });
}

/// A run whose progress request the client never answers still runs, and its command is
/// answered (after the server stops waiting, 10 s); before, it waited forever.
#[test]
fn an_unanswered_progress_request_times_out() {
    let (dir, root) = repo(0);
    let (npx, log) = stand_in_npx(dir.path(), "{}", 0);
    let mut client = Client::start(&root);
    let id = client.request(
        "initialize",
        json!({
            "capabilities": { "window": { "workDoneProgress": true } },
            "workspaceFolders": [{ "uri": uri(&root), "name": "w" }],
            "initializationOptions": { "npxPath": npx },
        }),
    );
    client.response(id);
    client.notify("initialized", json!({}));
    client.wait("diagnostics", Duration::from_secs(30), |m| m["method"] == "textDocument/publishDiagnostics");
    let started = Instant::now();
    let id = client.request(
        "workspace/executeCommand",
        json!({ "command": "convex-migrate.run", "arguments": [{ "root": root, "function": "migrations:backfill" }] }),
    );
    client.wait("the progress request", Duration::from_secs(10), |m| m["method"] == "window/workDoneProgress/create");
    let answer = client.wait("the command's answer", Duration::from_secs(30), |m| m["id"] == id && m.get("method").is_none());
    assert_eq!(answer["result"]["success"], true, "{answer}");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    assert!(std::fs::read_to_string(log).unwrap().contains("convex run migrations:backfill"));
}

/// The rule docs go to a private folder: a symlink planted at the old, predictable path in the
/// shared temporary directory is not followed (before, the server wrote through it).
#[cfg(unix)]
#[test]
fn rule_docs_are_written_to_a_private_folder_and_no_planted_symlink_is_followed() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, root) = repo(0);
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let old = std::env::temp_dir().join(format!("convex-migrate-{}", env!("CARGO_PKG_VERSION"))).join("rules");
    std::fs::create_dir_all(&old).unwrap();
    let planted = old.join("required-without-backfill.md");
    let _ = std::fs::remove_file(&planted);
    std::os::unix::fs::symlink(&victim, &planted).unwrap();

    let mut client = Client::start(&root);
    client.initialize(&root, json!({}));
    let schema_uri = uri(&root.join("convex/schema.ts"));
    let published = client.wait("diagnostics", Duration::from_secs(30), |m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == schema_uri.as_str()
    });
    let _ = std::fs::remove_file(&planted);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let href = published["params"]["diagnostics"][0]["codeDescription"]["href"].as_str().expect("a documentation link").to_string();
    let doc: PathBuf = href.strip_prefix("file://").expect("a file URI").into();
    assert!(!doc.starts_with(&old), "{href}");
    assert!(std::fs::read_to_string(&doc).unwrap().starts_with("# required-without-backfill (error)"));
    let folder = doc.parent().unwrap();
    assert_eq!(std::fs::metadata(folder).unwrap().permissions().mode() & 0o777, 0o700);
    // The folder goes with the server.
    let id = client.request("shutdown", Value::Null);
    client.response(id);
    client.notify("exit", Value::Null);
    client.exits_within(Duration::from_secs(1)).expect("the server exits");
    assert!(!folder.exists(), "{} is left behind", folder.display());
}
