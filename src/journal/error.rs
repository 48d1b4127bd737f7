//! Typed errors of the journal. Corruption is its own type so callers can tell
//! "the bytes are wrong" (halt, name the seq) from "the disk or the caller is wrong".

use std::fmt;
use std::path::PathBuf;

/// Where in the journal a corruption was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A record, by its sequence number.
    Seq(u64),
    /// A block, by the key it is stored under (its first seq).
    Block(u64),
    /// The head record (last seq, last hash).
    Head,
    /// The genesis record.
    Genesis,
    /// The head witness file beside the store.
    Witness,
    /// sled's own files (its log, snapshots or blobs).
    Storage,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Seq(seq) => write!(f, "seq {seq}"),
            Location::Block(first) => write!(f, "block starting at seq {first}"),
            Location::Head => f.write_str("head"),
            Location::Genesis => f.write_str("genesis"),
            Location::Witness => f.write_str("head witness"),
            Location::Storage => f.write_str("storage files"),
        }
    }
}

/// What is wrong at a [`Location`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorruptionKind {
    /// The bytes do not parse as a frame, block or record (truncated, bad length, bad magic).
    Framing(String),
    /// The CRC32C stored with the bytes does not match them.
    Checksum { stored: u32, computed: u32 },
    /// A sequence number is not the one that must follow its predecessor.
    SeqGap { expected: u64, found: u64 },
    /// The BLAKE3 chain does not link: the stored hash is not `h(prev ‖ record)`.
    ChainBroken,
    /// The head does not describe the last record actually stored.
    HeadMismatch(String),
    /// Records that were acknowledged (per the witness) are missing from the store.
    AcknowledgedMissing { witnessed_seq: u64, stored_seq: u64 },
    /// The record decodes as bytes but not as the expected envelope or payload.
    Undecodable(String),
    /// A required piece (genesis, head, witness) is absent.
    Missing(&'static str),
    /// sled reported its own files as corrupt, or failed while reading them.
    Storage(String),
}

impl fmt::Display for CorruptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorruptionKind::Framing(what) => write!(f, "bad framing: {what}"),
            CorruptionKind::Checksum { stored, computed } => {
                write!(f, "checksum mismatch: stored {stored:08x}, computed {computed:08x}")
            }
            CorruptionKind::SeqGap { expected, found } => {
                write!(f, "sequence gap: expected seq {expected}, found {found}")
            }
            CorruptionKind::ChainBroken => f.write_str("hash chain broken"),
            CorruptionKind::HeadMismatch(what) => write!(f, "head mismatch: {what}"),
            CorruptionKind::AcknowledgedMissing { witnessed_seq, stored_seq } => write!(
                f,
                "acknowledged records missing: witness says seq {witnessed_seq} was durable, store ends at {stored_seq}"
            ),
            CorruptionKind::Undecodable(what) => write!(f, "undecodable record: {what}"),
            CorruptionKind::Missing(what) => write!(f, "{what} is missing"),
            CorruptionKind::Storage(what) => write!(f, "storage corrupt: {what}"),
        }
    }
}

/// The journal's bytes are not a valid history. Always names where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("journal corrupt at {location}: {kind}")]
pub struct Corruption {
    pub location: Location,
    pub kind: CorruptionKind,
}

impl Corruption {
    pub fn new(location: Location, kind: CorruptionKind) -> Self {
        Corruption { location, kind }
    }

    /// The first bad sequence number, when the corruption is inside a record or block.
    pub fn seq(&self) -> Option<u64> {
        match self.location {
            Location::Seq(seq) | Location::Block(seq) => Some(seq),
            _ => None,
        }
    }
}

/// Everything that can go wrong using a journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(transparent)]
    Corrupt(#[from] Corruption),
    /// `holder`: what the lock file says (`pid N: command line`).
    #[error(
        "journal at {} is in use by another process ({holder}); a journal is open in one process at \
         a time, so try again once that one ends",
        dir.display()
    )]
    Locked { dir: PathBuf, holder: String },
    #[error("no journal at {0}")]
    NotFound(PathBuf),
    #[error("a journal already exists at {0}")]
    AlreadyExists(PathBuf),
    #[error("journal I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("journal storage error: {0}")]
    Storage(String),
    #[error("cannot encode record: {0}")]
    Encode(String),
    #[error("record too large: {size} bytes (limit {limit})")]
    RecordTooLarge { size: usize, limit: usize },
    #[error("journal refuses appends after an earlier write failure: {0}")]
    Failed(String),
    #[error("the journal writer has stopped")]
    WriterStopped,
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl JournalError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        JournalError::Io { path: path.into(), source }
    }

    /// The corruption behind this error, if it is one.
    pub fn corruption(&self) -> Option<&Corruption> {
        match self {
            JournalError::Corrupt(c) => Some(c),
            _ => None,
        }
    }
}

pub type Result<T, E = JournalError> = std::result::Result<T, E>;
