//! Reading a sealed segment holds about its small cache, not the whole segment: the vendored
//! sled's LRU evicts for caches of up to 16 MiB (see vendor/README.md). Upstream's never did
//! for a few hundred large pages, so a scan held every page of the segment it was reading.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use blotter::journal::{Draft, Genesis, Journal, Opaque, OpenCheck, OpenOptions, StoreOptions};

/// The system allocator, counting the bytes allocated now and the most since a reset.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let now = ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Bytes allocated now; the peak starts again from here.
fn reset_peak() -> usize {
    let now = ALLOCATED.load(Ordering::Relaxed);
    PEAK.store(now, Ordering::Relaxed);
    now
}

const MIB: u64 = 1 << 20;
const SEGMENT_BYTES: u64 = 24 * MIB;
const RECORD_BYTES: usize = 1000;
const RECORDS: u64 = 60_000;

#[test]
fn verifying_holds_about_a_sealed_segments_cache_not_the_segment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    let store = StoreOptions { segment_bytes: SEGMENT_BYTES, ..StoreOptions::default() };
    let options = OpenOptions { store, check: OpenCheck::Tail };
    {
        let mut journal = Journal::create(&path, &Genesis::new(None), &options).unwrap();
        let draft = |i: u64| Draft::new(i as i64, "s", Opaque(vec![(i % 251) as u8; RECORD_BYTES]));
        for first in (0..RECORDS).step_by(100) {
            journal.append(&(first..first + 100).map(draft).collect::<Vec<_>>()).unwrap();
        }
    }

    let journal = Journal::open(&path, &options).unwrap();
    let before = reset_peak();
    let report = journal.verify().unwrap();
    let peak = (PEAK.load(Ordering::Relaxed) - before) as u64;
    let read = RECORDS * RECORD_BYTES as u64;
    eprintln!(
        "verified {} MiB in {} MiB segments: at most {} MiB more allocated",
        read / MIB,
        SEGMENT_BYTES / MIB,
        peak / MIB
    );
    assert_eq!(report.events, RECORDS);
    // Two sealed segments are read, each through an 8 MiB cache, then the newest (its own
    // cache, 64 MiB, holds what it reads: at most 12 MiB here). Upstream held all of a
    // sealed segment (24 MiB) while reading it, and the one before it while opening the next.
    assert!(peak < 2 * SEGMENT_BYTES * 3 / 4, "{} MiB more allocated verifying {} MiB", peak / MIB, read / MIB);
}
