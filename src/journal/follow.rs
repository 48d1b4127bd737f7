//! Following the journal: records as they become durable, for in-process consumers
//! (projections, reports) while the writer runs.

use std::collections::VecDeque;

use tokio::sync::watch;

use super::envelope::{Payload, Record};
use super::error::Result;
use super::head::Head;
use super::reader::Reader;

pub struct Follower<P> {
    reader: Reader,
    head: watch::Receiver<Head>,
    next_seq: u64,
    buffer: VecDeque<Record<P>>,
}

impl<P: Payload> Follower<P> {
    /// Follows from `from_seq`, reading only what `head` says is durable.
    pub fn new(reader: Reader, head: watch::Receiver<Head>, from_seq: u64) -> Self {
        Follower { reader, head, next_seq: from_seq.max(1), buffer: VecDeque::new() }
    }

    /// The next record, waiting for it to be committed. `None` once the writer has closed
    /// and everything it committed has been read.
    pub async fn next(&mut self) -> Result<Option<Record<P>>> {
        loop {
            if let Some(record) = self.buffer.pop_front() {
                return Ok(Some(record));
            }
            let durable = self.head.borrow_and_update().seq;
            if durable >= self.next_seq {
                for record in self.reader.records::<P>(self.next_seq, durable)? {
                    self.buffer.push_back(record?);
                }
                self.next_seq = durable + 1;
                continue;
            }
            if self.head.changed().await.is_err() && self.head.borrow().seq < self.next_seq {
                return Ok(None);
            }
        }
    }
}
