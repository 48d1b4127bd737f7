//! The scenario's inputs: `[[orders]]`, `[[cancels]]` and `[[operator]]` entries, checked
//! against each other and merged into one timeline.

use std::collections::HashMap;

use chrono::DateTime;
use toml::Spanned;

use super::ScenarioError;
use super::context::Context;
use super::file::{ActionName, CancelEntry, OperatorEntry, OrderEntry, ScenarioFile};
use super::order::submit;
use crate::broker::Timed;
use crate::domain::{ClientOrderId, free_text, identifier};
use crate::event::{CancelOrder, Event, OperatorAction, OperatorCommand};
use crate::market::TIME_RANGE;

/// The operator named when an `[[operator]]` entry names none.
pub const DEFAULT_OPERATOR: &str = "scenario";

/// Orders by id: their index in the file and their time.
type OrderIndex<'f> = HashMap<&'f str, (usize, i64)>;

/// Every entry as an event at its time, sorted by time; ties keep orders, then cancels,
/// then operator commands, each in file order.
pub(super) fn inputs(context: &Context, file: &ScenarioFile, symbol: &str) -> Result<Vec<Timed<Event>>, ScenarioError> {
    let mut events = Vec::with_capacity(file.orders.len() + file.cancels.len() + file.operator.len());
    let orders = submits(context, &file.orders, symbol, &mut events)?;
    for (index, entry) in file.cancels.iter().enumerate() {
        let what = format!("cancels[{index}] (id {:?})", entry.get_ref().id);
        let invalid = |problem| context.invalid(Some(entry.span()), what, problem);
        events.push(cancel(entry.get_ref(), &orders).map_err(invalid)?);
    }
    for (index, entry) in file.operator.iter().enumerate() {
        let invalid = |problem| context.invalid(Some(entry.span()), format!("operator[{index}]"), problem);
        events.push(operator(entry.get_ref()).map_err(invalid)?);
    }
    events.sort_by_key(|event| event.at_ns);
    Ok(events)
}

/// Converts the orders into `events`; ids must be unique.
fn submits<'f>(
    context: &Context,
    entries: &'f [Spanned<OrderEntry>],
    symbol: &str,
    events: &mut Vec<Timed<Event>>,
) -> Result<OrderIndex<'f>, ScenarioError> {
    let mut orders = OrderIndex::new();
    for (index, entry) in entries.iter().enumerate() {
        let order = entry.get_ref();
        let invalid =
            |problem| context.invalid(Some(entry.span()), format!("orders[{index}] (id {:?})", order.id), problem);
        let (at_ns, submit) = submit(order, symbol).map_err(invalid)?;
        if let Some((first, _)) = orders.insert(&order.id, (index, at_ns)) {
            return Err(invalid(format!("duplicate order id {:?} (also orders[{first}])", order.id)));
        }
        events.push(Timed { at_ns, item: submit.into() });
    }
    Ok(orders)
}

/// A cancel must name an order of the file, at or after that order's time.
fn cancel(cancel: &CancelEntry, orders: &OrderIndex) -> Result<Timed<Event>, String> {
    let at_ns = parse_at("at", &cancel.at)?;
    let Some(&(index, order_ns)) = orders.get(cancel.id.as_str()) else {
        return Err(format!("cancels unknown order id {:?} (no [[orders]] entry has it)", cancel.id));
    };
    if at_ns < order_ns {
        return Err(format!("at {} is before the order's own at (orders[{index}])", cancel.at));
    }
    let item = CancelOrder { client_order_id: ClientOrderId::new(cancel.id.as_str()) }.into();
    Ok(Timed { at_ns, item })
}

fn operator(entry: &OperatorEntry) -> Result<Timed<Event>, String> {
    let at_ns = parse_at("at", &entry.at)?;
    let operator = entry.operator.as_deref().unwrap_or(DEFAULT_OPERATOR);
    identifier("operator", operator)?;
    free_text("reason", &entry.reason)?;
    let action = match entry.action {
        ActionName::Halt => OperatorAction::Halt,
        ActionName::Resume => OperatorAction::Resume,
        ActionName::KillSwitch => OperatorAction::KillSwitch,
        ActionName::KillSwitchFlatten => OperatorAction::KillSwitchFlatten,
        ActionName::Reconcile => OperatorAction::Reconcile,
    };
    let command = OperatorCommand { operator: operator.to_owned(), action, reason: entry.reason.clone() };
    Ok(Timed { at_ns, item: command.into() })
}

/// An RFC 3339 time as ns since the Unix epoch; the problem names `field`.
pub(super) fn parse_at(field: &str, text: &str) -> Result<i64, String> {
    DateTime::parse_from_rfc3339(text).ok().and_then(|at| at.timestamp_nanos_opt()).ok_or_else(|| {
        format!("{field} {text:?} is not an RFC 3339 time such as \"2024-01-02T14:30:00Z\" {TIME_RANGE}")
    })
}
