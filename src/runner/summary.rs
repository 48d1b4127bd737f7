//! What `blotter run` prints: orders by final status, fills, positions, realized PnL, fees,
//! events written and the head. Everything but the throughput line is a pure function of
//! the final state, so tests can snapshot it.

use std::io::{self, Write};
use std::time::Duration;

use indexmap::IndexMap;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::OrderStatus;
use crate::engine::EngineState;
use crate::journal::Head;
use crate::render::views::{PositionRow, position_rows, positions_table};
use crate::render::{rfc3339, table_decimal};

/// The deterministic part of a run's summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub scenario: String,
    pub orders: u64,
    /// Orders per final status, in lifecycle order; statuses with no order left out.
    pub orders_by_status: IndexMap<OrderStatus, u64>,
    pub fills: u64,
    pub late_fills: u64,
    pub positions: Vec<PositionRow>,
    /// Σ realized PnL over positions (fees excluded).
    pub realized_pnl: Decimal,
    /// Σ fees over positions.
    pub fees: Decimal,
    pub halted: Option<String>,
    /// Inputs the engine could not act on (`CommandRejected`: an order that failed its
    /// checks, a cancel of a finished order…).
    pub refused: u64,
    /// The first of them.
    pub first_refused: Option<RefusedInput>,
    pub events: u64,
    pub engine_time: String,
    pub head: String,
}

/// An input the engine refused: when, what and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedInput {
    pub at: String,
    pub command: String,
    pub client_order_id: Option<String>,
    pub reason: String,
}

impl RunSummary {
    pub fn of(scenario: &str, state: &EngineState, head: &Head) -> RunSummary {
        let oms = &state.views.oms;
        let orders_by_status = OrderStatus::ALL
            .into_iter()
            .map(|status| (status, oms.iter().filter(|o| o.status == status).count() as u64))
            .filter(|(_, n)| *n > 0)
            .collect();
        let positions = position_rows(&state.views);
        RunSummary {
            scenario: scenario.to_owned(),
            orders: oms.len() as u64,
            orders_by_status,
            fills: oms.iter().map(|o| o.fills.len() as u64).sum(),
            late_fills: oms.iter().map(|o| o.fills.iter().filter(|f| f.late).count() as u64).sum(),
            realized_pnl: positions.iter().map(|p| p.realized_pnl).sum(),
            fees: positions.iter().map(|p| p.fees).sum(),
            positions,
            halted: state.halted.clone(),
            refused: state.refused.count,
            first_refused: state.refused.first.as_ref().map(|(at, refusal)| RefusedInput {
                at: rfc3339(*at),
                command: refusal.command.clone(),
                client_order_id: refusal.client_order_id.as_ref().map(|id| id.as_str().to_owned()),
                reason: refusal.reason.clone(),
            }),
            events: head.seq,
            engine_time: rfc3339(state.clock_ns),
            head: head.hash.to_hex(),
        }
    }

    /// Writes the summary for people; `elapsed` adds the throughput line.
    pub fn write_text(&self, out: &mut impl Write, elapsed: Option<Duration>) -> io::Result<()> {
        let statuses: Vec<String> = self.orders_by_status.iter().map(|(s, n)| format!("{s:?} {n}")).collect();
        writeln!(out, "scenario:     {}", self.scenario)?;
        match statuses.is_empty() {
            true => writeln!(out, "orders:       {}", self.orders)?,
            false => writeln!(out, "orders:       {} ({})", self.orders, statuses.join(", "))?,
        }
        writeln!(out, "fills:        {} ({} late)", self.fills, self.late_fills)?;
        writeln!(out, "realized pnl: {}", table_decimal(self.realized_pnl))?;
        writeln!(out, "fees:         {}", table_decimal(self.fees))?;
        if let Some(reason) = &self.halted {
            writeln!(out, "halted:       {reason}")?;
        }
        if let Some(first) = &self.first_refused {
            let inputs = if self.refused == 1 { "input" } else { "inputs" };
            let order = first.client_order_id.as_deref().map(|id| format!(" {id}")).unwrap_or_default();
            writeln!(
                out,
                "refused:      {} {inputs} (the first: {}{order} at {}: {})",
                self.refused, first.command, first.at, first.reason
            )?;
        }
        writeln!(out, "engine time:  {}", self.engine_time)?;
        match elapsed {
            Some(elapsed) => {
                let secs = elapsed.as_secs_f64().max(1e-9);
                writeln!(
                    out,
                    "events:       {} written in {:.3} s ({:.0} events/s)",
                    self.events,
                    secs,
                    self.events as f64 / secs
                )?;
            }
            None => writeln!(out, "events:       {}", self.events)?,
        }
        writeln!(out, "head:         {}", self.head)?;
        writeln!(out, "positions:")?;
        if self.positions.is_empty() {
            writeln!(out, "  (none)")
        } else {
            write!(out, "{}", positions_table(&self.positions))
        }
    }
}
