//! The SentencePiece vocabulary file format, `FBS2` (the `FBV` family's
//! member for SentencePiece models): what of a `.model` protobuf counting
//! needs, in a form that is small to download and reads without a protobuf
//! parser.
//!
//! A SentencePiece BPE model merges the adjacent pair whose concatenation has
//! the highest score, the leftmost on a tie. `cargo xtask vocab` only writes
//! models whose ordinary pieces' scores fall strictly as their ids rise
//! (Gemma 3's are exactly `-(id - 494)`), except for a set of pieces that
//! share one score below all others (Mistral's runs of `▁`, all at -1e9):
//! so the id is the merge priority, those pieces merge last, tied, and no
//! score is stored. It also only writes models whose normaliser is the
//! identity with spaces escaped as `▁`, with or without a dummy prefix (the
//! rules module `sentencepiece` implements); anything else is refused
//! there, not approximated here.
//!
//! Layout, after the magic `FBS2`, the piece count (u32 LE) and a flags byte
//! (bit 0: the normaliser adds a dummy prefix, a `▁` before any non-empty
//! text; `FBS1` was this format without the flags and the list of pieces that
//! merge last, before Mistral's models):
//! - one kind byte per piece, in id order ([`Kind`]);
//! - the byte of each byte-fallback piece (`<0xXX>`), in id order;
//! - every other piece as a length byte and its UTF-8 bytes, in id order,
//!   with `▁` (U+2581) written as a space: the text's own spaces then match
//!   the pieces without a rewrite, and the file is smaller;
//! - the normal pieces that merge last, tied: their count (u32 LE), then
//!   their ids (u32 LE, ascending);
//! - the normal pieces whose own text does not encode to them (BPE of the
//!   text alone stops short, or makes other pieces): their count (u32 LE),
//!   then their ids (u32 LE, ascending). Every other normal piece is what its
//!   text encodes to, so a stretch of text equal to one is one token without
//!   merging (the encoder's fast path). The writer finds them with the
//!   encoder itself ([`encode`]); a unit test checks the embedded file's
//!   list against a fresh computation.

use alloc::vec::Vec;

use super::vocab::VocabError;

const MAGIC: &[u8; 4] = b"FBS2";

/// Flag bit: a dummy prefix.
const DUMMY_PREFIX: u8 = 1;

/// A piece's type, as SentencePiece's `ModelProto.SentencePiece.Type` names
/// it (the file stores these numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Made by merges; the id is the merge priority.
    Normal = 1,
    /// `<unk>`: never produced with byte fallback on.
    Unknown = 2,
    /// `<bos>`, `<eos>`, `<pad>`: never produced from text.
    Control = 3,
    /// Matched in the text as a whole before any merge (longest first), never merged further.
    UserDefined = 4,
    /// `<0xXX>`: one byte of a character that is not a piece.
    Byte = 6,
}

impl Kind {
    fn from_byte(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Normal,
            2 => Kind::Unknown,
            3 => Kind::Control,
            4 => Kind::UserDefined,
            6 => Kind::Byte,
            _ => return None,
        })
    }
}

#[derive(Debug)]
/// A piece as the writer takes it: its kind and its text as the model has it
/// (with `▁`), or its byte for a byte piece; whether it is one of the
/// normal pieces that merge last, tied.
pub struct Piece<'a> {
    pub kind: Kind,
    pub text: &'a str,
    pub byte: Option<u8>,
    pub last: bool,
}

/// A model: its pieces in id order, and whether its normaliser adds a dummy prefix.
#[derive(Debug)]
pub struct Model<'a> {
    pub pieces: Vec<Piece<'a>>,
    pub dummy_prefix: bool,
}

/// Writes a model as `FBS2`, with the list of pieces their own text does
/// not encode to, found by encoding each with module `sentencepiece`
/// (which reads the file without that list first). The writer behind
/// `cargo xtask vocab`.
pub fn encode(model: &Model<'_>) -> Result<Vec<u8>, VocabError> {
    let mut out = encode_pieces(model)?;
    let unreached = super::sentencepiece::SentencePiece::unreached(&out)?;
    let count = u32::try_from(unreached.len()).map_err(|_| VocabError::Unwritable("too many pieces"))?;
    out.truncate(out.len() - 4);
    out.extend_from_slice(&count.to_le_bytes());
    for id in unreached {
        out.extend_from_slice(&id.to_le_bytes());
    }
    Ok(out)
}

/// The file with an empty list of unreached pieces.
fn encode_pieces(model: &Model<'_>) -> Result<Vec<u8>, VocabError> {
    let pieces = &model.pieces;
    let mut out = MAGIC.to_vec();
    let count = u32::try_from(pieces.len()).map_err(|_| VocabError::Unwritable("too many pieces"))?;
    out.extend_from_slice(&count.to_le_bytes());
    out.push(if model.dummy_prefix { DUMMY_PREFIX } else { 0 });
    out.extend(pieces.iter().map(|p| p.kind as u8));
    for p in pieces.iter().filter(|p| p.kind == Kind::Byte) {
        out.push(p.byte.ok_or(VocabError::Unwritable("a byte piece without its byte"))?);
    }
    for p in pieces.iter().filter(|p| p.kind != Kind::Byte) {
        // A raw space would be read back as an escaped one: a different piece.
        if p.text.contains(' ') {
            return Err(VocabError::Unwritable("a piece holding a raw space"));
        }
        let text = p.text.replace('\u{2581}', " ");
        let len = u8::try_from(text.len()).map_err(|_| VocabError::Unwritable("a piece longer than 255 bytes"))?;
        out.push(len);
        out.extend_from_slice(text.as_bytes());
    }
    if pieces.iter().any(|p| p.last && p.kind != Kind::Normal) {
        return Err(VocabError::Unwritable("a piece that merges last and is not a normal piece"));
    }
    let last: Vec<u32> = (0..count).filter(|&id| pieces[id as usize].last).collect();
    out.extend_from_slice(&(last.len() as u32).to_le_bytes());
    for id in last {
        out.extend_from_slice(&id.to_le_bytes());
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    Ok(out)
}

/// A decoded `FBS2` file.
pub(crate) struct Decoded {
    /// Whether the normaliser adds a dummy prefix.
    pub dummy_prefix: bool,
    pub kinds: Vec<Kind>,
    /// Piece texts (spaces for `▁`; empty for byte pieces), concatenated in id order.
    pub bytes: Vec<u8>,
    /// `offsets[id]..offsets[id + 1]` are piece `id`'s text.
    pub offsets: Vec<u32>,
    /// The byte each byte piece stands for, by id (0 for other pieces).
    pub byte_of: Vec<u8>,
    /// The normal pieces that merge last, tied, ascending.
    pub last: Vec<u32>,
    /// The normal pieces their own text does not encode to, ascending.
    pub unreached: Vec<u32>,
}

pub(crate) fn decode(data: &[u8]) -> Result<Decoded, VocabError> {
    let rest = data.strip_prefix(MAGIC.as_slice()).ok_or(VocabError::NotAVocabulary)?;
    let (count, rest) = rest.split_first_chunk::<4>().ok_or(VocabError::Truncated("piece count"))?;
    let count = u32::from_le_bytes(*count) as usize;
    if count >= 1 << 24 {
        return Err(VocabError::Corrupt("more pieces than a vocabulary holds"));
    }
    let (&flags, rest) = rest.split_first().ok_or(VocabError::Truncated("flags"))?;
    if flags & !DUMMY_PREFIX != 0 {
        return Err(VocabError::Corrupt("an unknown flag"));
    }
    let (kinds, mut rest) = split(rest, count, "piece kinds")?;
    let kinds: Vec<Kind> = kinds
        .iter()
        .map(|&b| Kind::from_byte(b).ok_or(VocabError::Corrupt("an unknown piece kind")))
        .collect::<Result<_, _>>()?;
    let byte_count = kinds.iter().filter(|&&k| k == Kind::Byte).count();
    let (bytes_of, tail) = split(rest, byte_count, "byte pieces")?;
    rest = tail;
    let (mut bytes, mut offsets, mut byte_of) = (Vec::new(), Vec::with_capacity(count + 1), alloc::vec![0u8; count]);
    offsets.push(0);
    let mut next_byte = bytes_of.iter();
    for (id, kind) in kinds.iter().enumerate() {
        if *kind == Kind::Byte {
            byte_of[id] = *next_byte.next().ok_or(VocabError::Truncated("byte pieces"))?;
        } else {
            let (&len, tail) = rest.split_first().ok_or(VocabError::Truncated("pieces"))?;
            let (text, tail) = split(tail, len as usize, "pieces")?;
            if core::str::from_utf8(text).is_err() {
                return Err(VocabError::Corrupt("a piece that is not UTF-8"));
            }
            bytes.extend_from_slice(text);
            rest = tail;
        }
        offsets.push(bytes.len() as u32);
    }
    let (last, rest) = normal_ids(rest, &kinds, "pieces that merge last")?;
    let (unreached, rest) = normal_ids(rest, &kinds, "unreached pieces")?;
    if !rest.is_empty() {
        return Err(VocabError::Corrupt("bytes after the last piece"));
    }
    Ok(Decoded { dummy_prefix: flags & DUMMY_PREFIX != 0, kinds, bytes, offsets, byte_of, last, unreached })
}

/// A list of normal pieces' ids: a count (u32 LE), then the ids (u32 LE, ascending).
fn normal_ids<'a>(data: &'a [u8], kinds: &[Kind], part: &'static str) -> Result<(Vec<u32>, &'a [u8]), VocabError> {
    let (n, mut rest) = data.split_first_chunk::<4>().ok_or(VocabError::Truncated(part))?;
    let n = u32::from_le_bytes(*n) as usize;
    if n > kinds.len() {
        return Err(VocabError::Corrupt("more pieces listed than pieces"));
    }
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let (id, tail) = rest.split_first_chunk::<4>().ok_or(VocabError::Truncated(part))?;
        let id = u32::from_le_bytes(*id);
        if kinds.get(id as usize) != Some(&Kind::Normal) || ids.last().is_some_and(|&last| last >= id) {
            return Err(VocabError::Corrupt("a listed piece that is not a normal piece in order"));
        }
        ids.push(id);
        rest = tail;
    }
    Ok((ids, rest))
}

fn split<'a>(data: &'a [u8], n: usize, part: &'static str) -> Result<(&'a [u8], &'a [u8]), VocabError> {
    (data.len() >= n).then(|| data.split_at(n)).ok_or(VocabError::Truncated(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_it_cannot_hold() {
        let piece = |kind, text, byte, last| Piece { kind, text, byte, last };
        let model = Model {
            pieces: alloc::vec![
                piece(Kind::Control, "<pad>", None, false),
                piece(Kind::Byte, "<0x41>", Some(0x41), false),
                piece(Kind::Normal, "\u{2581}a", None, false),
                piece(Kind::UserDefined, "\n\n", None, false),
                piece(Kind::Normal, "\u{2581}\u{2581}", None, true),
            ],
            dummy_prefix: true,
        };
        // The format alone (a vocabulary this small has no byte pieces for
        // the encoder to load, so no unreached list is computed).
        let file = encode_pieces(&model).unwrap();
        let d = decode(&file).unwrap();
        assert_eq!(d.kinds, [Kind::Control, Kind::Byte, Kind::Normal, Kind::UserDefined, Kind::Normal]);
        assert!(d.dummy_prefix);
        assert_eq!(d.last, [4]);
        assert_eq!(&d.bytes[d.offsets[2] as usize..d.offsets[3] as usize], b" a");
        assert_eq!(d.byte_of[1], 0x41);
        assert_eq!(d.offsets[1], d.offsets[2], "a byte piece has no text");
        for cut in 0..file.len() {
            assert!(decode(&file[..cut]).is_err(), "cut at {cut}");
        }
        let one = |kind, text, last| Model { pieces: alloc::vec![piece(kind, text, None, last)], dummy_prefix: false };
        assert!(encode_pieces(&one(Kind::Normal, "a b", false)).is_err());
        assert!(encode_pieces(&one(Kind::Control, "<s>", true)).is_err(), "only normal pieces merge last");
        assert!(encode(&model).is_err(), "the encoder refuses a vocabulary without byte pieces");
        assert_eq!(decode(b"FBV4\0\0\0\0").err(), Some(VocabError::NotAVocabulary));
    }
}
