//! Measures swc's stack use and time per nesting level (scratch).
use std::process::Command;

fn gen(kind: &str, n: usize) -> (String, &'static str) {
    let r = |s: &str| s.repeat(n);
    match kind {
        "paren" => (format!("const a = {}1{};", r("("), r(")")), "a.ts"),
        "bracket" => (format!("const a = {}1{};", r("["), r("]")), "a.ts"),
        "object" => (format!("const a = {}1{};", r("{a:"), r("}")), "a.ts"),
        "block" => (format!("function f() {{{}{}}}", r("{"), r("}")), "a.ts"),
        "arrow" => (format!("const a = {}1;", r("() => ")), "a.ts"),
        "arrowx" => (format!("const a = {}1;", r("x => ")), "a.ts"),
        "assert" => (format!("const a = {}x;", r("<a>")), "a.ts"),
        "not" => (format!("const a = {}x;", r("!")), "a.ts"),
        "typeof" => (format!("const a = {}x;", r("typeof ")), "a.ts"),
        "new" => (format!("const a = {}A;", r("new ")), "a.ts"),
        "ternary" => (format!("const a = {}c;", r("a ? b : ")), "a.ts"),
        "assign" => (format!("a = {}1;", r("a = ")), "a.ts"),
        "add" => (format!("const a = 1{};", r(" + 1")), "a.ts"),
        "and" => (format!("const a = 1{};", r(" && 1")), "a.ts"),
        "exp" => (format!("const a = {}2;", r("2 ** ")), "a.ts"),
        "member" => (format!("const a = a{};", r(".b")), "a.ts"),
        "call" => (format!("const a = a{};", r("()")), "a.ts"),
        "generic" => (format!("let x: {}B{};", r("A<"), r(">")), "a.ts"),
        "union" => (format!("let x: A{};", r(" | A")), "a.ts"),
        "template" => (format!("const a = {}1{};", r("`${"), r("}`")), "a.ts"),
        "if" => (format!("{}x;", r("if (a) ")), "a.ts"),
        "elseif" => (format!("if (a) {{}}{}", r(" else if (a) {}")), "a.ts"),
        "label" => (format!("{}x;", r("a: ")), "a.ts"),
        "jsx" => (format!("const a = {}{};", r("<a>"), r("</a>")), "a.tsx"),
        "assertparen" => (format!("const a = {}x{};", r("(<a>"), r(")")), "a.ts"),
        "assertgen" => (format!("const a = {}x;", r("<a<b>>")), "a.ts"),
        "asserts50" => ("const a = <a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>x;\n".repeat(n / 50), "a.ts"),
        "ltflat" => (format!("const a = [{}];", r("<a>x, ")), "a.ts"),
        "arrowparam" => (format!("const a = {}x{};", r("(a = "), r(") => 1")), "a.ts"),
        "typeargcall" => (format!("const a = {}x{};", r("f<a>("), r(")")), "a.ts"),
        "condparen" => (format!("const a = {}b{};", r("a ? ("), r(") : c")), "a.ts"),
        "ltparen" => (format!("const a = {}b{};", r("a < ("), r(")")), "a.ts"),
        "genarrow" => (format!("const a = {}x{};", r("(<T>(x) => "), r(")")), "a.ts"),
        "asyncparen" => (format!("const a = {}x{};", r("async ("), r(")")), "a.ts"),
        "tsxparen" => (format!("const a = {}x{};", r("(<a,>(x) => "), r(")")), "a.tsx"),
        "jsxparen" => (format!("const a = {}x{};", r("(<a>{"), r("}</a>)")), "a.tsx"),
        "condarrow" => (format!("const a = {}b{};", r("a ? (b) : (c) => "), r("")), "a.ts"),
        "condarrow2" => (format!("const a = {}b{};", r("a ? (b): c => ("), r(") : d")), "a.ts"),
        "ltcall" => (format!("const a = {}b{};", r("f(a < "), r(")")), "a.ts"),
        "ltgt" => (format!("const a = {}b{};", r("(a < b, c > ("), r("))")), "a.ts"),
        "objassert" => (format!("const a = {}x{};", r("{a: <a>"), r("}")), "a.ts"),
        "arrassert" => (format!("const a = {}x{};", r("[<a>"), r("]")), "a.ts"),
        "asserttype" => (format!("const a = {}x{};", r("<(a)>("), r(")")), "a.ts"),
        "satisfies" => (format!("const a = {}x{};", r("("), r(" as a)")), "a.ts"),
        "seq" => (format!("const a = (1{});", r(", 1")), "a.ts"),
        _ => panic!("unknown kind {kind}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "fill" {
        // The worst file of this kind within the budget: the deepest accepted statement, repeated
        // for as long as the file stays within the budget; then the time to model it.
        let kind = &args[2];
        let max: usize = args[3].parse().unwrap();
        let (_, path) = gen(kind, 1);
        let lang = convex_migrate::syntax::Language::from_path(path).unwrap();
        let ts = !matches!(lang, convex_migrate::syntax::Language::JavaScript);
        let jsx = !matches!(lang, convex_migrate::syntax::Language::TypeScript);
        let ok = |t: &str| convex_migrate::syntax::budget::check(t, ts, jsx).is_ok();
        let (mut lo, mut hi) = (1usize, max);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if ok(&gen(kind, mid).0) {
                lo = mid
            } else {
                hi = mid - 1
            }
        }
        let one = gen(kind, lo).0 + "\n";
        let (mut reps_lo, mut reps_hi) = (1usize, convex_migrate::syntax::budget::MAX_BYTES / one.len().max(1));
        while reps_lo < reps_hi {
            let mid = (reps_lo + reps_hi).div_ceil(2);
            if ok(&one.repeat(mid)) {
                reps_lo = mid
            } else {
                reps_hi = mid - 1
            }
        }
        let text = one.repeat(reps_lo);
        let m = convex_migrate::syntax::budget::check(&text, ts, jsx);
        let h = std::thread::Builder::new()
            .stack_size(convex_migrate::STACK_SIZE)
            .spawn(move || {
                let t = std::time::Instant::now();
                let parsed = convex_migrate::model::FileModel::build(path, &text).parsed;
                (parsed, t.elapsed(), text.len())
            })
            .unwrap();
        let (parsed, t, len) = h.join().unwrap();
        println!("{kind:>12}: depth {lo:>6} x {reps_lo:>7} statements, {len:>8} bytes, {m:?}: parsed {parsed} in {t:.2?}");
        return;
    }
    if args.len() == 4 && args[1] == "budget" {
        let (text, path) = gen(&args[2], args[3].parse().unwrap());
        let lang = convex_migrate::syntax::Language::from_path(path).unwrap();
        let ts = !matches!(lang, convex_migrate::syntax::Language::JavaScript);
        let jsx = !matches!(lang, convex_migrate::syntax::Language::TypeScript);
        let t = std::time::Instant::now();
        let r = convex_migrate::syntax::budget::check(&text, ts, jsx);
        println!("{:>12} n={:>7}: {:?} ({:.1?})", args[2], args[3], r, t.elapsed());
        return;
    }
    if args.len() == 5 && args[1] == "child" {
        let (text, path) = gen(&args[2], args[3].parse().unwrap());
        let stack: usize = args[4].parse().unwrap();
        let h = std::thread::Builder::new()
            .stack_size(stack)
            .spawn(move || {
                let t = std::time::Instant::now();
                let m = convex_migrate::model::FileModel::build(path, &text);
                let ok = m.parsed;
                drop(m);
                (ok, t.elapsed())
            })
            .unwrap();
        let (ok, t) = h.join().unwrap();
        println!("{ok} {:.3}", t.as_secs_f64());
        return;
    }
    let exe = &args[0];
    let kinds: Vec<String> = if args.len() > 1 { args[1].split(',').map(String::from).collect() } else { vec!["paren".into()] };
    let depths: Vec<usize> = if args.len() > 2 { args[2].split(',').map(|d| d.parse().unwrap()).collect() } else { vec![1000, 2000] };
    for kind in &kinds {
        for &n in &depths {
            // Binary search the smallest stack (in 4 KiB pages) that works.
            let ok = |stack: usize| -> Option<String> {
                let out = Command::new(exe).args(["child", kind, &n.to_string(), &stack.to_string()]).output().unwrap();
                out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
            };
            let (mut lo, mut hi) = (16 * 1024usize, 1024 * 1024 * 1024usize);
            let Some(top) = ok(hi) else {
                println!("{kind} {n}: fails even with 1 GiB");
                continue;
            };
            while hi - lo > 16 * 1024 {
                let mid = (lo + hi) / 2;
                if ok(mid).is_some() {
                    hi = mid
                } else {
                    lo = mid
                }
            }
            println!("{kind:>9} n={n:>6}: min stack {:>8} KiB ({:>6} B/level); result {top}", hi / 1024, hi / n);
        }
    }
}
