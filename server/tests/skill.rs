//! The agent skill (skills/convex-migrate/SKILL.md): its front matter is what `npx skills add`
//! reads, and every `convex-migrate …` command line in it parses with the CLI's own argument
//! parser, so an agent following it runs only commands and flags that exist.

use std::path::Path;

fn skill() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../skills/convex-migrate/SKILL.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Shell words of a line (quotes and backslashes as sh reads them), cut at `#` comments and split
/// into commands at `&&`, `||`, `|` and `;`.
fn commands(line: &str) -> Vec<Vec<String>> {
    let mut commands = vec![Vec::new()];
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    w.push(c);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            '#' if word.is_none() => break,
            '|' | '&' | ';' => {
                commands.last_mut().unwrap().extend(word.take());
                while chars.peek().is_some_and(|n| matches!(n, '|' | '&')) {
                    chars.next();
                }
                commands.push(Vec::new());
            }
            c if c.is_whitespace() => commands.last_mut().unwrap().extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    commands.last_mut().unwrap().extend(word.take());
    commands
}

/// The arguments of every `convex-migrate …` command line: in fenced code blocks (continuation
/// lines joined) and in inline code spans. A bare `convex-migrate` (the tool's name) is no command.
fn convex_migrate_lines(text: &str) -> Vec<(String, Vec<String>)> {
    let mut snippets = Vec::new();
    let mut fenced = false;
    let mut pending = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            pending.push_str(line);
            if pending.ends_with('\\') {
                pending.pop();
                continue;
            }
            snippets.push(std::mem::take(&mut pending));
        } else {
            let mut parts = line.split('`');
            parts.next();
            while let (Some(code), _) = (parts.next(), parts.next()) {
                snippets.push(code.to_string());
            }
        }
    }
    let mut out = Vec::new();
    for snippet in snippets {
        for words in commands(&snippet) {
            if let Some(at) = words.iter().position(|w| w == "convex-migrate") {
                let args = words[at + 1..].to_vec();
                if !args.is_empty() {
                    out.push((snippet.trim().to_string(), args));
                }
            }
        }
    }
    out
}

#[test]
fn every_convex_migrate_command_line_in_the_skill_parses() {
    let lines = convex_migrate_lines(&skill());
    if std::env::var_os("SKILL_LINES").is_some() {
        for (line, _) in &lines {
            eprintln!("{line}");
        }
    }
    assert!(lines.len() >= 25, "only {} command lines found: {lines:?}", lines.len());
    let failures: Vec<String> =
        lines.iter().filter_map(|(line, args)| convex_migrate::cli::parses(args).err().map(|e| format!("{line}\n    {e}"))).collect();
    assert!(failures.is_empty(), "command lines of SKILL.md that do not parse:\n{}", failures.join("\n"));
    // Every subcommand an agent needs is shown.
    for command in ["check", "plan", "verify", "explain", "mcp"] {
        assert!(lines.iter().any(|(_, args)| args[0] == command), "SKILL.md shows no `convex-migrate {command}`");
    }
}

#[test]
fn the_parser_check_is_not_vacuous() {
    let parses = |line: &str| convex_migrate::cli::parses(&line.split(' ').map(str::to_string).collect::<Vec<_>>());
    assert!(parses("check --base origin/main").is_ok());
    assert!(parses("plan require users.role --default member").is_ok());
    assert!(parses("frobnicate").is_err());
    assert!(parses("verify").is_err(), "verify needs a field");
    assert!(parses("check --base a --base-dir b").is_err(), "conflicting flags");
    assert!(parses("check --format xml").is_err());
    assert!(parses("plan --frobnicate").is_err());
    // The extraction: quotes, comments, continuations, pipelines, YAML and inline code.
    let text = "```sh\nnpx convex-migrate plan split users.name --into a,b \\\n  --with 'a=doc.name.split(\" \")[0]'  # note\n\
                - run: npx convex-migrate check --format github && echo ok\n```\nRun `convex-migrate explain` or the `convex-migrate` tool.\n";
    let args: Vec<Vec<String>> = convex_migrate_lines(text).into_iter().map(|(_, a)| a).collect();
    let words = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    assert_eq!(
        args,
        vec![
            vec!["plan", "split", "users.name", "--into", "a,b", "--with", "a=doc.name.split(\" \")[0]"]
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>(),
            words("check --format github"),
            words("explain"),
        ]
    );
}

#[test]
fn the_front_matter_is_what_npx_skills_add_reads() {
    let text = skill();
    let body = text.strip_prefix("---\n").expect("SKILL.md starts with YAML front matter");
    let (front, rest) = body.split_once("\n---\n").expect("the front matter ends with ---");
    let field =
        |name: &str| front.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": "))).map(str::trim).unwrap_or_default();
    // The Agent Skills format: a name of lowercase letters, digits and hyphens (at most 64), equal
    // to the skill's folder, and a description of at most 1024 characters.
    assert_eq!(field("name"), "convex-migrate");
    let description = field("description");
    assert!(!description.is_empty() && description.chars().count() <= 1024, "description: {} chars", description.chars().count());
    // A plain YAML scalar on one line: no `: ` or ` #` in it, not starting with a quote or an indicator.
    assert!(!description.contains(": ") && !description.contains(" #"), "the description must stay a plain YAML scalar");
    assert!(!description.starts_with(['"', '\'', '>', '|', '[', '{', '&', '*', '!', '%', '@', '`']), "plain YAML scalar");
    assert!(rest.trim_start().starts_with("# "), "a title after the front matter");
}
