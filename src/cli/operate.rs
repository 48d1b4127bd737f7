//! `blotter halt` and `blotter resume`: an operator's commands to a running engine, through
//! the control socket `blotter run` serves in its journal folder. The run journals each as a
//! `LiveOperatorCommand` between two inputs and answers once it is durable; a resumed run
//! feeds it again at the same seq, so a journal with live commands re-runs and recovers
//! exactly. (In a scenario file the same commands are `[[operator]]` entries.)

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use super::JournalArg;
use super::out::outln;
use super::replay::Format;
use crate::event::OperatorAction;
use crate::render::rfc3339;
use crate::runner::control::{self, ControlReply, ControlRequest};

/// Who and why, journaled with the command; where to send it.
#[derive(Debug, clap::Args)]
pub struct Common {
    #[command(flatten)]
    journal: JournalArg,
    /// Why (journaled with the command).
    #[arg(long)]
    reason: Option<String>,
    /// Who (journaled with the command); defaults to $USER, else "operator".
    #[arg(long)]
    operator: Option<String>,
    /// Seconds to wait for the run's answer.
    #[arg(long, default_value_t = 30)]
    timeout_s: u64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

impl Common {
    /// Defaults for `journal`, answered in `format`.
    pub(super) fn for_journal(journal: JournalArg, format: Format) -> Common {
        Common { journal, reason: None, operator: None, timeout_s: 30, format }
    }
}

/// The kill switch: halt (new orders are denied; cancels still go through) and cancel every
/// working order.
#[derive(Debug, clap::Args)]
pub struct HaltArgs {
    #[command(flatten)]
    common: Common,
    /// Also close every open position with market orders.
    #[arg(long, conflicts_with = "keep_orders")]
    flatten: bool,
    /// Only halt: leave working orders alone.
    #[arg(long)]
    keep_orders: bool,
}

#[derive(Debug, clap::Args)]
pub struct ResumeArgs {
    #[command(flatten)]
    common: Common,
}

pub fn halt(args: &HaltArgs) -> anyhow::Result<ExitCode> {
    let action = match (args.keep_orders, args.flatten) {
        (true, _) => OperatorAction::Halt,
        (false, true) => OperatorAction::KillSwitchFlatten,
        (false, false) => OperatorAction::KillSwitch,
    };
    send(&args.common, action, "operator halt")
}

pub fn resume(args: &ResumeArgs) -> anyhow::Result<ExitCode> {
    send(&args.common, OperatorAction::Resume, "operator resume")
}

/// Asks the run serving `common.journal` to reconcile with its broker now.
pub fn reconcile_now(common: &Common) -> anyhow::Result<ExitCode> {
    send(common, OperatorAction::Reconcile, "operator request")
}

fn send(common: &Common, action: OperatorAction, default_reason: &str) -> anyhow::Result<ExitCode> {
    let dir = &common.journal.journal;
    let operator = common.operator.clone().or_else(|| std::env::var("USER").ok()).filter(|o| !o.trim().is_empty());
    let request = ControlRequest {
        operator: operator.unwrap_or_else(|| "operator".to_owned()),
        action,
        reason: common.reason.clone().unwrap_or_else(|| default_reason.to_owned()),
    };
    let timeout = Duration::from_secs(common.timeout_s.max(1));
    let reply = control::call(dir, &request, timeout).with_context(|| format!("cannot send {action:?}"))?;
    if common.format == Format::Json {
        outln!("{}", serde_json::to_string_pretty(&reply)?)?;
    }
    let done = match reply {
        ControlReply::Done(done) => done,
        ControlReply::Refused(why) => anyhow::bail!("{} refused {action:?}: {why}", dir.display()),
    };
    if common.format == Format::Table {
        outln!(
            "journaled:    {action:?} by {} at seq {}, engine time {}",
            request.operator,
            done.seq,
            rfc3339(done.ts_ns)
        )?;
        outln!("decided:      through seq {} (durable)", done.last_seq)?;
        let state =
            |halted: &Option<String>| halted.as_ref().map_or("running".to_owned(), |why| format!("halted ({why})"));
        let (before, after) = (state(&done.halted_before), state(&done.halted_after));
        match done.halted_before == done.halted_after {
            true => outln!("engine:       {after} (unchanged)")?,
            false => outln!("engine:       {before} -> {after}")?,
        }
        outln!("see:          blotter audit engine --journal {} (once the run ends)", dir.display())?;
    }
    Ok(ExitCode::SUCCESS)
}
