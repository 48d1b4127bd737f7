//! Property tests of the journal: what goes in comes back, seqs are gapless, the chain
//! recomputes from genesis, and concurrent producers get unique gapless seqs; all of it
//! whatever the segment size (the store is split into sled databases by seq range).

use blotter::journal::{Draft, Genesis, Journal, JournalWriter, Opaque, OpenOptions, WriterConfig};
use proptest::prelude::*;

fn drafts() -> impl Strategy<Value = Vec<(i64, String, Vec<u8>)>> {
    prop::collection::vec((any::<i64>(), "[a-z:0-9-]{0,24}", prop::collection::vec(any::<u8>(), 0..300)), 1..120)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn appended_payloads_come_back_identical_gapless_and_chained(
        records in drafts(),
        cuts in prop::collection::vec(1usize..40, 1..10),
        segment_bytes in prop_oneof![Just(32u64 << 20), 200u64..20_000],
        from in 1u64..130,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut options = OpenOptions::default();
        options.store.segment_bytes = segment_bytes;
        let mut journal = Journal::create(dir.path(), &Genesis::new(Some(3)), &options).unwrap();
        let drafts: Vec<_> = records.iter().map(|(ts, stream, bytes)| Draft::new(*ts, stream.clone(), Opaque(bytes.clone()))).collect();
        // Split into batches of arbitrary sizes.
        let mut start = 0;
        for cut in cuts.iter().cycle() {
            if start >= drafts.len() { break; }
            let end = (start + cut).min(drafts.len());
            journal.append(&drafts[start..end]).unwrap();
            start = end;
        }
        drop(journal);

        let journal = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
        let back: Vec<_> = journal.reader().records::<Opaque>(1, u64::MAX).unwrap().map(Result::unwrap).collect();
        // Reading from any seq (in whichever segment holds it) gives the same suffix.
        let suffix: Vec<_> = journal.reader().records::<Opaque>(from, u64::MAX).unwrap().map(Result::unwrap).collect();
        prop_assert_eq!(suffix.len() as u64, (drafts.len() as u64 + 1).saturating_sub(from));
        prop_assert!(suffix.iter().zip(back.iter().skip(from as usize - 1)).all(|(a, b)| a == b));
        prop_assert_eq!(back.len(), drafts.len());
        for (i, (record, draft)) in back.iter().zip(&drafts).enumerate() {
            prop_assert_eq!(record.envelope.seq, i as u64 + 1);
            prop_assert_eq!(record.envelope.ts_ns, draft.ts_ns);
            prop_assert_eq!(&record.envelope.stream, &draft.stream);
            prop_assert_eq!(&record.payload, &draft.payload);
        }
        // Recompute the chain independently of the journal's own code: BLAKE3(prev ‖ body).
        let mut prev = *blake3::hash(&journal.genesis().encode().unwrap()[4..]).as_bytes();
        prop_assert_eq!(prev, journal.genesis_hash().0);
        journal.reader().for_each(1, u64::MAX, |record| {
            let mut hasher = blake3::Hasher::new();
            hasher.update(&prev);
            hasher.update(record.body);
            prev = *hasher.finalize().as_bytes();
            assert_eq!(prev, record.hash.0, "chain at seq {}", record.seq);
            Ok(std::ops::ControlFlow::Continue(()))
        }).unwrap();
        prop_assert_eq!(prev, journal.head().hash.0);
        prop_assert_eq!(journal.verify().unwrap().events, drafts.len() as u64);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn concurrent_producers_get_unique_gapless_seqs(producers in 1usize..12, each in 1usize..80, max_batch in 1usize..64) {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), &Genesis::new(None), &OpenOptions::default()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let mut seqs = runtime.block_on(async {
            let config = WriterConfig { max_batch, channel_capacity: max_batch * 2, ..WriterConfig::default() };
            let writer = JournalWriter::<Opaque>::spawn(journal, config);
            let tasks: Vec<_> = (0..producers).map(|p| {
                let appender = writer.appender();
                tokio::spawn(async move {
                    let mut seqs = Vec::new();
                    for i in 0..each {
                        seqs.push(appender.append(Draft::new(0, format!("p{p}"), Opaque(vec![p as u8, i as u8]))).await.unwrap().seq);
                    }
                    seqs
                })
            }).collect();
            let mut all = Vec::new();
            for task in tasks { all.extend(task.await.unwrap()); }
            writer.close().await.unwrap();
            all
        });
        seqs.sort_unstable();
        prop_assert_eq!(seqs, (1..=(producers * each) as u64).collect::<Vec<_>>());
        let journal = Journal::open(dir.path(), &OpenOptions::default()).unwrap();
        prop_assert_eq!(journal.verify().unwrap().events, (producers * each) as u64);
    }
}
