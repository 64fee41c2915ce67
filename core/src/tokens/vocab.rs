//! A vocabulary in memory: token bytes by rank, the index from bytes to rank,
//! and each token's stored last merge. What the encoders ([`super::bpe`],
//! [`super::backtrack`]) and the file format ([`super::vocab_file`]) share;
//! it knows neither how text is merged nor how the file is laid out.

use alloc::vec::Vec;

/// A vocabulary: token bytes by rank, with a hash index from bytes to rank.
pub(crate) struct Vocab {
    /// Token bytes, concatenated in rank order.
    pub(super) bytes: Vec<u8>,
    /// `offsets[r]..offsets[r + 1]` are rank r's bytes (empty: no token).
    pub(super) offsets: Vec<u32>,
    /// Open addressing, one word a slot (0: empty): the bits of `rank_mask`
    /// hold rank + 1, the others a tag (the hash's high bits). The tag is
    /// compared first, so probing past other tokens (every lookup of a
    /// non-token does) rarely reads their bytes; and one word, not two, keeps
    /// the table (2 MiB for o200k_base) half as large to build and to miss in.
    slots: Vec<u32>,
    mask: usize,
    /// Set where a slot holds rank + 1.
    rank_mask: u32,
    /// The longest token's length.
    max_len: usize,
    /// By rank: the two tokens BPE merged last to make it, as the vocabulary
    /// file stores it ([`NO_SPLIT`] for single bytes, literals and holes).
    splits: Vec<[u32; 2]>,
}

/// The split of a token stored as a byte, a literal or a hole.
pub(crate) const NO_SPLIT: [u32; 2] = [u32::MAX; 2];

/// Why vocabulary bytes are not a vocabulary (or tokens cannot be written as one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VocabError {
    /// The bytes do not start as a farebox vocabulary file (FBV3).
    NotAVocabulary,
    /// The file ends inside the named part.
    Truncated(&'static str),
    /// A value no vocabulary holds (what it is).
    Corrupt(&'static str),
    /// Tokens the format cannot hold (what): the writer's side.
    Unwritable(&'static str),
}

impl core::fmt::Display for VocabError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("invalid vocabulary data: ")?;
        match self {
            VocabError::NotAVocabulary => f.write_str("not FBV3 data"),
            VocabError::Truncated(part) => write!(f, "truncated {part}"),
            VocabError::Corrupt(what) | VocabError::Unwritable(what) => f.write_str(what),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for VocabError {}

impl Vocab {
    /// A vocabulary from token bytes concatenated in rank order, their
    /// offsets (`offsets[r]..offsets[r + 1]`; an empty range: no token) and
    /// their last merges if known (else empty: long pieces use the heap).
    pub(crate) fn from_parts(bytes: Vec<u8>, offsets: Vec<u32>, splits: Vec<[u32; 2]>) -> Result<Vocab, VocabError> {
        let count = offsets.len().saturating_sub(1);
        let capacity = (count * 2).next_power_of_two().max(16);
        // Ranks below 2^24 (the file's limit) leave a tag of at least 7 bits.
        let rank_bits = u32::BITS - (count as u32).leading_zeros();
        let mut vocab = Vocab {
            bytes,
            offsets,
            slots: alloc::vec![0; capacity],
            mask: capacity - 1,
            rank_mask: ((1u64 << rank_bits) - 1) as u32,
            max_len: 0,
            splits,
        };
        for rank in 0..count {
            let token = vocab.token(rank as u32);
            if token.is_empty() {
                continue;
            }
            let (h, len) = (hash(token), token.len());
            let tag = vocab.tag(h);
            let mut i = h as usize & vocab.mask;
            while vocab.slots[i] != 0 {
                let other = vocab.slots[i];
                if other & !vocab.rank_mask == tag && vocab.token((other & vocab.rank_mask) - 1) == token {
                    return Err(VocabError::Corrupt("a token appears twice"));
                }
                i = (i + 1) & vocab.mask;
            }
            vocab.slots[i] = tag | (rank as u32 + 1);
            vocab.max_len = vocab.max_len.max(len);
        }
        for b in 0..=255u8 {
            if vocab.rank(&[b]).is_none() {
                return Err(VocabError::Corrupt("a single byte is not a token"));
            }
        }
        Ok(vocab)
    }

    /// Number of ranks (including empty ones).
    pub(crate) fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    #[inline(always)]
    pub(crate) fn token(&self, rank: u32) -> &[u8] {
        let r = rank as usize;
        &self.bytes[self.offsets[r] as usize..self.offsets[r + 1] as usize]
    }

    /// The longest token's length.
    pub(crate) fn max_len(&self) -> usize {
        self.max_len
    }

    /// Whether the vocabulary came with its tokens' last merges.
    pub(crate) fn has_splits(&self) -> bool {
        !self.splits.is_empty()
    }

    /// The last merge of token `rank` as stored, or [`NO_SPLIT`].
    #[inline]
    pub(crate) fn split(&self, rank: u32) -> [u32; 2] {
        self.splits.get(rank as usize).copied().unwrap_or(NO_SPLIT)
    }

    /// The rank of token `a`'s bytes followed by token `b`'s, if that is a token.
    #[inline]
    pub(crate) fn rank_of_pair(&self, a: u32, b: u32, buf: &mut Vec<u8>) -> Option<u32> {
        let (a, b) = (self.token(a), self.token(b));
        if a.len() + b.len() > self.max_len {
            return None;
        }
        buf.clear();
        buf.extend_from_slice(a);
        buf.extend_from_slice(b);
        self.rank(buf)
    }

    /// The rank of `bytes`, if they are a token.
    #[inline]
    pub(crate) fn rank(&self, bytes: &[u8]) -> Option<u32> {
        if bytes.len() > self.max_len {
            return None;
        }
        self.find(bytes, hash(bytes))
    }

    /// [`Vocab::rank`] of bytes whose [`hash`] is `h`.
    #[inline]
    pub(crate) fn find(&self, bytes: &[u8], h: u64) -> Option<u32> {
        let tag = self.tag(h);
        let mut i = h as usize & self.mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return None;
            }
            let rank = (slot & self.rank_mask).wrapping_sub(1);
            if slot & !self.rank_mask == tag && self.token(rank) == bytes {
                return Some(rank);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The bits of a slot above the rank: the hash's highest (the lowest
    /// choose the slot).
    #[inline(always)]
    fn tag(&self, h: u64) -> u32 {
        (h >> 32) as u32 & !self.rank_mask
    }
}

/// FxHash over 8-byte words: fast, and good enough for a table at most half full.
#[inline(always)]
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h: u64 = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    }
    // The last 1–7 bytes in at most two loads, no copy (a `memcpy` call per
    // token was a third of the vocabulary's load time): 4–7 bytes as their
    // first and last four (overlapping), 1–3 as the first, middle and last
    // byte. Either reads every byte, and the length is already in `h`.
    let rest = chunks.remainder();
    let n = rest.len();
    let word = match n {
        0 => None,
        1..=3 => Some(u64::from(rest[0]) | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]) << 16),
        _ => {
            let four = |at: usize| u64::from(u32::from_le_bytes([rest[at], rest[at + 1], rest[at + 2], rest[at + 3]]));
            Some(four(0) | four(n - 4) << 32)
        }
    };
    if let Some(word) = word {
        h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

/// The 256 bytes, then `ab`, `bc` and `abc` stored as `abc_split`: the
/// encoders' tests' vocabulary.
#[cfg(test)]
pub(super) fn tiny(abc_split: [u32; 2]) -> Vocab {
    let mut bytes: Vec<u8> = (0..=255).collect();
    bytes.extend_from_slice(b"abbcabc");
    let mut offsets: Vec<u32> = (0..=256).collect();
    offsets.extend([258, 260, 263]);
    let mut splits = alloc::vec![NO_SPLIT; 256];
    splits.extend([[97, 98], [98, 99], abc_split]);
    Vocab::from_parts(bytes, offsets, splits).unwrap()
}
