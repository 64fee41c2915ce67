//! Characters that byte-pair encoding merges before anything else touches
//! their bytes, so that merging a piece can start from them.
//!
//! BPE starts from a piece's bytes. A letter of Cyrillic, Greek, Arabic or
//! Hebrew is two bytes, of Devanagari, Thai or Chinese three, and merging
//! first spends a step per letter making it (and on each step looks up the
//! two strings that now straddle it, which are almost never tokens): about
//! 40% of the merges of the distinct pieces of `multilingual.txt` and 70% of
//! `cjk.txt`'s (o200k_base). Starting those
//! merges from whole characters gives the same tokens, for the characters and
//! in the places the vocabulary allows, by this argument.
//!
//! Let `c` be a character of m ≥ 2 bytes that is a token BPE makes from its
//! bytes (its encoding with the lower ranks alone is two tokens, which then
//! make c: the writer stores such a token as that pair), and let `U` be the highest
//! rank of the tokens among c's substrings of two bytes or more (c's own
//! merges make only such tokens, so none ranks above U). Take an instance of
//! c in a piece, with the byte `l` before it and the byte `r` after it (if
//! any), such that
//!
//! - (before) no token ranked at most U ends with `l` followed by a proper
//!   prefix of c,
//! - (after) no token ranked at most U starts with a proper suffix of c
//!   followed by `r`,
//! - (grow) no token ranked at most U is c followed or preceded by more bytes.
//!
//! 1. *c is made before any of its bytes merges with a byte outside it.* Until c
//!    is whole, its own next merge is a pair ranked at most U, so every merge
//!    BPE picks meanwhile ranks at most U (it picks the lowest). A merge that
//!    joins part of c to the outside makes a token that ends with what
//!    precedes c (its last byte is `l`) followed by a proper prefix of c, or
//!    starts with a proper suffix of c followed by what follows it (first
//!    byte `r`): by (before) and (after) it ranks above U, so it is never
//!    picked first.
//! 2. *Starting with c whole changes nothing.* Run BPE from the bytes and from
//!    the parts with c merged. Until the first run makes c, it merges only
//!    pairs outside c ranked at most U (by 1), and the second run has the
//!    same pairs outside c, plus the pairs that join c to a neighbour, which
//!    rank above U by (grow): so it makes the same merges in the same order
//!    (ties are the same token in two places, resolved leftmost in both).
//!    When the first run makes c, the two runs hold the same parts, and go
//!    on alike.
//!
//! One character at a time, the argument covers all of them (it holds from
//! any parts, not only from bytes). The piece is text, so the byte before a
//! character is ASCII or ends another character, and the byte after it
//! begins one: those are the bytes [`WholeChars`] keeps per character, the
//! ones for which (before) or (after) fails. In o200k_base, 4,669 of the
//! 5,115 characters of two or three bytes that are tokens are whole
//! somewhere; what most often keeps one in bytes is a space before it
//! (` \xd0`, a space and the first byte of a Cyrillic letter, ranks below
//! most Cyrillic letters).
//!
//! Nothing above needs `c` to be one character: any token `s` that BPE makes
//! from its bytes may start as one part under the same three conditions. A
//! piece usually begins with a space and a letter (` привет`), where the
//! letter alone is seldom whole (the space and its first byte merge first),
//! but the two together often are: with no byte before them, only (after)
//! and (grow) to the right apply, and a proper suffix of ` c` is c itself or
//! a proper suffix of c. The table keeps, per character, the bytes after it
//! that keep ` c` from being one unit. This takes another 15% of the merges
//! of `multilingual.txt` (a quarter in cl100k_base), a third of `cjk.txt`'s.
//!
//! Characters of four bytes (emoji) stay bytes: there are 19 of them among
//! o200k_base's tokens.
//!
//! Finding them takes a pass over every token's head and tail (2 ms for
//! o200k_base natively, more in WebAssembly: more than it saves on a page of
//! text), so the vocabulary file carries the result ([`super::vocab_file`]):
//! the writer builds it, the reader only checks that it is well formed. A
//! test builds it again from the tokens of every vocabulary shipped.

use alloc::vec::Vec;

use super::unicode::{decode, utf8_len};
use super::vocab::{Vocab, VocabError};

/// The characters of one vocabulary that merging may start from, with the
/// neighbouring bytes that keep each of them in bytes.
#[derive(PartialEq, Eq)]
pub(crate) struct WholeChars {
    /// By code point below U+10000: 0, or 1 + the character's index in `neighbours`.
    index: Vec<u16>,
    neighbours: Vec<Neighbours>,
}

/// The bytes that, just before or just after a character, keep it in bytes
/// (bit b of word b / 64); and those after it that keep a space and it, as a
/// piece begins, from being one unit. [`NEVER`] in `before`: the character is
/// never whole alone (it is listed for the space); in `spaced`: a space and
/// it never are.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
struct Neighbours {
    before: [u64; 4],
    after: [u64; 4],
    spaced: [u64; 4],
}

/// A byte that UTF-8 text never has, as a flag in a set of [`Neighbours`].
const NEVER: u8 = 0xFF;

/// Whether `set` holds byte `b`.
#[inline(always)]
fn has(set: &[u64; 4], b: u8) -> bool {
    set[usize::from(b >> 6)] >> (b & 63) & 1 == 1
}

/// Adds byte `b` to `set`.
fn add(set: &mut [u64; 4], b: u8) {
    set[usize::from(b >> 6)] |= 1 << (b & 63);
}

impl core::fmt::Debug for WholeChars {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "WholeChars({} characters, {} neighbours)",
            self.index.iter().filter(|&&i| i > 0).count(),
            self.neighbours.len()
        )
    }
}

/// A token that merging a character with what precedes or follows it could
/// make, as one number: the proper prefix (or suffix) of a character it
/// holds, packed with its length ([`pack`]), the byte beyond it, and the
/// token's rank (below 2^24, the vocabulary file's limit) in the low 24 bits.
type Straddle = u64;

impl WholeChars {
    /// The table for `vocab`, for the characters `made` says BPE makes from
    /// their bytes (by rank): one pass over the tokens' heads and tails.
    pub(crate) fn build(vocab: &Vocab, mut made: impl FnMut(u32) -> bool) -> WholeChars {
        // The lowest rank of a token longer than a character that starts or ends with it.
        let mut grown = alloc::vec![u32::MAX; 1 << 16];
        // Tokens ending with a byte and a proper prefix of a character; starting
        // with a proper suffix of one and a byte.
        let (mut before, mut after): (Vec<Straddle>, Vec<Straddle>) = (Vec::new(), Vec::new());
        let straddle =
            |part: &[u8], beyond: u8, rank: u32| (pack(part) << 8 | u64::from(beyond)) << 24 | u64::from(rank);
        // The lowest rank of a token longer than a space and a character that starts with them.
        let mut spaced_grown = alloc::vec![u32::MAX; 1 << 16];
        // The characters that are tokens: (code point, rank).
        let mut chars: Vec<(u32, u32)> = Vec::new();
        // Two thirds of o200k_base's tokens are ASCII at both ends and second: one test.
        for (rank, ends) in vocab.offsets.windows(2).enumerate() {
            let t = &vocab.bytes[ends[0] as usize..ends[1] as usize];
            let (n, rank) = (t.len(), rank as u32);
            let [first, second, ..] = *t else { continue };
            let last = t[n - 1];
            if (first | second | last) < 0x80 {
                continue;
            }
            if let Some(cp) = char_at(t, 1).filter(|_| first == b' ' && 1 + utf8_len(second) < n) {
                spaced_grown[cp as usize] = spaced_grown[cp as usize].min(rank);
            }
            // The head: continuation bytes (a character's proper suffix), or a whole character.
            if is_continuation(first) {
                let suffix = 1 + t[1..n.min(3)].iter().take_while(|&&b| is_continuation(b)).count();
                if suffix < n {
                    after.push(straddle(&t[..suffix], t[suffix], rank));
                }
            } else if let Some(cp) = char_at(t, 0) {
                if utf8_len(first) == n {
                    if made(rank) {
                        chars.push((cp, rank));
                    }
                } else {
                    grown[cp as usize] = grown[cp as usize].min(rank);
                    // A proper suffix of a space and c (c itself) followed by a byte.
                    let m = utf8_len(first);
                    after.push(straddle(&t[..m], t[m], rank));
                }
            }
            // The tail: a character's proper prefix (a first byte and fewer continuation
            // bytes than it announces), or a whole character.
            if last >= 0x80 {
                let conts = t[n.saturating_sub(3)..].iter().rev().take_while(|&&b| is_continuation(b)).count();
                let j = n.saturating_sub(conts + 1);
                if j > 0 && t[j] >= 0xC0 {
                    let (have, need) = (n - j, utf8_len(t[j]));
                    if have < need {
                        before.push(straddle(&t[j..], t[j - 1], rank));
                    } else if have == need {
                        if let Some(cp) = char_at(t, j) {
                            grown[cp as usize] = grown[cp as usize].min(rank);
                        }
                    }
                }
            }
        }
        before.sort_unstable();
        after.sort_unstable();
        let mut index = alloc::vec![0u16; 1 << 16];
        // Characters of a script often share their neighbours (o200k_base:
        // 717 different ones for 4,990 characters): each is kept once.
        let mut neighbours: Vec<Neighbours> = Vec::new();
        // The highest rank among the substrings of two bytes or more of `s`.
        let highest =
            |s: &[u8]| (0..s.len()).flat_map(|a| (a + 2..=s.len()).filter_map(move |b| vocab.rank(&s[a..b]))).max();
        for (cp, rank) in chars {
            let c = vocab.token(rank);
            let mut n = Neighbours::default();
            let u = highest(c).unwrap_or(rank);
            if grown[cp as usize] <= u {
                add(&mut n.before, NEVER);
            } else {
                for k in 1..c.len() {
                    mark(&before, &c[..k], u, &mut n.before);
                    mark(&after, &c[k..], u, &mut n.after);
                }
            }
            let mut spaced = alloc::vec![b' '];
            spaced.extend_from_slice(c);
            match (vocab.rank(&spaced), highest(&spaced)) {
                (Some(rank), Some(u)) if made(rank) && spaced_grown[cp as usize] > u => {
                    for k in 0..c.len() {
                        mark(&after, &c[k..], u, &mut n.spaced);
                    }
                }
                _ => add(&mut n.spaced, NEVER),
            }
            if has(&n.before, NEVER) && has(&n.spaced, NEVER) {
                continue;
            }
            let at = neighbours.iter().position(|kept| *kept == n).unwrap_or_else(|| {
                neighbours.push(n);
                neighbours.len() - 1
            });
            index[cp as usize] = at as u16 + 1;
        }
        WholeChars { index, neighbours }
    }

    /// No character whole (what a vocabulary built in memory, not read from a file, has).
    pub(crate) fn none() -> WholeChars {
        WholeChars { index: Vec::new(), neighbours: Vec::new() }
    }

    /// Appends the table as the vocabulary file stores it: the number of
    /// different neighbours (u16 LE), each as its three sets of bytes (before,
    /// after, after a space and the character), a set as its size (a byte:
    /// a set holds ASCII, continuation or first bytes and the flag, never all
    /// 256) and its bytes ascending; then the number of characters (u32 LE),
    /// their code points as increments from the one before (u16 LE, from 0),
    /// and the index of each one's neighbours, low bytes then high bytes.
    /// (As twelve words a set instead, o200k_base's file was 3.5 KiB larger
    /// after brotli.)
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.neighbours.len() as u16).to_le_bytes());
        for n in &self.neighbours {
            for set in [&n.before, &n.after, &n.spaced] {
                let bytes: Vec<u8> = (0..=255u8).filter(|&b| has(set, b)).collect();
                out.push(u8::try_from(bytes.len()).expect("never every byte"));
                out.extend_from_slice(&bytes);
            }
        }
        let chars: Vec<(u16, u16)> =
            (0..=u16::MAX).zip(self.index.iter()).filter(|&(_, &i)| i > 0).map(|(cp, &i)| (cp, i - 1)).collect();
        out.extend_from_slice(&(chars.len() as u32).to_le_bytes());
        let mut last = 0;
        for &(cp, _) in &chars {
            out.extend_from_slice(&(cp - last).to_le_bytes());
            last = cp;
        }
        out.extend(chars.iter().map(|&(_, i)| i as u8));
        out.extend(chars.iter().map(|&(_, i)| (i >> 8) as u8));
    }

    /// Reads what [`WholeChars::write`] wrote, all of `data`.
    pub(crate) fn read(data: &[u8]) -> Result<WholeChars, VocabError> {
        const TRUNCATED: VocabError = VocabError::Truncated("whole characters");
        let (count, mut rest) = data.split_first_chunk::<2>().ok_or(TRUNCATED)?;
        let count = usize::from(u16::from_le_bytes(*count));
        let mut neighbours = Vec::with_capacity(count);
        for _ in 0..count {
            let mut n = Neighbours::default();
            for set in [&mut n.before, &mut n.after, &mut n.spaced] {
                let (&len, tail) = rest.split_first().ok_or(TRUNCATED)?;
                let (bytes, tail) = tail.split_at_checked(usize::from(len)).ok_or(TRUNCATED)?;
                bytes.iter().for_each(|&b| add(set, b));
                rest = tail;
            }
            neighbours.push(n);
        }
        let (chars, rest) = rest.split_first_chunk::<4>().ok_or(TRUNCATED)?;
        let chars = u32::from_le_bytes(*chars) as usize;
        if rest.len() != 4 * chars {
            return Err(if rest.len() < 4 * chars { TRUNCATED } else { VocabError::Corrupt("trailing bytes") });
        }
        let (steps, sets) = rest.split_at(2 * chars);
        let (low, high) = sets.split_at(chars);
        let mut index = alloc::vec![0u16; 1 << 16];
        let mut cp = 0u32;
        for (k, step) in steps.chunks_exact(2).enumerate() {
            let step = u16::from_le_bytes([step[0], step[1]]);
            let set = u16::from_le_bytes([low[k], high[k]]);
            cp += u32::from(step);
            if step == 0
                || !(0x80..=0xFFFF).contains(&cp)
                || (0xD800..0xE000).contains(&cp)
                || usize::from(set) >= count
            {
                return Err(VocabError::Corrupt("whole characters"));
            }
            index[cp as usize] = set + 1;
        }
        Ok(WholeChars { index, neighbours })
    }

    /// Appends to `units` where merging `piece` starts its parts: at each
    /// whole character (where its neighbours allow), and at every other byte;
    /// nothing if `piece` has no character of two bytes or more (most merged
    /// pieces of most text), which the merges read as every byte. `piece` is
    /// whole characters of UTF-8 text.
    pub(crate) fn units(&self, piece: &[u8], units: &mut Vec<u32>) {
        let n = piece.len();
        if self.neighbours.is_empty() || piece.iter().all(|&b| b < 0xC0) {
            return;
        }
        let mut i = 0;
        debug_assert!(core::str::from_utf8(piece).is_ok());
        // A space and a character as the piece begins: one unit, where the table allows.
        if piece[0] == b' ' && n > 2 {
            let (cp, m) = decode(piece, 1);
            if let Some(nb) = self.neighbours(cp).filter(|_| m < n) {
                if !has(&nb.spaced, NEVER) && piece.get(1 + m).is_none_or(|&b| !has(&nb.spaced, b)) {
                    units.push(0);
                    i = 1 + m;
                }
            }
        }
        while i < n {
            let (cp, m) = decode(piece, i);
            if self.whole_at(piece, i, cp, m) {
                units.push(i as u32);
            } else {
                units.extend(i as u32..(i + m) as u32);
            }
            i += m;
        }
    }

    /// The neighbours of the character `cp`, if the table lists it (it
    /// lists characters of two and three bytes only).
    #[inline]
    fn neighbours(&self, cp: u32) -> Option<&Neighbours> {
        self.neighbours.get(usize::from(*self.index.get(cp as usize)?).checked_sub(1)?)
    }

    /// Whether the character `cp` of `m` bytes at `i` is whole there.
    #[inline]
    fn whole_at(&self, piece: &[u8], i: usize, cp: u32, m: usize) -> bool {
        self.neighbours(cp).is_some_and(|n| {
            !has(&n.before, NEVER)
                && (i == 0 || !has(&n.before, piece[i - 1]))
                && piece.get(i + m).is_none_or(|&b| !has(&n.after, b))
        })
    }
}

/// Sets in `set` the byte beyond `part` of each straddling token ranked at most `highest`.
fn mark(straddles: &[Straddle], part: &[u8], highest: u32, set: &mut [u64; 4]) {
    let key = pack(part);
    let from = straddles.partition_point(|&s| s >> 32 < key);
    for &s in straddles[from..].iter().take_while(|&&s| s >> 32 == key) {
        if s as u32 & 0xFF_FFFF <= highest {
            add(set, (s >> 24) as u8);
        }
    }
}

/// Up to three bytes and their count, as one number.
fn pack(bytes: &[u8]) -> u64 {
    bytes.iter().fold(bytes.len() as u64, |key, &b| key << 8 | u64::from(b))
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// The code point of the two- or three-byte character at `i` of a token's
/// bytes, if they are one (tokens need not be UTF-8).
fn char_at(bytes: &[u8], i: usize) -> Option<u32> {
    let m = utf8_len(bytes[i]);
    let c = core::str::from_utf8(bytes.get(i..i + m)?).ok()?.chars().next()?;
    (2..=3).contains(&m).then_some(u32::from(c))
}
