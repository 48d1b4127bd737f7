//! The head: the last committed seq and its chain hash. Seq 0 with `h(0)` is an empty journal.

use super::chain::ChainHash;
use super::error::{Corruption, CorruptionKind, Location};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: ChainHash,
}

pub const ENCODED_BYTES: usize = 8 + ChainHash::LEN + 4;

impl Head {
    /// `seq ‖ hash ‖ crc32c(seq ‖ hash)`, little-endian.
    pub fn encode(&self) -> [u8; ENCODED_BYTES] {
        let mut out = [0u8; ENCODED_BYTES];
        out[..8].copy_from_slice(&self.seq.to_le_bytes());
        out[8..40].copy_from_slice(&self.hash.0);
        let crc = crc32c::crc32c(&out[..40]);
        out[40..].copy_from_slice(&crc.to_le_bytes());
        out
    }

    pub fn decode(bytes: &[u8], location: Location) -> Result<Head, Corruption> {
        let corrupt = |kind| Corruption::new(location.clone(), kind);
        let bytes: &[u8; ENCODED_BYTES] = bytes.try_into().map_err(|_| {
            corrupt(CorruptionKind::Framing(format!("{} bytes, expected {ENCODED_BYTES}", bytes.len())))
        })?;
        let stored = u32::from_le_bytes(bytes[40..].try_into().expect("4 bytes"));
        let computed = crc32c::crc32c(&bytes[..40]);
        if stored != computed {
            return Err(corrupt(CorruptionKind::Checksum { stored, computed }));
        }
        Ok(Head {
            seq: u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")),
            hash: ChainHash::from_slice(&bytes[8..40]).expect("32 bytes"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_flips() {
        let head = Head { seq: 12345, hash: ChainHash::of_genesis(b"x") };
        let bytes = head.encode();
        assert_eq!(Head::decode(&bytes, Location::Head).unwrap(), head);
        for i in 0..bytes.len() {
            let mut bad = bytes;
            bad[i] ^= 1;
            assert!(Head::decode(&bad, Location::Head).is_err());
        }
        assert!(Head::decode(&bytes[1..], Location::Head).is_err());
    }
}
