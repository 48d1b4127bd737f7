//! The decision step: pure functions of (state, engine time, input) → events. Nothing here
//! changes state; the core applies each phase's events before deciding the next phase.
//!
//! A broker report becomes the matching order event if the order state machine accepts it,
//! else `ReportIgnored` (kept for audit). A client command the engine cannot act on becomes
//! `CommandRejected`. A new order passes pre-trade checks (halt, max order qty, a GTD expiry
//! in the past) or is `OrderDenied`.

use crate::domain::{BrokerOrderId, OrderStatus, OrderType, Side, TimeInForce};
use crate::event::{
    BrokerAccepted, BrokerCancelRejected, BrokerCancelled, BrokerExpired, BrokerFilled, BrokerRejected, CancelOrder,
    CancelRejected, CancelRequested, CommandRejected, EngineHalted, EngineResumed, Event, InvariantViolated,
    OperatorAction, OperatorCommand, OrderAccepted, OrderCancelled, OrderCreated, OrderDenied, OrderExpired,
    OrderFilled, OrderRejected, OrderSubmitted, ReconciliationRequested, ReportIgnored, SubmitOrder,
};

use super::reconcile::reconcile;
use super::state::EngineState;

/// Phase one: cancel every working order whose stale deadline is due at `now_ns`.
pub fn expiries(state: &EngineState, now_ns: i64) -> Vec<Event> {
    state
        .due(now_ns)
        .map(|id| Event::from(CancelRequested { client_order_id: id.clone() }))
        .filter(|event| state.views.oms.check(event).is_ok())
        .collect()
}

/// Phase two: the decisions an input calls for. `input_seq` (the input's own seq) names the
/// orders the engine creates itself.
pub fn input(state: &EngineState, now_ns: i64, input: &Event, input_seq: u64) -> Vec<Event> {
    match input {
        Event::SubmitOrder(submit) => submit_order(state, now_ns, submit),
        Event::CancelOrder(cancel) => cancel_order(state, cancel),
        Event::OperatorCommand(command) => operator(state, input, command, input_seq),
        Event::LiveOperatorCommand(live) => operator(state, input, &live.into(), input_seq),
        Event::BrokerAccepted(r) => report(state, input, accepted(r)),
        Event::BrokerRejected(r) => report(state, input, rejected(r)),
        Event::BrokerFilled(r) => fill_report(state, input, r),
        Event::BrokerStateReported(r) => reconcile(state, r, input_seq),
        Event::SessionStarted(_) => vec![ReconciliationRequested { reason: "start-up".to_owned() }.into()],
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
        arrival_price: state.last_price.get(submit.symbol.as_str()).copied(),
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

/// An operator's `command`, from the plan or live (`input` is how it came in).
fn operator(state: &EngineState, input: &Event, command: &OperatorCommand, input_seq: u64) -> Vec<Event> {
    let reason = command.reason.clone();
    let halted = state.halted.is_some();
    match command.action {
        OperatorAction::Halt if !halted => vec![EngineHalted { reason }.into()],
        OperatorAction::Resume if halted => vec![EngineResumed { reason }.into()],
        OperatorAction::Halt => vec![command_rejected(input, "already halted".into())],
        OperatorAction::Resume => vec![command_rejected(input, "not halted".into())],
        OperatorAction::KillSwitch => kill_switch(state, &reason, None),
        OperatorAction::KillSwitchFlatten => kill_switch(state, &reason, Some(input_seq)),
        OperatorAction::Reconcile => vec![ReconciliationRequested { reason }.into()],
    }
}

/// Halt (unless halted), cancel every working order, and with `flatten_as` (the input's
/// seq, which names the new orders `kill-<seq>-<n>`) close every open position at market.
fn kill_switch(state: &EngineState, reason: &str, flatten_as: Option<u64>) -> Vec<Event> {
    let mut events = Vec::new();
    if state.halted.is_none() {
        events.push(EngineHalted { reason: format!("kill switch: {reason}") }.into());
    }
    for order in state.views.oms.iter() {
        let client_order_id = order.client_order_id().clone();
        match order.status {
            status if status.is_terminal() || status == OrderStatus::PendingCancel => {}
            OrderStatus::Pending => events.push(OrderCancelled { client_order_id }.into()),
            _ => events.push(CancelRequested { client_order_id }.into()),
        }
    }
    let Some(seq) = flatten_as else { return events };
    let open = state.views.positions.iter().filter(|p| !p.net_qty.is_zero());
    for (n, position) in open.enumerate() {
        let created = OrderCreated {
            client_order_id: format!("kill-{seq}-{}", n + 1).into(),
            strategy: position.strategy.as_str().into(),
            symbol: position.symbol.as_str().into(),
            side: if position.net_qty.is_sign_positive() { Side::Sell } else { Side::Buy },
            order_type: OrderType::Market,
            qty: position.net_qty.abs(),
            limit_price: None,
            time_in_force: TimeInForce::Gtc,
            ttl_s: None,
            decision_price: None,
            arrival_price: state.last_price.get(&position.symbol).copied(),
            execution_id: None,
            slice_id: None,
        };
        let client_order_id = created.client_order_id.clone();
        if state.views.oms.check(&created.clone().into()).is_ok() {
            events.push(created.into());
            events.push(OrderSubmitted { client_order_id }.into());
        }
    }
    events
}

/// A fill report: the fill if the state machine takes it, flagged as an invariant violation
/// (which halts) if it overfills its order; a fill for an order the engine does not know is
/// ignored and halts too.
fn fill_report(state: &EngineState, input: &Event, r: &BrokerFilled) -> Vec<Event> {
    let mut events = report(state, input, filled(r));
    match state.order(&r.client_order_id) {
        None => {
            let detail = format!("fill {} of {} {}", r.fill_id, r.qty, r.price);
            events.push(violation("fill for an unknown order", r, detail));
        }
        Some(order) => {
            let cum = order.cum_qty.checked_add(r.qty);
            if matches!(events.as_slice(), [Event::OrderFilled(_)]) && cum.is_none_or(|cum| cum > order.created.qty) {
                let detail = format!("fill {} of {} takes cum past qty {}", r.fill_id, r.qty, order.created.qty);
                events.push(violation("overfill", r, detail));
            }
        }
    }
    events
}

fn violation(invariant: &str, r: &BrokerFilled, detail: String) -> Event {
    InvariantViolated { invariant: invariant.to_owned(), client_order_id: Some(r.client_order_id.clone()), detail }
        .into()
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
    OrderFilled::from(r).into()
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
