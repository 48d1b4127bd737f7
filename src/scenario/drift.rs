//! `[[venue_drift]]` entries: differences injected into the paper venue's books at a time, so
//! that reconciliation (`action = "reconcile"`) has drift to find. Checked like every entry.

use super::context::Context;
use super::error::ScenarioError;
use super::file::{DriftEntry, DriftKind, ScenarioFile, SideName};
use super::inputs::parse_at;
use super::number::Rule;
use crate::broker::Timed;
use crate::broker::paper::VenueDrift;
use crate::domain::{Side, identifier};

/// Every drift entry at its time, in file order.
pub(super) fn drifts(
    context: &Context,
    file: &ScenarioFile,
    symbol: &str,
) -> Result<Vec<Timed<VenueDrift>>, ScenarioError> {
    file.venue_drift
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let invalid = |problem| context.invalid(Some(entry.span()), format!("venue_drift[{index}]"), problem);
            drift(entry.get_ref(), symbol).map_err(invalid)
        })
        .collect()
}

fn drift(entry: &DriftEntry, symbol: &str) -> Result<Timed<VenueDrift>, String> {
    let at_ns = parse_at("at", &entry.at)?;
    let id = || {
        let id =
            entry.id.clone().filter(|id| !id.trim().is_empty()).ok_or("id is required for this kind".to_owned())?;
        identifier("id", &id).map(|()| id)
    };
    let qty = |rule| entry.qty.as_ref().ok_or("qty is required for this kind".to_owned())?.checked("qty", rule);
    let item = match entry.kind {
        DriftKind::ShiftPosition => {
            let qty = entry.qty.as_ref().ok_or("qty is required for this kind")?;
            let qty = qty.decimal("qty")?;
            VenueDrift::ShiftPosition { symbol: symbol.to_owned(), qty }
        }
        DriftKind::PhantomOrder => {
            let side = match entry.side.ok_or("side is required for a phantom order")? {
                SideName::Buy => Side::Buy,
                SideName::Sell => Side::Sell,
            };
            VenueDrift::PhantomOrder {
                client_order_id: id()?.into(),
                symbol: symbol.to_owned(),
                side,
                qty: qty(Rule::Positive)?,
            }
        }
        DriftKind::ForgetOrder => VenueDrift::ForgetOrder { client_order_id: id()?.into() },
    };
    Ok(Timed { at_ns, item })
}
