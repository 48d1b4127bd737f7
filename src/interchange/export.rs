//! Export: the genesis header, then one line per record from `from_seq` to the head.
//!
//! Streams: records are read one verified block at a time ([`Reader::for_each`]) and each
//! line is written as soon as it is encoded, so memory does not grow with the journal. The
//! caller picks the writer (buffered, usually); a closed pipe comes back as
//! [`ExportError::Output`] with [`std::io::ErrorKind::BrokenPipe`].
//!
//! [`Reader::for_each`]: crate::journal::Reader::for_each

use std::io::Write;
use std::ops::ControlFlow;

use super::ExportError;
use super::line;
use crate::event::Event;
use crate::journal::{Head, Journal, Record};

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    /// Record lines written (the genesis header not counted).
    pub records: u64,
    /// The last record written, if any.
    pub last: Option<Head>,
}

/// Writes the genesis header line and then every record from `from_seq` (at least 1) to the
/// journal's head, one line each, newline-terminated. A record that is not an
/// [`Event`](crate::event::Event) is corruption naming its seq.
pub fn export(journal: &Journal, from_seq: u64, out: &mut impl Write) -> Result<ExportSummary, ExportError> {
    let from_seq = from_seq.max(1);
    let header = line::encode_genesis(journal.genesis(), &journal.genesis_hash())
        .map_err(|reason| ExportError::Encode { seq: 0, reason })?;
    out.write_all(header.as_bytes()).and_then(|()| out.write_all(b"\n")).map_err(ExportError::Output)?;

    let mut summary = ExportSummary { records: 0, last: None };
    let head = journal.head();
    if from_seq > head.seq {
        return Ok(summary);
    }
    let mut buffer = Vec::with_capacity(1024);
    // Errors of the output or the encoding stop the scan here and are returned below.
    let mut failure = None;
    journal.reader().for_each(from_seq, head.seq, |record| {
        let Record { envelope, payload, hash } = record.decode::<Event>()?;
        buffer.clear();
        if let Err(reason) = line::encode_record(&envelope, &payload, &hash, &mut buffer) {
            failure = Some(ExportError::Encode { seq: envelope.seq, reason });
            return Ok(ControlFlow::Break(()));
        }
        buffer.push(b'\n');
        if let Err(error) = out.write_all(&buffer) {
            failure = Some(ExportError::Output(error));
            return Ok(ControlFlow::Break(()));
        }
        summary.records += 1;
        summary.last = Some(Head { seq: envelope.seq, hash });
        Ok(ControlFlow::Continue(()))
    })?;
    match failure {
        Some(error) => Err(error),
        None => Ok(summary),
    }
}
