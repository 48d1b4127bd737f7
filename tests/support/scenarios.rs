//! The hand-written order histories behind the `replays/` corpus. Each is a list of drafts;
//! `tests/replays.rs` journals them, exports them to `replays/<name>.ndjson` when asked to
//! regenerate, and otherwise imports the committed NDJSON and checks it against its goldens.

use blotter::domain::{BrokerOrderId, ClientOrderId, FillId, LiquiditySide, OrderType, Side, TimeInForce};
use blotter::event::{
    CancelRejected, CancelRequested, Event, OrderAccepted, OrderCancelled, OrderCreated, OrderDenied, OrderExpired,
    OrderFilled, OrderRejected, OrderSubmitted, ReportIgnored,
};
use blotter::journal::Draft;
use rust_decimal::Decimal;

/// 2024-01-02T14:30:00Z, the first event of every scenario.
const OPEN_NS: i64 = 1_704_205_800_000_000_000;

/// Builds a history one event at a time; time advances 250 ms per event unless set.
pub struct Script {
    drafts: Vec<Draft<Event>>,
    ts_ns: i64,
}

fn d(text: &str) -> Decimal {
    text.parse().expect("scenario decimals are valid")
}

fn id(text: &str) -> ClientOrderId {
    ClientOrderId::from(text)
}

impl Script {
    pub fn new() -> Script {
        Script { drafts: Vec::new(), ts_ns: OPEN_NS }
    }

    pub fn drafts(self) -> Vec<Draft<Event>> {
        self.drafts
    }

    /// Moves engine time `secs` seconds forward.
    pub fn wait(&mut self, secs: i64) -> &mut Self {
        self.ts_ns += secs * 1_000_000_000;
        self
    }

    fn push(&mut self, event: impl Into<Event>) -> &mut Self {
        let event = event.into();
        self.ts_ns += 250_000_000;
        self.drafts.push(Draft::new(self.ts_ns, event.stream(), event));
        self
    }

    /// Created, submitted and accepted (broker id `B-<id>`).
    #[allow(clippy::too_many_arguments)]
    pub fn working(
        &mut self,
        o: &str,
        strategy: &str,
        symbol: &str,
        side: Side,
        qty: &str,
        limit: Option<&str>,
    ) -> &mut Self {
        self.created(o, strategy, symbol, side, qty, limit, TimeInForce::Gtc).submitted(o).accepted(o)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn created(
        &mut self,
        o: &str,
        strategy: &str,
        symbol: &str,
        side: Side,
        qty: &str,
        limit: Option<&str>,
        time_in_force: TimeInForce,
    ) -> &mut Self {
        self.push(OrderCreated {
            client_order_id: id(o),
            strategy: strategy.into(),
            symbol: symbol.into(),
            side,
            order_type: if limit.is_some() { OrderType::Limit } else { OrderType::Market },
            qty: d(qty),
            limit_price: limit.map(d),
            time_in_force,
            ttl_s: None,
            decision_price: limit.map(d),
            arrival_price: None,
            execution_id: None,
            slice_id: None,
        })
    }

    pub fn submitted(&mut self, o: &str) -> &mut Self {
        self.push(OrderSubmitted { client_order_id: id(o) })
    }

    pub fn accepted(&mut self, o: &str) -> &mut Self {
        self.push(OrderAccepted { client_order_id: id(o), broker_order_id: BrokerOrderId::new(format!("B-{o}")) })
    }

    pub fn filled(&mut self, o: &str, fill: &str, qty: &str, price: &str, fee: &str) -> &mut Self {
        self.push(OrderFilled {
            client_order_id: id(o),
            fill_id: FillId::from(fill),
            qty: d(qty),
            price: d(price),
            fee: d(fee),
            liquidity: LiquiditySide::Taker,
            venue: "PAPER".into(),
            broker_ts_ns: self.ts_ns,
        })
    }

    pub fn cancel(&mut self, o: &str) -> &mut Self {
        self.push(CancelRequested { client_order_id: id(o) })
    }

    pub fn cancelled(&mut self, o: &str) -> &mut Self {
        self.push(OrderCancelled { client_order_id: id(o) })
    }

    pub fn cancel_rejected(&mut self, o: &str, reason: &str) -> &mut Self {
        self.push(CancelRejected { client_order_id: id(o), reason: reason.into() })
    }

    pub fn expired(&mut self, o: &str) -> &mut Self {
        self.push(OrderExpired { client_order_id: id(o) })
    }

    pub fn rejected(&mut self, o: &str, reason: &str) -> &mut Self {
        self.push(OrderRejected { client_order_id: id(o), reason: reason.into() })
    }

    pub fn denied(&mut self, o: &str, reason: &str) -> &mut Self {
        self.push(OrderDenied { client_order_id: id(o), reason: reason.into() })
    }

    pub fn ignored(&mut self, o: Option<&str>, broker: Option<&str>, reason: &str, report: &str) -> &mut Self {
        self.push(ReportIgnored {
            client_order_id: o.map(id),
            broker_order_id: broker.map(BrokerOrderId::from),
            reason: reason.into(),
            report: report.into(),
        })
    }
}

/// Every scenario of the corpus: (file stem, the order to audit, its history).
pub fn all() -> Vec<(&'static str, &'static str, Vec<Draft<Event>>)> {
    use Side::*;
    let mut out = Vec::new();

    let mut s = Script::new();
    s.working("o-1", "mr", "6EH4", Buy, "10", Some("1.0950"))
        .filled("o-1", "F-1", "3", "1.0950", "0.16")
        .wait(30)
        .filled("o-1", "F-2", "3", "1.0949", "0.16")
        .wait(30)
        .filled("o-1", "F-3", "4", "1.0948", "0.22");
    out.push(("partial_fills_then_full", "o-1", s.drafts()));

    let mut s = Script::new();
    s.working("o-1", "mr", "6EH4", Sell, "20", Some("1.0960"))
        .filled("o-1", "F-1", "5", "1.0960", "0.27")
        .wait(60)
        .cancel("o-1")
        .cancelled("o-1");
    out.push(("cancel_after_partial_fill", "o-1", s.drafts()));

    let mut s = Script::new();
    s.created("o-1", "mr", "ESH4", Buy, "2", Some("4790.25"), TimeInForce::Day)
        .submitted("o-1")
        .rejected("o-1", "price outside the daily limit")
        .created("o-2", "mr", "ESH4", Buy, "500", None, TimeInForce::Ioc)
        .denied("o-2", "max order quantity 100");
    out.push(("reject_and_deny", "o-1", s.drafts()));

    let mut s = Script::new();
    let expiry = OPEN_NS + 3_600 * 1_000_000_000;
    s.created("o-1", "mom", "AAPL", Buy, "100", Some("185.00"), TimeInForce::Gtd { expire_ns: expiry })
        .submitted("o-1")
        .accepted("o-1")
        .filled("o-1", "F-1", "40", "185.00", "0.37")
        .wait(3_600)
        .expired("o-1");
    out.push(("expiry_after_partial_fill", "o-1", s.drafts()));

    let mut s = Script::new();
    s.working("o-1", "mr", "6EH4", Buy, "10", Some("1.0950"))
        .filled("o-1", "F-1", "4", "1.0950", "0.22")
        .cancel("o-1")
        .cancel_rejected("o-1", "order is being executed")
        .filled("o-1", "F-2", "2", "1.0950", "0.11")
        .cancel("o-1")
        .cancelled("o-1")
        .filled("o-1", "F-3", "3", "1.0949", "0.16");
    out.push(("late_fill_after_cancel", "o-1", s.drafts()));

    let mut s = Script::new();
    s.working("o-1", "pairs", "MSFT", Sell, "50", Some("370.00"))
        .filled("o-1", "F-1", "50", "370.00", "0.93")
        .ignored(Some("o-1"), Some("B-o-1"), "duplicate fill F-1", "fill F-1 50@370.00")
        .ignored(None, Some("B-unknown"), "unknown broker order", "fill F-9 1@1.00");
    out.push(("duplicate_fill", "o-1", s.drafts()));

    let mut s = Script::new();
    s.working("o-1", "mom", "ESH4", Buy, "3", None)
        .filled("o-1", "F-1", "3", "4790.00", "2.40")
        .wait(600)
        .working("o-2", "mom", "ESH4", Sell, "5", None)
        .filled("o-2", "F-1", "5", "4795.50", "4.00")
        .wait(600)
        .working("o-3", "mom", "ESH4", Buy, "2", None)
        .filled("o-3", "F-1", "2", "4793.25", "1.60");
    out.push(("position_flip", "o-2", s.drafts()));

    let mut s = Script::new();
    s.working("a-1", "mr", "6EH4", Buy, "10", Some("1.0950"))
        .working("b-1", "mom", "AAPL", Sell, "200", Some("185.50"))
        .working("c-1", "pairs", "MSFT", Buy, "100", None)
        .filled("a-1", "F-1", "10", "1.0950", "0.55")
        .filled("b-1", "F-1", "120", "185.50", "1.11")
        .filled("c-1", "F-1", "100", "370.10", "1.85")
        .working("a-2", "mr", "6EH4", Sell, "6", Some("1.0962"))
        .filled("a-2", "F-1", "6", "1.0962", "0.33")
        .working("c-2", "pairs", "AAPL", Sell, "50", None)
        .filled("c-2", "F-1", "50", "185.40", "0.46")
        .cancel("b-1")
        .cancelled("b-1");
    out.push(("strategies_and_symbols", "b-1", s.drafts()));
    out
}
