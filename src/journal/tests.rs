//! Behaviour of the journal as a whole: open, append, reopen, read, lock, witness,
//! snapshots, the group-commit writer and follow.

use super::*;

fn draft(i: u64) -> Draft<Opaque> {
    Draft::new(i as i64 * 1_000, format!("stream-{}", i % 3), Opaque(format!("payload {i}").into_bytes()))
}

fn create(dir: &std::path::Path) -> Journal {
    Journal::create(dir, &Genesis::new(Some(7)), &OpenOptions::default()).unwrap()
}

fn all(journal: &Journal) -> Vec<Record<Opaque>> {
    journal.reader().records(1, u64::MAX).unwrap().collect::<Result<_>>().unwrap()
}

#[test]
fn appended_records_come_back_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    let first = journal.append(&(1..=5).map(draft).collect::<Vec<_>>()).unwrap();
    let second = journal.append(&(6..=8).map(draft).collect::<Vec<_>>()).unwrap();
    assert_eq!(first.iter().chain(&second).map(|c| c.seq).collect::<Vec<_>>(), (1..=8).collect::<Vec<_>>());
    let head = journal.head();
    assert_eq!(head.seq, 8);
    drop(journal);

    let journal = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
    assert_eq!(journal.head(), head);
    let records = all(&journal);
    assert_eq!(records.len(), 8);
    for (i, record) in records.iter().enumerate() {
        let seq = i as u64 + 1;
        assert_eq!(record.envelope.seq, seq);
        assert_eq!(record.payload, draft(seq).payload);
        assert_eq!(record.envelope.ts_ns, seq as i64 * 1_000);
        assert_eq!(record.envelope.event_id, event_id(&journal.genesis_hash(), seq));
    }
    assert_eq!(records[7].hash, head.hash);
    assert_eq!(journal.verify().unwrap().events, 8);
}

#[test]
fn equal_histories_have_equal_heads_and_different_ones_do_not() {
    let run = |payload_of_3: &str| {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = create(dir.path());
        let mut drafts: Vec<_> = (1..=4).map(draft).collect();
        drafts[2].payload = Opaque(payload_of_3.as_bytes().to_vec());
        journal.append(&drafts).unwrap();
        journal.head().hash
    };
    assert_eq!(run("a"), run("a"));
    assert_ne!(run("a"), run("b"));
}

#[test]
fn ranges_start_and_stop_mid_block() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    for chunk in (1..=30).collect::<Vec<u64>>().chunks(7) {
        journal.append(&chunk.iter().copied().map(draft).collect::<Vec<_>>()).unwrap();
    }
    let seqs = |from, to| -> Vec<u64> {
        journal.reader().records::<Opaque>(from, to).unwrap().map(|r| r.unwrap().envelope.seq).collect()
    };
    assert_eq!(seqs(10, 17), (10..=17).collect::<Vec<_>>());
    assert_eq!(seqs(29, 100), vec![29, 30]);
    assert_eq!(seqs(31, 100), Vec::<u64>::new());
    assert_eq!(seqs(5, 4), Vec::<u64>::new());
    assert_eq!(journal.reader().hash_at(30).unwrap(), Some(journal.head().hash));
    assert_eq!(journal.reader().hash_at(31).unwrap(), None);
}

#[test]
fn a_second_open_is_refused_while_the_first_holds_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let journal = create(dir.path());
    let err = Journal::open(dir.path(), &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, JournalError::Locked { .. }), "{err}");
    let holder = format!("(pid {}: {}", std::process::id(), std::env::args().next().unwrap());
    assert!(err.to_string().contains(&holder), "the error names the holder: {err}");
    drop(journal);
    Journal::open(dir.path(), &OpenOptions::default()).unwrap();
}

#[test]
fn create_refuses_an_existing_journal_and_open_refuses_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    drop(create(dir.path()));
    assert!(matches!(
        Journal::create(dir.path(), &Genesis::new(None), &OpenOptions::default()),
        Err(JournalError::AlreadyExists(_))
    ));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(Journal::open(empty.path(), &OpenOptions::default()), Err(JournalError::NotFound(_))));
    // A mistyped path changes nothing: no folder made, no lock file left in another folder.
    let missing = empty.path().join("typo");
    assert!(matches!(Journal::open(&missing, &OpenOptions::default()), Err(JournalError::NotFound(_))));
    assert!(!missing.exists());
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0, "no LOCK file in a folder holding no journal");
    // A file is neither opened nor made into a journal.
    let file = empty.path().join("notes.txt");
    std::fs::write(&file, "keep me").unwrap();
    assert!(matches!(Journal::open(&file, &OpenOptions::default()), Err(JournalError::NotFound(_))));
    let refused = Journal::create(&file, &Genesis::new(None), &OpenOptions::default()).map(|_| ()).unwrap_err();
    assert!(refused.to_string().contains("is a file, not a journal directory"), "{refused}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

#[test]
fn open_or_create_refuses_a_different_genesis() {
    let dir = tempfile::tempdir().unwrap();
    drop(Journal::open_or_create(dir.path(), &Genesis::new(Some(1)), &OpenOptions::default()).unwrap());
    drop(Journal::open_or_create(dir.path(), &Genesis::new(Some(1)), &OpenOptions::default()).unwrap());
    let err = Journal::open_or_create(dir.path(), &Genesis::new(Some(2)), &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, JournalError::Invalid(_)), "{err}");
}

#[test]
fn a_witness_ahead_of_the_store_means_acknowledged_records_were_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    journal.append(&(1..=3).map(draft).collect::<Vec<_>>()).unwrap();
    let ahead = Head { seq: 9, hash: journal.head().hash };
    drop(journal);
    std::fs::write(Layout::new(dir.path()).witness(), ahead.encode()).unwrap();
    let err = Journal::open(dir.path(), &OpenOptions::default()).unwrap_err();
    let corruption = err.corruption().expect("corruption");
    assert_eq!(corruption.location, Location::Seq(4));
    assert!(matches!(corruption.kind, CorruptionKind::AcknowledgedMissing { witnessed_seq: 9, stored_seq: 3 }));
}

#[test]
fn a_witness_naming_another_record_is_corruption_and_a_missing_one_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    journal.append(&(1..=3).map(draft).collect::<Vec<_>>()).unwrap();
    let wrong = Head { seq: 2, hash: journal.head().hash };
    drop(journal);
    let witness = Layout::new(dir.path()).witness();
    std::fs::write(&witness, wrong.encode()).unwrap();
    let err = Journal::open(dir.path(), &OpenOptions::default()).unwrap_err();
    assert_eq!(err.corruption().map(|c| c.location.clone()), Some(Location::Seq(2)));
    std::fs::remove_file(&witness).unwrap();
    let err = Journal::open(dir.path(), &OpenOptions::default()).unwrap_err();
    assert_eq!(err.corruption().map(|c| c.location.clone()), Some(Location::Witness));
}

/// A journal of 10 records with `views` checkpoints "three" and "eight" at those seqs.
fn with_two_checkpoints(dir: &std::path::Path) -> (Journal, SnapshotStore, Vec<Committed>) {
    let mut journal = create(dir);
    let committed = journal.append(&(1..=10).map(draft).collect::<Vec<_>>()).unwrap();
    let store = journal.snapshots().unwrap();
    for (seq, data) in [(3, b"three".as_slice()), (8, b"eight".as_slice())] {
        store.save("views", Head { seq, hash: committed[seq as usize - 1].hash }, data).unwrap();
    }
    (journal, store, committed)
}

#[test]
fn snapshots_load_the_newest_valid_one_at_or_below_a_seq() {
    let dir = tempfile::tempdir().unwrap();
    let (_journal, store, committed) = with_two_checkpoints(dir.path());
    let at = |seq: u64| Head { seq, hash: committed[seq as usize - 1].hash };
    store.save("other", at(9), b"nine").unwrap();
    let load = |seq| store.load_latest("views", seq).unwrap().map(|s| (s.seq, s.data.to_vec()));
    assert_eq!(load(10), Some((8, b"eight".to_vec())));
    assert_eq!(load(7), Some((3, b"three".to_vec())));
    assert_eq!(load(2), None);
    assert_eq!(store.load_latest("views", 8).unwrap().unwrap().hash, at(8).hash);
    let foreign = Head { seq: 5, hash: at(4).hash };
    assert!(matches!(store.save("views", foreign, b"x"), Err(JournalError::Invalid(_))));
    assert_eq!(store.prune("views", 1).unwrap(), 1);
    assert_eq!(store.seqs("views").unwrap(), vec![8]);
}

#[test]
fn a_damaged_or_torn_snapshot_file_is_skipped_and_an_older_one_used() {
    let dir = tempfile::tempdir().unwrap();
    let (_journal, store, committed) = with_two_checkpoints(dir.path());
    let at = |seq: u64| Head { seq, hash: committed[seq as usize - 1].hash };
    let folder = Layout::new(dir.path()).snapshots().join("views");
    let newest = folder.join(format!("{:020}.snap", 8));
    let mut bytes = std::fs::read(&newest).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&newest, &bytes).unwrap();
    assert_eq!(store.load_latest("views", 10).unwrap().map(|s| s.seq), Some(3), "a flipped bit fails the CRC");
    std::fs::write(&newest, b"SNP").unwrap();
    assert_eq!(store.load_latest("views", 10).unwrap().map(|s| s.seq), Some(3), "a torn file is skipped");
    // A save interrupted before its rename leaves a .tmp: never loaded, removed by prune.
    std::fs::write(folder.join(format!("{:020}.tmp", 9)), b"partial").unwrap();
    assert_eq!(store.seqs("views").unwrap(), vec![3, 8]);
    store.prune("views", 5).unwrap();
    assert!(!folder.join(format!("{:020}.tmp", 9)).exists());
    assert!(matches!(store.save("../x", at(3), b"x"), Err(JournalError::Invalid(_))), "names are plain words");
}

#[test]
fn a_failed_batch_member_is_refused_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    let mut batch = journal.batch();
    batch.push(&draft(1)).unwrap();
    let huge = Draft::new(0, "s", Opaque(vec![0; MAX_RECORD_BYTES]));
    assert!(matches!(batch.push(&huge), Err(JournalError::RecordTooLarge { .. })));
    batch.push(&draft(2)).unwrap();
    let committed = journal.commit(batch).unwrap();
    assert_eq!(committed.iter().map(|c| c.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(all(&journal)[1].payload, draft(2).payload);
}

#[test]
fn a_stale_batch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    let mut stale = journal.batch();
    stale.push(&draft(1)).unwrap();
    journal.append(&[draft(1)]).unwrap();
    assert!(matches!(journal.commit(stale), Err(JournalError::Invalid(_))));
    assert_eq!(journal.head().seq, 1);
}

#[test]
fn queued_batches_join_into_blocks_of_at_most_max_batch_records_and_read_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    let mut prepared = Vec::new();
    for (from, n) in [(1, 3), (4, 2), (6, 4)] {
        let mut batch = journal.batch();
        for i in from..from + n {
            batch.push(&draft(i)).unwrap();
        }
        prepared.push(journal.prepare(batch).unwrap().unwrap());
    }
    let blocks = writer::join(prepared.into_iter(), 6);
    assert_eq!(blocks.iter().map(|b| (b.first_seq, b.len())).collect::<Vec<_>>(), vec![(1, 5), (6, 4)]);
    journal.durability.write(&blocks).unwrap();
    let head = journal.head();
    drop(journal);

    let journal = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
    assert_eq!(journal.head(), head);
    let payloads: Vec<_> = all(&journal).into_iter().map(|r| r.payload).collect();
    assert_eq!(payloads, (1..=9).map(|i| draft(i).payload).collect::<Vec<_>>());
    assert_eq!(journal.verify().unwrap().events, 9);
}

#[test]
fn joined_blocks_stay_inline_in_sled_and_a_larger_batch_stays_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    let kib = |n: usize| Draft::new(0, "big", Opaque(vec![7; n << 10]));
    let mut prepared = Vec::new();
    for size in [50, 50, 50, 200] {
        let mut batch = journal.batch();
        batch.push(&kib(size)).unwrap();
        prepared.push(journal.prepare(batch).unwrap().unwrap());
    }
    let blocks = writer::join(prepared.into_iter(), 1000);
    assert_eq!(blocks.iter().map(|b| (b.first_seq, b.len())).collect::<Vec<_>>(), vec![(1, 2), (3, 1), (4, 1)]);
    assert!(blocks[..2].iter().all(|b| b.bytes.len() <= INLINE_BLOCK_BYTES));
    journal.durability.write(&blocks).unwrap();
    assert_eq!(journal.verify().unwrap().events, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_producers_get_unique_gapless_seqs() {
    let dir = tempfile::tempdir().unwrap();
    let writer = JournalWriter::<Opaque>::spawn(create(dir.path()), WriterConfig::default());
    let mut tasks = Vec::new();
    for producer in 0..8u64 {
        let appender = writer.appender();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..250u64 {
                let d = Draft::new(0, format!("p{producer}"), Opaque(vec![producer as u8, i as u8]));
                seqs.push(appender.append(d).await.unwrap().seq);
            }
            seqs
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        let mine = task.await.unwrap();
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "one producer's appends keep their order");
        seqs.extend(mine);
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=2000).collect::<Vec<_>>());
    // Every flush was timed: at least one, at most one per record.
    let flushes = writer.flush_times().flushes();
    assert!((1..=2000).contains(&flushes), "{flushes} flushes");
    let journal = writer.close().await.unwrap();
    assert_eq!(journal.verify().unwrap().events, 2000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_sees_records_as_they_become_durable() {
    let dir = tempfile::tempdir().unwrap();
    let journal = create(dir.path());
    let reader = journal.reader();
    let writer = JournalWriter::<Opaque>::spawn(journal, WriterConfig::default());
    let mut follower = Follower::<Opaque>::new(reader, writer.head(), 1);
    let appender = writer.appender();
    let producer = tokio::spawn(async move {
        for i in 1..=50 {
            appender.append(draft(i)).await.unwrap();
        }
    });
    for seq in 1..=50 {
        let record = follower.next().await.unwrap().expect("record");
        assert_eq!((record.envelope.seq, record.payload), (seq, draft(seq).payload));
    }
    producer.await.unwrap();
    writer.close().await.unwrap();
    assert!(follower.next().await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_write_failure_every_append_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    journal.append(&[draft(1)]).unwrap();
    // Writes to /dev/full fail with ENOSPC: the commit's last durable step fails.
    let full = witness::Witness::open("/dev/full".into()).unwrap().0;
    let genesis = journal.genesis().encode().unwrap();
    journal.durability = log::Durability::new(journal.segments.clone(), genesis, journal.head(), full).unwrap();
    let writer = JournalWriter::<Opaque>::spawn(journal, WriterConfig::default());
    let appender = writer.appender();
    let first = appender.append(draft(2)).await.unwrap_err();
    assert!(matches!(first, JournalError::Failed(_)), "{first}");
    let second = appender.append(draft(3)).await.unwrap_err();
    assert!(matches!(second, JournalError::Failed(_)), "{second}");
    drop(appender);
    let mut journal = writer.close().await.unwrap();
    assert!(journal.failure().is_some());
    let empty = journal.batch();
    assert!(matches!(journal.commit(empty), Err(JournalError::Failed(_))));
    drop(journal);
    // What reached sled unacknowledged may or may not be there; the journal stays consistent.
    let reopened = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
    assert!(reopened.verify().unwrap().events <= 3);
}

/// Records for seqs `first..first + n` of a journal with genesis hash `h0`, stamped as the
/// engine stamps them.
fn stamped(h0: &ChainHash, first: u64, n: u64) -> Vec<(Envelope, Opaque)> {
    (first..first + n).map(|seq| (draft(seq).envelope(h0, seq), draft(seq).payload)).collect()
}

/// What a callback acknowledgement saw: the thread it ran on and the outcome.
type Called = std::sync::mpsc::Receiver<(Option<String>, Result<Committed>)>;

fn recording_callback() -> (impl FnOnce(Result<Committed>) + Send + 'static, Called) {
    let (tx, rx) = std::sync::mpsc::channel();
    let call = move |outcome| {
        let _ = tx.send((std::thread::current().name().map(str::to_owned), outcome));
    };
    (call, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_acknowledgement_runs_once_on_the_flusher_thread_for_success_and_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let journal = create(dir.path());
    let h0 = journal.genesis_hash();
    let writer = JournalWriter::<Opaque>::spawn(journal, WriterConfig::default());
    let appender = writer.appender();
    let (then, called) = recording_callback();
    appender.submit_records_then(stamped(&h0, 1, 3), then).await.unwrap();
    // A wrong seq is refused, and the callback says so.
    let (then, refused) = recording_callback();
    appender.submit_records_then(stamped(&h0, 9, 1), then).await.unwrap();
    drop(appender);
    let journal = writer.close().await.unwrap();
    let (thread, outcome) = called.recv().unwrap();
    assert_eq!(thread.as_deref(), Some("blotter-journal-flush"));
    assert_eq!(outcome.unwrap().seq, 3);
    assert!(called.try_recv().is_err(), "called once");
    let (_, outcome) = refused.recv().unwrap();
    assert!(matches!(outcome, Err(JournalError::Invalid(_))), "{outcome:?}");
    assert_eq!(journal.verify().unwrap().events, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_hears_a_write_failure() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    let h0 = journal.genesis_hash();
    let full = witness::Witness::open("/dev/full".into()).unwrap().0;
    let genesis = journal.genesis().encode().unwrap();
    journal.durability = log::Durability::new(journal.segments.clone(), genesis, journal.head(), full).unwrap();
    let writer = JournalWriter::<Opaque>::spawn(journal, WriterConfig::default());
    let appender = writer.appender();
    let (then, called) = recording_callback();
    appender.submit_records_then(stamped(&h0, 1, 2), then).await.unwrap();
    let (_, outcome) = called.recv().unwrap();
    assert!(matches!(outcome, Err(JournalError::Failed(_))), "{outcome:?}");
    drop(appender);
    assert!(writer.close().await.unwrap().failure().is_some());
}

/// The `b`-th batch of seven drafts (seqs `7b + 1 ..= 7b + 7` in a new journal).
fn seven(b: u64) -> Vec<Draft<Opaque>> {
    (b * 7 + 1..=b * 7 + 7).map(draft).collect()
}

/// A journal whose segments hold about `bytes` of blocks each.
fn create_segmented(dir: &std::path::Path, bytes: u64) -> Journal {
    let mut options = OpenOptions::default();
    options.store.segment_bytes = bytes;
    Journal::create(dir, &Genesis::new(Some(1)), &options).unwrap()
}

/// The names in the journal's store folder, sorted: its segments (named by first seq) and
/// any next segment made ahead (`*.next`).
fn store_entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(Layout::new(dir).store())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The journal's segments: their names (first seqs).
fn segment_dirs(dir: &std::path::Path) -> Vec<String> {
    store_entries(dir).into_iter().filter(|name| !name.ends_with(".next")).collect()
}

#[test]
fn segments_roll_by_size_and_read_verify_and_reopen_as_one_journal() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create_segmented(dir.path(), 600);
    let mut committed = Vec::new();
    for b in 0..30u64 {
        committed.extend(journal.append(&seven(b)).unwrap());
    }
    let segments = segment_dirs(dir.path());
    assert!(segments.len() > 5, "rolled into {segments:?}");
    assert_eq!(segments[0], format!("{:020}", 1));
    assert!(segments.iter().all(|name| (name.parse::<u64>().unwrap() - 1) % 7 == 0), "blocks never span segments");
    // Every segment after the first was made ahead and linked in by its first seq.
    let store = Layout::new(dir.path()).store();
    for name in &segments[1..] {
        let target = std::fs::read_link(store.join(name)).expect("a rolled segment is a link");
        assert!(target.to_string_lossy().ends_with(".next"), "{name} -> {target:?}");
    }
    // A clean close settles the sealed segments sled has not reopened since they were
    // written: it snapshots each one anew, so the next open of it reads only its snapshot,
    // not its whole log. (A sealed segment is closed once written; any later read reopens
    // it, and sled snapshots it then.)
    let snaps = |segment: &str| -> Vec<String> {
        let folder = Layout::new(dir.path()).store().join(segment);
        let mut names: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("snap."))
            .collect();
        names.sort();
        names
    };
    let before = snaps(&segments[0]);
    let head = journal.head();
    drop(journal);
    assert_ne!(snaps(&segments[0]), before, "the first segment was reopened and snapshotted by sled");
    let linked = segments.len() - 1;
    assert_eq!(
        store_entries(dir.path()).len(),
        segments.len() + linked,
        "a next segment not linked is removed at close"
    );
    let journal = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
    assert_eq!(journal.verify().unwrap().events, 210);
    let reader = journal.reader();
    for c in &committed {
        assert_eq!(reader.hash_at(c.seq).unwrap(), Some(c.hash));
    }
    let tail: Vec<_> = reader.records::<Opaque>(50, 120).unwrap().map(|r| r.unwrap().envelope.seq).collect();
    assert_eq!(tail, (50..=120).collect::<Vec<_>>());
    drop((reader, journal));
    // A reopen opens only the newest segment; reading and verifying open the others.
    let journal = Journal::open(dir.path(), &OpenOptions::tail_checked()).unwrap();
    assert_eq!(journal.head(), head);
    assert_eq!(all(&journal).len(), 210);
    assert_eq!(all(&journal)[99].payload, draft(100).payload);
    drop(journal);
    let journal = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
    assert_eq!(journal.verify().unwrap().head, head);
}

/// sled keeps what it read or wrote of a database in its cache, so an open segment costs
/// about its size in memory: only the newest and the sealed one used last stay open.
#[test]
fn sealed_segments_close_once_written_or_read_so_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create_segmented(dir.path(), 600);
    for b in 0..40u64 {
        journal.append(&seven(b)).unwrap();
        assert!(journal.segments.open_count() <= 2, "after batch {b}: {}", journal.segments.open_count());
    }
    assert!(journal.segments.len() > 8);
    let mut blocks = journal.reader().blocks(1, u64::MAX).unwrap();
    let mut seen = 0;
    for block in blocks.by_ref() {
        seen += block.unwrap().records().count();
        assert!(journal.segments.open_count() <= 3, "reading: {}", journal.segments.open_count());
    }
    assert_eq!(seen, 280);
    drop(blocks);
    assert!(journal.segments.open_count() <= 2);
    assert_eq!(journal.verify().unwrap().events, 280);
}

#[test]
fn a_missing_segment_is_a_seq_gap_and_a_torn_segment_creation_is_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create_segmented(dir.path(), 600);
    for b in 0..12u64 {
        journal.append(&seven(b)).unwrap();
    }
    drop(journal);
    let segments = segment_dirs(dir.path());
    let store = Layout::new(dir.path()).store();
    // A segment creation interrupted before its rename leaves a .tmp folder: removed at open.
    std::fs::create_dir(store.join("00000000000000009999.tmp")).unwrap();
    // A roll interrupted before its link was synced leaves a next segment with G and H but
    // no block and no link: removed at open.
    let unlinked = store.join(format!("{}.next", segments.last().unwrap()));
    assert!(!unlinked.exists(), "the newest segment's next one was removed at close");
    {
        let made = chunks::Store::open(storage::open_db(&unlinked, &StoreOptions::default()).unwrap()).unwrap();
        made.log.insert(super::segments::GENESIS_KEY, &b"G"[..]).unwrap();
        made.db.flush().unwrap();
    }
    let entries = store_entries(dir.path());
    drop(Journal::open(dir.path(), &OpenOptions::default()).unwrap());
    assert_eq!(segment_dirs(dir.path()), segments);
    assert_eq!(store_entries(dir.path()).len(), entries.len() - 2, "the .tmp and the unlinked .next went");
    // A segment whose link is lost is a gap; its folder, which holds blocks, is kept.
    let target = store.join(std::fs::read_link(store.join(&segments[1])).unwrap());
    std::fs::remove_file(store.join(&segments[1])).unwrap();
    let err = Journal::open(dir.path(), &OpenOptions::default()).unwrap_err();
    let first_lost = segments[1].parse::<u64>().unwrap();
    assert_eq!(err.corruption().map(|c| c.location.clone()), Some(Location::Seq(first_lost)), "{err}");
    assert!(target.join("db").is_file(), "a folder holding blocks is never removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_rolls_segments_and_a_follower_reads_across_them() {
    let dir = tempfile::tempdir().unwrap();
    let journal = create_segmented(dir.path(), 2_000);
    let reader = journal.reader();
    let writer = JournalWriter::<Opaque>::spawn(journal, WriterConfig { max_batch: 16, ..WriterConfig::default() });
    let mut follower = Follower::<Opaque>::new(reader, writer.head(), 1);
    let appender = writer.appender();
    for seq in 1..=400 {
        appender.append(draft(seq)).await.unwrap();
    }
    for seq in 1..=400 {
        let record = follower.next().await.unwrap().expect("record");
        assert_eq!((record.envelope.seq, record.payload), (seq, draft(seq).payload));
    }
    drop(appender);
    let journal = writer.close().await.unwrap();
    assert!(segment_dirs(dir.path()).len() > 3);
    assert_eq!(journal.verify().unwrap().events, 400);
}

/// A draft whose block, appended alone, is large (40 KB).
fn large_draft(i: u64) -> Draft<Opaque> {
    Draft::new(i as i64, "large", Opaque(vec![(i % 251) as u8; 40_000]))
}

/// The first segment's store, opened directly (the journal must be closed).
fn first_segment(dir: &std::path::Path) -> chunks::Store {
    let path = Layout::new(dir).store().join(format!("{:020}", 1));
    chunks::Store::open(storage::open_db(&path, &StoreOptions::default()).unwrap()).unwrap()
}

/// A closed journal of `blocks` large blocks (seqs `1..=blocks`, one each) and its head.
fn large_journal(blocks: u64) -> (tempfile::TempDir, Head) {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    for seq in 1..=blocks {
        journal.append(&[large_draft(seq)]).unwrap();
    }
    (dir, journal.head())
}

#[test]
fn large_blocks_go_four_to_a_chunk_and_small_ones_share_one() {
    let (dir, head) = large_journal(10);
    let four_to_a_chunk = vec![(1, vec![1, 2, 3, 4]), (5, vec![5, 6, 7, 8]), (9, vec![9, 10])];
    assert_eq!(first_segment(dir.path()).layout(), four_to_a_chunk);

    // A reopen reads them back, and its first write starts a new chunk.
    let mut journal = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
    assert_eq!(journal.head(), head);
    assert_eq!(
        all(&journal).iter().map(|r| r.payload.clone()).collect::<Vec<_>>(),
        (1..=10).map(|s| large_draft(s).payload).collect::<Vec<_>>()
    );
    journal.append(&[large_draft(11)]).unwrap();
    assert_eq!(journal.verify().unwrap().events, 11);
    drop(journal);
    assert_eq!(first_segment(dir.path()).layout().last(), Some(&(11, vec![11])));

    // Small blocks fill one chunk up to its bytes, however many blocks that takes.
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    for seq in 1..=30 {
        journal.append(&[draft(seq)]).unwrap();
    }
    drop(journal);
    assert_eq!(first_segment(dir.path()).layout(), vec![(1, (1..=30).collect())]);
}

#[test]
fn no_chunk_grows_past_what_sled_keeps_inline() {
    // Five 27 KB blocks make a leaf sled consolidates (its tenth update) at 135 KB, which
    // it would write to a blob file; so a fifth block of that size starts a new chunk.
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    for seq in 1..=12u64 {
        journal.append(&[Draft::new(seq as i64, "medium", Opaque(vec![1; 27_000]))]).unwrap();
    }
    drop(journal);
    let layout = vec![(1, vec![1, 2, 3, 4]), (5, vec![5, 6, 7, 8]), (9, vec![9, 10, 11, 12])];
    assert_eq!(first_segment(dir.path()).layout(), layout);
    let blobs = Layout::new(dir.path()).store().join(format!("{:020}", 1)).join("blobs");
    assert_eq!(std::fs::read_dir(blobs).map_or(0, |files| files.count()), 0, "sled wrote blob files");
}

#[test]
fn an_empty_chunk_left_by_a_crash_is_passed_over_and_reused() {
    let (dir, head) = large_journal(5);
    // The crash came after the chunk for seq 6 was made and before its block was.
    first_segment(dir.path()).leave_empty_chunk(6);

    let mut journal = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
    assert_eq!(journal.head(), head, "the empty chunk holds no head");
    assert_eq!(all(&journal).len(), 5);
    assert_eq!(journal.reader().last_block().unwrap().map(|b| b.last().seq), Some(5));
    journal.append(&[large_draft(6)]).unwrap();
    drop(journal);
    assert_eq!(first_segment(dir.path()).layout(), vec![(1, vec![1, 2, 3, 4]), (5, vec![5]), (6, vec![6])]);
    let journal = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
    assert_eq!(journal.verify().unwrap().events, 6);
}

#[test]
fn a_segment_with_its_blocks_in_its_log_tree_is_read_and_continued() {
    // Journals written before chunks kept every block and the head in the `log` tree.
    let (dir, head) = large_journal(6);
    first_segment(dir.path()).move_chunks_into_log();
    assert_eq!(first_segment(dir.path()).layout(), vec![]);

    let mut journal = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
    assert_eq!(journal.head(), head);
    assert_eq!(journal.reader().hash_at(3).unwrap(), all(&journal).get(2).map(|r| r.hash));
    journal.append(&[large_draft(7)]).unwrap();
    journal.append(&[large_draft(8)]).unwrap();
    let head = journal.head();
    drop(journal);
    let journal = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
    assert_eq!(journal.head(), head);
    assert_eq!(journal.verify().unwrap().events, 8);
    let seqs: Vec<_> = journal.reader().records::<Opaque>(5, 8).unwrap().map(|r| r.unwrap().envelope.seq).collect();
    assert_eq!(seqs, vec![5, 6, 7, 8], "a range starting in `log` runs on into the chunks");
}

#[test]
fn a_journal_of_the_single_database_layout_is_refused_not_written_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = Layout::new(dir.path()).store();
    std::fs::create_dir_all(&store).unwrap();
    std::fs::write(store.join("db"), b"an older blotter's sled file").unwrap();
    let genesis = Genesis::new(Some(1));
    for result in [
        Journal::create(dir.path(), &genesis, &OpenOptions::default()).map(drop),
        Journal::open(dir.path(), &OpenOptions::default()).map(drop),
        Journal::open_or_create(dir.path(), &genesis, &OpenOptions::default()).map(drop),
    ] {
        let err = result.unwrap_err();
        assert!(err.to_string().contains("older blotter"), "{err}");
    }
    assert_eq!(std::fs::read_dir(&store).unwrap().count(), 1, "nothing was created beside it");
}

#[test]
fn a_torn_sled_snapshot_left_by_a_crash_does_not_stop_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = create(dir.path());
    journal.append(&(1..=5).map(draft).collect::<Vec<_>>()).unwrap();
    drop(journal);
    // sled was killed while writing its open-time snapshot: it would take this torn file as
    // its newest snapshot and refuse to open.
    let segment = Layout::new(dir.path()).store().join(format!("{:020}", 1));
    std::fs::write(segment.join("snap.FFFFFFFFFFFFFFFF.generating"), b"torn").unwrap();
    let journal = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
    assert_eq!(journal.head().seq, 5);
    assert!(!segment.join("snap.FFFFFFFFFFFFFFFF.generating").exists());
}
