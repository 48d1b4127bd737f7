//! The heap of an engine in live use: fault it in before trading starts, and keep what is
//! freed, so that the hot path does not page-fault.
//!
//! Why: an engine's memory only grows (it keeps every order of its session), and on Linux
//! the first write to each fresh 4 KiB page is a fault in which the kernel zeroes the page.
//! At 100k lifecycles/s the engine and its journal grow by ~150 MB/s: ~37k faults a second,
//! a sixth of the samples of a profile of `bench engine` (perf: `clear_page_erms` under
//! `exc_page_fault`, on the engine's and the journal's threads). Real-time Linux practice
//! is to touch the memory a process will need at start-up and never hand it back; this
//! module does that for mimalloc, the `blotter` binary's global allocator. (Under another
//! global allocator it still runs, but what it touches is not what the engine allocates.)

use std::mem::MaybeUninit;
use std::time::{Duration, Instant};

/// mimalloc v3's `mi_option_purge_delay` (`include/mimalloc.h`: the 16th `mi_option_e`):
/// how long freed memory waits before it is handed back to the OS, in ms; -1 is never.
/// `libmimalloc-sys` names no constant for it; a test checks the enum's layout.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Allocations the heap is touched through: large enough that mimalloc takes each from its
/// arena directly, so their memory, once freed, serves allocations of any size.
const CHUNK: usize = 1 << 20;

/// Pages are at least this large (Linux's smallest page).
const PAGE: usize = 4096;

/// What [`prefault`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefaulted {
    pub bytes: usize,
    pub took: Duration,
}

/// Makes mimalloc keep memory freed in this process instead of handing it back to the OS
/// (process-wide, from now on): memory the engine frees is reused without a fault.
pub fn keep_freed_memory() {
    // SAFETY: setting an option is an atomic store mimalloc allows at any time, from any
    // thread; the purge code reads it afresh on each purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// Keeps freed memory ([`keep_freed_memory`]), then allocates `bytes` (rounded up to whole
/// MiB; at most [`prefault_limit`] of the memory free now) from mimalloc, faults every page
/// of it in and frees it: later allocations reuse those pages, already faulted in. Took
/// 0.5–1.6 s per GiB on the reference machine.
pub fn prefault(bytes: usize) -> Prefaulted {
    let started = Instant::now();
    keep_freed_memory();
    let bytes = prefault_limit(bytes, free_memory());
    let chunks: Vec<*mut u8> = (0..bytes.div_ceil(CHUNK)).map(|_| touched_chunk()).collect();
    for chunk in &chunks {
        // SAFETY: each pointer came from `mi_malloc` and is freed once.
        unsafe { libmimalloc_sys::mi_free(chunk.cast()) };
    }
    let touched = chunks.iter().filter(|chunk| !chunk.is_null()).count() * CHUNK;
    Prefaulted { bytes: touched, took: started.elapsed() }
}

/// How much of `requested` to prefault when `free` bytes of memory are free (`None`: the
/// system does not say): at most three quarters of it, whole MiB. Why: mimalloc hands out
/// address space the kernel has not backed yet (overcommit), so faulting in more than is
/// free does not fail, it wakes the OOM killer (`bench engine --prefault-mib 100000000`
/// was killed); prefaulting is an optimization, never a reason to fail.
pub fn prefault_limit(requested: usize, free: Option<usize>) -> usize {
    match free {
        Some(free) => requested.min(free / 4 * 3 / CHUNK * CHUNK),
        None => requested,
    }
}

/// Bytes of memory free now (`sysconf`: free pages times the page size; the page cache the
/// kernel could reclaim is not counted, so this errs low); `None` where the system does not say.
fn free_memory() -> Option<usize> {
    // SAFETY: `sysconf` reads a system value; it has no preconditions.
    let (pages, size) = unsafe { (libc::sysconf(libc::_SC_AVPHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    usize::try_from(pages).ok()?.checked_mul(usize::try_from(size).ok()?)
}

/// A chunk from mimalloc with every page faulted in ([`populate`]), or null if none was to
/// be had (then nothing is touched: prefaulting is an optimization, never a reason to fail).
fn touched_chunk() -> *mut u8 {
    // SAFETY: `mi_malloc` returns null or a block of at least `CHUNK` bytes, ours until freed.
    unsafe {
        let chunk = libmimalloc_sys::mi_malloc(CHUNK).cast::<u8>();
        if !chunk.is_null() {
            populate(std::slice::from_raw_parts_mut(chunk.cast(), CHUNK));
        }
        chunk
    }
}

/// Faults every page of `memory` in, writable, leaving its bytes as they are.
///
/// Linux (5.14 on) does it in one call for the whole range (`madvise(MADV_POPULATE_WRITE)`);
/// elsewhere, or if that is refused, one byte of each page is written back as read. Why the
/// call: each first write to a page traps into the kernel on its own; populated, a page
/// cost 1.15–1.20 µs on the reference machine against 1.52–2.14 written (256 MiB, 4 runs).
pub fn populate(memory: &mut [MaybeUninit<u8>]) {
    let start = memory.as_ptr() as usize;
    // The whole pages inside `memory`: the partial ones at either end are written.
    let first = start.next_multiple_of(PAGE).min(start + memory.len());
    let end = ((start + memory.len()) & !(PAGE - 1)).max(first);
    if end > first && populate_pages(first, end - first) {
        let (head, rest) = memory.split_at_mut(first - start);
        head.iter_mut().step_by(PAGE).for_each(write_back);
        rest[end - first..].iter_mut().step_by(PAGE).for_each(write_back);
    } else {
        memory.iter_mut().step_by(PAGE).for_each(write_back);
    }
}

/// `madvise(MADV_POPULATE_WRITE)` over `len` bytes of whole pages at `start`; whether it did.
#[cfg(target_os = "linux")]
fn populate_pages(start: usize, len: usize) -> bool {
    debug_assert!(start.is_multiple_of(PAGE) && len.is_multiple_of(PAGE));
    // SAFETY: the range is whole pages of memory the caller may write; populating them
    // changes no byte (an old kernel refuses the advice with EINVAL, and nothing happens).
    unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_POPULATE_WRITE) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn populate_pages(_start: usize, _len: usize) -> bool {
    false
}

/// Writes a byte back as it was read: a write the compiler keeps, which changes nothing.
fn write_back(byte: &mut MaybeUninit<u8>) {
    let at: *mut MaybeUninit<u8> = byte;
    // SAFETY: `at` is valid for reads and writes; read as a `MaybeUninit`, an uninitialized
    // byte stays one.
    unsafe { at.write_volatile(at.read_volatile()) }
}

/// Asks the CPU to bring every cache line of `*value` into this core's cache, owned for
/// writing (x86_64 `PREFETCHW`, where the CPU has it; elsewhere nothing). A hint only: it
/// reads and writes no byte and never faults, so any address will do. For memory about to
/// be written for the first time in a while (see `ChunkedVec::push_with`): the write then
/// finds its lines here instead of waiting for them.
#[inline(always)]
pub fn prefetch_for_write<T>(value: *const T) {
    #[cfg(target_arch = "x86_64")]
    if has_prefetchw() {
        let start = value.cast::<u8>();
        for offset in (0..size_of::<T>().max(1)).step_by(CACHE_LINE) {
            // SAFETY: PREFETCHW is a hint: it does not fault, read or write memory, whatever
            // the address (`wrapping_add` keeps the pointer arithmetic defined too), and the
            // CPU has it (checked above).
            unsafe {
                std::arch::asm!("prefetchw [{}]", in(reg) start.wrapping_add(offset), options(nostack, preserves_flags, readonly))
            };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Cache line size on the CPUs blotter targets.
#[cfg(target_arch = "x86_64")]
const CACHE_LINE: usize = 64;

/// Whether this x86_64 CPU has `PREFETCHW` (CPUID leaf 0x8000_0001, ECX bit 8; asked once).
#[cfg(target_arch = "x86_64")]
fn has_prefetchw() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| {
        use std::arch::x86_64::__cpuid;
        // A leaf above the highest one the CPU reports is not asked.
        __cpuid(0x8000_0000).eax >= 0x8000_0001 && __cpuid(0x8000_0001).ecx & (1 << 8) != 0
    })
}

/// Page faults served without I/O on the calling thread so far (Linux: `getrusage`'s
/// `RUSAGE_THREAD`); `None` where the system does not say.
pub fn thread_page_faults() -> Option<u64> {
    resource_usage(libc::RUSAGE_THREAD).and_then(|usage| u64::try_from(usage.ru_minflt).ok())
}

/// `getrusage(who)`: what the process or thread used so far; `None` if the system would not say.
pub(crate) fn resource_usage(who: libc::c_int) -> Option<libc::rusage> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: `getrusage` writes a whole `rusage` into the pointer it is given and returns 0,
    // or returns -1 having written nothing (then it is not read).
    unsafe { (libc::getrusage(who, usage.as_mut_ptr()) == 0).then(|| usage.assume_init()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: reading an option is an atomic load.
        let get = |option| unsafe { libmimalloc_sys::mi_option_get(option) };
        // Its neighbours' defaults pin the enum's layout (`eager_commit_delay`,
        // `use_numa_nodes`, `os_tag`, `max_errors`, `max_warnings`: nothing here changes
        // them); the purge delay is at its default, 1000, unless a test kept freed memory.
        let neighbours = [(14, 1), (16, 0), (18, 100), (19, 32), (20, 32)];
        assert_eq!(neighbours.map(|(option, _)| (option, get(option))), neighbours);
        assert!([1000, -1].contains(&get(MI_OPTION_PURGE_DELAY)), "{}", get(MI_OPTION_PURGE_DELAY));
        keep_freed_memory();
        assert_eq!(get(MI_OPTION_PURGE_DELAY), -1);
    }

    #[test]
    fn prefetching_for_write_never_faults_and_changes_nothing() {
        let mut value = [7u8; 200];
        prefetch_for_write(&value);
        prefetch_for_write(std::ptr::null::<[u8; 4096]>());
        // An address in no mapping (the top of the lower half, never mapped by Linux).
        prefetch_for_write((0x7fff_ffff_f000usize) as *const [u64; 64]);
        prefetch_for_write(&());
        assert_eq!(value, [7u8; 200]);
        value[0] = 1;
        assert_eq!(value[0], 1);
    }

    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    #[test]
    fn the_prefetchw_check_agrees_with_the_kernel() {
        let Ok(cpuinfo) = std::fs::read_to_string("/proc/cpuinfo") else { return };
        let Some(flags) = cpuinfo.lines().find(|line| line.starts_with("flags")) else { return };
        // The kernel names CPUID 0x8000_0001 ECX bit 8 `3dnowprefetch`.
        assert_eq!(has_prefetchw(), flags.split_whitespace().any(|flag| flag == "3dnowprefetch"), "{flags}");
    }

    #[test]
    fn populating_faults_every_page_in_and_changes_no_byte() {
        std::thread::spawn(|| {
            let Some(_) = thread_page_faults() else { return }; // not on this system
            const PAGES: usize = 64;
            // SAFETY: a fresh private anonymous mapping (no page faulted in yet), unmapped below.
            let mapping = unsafe {
                let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
                libc::mmap(std::ptr::null_mut(), PAGES * PAGE, libc::PROT_READ | libc::PROT_WRITE, flags, -1, 0)
            };
            assert_ne!(mapping, libc::MAP_FAILED);
            // SAFETY: inside the mapping; neither end on a page boundary.
            let memory = unsafe { std::slice::from_raw_parts_mut(mapping.cast::<u8>().add(100), PAGES * PAGE - 200) };
            memory[..8 * PAGE].iter_mut().enumerate().for_each(|(n, byte)| *byte = n as u8);
            let before = thread_page_faults().unwrap();
            // SAFETY: a `u8` is a valid `MaybeUninit<u8>`.
            populate(unsafe { &mut *(memory as *mut [u8] as *mut [MaybeUninit<u8>]) });
            let populating = thread_page_faults().unwrap() - before;
            assert!(memory[..8 * PAGE].iter().enumerate().all(|(n, &byte)| byte == n as u8));
            // SAFETY: a byte of `memory` (a volatile write, which the compiler keeps).
            memory.iter_mut().step_by(PAGE).for_each(|byte| unsafe { std::ptr::write_volatile(byte, 1) });
            let writing = thread_page_faults().unwrap() - before - populating;
            assert!(populating >= (PAGES - 8) as u64 / 2, "populating faulted {populating} pages in");
            assert!(writing <= 2, "writing after populating faulted {writing} times");
            // SAFETY: the mapping made above, no longer used.
            assert_eq!(unsafe { libc::munmap(mapping, PAGES * PAGE) }, 0);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn prefaulting_stays_within_three_quarters_of_free_memory() {
        let gib = 1 << 30;
        assert_eq!(prefault_limit(gib, Some(8 * gib)), gib, "within the limit: all of it");
        assert_eq!(prefault_limit(usize::MAX, Some(8 * gib)), 6 * gib);
        assert_eq!(prefault_limit(usize::MAX, Some(CHUNK + 1)), 0, "whole MiB only");
        assert_eq!(prefault_limit(gib, None), gib, "unknown: as asked");
        assert!(free_memory().is_some_and(|free| free > 0) || !cfg!(target_os = "linux"));
    }

    #[test]
    fn prefaulting_touches_every_page() {
        std::thread::spawn(|| {
            let Some(before) = thread_page_faults() else { return }; // not on this system
            let done = prefault(64 * CHUNK - 1);
            assert_eq!(done.bytes, 64 * CHUNK);
            let faults = thread_page_faults().unwrap() - before;
            // 16,384 pages of 4 KiB (other tests' freed memory may serve a few MiB of them),
            // unless transparent huge pages back them (32 of 2 MiB).
            let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
            let pages = if thp.is_ok_and(|mode| mode.contains("[always]")) { 32 } else { 16384 / 2 };
            assert!(faults >= pages, "{faults}");
        })
        .join()
        .unwrap();
    }
}
