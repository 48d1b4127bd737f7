//! `blotter replay`: the views as of a point, as tables or JSON.
//!
//! JSON (see the module docs of [`crate::render`] for the conventions):
//! - one view (`--view oms|positions|reports`): that view's array, `[OrderRow…]`,
//!   `[PositionRow…]` or `[ReportRow…]`;
//! - all views: `{"at": Point, "oms": [OrderRow…], "positions": [PositionRow…],
//!   "reports": [ReportRow…]}`.
//!
//! Orders come in creation (journal) order, positions by (strategy, symbol), reports by seq.

use std::io::{self, Write};

use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use super::table::Table;
use super::{Point, or_dash, rfc3339, table_decimal, table_opt_decimal};
use crate::domain::{BrokerOrderId, ClientOrderId, OrderStatus, OrderType, Side, TimeInForce};
use crate::projection::{ExecType, ExecutionReport, OrdStatus, OrderView, Position, Views};
use crate::replay::Replayed;

/// One of the views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum View {
    Oms,
    Positions,
    Reports,
}

/// What to render: one view (JSON: its array) or all of them (JSON: one object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    One(View),
    All,
}

impl Selection {
    fn views(self) -> &'static [View] {
        match self {
            Selection::One(View::Oms) => &[View::Oms],
            Selection::One(View::Positions) => &[View::Positions],
            Selection::One(View::Reports) => &[View::Reports],
            Selection::All => &[View::Oms, View::Positions, View::Reports],
        }
    }
}

/// One order of the OMS view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRow {
    pub client_order_id: ClientOrderId,
    /// `null` until the broker accepted the order.
    pub broker_order_id: Option<BrokerOrderId>,
    pub strategy: String,
    pub symbol: String,
    pub side: Side,
    pub order_type: OrderType,
    /// `"Day"`, `"Gtc"`, `"Ioc"`, `"Fok"` or `"Gtd"`.
    pub time_in_force: &'static str,
    /// For `"Gtd"`: when the order expires (ns since the Unix epoch); otherwise `null`.
    pub expire_ts_ns: Option<i64>,
    pub qty: Decimal,
    pub limit_price: Option<Decimal>,
    pub status: OrderStatus,
    pub cum_qty: Decimal,
    pub leaves_qty: Decimal,
    /// `null` before the first fill.
    pub avg_px: Option<Decimal>,
    /// Σ qty·price over all fills.
    pub notional: Decimal,
    pub fees: Decimal,
    /// Number of fills, late fills and overfills included.
    pub fills: usize,
    /// A fill arrived after the order was cancelled or expired.
    pub late_fill: bool,
    /// The venue executed more than the order quantity.
    pub overfill: bool,
    pub ttl_s: Option<u64>,
    pub decision_price: Option<Decimal>,
    pub arrival_price: Option<Decimal>,
    pub execution_id: Option<String>,
    pub slice_id: Option<u32>,
    /// The seq of the `OrderCreated` record.
    pub created_seq: u64,
    /// The seq of the last record that changed the order (a status change or a fill).
    pub updated_seq: u64,
}

impl From<&OrderView> for OrderRow {
    fn from(order: &OrderView) -> OrderRow {
        let created = &order.created;
        let (time_in_force, expire_ts_ns) = time_in_force(created.time_in_force);
        let created_seq = order.transitions.first().map_or(0, |t| t.seq);
        let changed = order.transitions.last().map(|t| t.seq);
        let filled = order.fills.last().map(|f| f.seq);
        OrderRow {
            client_order_id: created.client_order_id.clone(),
            broker_order_id: order.broker_order_id.clone(),
            strategy: created.strategy.to_string(),
            symbol: created.symbol.to_string(),
            side: created.side,
            order_type: created.order_type,
            time_in_force,
            expire_ts_ns,
            qty: created.qty,
            limit_price: created.limit_price,
            status: order.status,
            cum_qty: order.cum_qty,
            leaves_qty: order.leaves_qty,
            avg_px: order.avg_px(),
            notional: order.notional,
            fees: order.fees,
            fills: order.fills.len(),
            late_fill: order.late_fill,
            overfill: order.overfill,
            ttl_s: created.ttl_s,
            decision_price: created.decision_price,
            arrival_price: created.arrival_price,
            execution_id: created.execution_id.clone(),
            slice_id: created.slice_id,
            created_seq,
            updated_seq: changed.max(filled).unwrap_or(created_seq),
        }
    }
}

impl OrderRow {
    /// `late fill`, `overfill`, both (comma separated) or nothing.
    pub fn flags(&self) -> String {
        let flags = [(self.late_fill, "late fill"), (self.overfill, "overfill")];
        flags.iter().filter(|(on, _)| *on).map(|(_, name)| *name).collect::<Vec<_>>().join(", ")
    }
}

/// The name of a time in force and, for GTD, its expiry.
pub fn time_in_force(tif: TimeInForce) -> (&'static str, Option<i64>) {
    match tif {
        TimeInForce::Day => ("Day", None),
        TimeInForce::Gtc => ("Gtc", None),
        TimeInForce::Ioc => ("Ioc", None),
        TimeInForce::Fok => ("Fok", None),
        TimeInForce::Gtd { expire_ns } => ("Gtd", Some(expire_ns)),
    }
}

/// One (strategy, symbol) position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PositionRow {
    pub strategy: String,
    pub symbol: String,
    /// Signed net quantity: long > 0, short < 0.
    pub qty: Decimal,
    /// Average entry price of the open quantity; `null` when flat.
    pub avg_px: Option<Decimal>,
    /// Realized PnL, fees excluded.
    pub realized_pnl: Decimal,
    pub fees: Decimal,
    /// Number of fills applied.
    pub fills: u64,
}

impl From<&Position> for PositionRow {
    fn from(p: &Position) -> PositionRow {
        PositionRow {
            strategy: p.strategy.clone(),
            symbol: p.symbol.clone(),
            qty: p.net_qty,
            avg_px: p.avg_px,
            realized_pnl: p.realized_pnl,
            fees: p.fees,
            fills: p.fills,
        }
    }
}

/// One FIX 4.4-style execution report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    pub seq: u64,
    pub ts_ns: i64,
    pub time: String,
    /// ExecID: the event id of the journal record.
    pub exec_id: Uuid,
    pub client_order_id: ClientOrderId,
    pub broker_order_id: Option<BrokerOrderId>,
    pub symbol: String,
    pub side: Side,
    pub order_qty: Decimal,
    pub exec_type: ExecType,
    pub ord_status: OrdStatus,
    pub cum_qty: Decimal,
    pub leaves_qty: Decimal,
    pub avg_px: Option<Decimal>,
    /// Set on `Trade` reports only.
    pub last_qty: Option<Decimal>,
    pub last_px: Option<Decimal>,
    pub text: Option<String>,
}

impl From<&ExecutionReport> for ReportRow {
    fn from(r: &ExecutionReport) -> ReportRow {
        ReportRow {
            seq: r.seq,
            ts_ns: r.ts_ns,
            time: rfc3339(r.ts_ns),
            exec_id: r.exec_id,
            client_order_id: r.client_order_id.clone(),
            broker_order_id: r.broker_order_id.clone(),
            symbol: r.symbol.clone(),
            side: r.side,
            order_qty: r.order_qty,
            exec_type: r.exec_type,
            ord_status: r.ord_status,
            cum_qty: r.cum_qty,
            leaves_qty: r.leaves_qty,
            avg_px: r.avg_px,
            last_qty: r.last_qty,
            last_px: r.last_px,
            text: r.text.clone(),
        }
    }
}

/// Every order, in creation (journal) order.
pub fn order_rows(views: &Views) -> Vec<OrderRow> {
    views.oms.iter().map(|o| OrderRow::from(&*o)).collect()
}

/// Every position, by (strategy, symbol).
pub fn position_rows(views: &Views) -> Vec<PositionRow> {
    views.positions.iter().map(PositionRow::from).collect()
}

/// Every execution report, by seq (none unless the replay derived them).
pub fn report_rows(replayed: &Replayed) -> Vec<ReportRow> {
    replayed.reports.as_ref().map(|reports| reports.all().iter().map(ReportRow::from).collect()).unwrap_or_default()
}

/// The JSON document for `--view all`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllViews {
    pub at: Point,
    pub oms: Vec<OrderRow>,
    pub positions: Vec<PositionRow>,
    pub reports: Vec<ReportRow>,
}

/// Writes the JSON for `selection` (pretty, one trailing newline).
pub fn write_json(out: &mut impl Write, replayed: &Replayed, selection: Selection) -> io::Result<()> {
    let views = &replayed.views;
    match selection {
        Selection::One(View::Oms) => serde_json::to_writer_pretty(&mut *out, &order_rows(views)),
        Selection::One(View::Positions) => serde_json::to_writer_pretty(&mut *out, &position_rows(views)),
        Selection::One(View::Reports) => serde_json::to_writer_pretty(&mut *out, &report_rows(replayed)),
        Selection::All => {
            let all = AllViews {
                at: Point::of(replayed),
                oms: order_rows(views),
                positions: position_rows(views),
                reports: report_rows(replayed),
            };
            serde_json::to_writer_pretty(&mut *out, &all)
        }
    }
    .map_err(io::Error::from)?;
    writeln!(out)
}

/// Writes the tables for `selection`: the point in time, then one titled table per view.
pub fn write_table(out: &mut impl Write, replayed: &Replayed, selection: Selection) -> io::Result<()> {
    writeln!(out, "{}", Point::of(replayed).headline())?;
    for view in selection.views() {
        writeln!(out)?;
        let (title, table) = match view {
            View::Oms => ("orders", oms_table(&order_rows(&replayed.views))),
            View::Positions => ("positions", positions_table(&position_rows(&replayed.views))),
            View::Reports => ("execution reports", reports_table(&report_rows(replayed))),
        };
        writeln!(out, "{title}: {}", table.len())?;
        if !table.is_empty() {
            write!(out, "{table}")?;
        }
    }
    Ok(())
}

/// [`write_json`] into a string.
pub fn json_string(replayed: &Replayed, selection: Selection) -> String {
    let mut out = Vec::new();
    write_json(&mut out, replayed, selection).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// [`write_table`] into a string.
pub fn table_string(replayed: &Replayed, selection: Selection) -> String {
    let mut out = Vec::new();
    write_table(&mut out, replayed, selection).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("tables are UTF-8")
}

pub fn oms_table(rows: &[OrderRow]) -> Table {
    let mut table = Table::new()
        .left("ORDER")
        .left("STRATEGY")
        .left("SYMBOL")
        .left("SIDE")
        .left("TYPE")
        .left("TIF")
        .right("QTY")
        .right("LIMIT")
        .left("STATUS")
        .right("CUM")
        .right("LEAVES")
        .right("AVG PX")
        .right("FEES")
        .left("BROKER ID")
        .left("FLAGS");
    for o in rows {
        table.row(vec![
            o.client_order_id.to_string(),
            o.strategy.clone(),
            o.symbol.clone(),
            format!("{:?}", o.side),
            format!("{:?}", o.order_type),
            o.time_in_force.to_owned(),
            table_decimal(o.qty),
            table_opt_decimal(o.limit_price),
            format!("{:?}", o.status),
            table_decimal(o.cum_qty),
            table_decimal(o.leaves_qty),
            table_opt_decimal(o.avg_px),
            table_decimal(o.fees),
            or_dash(o.broker_order_id.as_ref()),
            o.flags(),
        ]);
    }
    table
}

pub fn positions_table(rows: &[PositionRow]) -> Table {
    let mut table = Table::new()
        .left("STRATEGY")
        .left("SYMBOL")
        .right("QTY")
        .right("AVG PX")
        .right("REALIZED PNL")
        .right("FEES")
        .right("FILLS");
    for p in rows {
        table.row(vec![
            p.strategy.clone(),
            p.symbol.clone(),
            table_decimal(p.qty),
            table_opt_decimal(p.avg_px),
            table_decimal(p.realized_pnl),
            table_decimal(p.fees),
            p.fills.to_string(),
        ]);
    }
    table
}

pub fn reports_table(rows: &[ReportRow]) -> Table {
    let mut table = Table::new()
        .right("SEQ")
        .left("TIME")
        .left("ORDER")
        .left("BROKER ID")
        .left("SYMBOL")
        .left("SIDE")
        .left("EXEC TYPE")
        .left("ORD STATUS")
        .right("ORDER QTY")
        .right("CUM")
        .right("LEAVES")
        .right("AVG PX")
        .right("LAST QTY")
        .right("LAST PX")
        .left("TEXT");
    for r in rows {
        table.row(vec![
            r.seq.to_string(),
            r.time.clone(),
            r.client_order_id.to_string(),
            or_dash(r.broker_order_id.as_ref()),
            r.symbol.clone(),
            format!("{:?}", r.side),
            format!("{:?}", r.exec_type),
            format!("{:?}", r.ord_status),
            table_decimal(r.order_qty),
            table_decimal(r.cum_qty),
            table_decimal(r.leaves_qty),
            table_opt_decimal(r.avg_px),
            table_opt_decimal(r.last_qty),
            table_opt_decimal(r.last_px),
            r.text.clone().unwrap_or_default(),
        ]);
    }
    table
}

#[cfg(test)]
mod tests;
