//! The vocabulary file format, `FBV2`: small to download, cheap to load.
//!
//! Every multi-byte token of a BPE vocabulary was made by merging two tokens
//! of lower rank, so a token can be stored as that pair of ranks instead of
//! its bytes, and rebuilt by concatenating tokens already rebuilt (ranks go
//! up). Rank pairs compress better than the bytes they stand for when each
//! byte of the 24-bit ranks goes into its own plane: o200k_base is 809 KiB
//! brotli as bytes, 688 KiB as pairs. A token that is not such a pair (none
//! in OpenAI's vocabularies, but the format does not assume it) is stored as
//! its bytes.
//!
//! Layout, after the magic `FBV2` and the rank count (u32 LE):
//! - one kind byte per rank: 0 none, 1 single byte, 2 pair, 3 literal;
//! - the byte of each single-byte token, in rank order;
//! - the pairs' left ranks, then their right ranks, each as three planes
//!   (low, middle, high byte of every rank), in rank order;
//! - each literal as a length byte and its bytes, in rank order.

use alloc::vec::Vec;

use super::bpe::{Scratch, Vocab, VocabError};

const MAGIC: &[u8; 4] = b"FBV2";
const NONE: u8 = 0;
const BYTE: u8 = 1;
const PAIR: u8 = 2;
const LITERAL: u8 = 3;

/// Writes the tokens (by rank; `None` for a rank without a token) as `FBV2`.
/// The writer behind `cargo xtask vocab`.
pub fn encode(tokens: &[Option<Vec<u8>>]) -> Result<Vec<u8>, VocabError> {
    let mut bytes = Vec::new();
    let mut offsets = alloc::vec![0u32];
    for t in tokens {
        let t = t.as_deref().unwrap_or(&[]);
        if t.len() > 255 {
            return Err(VocabError("a token longer than 255 bytes"));
        }
        bytes.extend_from_slice(t);
        offsets.push(u32::try_from(bytes.len()).map_err(|_| VocabError("too large"))?);
    }
    let vocab = Vocab::from_parts(bytes, offsets, Vec::new())?;
    let (mut kinds, mut singles, mut lefts, mut rights, mut literals) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut scratch = Scratch::default();
    for rank in 0..vocab.len() as u32 {
        let token = vocab.token(rank);
        match (token.len(), vocab.last_merge(rank, &mut scratch)) {
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
        for shift in [0, 8, 16] {
            out.extend(ranks.iter().map(|r| (r >> shift) as u8));
        }
    }
    out.extend_from_slice(&literals);
    Ok(out)
}

/// A decoded vocabulary file.
pub(crate) struct Decoded {
    /// Token bytes, concatenated in rank order.
    pub bytes: Vec<u8>,
    /// `offsets[r]..offsets[r + 1]` are rank r's bytes.
    pub offsets: Vec<u32>,
    /// The pair each `PAIR` token is stored as (its last merge, as the
    /// writer found it; a reader verifies before relying on it), else
    /// [`NO_SPLIT`].
    pub splits: Vec<[u32; 2]>,
}

/// The split of a token stored as a byte, a literal or a hole.
pub(crate) const NO_SPLIT: [u32; 2] = [u32::MAX; 2];

/// Reads `FBV2` into token bytes concatenated in rank order, their offsets and splits.
pub(crate) fn decode(data: &[u8]) -> Result<Decoded, VocabError> {
    let rest = data.strip_prefix(MAGIC).ok_or(VocabError("not FBV2 data"))?;
    let (count, rest) = rest.split_first_chunk::<4>().ok_or(VocabError("truncated header"))?;
    let count = u32::from_le_bytes(*count) as usize;
    if count > 1 << 24 {
        return Err(VocabError("implausible token count"));
    }
    let kinds = rest.get(..count).ok_or(VocabError("truncated kinds"))?;
    let tally = |k: u8| kinds.iter().filter(|&&x| x == k).count();
    let (n_single, n_pair) = (tally(BYTE), tally(PAIR));
    let mut at = count;
    let mut take = |n: usize| -> Result<&[u8], VocabError> {
        let s = rest.get(at..at + n).ok_or(VocabError("truncated data"))?;
        at += n;
        Ok(s)
    };
    let singles = take(n_single)?;
    let planes = take(6 * n_pair)?;
    let literals = &rest[at..];
    let plane_rank = |plane: usize, i: usize| {
        let p = |k: usize| u32::from(planes[(plane * 3 + k) * n_pair + i]);
        p(0) | p(1) << 8 | p(2) << 16
    };
    let mut bytes: Vec<u8> = Vec::with_capacity(count * 8);
    let mut offsets: Vec<u32> = Vec::with_capacity(count + 1);
    offsets.push(0);
    let mut splits: Vec<[u32; 2]> = alloc::vec![NO_SPLIT; count];
    let (mut next_single, mut next_pair, mut lit) = (0, 0, 0usize);
    for (rank, &kind) in kinds.iter().enumerate() {
        match kind {
            NONE => {}
            BYTE => {
                bytes.push(singles[next_single]);
                next_single += 1;
            }
            PAIR => {
                let pair = [plane_rank(0, next_pair), plane_rank(1, next_pair)];
                splits[rank] = pair;
                for r in pair {
                    // A pair refers to tokens already rebuilt: lower ranks only.
                    let r = r as usize;
                    if r >= rank {
                        return Err(VocabError("a pair refers to a rank not below its own"));
                    }
                    let (start, end) = (offsets[r] as usize, offsets[r + 1] as usize);
                    bytes.extend_from_within(start..end);
                }
                next_pair += 1;
            }
            LITERAL => {
                let len = usize::from(*literals.get(lit).ok_or(VocabError("truncated literal"))?);
                bytes.extend_from_slice(literals.get(lit + 1..lit + 1 + len).ok_or(VocabError("truncated literal"))?);
                lit += 1 + len;
            }
            _ => return Err(VocabError("unknown token kind")),
        }
        offsets.push(u32::try_from(bytes.len()).map_err(|_| VocabError("too large"))?);
    }
    if lit != literals.len() {
        return Err(VocabError("trailing bytes"));
    }
    Ok(Decoded { bytes, offsets, splits })
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
        tokens
    }

    #[test]
    fn round_trips_pairs_holes_and_literals() {
        let tokens = tiny();
        let data = encode(&tokens).unwrap();
        let Decoded { bytes, offsets, splits } = decode(&data).unwrap();
        for (r, t) in tokens.iter().enumerate() {
            let got = &bytes[offsets[r] as usize..offsets[r + 1] as usize];
            assert_eq!(got, t.as_deref().unwrap_or(&[]), "rank {r}");
        }
        assert_eq!(splits[256], [97, 98]);
        assert_eq!(splits[258], [256, 256]);
        assert_eq!(splits[259], NO_SPLIT);
    }

    #[test]
    fn corrupt_data_is_an_error_not_a_panic() {
        let data = encode(&tiny()).unwrap();
        for cut in 0..data.len() {
            let _ = decode(&data[..cut]);
        }
        let mut bad = data.clone();
        bad[8 + 256] = 9; // an unknown kind
        assert!(decode(&bad).is_err());
        assert!(decode(b"FBV1\0\0\0\0").is_err());
    }
}
