//! convex-migrate: checks that Convex schema changes follow widen → migrate → narrow.
//!
//! Layers (each depends only on those above it): [`syntax`] parses a file; [`model`] describes one
//! file; [`project`] links the files of a project at one revision; [`config`] reads the project's
//! settings; [`analysis`] compares the base with the working tree and produces findings;
//! [`fixes`] turns findings into edits; [`sources`] reads disk and git (the only I/O); [`cli`] and
//! [`lsp`] are the shells. [`line_index`] and [`names`] are the shared vocabulary at the bottom.
//! ARCHITECTURE.md has the map.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod fixes;
pub mod line_index;
pub mod lsp;
pub mod model;
pub mod names;
pub mod project;
pub mod sources;
pub mod syntax;

/// Exit codes of the command line: no error-severity finding; errors found; could not run.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// Stack size for threads that parse and walk syntax trees. A file nested up to the parser's
/// limit ([`syntax::budget::MAX_NESTING`]) needs at most ~3.3 MB in a release build and ~20 MB in
/// a debug build (measured: `cargo run --release --example stack_probe`, RELIABILITY.md).
pub const STACK_SIZE: usize = 64 * 1024 * 1024;
