//! sled's I/O threads run about once per flush: the vendored sled's threadpool wakes one idle
//! worker per job, and a flush writes its own buffer (see vendor/README.md); upstream woke
//! all seven workers for every job and handed them every write.

use blotter::bench::cpu::ThreadTimes;
use blotter::journal::{Draft, Genesis, Journal, Opaque, OpenOptions};

/// How many times sled's I/O threads have been put on a CPU so far; `None` where the kernel
/// gives no such figures.
fn sled_io_runs() -> Option<u64> {
    ThreadTimes::now().runs("sled-io")
}

#[test]
fn sleds_io_threads_run_about_once_per_flush() {
    const FLUSHES: u64 = 300;
    let dir = tempfile::tempdir().unwrap();
    let mut journal = Journal::create(dir.path().join("j"), &Genesis::new(None), &OpenOptions::default()).unwrap();
    let draft = |i: u64| Draft::new(i as i64, "s", Opaque(vec![7; 100]));
    journal.append(&[draft(0)]).unwrap();
    let Some(before) = sled_io_runs() else { return };
    for i in 1..=FLUSHES {
        journal.append(&[draft(i)]).unwrap();
    }
    let runs = sled_io_runs().unwrap() - before;
    eprintln!("sled-io runs: {runs} for {FLUSHES} flushes");
    // A flush hands sled's pool one job (the write batch's marker; the flush writes its own
    // buffer), and a worker that writes and syncs is put on a CPU ~3 times: ~3.0 runs a flush
    // measured. Handing the pool the flush's write too: ~5.6; waking all 7 idle workers for
    // each job as upstream does: ~9.7 (with the flush's own write) or ~13.
    assert!(runs < 9 * FLUSHES / 2, "sled's I/O threads ran {runs} times for {FLUSHES} flushes");
    assert!(runs >= FLUSHES, "sled's I/O threads ran {runs} times for {FLUSHES} flushes: not counted?");
}
