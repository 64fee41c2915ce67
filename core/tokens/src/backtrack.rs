//! Byte-pair encoding of long pieces in linear time, token for token what
//! tiktoken's quadratic merge loop produces.
//!
//! This is the backtracking encoder of GitHub's `bpe` crate (rust-gems),
//! re-derived here for tiktoken's merge rule ("merge the adjacent pair whose
//! concatenation has the lowest rank, leftmost on a tie"). Write BPE(s) for
//! tiktoken's result on bytes s, and call a sequence of tokens *valid* when
//! it is BPE of its own concatenation.
//!
//! 1. A part of a valid sequence is valid. BPE on the whole text never merged
//!    across the tokens' boundaries, so the merges inside any stretch of
//!    tokens are, in order, each the smallest pair inside that stretch when
//!    made: BPE on the stretch alone makes the same merges.
//! 2. If the sequences `x… t` and `t …y` are valid, so is `x… t …y`. Until
//!    BPE on the joined text makes a merge across a boundary, its parts on
//!    `x… t` and on `t …y` evolve exactly as BPE on each alone (every pair lies
//!    in one of the two overlapping stretches, and the smallest pair overall
//!    is the smallest in its stretch), and neither alone ever merges across
//!    a boundary. So by induction: a sequence is valid iff every adjacent
//!    pair of tokens is ([`compatible`]), and each token alone is (true of
//!    every token once its last merge is verified, see below).
//! 3. BPE(text) is valid and it is the only valid sequence for the text
//!    (BPE is a function). Its tokens up to any of its boundaries p are
//!    BPE(text[..p]), by 1.
//!
//! The encoder is a depth-first search for a valid sequence: at a position it
//! tries the tokens that are prefixes of the rest of the piece (from a trie),
//! longest first, taking the first one compatible with the token before it;
//! when none is, it takes back the token before and tries that one's next
//! shorter alternative. By 2 every sequence the search extends is valid, so
//! the complete one it ends with is BPE(piece) by 3. A position from which
//! every try failed is marked dead and never reached again: by 3 any valid
//! sequence of the piece that has a boundary at p agrees, up to p, with the
//! one the search had there, and the search exhausted every continuation
//! of that. So each position is searched from at most once, with at most
//! one try per token that starts there (tokens are at most `max_len` bytes):
//! linear in the piece.
//!
//! Using it needs every multi-byte token's last merge (the pair tiktoken
//! merges last when it encodes the token's bytes). The vocabulary file stores
//! tokens as those pairs; each is verified before its token is first used
//! ([`Linear::verify`]), and a piece that needs a token whose stored pair is
//! not tiktoken's (or that is stored as a literal) goes to the heap, which
//! assumes nothing. A verified token is BPE of its own bytes: BPE with the
//! lower ranks leaves its two parts, and then merges them.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};

use super::vocab::Vocab;

const NONE: u32 = u32::MAX;
/// Trie node ids start at 1, so that a key `node << 8 | byte` is never 0 (an empty slot).
const ROOT: u32 = 1;
/// Node ids must leave 8 bits of a `u32` key for the byte.
const MAX_NODES: usize = 1 << 24;

/// Whether tiktoken, encoding the bytes of token `a` followed by those of token
/// `b` with only the ranks below `limit`, ends with exactly `a`, `b`.
///
/// By 1 and 2 in the module comment, until a merge crosses the boundary the
/// parts left of it go through BPE(a)'s merges and those right of it through
/// BPE(b)'s: the trees of last merges (`split`) of `a` and `b`. In such a tree
/// ranks grow towards the root, and BPE on one token merges a node only
/// after its children, always the smallest pair available, so it merges in
/// order of rank (ties: leftmost first); the joined run interleaves both
/// orders, `a`'s merge first when ranks are equal (it is further left). The
/// pair across the boundary is (the last part left of it, the first part
/// right of it): a node on `a`'s right spine and one on `b`'s left spine. It
/// lasts from the later of their merges to the earlier of their parents'
/// merges, and BPE merges it iff its rank c beats that ending merge: c < the
/// parent's rank on `a`'s side (a pair further left wins a tie), c ≤ it on
/// `b`'s side; while it lasts, every other merge made is smaller than that
/// ending merge. The walk visits these boundary pairs from the last (`a`, `b`
/// themselves, which last to the end: `limit`) back to the first (two bytes),
/// undoing at each step the later of the two merges that made the current
/// pair's parts, as in rust-gems' `is_valid_token_pair`, except that a pair is
/// looked up by its bytes (tiktoken's rule) rather than by the merge that made it.
pub(crate) fn compatible(vocab: &Vocab, mut a: u32, mut b: u32, mut limit: u32) -> bool {
    loop {
        if vocab.rank_of_pair(a, b).is_some_and(|c| c < limit) {
            return false;
        }
        let [_, a_right] = vocab.split(a);
        let [b_left, _] = vocab.split(b);
        if a_right != NONE && (b_left == NONE || a > b) {
            // `a` was merged after `b`: before, `a`'s right part met `b`, until `a` was made.
            limit = a;
            a = a_right;
        } else if b_left != NONE {
            limit = b + 1;
            b = b_left;
        } else {
            return true;
        }
    }
}

/// Entries of the cache of [`compatible`] answers, a power of two.
const PAIR_CACHE: usize = 1024;

/// [`compatible`] with no limit, remembered in a direct-mapped cache (`pairs`,
/// in the scratch a tokenizer keeps between counts): the worst cases, long
/// runs, ask about the same few pairs again and again. An entry is `(a << 24 | b) << 2 | 2 | answer` (ranks are below
/// 2^24), 0 when empty.
fn cached_compatible(vocab: &Vocab, a: u32, b: u32, pairs: &mut [u64]) -> bool {
    let key = u64::from(a) << 24 | u64::from(b);
    let slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize & (PAIR_CACHE - 1);
    let entry = pairs[slot];
    if entry >> 2 == key && entry & 2 != 0 {
        return entry & 1 != 0;
    }
    let answer = compatible(vocab, a, b, NONE);
    pairs[slot] = key << 2 | 2 | u64::from(answer);
    answer
}

/// Buffers reused across pieces (kept, inside the BPE scratch, in the
/// tokenizer between counts): the tokens so far, the tokens left to try and
/// where each position's begin, the dead positions (a bit each), and the
/// cache of pair answers.
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) tokens: Vec<u32>,
    tries: Vec<u32>,
    levels: Vec<u32>,
    dead: Vec<u64>,
    pairs: Vec<u64>,
}

impl Scratch {
    /// Forgets the pairs' answers (a first count starts from nothing).
    pub(crate) fn forget(&mut self) {
        self.pairs.fill(0);
    }
}

/// What the backtracking encoder needs beyond the vocabulary: tries of the
/// tokens, and which tokens' last merges are verified.
pub(crate) struct Linear {
    /// The rank of each single byte.
    bytes: [u32; 256],
    /// The ranks of the longer tokens that begin with bytes `b0 b1` are
    /// `by_prefix[starts[p]..starts[p + 1]]` for `p = b0 << 8 | b1`, ascending.
    starts: Vec<u32>,
    by_prefix: Vec<u32>,
    /// The longest token of each first two bytes (0: none of three bytes or more).
    longest: Vec<u8>,
    /// A trie per first two bytes, built once looking its candidates up in
    /// the index ([`Linear::prefixes_in_index`]) has cost as much as
    /// building it would: until a prefix's lookups have hashed [`RENT`]
    /// times the bytes of its tokens (`rent` counts down), the index answers.
    /// Renting until the rent reaches the price, then buying, never costs
    /// more than twice the better of the two in hindsight. Tries cost memory
    /// written at random, 10–20 times as much per token in WebAssembly as
    /// natively (one trie of all of o200k_base: 10 ms native, 90–220 ms in
    /// WebAssembly), and a text reaches most first two bytes only a few
    /// times: the tokens after a space and an Arabic letter are thousands,
    /// a few long Arabic pieces try a handful. The lists of 256 are made
    /// per first byte.
    tries: [crate::Once<Vec<crate::Once<Option<Trie>>>>; 256],
    /// By first two bytes: the bytes their lookups in the index may still hash.
    rent: Vec<AtomicU32>,
    /// By rank: [`UNKNOWN`], [`VERIFIED`] or [`WRONG`]. Verified on first use
    /// rather than all at once (o200k_base: ~100 ms), atomically so that
    /// threads sharing a tokenizer may race to write the same answer.
    verified: Vec<AtomicU8>,
    /// The vocabulary says merging makes every token stored as a pair (and
    /// so the pair is its last merge): nothing to verify.
    trusted: bool,
}

/// Bytes the index lookups of a first two bytes may hash, per byte of its
/// tokens, before its trie is built.
const RENT: u32 = 4;

const UNKNOWN: u8 = 0;
const VERIFIED: u8 = 1;
const WRONG: u8 = 2;

/// Longer tokens make the vocabulary use the heap: verification recurses
/// once per level of a token's tree, at most its length.
const MAX_TOKEN_LEN: usize = 255;

impl Linear {
    /// The encoder, or `None` (long pieces then use the heap) for a
    /// vocabulary with tokens longer than [`MAX_TOKEN_LEN`] or without stored
    /// splits; `trusted` if the vocabulary says merging makes every token
    /// stored as a pair ([`super::Vocabulary::every_token_merged`]).
    pub(crate) fn build(vocab: &Vocab, trusted: bool) -> Option<Linear> {
        if vocab.max_len() > MAX_TOKEN_LEN || !vocab.has_splits() {
            return None;
        }
        // A counting sort of the longer tokens' ranks by their first two
        // bytes, keeping rank order. Added tokens are never merged: not
        // candidates (nor in the index, the other source of candidates).
        let mut added = alloc::vec![false; vocab.len()];
        for &rank in vocab.added() {
            added[rank as usize] = true;
        }
        let prefix_of =
            |rank: u32| Some(vocab.token(rank)).filter(|t| t.len() >= 2 && !added[rank as usize]).map(prefix);
        let mut starts = alloc::vec![0u32; (1 << 16) + 1];
        let mut longest = alloc::vec![0u8; 1 << 16];
        let mut rent = alloc::vec![0u32; 1 << 16];
        for rank in 0..vocab.len() as u32 {
            if let Some(p) = prefix_of(rank) {
                starts[p + 1] += 1;
                // Tokens are at most MAX_TOKEN_LEN (255) bytes here.
                let len = vocab.token(rank).len();
                longest[p] = longest[p].max(len as u8);
                rent[p] = rent[p].saturating_add(RENT * len as u32);
            }
        }
        for p in 0..1 << 16 {
            starts[p + 1] += starts[p];
        }
        let mut fill = starts.clone();
        let mut by_prefix = alloc::vec![0u32; starts[1 << 16] as usize];
        for rank in 0..vocab.len() as u32 {
            if let Some(p) = prefix_of(rank) {
                by_prefix[fill[p] as usize] = rank;
                fill[p] += 1;
            }
        }
        // Every single byte is a token (checked on load).
        let bytes = core::array::from_fn(|b| vocab.rank(&[b as u8]).unwrap_or(NONE));
        Some(Linear {
            bytes,
            starts,
            by_prefix,
            longest,
            tries: core::array::from_fn(|_| crate::Once::new()),
            rent: rent.into_iter().map(AtomicU32::new).collect(),
            verified: (0..vocab.len()).map(|_| AtomicU8::new(UNKNOWN)).collect(),
            trusted,
        })
    }

    /// The trie of the tokens longer than two bytes that begin with `rest`'s
    /// first two (`p`), if it is built or now due (`None` also when too large to build).
    fn trie(&self, vocab: &Vocab, rest: &[u8], p: usize) -> Option<&Trie> {
        let (b0, b1) = (p >> 8, p & 0xFF);
        let tries = self.tries[b0].get_or_init(|| (0..256).map(|_| crate::Once::new()).collect());
        if let Some(built) = tries[b1].get() {
            return built.as_ref();
        }
        // The bytes the lookups of 2, 3, … m bytes hash.
        let m = rest.len().min(usize::from(self.longest[p])) as u32;
        let cost = m * (m + 1) / 2;
        let left = self.rent[p].load(Ordering::Relaxed);
        if cost <= left {
            self.rent[p].store(left - cost, Ordering::Relaxed);
            return None;
        }
        let ranks = &self.by_prefix[self.starts[p] as usize..self.starts[p + 1] as usize];
        tries[b1].get_or_init(|| Trie::build(vocab, ranks)).as_ref()
    }

    /// Whether token `rank`'s stored split, and those of every token in its
    /// tree, are the last merges BPE makes (see the module comment): BPE on
    /// its bytes with the ranks below its own ends as the two.
    pub(crate) fn verify(&self, vocab: &Vocab, rank: u32) -> bool {
        if self.trusted && vocab.split(rank)[0] != NONE {
            return true;
        }
        let state = &self.verified[rank as usize];
        match state.load(Ordering::Relaxed) {
            VERIFIED => return true,
            WRONG => return false,
            _ => {}
        }
        let ok = match vocab.split(rank) {
            _ if vocab.token(rank).len() == 1 => true,
            [NONE, _] => false,
            // In that order: `compatible` walks the trees of both parts.
            [left, right] => {
                self.verify(vocab, left) && self.verify(vocab, right) && compatible(vocab, left, right, rank)
            }
        };
        state.store(if ok { VERIFIED } else { WRONG }, Ordering::Relaxed);
        ok
    }

    /// Whether token `a` followed by token `b` is a valid sequence (BPE of
    /// its own bytes): both last merges verify and the pair is compatible.
    pub(crate) fn joins(&self, vocab: &Vocab, a: u32, b: u32, scratch: &mut Scratch) -> bool {
        if scratch.pairs.is_empty() {
            scratch.pairs.resize(PAIR_CACHE, 0);
        }
        self.verify(vocab, a) && self.verify(vocab, b) && cached_compatible(vocab, a, b, &mut scratch.pairs)
    }

    /// Appends the ranks of the tokens that are prefixes of `rest` (not
    /// empty), shortest first: from the trie of its first two bytes, or
    /// while that is not built, by looking each prefix up in the index.
    #[inline]
    fn prefixes(&self, vocab: &Vocab, rest: &[u8], out: &mut Vec<u32>) {
        out.push(self.bytes[usize::from(rest[0])]);
        if rest.len() < 2 {
            return;
        }
        let p = prefix(rest);
        if self.starts[p] == self.starts[p + 1] {
            return;
        }
        let Some(trie) = self.trie(vocab, rest, p) else {
            self.prefixes_in_index(vocab, rest, out);
            return;
        };
        // The root spells the two bytes, a token or not.
        if trie.ranks[ROOT as usize] != NONE {
            out.push(trie.ranks[ROOT as usize]);
        }
        let mut node = ROOT;
        for &byte in &rest[2..] {
            node = trie.child(node, byte);
            if node == 0 {
                break;
            }
            let rank = trie.ranks[node as usize];
            if rank != NONE {
                out.push(rank);
            }
        }
    }

    /// The candidates of two bytes or more at `rest` (its first two bytes
    /// begin some token), looked up one length at a time.
    fn prefixes_in_index(&self, vocab: &Vocab, rest: &[u8], out: &mut Vec<u32>) {
        let longest = usize::from(self.longest[prefix(rest)]);
        out.extend((2..=rest.len().min(longest)).filter_map(|k| vocab.rank(&rest[..k])));
    }

    /// Fills `scratch.tokens` with the ranks of BPE(`piece`): the search in the
    /// module comment. `scratch.tries` holds, level by level, the tokens not
    /// yet tried at each position of the sequence being built (longest last),
    /// `scratch.levels` where each level's begin. False if the piece needs a
    /// token whose last merge does not verify.
    pub(crate) fn encode(&self, vocab: &Vocab, piece: &[u8], scratch: &mut Scratch) -> bool {
        let n = piece.len();
        let Scratch { tokens, tries, levels, dead, pairs } = scratch;
        if pairs.is_empty() {
            pairs.resize(PAIR_CACHE, 0);
        }
        tokens.clear();
        tries.clear();
        levels.clear();
        dead.clear();
        dead.resize(n / 64 + 1, 0);
        let mut pos = 0;
        levels.push(0);
        self.prefixes(vocab, piece, tries);
        loop {
            let level = levels.last().copied().unwrap_or(0) as usize;
            let mut extended = false;
            while tries.len() > level {
                let Some(token) = tries.pop() else { break };
                if !self.verify(vocab, token) {
                    return false;
                }
                let end = pos + vocab.token(token).len();
                let live = dead[end / 64] >> (end % 64) & 1 == 0;
                if live && tokens.last().is_none_or(|&before| cached_compatible(vocab, before, token, pairs)) {
                    tokens.push(token);
                    pos = end;
                    extended = true;
                    break;
                }
            }
            if extended {
                if pos == n {
                    return true;
                }
                levels.push(tries.len() as u32);
                self.prefixes(vocab, &piece[pos..], tries);
                continue;
            }
            // Nothing valid continues from `pos`: never come back; retry the token before.
            dead[pos / 64] |= 1 << (pos % 64);
            levels.pop();
            // Position 0 cannot die: BPE(piece) is valid and the search, complete, would find it first.
            let before = tokens.pop().expect("BPE(piece) is a valid sequence the search reaches");
            pos -= vocab.token(before).len();
        }
    }
}

/// The first two bytes of `bytes` (at least two) as an index of 0..65,536.
#[inline(always)]
fn prefix(bytes: &[u8]) -> usize {
    usize::from(bytes[0]) << 8 | usize::from(bytes[1])
}

/// The tokens of two bytes or more that begin with the same two, as a trie
/// below them.
struct Trie {
    /// Open addressing: `[parent << 8 | byte, child]`, key 0 for an empty slot.
    slots: Vec<[u32; 2]>,
    mask: usize,
    shift: u32,
    /// By node: the rank of the token the path to it spells, or `NONE`.
    ranks: Vec<u32>,
}

impl Trie {
    /// From the ranks of the tokens that begin with the same two bytes.
    fn build(vocab: &Vocab, ranks: &[u32]) -> Option<Trie> {
        let capacity = (ranks.len() * 4).next_power_of_two().max(16);
        let mut trie = Trie {
            slots: alloc::vec![[0; 2]; capacity],
            mask: capacity - 1,
            shift: 64 - capacity.trailing_zeros(),
            ranks: alloc::vec![NONE, NONE],
        };
        // A token stored as a pair extends its left part's path by its right
        // part's bytes (decoding made its bytes so): a left part of two bytes
        // or more begins with the same two and has a lower rank, so its node
        // is already known. That walks about half the bytes of inserting every
        // token whole (o200k_base, tokens that begin with a space: 388k instead of 752k).
        let mut nodes = Vec::with_capacity(ranks.len());
        for &rank in ranks {
            let [left, right] = vocab.split(rank);
            let (mut node, rest) = match ranks.binary_search(&left) {
                Ok(i) if i < nodes.len() => (nodes[i], vocab.token(right)),
                _ => (ROOT, &vocab.token(rank)[2..]),
            };
            for &byte in rest {
                node = trie.child_or_insert(node, byte)?;
            }
            trie.ranks[node as usize] = rank;
            nodes.push(node);
        }
        Some(trie)
    }

    /// Fibonacci hashing: the top bits of the key times 2^64/φ (`shift` is 64
    /// minus the table's bits), which spreads consecutive node ids.
    #[inline]
    fn slot(&self, key: u32) -> usize {
        ((u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> self.shift) as usize
    }

    /// The child of `node` along `byte`, or 0.
    #[inline]
    fn child(&self, node: u32, byte: u8) -> u32 {
        let key = node << 8 | u32::from(byte);
        let mut i = self.slot(key);
        loop {
            match self.slots[i] {
                [0, _] => return 0,
                [k, child] if k == key => return child,
                _ => i = (i + 1) & self.mask,
            }
        }
    }

    /// The child of `node` along `byte`, added if missing (`None`: too many nodes).
    fn child_or_insert(&mut self, node: u32, byte: u8) -> Option<u32> {
        let key = node << 8 | u32::from(byte);
        let mut i = self.slot(key);
        loop {
            match self.slots[i] {
                [0, _] => break,
                [k, child] if k == key => return Some(child),
                _ => i = (i + 1) & self.mask,
            }
        }
        if self.ranks.len() >= MAX_NODES {
            return None;
        }
        let child = self.ranks.len() as u32;
        self.ranks.push(NONE);
        self.slots[i] = [key, child];
        // At most half full: a miss ends within a few slots.
        if self.ranks.len() * 2 > self.slots.len() {
            let doubled = alloc::vec![[0; 2]; self.slots.len() * 2];
            let old = core::mem::replace(&mut self.slots, doubled);
            self.mask = self.slots.len() - 1;
            self.shift -= 1;
            for [key, child] in old.into_iter().filter(|s| s[0] != 0) {
                let mut i = self.slot(key);
                while self.slots[i][0] != 0 {
                    i = (i + 1) & self.mask;
                }
                self.slots[i] = [key, child];
            }
        }
        Some(child)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::tiny;

    #[test]
    fn a_verified_split_encodes() {
        // BPE on `abc`: `ab` (256) merges before `bc` (257), then `ab`+`c`.
        let vocab = tiny([256, 99]);
        let linear = Linear::build(&vocab, false).unwrap();
        let piece = b"abcabcbcbcaabcbcab".repeat(4);
        let mut scratch = Scratch::default();
        assert!(linear.encode(&vocab, &piece, &mut scratch));
        assert_eq!(&scratch.tokens[..3], [258, 258, 257]);
    }

    #[test]
    fn a_split_that_is_not_the_last_merge_is_refused() {
        let vocab = tiny([97, 257]);
        let linear = Linear::build(&vocab, false).unwrap();
        let piece = b"abc".repeat(20);
        assert!(!linear.encode(&vocab, &piece, &mut Scratch::default()));
        assert!(!compatible(&vocab, 97, 257, 258));
        assert!(compatible(&vocab, 256, 99, 258));
    }
}

#[cfg(all(test, feature = "embedded-vocab"))]
mod embedded_tests {
    use super::*;
    use crate::bpe::each_embedded_encoder;
    use crate::vocab::NO_SPLIT;
    use crate::Vocabulary;

    /// The candidates at a position are the same from a prefix's trie as
    /// from the index, in every byte-level vocabulary, at every position of
    /// the corpus's mixed texts.
    #[test]
    fn the_tries_and_the_index_find_the_same_prefixes() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/");
        let texts: Vec<Vec<u8>> = ["edge.txt", "multilingual.txt", "cjk.txt", "code-rust.txt"]
            .iter()
            .map(|f| std::fs::read(alloc::format!("{dir}{f}")).unwrap()[..20_000].to_vec())
            .collect();
        each_embedded_encoder(|v, encoder| {
            let vocab = &encoder.vocab;
            let l = Linear::build(vocab, false).unwrap();
            // Every trie due at once.
            l.rent.iter().for_each(|r| r.store(0, Ordering::Relaxed));
            let (mut from_index, mut from_trie) = (Vec::new(), Vec::new());
            for text in &texts {
                for at in 0..text.len() - 1 {
                    let rest = &text[at..];
                    from_trie.clear();
                    l.prefixes(vocab, rest, &mut from_trie);
                    from_index.clear();
                    from_index.push(l.bytes[usize::from(rest[0])]);
                    l.prefixes_in_index(vocab, rest, &mut from_index);
                    assert_eq!(from_index, from_trie, "{v}: at {at}");
                }
            }
        });
    }

    /// OpenAI's vocabularies store every multi-byte token as a pair, and
    /// every pair verifies. Llama 3's has 678 tokens that BPE with the lower
    /// ranks does not make from two tokens (it makes them, if at all, from
    /// parts ranked above them, which the search does not reason about), its
    /// 256 added tokens, and 17 tokens built on those: pieces that need any
    /// of them go to the heap. DeepSeek V3's and Qwen 3's every token is made
    /// from two by BPE (`cargo xtask vocab` checks it): only their added
    /// tokens (818, 26) are not pairs. A pair that fails without a failing part would be a wrong
    /// stored split: none does. And what each vocabulary says of itself
    /// ([`crate::Vocabulary::every_token_merged`]) holds.
    #[test]
    fn every_embedded_vocabulary_verifies_its_last_merges() {
        each_embedded_encoder(|v, encoder| {
            let vocab = &encoder.vocab;
            let l = Linear::build(vocab, false).unwrap();
            let (mut unpaired, mut unverified) = (0, 0);
            for rank in 0..vocab.len() as u32 {
                let token = vocab.token(rank);
                match vocab.split(rank) {
                    _ if token.len() < 2 => assert!(token.is_empty() || l.verify(vocab, rank)),
                    NO_SPLIT => {
                        unpaired += 1;
                        assert!(!l.verify(vocab, rank), "{v}: rank {rank} is not a pair");
                    }
                    [left, right] if !l.verify(vocab, rank) => {
                        unverified += 1;
                        let parts = l.verify(vocab, left) && l.verify(vocab, right);
                        assert!(!parts, "{v}: rank {rank}'s stored split is not its last merge");
                    }
                    _ => {}
                }
            }
            // What the vocabulary says of itself: no token fails but the added
            // ones (text, so several bytes; never merged, so among the unpaired).
            let failing = unpaired + unverified - vocab.added().len();
            assert_eq!(v.every_token_merged(), failing == 0, "{v}: {failing} tokens merging does not make");
            let expected = match v {
                Vocabulary::Llama3 => (678 + 256, 17),
                Vocabulary::DeepSeekV3 => (818, 0),
                Vocabulary::Qwen3 => (26, 0),
                _ => (0, 0),
            };
            assert_eq!((unpaired, unverified), expected, "{v}");
        });
    }
}
