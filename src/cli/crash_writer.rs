//! `blotter __crash-writer`: the child process of the crash test. Opens (or creates) a
//! journal, appends from several producers forever, and prints `seq hash` for every
//! acknowledged record, flushing stdout after each line. The test kills it with SIGKILL
//! and checks every printed record survived.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::journal::{Draft, Genesis, Journal, JournalWriter, Opaque, OpenOptions, WriterConfig};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    journal: PathBuf,
    /// Producer tasks appending concurrently.
    #[arg(long, default_value_t = 4)]
    producers: u64,
    /// Segment size (block bytes), small in the crash test so kills also land while the
    /// writer starts a new segment.
    #[arg(long)]
    segment_bytes: Option<u64>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut options = OpenOptions::default();
    options.store.segment_bytes = args.segment_bytes.unwrap_or(options.store.segment_bytes);
    let journal = Journal::open_or_create(&args.journal, &Genesis::new(Some(0)), &options)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let config = WriterConfig { max_batch: 64, ..WriterConfig::default() };
        let writer = JournalWriter::<Opaque>::spawn(journal, config);
        let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(1024);
        for producer in 0..args.producers {
            let appender = writer.appender();
            let tx = tx.clone();
            tokio::spawn(async move {
                for i in 0u64.. {
                    let payload = Opaque(format!("producer {producer} item {i}").into_bytes());
                    let Ok(committed) = appender.append(Draft::new(i as i64, format!("p{producer}"), payload)).await
                    else {
                        return;
                    };
                    if tx.send(format!("{} {}", committed.seq, committed.hash)).await.is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut stdout = std::io::stdout().lock();
        while let Some(line) = rx.recv().await {
            writeln!(stdout, "{line}")?;
            stdout.flush()?;
        }
        Ok(ExitCode::SUCCESS)
    })
}
