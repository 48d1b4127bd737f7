//! bincode's standard encoding (little-endian, varint integers), written and read by hand
//! for what every record carries: the envelope, and the payloads that override
//! [`super::Payload::encode_wire`]/[`super::Payload::decode_wire`].
//!
//! Why: records are encoded once and decoded on every scan, and bincode's own machinery
//! (serde's visitors, its reader and limit traits) cost about twice this for an envelope
//! (measured: 160 ns against 85). The bytes are bincode's exactly; tests hold the two
//! equal, so journals written either way read the same.
//!
//! The rules: an unsigned integer below 251 is one byte; else a tag (251, 252, 253, 254)
//! and 2, 4, 8 or 16 little-endian bytes. A signed one is zigzagged first. `u8` is its raw
//! byte. A string or byte string is its length then its bytes; an option a 0/1 byte then the
//! value; an enum variant its index (`u32`) then its fields.

use rust_decimal::Decimal;
use uuid::Uuid;

/// Appends values to a buffer in bincode's encoding.
pub struct WireWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> WireWriter<'a> {
    #[inline]
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        WireWriter { out }
    }

    #[inline]
    pub fn u8(&mut self, value: u8) {
        self.out.push(value);
    }

    #[inline]
    pub fn u64(&mut self, value: u64) {
        match value {
            0..=250 => self.out.push(value as u8),
            251..=0xFFFF => {
                self.out.push(251);
                self.out.extend_from_slice(&(value as u16).to_le_bytes());
            }
            0x1_0000..=0xFFFF_FFFF => {
                self.out.push(252);
                self.out.extend_from_slice(&(value as u32).to_le_bytes());
            }
            _ => {
                self.out.push(253);
                self.out.extend_from_slice(&value.to_le_bytes());
            }
        }
    }

    #[inline]
    pub fn u128(&mut self, value: u128) {
        match u64::try_from(value) {
            Ok(value) => self.u64(value),
            Err(_) => {
                self.out.push(254);
                self.out.extend_from_slice(&value.to_le_bytes());
            }
        }
    }

    #[inline]
    pub fn i64(&mut self, value: i64) {
        self.u64(((value << 1) ^ (value >> 63)) as u64);
    }

    #[inline]
    pub fn i128(&mut self, value: i128) {
        self.u128(((value << 1) ^ (value >> 127)) as u128);
    }

    /// An enum variant's index.
    #[inline]
    pub fn variant(&mut self, index: u32) {
        self.u64(u64::from(index));
    }

    #[inline]
    pub fn bytes(&mut self, value: &[u8]) {
        self.u64(value.len() as u64);
        self.out.extend_from_slice(value);
    }

    #[inline]
    pub fn str(&mut self, value: &str) {
        self.bytes(value.as_bytes());
    }

    /// An option's tag; the value, if any, follows.
    #[inline]
    pub fn some(&mut self, present: bool) {
        self.out.push(u8::from(present));
    }

    /// A UUID as serde writes it in binary formats: a 16-byte byte string.
    #[inline]
    pub fn uuid(&mut self, value: &Uuid) {
        self.bytes(value.as_bytes());
    }

    /// A decimal as `crate::domain::decimal` writes it: `(scale: u8, mantissa: i128)`.
    #[inline]
    pub fn decimal(&mut self, value: &Decimal) {
        self.u8(value.scale() as u8);
        self.i128(value.mantissa());
    }
}

/// Why bytes did not decode: what was wrong, and the offset where it was found. `Copy`, with
/// no drop glue: a `String` error made every read's result larger and owned, and decoding
/// slower (with the fast paths below, 1,918 → 1,153 instructions an event); it becomes text
/// only when reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireError {
    pub at: usize,
    pub fault: WireFault,
}

/// What was wrong with the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireFault {
    /// More bytes were wanted than remain.
    PastEnd {
        wanted: usize,
    },
    IntegerTag(u8),
    OptionTag(u8),
    /// A length that does not fit the address space.
    Length(u64),
    NotUtf8,
    UuidLength(usize),
    /// A decimal's scale above 28 or mantissa beyond 96 bits.
    Decimal {
        scale: u8,
    },
    NoVariant {
        of: &'static str,
        index: u32,
    },
    /// Bytes left after a complete value.
    Trailing(usize),
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.fault {
            WireFault::PastEnd { wanted } => write!(f, "{wanted} bytes wanted at offset {}, past the end", self.at),
            WireFault::IntegerTag(tag) => write!(f, "bad integer tag {tag} at offset {}", self.at),
            WireFault::OptionTag(tag) => write!(f, "bad option tag {tag} at offset {}", self.at),
            WireFault::Length(len) => write!(f, "a length of {len} at offset {}", self.at),
            WireFault::NotUtf8 => write!(f, "a string at offset {} is not UTF-8", self.at),
            WireFault::UuidLength(len) => write!(f, "a UUID of {len} bytes at offset {}", self.at),
            WireFault::Decimal { scale } => write!(f, "a decimal out of range (scale {scale}) at offset {}", self.at),
            WireFault::NoVariant { of, index } => write!(f, "{of} has no variant {index} (offset {})", self.at),
            WireFault::Trailing(n) => write!(f, "{n} trailing bytes after offset {}", self.at),
        }
    }
}

impl std::error::Error for WireError {}

/// Reads values from bytes in bincode's encoding; every read is bounds-checked, so any
/// bytes give a value or an error, never a panic.
pub struct WireReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> WireReader<'a> {
    #[inline]
    pub fn new(bytes: &'a [u8]) -> Self {
        WireReader { bytes, at: 0 }
    }

    /// Bytes read so far.
    #[inline]
    pub fn position(&self) -> usize {
        self.at
    }

    /// An error found at offset `at`.
    #[cold]
    fn fault(at: usize, fault: WireFault) -> WireError {
        WireError { at, fault }
    }

    /// An error at the current offset, for a variant index no type has.
    #[cold]
    pub fn no_variant(&self, of: &'static str, index: u32) -> WireError {
        WireError { at: self.at, fault: WireFault::NoVariant { of, index } }
    }

    /// Refuses bytes left over after a complete value.
    #[inline]
    pub fn finish(&self) -> Result<(), WireError> {
        match self.bytes.len() - self.at {
            0 => Ok(()),
            trailing => Err(Self::fault(self.at, WireFault::Trailing(trailing))),
        }
    }

    #[inline]
    fn take<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let taken = self.slice(N)?;
        Ok(taken.try_into().expect("slice of N bytes"))
    }

    #[inline]
    fn slice(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        match self.bytes.get(self.at..).and_then(|rest| rest.get(..len)) {
            Some(taken) => {
                self.at += len;
                Ok(taken)
            }
            None => Err(Self::fault(self.at, WireFault::PastEnd { wanted: len })),
        }
    }

    #[inline]
    pub fn u8(&mut self) -> Result<u8, WireError> {
        match self.bytes.get(self.at) {
            Some(&byte) => {
                self.at += 1;
                Ok(byte)
            }
            None => Err(Self::fault(self.at, WireFault::PastEnd { wanted: 1 })),
        }
    }

    /// A varint of at most 64 bits whose tag may be at most `widest` (251: u16, 252: u32,
    /// 253: u64). With 9 bytes left, the tag and the widest value's bytes are read as one
    /// window and the tag picks the width, no branch to a call (engine times are all 9
    /// bytes); near the end, [`WireReader::short_varint`] reads byte by byte.
    #[inline]
    fn varint(&mut self, widest: u8) -> Result<u64, WireError> {
        if let Some(window) = self.bytes.get(self.at..self.at + 9) {
            let tag = window[0];
            let word = u64::from_le_bytes(window[1..].try_into().expect("8 bytes"));
            let (value, len) = match tag {
                0..=250 => (u64::from(tag), 1),
                251 if widest >= 251 => (word & 0xffff, 3),
                252 if widest >= 252 => (word & 0xffff_ffff, 5),
                253 if widest >= 253 => (word, 9),
                _ => return Err(Self::fault(self.at, WireFault::IntegerTag(tag))),
            };
            self.at += len;
            return Ok(value);
        }
        self.short_varint(widest)
    }

    /// [`WireReader::varint`] where fewer than 9 bytes are left: the same values and errors.
    fn short_varint(&mut self, widest: u8) -> Result<u64, WireError> {
        let tag = self.u8()?;
        if tag <= 250 {
            return Ok(u64::from(tag));
        }
        self.wide_varint(tag, widest)
    }

    /// The bytes after a varint's tag (251, 252 or 253).
    fn wide_varint(&mut self, tag: u8, widest: u8) -> Result<u64, WireError> {
        match tag {
            251 if widest >= 251 => Ok(u64::from(u16::from_le_bytes(self.take()?))),
            252 if widest >= 252 => Ok(u64::from(u32::from_le_bytes(self.take()?))),
            253 if widest >= 253 => Ok(u64::from_le_bytes(self.take()?)),
            _ => Err(Self::fault(self.at - 1, WireFault::IntegerTag(tag))),
        }
    }

    #[inline]
    pub fn u16(&mut self) -> Result<u16, WireError> {
        Ok(self.varint(251)? as u16)
    }

    #[inline]
    pub fn u32(&mut self) -> Result<u32, WireError> {
        Ok(self.varint(252)? as u32)
    }

    #[inline]
    pub fn u64(&mut self) -> Result<u64, WireError> {
        self.varint(253)
    }

    #[inline]
    pub fn i64(&mut self) -> Result<i64, WireError> {
        let zigzag = self.u64()?;
        Ok(((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64))
    }

    #[inline]
    pub fn i128(&mut self) -> Result<i128, WireError> {
        let zigzag = match self.bytes.get(self.at) {
            Some(254) => {
                self.at += 1;
                u128::from_le_bytes(self.take()?)
            }
            _ => u128::from(self.u64()?),
        };
        Ok(((zigzag >> 1) as i128) ^ -((zigzag & 1) as i128))
    }

    /// An enum variant's index.
    #[inline]
    pub fn variant(&mut self) -> Result<u32, WireError> {
        self.u32()
    }

    #[inline]
    pub fn bytes(&mut self) -> Result<&'a [u8], WireError> {
        let at = self.at;
        let len = self.u64()?;
        let len = usize::try_from(len).map_err(|_| Self::fault(at, WireFault::Length(len)))?;
        self.slice(len)
    }

    #[inline]
    pub fn str(&mut self) -> Result<&'a str, WireError> {
        let at = self.at;
        let bytes = self.bytes()?;
        // Ids and names are ASCII: a few word compares tell, where the general validation
        // cost ~50 instructions a short string (15% of decoding an event).
        if bytes.is_ascii() {
            // SAFETY: every byte is below 0x80, and ASCII is valid UTF-8.
            return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
        }
        std::str::from_utf8(bytes).map_err(|_| Self::fault(at, WireFault::NotUtf8))
    }

    /// An option's tag: whether a value follows.
    #[inline]
    pub fn some(&mut self) -> Result<bool, WireError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(Self::fault(self.at - 1, WireFault::OptionTag(tag))),
        }
    }

    /// `Some(read(self))` if the option's tag says a value follows.
    #[inline]
    pub fn option<T>(&mut self, read: impl FnOnce(&mut Self) -> Result<T, WireError>) -> Result<Option<T>, WireError> {
        if self.some()? { read(self).map(Some) } else { Ok(None) }
    }

    #[inline]
    pub fn uuid(&mut self) -> Result<Uuid, WireError> {
        let at = self.at;
        let bytes = self.bytes()?;
        match <[u8; 16]>::try_from(bytes) {
            Ok(bytes) => Ok(Uuid::from_bytes(bytes)),
            Err(_) => Err(Self::fault(at, WireFault::UuidLength(bytes.len()))),
        }
    }

    /// A decimal as `crate::domain::decimal` writes it, validated (scale ≤ 28, the mantissa
    /// within 96 bits).
    #[inline]
    pub fn decimal(&mut self) -> Result<Decimal, WireError> {
        let at = self.at;
        let scale = self.u8()?;
        let mantissa = self.i128()?;
        Decimal::try_from_i128_with_scale(mantissa, u32::from(scale))
            .map_err(|_| Self::fault(at, WireFault::Decimal { scale }))
    }
}

#[cfg(test)]
mod tests {
    use compact_str::CompactString;
    use proptest::prelude::*;
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::journal::codec::{decode_exact, encode_into};

    proptest! {
        /// The window and the byte-by-byte paths agree on every input: value or error, and
        /// where the reader stands after a value (an error ends the read).
        #[test]
        fn a_varint_reads_the_same_through_the_window_and_byte_by_byte(
            bytes in proptest::collection::vec(prop_oneof![any::<u8>(), 250u8..=255], 0..14),
            widest in 251u8..=253,
        ) {
            let (mut window, mut short) = (WireReader::new(&bytes), WireReader::new(&bytes));
            let read = window.varint(widest);
            prop_assert_eq!(read, short.short_varint(widest));
            if read.is_ok() {
                prop_assert_eq!(window.at, short.at);
            }
        }

        #[test]
        fn integers_read_back_as_bincode_wrote_them(a in any::<u16>(), b in any::<u32>(), c in any::<u64>(), d in any::<i64>()) {
            let mut bytes = Vec::new();
            encode_into(&(a, b, c, d), &mut bytes).unwrap();
            let mut r = WireReader::new(&bytes);
            prop_assert_eq!((r.u16().unwrap(), r.u32().unwrap(), r.u64().unwrap(), r.i64().unwrap()), (a, b, c, d));
            prop_assert_eq!(r.finish(), Ok(()));
        }
    }

    /// The vendored `compact_str` builds an inline string from words (`vendor/README.md`):
    /// every length it holds inline, every byte value a string's bytes can take, reads back.
    #[test]
    fn inline_compact_strings_of_every_length_read_back() {
        let texts = (0..=24).flat_map(|len| {
            let ascii: String = (0..len).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect();
            let high: String = (0..len).map(|i| char::from(0x7f - (i % 3) as u8)).collect();
            let multibyte: String = "é".repeat(len / 2) + &"z".repeat(len % 2);
            [ascii, high, multibyte]
        });
        for text in texts {
            let compact = CompactString::from(text.as_str());
            assert!(!compact.is_heap_allocated(), "{text:?}");
            assert_eq!((compact.as_str(), compact.len()), (text.as_str(), text.len()));
            // Out of a longer buffer, as a decoder reads it: only the string's bytes count.
            let around = format!("{text}\u{ff}\u{ff}{text}");
            assert_eq!(CompactString::from(&around[..text.len()]), text);
        }
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Sample {
        a: u8,
        b: u16,
        c: u32,
        d: u64,
        e: i64,
        f: i128,
        g: String,
        h: Option<u64>,
        #[serde(with = "crate::domain::decimal")]
        i: Decimal,
        j: Uuid,
    }

    fn write(sample: &Sample) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = WireWriter::new(&mut out);
        w.u8(sample.a);
        w.u64(u64::from(sample.b));
        w.u64(u64::from(sample.c));
        w.u64(sample.d);
        w.i64(sample.e);
        w.i128(sample.f);
        w.str(&sample.g);
        w.some(sample.h.is_some());
        if let Some(h) = sample.h {
            w.u64(h);
        }
        w.decimal(&sample.i);
        w.uuid(&sample.j);
        out
    }

    fn read(bytes: &[u8]) -> Result<Sample, WireError> {
        let mut r = WireReader::new(bytes);
        let sample = Sample {
            a: r.u8()?,
            b: r.u16()?,
            c: r.u32()?,
            d: r.u64()?,
            e: r.i64()?,
            f: r.i128()?,
            g: r.str()?.to_string(),
            h: r.option(WireReader::u64)?,
            i: r.decimal()?,
            j: r.uuid()?,
        };
        r.finish()?;
        Ok(sample)
    }

    fn sample() -> impl Strategy<Value = Sample> {
        let ints = (any::<u8>(), any::<u16>(), any::<u32>(), any::<u64>(), any::<i64>(), any::<i128>());
        let decimal = (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s));
        let rest = (".{0,300}", proptest::option::of(any::<u64>()), decimal, any::<u128>());
        (ints, rest).prop_map(|((a, b, c, d, e, f), (g, h, i, j))| Sample {
            a,
            b,
            c,
            d,
            e,
            f,
            g,
            h,
            i,
            j: Uuid::from_u128(j),
        })
    }

    proptest! {
        #[test]
        fn hand_written_bytes_are_bincodes_and_read_back(sample in sample()) {
            let mut through_serde = Vec::new();
            encode_into(&sample, &mut through_serde).unwrap();
            prop_assert_eq!(&write(&sample), &through_serde);
            prop_assert_eq!(read(&through_serde).unwrap(), decode_exact::<Sample>(&through_serde).unwrap());
            for cut in 0..through_serde.len() {
                prop_assert!(read(&through_serde[..cut]).is_err());
            }
        }

        #[test]
        fn any_bytes_read_or_fail_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = read(&bytes);
        }
    }

    #[test]
    fn errors_name_the_fault_and_its_offset() {
        let fault = |result: Result<&str, WireError>| result.map(|_| ()).unwrap_err();
        assert_eq!(
            fault(WireReader::new(&[5, b'a', b'b']).str()),
            WireError { at: 1, fault: WireFault::PastEnd { wanted: 5 } }
        );
        assert_eq!(fault(WireReader::new(&[2, 0xC3, 0x28]).str()), WireError { at: 0, fault: WireFault::NotUtf8 });
        assert_eq!(WireReader::new(&[3, b'a', 0xC3, 0xA9]).str(), Ok("aé"), "non-ASCII UTF-8 reads");
        let mut r = WireReader::new(&[1, 7]);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.some(), Err(WireError { at: 1, fault: WireFault::OptionTag(7) }));
        let decimal = WireReader::new(&[29, 2]).decimal().unwrap_err();
        assert_eq!(decimal, WireError { at: 0, fault: WireFault::Decimal { scale: 29 } });
        assert_eq!(decimal.to_string(), "a decimal out of range (scale 29) at offset 0");
    }

    #[test]
    fn integer_tags_wider_than_the_type_and_bad_option_tags_are_refused() {
        assert!(WireReader::new(&[252, 0, 0, 1, 0]).u16().is_err());
        assert!(WireReader::new(&[253, 0, 0, 0, 0, 1, 0, 0, 0]).u32().is_err());
        assert!(WireReader::new(&[255]).u64().is_err());
        assert!(WireReader::new(&[2]).some().is_err());
        assert_eq!(WireReader::new(&[251, 0x34, 0x12]).u16(), Ok(0x1234));
    }
}
