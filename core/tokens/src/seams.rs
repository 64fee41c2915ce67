//! Seams: the places in a piece that no token of the vocabulary spans, where
//! the piece can be cut into parts that encode alone.
//!
//! BPE only ever merges two parts into a token. If no token of the
//! vocabulary equals a stretch of the piece that crosses position p, no merge
//! ever crosses p: until one does, the parts left of p and those right of it
//! evolve exactly as BPE on each side alone (the smallest pair overall lies
//! in one side and is the smallest there; a tie goes to the leftmost in
//! either view), and so none ever does. So BPE(piece) is BPE(left) followed
//! by BPE(right), and the two sides can be counted (and remembered) apart.
//!
//! That matters for scripts written without spaces: o200k_base makes one
//! piece of a whole Chinese clause, new each time and long enough to need
//! the backtracking encoder, where seams cut out words of one to three
//! characters that recur and merge at once. `cjk.txt`'s 16,154 pieces (48% of
//! its bytes in pieces of 17 bytes or more) become 34,266 parts (98% of
//! the bytes in parts under 17 bytes).
//!
//! Only seams between two characters from U+3000 up are looked for ([`CUT_FROM`]). A token
//! that crosses such a seam contains, at that point, a continuation byte
//! followed by a lead byte. [`Seams::build`] visits every such point of
//! every token and records the characters on either side: both whole
//! characters as a pair, and otherwise (a token that begins or ends inside
//! a character, a few hundred in o200k_base) just the two bytes at the
//! point, which rules out more seams than it must but never one too few.

use alloc::vec::Vec;

use super::unicode::utf8_len;
use super::vocab::Vocab;

/// Cut only pieces at least this long: shorter ones are one or two
/// characters of any script, which the merge scan encodes at once.
pub(crate) const SEAM_MIN: usize = 7;

/// Seams are looked for between characters from U+3000 up (lead bytes from
/// 0xE3): CJK, kana, Hangul, full-width forms, emoji. Lower scripts of three
/// bytes (Devanagari, Thai) are merged so often that their pieces have few
/// seams, and looking cost them 5–10% in WebAssembly.
pub(crate) const CUT_FROM: u8 = 0xE3;

pub(crate) struct Seams {
    /// Open addressing: `left << 32 | right`, each a character's UTF-8
    /// bytes as a little-endian word (never 0), 0 for an empty slot.
    pairs: Vec<u64>,
    shift: u32,
    /// Bit `a << 8 | b` set: a token has byte a then lead byte b where a
    /// character of it is cut off at the token's edge.
    bytes: Vec<u64>,
}

#[inline(always)]
fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// A character's 2–4 bytes as a word.
#[inline(always)]
fn word(bytes: &[u8]) -> u32 {
    let at = |i: usize| bytes.get(i).map_or(0, |&b| u32::from(b));
    at(0) | at(1) << 8 | at(2) << 16 | at(3) << 24
}

impl Seams {
    /// From every token of `vocab` (o200k_base: a pass over its 1.6 MB of bytes).
    pub(crate) fn build(vocab: &Vocab) -> Seams {
        let mut pairs = Vec::new();
        let mut bytes = alloc::vec![0u64; 1 << 10];
        for rank in 0..vocab.len() as u32 {
            let token = vocab.token(rank);
            for k in 1..token.len() {
                let (a, b) = (token[k - 1], token[k]);
                // Where a token may cross between two characters `cut` looks at.
                if !(is_continuation(a) && b >= CUT_FROM) {
                    continue;
                }
                // The character left of k: back over continuation bytes to its lead byte.
                let mut j = k - 1;
                while j > 0 && k - j < 4 && is_continuation(token[j]) {
                    j -= 1;
                }
                let whole_left = token[j] >= 0xC0 && j + utf8_len(token[j]) == k;
                let end = k + utf8_len(b);
                let whole_right = end <= token.len() && token[k + 1..end].iter().all(|&c| is_continuation(c));
                if whole_left && token[j] < CUT_FROM {
                    continue;
                }
                if whole_left && whole_right {
                    pairs.push(u64::from(word(&token[j..k])) << 32 | u64::from(word(&token[k..end])));
                } else {
                    let bit = usize::from(a) << 8 | usize::from(b);
                    bytes[bit >> 6] |= 1 << (bit & 63);
                }
            }
        }
        let capacity = (pairs.len() * 2).next_power_of_two().max(16);
        let mut seams = Seams { pairs: alloc::vec![0; capacity], shift: 64 - capacity.trailing_zeros(), bytes };
        let mask = capacity - 1;
        for key in pairs {
            let mut i = seams.slot(key);
            while seams.pairs[i] != 0 && seams.pairs[i] != key {
                i = (i + 1) & mask;
            }
            seams.pairs[i] = key;
        }
        seams
    }

    #[inline(always)]
    fn slot(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// Whether some token may cross between whole characters `left` and `right`.
    #[inline]
    fn crossed(&self, left: &[u8], right: &[u8]) -> bool {
        let bit = usize::from(left[left.len() - 1]) << 8 | usize::from(right[0]);
        if self.bytes[bit >> 6] >> (bit & 63) & 1 != 0 {
            return true;
        }
        let key = u64::from(word(left)) << 32 | u64::from(word(right));
        let mask = self.pairs.len() - 1;
        let mut i = self.slot(key);
        loop {
            match self.pairs[i] {
                0 => return false,
                k if k == key => return true,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Calls `part` with each stretch of `piece` between its seams, in order;
    /// false (and no call) when it has none.
    #[inline]
    pub(crate) fn cut(&self, piece: &[u8], mut part: impl FnMut(&[u8])) -> bool {
        let mut from = 0;
        // Where the character before `at` starts, if it is one seams are looked for after.
        let mut previous: Option<usize> = None;
        let mut at = 0;
        while at < piece.len() {
            let lead = piece[at];
            let len = utf8_len(lead);
            let end = at + len;
            if lead < CUT_FROM || end > piece.len() {
                previous = None;
                at += 1;
                continue;
            }
            if let Some(p) = previous {
                if !self.crossed(&piece[p..at], &piece[at..end]) {
                    part(&piece[from..at]);
                    from = at;
                }
            }
            previous = Some(at);
            at = end;
        }
        if from == 0 {
            return false;
        }
        part(&piece[from..]);
        true
    }
}
