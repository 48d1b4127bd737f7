use std::sync::{Arc, Mutex};

use super::*;
use crate::bench::market_order;
use crate::journal::{Genesis, Journal, JournalWriter, OpenOptions, WriterConfig};

/// Runs one market order through a live engine on `runtime`; returns the threads its clock
/// was read on (the engine loop's) and the seq of the durable decision.
fn one_live_order(runtime: tokio::runtime::Runtime) -> (Vec<Option<String>>, u64) {
    let scratch = tempfile::tempdir().unwrap();
    let journal = Journal::create(scratch.path().join("j"), &Genesis::new(Some(3)), &OpenOptions::default()).unwrap();
    let core = Core::new(journal.genesis_hash());
    let read_on = Arc::new(Mutex::new(Vec::new()));
    let clock: Clock = Box::new({
        let read_on = Arc::clone(&read_on);
        move || {
            read_on.lock().unwrap().push(std::thread::current().name().map(str::to_owned));
            1_700_000_000_000_000_000
        }
    });
    let last_seq = runtime.block_on(async {
        let writer = JournalWriter::<Event>::spawn(journal, WriterConfig::default());
        let engine = Engine::spawn_with_clock(core, writer.appender(), clock);
        let pending = engine.submit_now(market_order("o-1".into(), "X", 0)).await.unwrap();
        let taken_at = pending.taken_at;
        let durable = pending.durable().await.unwrap();
        assert_eq!(durable.commands.len(), 1, "the order goes to the broker once durable");
        // Durability is published once the flush returned: after the input was taken (not
        // the instant the engine started with), before the waiter saw it.
        assert!(taken_at <= durable.durable_at && durable.durable_at <= Instant::now());
        let core = engine.shutdown().await.unwrap();
        assert_eq!(core.last_seq(), durable.last_seq);
        drop(writer.close().await.unwrap());
        durable.last_seq
    });
    let read_on = read_on.lock().unwrap().clone();
    (read_on, last_seq)
}

#[test]
fn a_live_engine_decides_on_a_thread_of_its_own_on_either_runtime() {
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let workers = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    for runtime in [current, workers] {
        let (read_on, last_seq) = one_live_order(runtime);
        assert_eq!(read_on, vec![Some("blotter-engine".to_owned())]);
        assert!(last_seq >= 3, "the input, the order and its submission: {last_seq}");
    }
}

#[test]
fn a_decision_the_journal_refuses_is_never_reported_durable() {
    let scratch = tempfile::tempdir().unwrap();
    let mut journal =
        Journal::create(scratch.path().join("j"), &Genesis::new(Some(3)), &OpenOptions::default()).unwrap();
    // The journal already holds records 1 and 2, which this fresh core does not know: its
    // records, stamped from seq 1, are refused.
    let drafts = [1u64, 2].map(|i| crate::journal::Draft::new(i as i64, "x", market_order(format!("old-{i}"), "X", i)));
    journal.append(&drafts).unwrap();
    let core = Core::new(journal.genesis_hash());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    runtime.block_on(async {
        let writer = JournalWriter::<Event>::spawn(journal, WriterConfig::default());
        let engine = Engine::spawn_with_clock(core, writer.appender(), Box::new(|| 1_700_000_000_000_000_000));
        let pending = engine.submit_now(market_order("o-1".into(), "X", 0)).await.unwrap();
        assert_eq!(pending.first_seq, 1, "stamped over the journal's own records");
        let outcome = tokio::time::timeout(std::time::Duration::from_secs(30), pending.durable()).await;
        let outcome = outcome.expect("the refusal is reported, not waited on forever");
        assert!(matches!(outcome, Err(RunError::JournalFailed(_))), "{outcome:?}");
        drop(engine);
        let journal = writer.close().await.unwrap();
        assert_eq!(journal.head().seq, 2, "nothing of the engine's was written");
    });
}
