//! The decision step: pure functions of (state, engine time, input) → events. Nothing here
//! changes state; the core applies each phase's events before deciding the next phase.
//!
//! A broker report becomes the matching order event if the order state machine accepts it,
//! else `ReportIgnored` (kept for audit). A client command the engine cannot act on becomes
//! `CommandRejected`. A new order passes pre-trade checks (halt, max order qty, a GTD expiry
//! in the past) or is `OrderDenied`.

use crate::domain::{BrokerOrderId, OrderStatus, TimeInForce};
use crate::event::{
    BrokerAccepted, BrokerCancelRejected, BrokerCancelled, BrokerExpired, BrokerFilled, BrokerRejected, CancelOrder,
    CancelRejected, CancelRequested, CommandRejected, EngineHalted, EngineResumed, Event, OperatorAction,
    OperatorCommand, OrderAccepted, OrderCancelled, OrderCreated, OrderDenied, OrderExpired, OrderFilled,
    OrderRejected, OrderSubmitted, ReportIgnored, SubmitOrder,
};

use super::state::EngineState;

/// Phase one: cancel every working order whose stale deadline is due at `now_ns`.
pub fn expiries(state: &EngineState, now_ns: i64) -> Vec<Event> {
    state
        .due(now_ns)
        .map(|id| Event::from(CancelRequested { client_order_id: id.clone() }))
        .filter(|event| state.views.oms.check(event).is_ok())
        .collect()
}

/// Phase two: the decisions an input calls for.
pub fn input(state: &EngineState, now_ns: i64, input: &Event) -> Vec<Event> {
    match input {
        Event::SubmitOrder(submit) => submit_order(state, now_ns, submit),
        Event::CancelOrder(cancel) => cancel_order(state, cancel),
        Event::OperatorCommand(command) => operator(state, command),
        Event::BrokerAccepted(r) => report(state, input, accepted(r)),
        Event::BrokerRejected(r) => report(state, input, rejected(r)),
        Event::BrokerFilled(r) => report(state, input, filled(r)),
        Event::BrokerCancelled(r) => report(state, input, cancelled(r)),
        Event::BrokerCancelRejected(r) => report(state, input, cancel_rejected(r)),
        Event::BrokerExpired(r) => report(state, input, expired(r)),
        _ => Vec::new(),
    }
}

fn submit_order(state: &EngineState, now_ns: i64, submit: &SubmitOrder) -> Vec<Event> {
    let created = Event::from(OrderCreated {
        client_order_id: submit.client_order_id.clone(),
        strategy: submit.strategy.clone(),
        symbol: submit.symbol.clone(),
        side: submit.side,
        order_type: submit.order_type,
        qty: submit.qty,
        limit_price: submit.limit_price,
        time_in_force: submit.time_in_force,
        ttl_s: submit.ttl_s,
        decision_price: submit.decision_price,
        arrival_price: state.last_price.get(&submit.symbol).copied(),
        execution_id: None,
        slice_id: None,
    });
    if let Err(error) = state.views.oms.check(&created) {
        return vec![command_rejected(&Event::from(submit.clone()), error.to_string())];
    }
    let client_order_id = submit.client_order_id.clone();
    let next = match pre_trade_denial(state, now_ns, submit) {
        Some(reason) => Event::from(OrderDenied { client_order_id, reason }),
        None => Event::from(OrderSubmitted { client_order_id }),
    };
    vec![created, next]
}

/// Why pre-trade risk refuses the order, if it does.
fn pre_trade_denial(state: &EngineState, now_ns: i64, submit: &SubmitOrder) -> Option<String> {
    if let Some(reason) = &state.halted {
        return Some(format!("engine halted: {reason}"));
    }
    if let Some(max) = state.config().max_order_qty
        && submit.qty > max
    {
        return Some(format!("qty {} exceeds the max order qty {max}", submit.qty));
    }
    if let TimeInForce::Gtd { expire_ns } = submit.time_in_force
        && expire_ns <= now_ns
    {
        return Some("GTD expiry is not in the future".to_owned());
    }
    None
}

fn cancel_order(state: &EngineState, cancel: &CancelOrder) -> Vec<Event> {
    let id = &cancel.client_order_id;
    let refuse = |reason: String| vec![command_rejected(&Event::from(cancel.clone()), reason)];
    let Some(order) = state.order(id) else { return refuse("unknown order".to_owned()) };
    match order.status {
        status if status.is_terminal() => refuse(format!("the order is {status:?}")),
        OrderStatus::PendingCancel => refuse("a cancel is already pending".to_owned()),
        OrderStatus::Pending => vec![OrderCancelled { client_order_id: id.clone() }.into()],
        _ => vec![CancelRequested { client_order_id: id.clone() }.into()],
    }
}

fn operator(state: &EngineState, command: &OperatorCommand) -> Vec<Event> {
    let reason = command.reason.clone();
    match (command.action, state.halted.is_some()) {
        (OperatorAction::Halt, false) => vec![EngineHalted { reason }.into()],
        (OperatorAction::Resume, true) => vec![EngineResumed { reason }.into()],
        (OperatorAction::Halt, true) => vec![command_rejected(&command.clone().into(), "already halted".into())],
        (OperatorAction::Resume, false) => vec![command_rejected(&command.clone().into(), "not halted".into())],
    }
}

fn command_rejected(command: &Event, reason: String) -> Event {
    let client_order_id = command.client_order_id().cloned();
    CommandRejected { command: command.type_name().to_owned(), client_order_id, reason }.into()
}

/// The order event a report stands for, if the state machine accepts it; else `ReportIgnored`.
fn report(state: &EngineState, input: &Event, event: Event) -> Vec<Event> {
    match state.views.oms.check(&event) {
        Ok(()) => vec![event],
        Err(error) => vec![
            ReportIgnored {
                client_order_id: input.client_order_id().cloned(),
                broker_order_id: broker_order_id(state, input),
                reason: error.to_string(),
                report: serde_json::to_string(input).unwrap_or_else(|e| format!("unprintable report: {e}")),
            }
            .into(),
        ],
    }
}

/// The broker's id for the order a report is about: named by the report, else known locally.
fn broker_order_id(state: &EngineState, input: &Event) -> Option<BrokerOrderId> {
    match input {
        Event::BrokerAccepted(r) => Some(r.broker_order_id.clone()),
        Event::BrokerFilled(r) => Some(r.broker_order_id.clone()),
        _ => input.client_order_id().and_then(|id| state.order(id)?.broker_order_id.clone()),
    }
}

fn accepted(r: &BrokerAccepted) -> Event {
    OrderAccepted { client_order_id: r.client_order_id.clone(), broker_order_id: r.broker_order_id.clone() }.into()
}

fn rejected(r: &BrokerRejected) -> Event {
    OrderRejected { client_order_id: r.client_order_id.clone(), reason: r.reason.clone() }.into()
}

fn filled(r: &BrokerFilled) -> Event {
    OrderFilled {
        client_order_id: r.client_order_id.clone(),
        fill_id: r.fill_id.clone(),
        qty: r.qty,
        price: r.price,
        fee: r.fee,
        liquidity: r.liquidity,
        venue: r.venue.clone(),
        broker_ts_ns: r.broker_ts_ns,
    }
    .into()
}

fn cancelled(r: &BrokerCancelled) -> Event {
    OrderCancelled { client_order_id: r.client_order_id.clone() }.into()
}

fn cancel_rejected(r: &BrokerCancelRejected) -> Event {
    CancelRejected { client_order_id: r.client_order_id.clone(), reason: r.reason.clone() }.into()
}

fn expired(r: &BrokerExpired) -> Event {
    OrderExpired { client_order_id: r.client_order_id.clone() }.into()
}
