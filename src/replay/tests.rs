use super::*;
use crate::event::OrderSubmitted;
use crate::event::synthetic::Lifecycles;
use crate::journal::{Draft, Genesis, OpenOptions};
use std::ops::ControlFlow;

const EVENTS: usize = 3_000;

fn journal_of(dir: &std::path::Path, drafts: &[Draft<Event>]) -> Journal {
    let mut journal = Journal::create(dir, &Genesis::new(Some(7)), &OpenOptions::default()).unwrap();
    for chunk in drafts.chunks(97) {
        journal.append(chunk).unwrap();
    }
    journal
}

/// The views after the first `n` drafts, folded directly (no journal).
fn folded(journal: &Journal, drafts: &[Draft<Event>], n: usize) -> Views {
    let mut views = Views::new();
    journal
        .reader()
        .for_each(1, n as u64, |record| {
            let decoded = record.decode::<Event>()?;
            assert_eq!(decoded.payload, drafts[decoded.envelope.seq as usize - 1].payload);
            views.apply(decoded.envelope.stamp(), &decoded.payload).unwrap();
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
    views
}

#[test]
fn replay_to_head_seq_and_time_equals_the_direct_fold_of_that_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let drafts = Lifecycles::new(1, 12).take_drafts(EVENTS);
    let journal = journal_of(dir.path(), &drafts);

    let full = replay(&journal, Until::Head).unwrap();
    assert_eq!(full.at, journal.head());
    assert_eq!(full.folded, EVENTS as u64);
    assert_eq!(full.views, folded(&journal, &drafts, EVENTS));

    let at_1234 = replay(&journal, Until::Seq(1234)).unwrap();
    assert_eq!(at_1234.at, Head { seq: 1234, hash: journal.reader().hash_at(1234).unwrap().unwrap() });
    assert_eq!(at_1234.views, folded(&journal, &drafts, 1234));
    assert_eq!(replay(&journal, Until::Seq(u64::MAX)).unwrap().views, full.views);
    assert_eq!(replay(&journal, Until::Seq(0)).unwrap().views, Views::new());

    // Until a time between records 1500 and 1501: exactly the first 1500.
    let t = drafts[1499].ts_ns;
    assert!(drafts[1500].ts_ns > t);
    let by_time = replay(&journal, Until::Time(t)).unwrap();
    assert_eq!(by_time.at.seq, 1500);
    assert_eq!(by_time.ts_ns, Some(t));
    assert_eq!(by_time.views, folded(&journal, &drafts, 1500));
    assert_eq!(replay(&journal, Until::Time(drafts[0].ts_ns - 1)).unwrap().at.seq, 0);
}

#[test]
fn a_replay_until_a_time_ends_on_the_right_record_and_hash_inside_a_block_and_at_its_edges() {
    let dir = tempfile::tempdir().unwrap();
    let drafts = Lifecycles::new(4, 12).take_drafts(1_000);
    let journal = journal_of(dir.path(), &drafts);
    // Blocks of 97 records: 97 and 194 end one, 98 and 195 start the next. Engine time is
    // strictly increasing here, so the records at or before record N's time are the first N.
    assert!(drafts.windows(2).all(|pair| pair[0].ts_ns < pair[1].ts_ns));
    for last in [1, 2, 96, 97, 98, 194, 195, 500, 999, 1_000] {
        let replayed = replay(&journal, Until::Time(drafts[last - 1].ts_ns)).unwrap();
        let hash = journal.reader().hash_at(last as u64).unwrap().unwrap();
        assert_eq!(replayed.at, Head { seq: last as u64, hash }, "until record {last}");
        assert_eq!((replayed.folded, replayed.ts_ns), (last as u64, Some(drafts[last - 1].ts_ns)));
        assert_eq!(replayed.views, folded(&journal, &drafts, last), "until record {last}");
    }
}

#[test]
fn replay_from_a_checkpoint_plus_the_tail_equals_a_full_replay() {
    let dir = tempfile::tempdir().unwrap();
    let drafts = Lifecycles::new(2, 12).take_drafts(EVENTS);
    let journal = journal_of(dir.path(), &drafts);
    for seq in [700, 1400, 2100] {
        checkpoint::save(&journal, &replay(&journal, Until::Seq(seq)).unwrap()).unwrap();
    }

    for until in [Until::Head, Until::Seq(2100), Until::Seq(1999), Until::Seq(300), Until::Time(drafts[1500].ts_ns)] {
        let full = replay(&journal, until).unwrap();
        let fast = replay_from_snapshot(&journal, until).unwrap();
        assert_eq!(fast.views, full.views, "{until:?}");
        assert_eq!((fast.at, fast.ts_ns), (full.at, full.ts_ns), "{until:?}");
        let expected_start = match until {
            Until::Head | Until::Seq(2100) => Some(2100),
            Until::Seq(1999) | Until::Time(_) => Some(1400),
            _ => None,
        };
        assert_eq!(fast.from_snapshot, expected_start, "{until:?}");
        assert_eq!(fast.folded, full.folded - expected_start.unwrap_or(0), "{until:?}");
    }
}

#[test]
fn an_unusable_checkpoint_is_skipped_and_old_ones_are_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let drafts = Lifecycles::new(3, 12).take_drafts(1_000);
    let journal = journal_of(dir.path(), &drafts);
    for seq in [100, 200, 300, 400] {
        checkpoint::save(&journal, &replay(&journal, Until::Seq(seq)).unwrap()).unwrap();
    }
    let store = journal.snapshots().unwrap();
    assert_eq!(store.seqs(checkpoint::NAME).unwrap(), vec![200, 300, 400], "keeps the newest {}", checkpoint::KEEP);

    // A checkpoint from a build with another view format sits at 500: skipped, 400 used.
    let mut foreign = Vec::new();
    crate::journal::encode_into(&(checkpoint::FORMAT + 1, Some(0i64)), &mut foreign).unwrap();
    foreign.extend_from_slice(b"views of another shape");
    store
        .save(checkpoint::NAME, Head { seq: 500, hash: journal.reader().hash_at(500).unwrap().unwrap() }, &foreign)
        .unwrap();
    let fast = replay_from_snapshot(&journal, Until::Head).unwrap();
    assert_eq!(fast.from_snapshot, Some(400));
    assert_eq!(fast.views, replay(&journal, Until::Head).unwrap().views);
}

#[test]
fn a_journaled_event_the_views_refuse_stops_replay_naming_its_seq() {
    let dir = tempfile::tempdir().unwrap();
    let mut drafts = Lifecycles::new(4, 4).take_drafts(50);
    let ghost = crate::domain::ClientOrderId::from("ghost");
    drafts.push(Draft::new(drafts[49].ts_ns, "order:ghost", Event::from(OrderSubmitted { client_order_id: ghost })));
    let journal = journal_of(dir.path(), &drafts);
    match replay(&journal, Until::Head) {
        Err(ReplayError::Invariant(violation)) => assert_eq!(violation.seq, 51),
        other => panic!("expected an invariant violation, got {other:?}"),
    }
    // Up to the event before it, the replay is fine.
    assert_eq!(replay(&journal, Until::Seq(50)).unwrap().at.seq, 50);
}

#[test]
fn a_record_that_is_not_an_event_is_reported_as_undecodable_at_its_seq() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = Journal::create(dir.path(), &Genesis::new(None), &OpenOptions::default()).unwrap();
    journal.append(&[Draft::new(1, "x", crate::journal::Opaque(vec![0xFF; 8]))]).unwrap();
    let error = replay(&journal, Until::Head).unwrap_err();
    let ReplayError::Journal(JournalError::Corrupt(corruption)) = error else { panic!("{error:?}") };
    assert_eq!(corruption.seq(), Some(1));
}

#[test]
fn an_event_of_a_newer_schema_is_refused_at_its_seq_even_if_its_bytes_decode() {
    /// An event written by a future build: today's bytes under a newer schema version.
    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    struct Future(Event);
    impl crate::journal::Payload for Future {
        const SCHEMA_VERSION: u16 = Event::SCHEMA_VERSION + 1;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut journal = Journal::create(dir.path(), &Genesis::new(None), &OpenOptions::default()).unwrap();
    // A report changes no order, and has a hand-written codec.
    let ignored = || {
        Event::from(crate::event::ReportIgnored {
            client_order_id: None,
            broker_order_id: None,
            reason: "unknown".into(),
            report: "fill".into(),
        })
    };
    journal.append(&[Draft::new(1, "venue", ignored())]).unwrap();
    // A stream too long to be inline: an inspecting replay decodes the envelope before the
    // refusal, and frees it.
    journal.append(&[Draft::new(2, "venue:a-stream-longer-than-24-bytes", Future(ignored()))]).unwrap();
    for error in [
        replay(&journal, Until::Head).unwrap_err(),
        replay_inspecting(&journal, Until::Head, |_, _, _, _| {}).unwrap_err(),
    ] {
        let ReplayError::Journal(JournalError::Corrupt(corruption)) = error else { panic!("{error:?}") };
        assert_eq!(corruption.seq(), Some(2));
        assert!(corruption.to_string().contains("schema version 3 is newer than this build's 2"), "{corruption}");
    }
}

#[test]
fn in_a_block_the_records_before_an_undecodable_one_fold_and_it_is_reported_at_its_seq() {
    /// Bytes written as they are: events encoded beforehand, and garbage.
    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    struct Raw(Vec<u8>);
    impl crate::journal::Payload for Raw {
        const SCHEMA_VERSION: u16 = Event::SCHEMA_VERSION;
        fn encode_wire(&self, out: &mut Vec<u8>) -> crate::journal::Result<()> {
            out.extend_from_slice(&self.0);
            Ok(())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let events = Lifecycles::new(3, 4).take_drafts(40);
    let raw = |draft: &Draft<Event>| {
        let mut bytes = Vec::new();
        crate::journal::Payload::encode_wire(&draft.payload, &mut bytes).unwrap();
        Draft::new(draft.ts_ns, draft.stream.as_str(), Raw(bytes))
    };
    let mut drafts: Vec<Draft<Raw>> = events[..30].iter().map(raw).collect();
    drafts.push(Draft::new(events[29].ts_ns, "order:a-stream-longer-than-24-bytes", Raw(vec![0xFF; 8])));
    drafts.extend(events[30..].iter().map(raw));
    let mut journal = Journal::create(dir.path(), &Genesis::new(None), &OpenOptions::default()).unwrap();
    journal.append(&drafts).unwrap(); // one block

    let prefix = replay(&journal, Until::Seq(30)).unwrap();
    assert_eq!((prefix.folded, prefix.at.seq), (30, 30));
    assert_eq!(prefix.views, folded(&journal, &events, 30));
    let error = replay(&journal, Until::Head).unwrap_err();
    let ReplayError::Journal(JournalError::Corrupt(corruption)) = error else { panic!("{error:?}") };
    assert_eq!(corruption.seq(), Some(31));
    // With whole envelopes (an audit): the same records, each inspected, then the same error.
    let mut inspected = Vec::new();
    let error = replay_inspecting(&journal, Until::Head, |envelope, _, hash, _| inspected.push((envelope.seq, *hash)));
    let Err(ReplayError::Journal(JournalError::Corrupt(corruption))) = error else { panic!("{error:?}") };
    assert_eq!(corruption.seq(), Some(31));
    let stored = (1..=30).map(|seq| (seq, journal.reader().hash_at(seq).unwrap().unwrap()));
    assert_eq!(inspected, stored.collect::<Vec<_>>());
}
