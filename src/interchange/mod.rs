//! Lossless NDJSON interchange: [`export()`] a journal of [`Event`]s as one JSON object per
//! line, and [`import()`] such a file into a new journal with the same chain hashes.
//!
//! # Format
//! The first line is the **genesis header**; `hash` is `h(0)`, the hash of the bincode of
//! the other fields, so the import recreates the genesis verbatim (the blotter version that
//! created the journal, not the importing build's):
//! ```text
//! {"type":"Genesis","format_version":1,"blotter_version":"0.1.0","seed":42,"metadata":{"origin":"sim"},
//!  "hash":"4847517f76b61ee1fa0da848033981cbbd0d04d33f98a1fe9702b554e9da8f38"}
//! ```
//! Then one **record line** per record, in seq order: the envelope fields, `type` (the
//! [`Event`] variant, [`Event::type_name`]), the payload's fields by name at the top level
//! (in alphabetical order; nested values as serde_json writes them, decimals as strings),
//! and `hash`, the record's chain hash `h(seq)` in hex:
//! ```text
//! {"seq":4,"ts_ns":1704205800118799977,"event_id":"e11eb676-7f51-8748-8000-000000000004",
//!  "stream":"order:o-1","correlation_id":null,"causation_id":null,"schema_version":1,
//!  "type":"OrderFilled","broker_ts_ns":1704205800000000001,"client_order_id":"o-1",
//!  "fee":"0.3327","fill_id":"F1-1","liquidity":"Maker","price":"184.8600","qty":"36",
//!  "venue":"PAPER","hash":"8b825b56db93810096e93e5d1c663a9f96fad0722462d4a54ca7694abed00f44"}
//! ```
//! (one line in the file). Every field is always written, `null` for an absent optional
//! value, and an import requires every field: absent, unknown or misspelled fields are
//! errors, at any depth of the payload. A payload field may not be named like an envelope
//! key ([`line::ENVELOPE_KEYS`]); export refuses such an event.
//!
//! [`Event`]: crate::event::Event
//! [`Event::type_name`]: crate::event::Event::type_name
//!
//! The output of an export is a function of the journal: exporting an imported journal gives
//! the same bytes.
//!
//! # Partial exports
//! `from_seq > 1` exports the genesis header and the tail from `from_seq`: for reading and
//! tools, not for import. Import refuses it ([`ImportError::Partial`]): a journal cannot be
//! rebuilt without its first records, since every hash depends on them.
//!
//! # Bounded memory, all or nothing
//! Export streams one verified block at a time. Import reads the file once, line by line,
//! builds the journal in a staging directory beside the target, committing bounded blocks,
//! and renames it to the target only when every line has been checked; a refused import
//! leaves nothing behind, and the target must not exist (see [`import`](mod@import)).
//!
//! # Not detected
//! A file cut exactly at a line boundary is a valid, shorter export: import reports the head
//! it rebuilt (seq and hash) so it can be compared with the source's (`blotter verify`).

pub mod export;
pub mod import;
pub mod line;

use std::path::PathBuf;

use thiserror::Error;
use uuid::Uuid;

pub use export::{ExportSummary, export};
pub use import::{ImportSummary, import, import_file};

use crate::journal::{ChainHash, JournalError};

/// Why an export failed.
#[derive(Debug, Error)]
pub enum ExportError {
    /// Reading the journal failed, or a record is not an event (corruption naming its seq).
    #[error("cannot read the journal")]
    Journal(#[from] JournalError),
    /// A record cannot be written as a line (its event clashes with the envelope's names).
    #[error("cannot export seq {seq}: {reason}")]
    Encode { seq: u64, reason: String },
    /// Writing the output failed; a closed pipe is [`ExportError::is_broken_pipe`].
    #[error("cannot write the export")]
    Output(#[source] std::io::Error),
}

impl ExportError {
    /// The reader of the output went away (`blotter export | head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, ExportError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Why an import failed. Whatever the reason, nothing was written to the target.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The line is not a valid genesis header or record line.
    #[error("line {line}: {reason}")]
    Malformed { line: u64, reason: String },
    /// The genesis header's `hash` is not `h(0)` of its fields.
    #[error("line 1: the genesis header says h(0) is {stated}, but its fields hash to {computed}")]
    GenesisHashMismatch { stated: ChainHash, computed: ChainHash },
    /// The chain hash recomputed for the record differs from the line's `hash`.
    #[error("line {line}: hash mismatch at seq {seq}: the line says {stated}, the record hashes to {computed}")]
    HashMismatch { line: u64, seq: u64, stated: ChainHash, computed: ChainHash },
    /// The first record is not seq 1: the file is a partial export (`--from-seq`).
    #[error(
        "line {line}: a partial export cannot be imported: the first record is seq {first_seq}, not 1 \
         (export the whole journal, without --from-seq)"
    )]
    Partial { line: u64, first_seq: u64 },
    /// A seq is not the one after its predecessor.
    #[error("line {line}: sequence gap: expected seq {expected}, found seq {found}")]
    SeqGap { line: u64, expected: u64, found: u64 },
    /// The event id is not the one the journal derives for the seq.
    #[error("line {line}: seq {seq} has event id {found}, but this journal's id for it is {expected}")]
    EventIdMismatch { line: u64, seq: u64, found: Uuid, expected: Uuid },
    /// Import creates a journal; it never writes into an existing path.
    #[error("{} already exists: import only creates a new journal", .0.display())]
    TargetExists(PathBuf),
    #[error("cannot read line {line}")]
    Read {
        line: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing the new journal failed.
    #[error("cannot write the new journal")]
    Journal(#[from] JournalError),
}

impl ImportError {
    /// The line at fault, when the input is.
    pub fn line(&self) -> Option<u64> {
        match self {
            ImportError::Malformed { line, .. }
            | ImportError::HashMismatch { line, .. }
            | ImportError::Partial { line, .. }
            | ImportError::SeqGap { line, .. }
            | ImportError::EventIdMismatch { line, .. } => Some(*line),
            ImportError::GenesisHashMismatch { .. } => Some(1),
            ImportError::Read { .. }
            | ImportError::TargetExists(_)
            | ImportError::Io { .. }
            | ImportError::Journal(_) => None,
        }
    }

    /// Whether the input is not a valid export (as opposed to a usage or I/O problem).
    pub fn is_invalid_input(&self) -> bool {
        self.line().is_some()
    }
}
