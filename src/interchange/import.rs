//! Import: rebuild a journal from an export, checking every line.
//!
//! **All or nothing, in one pass.** The journal is built in a staging directory next to the
//! target (`.<name>.import-XXXXXX` in the target's parent, so the final rename stays on one
//! filesystem) and renamed to the target only after the last line has been checked and
//! committed; then the parent directory is synced so the rename is durable. Any error drops
//! the staging directory, so a refused import leaves no trace. Only a process killed in the
//! middle can leave a staging directory behind; it is never mistaken for the target and can
//! be deleted. The file is read once, line by line (a line is at most [`MAX_LINE_BYTES`]),
//! and records are committed in blocks of at most [`BLOCK_RECORDS`] records or about
//! [`BLOCK_BYTES`], so memory is bounded whatever the file's size.
//!
//! **The target must not exist.** Import creates a journal; it never adds to, replaces or
//! merges into an existing path (not even an empty directory): it refuses with
//! [`ImportError::TargetExists`] before reading anything.
//!
//! **Checks, each naming the line** (blank lines are skipped): the first line is a genesis header of a supported
//! format whose `hash` is the hash of its fields (`h(0)`); then every line is a complete
//! record line ([`line::decode_record`]: no missing, unknown or mistyped field); seqs run
//! from 1 without gaps (a partial export, whose first record is not seq 1, is refused as
//! such); each `event_id` is the one derived from `h(0)` and the seq; the schema version is
//! not newer than this build's; and the chain hash recomputed from the rebuilt record equals
//! the line's `hash`. Equal hashes all the way mean the rebuilt journal has exactly the
//! exported history, byte for byte.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::ImportError;
use super::line;
use crate::event::Event;
use crate::journal::{Batch, FORMAT_VERSION, Head, Journal, OpenOptions, Payload, event_id};

/// Records per committed block, at most.
pub const BLOCK_RECORDS: usize = 1000;
/// A block is committed once it holds this many bytes (records are at most 1 MiB each).
pub const BLOCK_BYTES: usize = 4 << 20;
/// The longest line accepted. A record is at most 1 MiB of bincode; its JSON can be a few
/// times larger (escapes), never this large.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    /// Records imported.
    pub records: u64,
    /// The head of the new journal (seq 0 and `h(0)` if the export held no record).
    pub head: Head,
}

/// Imports the export in `file` into a new journal at `target`. See the module docs.
pub fn import_file(file: &Path, target: &Path) -> Result<ImportSummary, ImportError> {
    let input = File::open(file).map_err(|source| ImportError::Io { path: file.to_owned(), source })?;
    import(BufReader::with_capacity(1 << 16, input), target)
}

/// Imports an export read from `input` into a new journal at `target`. See the module docs.
pub fn import(input: impl BufRead, target: &Path) -> Result<ImportSummary, ImportError> {
    refuse_existing(target)?;
    let mut lines = Lines { input, buffer: Vec::with_capacity(1024), number: 0 };

    let Some((number, text)) = lines.next()? else {
        return Err(ImportError::Malformed {
            line: 1,
            reason: "empty input: the first line must be the genesis header".into(),
        });
    };
    let malformed = |reason: String| ImportError::Malformed { line: number, reason };
    let (genesis, stated) = line::decode_genesis(text).map_err(malformed)?;
    if genesis.format_version != FORMAT_VERSION {
        return Err(malformed(format!(
            "format version {} is not supported (this build writes {FORMAT_VERSION})",
            genesis.format_version
        )));
    }
    let h0 = genesis.hash().map_err(|e| malformed(e.to_string()))?;
    if h0 != stated {
        return Err(ImportError::GenesisHashMismatch { stated, computed: h0 });
    }

    let staging = Staging::create(target)?;
    let mut journal = Journal::create(staging.path(), &genesis, &OpenOptions::default())?;
    let mut head = Head { seq: 0, hash: h0 };
    let mut batch = journal.batch();
    while let Some((number, text)) = lines.next()? {
        let malformed = |reason: String| ImportError::Malformed { line: number, reason };
        let record = line::decode_record(text).map_err(malformed)?;
        let (seq, expected) = (record.envelope.seq, head.seq + 1);
        if seq != expected {
            return Err(if head.seq == 0 && seq > 1 {
                ImportError::Partial { line: number, first_seq: seq }
            } else {
                ImportError::SeqGap { line: number, expected, found: seq }
            });
        }
        let id = event_id(&h0, seq);
        if record.envelope.event_id != id {
            return Err(ImportError::EventIdMismatch {
                line: number,
                seq,
                found: record.envelope.event_id,
                expected: id,
            });
        }
        if record.envelope.schema_version > Event::SCHEMA_VERSION {
            return Err(malformed(format!(
                "schema version {} is newer than this build's {}",
                record.envelope.schema_version,
                Event::SCHEMA_VERSION
            )));
        }
        let committed = batch.push_record(&record.envelope, &record.event).map_err(|e| malformed(e.to_string()))?;
        if committed.hash != record.hash {
            return Err(ImportError::HashMismatch { line: number, seq, stated: record.hash, computed: committed.hash });
        }
        head = Head { seq, hash: committed.hash };
        if batch.len() >= BLOCK_RECORDS || batch.byte_len() >= BLOCK_BYTES {
            let full = std::mem::replace(&mut batch, Batch::new(h0, head));
            journal.commit(full)?;
        }
    }
    journal.commit(batch)?;
    debug_assert_eq!(journal.head(), head);
    drop(journal);
    staging.finish(target)?;
    Ok(ImportSummary { records: head.seq, head })
}

/// Refuses a target path that exists in any form (file, directory, dangling symlink).
fn refuse_existing(target: &Path) -> Result<(), ImportError> {
    match target.symlink_metadata() {
        Ok(_) => Err(ImportError::TargetExists(target.to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ImportError::Io { path: target.to_owned(), source }),
    }
}

/// The staging directory: removed on drop unless [`Staging::finish`] renamed it.
struct Staging {
    dir: tempfile::TempDir,
    parent: PathBuf,
}

impl Staging {
    fn create(target: &Path) -> Result<Staging, ImportError> {
        let name = target.file_name().ok_or_else(|| ImportError::Io {
            path: target.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "the target needs a directory name"),
        })?;
        let parent = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{}.import-", name.to_string_lossy()))
            // The process umask applies, as for a journal created in place.
            .permissions(std::fs::Permissions::from_mode(0o777))
            .tempdir_in(&parent)
            .map_err(|source| ImportError::Io { path: parent.clone(), source })?;
        Ok(Staging { dir, parent })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Renames the staging directory to `target` and syncs the parent directory.
    fn finish(self, target: &Path) -> Result<(), ImportError> {
        refuse_existing(target)?;
        // rename(2) would replace an empty directory created since the check above; the
        // window is the time of one rename, and nothing would be lost but an empty directory.
        std::fs::rename(self.dir.path(), target)
            .map_err(|source| ImportError::Io { path: target.to_owned(), source })?;
        let _renamed = self.dir.keep();
        File::open(&self.parent)
            .and_then(|dir| dir.sync_all())
            .map_err(|source| ImportError::Io { path: self.parent.clone(), source })
    }
}

/// Numbered lines of bounded length, without their `\n` (or `\r\n`). Blank lines (an
/// editor's final newline, files joined with a gap) are skipped, still counted: they hold
/// no record, and every record is checked by its hash whatever surrounds it.
struct Lines<R> {
    input: R,
    buffer: Vec<u8>,
    number: u64,
}

impl<R: BufRead> Lines<R> {
    fn next(&mut self) -> Result<Option<(u64, &str)>, ImportError> {
        loop {
            let Some(line) = self.read_line()? else { return Ok(None) };
            if !self.buffer.iter().all(u8::is_ascii_whitespace) {
                let text = std::str::from_utf8(&self.buffer)
                    .map_err(|e| ImportError::Malformed { line, reason: format!("not UTF-8: {e}") })?;
                return Ok(Some((line, text)));
            }
        }
    }

    /// Reads the next line into `buffer`, without its line break; its number.
    fn read_line(&mut self) -> Result<Option<u64>, ImportError> {
        self.buffer.clear();
        let line = self.number + 1;
        let read = (&mut self.input)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut self.buffer)
            .map_err(|source| ImportError::Read { line, source })?;
        if read == 0 {
            return Ok(None);
        }
        self.number = line;
        if self.buffer.last() == Some(&b'\n') {
            self.buffer.pop();
            if self.buffer.last() == Some(&b'\r') {
                self.buffer.pop();
            }
        } else if self.buffer.len() > MAX_LINE_BYTES {
            return Err(ImportError::Malformed { line, reason: format!("longer than {MAX_LINE_BYTES} bytes") });
        }
        Ok(Some(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8]) -> Vec<Result<(u64, String), String>> {
        let mut lines = Lines { input: text, buffer: Vec::new(), number: 0 };
        let mut out = Vec::new();
        loop {
            match lines.next() {
                Ok(Some((n, text))) => out.push(Ok((n, text.to_owned()))),
                Ok(None) => return out,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
    }

    #[test]
    fn lines_are_numbered_and_stripped() {
        let got = lines(b"a\r\nb\n\n \t\r\nc\n\n");
        let want: Vec<_> = [(1, "a"), (2, "b"), (5, "c")].map(|(n, t)| Ok((n, t.to_owned()))).to_vec();
        assert_eq!(got, want, "blank lines are skipped and counted");
        assert!(lines(b"").is_empty());
        assert!(lines(b"\n\r\n").is_empty());
    }

    #[test]
    fn bad_utf8_and_overlong_lines_are_refused_with_their_number() {
        assert_eq!(lines(b"ok\n\xff\xfe\n").last().unwrap().as_ref().unwrap_err().split(':').next(), Some("line 2"));
        let mut long = b"first\n".to_vec();
        long.resize(long.len() + MAX_LINE_BYTES + 1, b'x');
        let got = lines(&long);
        let error = got.last().unwrap().as_ref().unwrap_err();
        assert!(error.starts_with("line 2: longer than"), "{error}");
        let mut exact = vec![b'x'; MAX_LINE_BYTES];
        exact.push(b'\n');
        assert_eq!(lines(&exact).len(), 1);
        assert!(lines(&exact)[0].is_ok());
    }
}
