//! [`GrowingIndex`]: an insertion-ordered map for state that only grows (every order the
//! engine ever saw), without the pause of an all-at-once resize.
//!
//! An `IndexMap` keeps its entries in one `Vec` and its index in one hash table, and each is
//! reallocated and copied (or rehashed) whole when full. In `blotter bench engine` that
//! stalled the engine 9 ms at 57k orders and 28 ms at 115k, each stall twice the last, and
//! every input queued behind a stall waited it out. Here the entries live in a
//! [`ChunkedVec`] (chunks that never move once full), and the hash index (griddle's) moves a
//! few slots per insert while it grows: no insert does more than a bounded amount of work.
//!
//! The index holds no keys: a slot is a 32-bit fingerprint of the key's hash and the entry's
//! position (8 bytes, where the key and a `usize` took 32), and a probe whose fingerprint
//! matches compares the key in the entry. A replay looks an order up for every event, at
//! random in a table of every order: a quarter of the bytes keeps more of it in cache. The
//! keys inserted last are found first in a small array of their slots ([`Recent`]), without
//! the table: an order's events come soon after its creation.
//!
//! Iteration, equality and serialization follow insertion order (never the hash table's):
//! it serializes exactly as an `IndexMap` with the same insertions does.

use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

use griddle::hash_map::RawEntryMut;
use rustc_hash::FxBuildHasher;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::chunked::ChunkedVec;

/// An insertion-ordered map whose inserts each do bounded work (see the module docs).
pub struct GrowingIndex<K, V> {
    /// The entries in insertion order.
    entries: ChunkedVec<(K, V)>,
    /// Each key's position in insertion order, found by the key's hash (see [`Slot`]).
    /// Only [`Slot::table_hash`] hashes it: the map's own hasher is never used.
    positions: griddle::HashMap<Slot, (), FxBuildHasher>,
    /// The slots of the keys inserted last, by their fingerprint's low bits (a later key
    /// takes an earlier one's place). See [`Recent`].
    recent: Box<Recent>,
}

/// How many recently inserted keys a [`GrowingIndex`] finds without its hash table.
const RECENT: usize = 256;

/// The recently inserted keys' slots. Most lookups are of a key inserted shortly before
/// (an order's events follow its creation within tens of events), and these 2 KiB stay in
/// cache, where a key's slot in the table and the slot's control bytes are a random line
/// each of megabytes: perf put 39% of the lookup's samples on those two loads. Never stale:
/// a slot found here counts only if the entry it names holds the key, and keys are unique.
type Recent = [Slot; RECENT];

/// A slot naming no entry.
const NO_SLOT: Slot = Slot { fingerprint: 0, position: u32::MAX };

/// One key in the hash index: its position, and a fingerprint of its hash that rules out
/// most other keys without reading their entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    fingerprint: u32,
    position: u32,
}

impl Slot {
    /// The table's hash of the slot, rebuilt from the fingerprint when the table grows (so a
    /// move reads no entry). The odd multiplier spreads the fingerprint's 32 bits over the
    /// 64: the table takes its bucket from the low bits and its tag from the top seven.
    fn table_hash(self) -> u64 {
        spread(self.fingerprint)
    }
}

/// griddle's `Clone` asks for it; the index itself hashes through [`Slot::table_hash`] only.
impl Hash for Slot {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.table_hash());
    }
}

fn spread(fingerprint: u32) -> u64 {
    u64::from(fingerprint).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn fingerprint<K: Hash>(key: &K) -> u32 {
    let hash = FxBuildHasher.hash_one(key);
    (hash ^ (hash >> 32)) as u32
}

/// Whether a slot is `key`'s (its fingerprint is `fingerprint`): the fingerprint rules out
/// most other slots, and the key in the entry the slot names decides.
fn slot_of<'a, K: Eq, V>(entries: &'a ChunkedVec<(K, V)>, fingerprint: u32, key: &'a K) -> impl Fn(&Slot) -> bool + 'a {
    move |slot| slot.fingerprint == fingerprint && entries.get(slot.position as usize).is_some_and(|(k, _)| k == key)
}

/// Where a key of this fingerprint sits in [`Recent`].
fn recent_index(fingerprint: u32) -> usize {
    fingerprint as usize % RECENT
}

/// A position as a slot holds it. Entries are hundreds of bytes (an order 704), so 2³²
/// of them would need terabytes of memory: reaching the bound is a broken invariant.
fn slot_position(position: usize) -> u32 {
    u32::try_from(position).expect("fewer than 2^32 entries")
}

impl<K: Hash + Clone, V: Clone> Clone for GrowingIndex<K, V> {
    fn clone(&self) -> Self {
        GrowingIndex { entries: self.entries.clone(), positions: self.positions.clone(), recent: self.recent.clone() }
    }
}

impl<K, V> Default for GrowingIndex<K, V> {
    fn default() -> Self {
        GrowingIndex {
            entries: ChunkedVec::default(),
            positions: griddle::HashMap::default(),
            recent: Box::new([NO_SLOT; RECENT]),
        }
    }
}

impl<K: Hash + Eq + Clone, V> GrowingIndex<K, V> {
    pub fn new() -> Self {
        GrowingIndex::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The position of `key`.
    fn position_of(&self, key: &K) -> Option<usize> {
        let fingerprint = fingerprint(key);
        let is_key = slot_of(&self.entries, fingerprint, key);
        let recent = self.recent[recent_index(fingerprint)];
        if is_key(&recent) {
            return Some(recent.position as usize);
        }
        let (slot, ()) = self.positions.raw_entry().from_hash(spread(fingerprint), is_key)?;
        Some(slot.position as usize)
    }

    /// The position of `key` and its value.
    pub fn get_full(&self, key: &K) -> Option<(usize, &V)> {
        let position = self.position_of(key)?;
        Some((position, &self[position]))
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.get_full(key).map(|(_, value)| value)
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let position = self.position_of(key)?;
        self.get_index_mut(position)
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.position_of(key).is_some()
    }

    pub fn get_index(&self, position: usize) -> Option<&V> {
        self.entries.get(position).map(|(_, value)| value)
    }

    pub fn get_index_mut(&mut self, position: usize) -> Option<&mut V> {
        self.entries.get_mut(position).map(|(_, value)| value)
    }

    /// Removes the last entry.
    pub fn pop(&mut self) -> Option<(K, V)> {
        let last = slot_position(self.entries.len().checked_sub(1)?);
        let fingerprint = fingerprint(&self.entries.get(last as usize)?.0);
        let is_last = |slot: &Slot| slot.position == last;
        match self.positions.raw_entry_mut().from_hash(spread(fingerprint), is_last) {
            RawEntryMut::Occupied(slot) => {
                slot.remove();
            }
            RawEntryMut::Vacant(_) => unreachable!("the index names every entry's position"),
        }
        self.entries.pop()
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.entries.iter().map(|(key, value)| (key, value))
    }

    /// Values in insertion order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.entries.iter().map(|(_, value)| value)
    }
}

/// Inserting needs the entries to be `Send`: the next chunk is made on another thread.
impl<K: Hash + Eq + Clone + Send + 'static, V: Send + 'static> GrowingIndex<K, V> {
    /// The position of `key`, and whether it is new: a new key goes last with the value
    /// `make` returns ([`ChunkedVec::push_with`]: fewer copies of a large value); an
    /// existing one keeps its value and `make` is not called.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> (usize, bool) {
        let fingerprint = fingerprint(&key);
        let is_key = slot_of(&self.entries, fingerprint, &key);
        match self.positions.raw_entry_mut().from_hash(spread(fingerprint), is_key) {
            RawEntryMut::Occupied(slot) => (slot.key().position as usize, false),
            RawEntryMut::Vacant(vacant) => {
                let position = self.entries.len();
                let slot = Slot { fingerprint, position: slot_position(position) };
                vacant.insert_with_hasher(slot.table_hash(), slot, (), |slot| slot.table_hash());
                self.entries.push_with(|| (key, make()));
                self.recent[recent_index(fingerprint)] = slot;
                (position, true)
            }
        }
    }

    /// Inserts `value` under `key`: a new key goes last; an existing one keeps its position
    /// and its old value is returned (as `IndexMap::insert_full`).
    pub fn insert_full(&mut self, key: K, value: V) -> (usize, Option<V>) {
        let mut value = Some(value);
        let (position, _) = self.get_or_insert_with(key, || value.take().expect("made once"));
        // Still here: the key existed, and its value is replaced.
        (position, value.map(|value| std::mem::replace(&mut self[position], value)))
    }
}

impl<K: Hash + Eq + Clone, V> Index<usize> for GrowingIndex<K, V> {
    type Output = V;

    fn index(&self, position: usize) -> &V {
        self.get_index(position).unwrap_or_else(|| panic!("position {position} out of {} entries", self.len()))
    }
}

impl<K: Hash + Eq + Clone, V> IndexMut<usize> for GrowingIndex<K, V> {
    fn index_mut(&mut self, position: usize) -> &mut V {
        let len = self.len();
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
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<K: Hash + Eq + Clone, V: Eq> Eq for GrowingIndex<K, V> {}

/// A map, in insertion order.
impl<K: Hash + Eq + Clone + Serialize, V: Serialize> Serialize for GrowingIndex<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        // The length up front: a binary map needs it, and a flattened iterator cannot tell.
        let mut map = serializer.serialize_map(Some(self.len()))?;
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
        GetOrInsert(u16, u32),
        Get(u16),
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u16..3000, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            2 => (0u16..3000, any::<u32>()).prop_map(|(k, v)| Op::GetOrInsert(k, v)),
            3 => (0u16..3000).prop_map(Op::Get),
            1 => Just(Op::Pop)
        ]
    }

    /// A key whose hash is one of four values: most keys share a fingerprint, so lookups
    /// must tell them apart by the key itself.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    struct Colliding(u16);

    impl Hash for Colliding {
        fn hash<H: Hasher>(&self, state: &mut H) {
            state.write_u16(self.0 % 4);
        }
    }

    /// Runs `ops` on a `GrowingIndex` and an `IndexMap`, keys made by `key`, checking that
    /// every result and the final contents agree.
    fn same_as_index_map<K>(ops: &[Op], key: impl Fn(u16) -> K) -> Result<GrowingIndex<K, u32>, TestCaseError>
    where
        K: Hash + Eq + Clone + Send + fmt::Debug + 'static,
    {
        let mut ours = GrowingIndex::new();
        let mut model: IndexMap<K, u32> = IndexMap::new();
        for op in ops {
            match *op {
                Op::Insert(k, v) => {
                    let (position, old) = ours.insert_full(key(k), v);
                    prop_assert_eq!((position, old), model.insert_full(key(k), v));
                }
                Op::GetOrInsert(k, v) => {
                    let mut made = false;
                    let (position, new) = ours.get_or_insert_with(key(k), || {
                        made = true;
                        v
                    });
                    let expected = match model.get_index_of(&key(k)) {
                        Some(position) => (position, false),
                        None => (model.insert_full(key(k), v).0, true),
                    };
                    prop_assert_eq!((position, new), expected);
                    prop_assert_eq!(made, new, "the value is made only for a new key");
                }
                // Between inserts and pops: a recent slot may name a popped entry, or one
                // that another key took since.
                Op::Get(k) => prop_assert_eq!(ours.get_full(&key(k)), model.get_full(&key(k)).map(|(i, _, v)| (i, v))),
                Op::Pop => prop_assert_eq!(ours.pop(), model.pop()),
            }
            prop_assert_eq!(ours.len(), model.len());
        }
        prop_assert!(ours.iter().eq(model.iter()));
        for (position, (k, v)) in model.iter().enumerate() {
            prop_assert_eq!(ours.get_full(k), Some((position, v)));
            prop_assert!(ours.contains_key(k));
            prop_assert_eq!(&ours[position], v);
        }
        prop_assert_eq!(ours.get(&key(u16::MAX)), None);
        Ok(ours)
    }

    proptest! {
        /// Behaves as an `IndexMap` under the same inserts and pops (across chunk bounds), and
        /// serializes to the same bytes.
        #[test]
        fn behaves_and_serializes_as_an_index_map(ops in prop::collection::vec(op(), 0..4000)) {
            let ours = same_as_index_map(&ops, |k| k)?;
            let model: IndexMap<u16, u32> = ours.iter().map(|(k, v)| (*k, *v)).collect();
            let config = bincode::config::standard();
            let bytes = bincode::serde::encode_to_vec(&ours, config).unwrap();
            prop_assert_eq!(&bytes, &bincode::serde::encode_to_vec(&model, config).unwrap());
            let (back, _): (GrowingIndex<u16, u32>, usize) = bincode::serde::decode_from_slice(&bytes, config).unwrap();
            prop_assert_eq!(back, ours);
        }

        /// Keys whose hashes collide are still told apart, inserted, found and popped.
        #[test]
        fn keys_with_colliding_hashes_are_told_apart(ops in prop::collection::vec(op(), 0..1500)) {
            same_as_index_map(&ops, Colliding)?;
        }
    }
}
