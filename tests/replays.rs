//! The `replays/` corpus: recorded journals as NDJSON with golden views.
//!
//! For every scenario of `support/scenarios.rs`, the committed `replays/<name>.ndjson` is
//! imported, checked against the scenario (same events, lossless re-export), replayed, and its
//! views (OMS, positions, execution reports) and one audit compared with insta snapshots in
//! `replays/snapshots/`. Re-record the NDJSON after a deliberate change of a scenario or of the
//! encoding with `BLOTTER_RECORD_REPLAYS=1 cargo test --test replays`, then review the diffs.

#[path = "support/scenarios.rs"]
mod scenarios;

use std::path::{Path, PathBuf};

use blotter::event::Event;
use blotter::interchange::{export, import_file};
use blotter::journal::{Draft, Genesis, Journal, OpenCheck, OpenOptions};
use blotter::render::views::{Selection, json_string};
use blotter::render::{self};
use blotter::replay::{Until, checkpoint, replay, replay_from_snapshot, replay_with_reports};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("replays")
}

/// Journals `drafts` under a genesis that names the scenario and a fixed version (hashes in
/// the corpus must not move with the crate version), and exports it.
fn record(name: &str, drafts: &[Draft<Event>], file: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let genesis = Genesis { blotter_version: "corpus".into(), ..Genesis::new(None) }.with_metadata("scenario", name);
    let mut journal = Journal::create(dir.path().join("j"), &genesis, &OpenOptions::default()).unwrap();
    journal.append(drafts).unwrap();
    let mut out = Vec::new();
    export(&journal, 1, &mut out).unwrap();
    std::fs::write(file, out).unwrap();
}

fn exported(journal: &Journal) -> String {
    let mut out = Vec::new();
    export(journal, 1, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn every_recorded_journal_imports_losslessly_and_replays_to_its_golden_views() {
    let recording = std::env::var_os("BLOTTER_RECORD_REPLAYS").is_some();
    let scenarios = scenarios::all();
    assert!(scenarios.len() >= 8, "the corpus covers at least eight histories");
    for (name, audit_id, drafts) in scenarios {
        let file = corpus_dir().join(format!("{name}.ndjson"));
        if recording {
            record(name, &drafts, &file);
        }
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e} (record the corpus with BLOTTER_RECORD_REPLAYS=1)", file.display()));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        import_file(&file, &path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let journal = Journal::open(&path, &OpenOptions { check: OpenCheck::Full, ..Default::default() }).unwrap();

        // The file is exactly the scenario, and export is lossless.
        let mut journaled = Vec::new();
        journal
            .reader()
            .for_each(1, u64::MAX, |record| {
                let decoded = record.decode::<Event>()?;
                journaled.push((decoded.envelope.ts_ns, decoded.envelope.stream, decoded.payload));
                Ok(std::ops::ControlFlow::Continue(()))
            })
            .unwrap();
        let scripted: Vec<_> = drafts.iter().map(|d| (d.ts_ns, d.stream.clone(), d.payload.clone())).collect();
        assert_eq!(journaled, scripted, "{name}: the recording differs from the scenario; re-record it");
        assert_eq!(exported(&journal), text, "{name}: re-export is not byte-identical");

        // Goldens: every view, and one audit.
        let full = replay_with_reports(&journal, Until::Head).unwrap();
        let views = json_string(&full, Selection::All);
        insta::with_settings!({ snapshot_path => corpus_dir().join("snapshots"), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("{name}__views"), views);
            let timeline = render::audit::timeline(&journal, audit_id).unwrap().expect("the audited order exists");
            insta::assert_snapshot!(format!("{name}__audit_{audit_id}"), render::audit::table_string(&timeline));
        });

        // Replaying twice gives identical bytes, and a checkpoint plus the tail equals the whole.
        assert_eq!(json_string(&replay_with_reports(&journal, Until::Head).unwrap(), Selection::All), views);
        let mid = journal.head().seq / 2;
        checkpoint::save(&journal, &replay(&journal, Until::Seq(mid)).unwrap()).unwrap();
        let resumed = replay_from_snapshot(&journal, Until::Head).unwrap();
        assert_eq!(resumed.from_snapshot, Some(mid), "{name}");
        assert_eq!(resumed.views, full.views, "{name}");
    }
}
