//! bincode encoding of envelopes, payloads and genesis records.
//!
//! A record's bytes are `bincode(envelope) ‖ bincode(payload)`, so the envelope can be read
//! without knowing the payload type. The envelope, and payloads that override
//! [`Payload::encode_wire`], go through the hand-written codec ([`super::wire`]), which
//! never allocates more than the bytes it reads; serde decoding is bounded by
//! [`MAX_RECORD_BYTES`] so corrupt length prefixes cannot make bincode allocate without limit.

use std::mem::MaybeUninit;

use bincode::config::{Configuration, Limit, LittleEndian, Varint};
use serde::{Serialize, de::DeserializeOwned};

use super::envelope::{Envelope, Payload, Stamp};
use super::envelope_wire;
use super::error::{JournalError, Result};
use super::wire::{WireError, WireReader, WireWriter};

/// The largest encoded record the journal accepts (envelope and payload).
pub const MAX_RECORD_BYTES: usize = 1 << 20;

type Config = Configuration<LittleEndian, Varint, Limit<MAX_RECORD_BYTES>>;

fn config() -> Config {
    bincode::config::standard().with_limit::<MAX_RECORD_BYTES>()
}

/// Appends the bincode encoding of `value` to `out`.
pub fn encode_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<()> {
    bincode::serde::encode_into_std_write(value, out, config())
        .map(|_| ())
        .map_err(|e| JournalError::Encode(e.to_string()))
}

/// Decodes exactly one `T` from all of `bytes`.
pub fn decode_exact<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    // Matched in place rather than through `map_err` and `?`: each re-wrapping moved the
    // whole value (an `Event` is 216 bytes), and those copies were 10% of decoding.
    match decode_prefix::<T, _>(bytes, config())? {
        (value, used) if used == bytes.len() => Ok(value),
        (_, used) => Err(format!("{} trailing bytes", bytes.len() - used)),
    }
}

/// A value bincode decodes from the start of `bytes` under `config`, and the bytes it used;
/// or why not, in words ([`decode_error_text`]). Every bincode decode of stored bytes (records,
/// checkpoints, simulation snapshots) goes through here, so none reports bincode's `Debug`.
pub fn decode_prefix<T: DeserializeOwned, C: bincode::config::Config>(
    bytes: &[u8],
    config: C,
) -> Result<(T, usize), String> {
    bincode::serde::decode_from_slice(bytes, config).map_err(|error| decode_error_text(&error))
}

/// Why bincode could not decode, in words. bincode's own `Display` is its `Debug` (e.g.
/// `UnexpectedVariant { type_name: "Event", allowed: Range(0, 40), found: 77 }`), which is
/// what a user saw when a record, a checkpoint or a snapshot did not decode.
fn decode_error_text(error: &bincode::error::DecodeError) -> String {
    use bincode::error::DecodeError::*;
    match error {
        UnexpectedEnd { additional } => format!("the bytes end {additional} short of a whole value"),
        LimitExceeded => "a length over the decoder's limit".to_owned(),
        InvalidIntegerType { expected, found } => format!("an integer of type {found:?} where {expected:?} belongs"),
        UnexpectedVariant { type_name, found, .. } => format!("{type_name} has no variant {found}"),
        Utf8 { inner } => format!("a string that is not UTF-8 ({inner})"),
        InvalidBooleanValue(value) => format!("{value} where a boolean (0 or 1) belongs"),
        InvalidCharEncoding(bytes) => format!("{bytes:02x?} where a character belongs"),
        OutsideUsizeRange(value) => format!("a length of {value}, beyond this machine's"),
        Other(text) => (*text).to_owned(),
        OtherString(text) => text.clone(),
        other => format!("{other:?}"),
    }
}

/// Encodes a record's body: envelope then payload.
pub fn encode_record<P: Payload>(envelope: &Envelope, payload: &P, out: &mut Vec<u8>) -> Result<()> {
    let start = out.len();
    envelope_wire::write_envelope(envelope, &mut WireWriter::new(out));
    if let Err(error) = payload.encode_wire(out) {
        out.truncate(start);
        return Err(error);
    }
    let size = out.len() - start;
    if size > MAX_RECORD_BYTES {
        out.truncate(start);
        return Err(JournalError::RecordTooLarge { size, limit: MAX_RECORD_BYTES });
    }
    Ok(())
}

/// Splits a record's body into its envelope and the payload's bytes. The envelope goes
/// through its hand-written codec ([`super::envelope_wire`]).
#[inline]
pub fn decode_envelope(body: &[u8]) -> Result<(Envelope, &[u8]), WireError> {
    let mut reader = WireReader::new(body);
    let envelope = envelope_wire::read_envelope(&mut reader)?;
    Ok((envelope, &body[reader.position()..]))
}

/// [`decode_envelope`] into `out` ([`envelope_wire::read_envelope_into`]); the payload's
/// bytes follow. On an error `out` holds nothing.
#[inline]
pub fn decode_envelope_into<'a>(body: &'a [u8], out: &mut MaybeUninit<Envelope>) -> Result<&'a [u8], WireError> {
    let mut reader = WireReader::new(body);
    envelope_wire::read_envelope_into(&mut reader, out)?;
    Ok(&body[reader.position()..])
}

/// A record body's stamp and schema version ([`envelope_wire::read_stamp`]), then the
/// payload's bytes.
#[inline]
pub fn decode_stamp(body: &[u8]) -> Result<(Stamp, u16, &[u8]), WireError> {
    let mut reader = WireReader::new(body);
    let (stamp, schema_version) = envelope_wire::read_stamp(&mut reader)?;
    Ok((stamp, schema_version, &body[reader.position()..]))
}

/// Reads only the leading seq of a record's body (the envelope's first field).
pub fn decode_seq(body: &[u8]) -> Result<u64, WireError> {
    WireReader::new(body).u64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::envelope::Opaque;

    fn envelope(seq: u64) -> Envelope {
        Envelope {
            seq,
            event_id: uuid::Uuid::nil(),
            ts_ns: -5,
            stream: "s".into(),
            correlation_id: None,
            causation_id: Some(uuid::Uuid::from_u128(7)),
            schema_version: 3,
        }
    }

    #[test]
    fn record_splits_into_envelope_and_payload() {
        let mut body = Vec::new();
        encode_record(&envelope(300), &Opaque(vec![1, 2, 3]), &mut body).unwrap();
        let (env, rest) = decode_envelope(&body).unwrap();
        assert_eq!(env, envelope(300));
        assert_eq!(decode_exact::<Opaque>(rest).unwrap(), Opaque(vec![1, 2, 3]));
        assert_eq!(decode_seq(&body).unwrap(), 300);
    }

    #[test]
    fn oversized_records_are_refused() {
        let mut body = Vec::new();
        let err = encode_record(&envelope(1), &Opaque(vec![0; MAX_RECORD_BYTES]), &mut body);
        assert!(matches!(err, Err(JournalError::RecordTooLarge { .. })));
        assert!(body.is_empty());
    }

    #[test]
    fn bincode_errors_read_as_words_not_as_its_debug_text() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        enum Shape {
            Dot,
            Line(u32),
        }
        assert_eq!(decode_exact::<Shape>(&[1]).unwrap_err(), "the bytes end 1 short of a whole value");
        assert_eq!(decode_exact::<bool>(&[2]).unwrap_err(), "2 where a boolean (0 or 1) belongs");
        let not_utf8 = decode_exact::<String>(&[1, 0xff]).unwrap_err();
        assert!(not_utf8.starts_with("a string that is not UTF-8 ("), "{not_utf8}");
        assert_eq!(decode_exact::<u16>(&[252, 0, 0, 1, 0]).unwrap_err(), "an integer of type U32 where U16 belongs");
        // serde's own messages come through as they are.
        assert_eq!(
            decode_exact::<Shape>(&[7]).unwrap_err(),
            "invalid value: integer `7`, expected variant index 0 <= i < 2"
        );
    }

    #[test]
    fn garbage_does_not_decode_or_panic() {
        for bytes in [&[][..], &[0xff; 3][..], &[253, 1, 2][..], &[0, 0xfc, 0xff, 0xff, 0xff, 0x7f][..]] {
            assert!(decode_envelope(bytes).is_err());
        }
    }
}
