//! The vocabulary file format, `FBV4`: small to download, cheap to load.
//!
//! Every multi-byte token of a BPE vocabulary was made by merging two tokens
//! of lower rank, its *last merge* (left, right), so a token can be stored as
//! that pair of ranks instead of its bytes, and rebuilt by concatenating
//! tokens already rebuilt (ranks go up). Rank pairs compress better than the
//! bytes they stand for when each byte of the ranks goes into its own plane,
//! and better still when each plane's values are grouped by the more
//! significant bytes of the same rank (a stable counting sort), so that brotli
//! sees the low bytes of nearby ranks together: o200k_base is 809 KiB brotli
//! as token bytes, 688 KiB as rank pairs in plain byte planes (`FBV2`),
//! 660 KiB so. A token that is not such a pair (none in OpenAI's
//! vocabularies, but the format does not assume it) is stored as its bytes.
//!
//! (A smaller layout, 629 KiB, stores each part by the bytes where the parts
//! meet and its position among the tokens ending or starting with them; its
//! decoder looks every part up in lists of megabytes, at random, and loaded
//! o200k_base in 19 ms natively instead of 11: more than the cold-start budget.)
//!
//! Layout, after the magic `FBV4` and the rank count (u32 LE):
//! - one kind byte per rank: 0 none, 1 single byte, 2 pair, 3 literal,
//!   4 added token (Hugging Face's `added_tokens`: matched in text before it
//!   is split, never merged; stored as a literal is);
//! - the byte of each single-byte token, in rank order;
//! - the pairs' left ranks, then their right ranks, each as three planes of
//!   one byte per pair: the high byte (bits 16–23) in rank order, the middle
//!   byte grouped by the high byte, the low byte grouped by the high and middle
//!   bytes ("grouped by k": in the order of a stable sort by k);
//! - each literal and added token as a length byte and its bytes, in rank order;
//! - the characters merging may start from whole, and the bytes beside which
//!   each may not ([`super::chars`]: derived from the tokens, as the pairs
//!   are, but by a pass over all of them that would cost more at run time
//!   than it saves): o200k_base 4,990 characters, 25 KiB, 14.5 KiB after
//!   brotli (2.2% of the file). (`FBV3` was this without them.)

use alloc::vec::Vec;

use super::bpe::{Encoder, Scratch};
use super::chars::WholeChars;
use super::vocab::{Vocab, VocabError, NO_SPLIT};

const MAGIC: &[u8; 4] = b"FBV4";
const NONE: u8 = 0;
const BYTE: u8 = 1;
const PAIR: u8 = 2;
const LITERAL: u8 = 3;
const ADDED: u8 = 4;

/// Writes the tokens (by rank; `None` for a rank without a token) as `FBV3`,
/// the ranks in `added` as added tokens. The writer behind `cargo xtask vocab`.
pub fn encode(tokens: &[Option<Vec<u8>>], added: &[u32]) -> Result<Vec<u8>, VocabError> {
    let mut bytes = Vec::new();
    let mut offsets = alloc::vec![0u32];
    for t in tokens {
        let t = t.as_deref().unwrap_or(&[]);
        if t.len() > 255 {
            return Err(VocabError::Unwritable("a token longer than 255 bytes"));
        }
        bytes.extend_from_slice(t);
        offsets.push(u32::try_from(bytes.len()).map_err(|_| VocabError::Unwritable("too large"))?);
    }
    // No splits yet: the writer derives them, trusting nothing.
    let bpe = Encoder::new(Vocab::from_parts(bytes, offsets, Vec::new(), added.to_vec())?, false, WholeChars::none());
    let vocab = &bpe.vocab;
    let (mut kinds, mut singles, mut lefts, mut rights, mut literals) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut scratch = Scratch::default();
    for rank in 0..vocab.len() as u32 {
        let token = vocab.token(rank);
        if added.contains(&rank) {
            kinds.push(ADDED);
            literals.push(token.len() as u8);
            literals.extend_from_slice(token);
            continue;
        }
        match (token.len(), bpe.last_merge(rank, &mut scratch)) {
            (0, _) => kinds.push(NONE),
            (1, _) => {
                kinds.push(BYTE);
                singles.push(token[0]);
            }
            (_, Some((left, right))) => {
                kinds.push(PAIR);
                lefts.push(left);
                rights.push(right);
            }
            (len, None) => {
                kinds.push(LITERAL);
                literals.push(len as u8);
                literals.extend_from_slice(token);
            }
        }
    }
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&(vocab.len() as u32).to_le_bytes());
    out.extend_from_slice(&kinds);
    out.extend_from_slice(&singles);
    for ranks in [&lefts, &rights] {
        let grouped = |shift: u32, byte: u32| -> Vec<u8> {
            let mut order = ranks.clone();
            order.sort_by_key(|r| r >> shift); // stable: rank order within a group
            order.into_iter().map(|r| (r >> byte) as u8).collect()
        };
        out.extend(ranks.iter().map(|r| (r >> 16) as u8));
        out.extend(grouped(16, 8));
        out.extend(grouped(8, 0));
    }
    out.extend_from_slice(&literals);
    // A character stored as a pair is one that BPE makes from its bytes.
    WholeChars::build(vocab, |rank| kinds[rank as usize] == PAIR).write(&mut out);
    Ok(out)
}

/// Reads a vocabulary file: the vocabulary, and the characters merging starts from.
pub(crate) fn read(data: &[u8]) -> Result<(Vocab, WholeChars), VocabError> {
    let Decoded { bytes, offsets, splits, added, whole } = decode(data)?;
    Ok((Vocab::from_parts(bytes, offsets, splits, added)?, whole))
}

/// A decoded vocabulary file.
struct Decoded {
    /// Token bytes, concatenated in rank order.
    pub bytes: Vec<u8>,
    /// `offsets[r]..offsets[r + 1]` are rank r's bytes.
    pub offsets: Vec<u32>,
    /// The pair each `PAIR` token is stored as (its last merge, as the
    /// writer found it; a reader verifies before relying on it), else
    /// [`NO_SPLIT`].
    pub splits: Vec<[u32; 2]>,
    /// The ranks of the added tokens.
    pub added: Vec<u32>,
    /// The characters merging starts from.
    pub whole: WholeChars,
}

/// One side's (left or right) ranks: its three planes, and per group the
/// place of its next value in the grouped planes (a stable counting sort's
/// cursors, advanced as the pairs are read in rank order).
struct Ranks<'a> {
    high: &'a [u8],
    middle: &'a [u8],
    low: &'a [u8],
    by_high: [u32; 256],
    by_high_middle: Vec<u32>,
}

impl<'a> Ranks<'a> {
    /// Counts the groups: two passes over the planes, before any rank is read.
    fn new(planes: &'a [u8], n: usize) -> Ranks<'a> {
        let (high, rest) = planes.split_at(n);
        let (middle, low) = rest.split_at(n);
        let mut by_high = [0u32; 256];
        for &h in high {
            by_high[usize::from(h)] += 1;
        }
        let groups = by_high.iter().rposition(|&c| c > 0).map_or(0, |top| (top + 1) << 8);
        starts(&mut by_high);
        // The middle plane is grouped by the high byte: each group's counts
        // come from its own stretch of the plane, read straight through.
        let mut by_high_middle = alloc::vec![0u32; groups];
        for (h, counts) in by_high_middle.chunks_exact_mut(256).enumerate() {
            let end = by_high.get(h + 1).map_or(n, |&e| e as usize);
            for &m in &middle[by_high[h] as usize..end] {
                counts[usize::from(m)] += 1;
            }
        }
        starts(&mut by_high_middle);
        Ranks { high, middle, low, by_high, by_high_middle }
    }

    /// The i-th rank (pairs are read in rank order, so i is implied).
    #[inline(always)]
    fn next(&mut self, i: usize) -> u32 {
        let h = usize::from(self.high[i]);
        let m = &mut self.by_high[h];
        let key = h << 8 | usize::from(self.middle[*m as usize]);
        *m += 1;
        let l = &mut self.by_high_middle[key];
        let rank = (key as u32) << 8 | u32::from(self.low[*l as usize]);
        *l += 1;
        rank
    }
}

/// Counts per group in, each group's first place out.
fn starts(counts: &mut [u32]) {
    let mut start = 0;
    for c in counts {
        (start, *c) = (start + *c, start);
    }
}

/// Reads `FBV3` into token bytes concatenated in rank order, their offsets and splits.
///
/// Linear passes, since this runs on every cold start (in a browser, before
/// V8 has optimised it): two count the groups of the rank planes; the next
/// reads the pairs and sums lengths into offsets, so that the last can copy
/// each token's parts straight to their final place in one exactly-sized
/// buffer, without growing it or checking capacity per token.
fn decode(data: &[u8]) -> Result<Decoded, VocabError> {
    let rest = data.strip_prefix(MAGIC).ok_or(VocabError::NotAVocabulary)?;
    let (count, rest) = rest.split_first_chunk::<4>().ok_or(VocabError::Truncated("header"))?;
    let count = u32::from_le_bytes(*count) as usize;
    if count > 1 << 24 {
        return Err(VocabError::Corrupt("implausible token count"));
    }
    let kinds = rest.get(..count).ok_or(VocabError::Truncated("kinds"))?;
    let (mut n_single, mut n_pair) = (0, 0);
    for &kind in kinds {
        n_single += usize::from(kind == BYTE);
        n_pair += usize::from(kind == PAIR);
    }
    let (singles, rest) = rest[count..].split_at_checked(n_single).ok_or(VocabError::Truncated("data"))?;
    let (planes, literals) = rest.split_at_checked(6 * n_pair).ok_or(VocabError::Truncated("data"))?;
    let (left_planes, right_planes) = planes.split_at(3 * n_pair);
    let (mut lefts, mut rights) = (Ranks::new(left_planes, n_pair), Ranks::new(right_planes, n_pair));

    // Pass 1: each token's pair and length, lengths summed into offsets.
    let mut offsets: Vec<u32> = Vec::with_capacity(count + 1);
    let mut splits: Vec<[u32; 2]> = Vec::with_capacity(count);
    let mut literal_at = 0;
    let mut added = Vec::new();
    let (mut pair, mut end) = (0, 0u64);
    offsets.push(0);
    for (rank, &kind) in kinds.iter().enumerate() {
        let mut split = NO_SPLIT;
        end += match kind {
            NONE => 0,
            BYTE => 1,
            PAIR => {
                let (left, right) = (lefts.next(pair), rights.next(pair));
                pair += 1;
                // A pair refers to tokens already rebuilt: lower ranks only.
                if left as usize >= rank || right as usize >= rank {
                    return Err(VocabError::Corrupt("a pair refers to a rank not below its own"));
                }
                split = [left, right];
                let len = |r: u32| u64::from(offsets[r as usize + 1] - offsets[r as usize]);
                len(left) + len(right)
            }
            LITERAL | ADDED => {
                let len = usize::from(*literals.get(literal_at).ok_or(VocabError::Truncated("literal"))?);
                literal_at += 1 + len;
                if kind == ADDED {
                    added.push(rank as u32);
                }
                len as u64
            }
            _ => return Err(VocabError::Corrupt("unknown token kind")),
        };
        offsets.push(u32::try_from(end).map_err(|_| VocabError::Corrupt("too large"))?);
        splits.push(split);
    }
    let whole = WholeChars::read(literals.get(literal_at..).ok_or(VocabError::Truncated("literal"))?)?;

    // Pass 2: the bytes. A part of at most 16 bytes is copied as 16: the
    // bytes past its end land where the next tokens are about to be written
    // (or in the padding), so they are overwritten, and the reads stay inside
    // the padded buffer.
    const WIDE: usize = 16;
    let total = end as usize;
    let mut bytes = alloc::vec![0u8; total + WIDE];
    let (mut single, mut literal_at) = (0, 0);
    for (rank, &kind) in kinds.iter().enumerate() {
        let mut at = offsets[rank] as usize;
        match kind {
            BYTE => {
                bytes[at] = singles[single];
                single += 1;
            }
            PAIR => {
                for part in splits[rank] {
                    let (start, end) = (offsets[part as usize] as usize, offsets[part as usize + 1] as usize);
                    if end - start <= WIDE {
                        // Array assignment, not `copy_from_slice`, which the
                        // size-optimised build leaves a call.
                        let wide: [u8; WIDE] = bytes[start..start + WIDE].try_into().expect("16 bytes");
                        let to: &mut [u8; WIDE] = (&mut bytes[at..at + WIDE]).try_into().expect("16 bytes");
                        *to = wide;
                    } else {
                        bytes.copy_within(start..end, at);
                    }
                    at += end - start;
                }
            }
            LITERAL | ADDED => {
                let len = usize::from(literals[literal_at]);
                bytes[at..at + len].copy_from_slice(&literals[literal_at + 1..literal_at + 1 + len]);
                literal_at += 1 + len;
            }
            _ => {}
        }
    }
    bytes.truncate(total);
    Ok(Decoded { bytes, offsets, splits, added, whole })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Vec<Option<Vec<u8>>> {
        let mut tokens: Vec<Option<Vec<u8>>> = (0..=255u8).map(|b| Some(alloc::vec![b])).collect();
        tokens.push(Some(b"ab".to_vec())); // pair (a, b)
        tokens.push(None); // a hole, as p50k_base has
        tokens.push(Some(b"abab".to_vec())); // pair (ab, ab)
        tokens.push(Some(b"xyz".to_vec())); // no pair of lower tokens: literal
        tokens.push(Some(b"<|ab|>".to_vec())); // an added token
        tokens.push(Some("é".as_bytes().to_vec())); // a character: pair (0xC3, 0xA9), whole
        tokens
    }

    #[test]
    fn round_trips_pairs_holes_and_literals() {
        let tokens = tiny();
        let data = encode(&tokens, &[260]).unwrap();
        let Decoded { bytes, offsets, splits, added, whole } = decode(&data).unwrap();
        for (r, t) in tokens.iter().enumerate() {
            let got = &bytes[offsets[r] as usize..offsets[r + 1] as usize];
            assert_eq!(got, t.as_deref().unwrap_or(&[]), "rank {r}");
        }
        assert_eq!(splits[256], [97, 98]);
        assert_eq!(splits[258], [256, 256]);
        assert_eq!(splits[259], NO_SPLIT);
        assert_eq!(added, [260]);
        assert_eq!(splits[260], NO_SPLIT);
        let mut units = Vec::new();
        whole.units("aéb".as_bytes(), &mut units);
        assert_eq!(units, [0, 1, 3]);
        let vocab = Vocab::from_parts(bytes, offsets, splits, added).unwrap();
        assert!(whole == WholeChars::build(&vocab, |rank| rank == 261));
    }

    #[test]
    fn corrupt_data_is_an_error_not_a_panic() {
        let data = encode(&tiny(), &[260]).unwrap();
        for cut in 0..data.len() {
            let _ = decode(&data[..cut]);
        }
        let mut bad = data.clone();
        bad[8 + 256] = 9; // an unknown kind
        assert!(decode(&bad).is_err());
        assert!(decode(b"FBV1\0\0\0\0").is_err());
        assert!(decode(b"FBV3\0\0\0\0").is_err(), "a file of the format before");
        // Any byte of any value in the table of whole characters (the file's
        // tail): an error or a table, never a panic, and reading it counts.
        let section = data.len() - 40;
        for at in section..data.len() {
            for value in [0, 1, 2, 0x7F, 0x80, 0xFF] {
                let mut bad = data.clone();
                bad[at] = value;
                if let Ok(Decoded { whole, .. }) = decode(&bad) {
                    let mut units = Vec::new();
                    whole.units("aé éé".as_bytes(), &mut units);
                }
            }
        }
    }
}
