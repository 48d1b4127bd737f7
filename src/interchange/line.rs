//! One NDJSON line of the interchange format, both ways.
//!
//! Two kinds of line (the format is described in the [module docs](super)):
//! - the genesis header: `type` `"Genesis"`, the [`Genesis`] fields and `hash` (`h(0)`);
//! - a record: the [`Envelope`] fields, `type` (the [`Event`] variant), the payload's fields
//!   at the top level and `hash` (the record's chain hash).
//!
//! Decoding is strict: every field must be present (an optional one as `null`), no field
//! may be unknown (at any depth of the payload), and a value must have its field's type.
//! Decoding never checks seqs, ids or hashes against each other; the importer does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::event::Event;
use crate::journal::{ChainHash, Envelope, Genesis};

/// The `type` of the header line.
pub const GENESIS_TYPE: &str = "Genesis";

/// The keys of a genesis header line.
pub const GENESIS_KEYS: [&str; 6] = ["type", "format_version", "blotter_version", "seed", "metadata", "hash"];

/// The top-level keys of a record line that are not payload fields. A payload field may not
/// use one of these names (export refuses it).
pub const ENVELOPE_KEYS: [&str; 9] =
    ["seq", "ts_ns", "event_id", "stream", "correlation_id", "causation_id", "schema_version", "type", "hash"];

/// A decoded record line.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordLine {
    pub envelope: Envelope,
    pub event: Event,
    pub hash: ChainHash,
}

/// The genesis header line, in key order.
#[derive(Serialize, Deserialize)]
struct GenesisLine {
    #[serde(rename = "type")]
    kind: String,
    format_version: u32,
    blotter_version: String,
    seed: Option<u64>,
    metadata: BTreeMap<String, String>,
    hash: String,
}

/// A record line, in key order; the payload's fields sit between `type` and `hash`.
#[derive(Serialize)]
struct RecordLineOut<'a> {
    seq: u64,
    ts_ns: i64,
    event_id: &'a Uuid,
    stream: &'a str,
    correlation_id: &'a Option<Uuid>,
    causation_id: &'a Option<Uuid>,
    schema_version: u16,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(flatten)]
    payload: &'a Map<String, Value>,
    hash: String,
}

/// The genesis header line (no newline).
pub fn encode_genesis(genesis: &Genesis, h0: &ChainHash) -> Result<String, String> {
    let line = GenesisLine {
        kind: GENESIS_TYPE.to_owned(),
        format_version: genesis.format_version,
        blotter_version: genesis.blotter_version.clone(),
        seed: genesis.seed,
        metadata: genesis.metadata.clone(),
        hash: h0.to_hex(),
    };
    serde_json::to_string(&line).map_err(|e| e.to_string())
}

/// Parses a genesis header line into the genesis and the `h(0)` it states. Whether that
/// hash is the genesis's is the importer's check.
pub fn decode_genesis(line: &str) -> Result<(Genesis, ChainHash), String> {
    let map = parse_object(line)?;
    match map.get("type") {
        Some(Value::String(kind)) if kind == GENESIS_TYPE => {}
        Some(Value::String(kind)) => {
            return Err(format!("expected the genesis header (type \"{GENESIS_TYPE}\"), found type \"{kind}\""));
        }
        _ => return Err(format!("expected the genesis header: field `type` must be \"{GENESIS_TYPE}\"")),
    }
    for key in GENESIS_KEYS {
        if !map.contains_key(key) {
            return Err(format!("missing field `{key}`"));
        }
    }
    if let Some(unknown) = map.keys().find(|key| !GENESIS_KEYS.contains(&key.as_str())) {
        return Err(format!("unknown field `{unknown}`"));
    }
    let line: GenesisLine = serde_json::from_value(Value::Object(map)).map_err(|e| e.to_string())?;
    let hash = parse_hash(&line.hash)?;
    let genesis = Genesis {
        format_version: line.format_version,
        blotter_version: line.blotter_version,
        seed: line.seed,
        metadata: line.metadata,
    };
    Ok((genesis, hash))
}

/// Appends the line of one record (no newline) to `out`.
pub fn encode_record(envelope: &Envelope, event: &Event, hash: &ChainHash, out: &mut Vec<u8>) -> Result<(), String> {
    let kind = event.type_name();
    let payload = match serde_json::to_value(event).map_err(|e| e.to_string())? {
        Value::Object(mut tagged) if tagged.len() == 1 => match tagged.remove(kind) {
            Some(Value::Object(payload)) => payload,
            _ => return Err(format!("event {kind} does not serialize as a struct")),
        },
        _ => return Err(format!("event {kind} does not serialize as a struct")),
    };
    if let Some(clash) = payload.keys().find(|key| ENVELOPE_KEYS.contains(&key.as_str())) {
        return Err(format!("event {kind} has a field `{clash}`, a name the envelope uses"));
    }
    let line = RecordLineOut {
        seq: envelope.seq,
        ts_ns: envelope.ts_ns,
        event_id: &envelope.event_id,
        stream: &envelope.stream,
        correlation_id: &envelope.correlation_id,
        causation_id: &envelope.causation_id,
        schema_version: envelope.schema_version,
        kind,
        payload: &payload,
        hash: hash.to_hex(),
    };
    serde_json::to_writer(out, &line).map_err(|e| e.to_string())
}

/// Parses a record line. The error says what is wrong, not where (the caller knows the line).
pub fn decode_record(line: &str) -> Result<RecordLine, String> {
    let mut map = parse_object(line)?;
    let mut take = |key: &str| map.remove(key).ok_or_else(|| format!("missing field `{key}`"));
    let kind = match take("type")? {
        Value::String(kind) => kind,
        other => return Err(format!("field `type`: expected a string, found {other}")),
    };
    if kind == GENESIS_TYPE {
        return Err("a genesis header may only be the first line".into());
    }
    let envelope = Envelope {
        seq: field(&mut take, "seq")?,
        event_id: field(&mut take, "event_id")?,
        ts_ns: field(&mut take, "ts_ns")?,
        stream: field(&mut take, "stream")?,
        correlation_id: field(&mut take, "correlation_id")?,
        causation_id: field(&mut take, "causation_id")?,
        schema_version: field(&mut take, "schema_version")?,
    };
    let hash: String = field(&mut take, "hash")?;
    let hash = parse_hash(&hash)?;
    // What is left is the payload.
    let tagged = Value::Object(Map::from_iter([(kind.clone(), Value::Object(map))]));
    let event = Event::deserialize(&tagged).map_err(|e| format!("{kind}: {e}"))?;
    // serde ignores unknown fields and takes an absent `Option` for `None`: compare the given
    // fields with the event's own serialization, at every depth.
    let canonical = serde_json::to_value(&event).map_err(|e| e.to_string())?;
    same_fields("", &tagged[&kind], &canonical[&kind]).map_err(|e| format!("{kind}: {e}"))?;
    Ok(RecordLine { envelope, event, hash })
}

/// Checks that `given` has exactly the object keys `canonical` has, recursively. Values are
/// not compared: the chain hash covers them.
fn same_fields(path: &str, given: &Value, canonical: &Value) -> Result<(), String> {
    match (given, canonical) {
        (Value::Object(given), Value::Object(canonical)) => {
            if let Some(unknown) = given.keys().find(|key| !canonical.contains_key(*key)) {
                return Err(format!("unknown field `{}`", join(path, unknown)));
            }
            if let Some(missing) = canonical.keys().find(|key| !given.contains_key(*key)) {
                return Err(format!("missing field `{}`", join(path, missing)));
            }
            given.iter().try_for_each(|(key, value)| same_fields(&join(path, key), value, &canonical[key]))
        }
        (Value::Array(given), Value::Array(canonical)) => given
            .iter()
            .zip(canonical)
            .enumerate()
            .try_for_each(|(i, (given, canonical))| same_fields(&format!("{path}[{i}]"), given, canonical)),
        _ => Ok(()),
    }
}

/// `path.key`, or `key` at the top level.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn parse_object(line: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!("expected a JSON object, found {}", kind_of(&other))),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn field<T: serde::de::DeserializeOwned>(
    take: &mut impl FnMut(&str) -> Result<Value, String>,
    key: &str,
) -> Result<T, String> {
    serde_json::from_value(take(key)?).map_err(|e| format!("field `{key}`: {e}"))
}

fn parse_hash(text: &str) -> Result<ChainHash, String> {
    ChainHash::from_hex(text).ok_or_else(|| format!("field `hash`: expected 64 hex digits, found {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::synthetic::Lifecycles;
    use crate::journal::event_id;

    fn envelope(seq: u64) -> Envelope {
        Envelope {
            seq,
            event_id: event_id(&ChainHash::of_genesis(b"g"), seq),
            ts_ns: -17,
            stream: "order:o-1".into(),
            correlation_id: Some(Uuid::from_u128(5)),
            causation_id: None,
            schema_version: 1,
        }
    }

    fn hash() -> ChainHash {
        ChainHash::of_genesis(b"g").link(b"r")
    }

    fn encode(envelope: &Envelope, event: &Event) -> String {
        let mut out = Vec::new();
        encode_record(envelope, event, &hash(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Events of every kind the synthetic lifecycles produce.
    fn events() -> Vec<Event> {
        Lifecycles::new(3, 8).take(400).map(|draft| draft.payload).collect()
    }

    fn fill_line() -> String {
        let fill = events().into_iter().find(|e| e.type_name() == "OrderFilled").unwrap();
        encode(&envelope(9), &fill)
    }

    #[test]
    fn records_round_trip() {
        let events = events();
        let mut kinds: Vec<_> = events.iter().map(Event::type_name).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert!(kinds.len() >= 8, "the sample covers most event types: {kinds:?}");
        for (i, event) in events.into_iter().enumerate() {
            let envelope = envelope(i as u64 + 1);
            let line = encode(&envelope, &event);
            assert!(!line.contains('\n'));
            let back = decode_record(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(back, RecordLine { envelope, event, hash: hash() });
        }
    }

    #[test]
    fn a_fill_line_has_the_envelope_and_the_payload_at_the_top_level() {
        let value: Value = serde_json::from_str(&fill_line()).unwrap();
        let map = value.as_object().unwrap();
        for key in ENVELOPE_KEYS.iter().chain(&["client_order_id", "fill_id", "qty", "price", "fee"]) {
            assert!(map.contains_key(*key), "{key} in {map:?}");
        }
        assert_eq!(map["type"], "OrderFilled");
        assert!(map["qty"].is_string() && map["price"].is_string() && map["fee"].is_string(), "decimals as strings");
        assert_eq!(map["hash"], hash().to_hex());
        assert_eq!(map["correlation_id"], Uuid::from_u128(5).to_string());
        assert_eq!(map["causation_id"], Value::Null);
        let created = encode(&envelope(1), events().iter().find(|e| e.type_name() == "OrderCreated").unwrap());
        let created: Value = serde_json::from_str(&created).unwrap();
        for key in ["client_order_id", "strategy", "symbol", "side"] {
            assert!(created.get(key).is_some(), "{key} in {created}");
        }
    }

    #[test]
    fn key_order_is_envelope_then_payload_then_hash() {
        let line = fill_line();
        let at = |key: &str| line.find(&format!("\"{key}\":")).unwrap();
        assert!(line.starts_with("{\"seq\":9,\"ts_ns\":-17,\"event_id\":"), "{line}");
        assert!(at("schema_version") < at("type") && at("type") < at("client_order_id"));
        assert!(at("venue") < at("hash") && line.ends_with("\"}"));
    }

    /// `line` with `edit` applied to its JSON object.
    fn edited(line: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut value: Value = serde_json::from_str(line).unwrap();
        edit(value.as_object_mut().unwrap());
        value.to_string()
    }

    fn refused(line: &str) -> String {
        decode_record(line).expect_err(line)
    }

    #[test]
    fn incomplete_unknown_and_mistyped_fields_are_refused() {
        let line = fill_line();
        assert!(decode_record(&line).is_ok());
        let cases: Vec<(String, &str)> = vec![
            (edited(&line, |m| drop(m.remove("fee"))), "missing field `fee`"),
            (edited(&line, |m| drop(m.remove("seq"))), "missing field `seq`"),
            (edited(&line, |m| drop(m.remove("causation_id"))), "missing field `causation_id`"),
            (edited(&line, |m| drop(m.remove("hash"))), "missing field `hash`"),
            (
                edited(&line, |m| {
                    let fee = m.remove("fee").unwrap();
                    m.insert("fees".into(), fee);
                }),
                "fee",
            ),
            (edited(&line, |m| drop(m.insert("extra".into(), Value::from(1)))), "unknown field `extra`"),
            (edited(&line, |m| drop(m.insert("seq".into(), Value::from(-1)))), "field `seq`"),
            (edited(&line, |m| drop(m.insert("qty".into(), Value::from("lots")))), "OrderFilled"),
            (edited(&line, |m| drop(m.insert("type".into(), Value::from("OrderFiled")))), "unknown variant"),
            (edited(&line, |m| drop(m.insert("type".into(), Value::from(5)))), "field `type`"),
            (edited(&line, |m| drop(m.insert("hash".into(), Value::from("abc")))), "64 hex digits"),
            (edited(&line, |m| drop(m.insert("event_id".into(), Value::from("x")))), "field `event_id`"),
            (edited(&line, |m| drop(m.insert("type".into(), Value::from(GENESIS_TYPE)))), "first line"),
            ("{\"seq\":1".into(), "invalid JSON"),
            ("[1,2]".into(), "expected a JSON object, found an array"),
            ("".into(), "invalid JSON"),
        ];
        for (line, says) in cases {
            let error = refused(&line);
            assert!(error.contains(says), "{line}: {error:?} should say {says:?}");
        }
    }

    #[test]
    fn absent_optional_fields_and_nested_unknown_fields_are_refused() {
        let created = events().into_iter().find(|e| e.type_name() == "OrderCreated").unwrap();
        let line = encode(&envelope(1), &created);
        let error = refused(&edited(&line, |m| drop(m.remove("limit_price"))));
        assert!(error.contains("missing field `limit_price`"), "{error}");
        let gtd = edited(&line, |m| {
            m.insert("time_in_force".into(), serde_json::json!({ "Gtd": { "expire_ns": 5, "expire_ms": 0 } }));
        });
        let error = refused(&gtd);
        assert!(error.contains("unknown field `time_in_force.Gtd.expire_ms`"), "{error}");
        let fine = edited(&line, |m| {
            m.insert("time_in_force".into(), serde_json::json!({ "Gtd": { "expire_ns": 5 } }));
        });
        assert!(decode_record(&fine).is_ok());
    }

    #[test]
    fn genesis_round_trips_and_is_strict() {
        let genesis = Genesis::new(Some(11)).with_metadata("origin", "test").with_metadata("x", "y");
        let h0 = genesis.hash().unwrap();
        let line = encode_genesis(&genesis, &h0).unwrap();
        assert!(line.starts_with("{\"type\":\"Genesis\",\"format_version\":1,"), "{line}");
        assert_eq!(decode_genesis(&line).unwrap(), (genesis.clone(), h0));
        let none = Genesis::new(None);
        assert_eq!(decode_genesis(&encode_genesis(&none, &h0).unwrap()).unwrap().0, none);
        let cases = [
            (edited(&line, |m| drop(m.remove("seed"))), "missing field `seed`"),
            (edited(&line, |m| drop(m.insert("sed".into(), Value::Null))), "unknown field `sed`"),
            (edited(&line, |m| drop(m.insert("seed".into(), Value::from("7")))), "invalid type"),
            (
                edited(&line, |m| drop(m.insert("type".into(), Value::from("OrderFilled")))),
                "found type \"OrderFilled\"",
            ),
            (edited(&line, |m| drop(m.remove("type"))), "genesis header"),
            (fill_line(), "genesis header"),
        ];
        for (line, says) in cases {
            let error = decode_genesis(&line).expect_err(&line);
            assert!(error.contains(says), "{line}: {error:?} should say {says:?}");
        }
    }

    proptest::proptest! {
        /// An import reads lines from outside: an encoded line with one character replaced,
        /// inserted or removed anywhere decodes or is refused, never panics.
        #[test]
        fn a_damaged_line_is_read_or_refused_never_a_panic(
            pick in 0usize..400,
            at in proptest::prelude::any::<proptest::sample::Index>(),
            edit in 0u8..3,
            with in proptest::prelude::any::<char>(),
        ) {
            let events = events();
            let event = &events[pick % events.len()];
            let mut line: Vec<char> = encode(&envelope(pick as u64 + 1), event).chars().collect();
            let at = at.index(line.len());
            match edit {
                0 => line[at] = with,
                1 => line.insert(at, with),
                _ => { line.remove(at); }
            }
            let _ = decode_record(&line.into_iter().collect::<String>());
        }
    }
}
