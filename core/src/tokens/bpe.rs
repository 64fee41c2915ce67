//! Byte-pair encoding of one pre-tokenized piece, exactly as tiktoken does it.
//!
//! tiktoken's rule: start from single bytes; repeatedly merge the adjacent
//! pair whose concatenation has the lowest rank in the vocabulary (the
//! leftmost such pair on a tie); stop when no adjacent pair is a token. The
//! tokens are the parts that remain.
//!
//! tiktoken finds each minimum by a linear scan, O(n²) for a piece of n bytes:
//! a megabyte of one repeated letter is a single piece. Here very short pieces
//! use that same scan, which is fastest when n is tiny; longer ones a binary heap of candidate pairs keyed by
//! (rank, position) over a linked list of parts, O(n log n). Both pick the
//! same pair at every step: the heap holds every current pair (stale entries
//! are recognised and skipped when popped) and orders ties by position, which
//! is tiktoken's leftmost rule. The result is the same parts, so the same
//! tokens. Long pieces go to the linear backtracking encoder
//! ([`super::backtrack`]), which computes the same tokens another way.

use alloc::collections::BinaryHeap;
use alloc::vec::Vec;
use core::cmp::Reverse;

use super::backtrack::Linear;
use super::memo::{self, Memo};
use super::vocab_file::{Decoded, NO_SPLIT};

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
    /// The backtracking encoder's trie, built (and the splits verified) on
    /// the first long piece: most texts never need it, and start-up stays cheap.
    linear: crate::Once<Option<Linear>>,
}

/// Why vocabulary bytes are not a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VocabError(pub &'static str);

impl core::fmt::Display for VocabError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "invalid vocabulary data: {}", self.0)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for VocabError {}

/// Pieces at most this long use tiktoken's scan; longer ones the heap. Measured
/// in instructions (callgrind, o200k_base, the corpus): against 256, a limit of
/// 16 counts CJK with 15% fewer and other scripts with 12% fewer, code the same.
const SCAN_MAX: usize = 16;

/// Pieces at least this long use the backtracking encoder: from 32 bytes it
/// counts `cjk.txt` (pieces of 100–300 bytes) 1.5× as fast as the heap
/// (criterion), and the cost of building its trie on first use (o200k_base:
/// ~30 ms, 8 MiB) is paid only by texts with such pieces.
const LINEAR_MIN: usize = 32;

impl Vocab {
    /// Reads a vocabulary file (`FBV3`, see [`super::vocab_file`]).
    pub(crate) fn parse(data: &[u8]) -> Result<Vocab, VocabError> {
        let Decoded { bytes, offsets, splits } = super::vocab_file::decode(data)?;
        Vocab::from_parts(bytes, offsets, splits)
    }

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
            linear: crate::Once::new(),
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
                    return Err(VocabError("a token appears twice"));
                }
                i = (i + 1) & vocab.mask;
            }
            vocab.slots[i] = tag | (rank as u32 + 1);
            vocab.max_len = vocab.max_len.max(len);
        }
        for b in 0..=255u8 {
            if vocab.rank(&[b]).is_none() {
                return Err(VocabError("a single byte is not a token"));
            }
        }
        Ok(vocab)
    }

    /// Number of ranks (including empty ones).
    pub(crate) fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The two tokens BPE merged last to make token `rank`: its encoding with
    /// only the lower ranks, when that is exactly two tokens.
    pub(crate) fn last_merge(&self, rank: u32, scratch: &mut Scratch) -> Option<(u32, u32)> {
        let token = self.token(rank);
        if token.len() < 2 {
            return None;
        }
        scratch.starts.clear();
        self.merge_scan(token, scratch, rank);
        match scratch.starts[..] {
            [0, k] => {
                let k = k as usize;
                Some((self.rank(&token[..k])?, self.rank(&token[k..])?))
            }
            _ => None,
        }
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
    fn find(&self, bytes: &[u8], h: u64) -> Option<u32> {
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

    /// Number of tokens `piece` encodes to; a piece that needs merging is
    /// looked up in, and then kept in, `memo` if given.
    pub(crate) fn count(&self, piece: &[u8], scratch: &mut Scratch, memo: Option<&mut Memo>) -> usize {
        if piece.len() <= 1 {
            return piece.len();
        }
        // One hash serves the index and the memo; a piece too long for either
        // (a long run) is hashed for neither.
        let h = (piece.len() <= self.max_len.max(memo::LONGEST)).then(|| hash(piece));
        if let Some(h) = h.filter(|_| piece.len() <= self.max_len) {
            if self.find(piece, h).is_some() {
                return 1;
            }
        }
        let remembered = memo.zip(h.map(|h| h as usize));
        if let Some((memo, h)) = &remembered {
            if let Some(count) = memo.get(piece, *h) {
                return count;
            }
        }
        let count = if self.linear(piece).is_some_and(|linear| linear.encode(self, piece, scratch)) {
            scratch.tokens.len()
        } else {
            self.merge(piece, scratch);
            scratch.starts.len()
        };
        if let Some((memo, h)) = remembered {
            memo.insert(piece, h, count);
        }
        count
    }

    /// The backtracking encoder, for a long piece, if this vocabulary allows it.
    fn linear(&self, piece: &[u8]) -> Option<&Linear> {
        if piece.len() < LINEAR_MIN {
            return None;
        }
        self.linear.get_or_init(|| Linear::build(self)).as_ref()
    }

    /// Appends the ranks of `piece`'s tokens to `out`.
    pub(crate) fn encode(&self, piece: &[u8], scratch: &mut Scratch, out: &mut Vec<u32>) {
        if let Some(r) = self.rank(piece) {
            out.push(r);
            return;
        }
        if self.linear(piece).is_some_and(|linear| linear.encode(self, piece, scratch)) {
            out.extend_from_slice(&scratch.tokens);
            return;
        }
        self.merge(piece, scratch);
        let starts = &scratch.starts;
        for (k, &s) in starts.iter().enumerate() {
            let end = starts.get(k + 1).map_or(piece.len(), |&e| e as usize);
            // Every part is a token: parts start as single bytes and only merge into tokens.
            out.push(self.rank(&piece[s as usize..end]).unwrap_or(u32::MAX));
        }
    }

    /// Fills `scratch.starts` with the start offset of each final part of `piece` (len ≥ 2).
    fn merge(&self, piece: &[u8], scratch: &mut Scratch) {
        scratch.starts.clear();
        if piece.len() <= SCAN_MAX {
            self.merge_scan(piece, scratch, u32::MAX);
        } else {
            self.merge_heap(piece, scratch);
        }
    }

    /// tiktoken's `_byte_pair_merge`: `parts[i] = (start, rank of part i + part i+1)`,
    /// merging only tokens ranked below `limit`.
    fn merge_scan(&self, piece: &[u8], scratch: &mut Scratch, limit: u32) {
        let n = piece.len();
        let rank = |bytes: &[u8]| self.rank(bytes).filter(|&r| r < limit);
        let parts = &mut scratch.parts;
        parts.clear();
        for i in 0..n - 1 {
            parts.push((i as u32, rank(&piece[i..i + 2]).unwrap_or(u32::MAX)));
        }
        parts.push(((n - 1) as u32, u32::MAX));
        parts.push((n as u32, u32::MAX));
        // The rank of part i merged with part i+1, skipping `skip` removed parts after i.
        let pair_rank = |parts: &[(u32, u32)], i: usize, skip: usize| -> u32 {
            match parts.get(i + skip + 2) {
                Some(&(end, _)) => rank(&piece[parts[i].0 as usize..end as usize]).unwrap_or(u32::MAX),
                None => u32::MAX,
            }
        };
        loop {
            let (mut min_rank, mut min_i) = (u32::MAX, 0);
            for (i, &(_, r)) in parts[..parts.len() - 1].iter().enumerate() {
                if r < min_rank {
                    (min_rank, min_i) = (r, i);
                }
            }
            if min_rank == u32::MAX {
                break;
            }
            // Part min_i + 1 is about to be removed: the new pairs skip it.
            parts[min_i].1 = pair_rank(parts, min_i, 1);
            if min_i > 0 {
                parts[min_i - 1].1 = pair_rank(parts, min_i - 1, 1);
            }
            parts.remove(min_i + 1);
        }
        scratch.starts.extend(parts[..parts.len() - 1].iter().map(|&(s, _)| s));
    }

    /// The same merges with a min-heap over a linked list of parts (offsets
    /// are u32: a single piece is under 4 GiB, as any text on wasm32 is). A heap
    /// entry packs `rank << 32 | start` (so ties order by position); it is
    /// current iff the part at `start` is alive and its pair still has that
    /// rank — a rank names its bytes, so an equal rank is the same pair.
    fn merge_heap(&self, piece: &[u8], scratch: &mut Scratch) {
        const NONE: u32 = u32::MAX;
        let n = piece.len();
        let Scratch { next, prev, pair_rank, heap, starts, .. } = scratch;
        next.clear();
        next.extend(1..=n as u32);
        prev.clear();
        prev.push(NONE);
        prev.extend(0..n as u32 - 1);
        pair_rank.clear();
        pair_rank.resize(n, NONE);
        heap.clear();
        for i in 0..n - 1 {
            if let Some(r) = self.rank(&piece[i..i + 2]) {
                pair_rank[i] = r;
                heap.push(Reverse(u64::from(r) << 32 | i as u64));
            }
        }
        // A part merged away keeps `pair_rank = NONE` forever, so its entries are stale too.
        while let Some(Reverse(key)) = heap.pop() {
            let (rank, start) = ((key >> 32) as u32, (key & 0xFFFF_FFFF) as usize);
            if pair_rank[start] != rank {
                continue;
            }
            let second = next[start] as usize;
            let end = next[second] as usize;
            pair_rank[second] = NONE;
            next[start] = end as u32;
            // The pair to the right: this part and the one starting at `end`.
            pair_rank[start] = NONE;
            if end < n {
                prev[end] = start as u32;
                if let Some(r) = self.rank(&piece[start..next[end] as usize]) {
                    pair_rank[start] = r;
                    heap.push(Reverse(u64::from(r) << 32 | start as u64));
                }
            }
            // The pair to the left: the previous part and this one.
            let before = prev[start];
            if before != NONE {
                let before = before as usize;
                pair_rank[before] = self.rank(&piece[before..end]).unwrap_or(NONE);
                if pair_rank[before] != NONE {
                    heap.push(Reverse(u64::from(pair_rank[before]) << 32 | before as u64));
                }
            }
        }
        let mut p = 0;
        while p < n {
            starts.push(p as u32);
            p = next[p] as usize;
        }
    }
}

/// Buffers reused across the pieces of a text (and, kept in the tokenizer,
/// across texts).
#[derive(Default)]
pub(crate) struct Scratch {
    parts: Vec<(u32, u32)>,
    next: Vec<u32>,
    prev: Vec<u32>,
    pair_rank: Vec<u32>,
    heap: BinaryHeap<Reverse<u64>>,
    starts: Vec<u32>,
    // The backtracking encoder's: the tokens so far, the tokens left to try
    // and where each position's begin, the dead positions (a bit each), a
    // buffer for joining two tokens' bytes, and the cache of pair answers.
    pub(crate) tokens: Vec<u32>,
    pub(crate) tries: Vec<u32>,
    pub(crate) levels: Vec<u32>,
    pub(crate) dead: Vec<u64>,
    pub(crate) concat: Vec<u8>,
    pub(crate) pairs: Vec<u64>,
}

/// FxHash over 8-byte words: fast, and good enough for a table at most half full.
#[inline(always)]
pub(super) fn hash(bytes: &[u8]) -> u64 {
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
