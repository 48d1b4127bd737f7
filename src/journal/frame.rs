//! One record on disk:
//!
//! ```text
//! ┌──────────┬──────────────┬─────────────┬───────────────────────────────┐
//! │ len: u32 │ body: len B  │ hash: 32 B  │ crc32c(len ‖ body ‖ hash): u32│
//! └──────────┴──────────────┴─────────────┴───────────────────────────────┘
//! ```
//! `body` is the encoded record (envelope then payload); `hash` is its chain hash
//! `BLAKE3(h(prev) ‖ body)`. Integers are little-endian. The CRC catches flipped bits
//! anywhere in the frame; the chain catches reordering, removal and rewriting.

use super::chain::ChainHash;
use super::codec::MAX_RECORD_BYTES;

const LEN_BYTES: usize = 4;
const CRC_BYTES: usize = 4;

/// Bytes a frame adds around its body.
pub const FRAME_OVERHEAD: usize = LEN_BYTES + ChainHash::LEN + CRC_BYTES;

/// Appends the frame of `body` (whose chain hash is `hash`) to `out`.
pub fn write_frame(body: &[u8], hash: &ChainHash, out: &mut Vec<u8>) {
    debug_assert!(body.len() <= MAX_RECORD_BYTES);
    let start = out.len();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&hash.0);
    let crc = crc32c::crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// A frame read from a block, its CRC already checked.
#[derive(Debug, Clone, Copy)]
pub struct FrameRef<'a> {
    pub body: &'a [u8],
    pub hash: ChainHash,
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    Truncated { needed: usize, available: usize },
    TooLarge(usize),
    Checksum { stored: u32, computed: u32 },
}

/// Reads the frame at the start of `bytes`, returning it and the bytes it spans.
pub fn read_frame(bytes: &[u8]) -> Result<(FrameRef<'_>, usize), FrameError> {
    let truncated = |needed| FrameError::Truncated { needed, available: bytes.len() };
    let (len, _) = bytes.split_first_chunk::<LEN_BYTES>().ok_or_else(|| truncated(LEN_BYTES))?;
    let len = u32::from_le_bytes(*len) as usize;
    if len > MAX_RECORD_BYTES {
        return Err(FrameError::TooLarge(len));
    }
    let total = len + FRAME_OVERHEAD;
    if bytes.len() < total {
        return Err(truncated(total));
    }
    let covered = &bytes[..total - CRC_BYTES];
    let mut crc = [0u8; CRC_BYTES];
    crc.copy_from_slice(&bytes[total - CRC_BYTES..total]);
    let stored = u32::from_le_bytes(crc);
    let computed = crc32c::crc32c(covered);
    if stored != computed {
        return Err(FrameError::Checksum { stored, computed });
    }
    let body = &covered[LEN_BYTES..LEN_BYTES + len];
    let mut hash = [0u8; ChainHash::LEN];
    hash.copy_from_slice(&covered[LEN_BYTES + len..]);
    Ok((FrameRef { body, hash: ChainHash(hash) }, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_every_flip_is_caught() {
        let hash = ChainHash::of_genesis(b"g").link(b"hello");
        let mut out = Vec::new();
        write_frame(b"hello", &hash, &mut out);
        assert_eq!(out.len(), 5 + FRAME_OVERHEAD);
        let (frame, used) = read_frame(&out).unwrap();
        assert_eq!((frame.body, frame.hash, used), (&b"hello"[..], hash, out.len()));
        for i in 0..out.len() {
            for bit in 0..8 {
                let mut bad = out.clone();
                bad[i] ^= 1 << bit;
                assert!(read_frame(&bad).is_err(), "flip at byte {i} bit {bit} undetected");
            }
        }
        for cut in 0..out.len() {
            assert!(matches!(read_frame(&out[..cut]), Err(FrameError::Truncated { .. })));
        }
    }
}
