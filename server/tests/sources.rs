//! Reading the baseline from real git repositories, and caching it by commit.

mod common;

use common::git;

use std::sync::Arc;

use convex_migrate::analysis::{Baseline, Revision};
use convex_migrate::sources::{read_git_base, BaseCache};

fn project_of(base: Baseline) -> Arc<Revision> {
    match base {
        Baseline::Read { revision, .. } => revision,
        Baseline::Off { reason } => panic!("base off: {reason}"),
    }
}

#[test]
fn the_base_is_cached_by_commit_and_moves_with_head() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    std::fs::create_dir_all(root.join("convex/node_modules/x")).unwrap();
    std::fs::write(root.join("convex/schema.ts"), "export default 1;\n").unwrap();
    std::fs::write(root.join("convex/node_modules/x/index.ts"), "export default 1;\n").unwrap();
    std::fs::write(root.join("convex/readme.md"), "not source\n").unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "one"]);
    let cache = BaseCache::default();
    let first = project_of(read_git_base(root, None, Some(&cache)).unwrap());
    let paths: Vec<&str> = first.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["convex/schema.ts"]);
    let again = project_of(read_git_base(root, None, Some(&cache)).unwrap());
    assert!(Arc::ptr_eq(&first, &again), "the same commit is read once");

    std::fs::write(root.join("convex/users.ts"), "export const a = 1;\n").unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "two"]);
    let moved = project_of(read_git_base(root, None, Some(&cache)).unwrap());
    assert!(!Arc::ptr_eq(&first, &moved));
    assert_eq!(moved.files.len(), 2);
    let old = project_of(read_git_base(root, Some("HEAD~1"), Some(&cache)).unwrap());
    assert!(Arc::ptr_eq(&first, &old), "HEAD~1 is the commit read first");
}

#[test]
fn apply_refuses_a_file_that_changed_since_it_was_read_and_writes_nothing() {
    use convex_migrate::fixes::{FileEdit, Fix, FixKind, TextEdit};
    use convex_migrate::line_index::TextRange;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("convex")).unwrap();
    std::fs::write(dir.path().join("convex/a.ts"), "const a = 1;\n").unwrap();
    let fix = Fix {
        title: "t".into(),
        kind: FixKind::QuickFix,
        preferred: false,
        edits: vec![
            FileEdit::create("convex/new.ts", "export {};\n".into()),
            FileEdit::edit("convex/a.ts", vec![TextEdit { range: TextRange::new(10, 11), new_text: "2".into() }]),
        ],
    };
    // Read as something else: refused, and the new file is not created either.
    let err = convex_migrate::sources::apply::apply_fix(dir.path(), &fix, &|_| Some("const a = 0;\n".into())).unwrap_err();
    assert!(err.contains("convex/a.ts changed since it was read"), "{err}");
    assert!(!dir.path().join("convex/new.ts").exists());
    let changed = convex_migrate::sources::apply::apply_fix(dir.path(), &fix, &|_| Some("const a = 1;\n".into())).unwrap();
    assert_eq!(changed, ["convex/new.ts", "convex/a.ts"]);
    assert_eq!(std::fs::read_to_string(dir.path().join("convex/a.ts")).unwrap(), "const a = 2;\n");
}
