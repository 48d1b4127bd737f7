//! A record is an [`Envelope`] plus a payload. The journal knows nothing of the payload
//! beyond [`Payload`]: it is generic so the journal stays a storage concern.

use std::mem::MaybeUninit;

use compact_str::CompactString;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

use super::chain::ChainHash;

/// What the journal records about every payload. Field order is the on-disk order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Gapless from 1.
    pub seq: u64,
    /// Derived from the genesis hash and `seq` (see [`event_id`]): same history, same ids.
    pub event_id: Uuid,
    /// Engine time in ns since the Unix epoch; never the wall clock inside the engine.
    pub ts_ns: i64,
    /// The entity the record belongs to, e.g. `order:o-1`. Inline up to 24 bytes: most
    /// records encode and decode it without allocating.
    pub stream: CompactString,
    /// Groups records of one workflow (a client request, an execution).
    pub correlation_id: Option<Uuid>,
    /// The event id of the record that caused this one.
    pub causation_id: Option<Uuid>,
    /// The payload schema version when written ([`Payload::SCHEMA_VERSION`]).
    pub schema_version: u16,
}

impl Envelope {
    /// Where the record sits: all of the envelope a projection reads.
    #[inline]
    pub fn stamp(&self) -> Stamp {
        Stamp { seq: self.seq, ts_ns: self.ts_ns }
    }
}

/// Where a record sits in the journal: its seq and engine time. Projections fold
/// `(Stamp, payload)`; the rest of the envelope (ids, stream) is for audits and interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub seq: u64,
    pub ts_ns: i64,
}

/// A record decoded for folding: its stamp and payload, without the rest of its envelope
/// ([`Reader::decoded`](super::Reader::decoded)). A replay's decoded records cross from the
/// decoding core to the folding one; without the ids and the stream they are a third smaller.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamped<P> {
    pub stamp: Stamp,
    pub payload: P,
}

/// A decoded record: envelope, payload and the chain hash stored with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<P> {
    pub envelope: Envelope,
    pub payload: P,
    pub hash: ChainHash,
}

/// What a producer hands the writer: everything but what the journal assigns
/// (`seq`, `event_id`, `schema_version`, the hash).
#[derive(Debug, Clone, PartialEq)]
pub struct Draft<P> {
    pub ts_ns: i64,
    pub stream: CompactString,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    pub payload: P,
}

impl<P> Draft<P> {
    /// A draft with no correlation or causation.
    pub fn new(ts_ns: i64, stream: impl Into<CompactString>, payload: P) -> Self {
        Draft { ts_ns, stream: stream.into(), correlation_id: None, causation_id: None, payload }
    }
}

impl<P: Payload> Draft<P> {
    /// The envelope this draft gets as record `seq` of the journal whose genesis hash is `h0`.
    pub fn envelope(&self, h0: &ChainHash, seq: u64) -> Envelope {
        Envelope {
            seq,
            event_id: event_id(h0, seq),
            ts_ns: self.ts_ns,
            stream: self.stream.clone(),
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            schema_version: P::SCHEMA_VERSION,
        }
    }
}

/// A type the journal can carry. Encoded with bincode through serde, so it must not use
/// `#[serde(flatten)]`, untagged or internally tagged enums.
pub trait Payload: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Written into every envelope; bump it when adding a variant changes what readers need.
    const SCHEMA_VERSION: u16;

    /// Appends the payload's bincode bytes. A payload on the hot path may write them by hand
    /// ([`super::wire`]); the bytes must be exactly serde's.
    fn encode_wire(&self, out: &mut Vec<u8>) -> super::error::Result<()> {
        super::codec::encode_into(self, out)
    }

    /// Decodes exactly one payload from all of `bytes`; the counterpart of
    /// [`Payload::encode_wire`], reading serde's bytes.
    fn decode_wire(bytes: &[u8]) -> Result<Self, String> {
        super::codec::decode_exact(bytes)
    }
}

/// A payload that decodes into a slot in place: a replay decodes every record into the
/// block's buffer rather than building each aside and copying it there (a decoded event
/// record is 344 bytes, and those copies were ~20% of decoding's instructions).
///
/// # Safety
/// `decode_wire_into` returns `Ok` only after writing the decoded payload into `out`:
/// callers then treat the slot as initialized.
pub unsafe trait DecodeInPlace: Payload {
    /// [`Payload::decode_wire`], written into `out`; on an error `out` is left as it was.
    fn decode_wire_into(bytes: &[u8], out: &mut MaybeUninit<Self>) -> Result<(), String>;
}

/// An opaque byte payload: for tests, benchmarks and tools that move records unread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opaque(#[serde(with = "serde_bytes_compat")] pub Vec<u8>);

impl Payload for Opaque {
    const SCHEMA_VERSION: u16 = 0;
}

/// The deterministic event id of record `seq` in the history rooted at `genesis`: a
/// UUIDv8 whose first 62 bits are derived from `h(0)` (one prefix per journal) and whose
/// last 62 bits are `seq`. Unique within a journal for every seq below 2^62, readable
/// (ids of one journal share a prefix, the seq is visible), and cheap: no hash per record.
pub fn event_id(genesis: &ChainHash, seq: u64) -> Uuid {
    debug_assert!(seq < 1 << 62);
    let prefix = u64::from_le_bytes(genesis.0[..8].try_into().expect("8 bytes"));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&prefix.to_be_bytes());
    bytes[8..].copy_from_slice(&seq.to_be_bytes());
    // new_v8 overwrites the version nibble (byte 6) and the two variant bits (byte 8),
    // which seq never uses below 2^62.
    Uuid::new_v8(bytes)
}

/// The seq inside an event id made by [`event_id`].
pub fn seq_of_event_id(id: &Uuid) -> u64 {
    let bytes = id.as_bytes();
    u64::from_be_bytes(bytes[8..].try_into().expect("8 bytes")) & ((1 << 62) - 1)
}

/// Bytes as one length-prefixed blob rather than a sequence of u8: the same bytes in bincode,
/// but read with one copy instead of a visit per byte.
mod serde_bytes_compat {
    use std::fmt;

    use serde::de::{SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_byte_buf(BytesVisitor)
    }

    struct BytesVisitor;

    impl<'de> Visitor<'de> for BytesVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("bytes")
        }

        fn visit_bytes<E>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
            Ok(bytes.to_vec())
        }

        fn visit_byte_buf<E>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(bytes)
        }

        /// Formats without a bytes type (JSON) write a sequence of numbers.
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(byte) = seq.next_element()? {
                bytes.push(byte);
            }
            Ok(bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_bytes_encode_as_a_byte_sequence_and_read_back() {
        use crate::journal::codec::{decode_exact, encode_into};
        for bytes in [vec![], vec![0u8], (0..=255u8).collect::<Vec<_>>(), vec![7u8; 300]] {
            let (mut as_blob, mut as_seq) = (Vec::new(), Vec::new());
            encode_into(&Opaque(bytes.clone()), &mut as_blob).unwrap();
            encode_into(&bytes, &mut as_seq).unwrap();
            assert_eq!(as_blob, as_seq, "the wire format is bincode's Vec<u8>");
            assert_eq!(decode_exact::<Opaque>(&as_blob).unwrap(), Opaque(bytes.clone()));
            let json = serde_json::to_string(&Opaque(bytes.clone())).unwrap();
            assert_eq!(serde_json::from_str::<Opaque>(&json).unwrap(), Opaque(bytes));
        }
        assert!(decode_exact::<Opaque>(&[5, 1, 2]).is_err(), "a length past the end is refused");
    }

    #[test]
    fn event_ids_are_deterministic_and_distinct() {
        let g = ChainHash::of_genesis(b"genesis");
        assert_eq!(event_id(&g, 1), event_id(&g, 1));
        assert_ne!(event_id(&g, 1), event_id(&g, 2));
        assert_ne!(event_id(&g, 1), event_id(&ChainHash::of_genesis(b"other"), 1));
        assert_eq!(event_id(&g, 1).get_version_num(), 8);
        for seq in [1, 2, 255, 1 << 40, (1 << 62) - 1] {
            assert_eq!(seq_of_event_id(&event_id(&g, seq)), seq);
        }
    }
}
