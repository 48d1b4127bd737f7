//! The orders of a views checkpoint as a table read in place: an order is found by binary
//! search over its client order id and decoded only when asked for, so opening a checkpoint
//! of millions of orders costs nothing per order (issue 3: a 10M-event journal opens with
//! current views in < 300 ms).
//!
//! Layout (integers little-endian, fixed width, so any entry is reached without decoding
//! the others; `n` orders in creation order, "ordinal" = position in that order):
//!
//! ```text
//! n: u64
//! record_ends: [u64; n]   end of each record within `records`
//! key_ends:    [u64; n]   end of each client order id within `keys`
//! by_key:      [u32; n]   ordinals sorted by client order id (bytes)
//! keys:        the client order ids, in ordinal order
//! records:     bincode(OrderView) of each order, in ordinal order
//! ```
//! The whole table is covered by the snapshot file's CRC. [`OrderTable::open`] checks the
//! structure (sizes, monotone ends, ordinals in range) once, so later reads cannot slice out
//! of bounds; a record that still fails to decode is reported and treated as absent.

use std::ops::Range;

use super::OrderView;
use crate::journal::SnapshotData;

/// The most bytes one order's decoding may claim (an order with ~100k fills is ~6 MB).
const RECORD_LIMIT: usize = 1 << 28;
const U64: usize = 8;
const U32: usize = 4;

/// A checkpoint's orders, read in place from the mapped snapshot.
#[derive(Clone)]
pub struct OrderTable {
    data: SnapshotData,
    n: usize,
    record_ends: usize,
    key_ends: usize,
    by_key: usize,
    keys: Range<usize>,
    records: Range<usize>,
}

impl std::fmt::Debug for OrderTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OrderTable({} orders)", self.n)
    }
}

/// The record codec. Bounded: a length prefix inside a record cannot make bincode allocate
/// without limit.
fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<RECORD_LIMIT>()
}

/// One order's record, as [`OrderTable::decode`] reads it.
pub fn encode_order(order: &OrderView) -> Result<Vec<u8>, String> {
    bincode::serde::encode_to_vec(order, config()).map_err(|e| format!("order {}: {e}", order.client_order_id()))
}

/// The table of `orders` (client order id, encoded record; in creation order), as parts to
/// be written one after the other; the first error stops it.
pub fn encode<'a, E>(
    orders: impl Iterator<Item = Result<(&'a [u8], std::borrow::Cow<'a, [u8]>), E>>,
) -> Result<Vec<Vec<u8>>, E> {
    let (mut record_ends, mut key_ends, mut keys, mut records) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut ids: Vec<&[u8]> = Vec::new();
    for order in orders {
        let (id, record) = order?;
        keys.extend_from_slice(id);
        records.extend_from_slice(&record);
        key_ends.extend_from_slice(&(keys.len() as u64).to_le_bytes());
        record_ends.extend_from_slice(&(records.len() as u64).to_le_bytes());
        ids.push(id);
    }
    let mut by_key: Vec<u32> = (0..ids.len() as u32).collect();
    by_key.sort_unstable_by_key(|&ordinal| ids[ordinal as usize]);
    let by_key = by_key.iter().flat_map(|o| o.to_le_bytes()).collect();
    Ok(vec![(ids.len() as u64).to_le_bytes().to_vec(), record_ends, key_ends, by_key, keys, records])
}

impl OrderTable {
    /// The table starting at `start` in `data` and running to its end; checks its structure.
    pub fn open(data: SnapshotData, start: usize) -> Result<OrderTable, String> {
        let bytes = data.get(start..).ok_or("order table starts past the end")?;
        let n = u64::from_le_bytes(bytes.first_chunk::<U64>().ok_or("order table truncated")?.to_owned());
        let n = usize::try_from(n).ok().filter(|n| *n <= u32::MAX as usize).ok_or("order count out of range")?;
        let record_ends = start + U64;
        let key_ends = record_ends + n * U64;
        let by_key = key_ends + n * U64;
        let keys_start = by_key + n * U32;
        if keys_start > data.len() {
            return Err(format!("order table of {n} orders truncated"));
        }
        let mut table =
            OrderTable { data, n, record_ends, key_ends, by_key, keys: keys_start..keys_start, records: 0..0 };
        let keys_len = table.ends_are_monotone(table.key_ends)?;
        table.keys = keys_start..keys_start + keys_len;
        let records_len = table.ends_are_monotone(table.record_ends)?;
        table.records = table.keys.end..table.keys.end + records_len;
        if table.records.end != table.data.len() {
            return Err(format!(
                "order table is {} bytes, its entries say {}",
                table.data.len() - start,
                table.records.end - start
            ));
        }
        if (0..n).any(|i| table.u32_at(table.by_key + i * U32) as usize >= n) {
            return Err("order table key index names an ordinal out of range".into());
        }
        Ok(table)
    }

    /// Checks the `n` ends at `at` never decrease; returns the last (the area's length).
    fn ends_are_monotone(&self, at: usize) -> Result<usize, String> {
        let mut last = 0u64;
        for i in 0..self.n {
            let end = self.u64_at(at + i * U64);
            if end < last {
                return Err(format!("order table entry {i} ends before its predecessor"));
            }
            last = end;
        }
        usize::try_from(last)
            .ok()
            .filter(|len| *len <= self.data.len())
            .ok_or_else(|| "order table area too long".into())
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The ordinal of the order `client_order_id`, if the table has it.
    pub fn ordinal_of(&self, client_order_id: &str) -> Option<u32> {
        let wanted = client_order_id.as_bytes();
        let (mut low, mut high) = (0, self.n);
        while low < high {
            let mid = low + (high - low) / 2;
            let ordinal = self.u32_at(self.by_key + mid * U32);
            match self.key(ordinal).cmp(wanted) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Some(ordinal),
            }
        }
        None
    }

    /// The client order id of order `ordinal`, as stored.
    pub fn key(&self, ordinal: u32) -> &[u8] {
        &self.data[self.area(&self.keys, self.key_ends, ordinal)]
    }

    /// The encoded record of order `ordinal`.
    pub fn record(&self, ordinal: u32) -> &[u8] {
        &self.data[self.area(&self.records, self.record_ends, ordinal)]
    }

    /// Order `ordinal`, decoded; `None` (logged) if its record does not decode.
    pub fn decode(&self, ordinal: u32) -> Option<OrderView> {
        let record = self.record(ordinal);
        match crate::journal::decode_prefix(record, config()) {
            Ok((order, used)) if used == record.len() => Some(order),
            Ok(_) => {
                tracing::error!(ordinal, "a checkpoint order record has trailing bytes; the order is unreadable");
                None
            }
            Err(error) => {
                tracing::error!(ordinal, %error, "a checkpoint order record does not decode; the order is unreadable");
                None
            }
        }
    }

    /// The bytes of entry `ordinal` of an area whose ends are listed at `ends` (checked at
    /// open: within the area and monotone).
    fn area(&self, area: &Range<usize>, ends: usize, ordinal: u32) -> Range<usize> {
        let i = ordinal as usize;
        assert!(i < self.n, "ordinal {i} of {}", self.n);
        let start = if i == 0 { 0 } else { self.u64_at(ends + (i - 1) * U64) as usize };
        let end = self.u64_at(ends + i * U64) as usize;
        area.start + start..area.start + end
    }

    fn u64_at(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.data[at..at + U64].try_into().expect("8 bytes"))
    }

    fn u32_at(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.data[at..at + U32].try_into().expect("4 bytes"))
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn table_of(orders: &[(&str, &[u8])]) -> Vec<u8> {
        let orders = orders.iter().map(|(id, record)| Ok::<_, ()>((id.as_bytes(), Cow::Borrowed(*record))));
        encode(orders).unwrap().concat()
    }

    fn open(bytes: Vec<u8>) -> Result<OrderTable, String> {
        OrderTable::open(SnapshotData::from_vec(bytes), 0)
    }

    #[test]
    fn orders_are_found_by_id_and_read_in_place() {
        let orders: [(&str, &[u8]); 4] = [("o-2", b"two"), ("o-10", b""), ("a", b"first"), ("o-1", b"one!")];
        let table = open(table_of(&orders)).unwrap();
        assert_eq!(table.len(), 4);
        for (ordinal, (id, record)) in orders.iter().enumerate() {
            assert_eq!(table.ordinal_of(id), Some(ordinal as u32), "{id}");
            assert_eq!((table.key(ordinal as u32), table.record(ordinal as u32)), (id.as_bytes(), *record));
        }
        for absent in ["", "o", "o-3", "b", "o-100"] {
            assert_eq!(table.ordinal_of(absent), None, "{absent}");
        }
        assert_eq!(table.decode(0), None, "a record that is not an order is reported, not trusted");
        assert!(open(table_of(&[])).unwrap().is_empty());
    }

    #[test]
    fn a_damaged_table_is_refused_at_open_never_read_out_of_bounds() {
        let bytes = table_of(&[("b", b"xx"), ("a", b"y")]);
        for cut in 0..bytes.len() {
            assert!(open(bytes[..cut].to_vec()).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(open(longer).is_err(), "trailing bytes");
        // n = 2: record ends at 8..24, key ends at 24..40, by_key at 40..48.
        let mut backwards = bytes.clone();
        backwards[8..16].copy_from_slice(&5u64.to_le_bytes());
        assert!(open(backwards).is_err(), "record ends that decrease");
        let mut huge = bytes.clone();
        huge[24..32].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(open(huge).is_err(), "a key end past the data");
        let mut stray = bytes.clone();
        stray[40..44].copy_from_slice(&7u32.to_le_bytes());
        assert!(open(stray).is_err(), "an ordinal out of range in the key index");
        let mut count = bytes;
        count[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(open(count).is_err(), "an order count out of range");
    }
}
