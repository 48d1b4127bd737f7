//! The vendored sled syncs a write batch's marker with the buffer written after it (see
//! vendor/README.md, change 5). A flush must still return only once everything before it is
//! synced, and never wait for a marker nobody will sync: here batches of every size (within
//! one IO buffer, filling one, spanning several) are applied and flushed from two threads at
//! once on one database, under a watchdog, and every value is read back after a reopen.

use std::sync::mpsc;
use std::time::Duration;

/// Values per thread; each batch's size cycles through `SIZES`.
const BATCHES: u64 = 120;
const SIZES: [usize; 6] = [24, 4_000, 100_000, 300_000, 520_000, 700_000];

fn value(thread: u64, batch: u64) -> Vec<u8> {
    vec![(thread * 31 + batch) as u8; SIZES[(batch as usize + thread as usize) % SIZES.len()]]
}

fn key(thread: u64, batch: u64) -> [u8; 16] {
    let mut key = [0; 16];
    key[..8].copy_from_slice(&thread.to_be_bytes());
    key[8..].copy_from_slice(&batch.to_be_bytes());
    key
}

#[test]
fn batches_flushed_from_two_threads_never_wait_forever_and_all_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new().path(dir.path()).cache_capacity(64 << 20).flush_every_ms(None).open().unwrap();
    let (done, finished) = mpsc::channel();
    let writers: Vec<_> = (0..2u64)
        .map(|thread| {
            let (db, done) = (db.clone(), done.clone());
            std::thread::spawn(move || {
                for batch in 0..BATCHES {
                    let mut writes = sled::Batch::default();
                    writes.insert(&key(thread, batch), value(thread, batch));
                    writes.insert(&key(thread, u64::MAX), &batch.to_be_bytes());
                    db.apply_batch(writes).unwrap();
                    db.flush().unwrap();
                }
                done.send(()).unwrap();
            })
        })
        .collect();
    for _ in 0..2 {
        finished.recv_timeout(Duration::from_secs(120)).expect("a flush waited for a batch marker nobody synced");
    }
    writers.into_iter().for_each(|writer| writer.join().unwrap());
    drop(db);

    let db = sled::Config::new().path(dir.path()).open().unwrap();
    for thread in 0..2 {
        for batch in 0..BATCHES {
            let stored = db.get(key(thread, batch)).unwrap().unwrap_or_else(|| panic!("lost {thread}/{batch}"));
            assert_eq!(stored.as_ref(), value(thread, batch).as_slice(), "{thread}/{batch}");
        }
        let last = db.get(key(thread, u64::MAX)).unwrap().unwrap();
        assert_eq!(last.as_ref(), (BATCHES - 1).to_be_bytes());
    }
}
