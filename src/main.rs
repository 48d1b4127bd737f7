/// mimalloc: the journal's producers allocate on one thread and the writer frees on another;
/// glibc's allocator spent a quarter of the append path on that (measured with perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Freed memory is kept for reuse, never handed back to the OS: every command's memory
    // only grows or churns (blocks read and freed while replaying), and memory handed back
    // faults again when reused. `bench replay`: 32-41k page faults instead of 38-50k.
    blotter::memory::keep_freed_memory();
    blotter::cli::main()
}
