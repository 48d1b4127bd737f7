//! NDJSON interchange: `import(export(j))` is `j` (same head hash, same bytes on re-export),
//! every malformed line is refused naming its line and leaves no journal behind, and the
//! CLI's exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use blotter::event::Event;
use blotter::event::synthetic::Lifecycles;
use blotter::interchange::{self, ImportError, ImportSummary};
use blotter::journal::{Draft, Envelope, Genesis, Journal, Opaque, OpenOptions, event_id};
use proptest::prelude::*;
use serde_json::Value;
use uuid::Uuid;

/// A child process forked while this process has a journal's `LOCK` open inherits that
/// descriptor until it execs, and with it the lock: a test reopening a journal it just
/// closed could then find it locked. Tests that spawn the CLI take this exclusively; tests
/// that only use the library share it.
static FORK_GUARD: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn library_test() -> std::sync::RwLockReadGuard<'static, ()> {
    FORK_GUARD.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn cli_test() -> std::sync::RwLockWriteGuard<'static, ()> {
    FORK_GUARD.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Synthetic drafts; every third one carries correlation and causation ids.
fn drafts(seed: u64, concurrency: usize, n: usize) -> Vec<Draft<Event>> {
    let mut drafts = Lifecycles::new(seed, concurrency).take_drafts(n);
    for (i, draft) in drafts.iter_mut().enumerate().filter(|(i, _)| i % 3 == 0) {
        draft.correlation_id = Some(Uuid::from_u128(i as u128 + 1));
        draft.causation_id = (i % 2 == 0).then(|| Uuid::from_u128(u128::MAX - i as u128));
    }
    drafts
}

fn genesis() -> Genesis {
    let mut genesis = Genesis::new(Some(42)).with_metadata("origin", "interchange-test").with_metadata("k", "v");
    // Not this build's version: import must recreate the genesis verbatim.
    genesis.blotter_version = "0.0.1-older".into();
    genesis
}

/// A journal at `dir` holding `drafts`, appended in batches of `batch`.
fn journal_at(dir: &Path, genesis: &Genesis, drafts: &[Draft<Event>], batch: usize) -> Journal {
    let mut journal = Journal::create(dir, genesis, &OpenOptions::default()).unwrap();
    for chunk in drafts.chunks(batch.max(1)) {
        journal.append(chunk).unwrap();
    }
    journal
}

fn export(journal: &Journal, from_seq: u64) -> Vec<u8> {
    let mut out = Vec::new();
    interchange::export(journal, from_seq, &mut out).unwrap();
    out
}

fn import(bytes: &[u8], target: &Path) -> Result<ImportSummary, ImportError> {
    interchange::import(bytes, target)
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec()).unwrap().lines().map(str::to_owned).collect()
}

fn unlines(lines: &[String]) -> Vec<u8> {
    lines.iter().flat_map(|line| format!("{line}\n").into_bytes()).collect()
}

/// Every entry in `dir` (to check that a refused import left nothing, not even staging).
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    entries
}

#[test]
fn export_then_import_gives_the_same_journal_and_the_same_export() {
    let _guard = library_test();
    let tmp = tempfile::tempdir().unwrap();
    let source_drafts = drafts(7, 6, 2_345);
    let source = journal_at(&tmp.path().join("source"), &genesis(), &source_drafts, 97);
    let exported = export(&source, 1);
    let text = lines(&exported);
    assert_eq!(text.len(), 1 + 2_345);
    assert!(text[0].starts_with("{\"type\":\"Genesis\""), "{}", text[0]);
    assert!(text[1].starts_with("{\"seq\":1,"), "{}", text[1]);

    let target = tmp.path().join("imported");
    let summary = import(&exported, &target).unwrap();
    assert_eq!(summary.head, source.head());
    assert_eq!(summary.records, 2_345);

    let imported = Journal::open(&target, &OpenOptions::default()).unwrap();
    assert_eq!(imported.head(), source.head());
    assert_eq!(imported.genesis(), &genesis());
    assert_eq!(imported.genesis_hash(), source.genesis_hash());
    assert_eq!(imported.verify().unwrap().events, 2_345);
    assert!(export(&imported, 1) == exported, "re-export must be byte-identical");
    // Blocks of at most 1000 records: 2345 records need at least 3.
    assert!(imported.verify().unwrap().blocks >= 3);
    let records: Vec<_> = imported.reader().records::<Event>(1, u64::MAX).unwrap().map(Result::unwrap).collect();
    for (record, draft) in records.iter().zip(&source_drafts) {
        assert_eq!(record.payload, draft.payload);
        assert_eq!(
            (record.envelope.correlation_id, record.envelope.causation_id),
            (draft.correlation_id, draft.causation_id)
        );
    }
}

#[test]
fn an_empty_journal_round_trips() {
    let _guard = library_test();
    let tmp = tempfile::tempdir().unwrap();
    let source = journal_at(&tmp.path().join("source"), &Genesis::new(None), &[], 1);
    let exported = export(&source, 1);
    assert_eq!(lines(&exported).len(), 1);
    let summary = import(&exported, &tmp.path().join("imported")).unwrap();
    assert_eq!((summary.records, summary.head), (0, source.head()));
    let imported = Journal::open(tmp.path().join("imported"), &OpenOptions::default()).unwrap();
    assert_eq!(imported.genesis(), source.genesis());
}

#[test]
fn schema_versions_are_kept_as_journaled() {
    let _guard = library_test();
    let tmp = tempfile::tempdir().unwrap();
    let mut source = journal_at(&tmp.path().join("source"), &genesis(), &drafts(1, 2, 3), 10);
    // A record written by an older schema (version 0), as an older build would have.
    let draft = &drafts(2, 1, 1)[0];
    let envelope = Envelope {
        seq: 4,
        event_id: event_id(&source.genesis_hash(), 4),
        ts_ns: draft.ts_ns,
        stream: draft.stream.clone(),
        correlation_id: None,
        causation_id: None,
        schema_version: 0,
    };
    let mut batch = source.batch();
    batch.push_record(&envelope, &draft.payload).unwrap();
    source.commit(batch).unwrap();

    let exported = export(&source, 1);
    let last: Value = serde_json::from_str(lines(&exported).last().unwrap()).unwrap();
    assert_eq!(last["schema_version"], 0);
    let target = tmp.path().join("imported");
    assert_eq!(import(&exported, &target).unwrap().head, source.head());
    let imported = Journal::open(&target, &OpenOptions::default()).unwrap();
    let back = imported.reader().records::<Event>(4, 4).unwrap().next().unwrap().unwrap();
    assert_eq!(back.envelope, envelope);
}

#[test]
fn a_partial_export_is_the_tail_and_is_refused_by_import() {
    let _guard = library_test();
    let tmp = tempfile::tempdir().unwrap();
    let source = journal_at(&tmp.path().join("source"), &genesis(), &drafts(3, 4, 120), 25);
    let full = lines(&export(&source, 1));
    let tail = lines(&export(&source, 30));
    assert_eq!(tail.len(), 1 + 91);
    assert_eq!(tail[0], full[0], "the genesis header comes first");
    assert_eq!(&tail[1..], &full[30..], "then the records from seq 30, exactly as in the full export");
    assert_eq!(lines(&export(&source, 121)), full[..1], "past the head: only the header");

    let target = tmp.path().join("imported");
    let error = import(&unlines(&tail), &target).unwrap_err();
    assert!(matches!(error, ImportError::Partial { line: 2, first_seq: 30 }), "{error:?}");
    assert!(error.to_string().contains("partial export"), "{error}");
    assert!(!target.exists());
}

/// The source export used by the malformed-line tests: 60 records.
fn valid_export() -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let source = journal_at(&tmp.path().join("source"), &genesis(), &drafts(11, 5, 60), 16);
    lines(&export(&source, 1))
}

/// `lines[index]` with `edit` applied to its JSON object.
fn edit_line(lines: &[String], index: usize, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Vec<String> {
    let mut lines = lines.to_vec();
    let mut value: Value = serde_json::from_str(&lines[index]).unwrap();
    edit(value.as_object_mut().unwrap());
    lines[index] = value.to_string();
    lines
}

/// Imports `lines`, which must be refused at `line` with a message containing `says`, leaving
/// the target's parent empty.
fn assert_refused(lines: &[String], line: u64, says: &str) -> ImportError {
    let parent = tempfile::tempdir().unwrap();
    let target = parent.path().join("journal");
    let error = import(&unlines(lines), &target).expect_err("a malformed export must be refused");
    assert_eq!(error.line(), Some(line), "{error}");
    assert!(error.is_invalid_input());
    let text = error.to_string();
    assert!(text.starts_with(&format!("line {line}: ")), "{text}");
    assert!(text.contains(says), "{text:?} should say {says:?}");
    assert_eq!(entries(parent.path()), Vec::<PathBuf>::new(), "nothing written: no journal, no staging");
    error
}

#[test]
fn malformed_lines_are_refused_naming_the_line_and_nothing_is_written() {
    let _guard = library_test();
    let valid = valid_export();
    let index_of = |kind: &str| valid.iter().position(|line| line.contains(&format!("\"type\":\"{kind}\""))).unwrap();
    let fill = index_of("OrderFilled");
    let created = index_of("OrderCreated");

    let mut bad_json = valid.clone();
    let half = bad_json[5].len() / 2;
    bad_json[5].truncate(half);
    assert_refused(&bad_json, 6, "invalid JSON");

    let mut not_json = valid.clone();
    not_json[3] = "hello".into();
    assert_refused(&not_json, 4, "invalid JSON");

    // A blank line holds no record and is skipped, so a record replaced by one is a gap.
    let mut blank = valid.clone();
    blank[9] = String::new();
    assert_refused(&blank, 11, "sequence gap: expected seq 9, found seq 10");
    let mut spaced = valid.clone();
    spaced.insert(9, String::new());
    spaced.push(" \t".into());
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let with_blanks = import(&unlines(&spaced), &a.path().join("journal")).expect("blank lines are skipped");
    assert_eq!(with_blanks, import(&unlines(&valid), &b.path().join("journal")).unwrap());

    let unknown_type = edit_line(&valid, 7, |m| drop(m.insert("type".into(), "OrderTeleported".into())));
    assert_refused(&unknown_type, 8, "unknown variant `OrderTeleported`");

    let missing_payload = edit_line(&valid, fill, |m| drop(m.remove("price")));
    assert_refused(&missing_payload, fill as u64 + 1, "missing field `price`");

    let missing_optional = edit_line(&valid, created, |m| drop(m.remove("limit_price")));
    assert_refused(&missing_optional, created as u64 + 1, "missing field `limit_price`");

    let missing_envelope = edit_line(&valid, 12, |m| drop(m.remove("stream")));
    assert_refused(&missing_envelope, 13, "missing field `stream`");

    // A misspelled optional field would be silently dropped without the strict check.
    let misspelled = edit_line(&valid, created, |m| {
        let value = m.remove("ttl_s").unwrap();
        m.insert("ttl_secs".into(), value);
    });
    assert_refused(&misspelled, created as u64 + 1, "unknown field `ttl_secs`");

    let misspelled = edit_line(&valid, fill, |m| {
        let value = m.remove("fee").unwrap();
        m.insert("fees".into(), value);
    });
    assert_refused(&misspelled, fill as u64 + 1, "`fee");

    let extra = edit_line(&valid, 20, |m| drop(m.insert("comment".into(), "hi".into())));
    assert_refused(&extra, 21, "unknown field `comment`");

    let mistyped = edit_line(&valid, 20, |m| drop(m.insert("ts_ns".into(), "soon".into())));
    assert_refused(&mistyped, 21, "field `ts_ns`");

    let other_hash = valid[31].clone();
    let wrong_hash = edit_line(&valid, 30, |m| {
        let other: Value = serde_json::from_str(&other_hash).unwrap();
        m.insert("hash".into(), other["hash"].clone());
    });
    let error = assert_refused(&wrong_hash, 31, "hash mismatch at seq 30");
    assert!(matches!(error, ImportError::HashMismatch { seq: 30, .. }));

    // A changed value is caught by the chain hash.
    let tampered = edit_line(&valid, fill, |m| drop(m.insert("qty".into(), "123456".into())));
    assert_refused(&tampered, fill as u64 + 1, "hash mismatch");

    let mut gap = valid.clone();
    gap.remove(40);
    let error = assert_refused(&gap, 41, "expected seq 40, found seq 41");
    assert!(matches!(error, ImportError::SeqGap { line: 41, expected: 40, found: 41 }));

    let mut duplicate = valid.clone();
    duplicate.insert(41, valid[40].clone());
    assert_refused(&duplicate, 42, "expected seq 41, found seq 40");

    let foreign = event_id(&Genesis::new(Some(1)).hash().unwrap(), 17);
    let wrong_id = edit_line(&valid, 17, |m| drop(m.insert("event_id".into(), foreign.to_string().into())));
    let error = assert_refused(&wrong_id, 18, "event id");
    assert!(matches!(error, ImportError::EventIdMismatch { seq: 17, .. }));

    let newer = edit_line(&valid, 2, |m| drop(m.insert("schema_version".into(), 99.into())));
    assert_refused(&newer, 3, "schema version 99 is newer");

    let mut genesis_later = valid.clone();
    genesis_later.push(valid[0].clone());
    assert_refused(&genesis_later, 62, "genesis header may only be the first line");
}

#[test]
fn a_bad_genesis_header_is_refused_as_line_one() {
    let _guard = library_test();
    let valid = valid_export();
    let current = edit_line(&valid, 0, |m| drop(m.insert("blotter_version".into(), "0.1.0".into())));
    let error = assert_refused(&current, 1, "h(0)");
    assert!(matches!(error, ImportError::GenesisHashMismatch { .. }));

    let unknown = edit_line(&valid, 0, |m| drop(m.insert("created_at".into(), "now".into())));
    assert_refused(&unknown, 1, "unknown field `created_at`");

    let format = edit_line(&valid, 0, |m| drop(m.insert("format_version".into(), 2.into())));
    assert_refused(&format, 1, "format version 2 is not supported");

    assert_refused(&valid[1..], 1, "genesis header");
    assert_refused(&[], 1, "empty input");
}

#[test]
fn a_late_malformed_line_leaves_nothing_although_blocks_were_committed() {
    let _guard = library_test();
    let tmp = tempfile::tempdir().unwrap();
    let source = journal_at(&tmp.path().join("source"), &genesis(), &drafts(5, 8, 2_600), 500);
    let mut exported = lines(&export(&source, 1));
    exported[2_501].push('x');
    assert_refused(&exported, 2_502, "invalid JSON");
}

#[test]
fn an_existing_target_is_refused_and_left_alone() {
    let _guard = library_test();
    let tmp = tempfile::tempdir().unwrap();
    let source = journal_at(&tmp.path().join("source"), &genesis(), &drafts(1, 3, 20), 20);
    let exported = export(&source, 1);

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let error = import(&exported, &empty).unwrap_err();
    assert!(matches!(error, ImportError::TargetExists(_)), "{error:?}");
    assert!(entries(&empty).is_empty());

    // An existing journal, even an identical one, is never written to.
    let error = import(&exported, &tmp.path().join("source")).unwrap_err();
    assert!(matches!(error, ImportError::TargetExists(_)), "{error:?}");
    assert!(error.line().is_none());
    let names: Vec<_> = entries(tmp.path()).iter().map(|p| p.file_name().unwrap().to_owned()).collect();
    assert_eq!(names, ["empty", "source"], "no staging directory left");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn import_of_export_has_the_source_head(
        seed in any::<u64>(),
        concurrency in 1usize..8,
        n in 0usize..300,
        batch in 1usize..120,
    ) {
        let _guard = library_test();
        let tmp = tempfile::tempdir().unwrap();
        let source = journal_at(&tmp.path().join("source"), &Genesis::new(Some(seed)), &drafts(seed, concurrency, n), batch);
        let exported = export(&source, 1);
        let summary = import(&exported, &tmp.path().join("imported")).unwrap();
        prop_assert_eq!(summary.head, source.head());
        prop_assert_eq!(summary.records, n as u64);
        let imported = Journal::open(tmp.path().join("imported"), &OpenOptions::default()).unwrap();
        prop_assert_eq!(imported.head(), source.head());
        prop_assert!(export(&imported, 1) == exported);
    }
}

// ── the CLI ──

fn blotter(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blotter")).args(args).output().unwrap()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or_else(|| panic!("killed: {:?}", output.status))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A closed journal with `n` synthetic records, for the CLI.
fn cli_journal(tmp: &Path, n: usize) -> PathBuf {
    let dir = tmp.join("source");
    drop(journal_at(&dir, &genesis(), &drafts(9, 6, n), 200));
    dir
}

#[test]
fn cli_export_import_and_verify_agree() {
    let _guard = cli_test();
    let tmp = tempfile::tempdir().unwrap();
    let source = cli_journal(tmp.path(), 700);
    let exported = blotter(&["export".as_ref(), "--journal".as_ref(), source.as_os_str()]);
    assert_eq!(code(&exported), 0, "{}", stderr(&exported));
    assert_eq!(lines(&exported.stdout).len(), 701);
    let file = tmp.path().join("export.ndjson");
    std::fs::write(&file, &exported.stdout).unwrap();

    let target = tmp.path().join("imported");
    let imported = blotter(&["import".as_ref(), file.as_os_str(), "--journal".as_ref(), target.as_os_str()]);
    assert_eq!(code(&imported), 0, "{}", stderr(&imported));
    let verified = blotter(&["verify".as_ref(), "--journal".as_ref(), source.as_os_str()]);
    let said = String::from_utf8(imported.stdout).unwrap();
    let verify_said = String::from_utf8(verified.stdout).unwrap();
    assert!(said.starts_with("ok: 700 events, head "), "{said}");
    assert_eq!(said.lines().last(), verify_said.lines().last(), "import prints the head verify prints");

    let again = blotter(&["export".as_ref(), "--journal".as_ref(), target.as_os_str()]);
    assert!(again.stdout == exported.stdout, "byte-identical re-export");

    let tail =
        blotter(&["export".as_ref(), "--journal".as_ref(), source.as_os_str(), "--from-seq".as_ref(), "695".as_ref()]);
    assert_eq!(code(&tail), 0);
    let tail = lines(&tail.stdout);
    assert_eq!(tail.len(), 1 + 6);
    assert!(tail[1].starts_with("{\"seq\":695,"), "{}", tail[1]);
    let zero =
        blotter(&["export".as_ref(), "--journal".as_ref(), source.as_os_str(), "--from-seq".as_ref(), "0".as_ref()]);
    assert_eq!(code(&zero), 2, "{}", stderr(&zero));

    // Import refuses the partial export (exit 1, naming the line) and the existing target (exit 2).
    let tail_file = tmp.path().join("tail.ndjson");
    std::fs::write(&tail_file, unlines(&tail)).unwrap();
    let other = tmp.path().join("other");
    let partial = blotter(&["import".as_ref(), tail_file.as_os_str(), "--journal".as_ref(), other.as_os_str()]);
    assert_eq!(code(&partial), 1);
    assert!(stderr(&partial).contains("line 2: a partial export cannot be imported"), "{}", stderr(&partial));
    assert!(!other.exists());
    let existing = blotter(&["import".as_ref(), file.as_os_str(), "--journal".as_ref(), target.as_os_str()]);
    assert_eq!(code(&existing), 2);
    assert!(stderr(&existing).contains("already exists"), "{}", stderr(&existing));
}

#[test]
fn cli_import_of_a_malformed_file_exits_1_naming_the_line() {
    let _guard = cli_test();
    let tmp = tempfile::tempdir().unwrap();
    let source = cli_journal(tmp.path(), 10);
    let mut text = lines(&blotter(&["export".as_ref(), "--journal".as_ref(), source.as_os_str()]).stdout);
    text[2] = text[2].replace("\"stream\"", "\"streem\"");
    let file = tmp.path().join("bad.ndjson");
    std::fs::write(&file, unlines(&text)).unwrap();
    let target = tmp.path().join("imported");
    let out = blotter(&["import".as_ref(), file.as_os_str(), "--journal".as_ref(), target.as_os_str()]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("line 3: missing field `stream`"), "{}", stderr(&out));
    assert!(!target.exists());

    let missing =
        blotter(&["import".as_ref(), tmp.path().join("nope").as_os_str(), "--journal".as_ref(), target.as_os_str()]);
    assert_eq!(code(&missing), 2, "{}", stderr(&missing));
}

#[test]
fn cli_export_of_a_journal_that_is_not_events_exits_1_naming_the_seq() {
    let _guard = cli_test();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("opaque");
    let mut journal = Journal::create(&dir, &Genesis::new(Some(1)), &OpenOptions::default()).unwrap();
    journal.append(&[Draft::new(1, "s", Opaque(b"not an event".to_vec()))]).unwrap();
    drop(journal);
    let out = blotter(&["export".as_ref(), "--journal".as_ref(), dir.as_os_str()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("seq 1"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn cli_export_into_a_closed_pipe_ends_quietly() {
    let _guard = cli_test();
    let tmp = tempfile::tempdir().unwrap();
    let source = cli_journal(tmp.path(), 3_000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["export".as_ref(), "--journal".as_ref(), source.as_os_str()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(first.starts_with("{\"type\":\"Genesis\""));
    drop(stdout); // like `| head -1`: the reader goes away with ~1 MB still to write
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}
