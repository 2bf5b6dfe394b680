//! The `convex-migrate` binary: runs the command line on a thread with a large stack, so deeply
//! nested code in a user's file cannot overflow it.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let code = std::thread::Builder::new()
        .stack_size(convex_migrate::STACK_SIZE)
        .spawn(move || convex_migrate::cli::run(args))
        .map(|handle| handle.join().unwrap_or(convex_migrate::cli::EXIT_ERROR))
        .unwrap_or_else(|e| {
            eprintln!("error: cannot start: {e}");
            convex_migrate::cli::EXIT_ERROR
        });
    std::process::exit(code);
}
