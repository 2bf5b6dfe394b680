//! convex-migrate: checks that Convex schema changes follow widen → migrate → narrow.
//!
//! Layers (each depends only on those above it): [`syntax`] parses a file; [`model`] describes one
//! file; [`project`] links the files of a project at one revision; [`analysis`] compares the base
//! with the working tree and produces findings; [`sources`] reads disk and git; [`cli`] is the
//! terminal shell.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod fixes;
pub mod ledger;
pub mod line_index;
pub mod lsp;
pub mod model;
pub mod project;
pub mod sources;
pub mod syntax;

/// Stack size for threads that walk syntax trees (deeply nested code must not overflow).
pub const STACK_SIZE: usize = 256 * 1024 * 1024;
