//! [`Ahead`]: the next chunk of a growing collection, made ready on a background thread
//! before it is needed.
//!
//! The first write to a freshly allocated page traps into the kernel, which finds, zeroes
//! and charges a page: on this project's 2-vCPU VM, 2–4 µs for each 4 KiB. The OMS keeps
//! every order it ever saw (704 bytes each), so a replay writes its order index into fresh
//! memory all the way through; measured on `bench replay`'s 1M-event journal, those faults
//! were ~20% of the folding thread's time. Here a background thread allocates the chunk
//! and faults its pages in ([`crate::memory::populate`]), so the faults are taken there, on
//! the other core, while the fold goes on.
//!
//! Bounded: one chunk asked for or waiting per collection, one queue of [`QUEUE`] requests
//! for the process. Never waits: when the chunk is not ready (or the thread is busy or
//! could not start) the caller allocates as it would have anyway.

use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Mutex, OnceLock};

/// Requests queued for the background thread; more are not made (the caller allocates).
const QUEUE: usize = 16;

/// One chunk being made, or made, for a collection.
pub struct Ahead<T> {
    state: State<T>,
}

enum State<T> {
    Idle,
    /// In a `Mutex` only so that a collection holding one can be shared between threads
    /// (a `Receiver` is not `Sync`); it is reached through `&mut self`, never locked.
    Making(Mutex<Receiver<Vec<T>>>),
    Ready(Vec<T>),
}

impl<T> Default for Ahead<T> {
    fn default() -> Self {
        Ahead { state: State::Idle }
    }
}

impl<T: Send + 'static> Ahead<T> {
    /// Starts making an empty `Vec` with room for `capacity`, its pages written, unless one
    /// is already being made or waiting. Never blocks. Returns whether one is on its way
    /// (`false`: the background thread is busy or could not start; the caller allocates).
    pub fn request(&mut self, capacity: usize) -> bool {
        if !matches!(self.state, State::Idle) {
            return true;
        }
        let Some(worker) = worker() else { return false };
        let (sender, receiver) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            // The caller may have gone: then the chunk is dropped here.
            let _ = sender.send(faulted_in(capacity));
        });
        let queued = worker.try_send(job).is_ok();
        if queued {
            self.state = State::Making(Mutex::new(receiver));
        }
        queued
    }

    /// The `Vec` asked for, if it is ready; `None` (and still being made) if not. Never waits.
    pub fn take(&mut self) -> Option<Vec<T>> {
        if let State::Making(receiver) = &mut self.state {
            match receiver.get_mut().map_or(Err(TryRecvError::Disconnected), |receiver| receiver.try_recv()) {
                Ok(chunk) => self.state = State::Ready(chunk),
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => self.state = State::Idle,
            }
        }
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Ready(chunk) => Some(chunk),
            _ => None,
        }
    }

    /// Waits (up to `timeout`) until the chunk asked for is ready, and returns where its
    /// storage starts.
    #[cfg(test)]
    pub fn wait(&mut self, timeout: std::time::Duration) -> Option<*const T> {
        if let State::Making(receiver) = &mut self.state {
            self.state = State::Ready(receiver.get_mut().ok()?.recv_timeout(timeout).ok()?);
        }
        match &self.state {
            State::Ready(chunk) => Some(chunk.as_ptr()),
            _ => None,
        }
    }
}

/// An empty `Vec` with room for `capacity`, each of its pages faulted in.
fn faulted_in<T>(capacity: usize) -> Vec<T> {
    let mut chunk = Vec::with_capacity(capacity);
    let spare = chunk.spare_capacity_mut();
    // SAFETY: the spare capacity's bytes, uninitialized either way; `size_of_val` of a
    // zero-sized `T`'s spare room is 0.
    let bytes = unsafe { std::slice::from_raw_parts_mut(spare.as_mut_ptr().cast(), size_of_val(spare)) };
    crate::memory::populate(bytes);
    chunk
}

type Job = Box<dyn FnOnce() + Send>;

/// The process's background thread, started on first use (`None` if it could not start).
fn worker() -> Option<&'static SyncSender<Job>> {
    static WORKER: OnceLock<Option<SyncSender<Job>>> = OnceLock::new();
    WORKER
        .get_or_init(|| {
            let (sender, jobs) = mpsc::sync_channel::<Job>(QUEUE);
            let thread = std::thread::Builder::new().name("blotter-ahead".into());
            thread.spawn(move || jobs.into_iter().for_each(|job| job())).ok()?;
            Some(sender)
        })
        .as_ref()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use super::*;

    /// Asks until the shared background thread takes the request (other tests use it too).
    pub(crate) fn requested<T: Send + 'static>(ahead: &mut Ahead<T>, capacity: usize) {
        for _ in 0..1000 {
            if ahead.request(capacity) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the background thread took no request for 10 s");
    }

    #[test]
    fn a_requested_chunk_arrives_empty_with_its_room_and_only_once() {
        let mut ahead: Ahead<[u64; 100]> = Ahead::default();
        assert!(ahead.take().is_none(), "nothing was asked for");
        requested(&mut ahead, 1000);
        let made = ahead.wait(Duration::from_secs(10)).expect("the chunk is made");
        assert!(ahead.request(5), "one at a time: this changes nothing");
        let chunk = ahead.take().expect("ready");
        assert_eq!((chunk.len(), chunk.capacity(), chunk.as_ptr()), (0, 1000, made));
        assert!(ahead.take().is_none(), "taken once");
    }

    #[test]
    fn zero_sized_and_page_sized_elements_are_made_too() {
        let mut units: Ahead<()> = Ahead::default();
        requested(&mut units, 10);
        assert!(units.wait(Duration::from_secs(10)).is_some());
        let mut pages: Ahead<[u8; 10_000]> = Ahead::default();
        requested(&mut pages, 3);
        assert!(pages.wait(Duration::from_secs(10)).is_some());
        assert_eq!(pages.take().map(|chunk| chunk.capacity()), Some(3));
    }
}
