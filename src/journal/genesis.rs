//! The genesis record: what a journal is, written once when it is created. Its hash is `h(0)`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::chain::ChainHash;
use super::codec;
use super::error::{Corruption, CorruptionKind, Location, Result};

/// Version of the on-disk format (record framing, block layout, keys).
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genesis {
    pub format_version: u32,
    /// The blotter version that created the journal.
    pub blotter_version: String,
    /// The seed of every random choice made in this history, if any.
    pub seed: Option<u64>,
    /// Creation metadata (scenario name, config digest…). Never the wall clock: equal
    /// inputs must give equal journals.
    pub metadata: BTreeMap<String, String>,
}

impl Genesis {
    pub fn new(seed: Option<u64>) -> Self {
        Genesis {
            format_version: FORMAT_VERSION,
            blotter_version: env!("CARGO_PKG_VERSION").to_string(),
            seed,
            metadata: BTreeMap::new(),
        }
    }

    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// The stored form: `crc32c(bytes) ‖ bincode(genesis)`.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        codec::encode_into(self, &mut body)?;
        let mut out = crc32c::crc32c(&body).to_le_bytes().to_vec();
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Parses the stored form, checking its CRC. Returns the genesis and `h(0)`.
    pub fn decode(stored: &[u8]) -> Result<(Genesis, ChainHash), Corruption> {
        let corrupt = |kind| Corruption::new(Location::Genesis, kind);
        let (crc, body) = stored
            .split_first_chunk::<4>()
            .ok_or_else(|| corrupt(CorruptionKind::Framing("genesis shorter than its checksum".into())))?;
        let stored_crc = u32::from_le_bytes(*crc);
        let computed = crc32c::crc32c(body);
        if stored_crc != computed {
            return Err(corrupt(CorruptionKind::Checksum { stored: stored_crc, computed }));
        }
        let genesis: Genesis = codec::decode_exact(body).map_err(|e| corrupt(CorruptionKind::Undecodable(e)))?;
        if genesis.format_version != FORMAT_VERSION {
            return Err(corrupt(CorruptionKind::Undecodable(format!(
                "format version {} is not supported (this build reads {FORMAT_VERSION})",
                genesis.format_version
            ))));
        }
        Ok((genesis, ChainHash::of_genesis(body)))
    }

    /// `h(0)` of this genesis.
    pub fn hash(&self) -> Result<ChainHash> {
        let stored = self.encode()?;
        Ok(ChainHash::of_genesis(&stored[4..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_flips() {
        let g = Genesis::new(Some(7)).with_metadata("scenario", "demo");
        let stored = g.encode().unwrap();
        let (back, h0) = Genesis::decode(&stored).unwrap();
        assert_eq!(back, g);
        assert_eq!(h0, g.hash().unwrap());
        for i in 0..stored.len() {
            let mut bad = stored.clone();
            bad[i] ^= 0x40;
            assert!(Genesis::decode(&bad).is_err(), "flip at {i} undetected");
        }
        assert!(Genesis::decode(&stored[..2]).is_err());
    }
}
