//! A committed batch: one sled value holding a header and the frames of consecutive records.
//!
//! ```text
//! header (52 B): magic "BLK1" │ first_seq: u64 │ count: u32 │ prev_hash: 32 B │ crc32c: u32
//! then `count` frames (see `frame.rs`), nothing after them.
//! ```
//! `prev_hash` is the chain hash of the record before `first_seq` (`h(0)` for the first
//! block), so every block verifies on its own and links to its predecessor by one compare.
//! The block is stored under key `B ‖ first_seq` (big-endian), so sled orders blocks by seq.

use std::mem::MaybeUninit;

use super::chain::ChainHash;
use super::codec;
use super::envelope::{DecodeInPlace, Envelope, Payload, Record, Stamped};
use super::error::{Corruption, CorruptionKind, Location};
use super::frame::{self, FrameError, FrameRef};
use super::links::{self, Link};

const MAGIC: [u8; 4] = *b"BLK1";
pub const HEADER_BYTES: usize = 4 + 8 + 4 + ChainHash::LEN + 4;
/// Where the header's fields start.
const FIRST_SEQ_AT: usize = 4;
const COUNT_AT: usize = 12;
const PREV_HASH_AT: usize = 16;
const CRC_AT: usize = HEADER_BYTES - 4;
/// The prefix of every block key.
pub const KEY_PREFIX: u8 = b'B';

/// The sled key of the block whose first record is `first_seq`.
pub fn key(first_seq: u64) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[0] = KEY_PREFIX;
    key[1..].copy_from_slice(&first_seq.to_be_bytes());
    key
}

/// The first seq named by a block key.
pub fn seq_of_key(key: &[u8]) -> Option<u64> {
    match key {
        [KEY_PREFIX, rest @ ..] => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

/// Builds one block from records appended in seq order.
pub struct BlockBuilder {
    bytes: Vec<u8>,
    first_seq: u64,
    count: u32,
}

impl BlockBuilder {
    pub fn new(first_seq: u64, prev_hash: &ChainHash, capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(HEADER_BYTES + capacity);
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&first_seq.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&prev_hash.0);
        bytes.extend_from_slice(&0u32.to_le_bytes());
        BlockBuilder { bytes, first_seq, count: 0 }
    }

    pub fn push(&mut self, body: &[u8], hash: &ChainHash) {
        frame::write_frame(body, hash, &mut self.bytes);
        self.count += 1;
    }

    /// Drops every record pushed after the builder held `byte_len` bytes and `count` records.
    pub fn truncate(&mut self, byte_len: usize, count: u32) {
        debug_assert!(byte_len >= HEADER_BYTES && count <= self.count);
        self.bytes.truncate(byte_len);
        self.count = count;
    }

    /// Moves every record pushed after the builder held `byte_len` bytes and `count`
    /// records into a new builder, whose block links to `prev_hash` (the chain hash of the
    /// last record kept here); this one keeps the records before.
    pub fn split_off(&mut self, byte_len: usize, count: u32, prev_hash: &ChainHash) -> BlockBuilder {
        debug_assert!(byte_len >= HEADER_BYTES && count <= self.count);
        let mut tail = BlockBuilder::new(self.first_seq + u64::from(count), prev_hash, self.bytes.len() - byte_len);
        tail.bytes.extend_from_slice(&self.bytes[byte_len..]);
        tail.count = self.count - count;
        self.truncate(byte_len, count);
        tail
    }

    /// Records pushed so far.
    pub fn count(&self) -> u32 {
        self.count
    }

    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Seals the header (count and CRC) and returns the value to store.
    pub fn finish(mut self) -> Vec<u8> {
        seal(&mut self.bytes, self.count);
        self.bytes
    }
}

/// Writes `count` into a block's header and recomputes the header's CRC.
fn seal(block: &mut [u8], count: u32) {
    block[COUNT_AT..COUNT_AT + 4].copy_from_slice(&count.to_le_bytes());
    let crc = crc32c::crc32c(&block[..CRC_AT]);
    block[CRC_AT..HEADER_BYTES].copy_from_slice(&crc.to_le_bytes());
}

/// The `N` header bytes at `at`; callers hold at least [`HEADER_BYTES`] (a block built here,
/// or one whose length `read_header` checked first).
fn field<const N: usize>(block: &[u8], at: usize) -> [u8; N] {
    block[at..at + N].try_into().expect("a whole header")
}

/// Appends the records of sealed block `next` to sealed block `block` (`next` must start
/// where `block` ends: the writer joins blocks it prepared in order) and reseals the header.
/// Returns the joined record count.
pub fn join(block: &mut Vec<u8>, next: &[u8]) -> u32 {
    let count = |bytes: &[u8]| u32::from_le_bytes(field(bytes, COUNT_AT));
    let first_seq = |bytes: &[u8]| u64::from_le_bytes(field(bytes, FIRST_SEQ_AT));
    debug_assert_eq!(first_seq(block) + u64::from(count(block)), first_seq(next), "blocks must be consecutive");
    let joined = count(block).checked_add(count(next)).expect("a block holds fewer than 2^32 records");
    block.extend_from_slice(&next[HEADER_BYTES..]);
    seal(block, joined);
    joined
}

/// A parsed block header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    pub first_seq: u64,
    pub count: u32,
    pub prev_hash: ChainHash,
}

impl BlockHeader {
    /// The seq of the block's last record.
    pub fn last_seq(&self) -> u64 {
        self.first_seq + u64::from(self.count) - 1
    }
}

/// Parses and checks the header of the block stored under `key_seq`.
pub fn read_header(key_seq: u64, bytes: &[u8]) -> Result<BlockHeader, Corruption> {
    let corrupt = |kind| Corruption::new(Location::Block(key_seq), kind);
    if bytes.len() < HEADER_BYTES {
        return Err(corrupt(CorruptionKind::Framing(format!("block of {} bytes has no header", bytes.len()))));
    }
    let stored = u32::from_le_bytes(field(bytes, CRC_AT));
    let computed = crc32c::crc32c(&bytes[..CRC_AT]);
    if stored != computed {
        return Err(corrupt(CorruptionKind::Checksum { stored, computed }));
    }
    if field::<4>(bytes, 0) != MAGIC {
        return Err(corrupt(CorruptionKind::Framing("bad block magic".into())));
    }
    let header = BlockHeader {
        first_seq: u64::from_le_bytes(field(bytes, FIRST_SEQ_AT)),
        count: u32::from_le_bytes(field(bytes, COUNT_AT)),
        prev_hash: ChainHash(field(bytes, PREV_HASH_AT)),
    };
    if header.first_seq != key_seq {
        return Err(corrupt(CorruptionKind::Framing(format!(
            "block stored under seq {key_seq} says it starts at {}",
            header.first_seq
        ))));
    }
    if header.count == 0 || header.first_seq == 0 || header.first_seq.checked_add(u64::from(header.count)).is_none() {
        return Err(corrupt(CorruptionKind::Framing(format!(
            "impossible block: first seq {}, {} records",
            header.first_seq, header.count
        ))));
    }
    Ok(header)
}

/// A record inside a block whose CRC, seq and chain link were verified.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    pub seq: u64,
    pub body: &'a [u8],
    pub hash: ChainHash,
}

impl<'a> RecordRef<'a> {
    /// The envelope and the payload's bytes.
    #[inline]
    pub fn split(&self) -> Result<(Envelope, &'a [u8]), Corruption> {
        codec::decode_envelope(self.body)
            .map_err(|e| Corruption::new(Location::Seq(self.seq), CorruptionKind::Undecodable(e.to_string())))
    }

    /// The envelope and the payload's bytes, refusing a schema newer than payload type `P`
    /// knows (checked on the envelope first, so a payload of an unknown shape is never read).
    #[inline]
    pub fn split_for<P: Payload>(&self) -> Result<(Envelope, &'a [u8]), Corruption> {
        let (envelope, payload) = self.split()?;
        if envelope.schema_version > P::SCHEMA_VERSION {
            return Err(self.newer_schema::<P>(envelope.schema_version));
        }
        Ok((envelope, payload))
    }

    fn newer_schema<P: Payload>(&self, schema_version: u16) -> Corruption {
        self.undecodable(format!("schema version {schema_version} is newer than this build's {}", P::SCHEMA_VERSION))
    }

    fn undecodable(&self, why: String) -> Corruption {
        Corruption::new(Location::Seq(self.seq), CorruptionKind::Undecodable(why))
    }

    /// Decodes the record's stamp and payload into `out` in place ([`DecodeInPlace`]), and
    /// its whole envelope into `envelope` if given, refusing a newer schema
    /// ([`RecordRef::split_for`]). On `Ok`, `out` (and `envelope`) hold the record; on an
    /// error they hold nothing (nothing to drop).
    #[inline]
    pub fn decode_stamped_into<P: DecodeInPlace>(
        &self,
        out: &mut MaybeUninit<Stamped<P>>,
        mut envelope: Option<&mut MaybeUninit<Envelope>>,
    ) -> Result<(), Corruption> {
        let head = match envelope.as_deref_mut() {
            None => codec::decode_stamp(self.body),
            Some(slot) => codec::decode_envelope_into(self.body, slot).map(|payload| {
                // SAFETY: `decode_envelope_into` returned `Ok`, so the envelope is written.
                let envelope = unsafe { slot.assume_init_ref() };
                (envelope.stamp(), envelope.schema_version, payload)
            }),
        };
        let (stamp, schema_version, payload) = head.map_err(|e| self.undecodable(e.to_string()))?;
        let out = out.as_mut_ptr();
        // SAFETY: a pointer to the payload field of the record `out` points to, valid for
        // writes; `MaybeUninit<T>` has the layout of `T`.
        let payload_slot = unsafe { &mut *(&raw mut (*out).payload).cast::<MaybeUninit<P>>() };
        let refused = match schema_version > P::SCHEMA_VERSION {
            true => Some(self.newer_schema::<P>(schema_version)),
            false => P::decode_wire_into(payload, payload_slot).err().map(|e| self.undecodable(e)),
        };
        if let Some(refused) = refused {
            if let Some(slot) = envelope {
                // SAFETY: written above and not yet part of a whole record; dropped once.
                unsafe { slot.assume_init_drop() };
            }
            return Err(refused);
        }
        // SAFETY: the record's last field. With the payload (written, by `DecodeInPlace`'s
        // contract) the record is whole.
        unsafe { (&raw mut (*out).stamp).write(stamp) };
        Ok(())
    }

    /// Decodes the whole record with payload type `P`, refusing a schema newer than `P`
    /// knows ([`RecordRef::split_for`]). Inlined: the record is built in the caller's slot.
    #[inline]
    pub fn decode<P: Payload>(&self) -> Result<Record<P>, Corruption> {
        let (envelope, payload) = self.split_for::<P>()?;
        // Matched in place rather than through `map_err` and `?`: each re-wrapping moved
        // the whole payload.
        match P::decode_wire(payload) {
            Ok(payload) => Ok(Record { envelope, payload, hash: self.hash }),
            Err(e) => Err(Corruption::new(Location::Seq(self.seq), CorruptionKind::Undecodable(e))),
        }
    }
}

/// Every record of one block, each verified: its frame (CRC, the next seq, no bytes after
/// the last) and its chain link. The links are checked many at a time after the frames
/// ([`links::first_broken`]), so the error is whichever check's bad seq comes first.
pub fn verified_links<'a>(header: &BlockHeader, bytes: &'a [u8]) -> Result<Vec<Link<'a>>, Corruption> {
    // The count is only trusted as far as the bytes could hold that many frames.
    let mut links = Vec::with_capacity((header.count as usize).min(bytes.len() / frame::FRAME_OVERHEAD));
    let mut framing = Ok(());
    for record in BlockRecords::new(header, bytes) {
        match record {
            Ok(record) => links.push(Link { body: record.body, hash: record.hash }),
            Err(corruption) => {
                framing = Err(corruption);
                break;
            }
        }
    }
    if let Some(i) = links::first_broken(&header.prev_hash, &links) {
        return Err(Corruption::new(Location::Seq(header.first_seq + i as u64), CorruptionKind::ChainBroken));
    }
    framing.map(|()| links)
}

/// Walks the frames of one block, verifying each before yielding it: CRC and that its seq is
/// the next one. After the last frame it checks the count and that no bytes trail. The chain
/// is not checked here: see [`verified_links`].
pub struct BlockRecords<'a> {
    bytes: &'a [u8],
    offset: usize,
    next_seq: u64,
    remaining: u32,
    failed: bool,
}

impl<'a> BlockRecords<'a> {
    /// Starts after a header already checked by [`read_header`].
    pub fn new(header: &BlockHeader, bytes: &'a [u8]) -> Self {
        BlockRecords { bytes, offset: HEADER_BYTES, next_seq: header.first_seq, remaining: header.count, failed: false }
    }

    fn corrupt(&mut self, kind: CorruptionKind) -> Option<Result<RecordRef<'a>, Corruption>> {
        self.failed = true;
        Some(Err(Corruption::new(Location::Seq(self.next_seq), kind)))
    }
}

impl<'a> Iterator for BlockRecords<'a> {
    type Item = Result<RecordRef<'a>, Corruption>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if self.remaining == 0 {
            if self.offset != self.bytes.len() {
                let trailing = self.bytes.len() - self.offset;
                return self
                    .corrupt(CorruptionKind::Framing(format!("{trailing} bytes after the block's last record")));
            }
            return None;
        }
        let (frame, used) = match frame::read_frame(&self.bytes[self.offset..]) {
            Ok(read) => read,
            Err(FrameError::Checksum { stored, computed }) => {
                return self.corrupt(CorruptionKind::Checksum { stored, computed });
            }
            Err(other) => return self.corrupt(CorruptionKind::Framing(format!("{other:?}"))),
        };
        let FrameRef { body, hash } = frame;
        match codec::decode_seq(body) {
            Ok(seq) if seq == self.next_seq => {}
            Ok(found) => return self.corrupt(CorruptionKind::SeqGap { expected: self.next_seq, found }),
            Err(e) => return self.corrupt(CorruptionKind::Undecodable(e.to_string())),
        }
        let record = RecordRef { seq: self.next_seq, body, hash };
        self.offset += used;
        self.remaining -= 1;
        self.next_seq += 1;
        Some(Ok(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(seq: u64) -> Vec<u8> {
        let mut out = Vec::new();
        codec::encode_into(&seq, &mut out).unwrap();
        out.extend_from_slice(b"payload");
        out
    }

    fn block(first_seq: u64, n: u64, prev: ChainHash) -> (Vec<u8>, ChainHash) {
        let mut builder = BlockBuilder::new(first_seq, &prev, 0);
        let mut hash = prev;
        for seq in first_seq..first_seq + n {
            let b = body(seq);
            hash = hash.link(&b);
            builder.push(&b, &hash);
        }
        (builder.finish(), hash)
    }

    fn verify(key_seq: u64, bytes: &[u8]) -> Result<u64, Corruption> {
        let header = read_header(key_seq, bytes)?;
        Ok(verified_links(&header, bytes)?.len() as u64)
    }

    #[test]
    fn a_block_verifies_and_yields_every_record() {
        let h0 = ChainHash::of_genesis(b"g");
        let (bytes, last) = block(5, 10, h0);
        let header = read_header(5, &bytes).unwrap();
        assert_eq!((header.first_seq, header.count, header.last_seq(), header.prev_hash), (5, 10, 14, h0));
        let records: Vec<_> = BlockRecords::new(&header, &bytes).collect::<Result<_, _>>().unwrap();
        assert_eq!(records.len(), 10);
        assert_eq!(records[9].hash, last);
        assert_eq!(records[3].seq, 8);
    }

    #[test]
    fn every_flipped_byte_and_every_truncation_is_reported() {
        let (bytes, _) = block(1, 4, ChainHash::of_genesis(b"g"));
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(verify(1, &bad).is_err(), "flip at {i} undetected");
        }
        for cut in 0..bytes.len() {
            assert!(verify(1, &bytes[..cut]).is_err(), "truncation at {cut} undetected");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(verify(1, &longer).is_err());
        assert!(verify(2, &bytes).is_err(), "a block under the wrong key must not verify");
    }

    /// The bytes of a frame after its body: hash and CRC.
    const FRAME_TAIL: usize = ChainHash::LEN + 4;

    /// Rewrites the last byte of record `index`'s body and reseals its frame: only the chain
    /// can tell.
    fn forge(bytes: &mut [u8], index: usize) {
        let mut at = HEADER_BYTES;
        for _ in 0..index {
            at += frame::read_frame(&bytes[at..]).unwrap().1;
        }
        let len = frame::read_frame(&bytes[at..]).unwrap().1;
        bytes[at + len - FRAME_TAIL - 1] ^= 0x01;
        let crc = crc32c::crc32c(&bytes[at..at + len - 4]);
        bytes[at + len - 4..at + len].copy_from_slice(&crc.to_le_bytes());
    }

    #[test]
    fn the_first_bad_seq_is_reported_whichever_check_finds_it() {
        let (bytes, _) = block(1, 4, ChainHash::of_genesis(b"g"));
        let seq_and_kind = |bytes: &[u8]| {
            let error = verify(1, bytes).unwrap_err();
            (error.location, matches!(error.kind, CorruptionKind::ChainBroken))
        };
        let mut forged = bytes.clone();
        forge(&mut forged, 1);
        assert_eq!(seq_and_kind(&forged), (Location::Seq(2), true), "a forged record breaks the chain");
        // A framing error after the broken link: the link's seq comes first.
        let last = forged.len() - 1;
        forged[last] ^= 0x10;
        assert_eq!(seq_and_kind(&forged), (Location::Seq(2), true));
        // A framing error before it: the frame's seq comes first.
        let mut forged = bytes.clone();
        forge(&mut forged, 2);
        forged[HEADER_BYTES + 5] ^= 0x10;
        assert_eq!(seq_and_kind(&forged), (Location::Seq(1), false));
    }

    #[test]
    fn joined_blocks_verify_as_one() {
        let h0 = ChainHash::of_genesis(b"g");
        let (mut first, h3) = block(1, 3, h0);
        let (second, h5) = block(4, 2, h3);
        assert_eq!(join(&mut first, &second), 5);
        assert_eq!(verify(1, &first), Ok(5));
        let header = read_header(1, &first).unwrap();
        let last = BlockRecords::new(&header, &first).last().unwrap().unwrap();
        assert_eq!(last.hash, h5);
    }

    #[test]
    fn keys_order_blocks_by_seq() {
        assert!(key(255) < key(256));
        assert_eq!(seq_of_key(&key(42)), Some(42));
        assert_eq!(seq_of_key(b"H"), None);
    }
}
