//! Crash test: a child process appends continuously and prints every acknowledged
//! `seq hash`; we SIGKILL it at seeded random moments, reopen, verify, and check that every
//! acknowledged record is present with the acknowledged hash. Segments are small, so the
//! writer keeps starting new ones and kills land during that too.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use blotter::journal::{ChainHash, Journal, JournalError, OpenOptions};

/// A tiny seeded generator (xorshift64*): the kill moments are reproducible.
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        lo + self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % (hi - lo)
    }
}

#[test]
fn every_acknowledged_record_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let journal_dir = dir.path().join("journal");
    let mut moments = Moments(0x05ee_db10_77e7);
    let mut acknowledged: Vec<(u64, ChainHash)> = Vec::new();
    const KILLS: usize = 24;
    for round in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_blotter"))
            .args(["__crash-writer", "--segment-bytes", "4096", "--journal"])
            .arg(&journal_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the crash writer");
        std::thread::sleep(Duration::from_millis(moments.next_ms(30, 250)));
        child.kill().expect("SIGKILL the writer");
        let mut out = String::new();
        child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        child.wait().unwrap();
        // Only complete lines count: the kill may cut the last one.
        let complete = out.rfind('\n').map_or("", |end| &out[..end]);
        let before = acknowledged.len();
        for line in complete.lines() {
            let (seq, hash) = line.split_once(' ').expect("`seq hash` line");
            acknowledged.push((seq.parse().unwrap(), ChainHash::from_hex(hash).expect("hex hash")));
        }
        let journal = match Journal::open(&journal_dir, &OpenOptions::default()) {
            Ok(journal) => journal,
            // Killed while creating the journal, before anything was acknowledged: it never
            // existed, and the next round creates it.
            Err(JournalError::NotFound(_)) if acknowledged.is_empty() => continue,
            Err(e) => panic!("round {round}: reopen after SIGKILL failed: {e}"),
        };
        let report = journal.verify().unwrap();
        let reader = journal.reader();
        for (seq, hash) in &acknowledged {
            assert_eq!(
                reader.hash_at(*seq).unwrap(),
                Some(*hash),
                "round {round}: acknowledged seq {seq} lost or changed"
            );
        }
        if let Some((last, _)) = acknowledged.last() {
            assert!(
                report.events >= *last,
                "round {round}: journal ends at {} before acknowledged {last}",
                report.events
            );
        }
        assert!(acknowledged.len() >= before, "acknowledgements only grow");
    }
    assert!(acknowledged.len() > KILLS * 10, "the writer made progress: {} acknowledged", acknowledged.len());
    let segments = std::fs::read_dir(journal_dir.join("store")).unwrap().count();
    // How many depends on the machine's speed; that rolls happened (kills then land between
    // and during them) must not.
    assert!(segments > 1, "the writer rolled segments ({segments})");
}

/// A full disk, made real: the writer runs with a file-size limit (`ulimit -f`, SIGXFSZ
/// ignored), so sled's writes past it fail with EFBIG. The journal must stop (every producer
/// refused, the process ending by itself, no panic) and keep every record it acknowledged.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_stops_the_writer_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let journal_dir = dir.path().join("journal");
    // `ulimit -f` counts 512-byte blocks in dash, 1 KiB in bash: files stop at 2 or 4 MiB.
    let script = r#"trap '' XFSZ; ulimit -f 4096 || exit 99; exec "$0" __crash-writer --journal "$1""#;
    // Files, not pipes: a pipe nobody reads while the child runs would stop it first.
    let (out_path, err_path) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = Command::new("sh")
        .args(["-c", script, env!("CARGO_BIN_EXE_blotter")])
        .arg(&journal_dir)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("start the writer under a file-size limit");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the writer kept running past a full disk");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (out, err) = (std::fs::read_to_string(out_path).unwrap(), std::fs::read_to_string(err_path).unwrap());
    assert_ne!(status.code(), Some(99), "no file-size limit here");
    assert!(!err.contains("panicked"), "the writer panicked: {err}");
    assert!(err.contains("File too large"), "the writes failed for the limit: {err}");
    let acknowledged: Vec<(u64, ChainHash)> = out
        .lines()
        .map(|line| {
            let (seq, hash) = line.split_once(' ').expect("`seq hash` line");
            (seq.parse().unwrap(), ChainHash::from_hex(hash).expect("hex hash"))
        })
        .collect();
    assert!(acknowledged.len() > 1000, "the writer filled the disk first: {} acknowledged", acknowledged.len());

    let journal = Journal::open(&journal_dir, &OpenOptions::default()).expect("reopen after the full disk");
    let report = journal.verify().unwrap();
    let reader = journal.reader();
    for (seq, hash) in &acknowledged {
        assert_eq!(reader.hash_at(*seq).unwrap(), Some(*hash), "acknowledged seq {seq} lost or changed");
    }
    assert!(report.events >= acknowledged.last().unwrap().0);
}
