//! The journal: blotter's source of truth. A durable, checksummed, hash-chained,
//! append-only log of records on sled. See ARCHITECTURE.md for the format and the
//! durability contract.
//!
//! - [`Journal`]: open/create, append a batch durably, readers, snapshots, verify.
//! - [`JournalWriter`]: async group commit on tokio in front of a [`Journal`].
//! - [`Reader`] / [`Follower`]: ordered, verified, bounded-memory reads.
//! - [`SnapshotStore`]: projection checkpoints tagged (seq, hash).

mod block;
mod chain;
mod chunks;
mod codec;
mod envelope;
mod envelope_wire;
mod error;
mod flush_times;
mod follow;
mod frame;
mod genesis;
mod head;
mod layout;
mod links;
mod log;
mod reader;
mod segments;
mod snapshot;
mod storage;
mod verify;
pub mod wire;
mod witness;
mod writer;

pub use block::RecordRef;
pub use chain::ChainHash;
pub use codec::{MAX_RECORD_BYTES, decode_exact, decode_prefix, encode_into, encode_record};
pub use envelope::{
    DecodeInPlace, Draft, Envelope, Opaque, Payload, Record, Stamp, Stamped, event_id, seq_of_event_id,
};
pub use error::{Corruption, CorruptionKind, JournalError, Location, Result};
pub use flush_times::{FlushSummary, FlushTimes};
pub use follow::Follower;
pub use frame::FRAME_OVERHEAD;
pub use genesis::{FORMAT_VERSION, Genesis};
pub use head::Head;
pub use layout::{Layout, bytes_on_disk};
pub use links::link_hashing;
pub use log::{Batch, Committed, INLINE_BLOCK_BYTES, Journal, MAX_BLOCK_BYTES, OpenCheck, OpenOptions, default_dir};
pub use reader::{Decoded, DecodedBlock, DecodedRef, Envelopes, Reader, Records, VerifiedBlock};
pub use snapshot::{Snapshot, SnapshotData, SnapshotStore};
pub use storage::StoreOptions;
pub use verify::VerifyReport;
pub use writer::{Ack, Appender, JournalWriter, WriterConfig};

#[cfg(test)]
mod tests;
