//! The BLAKE3 hash chain: `h(n) = BLAKE3(h(n-1) ‖ record_n)`, `h(0) = BLAKE3(genesis)`.
//! Equal head hashes mean identical histories.

use std::fmt;

/// A 32-byte chain hash. Displays as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    pub const LEN: usize = 32;

    /// The link after `self` for a record whose encoded bytes are `record`.
    pub fn link(&self, record: &[u8]) -> ChainHash {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.0);
        hasher.update(record);
        ChainHash(*hasher.finalize().as_bytes())
    }

    /// `h(0)`: the hash of the encoded genesis record.
    pub fn of_genesis(genesis: &[u8]) -> ChainHash {
        ChainHash(*blake3::hash(genesis).as_bytes())
    }

    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(64);
        for byte in self.0 {
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<ChainHash> {
        if text.len() != 64 || !text.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(ChainHash(out))
    }

    pub fn from_slice(bytes: &[u8]) -> Option<ChainHash> {
        Some(ChainHash(bytes.try_into().ok()?))
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({})", &self.to_hex()[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let h = ChainHash::of_genesis(b"g").link(b"record");
        assert_eq!(ChainHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(ChainHash::from_hex("zz"), None);
        assert_eq!(ChainHash::from_hex(&"é".repeat(32)), None);
    }

    #[test]
    fn link_depends_on_predecessor_and_record() {
        let a = ChainHash::of_genesis(b"a");
        let b = ChainHash::of_genesis(b"b");
        assert_ne!(a.link(b"x"), b.link(b"x"));
        assert_ne!(a.link(b"x"), a.link(b"y"));
        assert_eq!(a.link(b"x"), a.link(b"x"));
    }
}
