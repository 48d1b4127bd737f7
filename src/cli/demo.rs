//! `blotter demo`: until the scenario runner exists, journals a deterministic history of
//! order lifecycles (seeded synthetic orders, fills, cancels, rejects, expiries) through the
//! group-commit writer, verifies it, prints its head and a summary of the views. A journal
//! the demo made earlier is replaced; any other journal in the directory is refused, never
//! overwritten.

use std::process::ExitCode;

use anyhow::{Context, bail};

use super::JournalArg;
use crate::event::Event;
use crate::event::synthetic::Lifecycles;
use crate::journal::{Genesis, Journal, JournalWriter, Layout, OpenCheck, OpenOptions, WriterConfig};
use crate::replay::{Until, checkpoint, replay};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    journal: JournalArg,
    /// Events to write.
    #[arg(long, default_value_t = 10_000)]
    events: u64,
}

const ORIGIN: &str = "demo";
/// The seed of the demo's synthetic order flow (journaled in the genesis).
const SEED: u64 = 42;

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.journal.journal;
    replace_previous_demo(dir)?;
    let genesis = Genesis::new(Some(SEED)).with_metadata("origin", ORIGIN);
    let journal = Journal::create(dir, &genesis, &OpenOptions::default())
        .with_context(|| format!("cannot create journal {}", dir.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let journal = runtime.block_on(async {
        let writer = JournalWriter::<Event>::spawn(journal, WriterConfig::default());
        let appender = writer.appender();
        let mut acks = Vec::with_capacity(args.events as usize);
        for draft in Lifecycles::new(SEED, 16).take(args.events as usize) {
            acks.push(appender.submit(draft).await?);
        }
        for ack in acks {
            ack.durable().await?;
        }
        drop(appender);
        writer.close().await
    })?;
    let report = journal.verify()?;
    let views = replay(&journal, Until::Head)?;
    checkpoint::save(&journal, &views)?;
    let orders = views.views.oms.orders();
    let mut by_status = std::collections::BTreeMap::new();
    for order in orders.values() {
        *by_status.entry(format!("{:?}", order.status)).or_insert(0u64) += 1;
    }
    println!("journal:   {}", dir.display());
    println!(
        "orders:    {} ({})",
        orders.len(),
        by_status.iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(", ")
    );
    println!("positions: {}", views.views.positions.len());
    println!("blocks:    {}", report.blocks);
    println!("ok: {} events, head {}", report.events, report.head.hash);
    println!("next: blotter replay --view positions | blotter audit o-1 | blotter export");
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
