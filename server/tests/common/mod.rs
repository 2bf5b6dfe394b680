//! Helpers shared by the integration tests: real git repositories and a stand-in `npx`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs git in `dir`, isolated from the user's and the system's configuration.
pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Writes a file under `root`, creating its folders.
pub fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A stand-in for `npx` (no Convex deployment can run here): it records its arguments and
/// working folder in the returned log, prints `stdout` like the Convex CLI prints a function's
/// result, an error line on stderr, and exits with `exit`.
pub fn stand_in_npx(dir: &Path, stdout: &str, exit: i32) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let log = dir.join("npx.log");
    let script = dir.join("npx");
    let body = format!(
        "#!/bin/sh\necho \"$PWD $*\" >> '{}'\ncat <<'OUT'\n{stdout}\nOUT\necho 'boom: deployment not found' >&2\nexit {exit}\n",
        log.display()
    );
    std::fs::write(&script, body).expect("write the stand-in");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (script, log)
}
pub mod fixture;
pub mod lsp;
