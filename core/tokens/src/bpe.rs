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

use super::backtrack::{self, Linear};
use super::chars::WholeChars;
use super::memo::{self, Memo};
use super::seams::{Seams, CUT_FROM, SEAM_MIN};
use super::unicode::utf8_len;
use super::vocab::{hash, Recent, Vocab};

/// A vocabulary with what encoding with it builds on first use.
pub(crate) struct Encoder {
    pub(crate) vocab: Vocab,
    /// The backtracking encoder, made on the first long piece or the first
    /// part cut at a seam that is a token (its tries are built as they pay):
    /// most texts never need it, and start-up stays cheap.
    linear: crate::Once<Option<Linear>>,
    /// Where pieces can be cut, found on the first piece with a character
    /// from U+3000 up.
    seams: crate::Once<Seams>,
    /// The characters merging starts from ([`super::chars`]), as the
    /// vocabulary file lists them.
    whole: WholeChars,
    /// Merging makes every indexed token from its bytes (the vocabulary
    /// says so: [`super::Vocabulary::every_token_merged`]); false, each is
    /// proved on first use.
    every_token_merged: bool,
}

/// Pieces of at most this many parts before merging (bytes, or whole
/// characters) use tiktoken's scan; more, the heap. Measured in instructions
/// (callgrind, o200k_base, the corpus, parts then bytes): against 256, a limit of
/// 16 counts CJK with 15% fewer and other scripts with 12% fewer, code the same.
const SCAN_MAX: usize = 16;

/// Pieces at least this long use the backtracking encoder: from 32 bytes it
/// counts `cjk.txt` (pieces of 100–300 bytes) 1.5× as fast as the heap
/// (criterion), and the cost of building its trie on first use (o200k_base:
/// ~30 ms, 8 MiB) is paid only by texts with such pieces.
const LINEAR_MIN: usize = 32;

/// Pieces at least this many longest tokens long are checked for being one
/// character repeated ([`Encoder::run`]).
const RUN_MIN: usize = 8;

impl Encoder {
    /// The encoder of `vocab`, `every_token_merged` if the vocabulary says so
    /// ([`super::Vocabulary::every_token_merged`]; false proves each token on
    /// first use), merging from the characters `whole` allows.
    pub(crate) fn new(vocab: Vocab, every_token_merged: bool, whole: WholeChars) -> Encoder {
        Encoder { vocab, linear: crate::Once::new(), seams: crate::Once::new(), whole, every_token_merged }
    }

    /// The two tokens BPE merged last to make token `rank`: its encoding with
    /// only the lower ranks, when that is exactly two tokens.
    pub(crate) fn last_merge(&self, rank: u32, scratch: &mut Scratch) -> Option<(u32, u32)> {
        let token = self.vocab.token(rank);
        if token.len() < 2 {
            return None;
        }
        scratch.starts.clear();
        scratch.units.clear();
        self.merge_scan(token, scratch, rank);
        match scratch.starts[..] {
            [0, k] => {
                let k = k as usize;
                Some((self.vocab.rank(&token[..k])?, self.vocab.rank(&token[k..])?))
            }
            _ => None,
        }
    }

    /// Number of tokens `piece` encodes to; a piece that needs merging is
    /// looked up in, and then kept in, `memo` if given.
    pub(crate) fn count(&self, piece: &[u8], scratch: &mut Scratch, memo: Option<&mut Memo>) -> usize {
        self.count_part(piece, scratch, memo, true)
    }

    /// [`Encoder::count`], cutting the piece at its seams if `cut`.
    fn count_part(&self, piece: &[u8], scratch: &mut Scratch, mut memo: Option<&mut Memo>, cut: bool) -> usize {
        if piece.len() <= 1 {
            return piece.len();
        }
        // One hash serves the index and the memo; a piece too long for either
        // (a long run) is hashed for neither.
        let h = (piece.len() <= self.vocab.max_len().max(memo::LONGEST)).then(|| hash(piece));
        if let Some(h) = h.filter(|_| piece.len() <= self.vocab.max_len()) {
            if self.vocab.find(piece, h).is_some_and(|rank| cut || self.merges_to(rank)) {
                return 1;
            }
        }
        let h = h.filter(|_| memo.is_some()).map(|h| h as usize);
        if let (Some(memo), Some(h)) = (memo.as_deref(), h) {
            if let Some(count) = memo.get(piece, h) {
                return count;
            }
        }
        let mut parts = 0;
        let count = if cut
            && self.seams(piece).is_some_and(|seams| {
                seams.cut(piece, |part| parts += self.count_part(part, scratch, memo.as_deref_mut(), false))
            }) {
            parts
        } else if let Some((period, repeats)) = self.run(piece, scratch) {
            period * repeats + scratch.run_tail.len()
        } else if self.linear(piece).is_some_and(|linear| linear.encode(&self.vocab, piece, &mut scratch.linear)) {
            scratch.linear.tokens.len()
        } else {
            self.merge(piece, scratch);
            scratch.starts.len()
        };
        if let (Some(memo), Some(h)) = (memo, h) {
            memo.insert(piece, h, count);
        }
        count
    }

    /// Whether BPE merges the bytes of token `rank` into that token. A whole
    /// piece that is a token is that token (tiktoken looks it up before
    /// merging, as Hugging Face's `ignore_merges` does), but a part of a piece
    /// is only what merging makes of it: in Llama 3's vocabulary some tokens
    /// are never made by merging. The vocabulary's word or a verified last
    /// merge proves it ([`Linear::verify`]); anything else is merged to find out.
    fn merges_to(&self, rank: u32) -> bool {
        self.vocab.token(rank).len() == 1 || self.backtracking().is_some_and(|linear| linear.verify(&self.vocab, rank))
    }

    /// Where `piece` can be cut ([`super::seams`]), for a piece long enough
    /// to be worth cutting and with a character from U+3000 up (seams are
    /// looked for between those only: other text never builds them).
    fn seams(&self, piece: &[u8]) -> Option<&Seams> {
        if piece.len() < SEAM_MIN || piece.iter().all(|&b| b < CUT_FROM) {
            return None;
        }
        Some(self.seams.get_or_init(|| Seams::build(&self.vocab)))
    }

    /// The backtracking encoder, for a long piece, if this vocabulary allows it.
    fn linear(&self, piece: &[u8]) -> Option<&Linear> {
        if piece.len() < LINEAR_MIN {
            return None;
        }
        self.backtracking()
    }

    /// The backtracking encoder, made on first use, if this vocabulary allows it.
    fn backtracking(&self) -> Option<&Linear> {
        self.linear.get_or_init(|| Linear::build(&self.vocab, self.every_token_merged)).as_ref()
    }

    /// A piece that is one character repeated (a megabyte of spaces is one
    /// piece), encoded from a short probe instead of position by position:
    /// `Some((t, k))` when BPE(piece) is the probe's first `t` tokens `k`
    /// times and then `scratch.run_tail` (the probe is in `scratch.run_probe`).
    ///
    /// Why that is BPE(piece), by the backtracking encoder's lemmas
    /// ([`super::backtrack`]): (1) BPE(s)'s tokens up to any of its
    /// boundaries p are BPE(s[..p]); (2) verified tokens make a valid
    /// sequence (BPE of its own bytes) iff each adjacent pair is compatible;
    /// (3) BPE(s) is the only valid sequence for s. Let the piece be uⁿ and
    /// the probe BPE(uᵐ), m·|u| about four longest tokens. Take a boundary of
    /// the probe at a whole number of characters, p bytes: its tokens up to
    /// there, T, are BPE of p bytes of the run by (1). If T's last token and
    /// its first are compatible, T repeated is valid by (2) (every pair is
    /// inside a T, valid, or that join); followed by E = BPE of the rest (r
    /// bytes), it is valid if T's last and E's first are compatible too. By
    /// (3) it is then BPE(piece). Every join is checked, nothing is assumed
    /// of the vocabulary: a run whose boundaries all fail (or whose tail does
    /// not join after up to two more periods) goes to the general encoder.
    fn run(&self, piece: &[u8], scratch: &mut Scratch) -> Option<(usize, usize)> {
        let n = piece.len();
        let longest = self.vocab.max_len();
        if n < RUN_MIN * longest {
            return None;
        }
        // The first character's bytes (pieces are whole characters of UTF-8 text).
        let unit = utf8_len(piece[0]);
        // Periodic with the character's length: one character repeated.
        if n % unit != 0 || piece[unit..] != piece[..n - unit] {
            return None;
        }
        let linear = self.linear(piece)?;
        let mut probe = core::mem::take(&mut scratch.run_probe);
        let mut tail = core::mem::take(&mut scratch.run_tail);
        probe.clear();
        // By merging: the backtracking encoder would first build the trie of
        // every token that begins with the run's byte (a third of o200k_base
        // for a space), which costs more than the whole run then does.
        self.merged(&piece[..(4 * longest).next_multiple_of(unit)], scratch, &mut probe);
        let mut found = None;
        let mut end = 0;
        'periods: for (i, &last) in probe.iter().enumerate() {
            end += self.vocab.token(last).len();
            if 2 * end > 4 * longest {
                break;
            }
            if end % unit != 0 || !linear.joins(&self.vocab, last, probe[0], &mut scratch.linear) {
                continue;
            }
            for extra in 0..3 {
                let rest = n % end + extra * end;
                tail.clear();
                match rest {
                    0 => {}
                    1 => tail.push(self.vocab.rank(&piece[..1]).unwrap_or(u32::MAX)),
                    _ => self.merged(&piece[..rest], scratch, &mut tail),
                }
                if tail.first().is_none_or(|&first| linear.joins(&self.vocab, last, first, &mut scratch.linear)) {
                    found = Some((i + 1, (n - rest) / end));
                    break 'periods;
                }
            }
        }
        scratch.run_probe = probe;
        scratch.run_tail = tail;
        found
    }

    /// Appends the ranks of `piece`'s tokens to `out`.
    pub(crate) fn encode(&self, piece: &[u8], scratch: &mut Scratch, out: &mut Vec<u32>) {
        if !self.seams(piece).is_some_and(|seams| seams.cut(piece, |part| self.encode_part(part, scratch, out, false)))
        {
            self.encode_part(piece, scratch, out, true);
        }
    }

    /// [`Encoder::encode`] without cutting, of a `whole` piece or a part of one.
    fn encode_part(&self, piece: &[u8], scratch: &mut Scratch, out: &mut Vec<u32>, whole: bool) {
        if let Some(r) = self.vocab.rank(piece).filter(|&r| whole || self.merges_to(r)) {
            out.push(r);
            return;
        }
        if let Some((period, repeats)) = self.run(piece, scratch) {
            for _ in 0..repeats {
                out.extend_from_slice(&scratch.run_probe[..period]);
            }
            out.extend_from_slice(&scratch.run_tail);
            return;
        }
        if self.linear(piece).is_some_and(|linear| linear.encode(&self.vocab, piece, &mut scratch.linear)) {
            out.extend_from_slice(&scratch.linear.tokens);
            return;
        }
        self.merged(piece, scratch, out);
    }

    /// Appends the ranks of `piece`'s tokens (2 bytes or more) by merging.
    fn merged(&self, piece: &[u8], scratch: &mut Scratch, out: &mut Vec<u32>) {
        self.merge(piece, scratch);
        let starts = &scratch.starts;
        for (k, &s) in starts.iter().enumerate() {
            let end = starts.get(k + 1).map_or(piece.len(), |&e| e as usize);
            // Every part is a token: parts start as single bytes and only merge into tokens.
            out.push(self.vocab.rank(&piece[s as usize..end]).unwrap_or(u32::MAX));
        }
    }

    /// Fills `scratch.starts` with the start offset of each final part of `piece` (len ≥ 2).
    fn merge(&self, piece: &[u8], scratch: &mut Scratch) {
        scratch.starts.clear();
        scratch.units.clear();
        self.whole.units(piece, &mut scratch.units);
        let parts = if scratch.units.is_empty() { piece.len() } else { scratch.units.len() };
        if parts <= SCAN_MAX {
            self.merge_scan(piece, scratch, u32::MAX);
        } else {
            self.merge_heap(piece, scratch);
        }
    }

    /// tiktoken's `_byte_pair_merge` from the parts starting at `scratch.units`
    /// (none: every byte): `parts[i] = (start, rank of part i + part i+1)`,
    /// merging only tokens ranked below `limit`.
    fn merge_scan(&self, piece: &[u8], scratch: &mut Scratch, limit: u32) {
        let n = piece.len();
        let Scratch { parts, recent, starts, units, .. } = scratch;
        let mut rank = |bytes: &[u8]| recent.rank(&self.vocab, bytes).filter(|&r| r < limit);
        parts.clear();
        if units.is_empty() {
            // From bytes (most pieces): pairs of two, which the compiler sees.
            for i in 0..n - 1 {
                parts.push((i as u32, rank(&piece[i..i + 2]).unwrap_or(u32::MAX)));
            }
            parts.push(((n - 1) as u32, u32::MAX));
        } else {
            for (k, &start) in units.iter().enumerate() {
                let pair = match units.get(k + 1) {
                    Some(_) => rank(&piece[start as usize..units.get(k + 2).map_or(n, |&e| e as usize)]),
                    None => None,
                };
                parts.push((start, pair.unwrap_or(u32::MAX)));
            }
        }
        parts.push((n as u32, u32::MAX));
        // The rank of part i merged with part i+1, skipping `skip` removed parts after i.
        let mut pair_rank = |parts: &[(u32, u32)], i: usize, skip: usize| -> u32 {
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
        starts.extend(parts[..parts.len() - 1].iter().map(|&(s, _)| s));
    }

    /// The same merges with a min-heap over a linked list of parts (offsets
    /// are u32: a single piece is under 4 GiB, as any text on wasm32 is). A heap
    /// entry packs `rank << 32 | start` (so ties order by position); it is
    /// current iff the part at `start` is alive and its pair still has that
    /// rank — a rank names its bytes, so an equal rank is the same pair.
    fn merge_heap(&self, piece: &[u8], scratch: &mut Scratch) {
        const NONE: u32 = u32::MAX;
        let n = piece.len();
        let Scratch { next, prev, pair_rank, heap, starts, recent, units, .. } = scratch;
        // Offsets inside a unit (a whole character's) are never a part's start: never read.
        next.clear();
        next.resize(n, n as u32);
        prev.clear();
        prev.resize(n, NONE);
        pair_rank.clear();
        pair_rank.resize(n, NONE);
        heap.clear();
        if units.is_empty() {
            units.extend(0..n as u32);
        }
        for (k, &start) in units.iter().enumerate() {
            let i = start as usize;
            if k > 0 {
                prev[i] = units[k - 1];
            }
            let Some(&second) = units.get(k + 1) else { continue };
            next[i] = second;
            let end = units.get(k + 2).map_or(n, |&e| e as usize);
            if let Some(r) = recent.rank(&self.vocab, &piece[i..end]) {
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
                if let Some(r) = recent.rank(&self.vocab, &piece[start..next[end] as usize]) {
                    pair_rank[start] = r;
                    heap.push(Reverse(u64::from(r) << 32 | start as u64));
                }
            }
            // The pair to the left: the previous part and this one.
            let before = prev[start];
            if before != NONE {
                let before = before as usize;
                pair_rank[before] = recent.rank(&self.vocab, &piece[before..end]).unwrap_or(NONE);
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
    /// Where the parts start before merging, when some are whole
    /// characters (empty: every byte).
    units: Vec<u32>,
    /// Ranks of short strings the merges looked up lately (in one
    /// vocabulary: a scratch serves one encoder).
    recent: Recent,
    /// The backtracking encoder's.
    linear: backtrack::Scratch,
    /// A run's probe and tail ([`Encoder::run`]).
    run_probe: Vec<u32>,
    run_tail: Vec<u32>,
}

impl Scratch {
    /// Forgets the answers kept from earlier texts ([`super::Tokenizer::forget`]).
    pub(crate) fn forget(&mut self) {
        self.recent.clear();
        self.linear.forget();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::tiny;

    /// The count with the heap alone: the vocabulary without its splits.
    fn heap_count(vocab: &Vocab, piece: &[u8]) -> usize {
        let no_splits = Vocab::from_parts(vocab.bytes.clone(), vocab.offsets.clone(), Vec::new(), Vec::new()).unwrap();
        Encoder::new(no_splits, false, WholeChars::none()).count(piece, &mut Scratch::default(), None)
    }

    #[test]
    fn the_backtracking_encoder_counts_as_the_heap_does() {
        let encoder = Encoder::new(tiny([256, 99]), false, WholeChars::none());
        let piece = b"abcabcbcbcaabcbcab".repeat(4);
        let mut scratch = Scratch::default();
        let count = encoder.count(&piece, &mut scratch, None);
        assert!(!scratch.linear.tokens.is_empty(), "the piece went to the backtracking encoder");
        assert_eq!(count, heap_count(&encoder.vocab, &piece));
    }

    #[test]
    fn a_split_that_is_not_the_last_merge_sends_the_piece_to_the_heap() {
        let encoder = Encoder::new(tiny([97, 257]), false, WholeChars::none());
        let piece = b"abc".repeat(20);
        assert_eq!(encoder.count(&piece, &mut Scratch::default(), None), 20);
    }

    /// A character that a longer token grows from before it is itself made
    /// stays in bytes ([`super::super::chars`]'s condition (grow)): with `bé`
    /// ranked below `ab` below `é`, BPE of `abé` makes `ab` first and never
    /// `bé`, so starting from a whole `é` (which merges `b`+`é` first) would
    /// count `a`, `bé` instead of `ab`, `é`.
    #[test]
    fn a_character_that_a_longer_token_grows_from_first_stays_in_bytes() {
        let mut bytes: Vec<u8> = (0..=255).collect();
        let mut offsets: Vec<u32> = (0..=256).collect();
        for token in ["bé", "ab", "é"] {
            bytes.extend_from_slice(token.as_bytes());
            offsets.push(bytes.len() as u32);
        }
        let vocab = Vocab::from_parts(bytes, offsets, Vec::new(), Vec::new()).unwrap();
        let whole = WholeChars::build(&vocab, |_| true);
        let mut units = Vec::new();
        whole.units("abé".as_bytes(), &mut units);
        assert_eq!(units, [], "é is not whole: merging starts from every byte");
        let encoder = Encoder::new(vocab, true, whole);
        let mut out = Vec::new();
        encoder.encode("abé".as_bytes(), &mut Scratch::default(), &mut out);
        assert_eq!(out, [257, 258]);
    }
}

#[cfg(all(test, feature = "embedded-vocab"))]
mod embedded_tests {
    use super::*;

    /// The tokens without the run shortcut: the backtracking encoder, or the heap.
    fn general(encoder: &Encoder, piece: &[u8], scratch: &mut Scratch) -> Vec<u32> {
        match encoder.linear(piece) {
            Some(linear) if linear.encode(&encoder.vocab, piece, &mut scratch.linear) => scratch.linear.tokens.clone(),
            _ => {
                let mut out = Vec::new();
                encoder.merged(piece, scratch, &mut out);
                out
            }
        }
    }

    /// Runs of one character, of every length from the shortest the
    /// shortcut takes to a probe longer (the period's repeats change, and the tail with them), in
    /// every byte-level vocabulary: the same tokens as without it. The general
    /// encoders are the reference's (tests/tests/tokens.rs); so is this, by transitivity.
    /// (SentencePiece vocabularies have their own run shortcut, tested with them.)
    #[test]
    fn a_run_encodes_as_the_general_encoder_does() {
        each_embedded_encoder(|v, encoder| {
            let min = RUN_MIN * encoder.vocab.max_len();
            let mut scratch = Scratch::default();
            let mut shortcuts = 0;
            for unit in [" ", "a", "\n", "é", "中", "😀"] {
                let u = unit.len();
                for n in (min.div_ceil(u)..(min + 4 * encoder.vocab.max_len()) / u).step_by(u) {
                    let piece = unit.repeat(n);
                    let mut out = Vec::new();
                    encoder.encode(piece.as_bytes(), &mut scratch, &mut out);
                    let expected = general(encoder, piece.as_bytes(), &mut scratch);
                    assert_eq!(out, expected, "{v}: {unit:?} × {n}");
                    assert_eq!(encoder.count(piece.as_bytes(), &mut scratch, None), expected.len());
                    shortcuts += usize::from(encoder.run(piece.as_bytes(), &mut scratch).is_some());
                }
            }
            // The shortcut is taken (else this test would test nothing): at least for spaces and letters.
            assert!(shortcuts > 200, "{v}: the run shortcut was taken {shortcuts} times");
        });
    }
}

/// Merging from whole characters ([`super::chars`]) against merging from bytes.
#[cfg(all(test, feature = "embedded-vocab"))]
mod whole_chars_tests {
    use core::cell::{Cell, RefCell};

    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use super::*;

    /// The parts' starts after merging `piece` with the scan or the heap, from
    /// its bytes or from whole characters; and how many parts merging started from.
    fn merged_from(
        encoder: &Encoder,
        piece: &[u8],
        whole: bool,
        heap: bool,
        scratch: &mut Scratch,
    ) -> (Vec<u32>, usize) {
        scratch.starts.clear();
        scratch.units.clear();
        if whole {
            encoder.whole.units(piece, &mut scratch.units);
        }
        if heap {
            encoder.merge_heap(piece, scratch);
        } else {
            encoder.merge_scan(piece, scratch, u32::MAX);
        }
        (scratch.starts.clone(), if scratch.units.is_empty() { piece.len() } else { scratch.units.len() })
    }

    /// Text of the scripts whose letters are two and three bytes (Latin with
    /// diacritics, Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai, Chinese,
    /// Hangul, combining marks), mixed with ASCII and emoji.
    fn text() -> impl Strategy<Value = String> {
        let char = prop_oneof![
            prop_oneof![
                Just(' '),
                Just('.'),
                Just('\''),
                proptest::char::range('a', 'z'),
                proptest::char::range('0', '9')
            ],
            proptest::char::range('\u{C0}', '\u{17F}'),
            proptest::char::range('\u{300}', '\u{36F}'),
            proptest::char::range('\u{391}', '\u{3C9}'),
            proptest::char::range('\u{410}', '\u{44F}'),
            proptest::char::range('\u{5D0}', '\u{5EA}'),
            proptest::char::range('\u{621}', '\u{64A}'),
            proptest::char::range('\u{905}', '\u{94D}'),
            proptest::char::range('\u{E01}', '\u{E4E}'),
            proptest::char::range('\u{4E00}', '\u{4FFF}'),
            proptest::char::range('\u{AC00}', '\u{AD00}'),
            proptest::char::range('\u{1F600}', '\u{1F64F}'),
        ];
        // Runs of one script, as words are.
        proptest::collection::vec(proptest::collection::vec(char, 1..8), 1..6)
            .prop_map(|words| words.into_iter().flatten().collect::<String>())
            .prop_filter("two bytes or more", |s| s.len() >= 2)
    }

    /// The same parts from whole characters as from bytes, with the scan and
    /// with the heap, in every byte-level vocabulary.
    #[test]
    fn merging_from_whole_characters_makes_the_same_parts() {
        each_embedded_encoder(|v, encoder| {
            let scratch = RefCell::new(Scratch::default());
            let (cases, fewer) = (Cell::new(0), Cell::new(0));
            let mut runner = TestRunner::new(Config { cases: 10_000, failure_persistence: None, ..Config::default() });
            runner
                .run(&(text(), any::<bool>()), |(text, spaced)| {
                    // As a piece begins: after a space, often.
                    let text = if spaced { alloc::format!(" {text}") } else { text };
                    let piece = text.as_bytes();
                    let scratch = &mut scratch.borrow_mut();
                    let (bytes, _) = merged_from(encoder, piece, false, false, scratch);
                    let (scan, units) = merged_from(encoder, piece, true, false, scratch);
                    let (heap, _) = merged_from(encoder, piece, true, true, scratch);
                    prop_assert_eq!(&scan, &bytes, "{}: {:?}, scan", v, text);
                    prop_assert_eq!(&heap, &bytes, "{}: {:?}, heap", v, text);
                    cases.set(cases.get() + 1);
                    fewer.set(fewer.get() + usize::from(units < piece.len()));
                    Ok(())
                })
                .unwrap();
            // Whole characters were used (else this would test nothing).
            assert!(
                fewer.get() * 2 > cases.get(),
                "{v}: {} of {} pieces started from fewer parts",
                fewer.get(),
                cases.get()
            );
        });
    }

    /// Every token merges from whole characters as from its bytes (to itself,
    /// in a vocabulary whose tokens merging makes): a token is where a
    /// character in it may merge with a neighbour before it is whole.
    #[test]
    fn every_token_merges_from_whole_characters_as_from_bytes() {
        each_embedded_encoder(|v, encoder| {
            let mut scratch = Scratch::default();
            let mut fewer = 0;
            for rank in 0..encoder.vocab.len() as u32 {
                let token = encoder.vocab.token(rank);
                // (Added tokens are matched in text, never merged.)
                if token.len() < 2 || core::str::from_utf8(token).is_err() || encoder.vocab.added().contains(&rank) {
                    continue;
                }
                let heap = units_heap(token);
                let (whole, units) = merged_from(encoder, token, true, heap, &mut scratch);
                let (bytes, _) = merged_from(encoder, token, false, heap, &mut scratch);
                assert_eq!(whole, bytes, "{v}: token {rank} {:?}", core::str::from_utf8(token));
                if v.every_token_merged() {
                    assert_eq!(whole, [0], "{v}: token {rank}");
                }
                fewer += usize::from(units < token.len());
            }
            assert!(fewer > 100, "{v}: {fewer} tokens started from fewer parts");
        });
    }

    /// The table each vocabulary file carries is the one its tokens make.
    #[test]
    fn the_files_list_the_characters_their_tokens_make_whole() {
        each_embedded_encoder(|v, encoder| {
            let mut scratch = Scratch::default();
            let built = WholeChars::build(&encoder.vocab, |rank| encoder.last_merge(rank, &mut scratch).is_some());
            assert!(encoder.whole == built, "{v}: the file's {:?}, built {built:?}", encoder.whole);
        });
    }

    /// The heap for the longer tokens, the scan for the shorter: both are tested.
    fn units_heap(token: &[u8]) -> bool {
        token.len() > SCAN_MAX
    }

    /// A space and the first byte of a Cyrillic letter (` \xd0`, rank 300 in
    /// o200k_base) merge before most Cyrillic letters do: after a space such a
    /// letter starts as bytes, elsewhere whole; and where a piece begins, the
    /// space and the letter are one unit.
    #[test]
    fn a_neighbour_that_merges_first_keeps_a_character_in_bytes() {
        let t = crate::Tokenizer::embedded(crate::Encoding::O200kBase);
        let crate::tokenizer::Engine::Bpe(_, encoder) = &t.engine else { unreachable!() };
        let units = |piece: &str| {
            let mut units = Vec::new();
            encoder.whole.units(piece.as_bytes(), &mut units);
            units
        };
        assert_eq!(encoder.vocab.rank(&[b' ', 0xD0]), Some(300));
        assert_eq!(units("оно"), [0, 2, 4]);
        assert_eq!(units("но оно"), [0, 2, 4, 5, 6, 7, 9]);
        assert_eq!(units(" привет"), [0, 3, 5, 7, 9, 11]);
    }
}

/// Runs `check` on the encoder of every byte-level vocabulary compiled in
/// (the SentencePiece ones have none): what the encoders' tests of the real
/// vocabularies go over.
#[cfg(all(test, feature = "embedded-vocab"))]
pub(crate) fn each_embedded_encoder(mut check: impl FnMut(crate::Vocabulary, &Encoder)) {
    use crate::tokenizer::Engine;
    for v in crate::Vocabulary::ALL {
        let t = crate::Tokenizer::embedded(v.encoding());
        if let Engine::Bpe(_, encoder) = &t.engine {
            check(v, encoder);
        }
    }
}
