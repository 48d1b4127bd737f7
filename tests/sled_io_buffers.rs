//! sled's I/O buffers are reused (vendor/README.md, change 5): each of sled's log segments
//! (512 KiB) is written through a buffer of that size, and upstream allocated a fresh one
//! for every segment, so every page of it faulted on its first write, inside the flush. The
//! vendored sled keeps a few freed buffers and hands them out again.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use blotter::journal::{Draft, Genesis, Journal, Opaque, OpenOptions};

/// The system allocator, counting allocations shaped like sled's I/O buffers.
struct Counting;

/// sled's default log segment size, and the alignment of its I/O buffers.
const IO_BUFFER: Layout = match Layout::from_size_align(512 * 1024, 8192) {
    Ok(layout) => layout,
    Err(_) => panic!("a valid layout"),
};

static IO_BUFFERS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout == IO_BUFFER {
            IO_BUFFERS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

const RECORD_BYTES: usize = 1000;
const RECORDS: u64 = 24_000;

#[test]
fn a_journal_reuses_sleds_io_buffers_instead_of_allocating_one_per_log_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = Journal::create(dir.path().join("j"), &Genesis::new(None), &OpenOptions::default()).unwrap();
    let draft = |i: u64| Draft::new(i as i64, "s", Opaque(vec![(i % 251) as u8; RECORD_BYTES]));
    let before = IO_BUFFERS.load(Ordering::Relaxed);
    for first in (0..RECORDS).step_by(100) {
        journal.append(&(first..first + 100).map(draft).collect::<Vec<_>>()).unwrap();
    }
    let allocated = IO_BUFFERS.load(Ordering::Relaxed) - before;
    let written_mib = (RECORDS as usize * RECORD_BYTES) >> 20;
    eprintln!("{written_mib} MiB appended: {allocated} I/O buffers of 512 KiB allocated");
    // Upstream allocated a buffer for each of sled's segments (60 here: a flush seals a
    // segment's buffer early); reused, only the few alive at once are ever allocated (1).
    assert!(written_mib >= 20, "{written_mib}");
    assert!(allocated <= 8, "{allocated} I/O buffers allocated for {written_mib} MiB");
}
