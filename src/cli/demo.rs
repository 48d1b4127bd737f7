//! `blotter demo`: until the scenario runner exists, writes a small deterministic journal,
//! verifies it and prints its head. A journal the demo made earlier is replaced; any other
//! journal in the directory is refused, never overwritten.

use std::process::ExitCode;

use anyhow::{Context, bail};

use super::JournalArg;
use crate::journal::{Draft, Genesis, Journal, JournalWriter, Layout, Opaque, OpenCheck, OpenOptions, WriterConfig};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    journal: JournalArg,
    /// Records to write.
    #[arg(long, default_value_t = 10_000)]
    events: u64,
}

const ORIGIN: &str = "demo";

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.journal.journal;
    replace_previous_demo(dir)?;
    let genesis = Genesis::new(Some(42)).with_metadata("origin", ORIGIN);
    let journal = Journal::create(dir, &genesis, &OpenOptions::default())
        .with_context(|| format!("cannot create journal {}", dir.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let journal = runtime.block_on(async {
        let writer = JournalWriter::<Opaque>::spawn(journal, WriterConfig::default());
        let appender = writer.appender();
        let mut acks = Vec::with_capacity(args.events as usize);
        for i in 0..args.events {
            let text = format!("demo tick {i}: order:o-{} qty {}", i % 50, 1 + i % 7);
            let draft = Draft::new(
                1_704_205_800_000_000_000 + i as i64 * 1_000_000,
                format!("order:o-{}", i % 50),
                Opaque(text.into_bytes()),
            );
            acks.push(appender.submit(draft).await?);
        }
        for ack in acks {
            ack.durable().await?;
        }
        drop(appender);
        writer.close().await
    })?;
    let report = journal.verify()?;
    println!("journal:  {}", dir.display());
    println!("blocks:   {}", report.blocks);
    println!("ok: {} events, head {}", report.events, report.head.hash);
    Ok(ExitCode::SUCCESS)
}

fn replace_previous_demo(dir: &std::path::Path) -> anyhow::Result<()> {
    let layout = Layout::new(dir);
    if !layout.exists() {
        return Ok(());
    }
    let origin = {
        let journal = Journal::open(dir, &OpenOptions { check: OpenCheck::Tail, ..Default::default() })
            .with_context(|| format!("a journal exists at {} and cannot be opened", dir.display()))?;
        journal.genesis().metadata.get("origin").cloned()
    };
    if origin.as_deref() != Some(ORIGIN) {
        bail!("{} holds a journal the demo did not make; use another --journal", dir.display());
    }
    for path in [layout.store(), layout.witness(), layout.lock_file()] {
        if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) }
            .with_context(|| format!("removing the previous demo journal at {}", path.display()))?;
    }
    Ok(())
}
