//! Corruption is reported by `blotter verify` (exit 1, naming where) and refused by
//! open-for-append; never a panic, whatever the bytes.
//!
//! Two kinds: damage *inside records* written through sled's API (so sled's own checks
//! pass and ours must catch it), and damage to *sled's files* (flipped bytes, truncation).

use std::path::{Path, PathBuf};
use std::process::Command;

use blotter::journal::{Draft, FRAME_OVERHEAD, Genesis, Journal, Opaque, OpenOptions};

const RECORDS: u64 = 300;
const BATCH: u64 = 25;

/// A journal of `RECORDS` records in blocks of `BATCH`, payloads marked `MARKER-<seq>`.
fn journal(payload_bytes: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal");
    let mut journal = Journal::create(&path, &Genesis::new(Some(1)), &OpenOptions::default()).unwrap();
    for first in (1..=RECORDS).step_by(BATCH as usize) {
        let drafts: Vec<_> = (first..first + BATCH)
            .map(|seq| {
                let mut bytes = format!("MARKER-{seq:06}").into_bytes();
                bytes.resize(payload_bytes.max(bytes.len()), b'.');
                Draft::new(seq as i64, "s", Opaque(bytes))
            })
            .collect();
        journal.append(&drafts).unwrap();
    }
    (dir, path)
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

fn verify(path: &Path) -> Outcome {
    verify_hashing(path, None)
}

/// `blotter verify`, its link hashing capped by `BLOTTER_LINK_HASHING` when `cap` is given.
fn verify_hashing(path: &Path, cap: Option<&str>) -> Outcome {
    let mut command = Command::new(env!("CARGO_BIN_EXE_blotter"));
    command.arg("verify").arg("--journal").arg(path);
    if let Some(cap) = cap {
        command.env("BLOTTER_LINK_HASHING", cap);
    }
    let out = command.output().unwrap();
    Outcome {
        code: out.status.code().unwrap_or_else(|| {
            panic!("verify killed: {:?} stderr {}", out.status, String::from_utf8_lossy(&out.stderr))
        }),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_corrupt(path: &Path, names: &str) {
    let outcome = verify(path);
    assert_eq!(outcome.code, 1, "verify must exit 1; stdout {:?} stderr {:?}", outcome.stdout, outcome.stderr);
    assert!(outcome.stderr.contains(names), "stderr {:?} should name {names:?}", outcome.stderr);
    assert!(!outcome.stderr.contains("panicked"), "no panic: {}", outcome.stderr);
    let refused = Journal::open(path, &OpenOptions::default());
    assert!(refused.is_err(), "open-for-append must refuse a corrupt journal");
}

/// Opens sled directly, waiting (bounded) for the journal's sled instance, just dropped,
/// to release its file lock: sled releases it asynchronously.
fn open_sled(path: &Path) -> sled::Db {
    for _ in 0..1000 {
        if let Ok(db) = sled::open(path.join("store").join(format!("{:020}", 1))) {
            return db;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("sled at {} stayed locked", path.display())
}

/// The sled tree of the first segment that holds `key`: the newest chunk (a tree named `c`
/// and a big-endian seq) holding it, else `log` (see the journal's `chunks.rs`).
fn tree_holding(db: &sled::Db, key: &[u8]) -> sled::Tree {
    let mut chunks: Vec<_> = db.tree_names().into_iter().filter(|name| name.len() == 9 && name[0] == b'c').collect();
    chunks.sort();
    for name in chunks.iter().rev() {
        let tree = db.open_tree(name).unwrap();
        if tree.contains_key(key).unwrap() {
            return tree;
        }
    }
    db.open_tree("log").unwrap()
}

/// Rewrites one tree entry through sled itself, bypassing the journal.
fn tamper(path: &Path, key: &[u8], change: impl FnOnce(Option<Vec<u8>>) -> Option<Vec<u8>>) {
    let db = open_sled(path);
    let log = tree_holding(&db, key);
    let old = log.get(key).unwrap().map(|v| v.to_vec());
    match change(old) {
        Some(new) => log.insert(key, new).unwrap(),
        None => log.remove(key).unwrap(),
    };
    db.flush().unwrap();
}

fn block_key(first_seq: u64) -> Vec<u8> {
    let mut key = vec![b'B'];
    key.extend_from_slice(&first_seq.to_be_bytes());
    key
}

#[test]
fn an_intact_journal_verifies() {
    let (_dir, path) = journal(40);
    let outcome = verify(&path);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let last = outcome.stdout.lines().last().unwrap();
    assert!(last.starts_with(&format!("ok: {RECORDS} events, head ")), "{last}");
    assert_eq!(last.len(), format!("ok: {RECORDS} events, head ").len() + 64);
}

#[test]
fn flipped_bytes_inside_a_record_name_its_seq() {
    // Offsets into block 101..=125: a frame length, a body, later records' bytes.
    let header = 52;
    for offset in [header + 3, header + 20, 600, 900] {
        let (_dir, path) = journal(40);
        tamper(&path, &block_key(101), |v| {
            let mut v = v.unwrap();
            v[offset] ^= 0x01;
            Some(v)
        });
        let outcome = verify(&path);
        assert_eq!(outcome.code, 1, "offset {offset}: {}", outcome.stderr);
        let named = (101..=125).any(|seq| outcome.stderr.contains(&format!("seq {seq}")));
        assert!(named, "offset {offset}: should name a seq of block 101: {}", outcome.stderr);
        assert!(Journal::open(&path, &OpenOptions::default()).is_err());
    }
}

#[test]
fn a_rewritten_record_with_a_valid_crc_breaks_the_chain_on_every_hashing_path() {
    // Record 110 (the 10th frame of block 101..=125) rewritten and its CRC recomputed: only
    // the chain can tell. Verification hashes links 16 or 8 at a time where the CPU can;
    // every path must name the same seq (a path the CPU lacks falls back to a narrower one).
    let (_dir, path) = journal(40);
    tamper(&path, &block_key(101), |v| {
        let mut v = v.unwrap();
        // A frame: length (4), body, hash (32), CRC (4) over all before it.
        let body_len = |v: &[u8], at: usize| u32::from_le_bytes(v[at..at + 4].try_into().unwrap()) as usize;
        let mut at = 52;
        for _ in 101..110 {
            at += body_len(&v, at) + FRAME_OVERHEAD;
        }
        let end = at + body_len(&v, at) + FRAME_OVERHEAD;
        v[end - 4 - 32 - 1] ^= 0x01; // the body's last byte
        let crc = crc32c::crc32c(&v[at..end - 4]);
        v[end - 4..end].copy_from_slice(&crc.to_le_bytes());
        Some(v)
    });
    for cap in ["scalar", "avx2", "avx512"] {
        let outcome = verify_hashing(&path, Some(cap));
        assert_eq!(outcome.code, 1, "{cap}: {}", outcome.stderr);
        assert!(
            outcome.stderr.contains("seq 110") && outcome.stderr.contains("hash chain broken"),
            "{cap}: {}",
            outcome.stderr
        );
    }
}

#[test]
fn of_two_damaged_blocks_the_first_is_named() {
    // Blocks are verified on two threads, neighbours on different ones; whichever thread
    // finishes first, the report is the first damage in seq order. (The last block is left
    // alone: open checks it before the scan.)
    for (first, second) in [(126, 151), (151, 176), (1, 251)] {
        let (_dir, path) = journal(40);
        for block in [first, second] {
            tamper(&path, &block_key(block), |v| {
                let mut v = v.unwrap();
                v[600] ^= 0x01;
                Some(v)
            });
        }
        let outcome = verify(&path);
        assert_eq!(outcome.code, 1, "{}", outcome.stderr);
        let named = |block: u64| (block..block + BATCH).any(|seq| outcome.stderr.contains(&format!("seq {seq}")));
        assert!(named(first) && !named(second), "blocks {first} and {second}: {}", outcome.stderr);
    }
}

#[test]
fn a_flipped_block_header_is_reported() {
    let (_dir, path) = journal(40);
    tamper(&path, &block_key(51), |v| {
        let mut v = v.unwrap();
        v[6] ^= 0x80;
        Some(v)
    });
    assert_corrupt(&path, "block starting at seq 51");
}

#[test]
fn a_truncated_record_is_reported() {
    for keep in [10, 52, 100, 700] {
        let (_dir, path) = journal(40);
        tamper(&path, &block_key(201), |v| Some(v.unwrap()[..keep].to_vec()));
        assert_corrupt(&path, "seq 2");
    }
}

#[test]
fn a_missing_block_is_a_sequence_gap() {
    let (_dir, path) = journal(40);
    tamper(&path, &block_key(126), |_| None);
    assert_corrupt(&path, "seq 126");
}

#[test]
fn a_missing_last_block_disagrees_with_the_head() {
    let (_dir, path) = journal(40);
    tamper(&path, &block_key(276), |_| None);
    assert_corrupt(&path, "seq 276");
}

#[test]
fn a_block_swapped_for_another_breaks_the_chain() {
    let (_dir, path) = journal(40);
    // Re-key block 26 under 51: its header names 26, so framing or seq checks fail.
    let db = open_sled(&path);
    let b26 = tree_holding(&db, &block_key(26)).get(block_key(26)).unwrap().unwrap();
    let log = tree_holding(&db, &block_key(51));
    log.insert(block_key(51), b26).unwrap();
    db.flush().unwrap();
    drop(log);
    drop(db);
    assert_corrupt(&path, "seq 51");
}

#[test]
fn damaged_head_and_genesis_are_reported() {
    let (_dir, path) = journal(40);
    tamper(&path, b"H", |v| {
        let mut v = v.unwrap();
        v[3] ^= 1;
        Some(v)
    });
    assert_corrupt(&path, "head");
    let (_dir, path) = journal(40);
    tamper(&path, b"G", |v| {
        let mut v = v.unwrap();
        v[9] ^= 1;
        Some(v)
    });
    assert_corrupt(&path, "genesis");
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(files_under(&path)) } else { out.push(path) }
    }
    out
}

/// Flips one bit of every occurrence of `needle` in sled's files; returns how many.
fn flip_in_files(store: &Path, needle: &[u8]) -> usize {
    let mut flipped = 0;
    for file in files_under(store) {
        let mut bytes = std::fs::read(&file).unwrap();
        let mut changed = false;
        let mut at = 0;
        while let Some(pos) = bytes[at..].windows(needle.len()).position(|w| w == needle) {
            bytes[at + pos + needle.len() - 1] ^= 0x01;
            at += pos + needle.len();
            changed = true;
            flipped += 1;
        }
        if changed {
            std::fs::write(&file, bytes).unwrap();
        }
    }
    flipped
}

#[test]
fn flipped_bytes_in_sleds_files_are_reported_not_panicked_on() {
    for (payload, seq) in [(40, 150), (40, 290), (6000, 150)] {
        let (_dir, path) = journal(payload);
        let flipped = flip_in_files(&path.join("store"), format!("MARKER-{seq:06}").as_bytes());
        assert!(flipped > 0, "the record's bytes are somewhere in sled's files");
        let outcome = verify(&path);
        assert_eq!(outcome.code, 1, "payload {payload} seq {seq}: {} {}", outcome.stdout, outcome.stderr);
        assert!(Journal::open(&path, &OpenOptions::default()).is_err());
    }
}

#[test]
fn truncated_sled_files_are_reported_not_panicked_on() {
    for (payload, fraction) in [(40, 2), (40, 10), (6000, 2)] {
        let (_dir, path) = journal(payload);
        let store = path.join("store");
        // The largest file holding records (sled's log, or a blob of large blocks).
        let last_record = |file: &PathBuf| {
            let bytes = std::fs::read(file).unwrap();
            bytes.windows(7).rposition(|w| w == b"MARKER-").map(|at| at as u64 + 1)
        };
        let mut files: Vec<_> = files_under(&store).into_iter().filter(|f| last_record(f).is_some()).collect();
        files.sort_by_key(|f| std::fs::metadata(f).unwrap().len());
        let largest = files.last().expect("records in sled's files");
        // sled preallocates its log: cut into the written part (up to the last record seen).
        let used = last_record(largest).unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(largest).unwrap();
        file.set_len(used - used / fraction).unwrap();
        let outcome = verify(&path);
        assert_eq!(outcome.code, 1, "{} cut by 1/{fraction}: {} {}", largest.display(), outcome.stdout, outcome.stderr);
        assert!(Journal::open(&path, &OpenOptions::default()).is_err());
    }
}

#[test]
fn usage_and_missing_journals_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(verify(&dir.path().join("nothing")).code, 2);
    let out = Command::new(env!("CARGO_BIN_EXE_blotter")).args(["verify", "--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
