//! How often sled's I/O threads run. The vendored sled (see vendor/README.md) writes a
//! flush's buffers on the flushing thread, so a journal's small flushes wake no I/O thread;
//! and its threadpool wakes one idle worker per job (upstream woke all seven).

use blotter::bench::cpu::ThreadTimes;
use blotter::journal::{Draft, Genesis, Journal, Opaque, OpenOptions};

/// How many times sled's I/O threads alive now have been put on a CPU so far (0 before
/// sled starts any); `None` where the kernel gives no such figures.
fn sled_io_runs() -> Option<u64> {
    std::path::Path::new("/proc/self/task").exists().then(|| ThreadTimes::now().runs("sled-io").unwrap_or(0))
}

/// One test, in phases: the threads counted are the whole process's.
#[test]
fn sleds_io_threads_run_only_for_writes_handed_to_them_and_one_per_job() {
    a_journals_flushes_write_their_own_buffers();
    a_buffer_filled_by_writers_wakes_one_io_thread();
}

fn a_journals_flushes_write_their_own_buffers() {
    const FLUSHES: u64 = 300;
    let dir = tempfile::tempdir().unwrap();
    let mut journal = Journal::create(dir.path().join("j"), &Genesis::new(None), &OpenOptions::default()).unwrap();
    let draft = |i: u64| Draft::new(i as i64, "s", Opaque(vec![7; 100]));
    journal.append(&[draft(0)]).unwrap();
    let Some(before) = sled_io_runs() else { return };
    for i in 1..=FLUSHES {
        journal.append(&[draft(i)]).unwrap();
    }
    let runs = sled_io_runs().unwrap().saturating_sub(before);
    eprintln!("sled-io runs: {runs} for {FLUSHES} flushes");
    // None measured. Handing the pool the write batch's marker: ~3 a flush; the flush's own
    // buffer too: ~5.6 (a worker that writes and syncs is put on a CPU ~3 times).
    assert!(runs < FLUSHES / 10, "sled's I/O threads ran {runs} times for {FLUSHES} flushes");
}

fn a_buffer_filled_by_writers_wakes_one_io_thread() {
    const BATCHES: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new().path(dir.path()).cache_capacity(64 << 20).open().unwrap();
    let Some(before) = sled_io_runs() else { return };
    for b in 0..BATCHES {
        // 6 values of 100 KB fill a 512 KiB IO buffer during the batch: a writer seals it and
        // the last one out hands its write to the pool.
        let mut batch = sled::Batch::default();
        for v in 0..6u64 {
            batch.insert(&(b * 6 + v).to_be_bytes(), vec![b as u8; 100_000]);
        }
        db.apply_batch(batch).unwrap();
        db.flush().unwrap();
    }
    let runs = sled_io_runs().unwrap().saturating_sub(before);
    eprintln!("sled-io runs: {runs} for {BATCHES} batches");
    assert!(runs >= BATCHES / 2, "sled's I/O threads ran {runs} times for {BATCHES} batches: no pool jobs?");
    assert!(runs < 4 * BATCHES, "sled's I/O threads ran {runs} times for {BATCHES} batches");
}
