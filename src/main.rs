/// mimalloc: the journal's producers allocate on one thread and the writer frees on another;
/// glibc's allocator spent a quarter of the append path on that (measured with perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    blotter::cli::main()
}
