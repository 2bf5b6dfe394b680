//! The frames between the client and tower-lsp-server: every frame the client sends is checked
//! here before tower-lsp-server reads it, and a malformed one is answered here.
//!
//! tower-lsp-server 0.23 reads stdin through a `tokio_util` `FramedRead` with its own codec. On a
//! bad `Content-Length`, a body that is not JSON, or bytes that are not a frame, the codec returns
//! an error; the transport answers it with a parse error, and then the `FramedRead` ends the
//! stream (it yields `None` after any decoder error), so the server stops. Its codec also rejects
//! a `Content-Type` without `charset`, accepts at most two headers, and waits forever for a body
//! shorter than announced. None of it can be configured, so this layer sits between stdin and the
//! server: it answers each malformed frame with a JSON-RPC parse error (`-32700`, `id: null`; an
//! invalid request gets `-32600`), resynchronizes at the next `Content-Length`, and passes only
//! well-formed messages on, each re-framed with one `Content-Length` header. Its answers go out
//! through [`write_out`], which interleaves them with the server's output between whole frames.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Request, Response};

/// The longest header block accepted.
const MAX_HEADER: usize = 4 * 1024;
/// The largest body accepted (a document at the parser's size limit, escaped, fits many times).
pub const MAX_BODY: usize = 64 * 1024 * 1024;
/// How long a frame may stay incomplete with no byte arriving before it counts as malformed (a
/// body shorter than its `Content-Length`, with nothing after it).
pub const STALL: Duration = Duration::from_secs(2);

const HEADER_NAME: &[u8] = b"content-length";

/// What the next bytes of the input are.
#[derive(Debug, PartialEq, Eq)]
pub enum Unit {
    /// A well-formed message: its body, and whether it is the `exit` notification.
    Message { body: Vec<u8>, exit: bool },
    /// A malformed frame, or bytes that are not one: the answer to send.
    Malformed(Reply),
    /// Not enough bytes yet.
    NeedMore,
}

/// The error answer to a malformed frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: ErrorCode,
    pub reason: String,
    pub id: Id,
}

impl Reply {
    fn parse_error(reason: impl Into<String>) -> Reply {
        Reply { code: ErrorCode::ParseError, reason: reason.into(), id: Id::Null }
    }

    /// The frame to write: `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":…},"id":null}`.
    pub fn frame(&self) -> Vec<u8> {
        let error = Error { code: self.code, message: self.code.description().into(), data: Some(self.reason.clone().into()) };
        let body = serde_json::to_string(&Response::from_error(self.id.clone(), error)).unwrap_or_default();
        frame(body.as_bytes())
    }
}

/// `Content-Length: N\r\n\r\n` and the body.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Splits a byte stream into units: well-formed messages and malformed frames.
#[derive(Debug, Default)]
pub struct Deframer {
    buf: Vec<u8>,
    /// Skipping bytes that are not a frame, up to the next `Content-Length`.
    skipping: bool,
}

impl Deframer {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Nothing is pending (a read may wait as long as the client likes).
    pub fn is_idle(&self) -> bool {
        !self.skipping && self.buf.iter().all(|b| b.is_ascii_whitespace())
    }

    /// The next unit. `end`: no more bytes will come soon (end of input, or a stall), so an
    /// incomplete frame is malformed rather than awaited.
    pub fn next(&mut self, end: bool) -> Unit {
        if self.skipping {
            match find_header(&self.buf, 0) {
                Some(at) => {
                    self.buf.drain(..at);
                    self.skipping = false;
                }
                None => {
                    // Keep what could be the start of a split `Content-Length`.
                    let keep = if end { 0 } else { HEADER_NAME.len() - 1 };
                    let cut = self.buf.len().saturating_sub(keep);
                    self.buf.drain(..cut);
                    return Unit::NeedMore;
                }
            }
        }
        // Line breaks or spaces between frames are harmless.
        let blank = self.buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        self.buf.drain(..blank);
        if self.buf.is_empty() {
            return Unit::NeedMore;
        }
        if !starts_like_header(&self.buf) {
            if !end && is_prefix_of_header(&self.buf) {
                return Unit::NeedMore;
            }
            self.skipping = true;
            // Skip at least the first byte, so a `Content-Length` further on is found.
            self.buf.drain(..1);
            return Unit::Malformed(Reply::parse_error("bytes that are not a frame (expected a Content-Length header)"));
        }
        let window = &self.buf[..self.buf.len().min(MAX_HEADER)];
        let Some(header_end) = find(window, b"\r\n\r\n") else {
            if self.buf.len() >= MAX_HEADER || end {
                self.skipping = true;
                self.buf.drain(..1);
                return Unit::Malformed(Reply::parse_error(if end { "an incomplete header" } else { "a header longer than 4 KiB" }));
            }
            return Unit::NeedMore;
        };
        let body_start = header_end + 4;
        let length = match content_length(&self.buf[..header_end]) {
            Ok(length) if length <= MAX_BODY => length,
            Ok(length) => {
                self.buf.drain(..body_start);
                self.skipping = true;
                return Unit::Malformed(Reply::parse_error(format!("a Content-Length of {length} bytes, over the limit of {MAX_BODY}")));
            }
            Err(reason) => {
                self.buf.drain(..body_start);
                self.skipping = true;
                return Unit::Malformed(Reply::parse_error(reason));
            }
        };
        let available = self.buf.len() - body_start;
        if available < length && !end {
            // The rest may still come. (A body shorter than announced is found once the bytes
            // after it complete the length, or when the input stalls.)
            return Unit::NeedMore;
        }
        let body_end = body_start + length.min(available);
        let body = &self.buf[body_start..body_end];
        match validate(body) {
            Ok(exit) if available >= length => {
                let body = body.to_vec();
                self.buf.drain(..body_end);
                Unit::Message { body, exit }
            }
            result => {
                let mut reply = match result {
                    Err(reply) => reply,
                    Ok(_) => Reply::parse_error("a body shorter than its Content-Length"),
                };
                // A body longer than what it holds swallowed the next frame's header: resume there.
                match find_header(&self.buf[body_start..], 1).filter(|at| *at < length) {
                    Some(at) => {
                        self.buf.drain(..body_start + at);
                        reply = Reply::parse_error(format!("a body that does not match its Content-Length ({})", reply.reason));
                    }
                    // The body's end may be the start of a header that the next bytes complete.
                    None if !end && self.buf.len() < body_end + HEADER_NAME.len() && ends_with_header_start(body) => {
                        return Unit::NeedMore;
                    }
                    None => {
                        self.buf.drain(..body_end);
                    }
                }
                Unit::Malformed(reply)
            }
        }
    }
}

/// Whether a body is a JSON-RPC message tower-lsp-server takes; `Ok(true)` for `exit`.
fn validate(body: &[u8]) -> Result<bool, Reply> {
    let text = std::str::from_utf8(body).map_err(|e| Reply::parse_error(format!("the body is not UTF-8 ({e})")))?;
    if serde_json::from_str::<Response>(text).is_ok() {
        return Ok(false);
    }
    match serde_json::from_str::<Request>(text) {
        Ok(request) => Ok(request.method() == "exit"),
        Err(e) if e.is_data() => {
            let id = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("id").cloned())
                .and_then(|id| serde_json::from_value::<Id>(id).ok())
                .unwrap_or(Id::Null);
            Err(Reply { code: ErrorCode::InvalidRequest, reason: format!("not a JSON-RPC message ({e})"), id })
        }
        Err(e) => Err(Reply::parse_error(format!("the body is not JSON ({e})"))),
    }
}

/// The `Content-Length` of a header block (`Content-Type` and other headers are ignored).
fn content_length(header: &[u8]) -> Result<usize, String> {
    let text = std::str::from_utf8(header).map_err(|_| "a header that is not UTF-8".to_string())?;
    let mut length = None;
    for line in text.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("a header line without a colon: {:?}", truncate(line)));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim();
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("an invalid Content-Length: {:?}", truncate(value)));
            }
            length = Some(value.parse::<usize>().map_err(|_| format!("an invalid Content-Length: {:?}", truncate(value)))?);
        }
    }
    length.ok_or_else(|| "a header without Content-Length".to_string())
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

fn starts_like_header(buf: &[u8]) -> bool {
    let name_len = buf.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'-').count();
    name_len > 0 && buf.get(name_len) == Some(&b':')
}

fn is_prefix_of_header(buf: &[u8]) -> bool {
    buf.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-') && buf.len() < 64
}

/// Whether `body` ends with the first bytes of `Content-Length` (any case).
fn ends_with_header_start(body: &[u8]) -> bool {
    (1..HEADER_NAME.len()).any(|k| body.len() >= k && body[body.len() - k..].eq_ignore_ascii_case(&HEADER_NAME[..k]))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The first `Content-Length` (any case) at or after `from`.
fn find_header(haystack: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.windows(HEADER_NAME.len()).position(|w| w.eq_ignore_ascii_case(HEADER_NAME)).map(|at| at + from)
}

/// How the input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The `exit` notification was passed on.
    Exit,
    /// The client closed its end (or the server stopped reading).
    Closed,
}

/// Reads the client's bytes from `input`, passes each well-formed message to `to_server` and
/// each malformed frame's answer to `replies`; returns after `exit` or at the end of the input.
pub async fn relay<R, W>(mut input: R, mut to_server: W, replies: mpsc::Sender<Vec<u8>>) -> Ended
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut deframer = Deframer::default();
    let mut chunk = vec![0u8; 64 * 1024];
    let (mut eof, mut stalled) = (false, false);
    loop {
        match deframer.next(eof || stalled) {
            Unit::Message { body, exit } => {
                let sent = async {
                    to_server.write_all(&frame(&body)).await?;
                    to_server.flush().await
                };
                if sent.await.is_err() {
                    return Ended::Closed;
                }
                if exit {
                    return Ended::Exit;
                }
            }
            Unit::Malformed(reply) => {
                if replies.send(reply.frame()).await.is_err() {
                    return Ended::Closed;
                }
            }
            Unit::NeedMore if eof => return Ended::Closed,
            Unit::NeedMore => {
                let read = if deframer.is_idle() {
                    Some(input.read(&mut chunk).await)
                } else {
                    tokio::time::timeout(STALL, input.read(&mut chunk)).await.ok()
                };
                match read {
                    Some(Ok(0)) | Some(Err(_)) => eof = true,
                    Some(Ok(n)) => {
                        deframer.push(&chunk[..n]);
                        stalled = false;
                    }
                    None => stalled = true,
                }
            }
        }
    }
}

/// The length of the whole frame at the start of `buf`, once it is all there. The server's own
/// frames (`Content-Length: N\r\n\r\n…`); anything else passes through as it is.
fn complete_frame(buf: &[u8]) -> Option<usize> {
    let header_end = find(&buf[..buf.len().min(MAX_HEADER)], b"\r\n\r\n")?;
    match content_length(&buf[..header_end]) {
        Ok(length) => {
            let total = header_end + 4 + length;
            (buf.len() >= total).then_some(total)
        }
        Err(_) => Some(header_end + 4),
    }
}

/// Writes the server's frames (read from `from_server`) and this layer's answers to `out`, each
/// frame whole, until both are done.
pub async fn write_out<R, W>(mut from_server: R, mut replies: mpsc::Receiver<Vec<u8>>, mut out: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let (mut server_open, mut replies_open) = (true, true);
    while server_open || replies_open {
        // Answers first: one is queued before the relay passes on the frames after it, so it
        // goes out before their responses (the client reads them in the order it sent).
        tokio::select! {
            biased;
            reply = replies.recv(), if replies_open => match reply {
                Some(frame) => {
                    if out.write_all(&frame).await.is_err() || out.flush().await.is_err() {
                        return;
                    }
                }
                None => replies_open = false,
            },
            read = from_server.read(&mut chunk), if server_open => match read {
                Ok(0) | Err(_) => server_open = false,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(len) = complete_frame(&buf) {
                        if out.write_all(&buf[..len]).await.is_err() {
                            return;
                        }
                        buf.drain(..len);
                    }
                    if out.flush().await.is_err() {
                        return;
                    }
                }
            },
        }
    }
    let _ = out.write_all(&buf).await;
    let _ = out.flush().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a deframer makes of `input` fed in `chunks`-sized pieces: the messages passed
    /// on, and the answers.
    fn run(input: &[u8], chunk: usize) -> (Vec<Vec<u8>>, Vec<Reply>) {
        let mut d = Deframer::default();
        let (mut messages, mut replies) = (Vec::new(), Vec::new());
        let mut take = |d: &mut Deframer, end: bool| loop {
            match d.next(end) {
                Unit::Message { body, .. } => messages.push(body),
                Unit::Malformed(reply) => replies.push(reply),
                Unit::NeedMore => break,
            }
        };
        for piece in input.chunks(chunk.max(1)) {
            d.push(piece);
            take(&mut d, false);
        }
        take(&mut d, true);
        (messages, replies)
    }

    const PING: &str = r#"{"jsonrpc":"2.0","method":"$/ping","params":{"n":1}}"#;

    fn ok(body: &str) -> Vec<u8> {
        frame(body.as_bytes())
    }

    #[test]
    fn well_formed_frames_pass_as_they_are() {
        let mut input = ok(PING);
        input.extend(b"content-length: 2\r\nContent-Type: application/vscode-jsonrpc\r\nX-Other: 1\r\n\r\n{}");
        input.extend(b"\r\n");
        input.extend(ok(r#"{"jsonrpc":"2.0","id":1,"result":null}"#));
        for chunk in [1, 3, 7, 1000] {
            let (messages, replies) = run(&input, chunk);
            // `{}` is not a JSON-RPC message: answered as an invalid request, not passed on.
            assert_eq!(messages, vec![PING.as_bytes().to_vec(), br#"{"jsonrpc":"2.0","id":1,"result":null}"#.to_vec()]);
            assert_eq!(replies.len(), 1);
            assert_eq!(replies[0].code, ErrorCode::InvalidRequest);
        }
    }

    #[test]
    fn each_malformed_frame_is_answered_and_the_next_one_passes() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("bad Content-Length", b"Content-Length: abc\r\n\r\n{}".to_vec()),
            ("huge Content-Length", b"Content-Length: 99999999999999999999999\r\n\r\n{}".to_vec()),
            ("over the limit", format!("Content-Length: {}\r\n\r\n{{}}", MAX_BODY + 1).into_bytes()),
            ("no Content-Length", b"Content-Type: x\r\n\r\n{}".to_vec()),
            ("invalid JSON", ok("{\"jsonrpc\":")),
            ("not UTF-8", frame(&[0xff, 0xfe, b'{'])),
            ("empty body", ok("")),
            ("garbage", b"hello, server!\r\n".to_vec()),
            ("shorter than announced", format!("Content-Length: {}\r\n\r\n{PING}", PING.len() + 30).into_bytes()),
            ("longer than announced", format!("Content-Length: {}\r\n\r\n{PING}", PING.len() - 5).into_bytes()),
            ("header line without colon", b"Content-Length: 2\r\nnonsense\r\n\r\n{}".to_vec()),
        ];
        for (name, bad) in cases {
            let mut input = bad.clone();
            input.extend(ok(PING));
            for chunk in [1, 5, 10_000] {
                let (messages, replies) = run(&input, chunk);
                assert_eq!(messages, vec![PING.as_bytes().to_vec()], "{name}, chunks of {chunk}");
                assert!(!replies.is_empty(), "{name}");
                assert!(replies.iter().all(|r| r.code == ErrorCode::ParseError && r.id == Id::Null), "{name}: {replies:?}");
            }
        }
    }

    #[test]
    fn an_invalid_request_is_answered_with_its_id() {
        let (messages, replies) = run(&ok(r#"{"id":7,"method":3}"#), 100);
        assert!(messages.is_empty());
        assert_eq!(replies[0].code, ErrorCode::InvalidRequest);
        assert_eq!(replies[0].id, Id::Number(7));
        let text = String::from_utf8(replies[0].frame()).unwrap();
        assert!(text.starts_with("Content-Length: "), "{text}");
        let body: serde_json::Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["error"]["code"], -32600);
        assert_eq!(body["id"], 7);
    }

    #[test]
    fn the_answer_is_a_jsonrpc_parse_error() {
        let (_, replies) = run(b"Content-Length: x\r\n\r\n", 100);
        let text = String::from_utf8(replies[0].frame()).unwrap();
        let body: serde_json::Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["jsonrpc"], "2.0");
        assert_eq!(body["id"], serde_json::Value::Null);
        assert_eq!(body["error"]["code"], -32700);
        assert_eq!(body["error"]["message"], "Parse error");
    }

    /// Frame fuzzing: random streams of well-formed and malformed frames, cut at random places.
    /// Every well-formed frame comes out, in order and unchanged, and every stream with a
    /// malformed frame gets an answer. `CONVEX_MIGRATE_FRAME_CASES` runs more.
    #[test]
    fn random_streams_lose_no_well_formed_frame() {
        let cases: u64 = std::env::var("CONVEX_MIGRATE_FRAME_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
        let mut state = 0x0f0f_1234_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..cases {
            let mut input = Vec::new();
            let mut expected = Vec::new();
            let mut malformed = 0;
            for i in 0..1 + next() % 8 {
                let body = format!(
                    r#"{{"jsonrpc":"2.0","method":"m{case}","params":{{"i":{i},"s":"é😀\\r\\n{}"}}}}"#,
                    "x".repeat((next() % 50) as usize)
                );
                match next() % 12 {
                    0 => input.extend(format!("Content-Length: {}\r\n\r\n{body}", body.len() + 1 + (next() % 40) as usize).bytes()),
                    1 => input
                        .extend(format!("Content-Length: {}\r\n\r\n{body}", body.len().saturating_sub(1 + (next() % 10) as usize)).bytes()),
                    2 => input.extend(b"Content-Length: -3\r\n\r\n{}"),
                    3 => input.extend(b"\x00\x01garbage{}\r\n\r\n"),
                    4 => input.extend(ok("{\"jsonrpc\":\"2.0\",")),
                    5 => input.extend(b"Content-Type: application/json\r\n\r\n"),
                    _ => {
                        input.extend(ok(&body));
                        expected.push(body.into_bytes());
                        continue;
                    }
                }
                malformed += 1;
            }
            let chunk = 1 + (next() % 64) as usize;
            let (messages, replies) = run(&input, chunk);
            assert_eq!(messages, expected, "case {case}, chunks of {chunk}: {:?}", String::from_utf8_lossy(&input));
            assert_eq!(replies.is_empty(), malformed == 0, "case {case}: {replies:?}");
        }
        println!("frames: {cases} random streams, no well-formed frame lost");
    }
}
