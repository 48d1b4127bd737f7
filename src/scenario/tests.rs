use std::path::{Path, PathBuf};
use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use tempfile::TempDir;

use super::*;
use crate::domain::{ClientOrderId, OrderType, Side, TimeInForce};
use crate::event::{CancelOrder, OperatorAction, OperatorCommand, SubmitOrder};
use crate::market::{MarketDataError, Problem};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn ns(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_nanos_opt().unwrap()
}

const BARS: &str = "timestamp,open,high,low,close,volume\n\
    2024-01-02T14:00:00Z,1.0988,1.0989,1.0986,1.0986,186\n\
    2024-01-02T14:01:00Z,1.0986,1.0989,1.0984,1.09885,508\n";

/// Writes `scenario` (as `s.toml`) and `bars` (as `market/bars.csv`) into a temporary folder.
fn write(scenario: &str, bars: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join("market")).unwrap();
    std::fs::write(dir.path().join("market/bars.csv"), bars).unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, scenario).unwrap();
    (dir, path)
}

const MINIMAL: &str = "name = \"m\"\nseed = 3\n[market]\nbars = \"market/bars.csv\"\nsymbol = \"6EH4\"\n";

fn order(id: &str, at: &str, fields: &str) -> String {
    format!(
        "[[orders]]\nat = \"{at}\"\nid = \"{id}\"\nstrategy = \"s\"\nside = \"buy\"\ntype = \"market\"\nqty = \"1\"\n{fields}"
    )
}

/// Loads `MINIMAL` followed by `rest`; the error's text.
fn refusal(rest: &str) -> String {
    let (_dir, path) = write(&format!("{MINIMAL}{rest}"), BARS);
    load(&path).unwrap_err().to_string()
}

/// Loads `fixtures/bad/{name}.toml`: refused, with `needle` in the message.
fn refused(name: &str, needle: &str) -> ScenarioError {
    let error = load(&fixtures().join(format!("bad/{name}.toml"))).unwrap_err();
    assert!(error.to_string().contains(needle), "{name}: {needle:?} not in\n{error}");
    error
}

#[test]
fn loads_a_minimal_scenario_with_defaults() {
    let (dir, path) = write(MINIMAL, BARS);
    let scenario = load(&path).unwrap();
    assert_eq!((scenario.name.as_str(), scenario.seed, scenario.symbol.as_str()), ("m", 3, "6EH4"));
    assert_eq!(scenario.bars, dir.path().join("market/bars.csv"));
    assert_eq!(scenario.broker, PaperConfig { seed: 3, ..PaperConfig::default() });
    assert_eq!(scenario.engine, EngineConfig::default());
    assert_eq!((scenario.bar_count, scenario.first_bar_ns), (2, ns("2024-01-02T14:00:00Z")));
    assert_eq!(scenario.last_bar_ns, ns("2024-01-02T14:01:00Z"));
    assert!(scenario.inputs.is_empty());
    assert_eq!(scenario.read_bars().unwrap().count(), 2);
}

#[test]
fn the_digest_covers_the_scenario_then_the_market_data() {
    let (_dir, path) = write(MINIMAL, BARS);
    let expected = blake3::hash(format!("{MINIMAL}{BARS}").as_bytes()).to_hex().to_string();
    assert_eq!(load(&path).unwrap().digest, expected);
    let (_dir, path) = write(MINIMAL, &format!("{BARS}2024-01-02T14:02:00Z,1,1,1,1,1\n"));
    assert_ne!(load(&path).unwrap().digest, expected);
}

#[test]
fn converts_the_tables_and_floats_exactly() {
    let text = format!(
        "{MINIMAL}day_end_utc = \"22:00:00\"\n[broker]\nlatency_ms = 20\nslippage_bps = 1.0\ncommission_bps = 0.5\n\
         limit_fill_probability = 0.9\nmax_bar_participation = \"0.1\"\nvenue = \"SIM\"\n\
         [engine]\nstale_grace_ms = 250\nmax_order_qty = 1000\nrecon_max_qty_drift_pct = 2.5\n"
    );
    let (_dir, path) = write(&text, BARS);
    let scenario = load(&path).unwrap();
    let broker = PaperConfig {
        latency_ms: 20,
        slippage_bps: d("1"),
        commission_bps: d("0.5"),
        limit_fill_probability: d("0.9"),
        max_bar_participation: d("0.1"),
        venue: "SIM".into(),
        seed: 3,
    };
    assert_eq!(scenario.broker, broker);
    assert_eq!(scenario.engine.venue, "SIM");
    assert_eq!(scenario.engine.day_end_utc_s, 22 * 3600);
    assert_eq!(scenario.engine.stale_grace_ms, 250);
    assert_eq!(scenario.engine.max_order_qty, Some(d("1000")));
    assert_eq!(scenario.engine.recon_max_qty_drift_pct, d("2.5"));
    assert_eq!(scenario.engine.recon_max_missing_positions, 3);
}

#[test]
fn converts_entries_into_events_sorted_by_time() {
    let limit_fields = "type = \"limit\"\nlimit_price = 1.0950\ntif = \"gtd\"\n\
        expire_at = \"2024-01-02T15:00:00+01:00\"\nttl_s = 60\ndecision_price = \"1.0948\"\n";
    let rest = [
        order("o-2", "2024-01-02T14:05:00Z", "tif = \"ioc\"\n"),
        order("o-1", "2024-01-02T14:01:00Z", "").replace("type = \"market\"\nqty = \"1\"\n", "qty = 7\n")
            + limit_fields,
        "[[cancels]]\nat = \"2024-01-02T14:05:00Z\"\nid = \"o-1\"\n".into(),
        "[[operator]]\nat = \"2024-01-02T14:05:00Z\"\naction = \"halt\"\nreason = \"r\"\n".into(),
        "[[operator]]\nat = \"2024-01-02T13:00:00Z\"\naction = \"resume\"\nreason = \"early\"\noperator = \"ops\"\n"
            .into(),
    ]
    .concat();
    let (_dir, path) = write(&format!("{MINIMAL}{rest}"), BARS);
    let inputs = load(&path).unwrap().inputs;
    let times: Vec<i64> = inputs.iter().map(|input| input.at_ns).collect();
    let t = ns;
    assert_eq!(
        times,
        [
            t("2024-01-02T13:00:00Z"),
            t("2024-01-02T14:01:00Z"),
            t("2024-01-02T14:05:00Z"),
            t("2024-01-02T14:05:00Z"),
            t("2024-01-02T14:05:00Z")
        ]
    );
    let limit = SubmitOrder {
        client_order_id: ClientOrderId::from("o-1"),
        strategy: "s".into(),
        symbol: "6EH4".into(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty: d("7"),
        limit_price: Some(d("1.095")),
        time_in_force: TimeInForce::Gtd { expire_ns: t("2024-01-02T14:00:00Z") },
        ttl_s: Some(60),
        decision_price: Some(d("1.0948")),
    };
    let market = SubmitOrder {
        client_order_id: ClientOrderId::from("o-2"),
        order_type: OrderType::Market,
        qty: d("1"),
        limit_price: None,
        time_in_force: TimeInForce::Ioc,
        ttl_s: None,
        decision_price: None,
        ..limit.clone()
    };
    let events: Vec<Event> = inputs.into_iter().map(|input| input.item).collect();
    let halt = OperatorCommand { operator: DEFAULT_OPERATOR.into(), action: OperatorAction::Halt, reason: "r".into() };
    let resume = OperatorCommand { operator: "ops".into(), action: OperatorAction::Resume, reason: "early".into() };
    let cancel = CancelOrder { client_order_id: ClientOrderId::from("o-1") };
    assert_eq!(events, [resume.into(), limit.into(), market.into(), cancel.into(), halt.into()]);
}

#[test]
fn the_default_time_in_force_is_gtc_and_a_cancel_may_share_its_orders_time() {
    let rest = order("o-1", "2024-01-02T14:05:00Z", "") + "[[cancels]]\nat = \"2024-01-02T14:05:00Z\"\nid = \"o-1\"\n";
    let (_dir, path) = write(&format!("{MINIMAL}{rest}"), BARS);
    let inputs = load(&path).unwrap().inputs;
    let Event::SubmitOrder(submit) = &inputs[0].item else { panic!("{inputs:?}") };
    assert_eq!(submit.time_in_force, TimeInForce::Gtc);
    assert!(matches!(inputs[1].item, Event::CancelOrder(_)));
}

#[test]
fn orders_outside_the_market_data_are_allowed() {
    let rest = order("early", "2020-01-01T00:00:00Z", "") + &order("late", "2030-01-01T00:00:00Z", "");
    let (_dir, path) = write(&format!("{MINIMAL}{rest}"), BARS);
    assert_eq!(load(&path).unwrap().inputs.len(), 2);
}

#[test]
fn refuses_an_unknown_top_level_field() {
    let error = refused("unknown_field_top", "unknown field `sede`");
    assert!(matches!(error, ScenarioError::Syntax { .. }));
    assert!(error.to_string().contains("line 2"), "{error}");
}

#[test]
fn refuses_an_unknown_field_in_an_order() {
    let error = refused("unknown_field_order", "unknown field `price`");
    assert!(error.to_string().contains("line 19"), "{error}");
    let cancel =
        order("o-1", "2024-01-02T14:05:00Z", "") + "[[cancels]]\nat = \"2024-01-02T14:05:00Z\"\nid = \"o-1\"\n";
    let operator = "[[operator]]\nat = \"2024-01-02T14:05:00Z\"\naction = \"halt\"\nreason = \"r\"\n";
    for rest in ["", "[broker]\n", "[engine]\n", &cancel, operator] {
        let message = refusal(&format!("{rest}bogus = 1\n"));
        assert!(message.contains("unknown field `bogus`"), "{message}");
    }
}

#[test]
fn refuses_a_missing_market_data_file() {
    let error = refused("missing_market_file", "cannot read market data ");
    assert!(matches!(error, ScenarioError::Market { source: MarketDataError::Open { .. }, .. }));
    assert!(error.to_string().contains("no-such-file.csv"), "{error}");
}

#[test]
fn refuses_a_malformed_market_data_row_with_its_line() {
    let error = refused("malformed_csv_row", "close_above_high.csv:4: close 1.0993 is above high 1.0991");
    let ScenarioError::Market { source: MarketDataError::Line { line, problem, .. }, .. } = error else { panic!() };
    assert_eq!(line, 4);
    assert!(matches!(problem, Problem::AboveHigh { column: "close", .. }));
}

#[test]
fn refuses_a_negative_or_zero_qty() {
    refused("qty_negative", ":12: orders[0] (id \"o-1\"): qty must be positive, got \"-1\"");
    refused("qty_zero", "orders[0] (id \"o-1\"): qty must be positive, got 0");
    assert!(
        refusal(&order("o-1", "2024-01-02T14:05:00Z", "").replace("\"1\"", "\"abc\""))
            .contains("qty \"abc\" is not a decimal")
    );
}

#[test]
fn refuses_a_limit_order_without_a_price() {
    refused("limit_without_price", "a limit order needs a limit_price");
}

#[test]
fn refuses_a_market_order_with_a_price() {
    refused("market_with_price", "a market order takes no limit_price, got \"1.0982\"");
}

#[test]
fn refuses_a_duplicate_order_id() {
    refused("duplicate_order_id", ":21: orders[1] (id \"o-1\"): duplicate order id \"o-1\" (also orders[0])");
}

#[test]
fn refuses_a_cancel_of_an_unknown_id() {
    refused("cancel_unknown_id", "cancels[0] (id \"o-9\"): cancels unknown order id \"o-9\"");
}

#[test]
fn refuses_a_cancel_before_its_order() {
    refused("cancel_before_order", "cancels[0] (id \"o-1\"): at 2024-01-02T14:00:00Z is before the order's own at");
}

#[test]
fn refuses_gtd_without_expire_at_and_expire_at_without_gtd() {
    refused("gtd_without_expire_at", "a gtd order needs expire_at");
    refused("expire_at_without_gtd", "expire_at is only for gtd orders, but tif is day");
}

#[test]
fn refuses_bad_side_type_and_tif_values() {
    refused("bad_side", "unknown variant `long`, expected `buy` or `sell`");
    refused("bad_type", "unknown variant `stop`, expected `market` or `limit`");
    refused("bad_tif", "unknown variant `gtx`");
}

#[test]
fn refuses_other_bad_values() {
    refused("bad_at", "at \"2024-01-02 14:05\" is not an RFC 3339 time");
    let order = "[[orders]]\nid = \"o\"\nstrategy = \"s\"\nside = \"buy\"\ntype = \"market\"\nqty = \"1\"\n";
    let ancient = refusal(&format!("{order}at = \"1600-01-02T14:05:00Z\"\n"));
    assert!(ancient.contains("between 1677-09-21 and 2262-04-11"), "{ancient}");
    refused("ttl_zero", "ttl_s must be positive, got 0");
    refused("negative_slippage", "[broker]: slippage_bps must be at least 0, got -1.0");
    refused("probability_above_one", "limit_fill_probability must be between 0 and 1, got 1.5");
    refused("participation_zero", "max_bar_participation must be above 0 and at most 1, got 0.0");
    refused("bad_day_end", "[market]: day_end_utc \"25:00:00\" is not a time of day");
    assert!(refusal("[engine]\nmax_order_qty = \"0\"\n").contains("[engine]: max_order_qty must be positive"));
    assert!(refusal("[broker]\nslippage_bps = nan\n").contains("slippage_bps NaN is not a decimal number"));
    assert!(refusal("[broker]\nvenue = \"\"\n").contains("venue must not be empty"));
    let slow = refusal("[broker]\nlatency_ms = 86400001\n");
    assert!(slow.contains("[broker]: latency_ms must be at most 86400000 (a day), got 86400001"), "{slow}");
    assert!(load_ok("[broker]\nlatency_ms = 86400000\n"));
    let grace = refusal("[engine]\nstale_grace_ms = 18446744073709551615\n");
    assert!(grace.contains("stale_grace_ms must be at most 86400000"), "{grace}");
    let order = "[[orders]]\nat = \"2024-01-02T14:00:00Z\"\nid = \"o\"\nstrategy = \"s\"\nside = \"buy\"\ntype = \"market\"\nqty = \"1\"\n";
    let ttl = refusal(&format!("{order}ttl_s = 315360001\n"));
    assert!(ttl.contains("ttl_s must be at most 315360000 (ten years), got 315360001"), "{ttl}");
    assert!(load_ok(&format!("{order}ttl_s = 315360000\n")));
}

#[test]
fn refuses_names_that_are_padded_hold_control_characters_or_run_long() {
    let order = |id: &str, strategy: &str| {
        format!(
            "[[orders]]\nat = \"2024-01-02T14:00:00Z\"\nid = \"{id}\"\nstrategy = \"{strategy}\"\n\
             side = \"buy\"\ntype = \"market\"\nqty = \"1\"\n"
        )
    };
    let refused_order = |id: &str, strategy: &str| refusal(&order(id, strategy));
    assert!(refused_order("o-1 ", "s").contains(r#"id "o-1 " has leading or trailing whitespace"#));
    assert!(refused_order("o-1", "mr\\nx").contains(r#"strategy "mr\nx" holds a control character (U+000A)"#));
    assert!(refused_order("o\\t1", "s").contains("holds a control character (U+0009)"));
    let long = "x".repeat(129);
    assert!(refused_order(&long, "s").contains("id is 129 bytes long (at most 128)"));
    assert!(load_ok(&order("注文-1", "mean reversion")), "a name may be any printable text");
    let (_dir, path) =
        write("name = \"m\"\nseed = 3\n[market]\nbars = \"market/bars.csv\"\nsymbol = \" 6EH4\"\n", BARS);
    let error = load(&path).unwrap_err().to_string();
    assert!(error.contains(r#"symbol " 6EH4" has leading or trailing whitespace"#), "{error}");
    assert!(refusal("[broker]\nvenue = \"PA\\u0000PER\"\n").contains("venue \"PA\\0PER\" holds a control character"));
    let halt = "[[operator]]\nat = \"2024-01-02T14:00:00Z\"\naction = \"halt\"\nreason = \"a\\nb\"\n";
    assert!(refusal(halt).contains(r#"reason "a\nb" holds a control character"#), "{}", refusal(halt));
}

#[test]
fn counts_the_orders_after_the_last_bar() {
    let order = |id: &str, at: &str| {
        format!(
            "[[orders]]\nat = \"{at}\"\nid = \"{id}\"\nstrategy = \"s\"\nside = \"buy\"\ntype = \"market\"\nqty = \"1\"\n"
        )
    };
    let cancel = "[[cancels]]\nat = \"2024-01-02T14:09:00Z\"\nid = \"o-1\"\n";
    let orders = [
        order("o-1", "2024-01-02T14:01:00Z"),
        order("o-2", "2024-01-02T14:01:01Z"),
        order("o-3", "2024-01-02T15:00:00Z"),
    ];
    let (_dir, path) = write(&format!("{MINIMAL}{}{cancel}", orders.concat()), BARS);
    let scenario = load(&path).unwrap();
    assert_eq!(scenario.last_bar_ns, ns("2024-01-02T14:01:00Z"));
    assert_eq!(
        scenario.orders_after_the_last_bar(),
        2,
        "an order at the last bar's time meets it; cancels are not orders"
    );
}

/// Whether `MINIMAL` followed by `rest` loads.
fn load_ok(rest: &str) -> bool {
    let (_dir, path) = write(&format!("{MINIMAL}{rest}"), BARS);
    load(&path).is_ok()
}

#[test]
fn refuses_a_missing_or_unreadable_scenario_file() {
    let error = load(Path::new("fixtures/no-such.toml")).unwrap_err();
    assert!(error.to_string().starts_with("cannot read scenario fixtures/no-such.toml: "), "{error}");
    let (_dir, path) = write("", BARS);
    std::fs::write(&path, b"name = \"\xff\"\n").unwrap();
    assert!(load(&path).unwrap_err().to_string().contains("not UTF-8"));
    // A file past the bound (sparse: no 64 MiB written) is refused before it is read whole.
    std::fs::File::create(&path).unwrap().set_len(MAX_SCENARIO_BYTES + 1).unwrap();
    let error = load(&path).unwrap_err().to_string();
    assert!(error.contains(&format!("larger than {MAX_SCENARIO_BYTES} bytes")), "{error}");
}

#[test]
fn loads_every_fixture_scenario() {
    let mut loaded = Vec::new();
    for path in toml_files(&fixtures()) {
        let scenario = load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!scenario.inputs.is_empty(), "{}", path.display());
        assert_eq!(scenario.read_bars().unwrap().count() as u64, scenario.bar_count);
        loaded.push((path.file_name().unwrap().to_string_lossy().into_owned(), scenario.bar_count));
    }
    loaded.sort();
    let expected = [
        ("6e_expiry_and_cancels.toml", 236),
        ("6e_kill_switch.toml", 240),
        ("6e_limit_and_market.toml", 240),
        ("6e_reconcile_beyond.toml", 240),
        ("6e_reconcile_within.toml", 240),
        ("btc_ioc_fok.toml", 150),
        ("sp500_daily_flips.toml", 61),
    ];
    assert_eq!(loaded, expected.map(|(name, bars)| (name.to_owned(), bars)));
}

#[test]
fn refuses_every_bad_fixture_scenario() {
    let bad = toml_files(&fixtures().join("bad"));
    assert!(bad.len() >= 15);
    for path in bad {
        let error = load(&path).expect_err(&path.display().to_string());
        assert!(error.to_string().contains(&*path.file_name().unwrap().to_string_lossy()), "{error}");
        let comment = std::fs::read_to_string(&path).unwrap();
        assert!(comment.starts_with("# Bad: "), "{} says what is wrong on its first line", path.display());
    }
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
        .collect();
    files.sort();
    files
}

proptest! {
    #[test]
    fn never_panics_on_any_scenario_text(text in "(\\[\\[?(orders|cancels|market|broker)\\]?\\]\n|[a-z_]{1,12} = (\"[-0-9a-z.: T]{0,20}\"|-?[0-9.e]{1,8}|nan|inf)\n){0,12}") {
        let (_dir, path) = write(&format!("{MINIMAL}{text}"), BARS);
        let _ = load(&path);
    }

    #[test]
    fn never_panics_on_any_float(value in any::<f64>()) {
        let _ = number::Number::Float(value).to_decimal();
    }
}
