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
    /// the table half as large to build and to miss in. 1.5 slots a token,
    /// not a power of two (o200k_base: 1.2 MiB instead of 2): counting is as
    /// fast (the probes of a lookup share a cache line), and zeroing and
    /// filling less memory takes 1–4 ms off building the vocabulary.
    slots: Vec<u32>,
    /// A Bloom filter of the indexed tokens, two bits of one word each (see
    /// [`Vocab::find`]).
    filter: Vec<u64>,
    /// The two-byte tokens, answered without the index.
    two: TwoBytes,
    /// Set where a slot holds rank + 1.
    rank_mask: u32,
    /// The longest token's length.
    max_len: usize,
    /// By rank: the two tokens BPE merged last to make it, as the vocabulary
    /// file stores it ([`NO_SPLIT`] for single bytes, literals and holes).
    splits: Vec<[u32; 2]>,
    /// The added tokens (Hugging Face's `added_tokens`: `<|eot_id|>`, ...),
    /// by their bytes in ascending order: matched in the text before it is
    /// split, one token each, and never made by merging, so they are not in
    /// the index.
    added: Vec<u32>,
    /// Bit b set: some added token begins with byte b. Text is scanned for
    /// these bytes only (Llama 3's all begin with `<`), so that a text
    /// without them costs one table test per byte.
    added_first: [u64; 4],
}

/// The filter's bits per token (rounded up to a power of two of words):
/// with two bits set in one word each, about 4% of strings that are not
/// tokens get past it.
const FILTER_BITS: usize = 10;

/// The split of a token stored as a byte, a literal or a hole.
pub(crate) const NO_SPLIT: [u32; 2] = [u32::MAX; 2];

/// Why vocabulary bytes are not a vocabulary (or tokens cannot be written as one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VocabError {
    /// The bytes do not start as a farebox vocabulary file (FBV4).
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
            VocabError::NotAVocabulary => f.write_str("not FBV4 data"),
            VocabError::Truncated(part) => write!(f, "truncated {part}"),
            VocabError::Corrupt(what) | VocabError::Unwritable(what) => f.write_str(what),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for VocabError {}

impl Vocab {
    /// A vocabulary from token bytes concatenated in rank order, their
    /// offsets (`offsets[r]..offsets[r + 1]`; an empty range: no token),
    /// their last merges if known (else empty: long pieces use the heap) and
    /// the ranks of the added tokens (matched in text, never merged).
    pub(crate) fn from_parts(
        bytes: Vec<u8>,
        offsets: Vec<u32>,
        splits: Vec<[u32; 2]>,
        mut added: Vec<u32>,
    ) -> Result<Vocab, VocabError> {
        added.sort_unstable();
        let mut vocab = Vocab::indexed(bytes, offsets, splits, &added)?;
        for b in 0..=255u8 {
            if vocab.rank(&[b]).is_none() {
                return Err(VocabError::Corrupt("a single byte is not a token"));
            }
        }
        // Whole UTF-8 text, so that a match in text starts and ends on char boundaries.
        if added.iter().any(|&r| vocab.token(r).is_empty() || core::str::from_utf8(vocab.token(r)).is_err()) {
            return Err(VocabError::Corrupt("an added token that is not text"));
        }
        added.sort_by(|&a, &b| vocab.token(a).cmp(vocab.token(b)));
        if added.windows(2).any(|w| vocab.token(w[0]) == vocab.token(w[1])) {
            return Err(VocabError::Corrupt("an added token appears twice"));
        }
        for &r in &added {
            let b = vocab.token(r)[0];
            vocab.added_first[usize::from(b >> 6)] |= 1 << (b & 63);
        }
        vocab.added = added;
        Ok(vocab)
    }

    /// The index alone, with no rule on which strings are tokens and no
    /// added tokens: a SentencePiece vocabulary has no token for most single
    /// bytes (it falls back to byte pieces, which are not text).
    pub(crate) fn index(bytes: Vec<u8>, offsets: Vec<u32>, splits: Vec<[u32; 2]>) -> Result<Vocab, VocabError> {
        Vocab::indexed(bytes, offsets, splits, &[])
    }

    /// The bytes → rank index of every token but the `added` ones (sorted
    /// ranks: matched in text, never looked up as a piece).
    fn indexed(bytes: Vec<u8>, offsets: Vec<u32>, splits: Vec<[u32; 2]>, added: &[u32]) -> Result<Vocab, VocabError> {
        let count = offsets.len().saturating_sub(1);
        let capacity = (count + count / 2).max(16);
        // Ranks below 2^24 (the file's limit) leave a tag of at least 7 bits.
        let rank_bits = u32::BITS - (count as u32).leading_zeros();
        let mut vocab = Vocab {
            bytes,
            offsets,
            slots: alloc::vec![0; capacity],
            filter: alloc::vec![0; (count * FILTER_BITS / 64).next_power_of_two().max(1)],
            two: TwoBytes::default(),
            rank_mask: ((1u64 << rank_bits) - 1) as u32,
            max_len: 0,
            splits,
            added: Vec::new(),
            added_first: [0; 4],
        };
        if added.windows(2).any(|w| w[0] == w[1]) || added.last().is_some_and(|&r| r as usize >= count) {
            return Err(VocabError::Corrupt("an added token's rank"));
        }
        let mut two = Vec::new();
        for rank in 0..count {
            let token = vocab.token(rank as u32);
            if token.is_empty() || added.binary_search(&(rank as u32)).is_ok() {
                continue;
            }
            let (h, len) = (hash(token), token.len());
            if let [a, b] = *token {
                two.push((u16::from_be_bytes([a, b]), rank as u32));
            }
            let tag = vocab.tag(h);
            let mut i = vocab.home(h);
            while vocab.slots[i] != 0 {
                let other = vocab.slots[i];
                if other & !vocab.rank_mask == tag && vocab.token((other & vocab.rank_mask) - 1) == token {
                    return Err(VocabError::Corrupt("a token appears twice"));
                }
                i = vocab.next(i);
            }
            vocab.slots[i] = tag | (rank as u32 + 1);
            let (word, bits) = vocab.filter_bits(h);
            vocab.filter[word] |= bits;
            vocab.max_len = vocab.max_len.max(len);
        }
        vocab.two = TwoBytes::new(&two);
        Ok(vocab)
    }

    /// Whether the vocabulary has added tokens.
    pub(crate) fn has_added(&self) -> bool {
        !self.added.is_empty()
    }

    /// The added tokens' ranks (never made by merging).
    pub(crate) fn added(&self) -> &[u32] {
        &self.added
    }

    /// The added token that starts `text` (the longest, when one is a
    /// prefix of another), if any. Narrows the sorted list byte by byte, so
    /// a failed try costs a few comparisons whatever the number of added
    /// tokens (a text of a million `<` stays linear).
    pub(crate) fn added_at(&self, text: &[u8]) -> Option<u32> {
        let first = *text.first()?;
        if self.added_first[usize::from(first >> 6)] >> (first & 63) & 1 == 0 {
            return None;
        }
        let (mut lo, mut hi, mut found) = (0, self.added.len(), None);
        for (depth, &byte) in text.iter().enumerate() {
            let slice = &self.added[lo..hi];
            let at = |r: u32| self.token(r).get(depth).copied();
            // Tokens shorter than `depth + 1` sort first within the range.
            let start = slice.partition_point(|&r| at(r).is_none_or(|b| b < byte));
            let end = slice.partition_point(|&r| at(r).is_none_or(|b| b <= byte));
            (lo, hi) = (lo + start, lo + end);
            if lo == hi {
                break;
            }
            if self.token(self.added[lo]).len() == depth + 1 {
                found = Some(self.added[lo]);
            }
        }
        found
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

    /// The rank of token `a`'s bytes followed by token `b`'s, if that is a
    /// token. Hashed and compared in place: copying the two into one buffer
    /// was a `memory.copy` each, which WebAssembly engines run as a call out
    /// of the module (V8: 40,000 a first count of `multilingual.txt`).
    #[inline]
    pub(crate) fn rank_of_pair(&self, a: u32, b: u32) -> Option<u32> {
        let (a, b) = (self.token(a), self.token(b));
        if a.len() + b.len() > self.max_len {
            return None;
        }
        if let ([x], [y]) = (a, b) {
            return self.two.rank(*x, *y);
        }
        self.find_by(hash_pair(a, b), |token| {
            token.len() == a.len() + b.len() && token.starts_with(a) && token.ends_with(b)
        })
    }

    /// The rank of `bytes`, if they are a token.
    #[inline]
    pub(crate) fn rank(&self, bytes: &[u8]) -> Option<u32> {
        if let [a, b] = *bytes {
            return self.two.rank(a, b);
        }
        if bytes.len() > self.max_len {
            return None;
        }
        self.find(bytes, hash(bytes))
    }

    /// [`Vocab::rank`] of bytes whose [`hash`] is `h`.
    #[inline]
    pub(crate) fn find(&self, bytes: &[u8], h: u64) -> Option<u32> {
        self.find_by(h, |token| token == bytes)
    }

    /// [`Vocab::find`] of the string that `is` recognises, whose [`hash`] is `h`.
    #[inline(always)]
    fn find_by(&self, h: u64, is: impl Fn(&[u8]) -> bool) -> Option<u32> {
        // Most lookups are of strings that are not tokens (a merge tries
        // every adjacent pair of parts; counting `cjk.txt` for the first
        // time, 81% of them), and the index is megabytes: each would cost a
        // cache miss on its slot. The filter, a word per 6 tokens, stays in
        // the CPU's cache and turns ~96% of them away without touching it.
        let (word, bits) = self.filter_bits(h);
        if self.filter[word] & bits != bits {
            return None;
        }
        let tag = self.tag(h);
        let mut i = self.home(h);
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return None;
            }
            let rank = (slot & self.rank_mask).wrapping_sub(1);
            if slot & !self.rank_mask == tag && is(self.token(rank)) {
                return Some(rank);
            }
            i = self.next(i);
        }
    }

    /// The slot a hash starts probing at: its low 20 bits scaled to the
    /// table (which is not a power of two). The filter and the tag use
    /// other bits. 2^20 starting points spread a table of up to ~700,000
    /// tokens (the largest vocabulary here has 262,144); a larger one would
    /// be as exact, its probes longer.
    #[inline(always)]
    fn home(&self, h: u64) -> usize {
        (((h & 0xF_FFFF) * self.slots.len() as u64) >> 20) as usize
    }

    /// The slot after `i`, wrapping.
    #[inline(always)]
    fn next(&self, i: usize) -> usize {
        if i + 1 == self.slots.len() {
            0
        } else {
            i + 1
        }
    }

    /// The filter's word and two bits for a hash: bits 20 and up choose
    /// them (the lowest choose the slot, the highest make the tag), so that
    /// a string whose slot or tag collides with a token's does not also
    /// collide in the filter more often than chance.
    #[inline(always)]
    fn filter_bits(&self, h: u64) -> (usize, u64) {
        let word = (h >> 20) as usize & (self.filter.len() - 1);
        (word, 1 << (h >> 36 & 63) | 1 << (h >> 42 & 63))
    }

    /// The bits of a slot above the rank: the hash's highest (the lowest
    /// choose the slot).
    #[inline(always)]
    fn tag(&self, h: u64) -> u32 {
        (h >> 32) as u32 & !self.rank_mask
    }
}

/// The two-byte tokens as a bitmap of all 65,536 byte pairs with their
/// ranks packed behind it (o200k_base: 4,653 tokens in 30 KiB, against the
/// index's megabytes).
///
/// Merging a piece of n bytes starts by looking up its n − 1 pairs of
/// adjacent bytes, and each of its at most n − 1 merges looks up at most two
/// longer strings: pairs are a third or more of its lookups, and here the
/// CPU's first-level cache answers them.
#[derive(Default)]
struct TwoBytes {
    /// Bit `p % 64` of word `p / 64` is set when the pair `p` (first byte
    /// high) is a token.
    bits: Vec<u64>,
    /// By word: how many pairs before it are tokens.
    before: Vec<u32>,
    /// The ranks of the two-byte tokens, in order of their pair.
    ranks: Vec<u32>,
}

impl TwoBytes {
    /// From the two-byte tokens as (pair, rank), in any order.
    fn new(tokens: &[(u16, u32)]) -> TwoBytes {
        let mut two = TwoBytes { bits: alloc::vec![0u64; 1 << 10], before: Vec::new(), ranks: Vec::new() };
        for &(pair, _) in tokens {
            two.bits[usize::from(pair >> 6)] |= 1 << (pair & 63);
        }
        let mut sum = 0;
        two.before = two
            .bits
            .iter()
            .map(|w| {
                let here = sum;
                sum += w.count_ones();
                here
            })
            .collect();
        // Each rank where its pair's position among the set bits says (no sort:
        // a sort's code costs the module more than this table saves).
        two.ranks = alloc::vec![0; tokens.len()];
        for &(pair, rank) in tokens {
            let at = two.index(pair);
            two.ranks[at] = rank;
        }
        two
    }

    /// Where pair `pair`'s rank is, if its bit is set: the set bits before it.
    #[inline(always)]
    fn index(&self, pair: u16) -> usize {
        let (word, bit) = (usize::from(pair >> 6), pair & 63);
        (self.before[word] + (self.bits[word] & ((1 << bit) - 1)).count_ones()) as usize
    }

    /// The rank of the token `[a, b]`, if it is one.
    #[inline(always)]
    fn rank(&self, a: u8, b: u8) -> Option<u32> {
        let pair = u16::from_be_bytes([a, b]);
        let word = *self.bits.get(usize::from(pair >> 6))?;
        if word >> (pair & 63) & 1 == 0 {
            return None;
        }
        self.ranks.get(self.index(pair)).copied()
    }
}

/// The ranks of short byte strings looked up lately, in front of
/// [`Vocab::rank`].
///
/// Merging a piece looks up each adjacent pair of parts, most of them a few
/// bytes long (two letters of Cyrillic, Arabic or Devanagari are 4 bytes, of
/// Chinese 6), and a text's alphabet makes the same pairs again and again.
/// The index is megabytes, so nearly every lookup in it misses the CPU's
/// caches (perf, `multilingual.txt` counted for the first time: 60% of the
/// time on loading the slot, 20% on the token's offsets, the rest comparing
/// bytes). This direct-mapped table of [`RECENT`] entries (48 KiB) answers a
/// string of at most 7 bytes that was looked up before, found or not, from
/// the string itself packed into a word with its length: the whole key is
/// compared, so an answer is the index's. Counting `multilingual.txt` for
/// the first time takes 14% fewer instructions with it, `cjk.txt` 6% fewer
/// (cachegrind); the time it saves is the index's cache misses, which the
/// shared machine measured too noisily to put a number on. (Strings of up to
/// 16 bytes in two words were slower: longer strings repeat less and evict
/// the short ones. 8,192 entries were no better than 4,096.)
#[derive(Default)]
pub(crate) struct Recent {
    /// Packed string (see [`Recent::rank`]), 0 for an empty entry (no string packs to 0).
    keys: Vec<u64>,
    /// Its rank, or `u32::MAX`: not a token.
    ranks: Vec<u32>,
}

/// Entries of [`Recent`] (a power of two).
const RECENT: usize = 1 << 12;

impl Recent {
    /// [`Vocab::rank`] of `bytes`, through the table when they are short.
    #[inline]
    pub(crate) fn rank(&mut self, vocab: &Vocab, bytes: &[u8]) -> Option<u32> {
        let n = bytes.len();
        if n > 7 || n <= 2 {
            return vocab.rank(bytes);
        }
        if self.keys.is_empty() {
            self.keys.resize(RECENT, 0);
            self.ranks.resize(RECENT, 0);
        }
        // Bytes in the low seven bytes, the length in the highest: a unique,
        // non-zero word for every string of 1–7 bytes.
        let key = short_word(bytes) | (n as u64) << 56;
        let i = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - RECENT.trailing_zeros())) as usize;
        if self.keys[i] == key {
            return Some(self.ranks[i]).filter(|&r| r != u32::MAX);
        }
        let rank = vocab.rank(bytes);
        self.keys[i] = key;
        self.ranks[i] = rank.unwrap_or(u32::MAX);
        rank
    }

    /// Forgets every string (a tokenizer's first count after
    /// [`super::Tokenizer::forget`] starts from nothing).
    pub(crate) fn clear(&mut self) {
        self.keys.fill(0);
    }
}

/// FxHash's multiplier.
const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// FxHash over 8-byte words: fast, and good enough for a table at most half full.
#[inline(always)]
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        h = (h.rotate_left(5) ^ short_word(rest)).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

/// [`hash`] of `a` followed by `b`, without joining them.
#[inline]
fn hash_pair(a: &[u8], b: &[u8]) -> u64 {
    let n = a.len() + b.len();
    let mut h: u64 = n as u64;
    let mut at = 0;
    while at < n {
        let len = (n - at).min(8);
        h = (h.rotate_left(5) ^ word_of_pair(a, b, at, len)).wrapping_mul(K);
        at += len;
    }
    h ^ (h >> 29)
}

/// The `len` (1–8) bytes of `a` followed by `b` from `at`, as the
/// little-endian word they spell.
#[inline(always)]
fn word_of_pair(a: &[u8], b: &[u8], at: usize, len: usize) -> u64 {
    let word = |bytes: &[u8]| match bytes.len() {
        8 => u64::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]]),
        _ => short_word(bytes),
    };
    let end = at + len;
    if end <= a.len() {
        word(&a[at..end])
    } else if at >= a.len() {
        word(&b[at - a.len()..end - a.len()])
    } else {
        let left = a.len() - at;
        word(&a[at..]) | word(&b[..len - left]) << (8 * left)
    }
}

/// 1–7 bytes as the little-endian word they spell, in at most two loads
/// and no copy (a `memcpy` call per token was a third of the vocabulary's
/// load time): 4–7 bytes as their first and last four, overlapping (the
/// overlap ORs equal bits), 1–3 as the first, middle and last byte.
#[inline(always)]
fn short_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    debug_assert!((1..=7).contains(&n));
    if n >= 4 {
        let four = |at: usize| u64::from(u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]));
        four(0) | four(n - 4) << (8 * (n - 4))
    } else {
        u64::from(bytes[0]) | u64::from(bytes[n / 2]) << (8 * (n / 2)) | u64::from(bytes[n - 1]) << (8 * (n - 1))
    }
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
    Vocab::from_parts(bytes, offsets, splits, Vec::new()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_tokens_match_longest_first_and_stay_out_of_the_index() {
        let mut bytes: Vec<u8> = (0..=255).collect();
        bytes.extend_from_slice(b"<|a|><|ab|><|");
        let mut offsets: Vec<u32> = (0..=256).collect();
        offsets.extend([261, 267, 269]);
        let vocab = Vocab::from_parts(bytes, offsets, Vec::new(), alloc::vec![256, 257]).unwrap();
        assert_eq!(vocab.added_at(b"<|a|>x"), Some(256));
        assert_eq!(vocab.added_at(b"<|ab|>"), Some(257));
        assert_eq!(vocab.added_at(b"<|ab|"), None);
        assert_eq!(vocab.added_at(b"<<|a|>"), None);
        assert_eq!(vocab.added_at(b""), None);
        assert_eq!(vocab.rank(b"<|a|>"), None, "added tokens are not merged into");
        assert_eq!(vocab.rank(b"<|"), Some(258));
        let dup = Vocab::from_parts((0..=255).collect(), (0..=256).collect(), Vec::new(), alloc::vec![5, 5]);
        assert!(dup.is_err());
    }

    #[test]
    fn a_pair_hashes_and_is_found_as_its_joined_bytes() {
        let text: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37)).collect();
        for n in 2..=text.len() {
            for cut in 1..n {
                let (a, b) = (&text[..cut], &text[cut..n]);
                assert_eq!(hash_pair(a, b), hash(&text[..n]), "{n} bytes cut at {cut}");
            }
        }
        let vocab = tiny(NO_SPLIT);
        let rank = |t: &[u8]| vocab.rank(t).unwrap();
        assert_eq!(vocab.rank_of_pair(rank(b"ab"), rank(b"c")), Some(rank(b"abc")));
        assert_eq!(vocab.rank_of_pair(rank(b"a"), rank(b"bc")), Some(rank(b"abc")));
        assert_eq!(vocab.rank_of_pair(rank(b"a"), rank(b"b")), Some(rank(b"ab")));
        assert_eq!(vocab.rank_of_pair(rank(b"ab"), rank(b"bc")), None);
        assert_eq!(vocab.rank_of_pair(rank(b"c"), rank(b"ab")), None);
    }

    #[test]
    fn recent_answers_as_the_index_does() {
        let vocab = tiny(NO_SPLIT);
        let mut recent = Recent::default();
        // Every string of 1–9 bytes over a small alphabet, three times over
        // (so most answers come from the table, after collisions evicted
        // others), and again after `clear`.
        let alphabet = b"abc\0\xff";
        for round in 0..4 {
            if round == 3 {
                recent.clear();
            }
            for len in 1..=9u32 {
                for mut i in 0..alphabet.len().pow(len.min(5)) {
                    let s: Vec<u8> = (0..len)
                        .map(|_| {
                            let b = alphabet[i % alphabet.len()];
                            i /= alphabet.len();
                            b
                        })
                        .collect();
                    assert_eq!(recent.rank(&vocab, &s), vocab.rank(&s), "{s:?}");
                }
            }
        }
    }
}

#[cfg(all(test, feature = "embedded-vocab"))]
mod embedded_tests {
    use super::*;
    use crate::bpe::each_embedded_encoder;

    /// In every byte-level vocabulary, each token is found under its bytes
    /// (the filter in front of the index turns none of them away), and the
    /// table of two-byte tokens answers every one of the 65,536 pairs as a
    /// scan of the tokens does.
    #[test]
    fn every_token_is_found_through_the_filter_and_the_two_byte_table() {
        each_embedded_encoder(|v, encoder| {
            let vocab = &encoder.vocab;
            let mut two = alloc::collections::BTreeMap::new();
            for rank in 0..vocab.len() as u32 {
                let token = vocab.token(rank);
                if token.is_empty() || vocab.added.contains(&rank) {
                    continue;
                }
                assert_eq!(vocab.rank(token), Some(rank), "{v}: rank {rank}");
                assert_eq!(vocab.find(token, hash(token)), Some(rank), "{v}: rank {rank}");
                if let [a, b] = *token {
                    two.insert((a, b), rank);
                }
            }
            for a in 0..=255u8 {
                for b in 0..=255u8 {
                    assert_eq!(vocab.two.rank(a, b), two.get(&(a, b)).copied(), "{v}: {a:#x} {b:#x}");
                }
            }
        });
    }
}
