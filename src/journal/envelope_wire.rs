//! The envelope's bincode codec, written by hand ([`super::wire`]) rather than derived
//! through serde: every record's envelope is encoded once and decoded on every scan, and
//! serde's visitor machinery, then bincode's own, were most of that cost.
//!
//! The bytes are exactly those serde writes (the field order of [`Envelope`]; a UUID as a
//! length-prefixed 16-byte string, since uuid serializes as bytes for binary formats; an
//! option as a 0/1 tag), so journals written either way read the same. Tests hold the two
//! encodings equal.

use std::mem::MaybeUninit;

use super::envelope::{Envelope, Stamp};
use super::wire::{WireError, WireReader, WireWriter};

#[inline]
pub fn write_envelope(envelope: &Envelope, w: &mut WireWriter<'_>) {
    w.u64(envelope.seq);
    w.uuid(&envelope.event_id);
    w.i64(envelope.ts_ns);
    w.str(&envelope.stream);
    for id in [&envelope.correlation_id, &envelope.causation_id] {
        w.some(id.is_some());
        if let Some(id) = id {
            w.uuid(id);
        }
    }
    w.u64(u64::from(envelope.schema_version));
}

#[inline]
pub fn read_envelope(r: &mut WireReader<'_>) -> Result<Envelope, WireError> {
    let mut out = MaybeUninit::uninit();
    read_envelope_into(r, &mut out)?;
    // SAFETY: `Ok` means the envelope was written.
    Ok(unsafe { out.assume_init() })
}

/// [`read_envelope`] straight into `out`, with no envelope built elsewhere and moved in:
/// every field is read first, then written once. Decoding a replay's records, the moves of
/// the envelope through the `Result`s stalled on store forwarding (a 16-byte load of the
/// stream's 24 bytes just stored as words; a quarter of the decoding thread's time in
/// `split_for`, by perf). On `Ok`, `out` holds the envelope; on an error it holds nothing.
#[inline]
pub fn read_envelope_into(r: &mut WireReader<'_>, out: &mut MaybeUninit<Envelope>) -> Result<(), WireError> {
    let seq = r.u64()?;
    let event_id = r.uuid()?;
    let ts_ns = r.i64()?;
    let stream = r.str()?;
    let correlation_id = r.option(WireReader::uuid)?;
    let causation_id = r.option(WireReader::uuid)?;
    let schema_version = r.u16()?;
    out.write(Envelope { seq, event_id, ts_ns, stream: stream.into(), correlation_id, causation_id, schema_version });
    Ok(())
}

/// The envelope's stamp and schema version, every other field read and checked as
/// [`read_envelope`] does but not kept: a replay's fold needs no more, and a decoded record
/// without them is a third smaller ([`super::envelope::Stamped`]).
#[inline]
pub fn read_stamp(r: &mut WireReader<'_>) -> Result<(Stamp, u16), WireError> {
    let seq = r.u64()?;
    r.uuid()?;
    let ts_ns = r.i64()?;
    r.str()?;
    r.option(WireReader::uuid)?;
    r.option(WireReader::uuid)?;
    let schema_version = r.u16()?;
    Ok((Stamp { seq, ts_ns }, schema_version))
}

#[cfg(test)]
mod tests {
    use compact_str::CompactString;
    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;
    use crate::journal::codec::{decode_envelope, decode_stamp, encode_into, encode_record};
    use crate::journal::envelope::Opaque;

    fn envelope() -> impl Strategy<Value = Envelope> {
        let uuid = any::<u128>().prop_map(Uuid::from_u128);
        (any::<u64>(), uuid.clone(), any::<i64>(), ".{0,40}", proptest::option::of(uuid.clone())).prop_flat_map(
            move |(seq, event_id, ts_ns, stream, correlation_id)| {
                (proptest::option::of(uuid.clone()), any::<u16>()).prop_map(move |(causation_id, schema_version)| {
                    Envelope {
                        seq,
                        event_id,
                        ts_ns,
                        stream: CompactString::from(stream.as_str()),
                        correlation_id,
                        causation_id,
                        schema_version,
                    }
                })
            },
        )
    }

    proptest! {
        #[test]
        fn native_bytes_equal_serde_bytes_and_read_back(envelope in envelope(), payload in any::<Vec<u8>>()) {
            let mut through_serde = Vec::new();
            encode_into(&envelope, &mut through_serde).unwrap();
            encode_into(&Opaque(payload.clone()), &mut through_serde).unwrap();
            let mut native = Vec::new();
            encode_record(&envelope, &Opaque(payload.clone()), &mut native).unwrap();
            prop_assert_eq!(&native, &through_serde);
            let (decoded, rest) = decode_envelope(&native).unwrap();
            prop_assert_eq!(&decoded, &envelope);
            let mut payload_bytes = Vec::new();
            encode_into(&Opaque(payload), &mut payload_bytes).unwrap();
            prop_assert_eq!(rest, &payload_bytes[..]);
            // The stamp alone reads the same bytes, and refuses what the envelope refuses.
            let (stamp, schema_version, stamp_rest) = decode_stamp(&native).unwrap();
            prop_assert_eq!((stamp, schema_version, stamp_rest), (envelope.stamp(), envelope.schema_version, rest));
            for cut in 0..native.len().min(64) {
                // Never panics.
                prop_assert_eq!(decode_stamp(&native[..cut]).is_ok(), decode_envelope(&native[..cut]).is_ok());
            }
        }
    }

    #[test]
    fn a_uuid_of_the_wrong_length_is_refused() {
        // seq 1, then a 3-byte "uuid".
        let bytes = [1, 3, 0xaa, 0xbb, 0xcc, 0, 1, b's', 0, 0, 0];
        assert!(decode_envelope(&bytes).is_err());
        assert!(decode_stamp(&bytes).is_err());
    }
}
