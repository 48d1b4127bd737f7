//! [`Core`]: the deterministic engine. `handle(time, input)` stamps the input as the next
//! record, applies it, decides (expiries due by then, then the input's own decisions),
//! stamps and applies each decision, and returns the records to journal together with the
//! broker commands to send once they are durable. No I/O, no clock, no randomness: the same
//! inputs give the same records, byte for byte.

use thiserror::Error;
use uuid::Uuid;

use super::decide;
use super::expiry;
use super::state::EngineState;
use crate::broker::{BrokerCommand, CancelRequest, NewOrder};
use crate::event::{Event, InvariantViolated};
use crate::journal::{ChainHash, Envelope, Payload, event_id};
use crate::projection::InvariantViolation;

/// Why the core refused an input. Refusals before the first record change nothing; an
/// invariant violation leaves the core failed (it refuses everything after).
#[derive(Debug, Clone, Error, PartialEq)]
pub enum EngineError {
    #[error("{type_name} is not an input (only inputs come into the engine)")]
    NotAnInput { type_name: &'static str },
    #[error("input at {ts_ns} ns is earlier than engine time {clock_ns} ns")]
    TimeWentBackwards { ts_ns: i64, clock_ns: i64 },
    #[error("the engine stopped: {0}")]
    Invariant(#[from] InvariantViolation),
    #[error("the engine has stopped after an earlier failure: {0}")]
    Stopped(String),
}

/// What one input produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Engine time of the input and its decisions.
    pub ts_ns: i64,
    /// The input's record, then each decision's, in journal order.
    pub records: Vec<(Envelope, Event)>,
    /// To send to the broker, in order, once every record above is durable.
    pub commands: Vec<BrokerCommand>,
}

impl Decision {
    pub fn first_seq(&self) -> u64 {
        self.records.first().map_or(0, |(env, _)| env.seq)
    }

    pub fn last_seq(&self) -> u64 {
        self.records.last().map_or(0, |(env, _)| env.seq)
    }
}

pub struct Core {
    state: EngineState,
    h0: ChainHash,
    last_seq: u64,
    stopped: Option<String>,
}

impl Core {
    /// A core for a new journal rooted at `h0` (whose head is seq 0).
    pub fn new(h0: ChainHash) -> Core {
        Core::resume(h0, 0, EngineState::new())
    }

    /// A core continuing a journal whose last record is `last_seq`, with `state` folded from it.
    pub fn resume(h0: ChainHash, last_seq: u64, state: EngineState) -> Core {
        Core { state, h0, last_seq, stopped: None }
    }

    pub fn state(&self) -> &EngineState {
        &self.state
    }

    pub fn into_state(self) -> EngineState {
        self.state
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Stops the core for good (its state is ahead of a journal that failed).
    pub fn stop(&mut self, reason: String) {
        self.stopped.get_or_insert(reason);
    }

    /// The next engine time at which a timer falls due (feed a `TimerTick` then).
    pub fn next_deadline(&self) -> Option<i64> {
        self.state.next_deadline()
    }

    /// Journals `input` at engine time `ts_ns` and decides on it.
    pub fn handle(&mut self, ts_ns: i64, input: Event) -> Result<Decision, EngineError> {
        if let Some(reason) = &self.stopped {
            return Err(EngineError::Stopped(reason.clone()));
        }
        if !input.is_input() {
            return Err(EngineError::NotAnInput { type_name: input.type_name() });
        }
        if ts_ns < self.state.clock_ns {
            return Err(EngineError::TimeWentBackwards { ts_ns, clock_ns: self.state.clock_ns });
        }
        let mut decision = Decision { ts_ns, records: Vec::with_capacity(4), commands: Vec::new() };
        let result = self.decide(&mut decision, input);
        if let Err(error) = &result {
            self.stopped = Some(error.to_string());
        }
        result.map(|()| decision)
    }

    fn decide(&mut self, decision: &mut Decision, input: Event) -> Result<(), EngineError> {
        let ts_ns = decision.ts_ns;
        let cause = self.record(decision, input, None)?;
        for event in decide::expiries(&self.state, ts_ns) {
            self.record(decision, event, Some(cause))?;
        }
        let (input_env, input) = &decision.records[0];
        for event in decide::input(&self.state, ts_ns, input, input_env.seq) {
            self.record(decision, event, Some(cause))?;
        }
        Ok(())
    }

    /// Stamps `event` as the next record, applies it, and notes the command it calls for.
    fn record(&mut self, decision: &mut Decision, event: Event, cause: Option<Uuid>) -> Result<Uuid, EngineError> {
        let seq = self.last_seq + 1;
        let event_id = event_id(&self.h0, seq);
        let correlation_id = match (&event, cause) {
            (Event::SubmitOrder(_), None) => Some(event_id),
            _ => event.client_order_id().and_then(|id| self.state.correlation(id)).or(cause),
        };
        let envelope = Envelope {
            seq,
            event_id,
            ts_ns: decision.ts_ns,
            stream: event.stream(),
            correlation_id,
            causation_id: cause,
            schema_version: Event::SCHEMA_VERSION,
        };
        if let Err(violation) = self.state.apply(&envelope, &event) {
            // The engine's own decision refused by its views: halt on it rather than go on.
            let refused = InvariantViolated {
                invariant: "decision refused by the views".to_owned(),
                client_order_id: event.client_order_id().cloned(),
                detail: format!("{}: {violation}", event.type_name()),
            };
            if cause.is_none() || matches!(event, Event::InvariantViolated(_)) {
                return Err(violation.into());
            }
            return self.record(decision, refused.into(), cause);
        }
        self.last_seq = seq;
        if cause.is_some() {
            trace_decision(&envelope, &event);
        }
        decision.commands.extend(self.command_for(&event));
        decision.records.push((envelope, event));
        Ok(event_id)
    }

    /// The broker command a decision calls for (the order is already in its new state).
    fn command_for(&self, event: &Event) -> Option<BrokerCommand> {
        match event {
            Event::ReconciliationRequested(_) => Some(BrokerCommand::RequestState),
            Event::OrderSubmitted(submitted) => {
                let order = self.state.order(&submitted.client_order_id)?;
                let created = &order.created;
                let expire_ns = expiry::venue_expiry(created, order.transitions[0].ts_ns, self.state.config());
                Some(BrokerCommand::Submit(NewOrder {
                    client_order_id: created.client_order_id.clone(),
                    symbol: created.symbol.to_string(),
                    side: created.side,
                    order_type: created.order_type,
                    qty: created.qty,
                    limit_price: created.limit_price,
                    time_in_force: created.time_in_force,
                    expire_ns,
                }))
            }
            Event::CancelRequested(cancel) => Some(BrokerCommand::Cancel(CancelRequest {
                client_order_id: cancel.client_order_id.clone(),
                broker_order_id: self.state.order(&cancel.client_order_id)?.broker_order_id.clone(),
            })),
            _ => None,
        }
    }
}

/// One structured log line per decision, with the seq it produced.
fn trace_decision(envelope: &Envelope, event: &Event) {
    tracing::info!(
        target: "blotter::decision",
        seq = envelope.seq,
        ts_ns = envelope.ts_ns,
        event = event.type_name(),
        stream = %envelope.stream,
        "decided {}",
        event.type_name()
    );
}
