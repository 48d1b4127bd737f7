//! `blotter::memory::prefault` in a process of its own: that memory it faulted in serves
//! later allocations without a fault (other tests allocating beside it would take some).

use blotter::memory::{prefault, thread_page_faults};

const MIB: usize = 1 << 20;

/// Allocates `n` MiB from mimalloc, writes a byte in each page and frees it all: what
/// `prefault` does, written out here so that a `prefault` that touched nothing fails the test
/// (both passes would then fault as little).
fn touch(n: usize) {
    // SAFETY: `mi_malloc` takes any size and returns null (checked below) or a block.
    let chunks: Vec<*mut u8> = (0..n).map(|_| unsafe { libmimalloc_sys::mi_malloc(MIB).cast::<u8>() }).collect();
    for &chunk in &chunks {
        assert!(!chunk.is_null());
        for offset in (0..MIB).step_by(4096) {
            // SAFETY: inside a block of `MIB` bytes from `mi_malloc`.
            unsafe { chunk.add(offset).write_volatile(1) };
        }
    }
    for chunk in chunks {
        // SAFETY: from `mi_malloc`, freed once.
        unsafe { libmimalloc_sys::mi_free(chunk.cast()) };
    }
}

#[test]
fn memory_prefaulted_is_reused_without_faults() {
    let Some(start) = thread_page_faults() else { return }; // not on this system
    prefault(64 * MIB);
    let first = thread_page_faults().unwrap() - start;
    let before = thread_page_faults().unwrap();
    touch(64);
    let second = thread_page_faults().unwrap() - before;
    assert!(first >= 32, "prefaulting faulted only {first} times");
    assert!(second * 8 <= first, "allocating again faulted {second} times, prefaulting {first}");
}
