//! The envelope's bincode codec, written against bincode's own `Encode`/`BorrowDecode`
//! rather than derived through serde: every record's envelope is encoded once and decoded
//! on every scan, and serde's visitor machinery was most of that cost.
//!
//! The bytes are exactly those serde writes (the field order of [`Envelope`]; a UUID as a
//! length-prefixed 16-byte string, since uuid serializes as bytes for binary formats; an
//! option as a 0/1 tag), so journals written either way read the same. Tests hold the two
//! encodings equal.

use bincode::de::BorrowDecoder;
use bincode::enc::Encoder;
use bincode::error::{DecodeError, EncodeError};
use bincode::{BorrowDecode, Decode, Encode};
use uuid::Uuid;

use super::envelope::Envelope;

impl Encode for Envelope {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), EncodeError> {
        self.seq.encode(encoder)?;
        self.event_id.as_bytes()[..].encode(encoder)?;
        self.ts_ns.encode(encoder)?;
        self.stream.as_str().encode(encoder)?;
        self.correlation_id.as_ref().map(|id| &id.as_bytes()[..]).encode(encoder)?;
        self.causation_id.as_ref().map(|id| &id.as_bytes()[..]).encode(encoder)?;
        self.schema_version.encode(encoder)
    }
}

impl<'de, Context> BorrowDecode<'de, Context> for Envelope {
    fn borrow_decode<D: BorrowDecoder<'de, Context = Context>>(decoder: &mut D) -> Result<Self, DecodeError> {
        let seq = u64::decode(decoder)?;
        let event_id = uuid(<&[u8]>::borrow_decode(decoder)?)?;
        let ts_ns = i64::decode(decoder)?;
        let stream = <&str>::borrow_decode(decoder)?.into();
        let correlation_id = <Option<&[u8]>>::borrow_decode(decoder)?.map(uuid).transpose()?;
        let causation_id = <Option<&[u8]>>::borrow_decode(decoder)?.map(uuid).transpose()?;
        let schema_version = u16::decode(decoder)?;
        Ok(Envelope { seq, event_id, ts_ns, stream, correlation_id, causation_id, schema_version })
    }
}

fn uuid(bytes: &[u8]) -> Result<Uuid, DecodeError> {
    Uuid::from_slice(bytes).map_err(|_| DecodeError::OtherString(format!("a UUID of {} bytes", bytes.len())))
}

#[cfg(test)]
mod tests {
    use compact_str::CompactString;
    use proptest::prelude::*;

    use super::*;
    use crate::journal::codec::{decode_envelope, encode_into, encode_record};
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
            prop_assert_eq!(decoded, envelope);
            let mut payload_bytes = Vec::new();
            encode_into(&Opaque(payload), &mut payload_bytes).unwrap();
            prop_assert_eq!(rest, &payload_bytes[..]);
            for cut in 0..native.len().min(64) {
                let _ = decode_envelope(&native[..cut]); // never panics
            }
        }
    }

    #[test]
    fn a_uuid_of_the_wrong_length_is_refused() {
        // seq 1, then a 3-byte "uuid".
        assert!(decode_envelope(&[1, 3, 0xaa, 0xbb, 0xcc, 0, 1, b's', 0, 0, 0]).is_err());
    }
}
