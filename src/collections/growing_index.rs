//! [`GrowingIndex`]: an insertion-ordered map for state that only grows (every order the
//! engine ever saw), without the pause of an all-at-once resize.
//!
//! An `IndexMap` keeps its entries in one `Vec` and its index in one hash table, and each is
//! reallocated and copied (or rehashed) whole when full. In `blotter bench engine` that
//! stalled the engine 9 ms at 57k orders and 28 ms at 115k, each stall twice the last, and
//! every input queued behind a stall waited it out. Here the entries live in chunks of at
//! most [`CHUNK`] that never move once full, and the hash index (griddle's) moves a few keys
//! per insert while it grows: no insert does more than a bounded amount of work.
//!
//! Iteration, equality and serialization follow insertion order (never the hash table's):
//! it serializes exactly as an `IndexMap` with the same insertions does.

use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

use rustc_hash::FxBuildHasher;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ahead::Ahead;

/// Most entries in one chunk. Only the first chunk grows like a `Vec` (up to this), so the
/// largest copy an insert can make is half a chunk, once.
pub const CHUNK: usize = 1024;

/// An insertion-ordered map whose inserts each do bounded work (see the module docs).
pub struct GrowingIndex<K, V> {
    /// Every chunk but the last holds exactly [`CHUNK`] entries; the last is not empty.
    chunks: Vec<Vec<(K, V)>>,
    len: usize,
    /// Each key's position in insertion order.
    positions: griddle::HashMap<K, usize, FxBuildHasher>,
    /// The next chunk, asked for halfway through the last one (see [`Ahead`]).
    ahead: Ahead<(K, V)>,
}

impl<K: Hash + Clone, V: Clone> Clone for GrowingIndex<K, V> {
    fn clone(&self) -> Self {
        let ahead = Ahead::default();
        GrowingIndex { chunks: self.chunks.clone(), len: self.len, positions: self.positions.clone(), ahead }
    }
}

impl<K, V> Default for GrowingIndex<K, V> {
    fn default() -> Self {
        GrowingIndex { chunks: Vec::new(), len: 0, positions: griddle::HashMap::default(), ahead: Ahead::default() }
    }
}

impl<K: Hash + Eq + Clone, V> GrowingIndex<K, V> {
    pub fn new() -> Self {
        GrowingIndex::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The position of `key` and its value.
    pub fn get_full(&self, key: &K) -> Option<(usize, &V)> {
        let position = *self.positions.get(key)?;
        Some((position, &self[position]))
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.get_full(key).map(|(_, value)| value)
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let position = *self.positions.get(key)?;
        self.get_index_mut(position)
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.positions.contains_key(key)
    }

    pub fn get_index(&self, position: usize) -> Option<&V> {
        let (chunk, offset) = locate(position);
        self.chunks.get(chunk)?.get(offset).map(|(_, value)| value)
    }

    pub fn get_index_mut(&mut self, position: usize) -> Option<&mut V> {
        let (chunk, offset) = locate(position);
        self.chunks.get_mut(chunk)?.get_mut(offset).map(|(_, value)| value)
    }

    /// Removes the last entry.
    pub fn pop(&mut self) -> Option<(K, V)> {
        let chunk = self.chunks.last_mut()?;
        let (key, value) = chunk.pop().expect("the last chunk is not empty");
        if chunk.is_empty() {
            self.chunks.pop();
        }
        self.len -= 1;
        let position = self.positions.remove(&key);
        debug_assert_eq!(position, Some(self.len), "the index names the last entry's position");
        Some((key, value))
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.chunks.iter().flatten().map(|(key, value)| (key, value))
    }

    /// Values in insertion order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.chunks.iter().flatten().map(|(_, value)| value)
    }
}

/// Inserting needs the entries to be `Send`: the next chunk is made on another thread.
impl<K: Hash + Eq + Clone + Send + 'static, V: Send + 'static> GrowingIndex<K, V> {
    /// Inserts `value` under `key`: a new key goes last; an existing one keeps its position
    /// and its old value is returned (as `IndexMap::insert_full`).
    pub fn insert_full(&mut self, key: K, value: V) -> (usize, Option<V>) {
        // One probe for a new key (the usual case); an existing one is put back.
        let position = self.len;
        match self.positions.insert(key.clone(), position) {
            None => {
                self.push_entry(key, value);
                (position, None)
            }
            Some(existing) => {
                self.positions.insert(key, existing);
                (existing, Some(std::mem::replace(&mut self[existing], value)))
            }
        }
    }

    fn push_entry(&mut self, key: K, value: V) {
        if self.chunks.last().is_none_or(|chunk| chunk.len() == CHUNK) {
            // A later chunk made ahead if it is ready; else it is allocated below.
            let next = if self.chunks.is_empty() { None } else { self.ahead.take() };
            self.chunks.push(next.unwrap_or_default());
        }
        let first = self.chunks.len() == 1;
        let chunk = self.chunks.last_mut().expect("a chunk with room");
        if chunk.len() == chunk.capacity() {
            // The first chunk doubles (a small map stays small); later ones are made whole,
            // so entries are copied only while the map is small. None grows past CHUNK.
            let wanted = if first { (2 * chunk.len()).clamp(4, CHUNK) } else { CHUNK };
            chunk.reserve_exact(wanted - chunk.len());
        }
        chunk.push((key, value));
        if chunk.len() == CHUNK / 2 {
            // If the background thread is busy, the next chunk is allocated when needed.
            let _ = self.ahead.request(CHUNK);
        }
        self.len += 1;
        debug_assert!(self.chunks.iter().rev().skip(1).all(|chunk| chunk.len() == CHUNK));
    }
}

/// Which chunk holds `position`, and where in it.
fn locate(position: usize) -> (usize, usize) {
    (position / CHUNK, position % CHUNK)
}

impl<K: Hash + Eq + Clone, V> Index<usize> for GrowingIndex<K, V> {
    type Output = V;

    fn index(&self, position: usize) -> &V {
        self.get_index(position).unwrap_or_else(|| panic!("position {position} out of {} entries", self.len))
    }
}

impl<K: Hash + Eq + Clone, V> IndexMut<usize> for GrowingIndex<K, V> {
    fn index_mut(&mut self, position: usize) -> &mut V {
        let len = self.len;
        self.get_index_mut(position).unwrap_or_else(|| panic!("position {position} out of {len} entries"))
    }
}

impl<K: Hash + Eq + Clone + fmt::Debug, V: fmt::Debug> fmt::Debug for GrowingIndex<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Equal entries in the same order.
impl<K: Hash + Eq + Clone, V: PartialEq> PartialEq for GrowingIndex<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<K: Hash + Eq + Clone, V: Eq> Eq for GrowingIndex<K, V> {}

/// A map, in insertion order.
impl<K: Hash + Eq + Clone + Serialize, V: Serialize> Serialize for GrowingIndex<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        // The length up front: a binary map needs it, and a flattened iterator cannot tell.
        let mut map = serializer.serialize_map(Some(self.len))?;
        for (key, value) in self.iter() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, K, V> Deserialize<'de> for GrowingIndex<K, V>
where
    K: Hash + Eq + Clone + Send + 'static + Deserialize<'de>,
    V: Send + 'static + Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K, V> Visitor<'de> for Entries<K, V>
        where
            K: Hash + Eq + Clone + Send + 'static + Deserialize<'de>,
            V: Send + 'static + Deserialize<'de>,
        {
            type Value = GrowingIndex<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut index = GrowingIndex::new();
                while let Some((key, value)) = map.next_entry()? {
                    index.insert_full(key, value);
                }
                Ok(index)
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16, u32),
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![4 => (0u16..3000, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)), 1 => Just(Op::Pop)]
    }

    proptest! {
        /// Behaves as an `IndexMap` under the same inserts and pops (across chunk bounds), and
        /// serializes to the same bytes.
        #[test]
        fn behaves_and_serializes_as_an_index_map(ops in prop::collection::vec(op(), 0..4000)) {
            let mut ours = GrowingIndex::new();
            let mut model: IndexMap<u16, u32> = IndexMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        let (position, old) = ours.insert_full(k, v);
                        prop_assert_eq!((position, old), model.insert_full(k, v));
                    }
                    Op::Pop => prop_assert_eq!(ours.pop(), model.pop()),
                }
                prop_assert_eq!(ours.len(), model.len());
            }
            prop_assert!(ours.iter().eq(model.iter()));
            for (position, (k, v)) in model.iter().enumerate() {
                prop_assert_eq!(ours.get_full(k), Some((position, v)));
                prop_assert_eq!(&ours[position], v);
            }
            prop_assert_eq!(ours.get(&u16::MAX), None);
            let config = bincode::config::standard();
            let bytes = bincode::serde::encode_to_vec(&ours, config).unwrap();
            prop_assert_eq!(&bytes, &bincode::serde::encode_to_vec(&model, config).unwrap());
            let (back, _): (GrowingIndex<u16, u32>, usize) = bincode::serde::decode_from_slice(&bytes, config).unwrap();
            prop_assert_eq!(back, ours);
        }
    }

    #[test]
    fn full_chunks_never_grow_or_move() {
        let mut index = GrowingIndex::new();
        for i in 0..(3 * CHUNK + 5) {
            index.insert_full(i, i);
        }
        let first = &index[0] as *const usize;
        for i in 0..CHUNK {
            index.insert_full(usize::MAX - i, 0);
        }
        assert_eq!(first, &index[0] as *const usize, "a full chunk moved");
        assert!(index.chunks.iter().all(|chunk| chunk.capacity() <= CHUNK), "a chunk grew past CHUNK");
        assert_eq!(index.chunks.len(), 5);
        *index.get_mut(&7).unwrap() = 70;
        assert_eq!(index.get(&7), Some(&70));
    }

    #[test]
    fn the_next_chunk_is_the_one_made_ahead() {
        let mut index = GrowingIndex::new();
        for i in 0..(CHUNK + CHUNK / 2) {
            index.insert_full(i, [i; 8]);
        }
        // Asked for halfway through, unless the shared background thread was busy (other
        // tests use it too): then asked again here.
        crate::collections::ahead::tests::requested(&mut index.ahead, CHUNK);
        let made = index.ahead.wait(std::time::Duration::from_secs(10)).expect("made");
        for i in 0..CHUNK {
            index.insert_full(CHUNK * 2 + i, [i; 8]);
        }
        assert_eq!(index.chunks[2].as_ptr(), made);
        assert_eq!(index.chunks[2].capacity(), CHUNK);
        assert_eq!(index.get(&(CHUNK * 2 + 5)), Some(&[5; 8]));
    }
}
