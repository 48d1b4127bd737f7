//! Checking many stored chain links at once.
//!
//! A scan's main cost is recomputing every record's chain hash: BLAKE3 over the previous
//! hash and the record, 2–3 compressions of ~90 ns each on the reference machine. The writer
//! computes the chain one link after the other, but a stored block holds both inputs of every
//! link (each frame stores its hash, so record `i`'s predecessor hash is read, not computed),
//! so its links are independent and can be hashed side by side: one SIMD lane per record,
//! 16 records per AVX-512 compression or 8 per AVX2 one. The blake3 crate hashes one input
//! at a time (its many-input routine is internal and only takes whole blocks), so the lanes
//! are written here, after the BLAKE3 specification; a test checks them against the crate for
//! every input length and lane count. Inputs longer than one BLAKE3 chunk (1 KiB), and CPUs
//! without AVX2, use the crate.

// Elsewhere than x86-64 only the crate's path is built.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code, unused_variables))]

use super::chain::ChainHash;

/// A stored link: a record's body and the hash its frame holds.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    pub body: &'a [u8],
    pub hash: ChainHash,
}

/// The index of the first link whose stored hash is not `BLAKE3(previous hash ‖ body)`,
/// where the first link's previous hash is `prev` and every later one's is the hash stored
/// before it.
pub fn first_broken(prev: &ChainHash, links: &[Link<'_>]) -> Option<usize> {
    // A few links (a live tail's small blocks) are not worth laying out for the lanes.
    let engine = if links.len() < FEW_LINKS { Engine::Scalar } else { Engine::detect() };
    first_broken_with(engine, prev, links)
}

/// The environment variable that caps the engine: `scalar`, `avx2` or `avx512`.
pub const LINK_HASHING_VAR: &str = "BLOTTER_LINK_HASHING";

/// Fewer links than this are hashed one at a time.
const FEW_LINKS: usize = 4;

/// How links are hashed here, for reports: `avx512`, `avx2` or `scalar`.
pub fn link_hashing() -> &'static str {
    match Engine::detect() {
        Engine::Scalar => "scalar",
        #[cfg(target_arch = "x86_64")]
        Engine::Avx2 => "avx2",
        #[cfg(target_arch = "x86_64")]
        Engine::Avx512 => "avx512",
    }
}

fn first_broken_with(engine: Engine, prev: &ChainHash, links: &[Link<'_>]) -> Option<usize> {
    let lanes = engine.lanes();
    let mut computed = [ChainHash::default(); MAX_LANES];
    let mut messages = Messages::new(engine);
    let mut start = 0;
    while start < links.len() {
        let group = &links[start..links.len().min(start + lanes)];
        let prev = if start == 0 { prev } else { &links[start - 1].hash };
        engine.hash(prev, group, &mut messages, &mut computed);
        if let Some(i) = group.iter().zip(&computed).position(|(link, hash)| link.hash != *hash) {
            return Some(start + i);
        }
        start += group.len();
    }
    None
}

/// The widest lane count of any engine.
const MAX_LANES: usize = 16;
/// The longest input one lane hashes: one BLAKE3 chunk.
const CHUNK_LEN: usize = 1024;
const BLOCK_LEN: usize = 64;

/// How links are hashed on this CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    /// One link at a time, with the blake3 crate.
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Engine {
    /// The best this CPU runs, capped by `BLOTTER_LINK_HASHING` (`scalar`, `avx2` or
    /// `avx512`: to compare paths on one machine, or to rule the lanes out); read once.
    fn detect() -> Engine {
        static CHOSEN: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
        *CHOSEN.get_or_init(|| {
            let cap = std::env::var(LINK_HASHING_VAR).ok().filter(|cap| !cap.is_empty());
            if let Some(cap) = cap.as_deref().filter(|cap| !matches!(*cap, "scalar" | "avx2" | "avx512")) {
                tracing::warn!("{LINK_HASHING_VAR}={cap:?} is not `scalar`, `avx2` or `avx512`: ignored");
            }
            let mut best = Engine::available().into_iter().filter(|engine| match cap.as_deref() {
                Some("scalar") => *engine == Engine::Scalar,
                Some("avx2") => engine.lanes() <= 8,
                _ => true,
            });
            best.next_back().unwrap_or(Engine::Scalar)
        })
    }

    /// Every engine this CPU runs, narrowest first (std caches the detection).
    fn available() -> Vec<Engine> {
        let mut engines = vec![Engine::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                engines.push(Engine::Avx2);
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                engines.push(Engine::Avx512);
            }
        }
        engines
    }

    fn lanes(self) -> usize {
        match self {
            Engine::Scalar => 1,
            #[cfg(target_arch = "x86_64")]
            Engine::Avx2 => 8,
            #[cfg(target_arch = "x86_64")]
            Engine::Avx512 => 16,
        }
    }

    /// `out[i]` = the hash of `group[i]` (at most `self.lanes()` links).
    fn hash(self, prev: &ChainHash, group: &[Link<'_>], messages: &mut Messages, out: &mut [ChainHash; MAX_LANES]) {
        assert!(group.len() <= self.lanes(), "a group is at most one lane per link");
        let prev_of = |i: usize| if i == 0 { prev } else { &group[i - 1].hash };
        let long = |link: &Link<'_>| ChainHash::LEN + link.body.len() > CHUNK_LEN;
        let lanes = match self {
            Engine::Scalar => 0,
            #[cfg(target_arch = "x86_64")]
            Engine::Avx2 | Engine::Avx512 => {
                let layout = messages.lay_out(group.iter().enumerate().map(|(i, link)| {
                    // A long link's lane hashes an empty body; its hash is replaced below.
                    if long(link) { (&prev_of(i).0, &[][..]) } else { (&prev_of(i).0, link.body) }
                }));
                // SAFETY: `detect` or `available` found the CPU feature.
                unsafe {
                    match self {
                        Engine::Avx2 => x86::hash_avx2(messages, &layout, out),
                        _ => x86::hash_avx512(messages, &layout, out),
                    }
                }
                group.len()
            }
        };
        for (i, link) in group.iter().enumerate() {
            if i >= lanes || long(link) {
                out[i] = prev_of(i).link(link.body);
            }
        }
    }
}

/// Every lane's message (`prev ‖ body`, at most one chunk) at a fixed stride, its last block
/// zero-padded; the lanes load their blocks from here.
struct Messages {
    bytes: Vec<u8>,
}

/// The blocks of the messages laid out: per lane, its block count and its last block's length.
struct Layout {
    lanes: usize,
    blocks: [u32; MAX_LANES],
    last_len: [u32; MAX_LANES],
    /// The longest message's block count: compressions of the whole group.
    max_blocks: usize,
}

impl Messages {
    /// A whole chunk for every lane, so a lane's load of any block stays inside, whether it
    /// holds a message or not.
    fn new(engine: Engine) -> Messages {
        Messages { bytes: vec![0; engine.lanes() * CHUNK_LEN] }
    }

    /// Lays out one message per lane, each `prev ‖ body` with at most one chunk in all.
    fn lay_out<'a>(&mut self, messages: impl ExactSizeIterator<Item = (&'a [u8; ChainHash::LEN], &'a [u8])>) -> Layout {
        let mut layout =
            Layout { lanes: messages.len(), blocks: [0; MAX_LANES], last_len: [0; MAX_LANES], max_blocks: 0 };
        assert!(layout.lanes * CHUNK_LEN <= self.bytes.len(), "one chunk per lane");
        for (lane, (prev, body)) in messages.enumerate() {
            let len = ChainHash::LEN + body.len();
            assert!(len <= CHUNK_LEN, "one chunk per lane");
            let blocks = len.div_ceil(BLOCK_LEN);
            let message = &mut self.bytes[lane * CHUNK_LEN..][..blocks * BLOCK_LEN];
            // Zero the last block first: it is the padding, then the message overwrites it.
            message[(blocks - 1) * BLOCK_LEN..].fill(0);
            message[..ChainHash::LEN].copy_from_slice(prev);
            message[ChainHash::LEN..len].copy_from_slice(body);
            layout.blocks[lane] = blocks as u32;
            layout.last_len[lane] = (len - (blocks - 1) * BLOCK_LEN) as u32;
            layout.max_blocks = layout.max_blocks.max(blocks);
        }
        layout
    }
}

/// BLAKE3's constants (the specification, section 2).
const IV: [u32; 8] = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19];
const CHUNK_START: u32 = 1;
const CHUNK_END: u32 = 2;
const ROOT: u32 = 8;
const PERMUTATION: [usize; 16] = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
/// The message word order of each of the 7 rounds: the permutation applied round after round.
const SCHEDULE: [[usize; 16]; 7] = {
    let mut out = [[0usize; 16]; 7];
    let mut order = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    let mut round = 0;
    while round < 7 {
        out[round] = order;
        let mut next = [0usize; 16];
        let mut i = 0;
        while i < 16 {
            next[i] = order[PERMUTATION[i]];
            i += 1;
        }
        order = next;
        round += 1;
    }
    out
};

/// 32-bit words, one per lane, and the operations BLAKE3 needs on them.
trait Lanes: Copy {
    fn splat(word: u32) -> Self;
    /// The first `LANES` words of `words`.
    fn load(words: &[u32; MAX_LANES]) -> Self;
    /// Block `j` of every lane's message, one vector per message word (the transpose of
    /// the lanes' blocks).
    fn block(messages: &Messages, j: usize) -> [Self; 16];
    fn store(self, out: &mut [u32; MAX_LANES]);
    fn add(self, other: Self) -> Self;
    fn xor(self, other: Self) -> Self;
    fn ror16(self) -> Self;
    fn ror12(self) -> Self;
    fn ror8(self) -> Self;
    fn ror7(self) -> Self;
}

/// The quarter-round on columns `a, b, c, d` of every lane's state.
#[inline(always)]
fn g<V: Lanes>(s: &mut [V; 16], [a, b, c, d]: [usize; 4], x: V, y: V) {
    s[a] = s[a].add(s[b]).add(x);
    s[d] = s[d].xor(s[a]).ror16();
    s[c] = s[c].add(s[d]);
    s[b] = s[b].xor(s[c]).ror12();
    s[a] = s[a].add(s[b]).add(y);
    s[d] = s[d].xor(s[a]).ror8();
    s[c] = s[c].add(s[d]);
    s[b] = s[b].xor(s[c]).ror7();
}

/// One round: the columns, then the diagonals, with the message words in `order`.
#[inline(always)]
fn round<V: Lanes>(s: &mut [V; 16], m: &[V; 16], order: &[usize; 16]) {
    g(s, [0, 4, 8, 12], m[order[0]], m[order[1]]);
    g(s, [1, 5, 9, 13], m[order[2]], m[order[3]]);
    g(s, [2, 6, 10, 14], m[order[4]], m[order[5]]);
    g(s, [3, 7, 11, 15], m[order[6]], m[order[7]]);
    g(s, [0, 5, 10, 15], m[order[8]], m[order[9]]);
    g(s, [1, 6, 11, 12], m[order[10]], m[order[11]]);
    g(s, [2, 7, 8, 13], m[order[12]], m[order[13]]);
    g(s, [3, 4, 9, 14], m[order[14]], m[order[15]]);
}

/// One compression per lane (counter 0: every message is a single chunk), in place on the
/// chaining values.
#[inline(always)]
fn compress<V: Lanes>(cv: &mut [V; 8], m: &[V; 16], block_len: V, flags: V) {
    let iv = |i: usize| V::splat(IV[i]);
    let zero = V::splat(0);
    #[rustfmt::skip]
    let mut s = [
        cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7],
        iv(0), iv(1), iv(2), iv(3), zero, zero, block_len, flags,
    ];
    // Unrolled by hand so every message index is a constant (the words stay in registers).
    round(&mut s, m, &SCHEDULE[0]);
    round(&mut s, m, &SCHEDULE[1]);
    round(&mut s, m, &SCHEDULE[2]);
    round(&mut s, m, &SCHEDULE[3]);
    round(&mut s, m, &SCHEDULE[4]);
    round(&mut s, m, &SCHEDULE[5]);
    round(&mut s, m, &SCHEDULE[6]);
    for i in 0..8 {
        cv[i] = s[i].xor(s[i + 8]);
    }
}

/// BLAKE3 of every laid-out message, one per lane: block `j` of every message goes through
/// one compression; a lane whose message has ended computes garbage that is never read.
#[inline(always)]
fn hash_lanes<V: Lanes>(messages: &Messages, layout: &Layout, out: &mut [ChainHash; MAX_LANES]) {
    let mut cv: [V; 8] = std::array::from_fn(|i| V::splat(IV[i]));
    for j in 0..layout.max_blocks {
        let (mut block_len, mut flags) = ([0u32; MAX_LANES], [0u32; MAX_LANES]);
        let mut ending = false;
        for lane in 0..layout.lanes {
            let last = j + 1 == layout.blocks[lane] as usize;
            ending |= last;
            block_len[lane] = if last { layout.last_len[lane] } else { BLOCK_LEN as u32 };
            flags[lane] = if j == 0 { CHUNK_START } else { 0 } | if last { CHUNK_END | ROOT } else { 0 };
        }
        compress(&mut cv, &V::block(messages, j), V::load(&block_len), V::load(&flags));
        if !ending {
            continue;
        }
        let mut state = [[0u32; MAX_LANES]; 8];
        for (word, lanes) in cv.iter().zip(&mut state) {
            word.store(lanes);
        }
        for lane in (0..layout.lanes).filter(|&lane| j + 1 == layout.blocks[lane] as usize) {
            for (w, lanes) in state.iter().enumerate() {
                out[lane].0[4 * w..4 * w + 4].copy_from_slice(&lanes[lane].to_le_bytes());
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The lanes on x86-64 vector registers. The vector types are private and only built
    //! inside the `#[target_feature]` entry points, which run only after detection: that is
    //! what makes the safe `Lanes` methods sound.

    use std::arch::x86_64::*;

    use super::{BLOCK_LEN, CHUNK_LEN, ChainHash, Lanes, Layout, MAX_LANES, Messages, hash_lanes};

    #[derive(Clone, Copy)]
    struct Avx2(__m256i);

    #[derive(Clone, Copy)]
    struct Avx512(__m512i);

    /// # Safety
    /// The CPU supports AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn hash_avx2(messages: &Messages, layout: &Layout, out: &mut [ChainHash; MAX_LANES]) {
        assert!(layout.lanes <= 8);
        hash_lanes::<Avx2>(messages, layout, out);
    }

    /// # Safety
    /// The CPU supports AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn hash_avx512(messages: &Messages, layout: &Layout, out: &mut [ChainHash; MAX_LANES]) {
        hash_lanes::<Avx512>(messages, layout, out);
    }

    /// Where block `j` of `lanes` lanes' messages starts, each checked to hold `len` bytes
    /// from `at` (the lanes without a message read old bytes, never outside).
    #[inline(always)]
    fn block_starts<const LANES: usize>(messages: &Messages, j: usize, at: usize, len: usize) -> [*const u8; LANES] {
        assert!(j * BLOCK_LEN + at + len <= CHUNK_LEN && LANES * CHUNK_LEN <= messages.bytes.len());
        std::array::from_fn(|lane| messages.bytes[lane * CHUNK_LEN + j * BLOCK_LEN + at..].as_ptr())
    }

    // SAFETY (every block below): an `Avx2` exists only inside `hash_avx2`, on a CPU with
    // AVX2; loads and stores read or write 32 bytes of a 64-byte array; block loads read
    // inside `Messages` (`block_starts`).
    impl Lanes for Avx2 {
        #[inline(always)]
        fn splat(word: u32) -> Self {
            Avx2(unsafe { _mm256_set1_epi32(word as i32) })
        }
        #[inline(always)]
        fn load(words: &[u32; MAX_LANES]) -> Self {
            Avx2(unsafe { _mm256_loadu_si256(words.as_ptr().cast()) })
        }
        #[inline(always)]
        fn store(self, out: &mut [u32; MAX_LANES]) {
            unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), self.0) }
        }
        /// Two 8×8 transposes of 32-bit words: words 0–7, then 8–15.
        #[inline(always)]
        fn block(messages: &Messages, j: usize) -> [Self; 16] {
            let mut out = [Avx2(unsafe { _mm256_setzero_si256() }); 16];
            for half in 0..2 {
                let starts = block_starts::<8>(messages, j, 32 * half, 32);
                let rows: [__m256i; 8] = std::array::from_fn(|lane| unsafe { _mm256_loadu_si256(starts[lane].cast()) });
                // Pairs of lanes interleaved, then quads: 128-bit half `q` of `quads[g][k]` is
                // word 4q + k of lanes 4g..4g+4.
                let pairs: [__m256i; 8] = std::array::from_fn(|i| {
                    let (a, b) = (rows[i / 2 * 2], rows[i / 2 * 2 + 1]);
                    unsafe { if i % 2 == 0 { _mm256_unpacklo_epi32(a, b) } else { _mm256_unpackhi_epi32(a, b) } }
                });
                let quads: [[__m256i; 4]; 2] = std::array::from_fn(|g| {
                    let [p0, p1, p2, p3] = [pairs[4 * g], pairs[4 * g + 1], pairs[4 * g + 2], pairs[4 * g + 3]];
                    unsafe {
                        [
                            _mm256_unpacklo_epi64(p0, p2),
                            _mm256_unpackhi_epi64(p0, p2),
                            _mm256_unpacklo_epi64(p1, p3),
                            _mm256_unpackhi_epi64(p1, p3),
                        ]
                    }
                });
                for k in 0..4 {
                    let (a, b) = (quads[0][k], quads[1][k]);
                    out[8 * half + k] = Avx2(unsafe { _mm256_permute2x128_si256::<0x20>(a, b) });
                    out[8 * half + 4 + k] = Avx2(unsafe { _mm256_permute2x128_si256::<0x31>(a, b) });
                }
            }
            out
        }
        #[inline(always)]
        fn add(self, other: Self) -> Self {
            Avx2(unsafe { _mm256_add_epi32(self.0, other.0) })
        }
        #[inline(always)]
        fn xor(self, other: Self) -> Self {
            Avx2(unsafe { _mm256_xor_si256(self.0, other.0) })
        }
        #[inline(always)]
        fn ror16(self) -> Self {
            let bytes = unsafe {
                _mm256_set_epi8(
                    13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2, 13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1,
                    0, 3, 2,
                )
            };
            Avx2(unsafe { _mm256_shuffle_epi8(self.0, bytes) })
        }
        #[inline(always)]
        fn ror12(self) -> Self {
            Avx2(unsafe { _mm256_or_si256(_mm256_srli_epi32::<12>(self.0), _mm256_slli_epi32::<20>(self.0)) })
        }
        #[inline(always)]
        fn ror8(self) -> Self {
            let bytes = unsafe {
                _mm256_set_epi8(
                    12, 15, 14, 13, 8, 11, 10, 9, 4, 7, 6, 5, 0, 3, 2, 1, 12, 15, 14, 13, 8, 11, 10, 9, 4, 7, 6, 5, 0,
                    3, 2, 1,
                )
            };
            Avx2(unsafe { _mm256_shuffle_epi8(self.0, bytes) })
        }
        #[inline(always)]
        fn ror7(self) -> Self {
            Avx2(unsafe { _mm256_or_si256(_mm256_srli_epi32::<7>(self.0), _mm256_slli_epi32::<25>(self.0)) })
        }
    }

    // SAFETY (every block below): an `Avx512` exists only inside `hash_avx512`, on a CPU
    // with AVX-512F; loads and stores read or write the whole 64-byte array; block loads read
    // inside `Messages` (`block_starts`).
    impl Lanes for Avx512 {
        #[inline(always)]
        fn splat(word: u32) -> Self {
            Avx512(unsafe { _mm512_set1_epi32(word as i32) })
        }
        #[inline(always)]
        fn load(words: &[u32; MAX_LANES]) -> Self {
            Avx512(unsafe { _mm512_loadu_si512(words.as_ptr().cast()) })
        }
        #[inline(always)]
        fn store(self, out: &mut [u32; MAX_LANES]) {
            unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), self.0) }
        }
        /// A 16×16 transpose of 32-bit words.
        #[inline(always)]
        fn block(messages: &Messages, j: usize) -> [Self; 16] {
            let starts = block_starts::<16>(messages, j, 0, BLOCK_LEN);
            let rows: [__m512i; 16] = std::array::from_fn(|lane| unsafe { _mm512_loadu_si512(starts[lane].cast()) });
            // Pairs of lanes interleaved, then quads: 128-bit lane `q` of `quads[g][k]` is
            // word 4q + k of lanes 4g..4g+4.
            let pairs: [__m512i; 16] = std::array::from_fn(|i| {
                let (a, b) = (rows[i / 2 * 2], rows[i / 2 * 2 + 1]);
                unsafe { if i % 2 == 0 { _mm512_unpacklo_epi32(a, b) } else { _mm512_unpackhi_epi32(a, b) } }
            });
            let quads: [[__m512i; 4]; 4] = std::array::from_fn(|g| {
                let [p0, p1, p2, p3] = [pairs[4 * g], pairs[4 * g + 1], pairs[4 * g + 2], pairs[4 * g + 3]];
                unsafe {
                    [
                        _mm512_unpacklo_epi64(p0, p2),
                        _mm512_unpackhi_epi64(p0, p2),
                        _mm512_unpacklo_epi64(p1, p3),
                        _mm512_unpackhi_epi64(p1, p3),
                    ]
                }
            });
            // Then the 4×4 transpose of 128-bit lanes: word 4q + k of all 16 lanes.
            let mut out = [Avx512(unsafe { _mm512_setzero_si512() }); 16];
            for k in 0..4 {
                let [a, b, c, d] = [quads[0][k], quads[1][k], quads[2][k], quads[3][k]];
                unsafe {
                    let (ab01, ab23) = (_mm512_shuffle_i32x4::<0x44>(a, b), _mm512_shuffle_i32x4::<0xEE>(a, b));
                    let (cd01, cd23) = (_mm512_shuffle_i32x4::<0x44>(c, d), _mm512_shuffle_i32x4::<0xEE>(c, d));
                    out[k] = Avx512(_mm512_shuffle_i32x4::<0x88>(ab01, cd01));
                    out[4 + k] = Avx512(_mm512_shuffle_i32x4::<0xDD>(ab01, cd01));
                    out[8 + k] = Avx512(_mm512_shuffle_i32x4::<0x88>(ab23, cd23));
                    out[12 + k] = Avx512(_mm512_shuffle_i32x4::<0xDD>(ab23, cd23));
                }
            }
            out
        }
        #[inline(always)]
        fn add(self, other: Self) -> Self {
            Avx512(unsafe { _mm512_add_epi32(self.0, other.0) })
        }
        #[inline(always)]
        fn xor(self, other: Self) -> Self {
            Avx512(unsafe { _mm512_xor_si512(self.0, other.0) })
        }
        #[inline(always)]
        fn ror16(self) -> Self {
            Avx512(unsafe { _mm512_ror_epi32::<16>(self.0) })
        }
        #[inline(always)]
        fn ror12(self) -> Self {
            Avx512(unsafe { _mm512_ror_epi32::<12>(self.0) })
        }
        #[inline(always)]
        fn ror8(self) -> Self {
            Avx512(unsafe { _mm512_ror_epi32::<8>(self.0) })
        }
        #[inline(always)]
        fn ror7(self) -> Self {
            Avx512(unsafe { _mm512_ror_epi32::<7>(self.0) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bodies of the given lengths, linked into a chain; returns `h(0)`, bodies and hashes.
    fn chain(lengths: impl Iterator<Item = usize>) -> (ChainHash, Vec<Vec<u8>>, Vec<ChainHash>) {
        let first = ChainHash::of_genesis(b"links");
        let bodies: Vec<Vec<u8>> = lengths.map(|len| (0..len).map(|i| (i * 31 + len) as u8).collect()).collect();
        let mut hashes = Vec::new();
        let mut prev = first;
        for body in &bodies {
            prev = prev.link(body);
            hashes.push(prev);
        }
        (first, bodies, hashes)
    }

    fn links<'a>(bodies: &'a [Vec<u8>], hashes: &[ChainHash]) -> Vec<Link<'a>> {
        bodies.iter().zip(hashes).map(|(body, &hash)| Link { body, hash }).collect()
    }

    #[test]
    fn every_engine_agrees_with_the_crate_for_every_length_and_group_size() {
        // 0..=1100 covers every block count of one chunk, both chunk edges and longer inputs.
        let (first, bodies, hashes) = chain(0..=1100);
        for engine in Engine::available() {
            for skip in [0, 1, 5, 13] {
                let links = links(&bodies[skip..], &hashes[skip..]);
                let prev = if skip == 0 { first } else { hashes[skip - 1] };
                assert_eq!(first_broken_with(engine, &prev, &links), None, "{engine:?} skip {skip}");
            }
        }
    }

    proptest::proptest! {
        /// Random chains, some with one link damaged (its stored hash or its body): every
        /// engine finds what a plain walk of the chain finds.
        #[test]
        fn every_engine_finds_what_a_plain_walk_finds(
            bodies in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..1100), 0..40),
            damage in proptest::option::of((proptest::num::usize::ANY, proptest::bool::ANY, proptest::num::usize::ANY)),
        ) {
            let first = ChainHash::of_genesis(b"walk");
            let mut hashes = Vec::new();
            let mut prev = first;
            for body in &bodies {
                prev = prev.link(body);
                hashes.push(prev);
            }
            let mut bodies = bodies;
            if let Some((at, in_body, byte)) = damage.filter(|_| !bodies.is_empty()) {
                let at = at % bodies.len();
                if in_body && !bodies[at].is_empty() {
                    let len = bodies[at].len();
                    bodies[at][byte % len] ^= 0x04;
                } else {
                    hashes[at].0[byte % ChainHash::LEN] ^= 0x04;
                }
            }
            let walked = {
                let mut prev = first;
                bodies.iter().zip(&hashes).position(|(body, hash)| {
                    let broken = prev.link(body) != *hash;
                    prev = *hash;
                    broken
                })
            };
            let links = links(&bodies, &hashes);
            for engine in Engine::available() {
                proptest::prop_assert_eq!(first_broken_with(engine, &first, &links), walked, "{:?}", engine);
            }
        }
    }

    #[test]
    fn the_first_broken_link_is_found_in_every_lane() {
        let (first, bodies, hashes) = chain((0..40).map(|i| 20 + 7 * i));
        for engine in Engine::available() {
            for bad in 0..bodies.len() {
                let mut links = links(&bodies, &hashes);
                links[bad].hash.0[bad % 32] ^= 1;
                assert_eq!(first_broken_with(engine, &first, &links), Some(bad), "{engine:?} hash {bad}");
                let mut body = bodies[bad].clone();
                let at = bad % body.len();
                body[at] ^= 0x80;
                links[bad] = Link { body: &body, hash: hashes[bad] };
                assert_eq!(first_broken_with(engine, &first, &links), Some(bad), "{engine:?} body {bad}");
            }
            let mut links = links(&bodies, &hashes);
            links.swap(3, 4);
            assert_eq!(first_broken_with(engine, &first, &links), Some(3), "{engine:?} reordered");
            assert_eq!(first_broken_with(engine, &hashes[0], &links[..0]), None);
        }
    }
}
