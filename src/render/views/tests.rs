use serde_json::{Value, json};

use super::*;
use crate::render::fixture::{self, T0, d, first_keys, keys};

fn parsed(text: &str) -> Value {
    assert!(text.ends_with("}\n") || text.ends_with("]\n"), "one trailing newline: {text:?}");
    serde_json::from_str(text).unwrap()
}

#[test]
fn positions_json_is_an_array_of_objects_with_decimals_as_strings() {
    let replayed = fixture::replayed(usize::MAX);
    let json = parsed(&json_string(&replayed, Selection::One(View::Positions)));
    assert_eq!(
        json,
        json!([{
            "strategy": "mr",
            "symbol": "AAPL",
            "qty": "71",
            "avg_px": "185.0225352112676056338028169",
            "realized_pnl": "29.10",
            "fees": "1.20",
            "fills": 4
        }])
    );
    // Key order is part of the shape.
    let text = json_string(&replayed, Selection::One(View::Positions));
    assert_eq!(first_keys(&text), ["strategy", "symbol", "qty", "avg_px", "realized_pnl", "fees", "fills"]);
}

#[test]
fn a_flat_position_has_a_null_average_price() {
    let mut replayed = fixture::replayed(usize::MAX);
    let mut rows = position_rows(&replayed.views);
    rows[0].qty = Decimal::ZERO;
    rows[0].avg_px = None;
    let json = serde_json::to_value(&rows).unwrap();
    assert_eq!(json[0]["avg_px"], Value::Null);
    assert_eq!(json[0]["qty"], "0");
    // And before any fill there are no positions at all.
    replayed = fixture::replayed(3);
    assert_eq!(json_string(&replayed, Selection::One(View::Positions)), "[]\n");
}

#[test]
fn oms_json_has_every_field_with_nulls_for_absent_values() {
    let replayed = fixture::replayed(usize::MAX);
    let text = json_string(&replayed, Selection::One(View::Oms));
    let json = parsed(&text);
    let orders = json.as_array().unwrap();
    let ids: Vec<&str> = orders.iter().map(|o| o["client_order_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["o-1", "o-2", "o-3", "o-4"], "ordered by client order id");
    assert_eq!(
        first_keys(&text),
        [
            "client_order_id",
            "broker_order_id",
            "strategy",
            "symbol",
            "side",
            "order_type",
            "time_in_force",
            "expire_ts_ns",
            "qty",
            "limit_price",
            "status",
            "cum_qty",
            "leaves_qty",
            "avg_px",
            "notional",
            "fees",
            "fills",
            "late_fill",
            "overfill",
            "ttl_s",
            "decision_price",
            "arrival_price",
            "execution_id",
            "slice_id",
            "created_seq",
            "updated_seq"
        ]
    );
    let o1 = &orders[0];
    assert_eq!(o1["broker_order_id"], "B1");
    assert_eq!(o1["side"], "Buy");
    assert_eq!(o1["order_type"], "Limit");
    assert_eq!(o1["time_in_force"], "Gtc");
    assert_eq!(o1["expire_ts_ns"], Value::Null);
    assert_eq!((&o1["qty"], &o1["limit_price"], &o1["status"]), (&json!("100"), &json!("185.00"), &json!("Filled")));
    assert_eq!((&o1["cum_qty"], &o1["leaves_qty"], &o1["avg_px"]), (&json!("100"), &json!("0"), &json!("185.03")));
    assert_eq!((&o1["notional"], &o1["fees"], &o1["fills"]), (&json!("18503.00"), &json!("0.92"), &json!(2)));
    assert_eq!((&o1["created_seq"], &o1["updated_seq"]), (&json!(1), &json!(5)));

    let o2 = &orders[1];
    assert_eq!(
        (&o2["order_type"], &o2["limit_price"], &o2["time_in_force"]),
        (&json!("Market"), &Value::Null, &json!("Ioc"))
    );

    let o3 = &orders[2];
    assert_eq!((&o3["status"], &o3["late_fill"], &o3["overfill"]), (&json!("Cancelled"), &json!(true), &json!(false)));
    assert_eq!((&o3["time_in_force"], &o3["expire_ts_ns"]), (&json!("Gtd"), &json!(T0 + 3_600_000_000_000)));
    assert_eq!(o3["updated_seq"], 15, "the late fill is the last change");

    let o4 = &orders[3];
    assert_eq!((&o4["status"], &o4["broker_order_id"], &o4["avg_px"]), (&json!("Pending"), &Value::Null, &Value::Null));
    assert_eq!((&o4["created_seq"], &o4["updated_seq"]), (&json!(17), &json!(17)));
}

#[test]
fn reports_json_carries_times_ids_and_fix_names() {
    let replayed = fixture::replayed(usize::MAX);
    let text = json_string(&replayed, Selection::One(View::Reports));
    let json = parsed(&text);
    let reports = json.as_array().unwrap();
    // Every event but the ignored report makes one.
    assert_eq!(reports.len(), fixture::events().len() - 1);
    let seqs: Vec<u64> = reports.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(seqs.is_sorted());
    let fill = &reports[3];
    assert_eq!(
        first_keys(&text),
        [
            "seq",
            "ts_ns",
            "time",
            "exec_id",
            "client_order_id",
            "broker_order_id",
            "symbol",
            "side",
            "order_qty",
            "exec_type",
            "ord_status",
            "cum_qty",
            "leaves_qty",
            "avg_px",
            "last_qty",
            "last_px",
            "text"
        ]
    );
    assert_eq!(fill["seq"], 4);
    assert_eq!(fill["ts_ns"], T0 + 40_000_000);
    assert_eq!(fill["time"], "2024-01-02T14:30:00.040000000Z");
    let exec_id = fill["exec_id"].as_str().unwrap();
    assert_eq!(exec_id.parse::<Uuid>().unwrap(), crate::journal::event_id(&fixture::hash(0), 4));
    assert_eq!((&fill["exec_type"], &fill["ord_status"]), (&json!("Trade"), &json!("PartiallyFilled")));
    assert_eq!((&fill["last_qty"], &fill["last_px"], &fill["text"]), (&json!("40"), &json!("185.00"), &Value::Null));
    let created = &reports[0];
    assert_eq!((&created["broker_order_id"], &created["last_qty"]), (&Value::Null, &Value::Null));
    let late = reports.iter().find(|r| r["seq"] == 15).unwrap();
    assert_eq!((&late["ord_status"], &late["text"]), (&json!("Canceled"), &json!("late fill")));
}

#[test]
fn all_views_are_one_object_with_the_point_in_time_first() {
    let replayed = fixture::replayed(9);
    let text = json_string(&replayed, Selection::All);
    let json = parsed(&text);
    assert_eq!(keys(&text), ["at", "oms", "positions", "reports"]);
    assert_eq!(
        json["at"],
        json!({
            "seq": 9,
            "hash": "09".repeat(32),
            "ts_ns": T0 + 90_000_000,
            "time": "2024-01-02T14:30:00.090000000Z"
        })
    );
    assert_eq!(json["oms"].as_array().unwrap().len(), 2);
    assert_eq!(json["positions"][0]["qty"], "70");
    assert_eq!(json["positions"][0]["avg_px"], "185.03");
    assert_eq!(json["reports"].as_array().unwrap().len(), 9);

    let empty = parsed(&json_string(&fixture::replayed(0), Selection::All));
    assert_eq!(empty["at"], json!({"seq": 0, "hash": "00".repeat(32), "ts_ns": null, "time": null}));
    assert_eq!((&empty["oms"], &empty["positions"], &empty["reports"]), (&json!([]), &json!([]), &json!([])));
}

#[test]
fn tables_have_a_headline_a_title_per_view_and_aligned_columns() {
    let replayed = fixture::replayed(usize::MAX);
    let text = table_string(&replayed, Selection::One(View::Positions));
    let expected = format!(
        "\
as of seq 17 (hash {}, 2024-01-02T14:30:00.170000000Z)

positions: 1
STRATEGY  SYMBOL  QTY        AVG PX  REALIZED PNL  FEES  FILLS
--------  ------  ---  ------------  ------------  ----  -----
mr        AAPL     71  185.02253521         29.10  1.20      4
",
        "11".repeat(32)
    );
    assert_eq!(text, expected);

    let all = table_string(&replayed, Selection::All);
    let titles: Vec<&str> = all.lines().filter(|l| l.ends_with(char::is_numeric) && l.contains(": ")).collect();
    assert_eq!(titles, ["orders: 4", "positions: 1", "execution reports: 16"]);
    assert!(all.lines().all(|line| !line.ends_with(' ')), "no trailing spaces:\n{all}");
    let oms = oms_table(&order_rows(&replayed.views)).to_string();
    let o3 = oms.lines().find(|l| l.starts_with("o-3")).unwrap();
    assert!(o3.ends_with("B3         late fill"), "{o3:?}");
    // Numbers end in the same column as their header; nothing is wider than the rule.
    let header = oms.lines().next().unwrap();
    let rule = oms.lines().nth(1).unwrap();
    for column in ["QTY", "LIMIT", "AVG PX", "FEES"] {
        let end = header.find(column).unwrap() + column.len();
        for line in oms.lines() {
            let bytes = line.as_bytes();
            assert!(bytes[end - 1] != b' ' && bytes[end] == b' ', "{column} in {line:?}");
        }
    }
    assert!(oms.lines().all(|line| line.len() <= rule.len()));
}

#[test]
fn an_empty_view_prints_its_title_and_no_table() {
    let text = table_string(&fixture::replayed(0), Selection::All);
    let expected = format!(
        "as of seq 0 (hash {}, before the first event)\n\norders: 0\n\npositions: 0\n\nexecution reports: 0\n",
        "00".repeat(32)
    );
    assert_eq!(text, expected);
}

#[test]
fn decimals_serialize_as_strings_whatever_the_features() {
    // If some dependency switched rust_decimal to floats, every shape here would change.
    assert_eq!(serde_json::to_value(d("0.10")).unwrap(), json!("0.10"));
    assert_eq!(serde_json::to_value(Some(d("-1"))).unwrap(), json!("-1"));
}
