//! [`ChunkedVec`]: a `Vec` for state that only grows, without the pause of an all-at-once
//! resize.
//!
//! A `Vec` that is full reallocates and copies everything it holds: the copy doubles each
//! time, and whatever waits behind the push waits it out. Here elements live in chunks of at
//! most [`CHUNK`] that never move once full; only the first chunk grows like a `Vec` (so a
//! small one stays small), and later ones are allocated whole, the next one ahead of need on
//! a background thread ([`Ahead`]). No push copies more than half a chunk, and that once.
//!
//! Iteration, equality and serialization follow push order: it serializes exactly as a
//! `Vec` with the same elements does.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ahead::Ahead;

/// Most elements in one chunk.
pub const CHUNK: usize = 1024;

/// A push-ordered sequence whose pushes each do bounded work (see the module docs).
pub struct ChunkedVec<T> {
    /// Every chunk but the last holds exactly [`CHUNK`] elements; the last is not empty.
    chunks: Vec<Vec<T>>,
    len: usize,
    /// The next chunk, asked for as soon as the last one starts (halfway through the first).
    ahead: Ahead<T>,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec { chunks: Vec::new(), len: 0, ahead: Ahead::default() }
    }
}

impl<T: Clone> Clone for ChunkedVec<T> {
    fn clone(&self) -> Self {
        ChunkedVec { chunks: self.chunks.clone(), len: self.len, ahead: Ahead::default() }
    }
}

impl<T> ChunkedVec<T> {
    pub fn new() -> Self {
        ChunkedVec::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, position: usize) -> Option<&T> {
        let (chunk, offset) = locate(position);
        self.chunks.get(chunk)?.get(offset)
    }

    pub fn get_mut(&mut self, position: usize) -> Option<&mut T> {
        let (chunk, offset) = locate(position);
        self.chunks.get_mut(chunk)?.get_mut(offset)
    }

    /// Removes the last element.
    pub fn pop(&mut self) -> Option<T> {
        let chunk = self.chunks.last_mut()?;
        let last = chunk.pop().expect("the last chunk is not empty");
        if chunk.is_empty() {
            self.chunks.pop();
        }
        self.len -= 1;
        Some(last)
    }

    /// Elements in push order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.chunks.iter().flatten()
    }
}

/// Pushing needs the elements to be `Send`: the next chunk is made on another thread.
impl<T: Send + 'static> ChunkedVec<T> {
    /// Appends `value`; returns its position.
    #[inline]
    pub fn push(&mut self, value: T) -> usize {
        self.push_with(|| value)
    }

    /// Appends the value `make` returns; returns its position. Made here, not by the caller
    /// and passed down: a new ~700-byte order took four copies on its way into its chunk
    /// that way, two this way (callgrind: 1.6% of a replay's fold instructions). Inlined: as
    /// a call, a replay's fold took ~11 instructions an event more.
    #[inline]
    pub fn push_with(&mut self, make: impl FnOnce() -> T) -> usize {
        if self.chunks.last().is_none_or(|chunk| chunk.len() == CHUNK) {
            // A later chunk made ahead if it is ready; else it is allocated below.
            let next = if self.chunks.is_empty() { None } else { self.ahead.take() };
            self.chunks.push(next.unwrap_or_default());
        }
        let first = self.chunks.len() == 1;
        let chunk = self.chunks.last_mut().expect("a chunk with room");
        if chunk.len() == chunk.capacity() {
            // The first chunk doubles (a small sequence stays small); later ones are made
            // whole, so elements are copied only while the sequence is small. None grows
            // past CHUNK.
            let wanted = if first { (2 * chunk.len()).clamp(4, CHUNK) } else { CHUNK };
            chunk.reserve_exact(wanted - chunk.len());
        }
        chunk.push(make());
        // The next element's slot, asked for now so that its cache lines are here, owned,
        // when it is written: a chunk is fresh memory the background thread faulted in, and
        // a new order's first writes there (~700 bytes) were most of the fold's copying
        // (perf). Stage fold 205-220 -> 192-205 ns an event (9 alternating pairs).
        if let Some(next) = chunk.spare_capacity_mut().first() {
            crate::memory::prefetch_for_write(next.as_ptr());
        }
        if chunk.len() == if first { CHUNK / 2 } else { 1 } {
            // As early as possible: on two busy cores the background thread may wait for a
            // CPU, and a chunk not ready in time is allocated and faulted in by the caller.
            // Asked for halfway through each chunk instead, a cold replay's folding thread
            // faulted ~1.7k more pages, and stage fold was 202-212 ns an event against
            // 193-215 (lower in 8 of 9 alternating pairs; `replay_eps` medians 3.06M
            // against 3.22M). If the background thread is busy, the next chunk is allocated
            // when needed.
            let _ = self.ahead.request(CHUNK);
        }
        self.len += 1;
        debug_assert!(self.chunks.iter().rev().skip(1).all(|chunk| chunk.len() == CHUNK));
        self.len - 1
    }
}

/// Which chunk holds `position`, and where in it.
fn locate(position: usize) -> (usize, usize) {
    (position / CHUNK, position % CHUNK)
}

impl<T> Index<usize> for ChunkedVec<T> {
    type Output = T;

    fn index(&self, position: usize) -> &T {
        self.get(position).unwrap_or_else(|| panic!("position {position} out of {} elements", self.len))
    }
}

impl<T> IndexMut<usize> for ChunkedVec<T> {
    fn index_mut(&mut self, position: usize) -> &mut T {
        let len = self.len;
        self.get_mut(position).unwrap_or_else(|| panic!("position {position} out of {len} elements"))
    }
}

impl<T: fmt::Debug> fmt::Debug for ChunkedVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Equal elements in the same order.
impl<T: PartialEq> PartialEq for ChunkedVec<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for ChunkedVec<T> {}

/// A sequence, in push order: the bytes of a `Vec`.
impl<T: Serialize> Serialize for ChunkedVec<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        // The length up front: a binary sequence needs it, and a flattened iterator cannot tell.
        let mut seq = serializer.serialize_seq(Some(self.len))?;
        for element in self.iter() {
            seq.serialize_element(element)?;
        }
        seq.end()
    }
}

impl<'de, T: Send + 'static + Deserialize<'de>> Deserialize<'de> for ChunkedVec<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Elements<T>(PhantomData<T>);
        impl<'de, T: Send + 'static + Deserialize<'de>> Visitor<'de> for Elements<T> {
            type Value = ChunkedVec<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut elements = ChunkedVec::new();
                while let Some(element) = seq.next_element()? {
                    elements.push(element);
                }
                Ok(elements)
            }
        }
        deserializer.deserialize_seq(Elements(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Behaves as a `Vec` under the same pushes and pops (across chunk bounds), and
        /// serializes to the same bytes (bincode and JSON).
        #[test]
        fn behaves_and_serializes_as_a_vec(ops in prop::collection::vec(prop::option::weighted(0.8, any::<u32>()), 0..4000)) {
            let mut ours = ChunkedVec::new();
            let mut model: Vec<u32> = Vec::new();
            for op in ops {
                match op {
                    Some(v) => prop_assert_eq!(ours.push(v), { model.push(v); model.len() - 1 }),
                    None => prop_assert_eq!(ours.pop(), model.pop()),
                }
                prop_assert_eq!(ours.len(), model.len());
            }
            prop_assert!(ours.iter().eq(model.iter()));
            for (position, v) in model.iter().enumerate() {
                prop_assert_eq!(ours.get(position), Some(v));
                prop_assert_eq!(&ours[position], v);
            }
            prop_assert_eq!(ours.get(model.len()), None);
            let config = bincode::config::standard();
            let bytes = bincode::serde::encode_to_vec(&ours, config).unwrap();
            prop_assert_eq!(&bytes, &bincode::serde::encode_to_vec(&model, config).unwrap());
            let (back, _): (ChunkedVec<u32>, usize) = bincode::serde::decode_from_slice(&bytes, config).unwrap();
            prop_assert_eq!(&back, &ours);
            prop_assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&model).unwrap());
        }
    }

    #[test]
    fn full_chunks_never_grow_or_move() {
        let mut elements = ChunkedVec::new();
        for i in 0..(3 * CHUNK + 5) {
            elements.push(i);
        }
        let first = &elements[0] as *const usize;
        for i in 0..CHUNK {
            elements.push(i);
        }
        assert_eq!(first, &elements[0] as *const usize, "a full chunk moved");
        assert!(elements.chunks.iter().all(|chunk| chunk.capacity() <= CHUNK), "a chunk grew past CHUNK");
        assert_eq!(elements.chunks.len(), 5);
        elements[7] = 70;
        assert_eq!(elements.get(7), Some(&70));
    }

    #[test]
    fn the_next_chunk_is_the_one_made_ahead() {
        let mut elements = ChunkedVec::new();
        for i in 0..(CHUNK + CHUNK / 2) {
            elements.push([i; 8]);
        }
        // Asked for when the second chunk started, unless the shared background thread was
        // busy (other tests use it too): then asked again here.
        crate::collections::ahead::tests::requested(&mut elements.ahead, CHUNK);
        let made = elements.ahead.wait(std::time::Duration::from_secs(10)).expect("made");
        for i in 0..CHUNK {
            elements.push([i; 8]);
        }
        assert_eq!(elements.chunks[2].as_ptr(), made);
        assert_eq!(elements.chunks[2].capacity(), CHUNK);
        assert_eq!(elements.get(CHUNK + CHUNK / 2 + 5), Some(&[5; 8]));
    }

    #[test]
    fn a_later_chunk_asks_for_the_next_as_soon_as_it_starts() {
        let mut elements = ChunkedVec::new();
        for i in 0..CHUNK {
            elements.push([i; 8]);
        }
        // The second chunk, asked for halfway through the first, is ready; the next push
        // takes it and, holding one element, asks for the third (the queue of 16 requests
        // is never full in these tests).
        assert!(elements.ahead.wait(std::time::Duration::from_secs(10)).is_some(), "the second chunk was asked for");
        elements.push([0; 8]);
        assert_eq!(elements.chunks.len(), 2);
        assert!(elements.ahead.wait(std::time::Duration::from_secs(10)).is_some(), "the third chunk was asked for");
    }
}
