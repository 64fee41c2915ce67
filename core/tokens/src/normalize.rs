//! Unicode NFC, as Hugging Face's `tokenizers` applies it before splitting
//! (Qwen 3's `tokenizer.json` has an `NFC` normalizer).
//!
//! The reference normalises with `unicode-normalization-alignments` 0.1.12,
//! whose tables are Unicode 9.0's; a newer Unicode would compose and reorder
//! some later characters differently, so the tables are not core's own but
//! that crate's, written by `cargo xtask vocab` into the vocabulary file in
//! front of its `FBV3` data (an app that counts no Qwen model downloads none
//! of it). Layout, all little-endian u32: the magic `FBN1` and the section's
//! length in bytes; the count of characters with a non-zero canonical
//! combining class and each as `cp | class << 24`; the count of canonical
//! decompositions (Hangul syllables apart: they are arithmetic) and each as
//! `cp | len << 24` followed by its `len` characters, fully decomposed; the
//! count of primary composites and each as `first, second, composite`.
//!
//! The algorithm is the reference's, step for step: decompose every
//! character; sort each run of non-starters by combining class, stably;
//! then compose each character with the last starter unless a character
//! between them has a class at least its own (or is a starter), a starter
//! that does not compose becoming the new last starter. Text whose every
//! character is *stable* (class 0, never the second of a composite, and
//! unchanged by NFC alone: Unicode's quick check "yes") is already NFC and is
//! returned as it is, without a copy: all text below U+0300, and nearly all
//! text in practice.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use super::vocab::VocabError;

const MAGIC: &[u8; 4] = b"FBN1";

/// Hangul syllables compose and decompose by arithmetic (Unicode §3.12).
const S_BASE: u32 = 0xAC00;
const L_BASE: u32 = 0x1100;
const V_BASE: u32 = 0x1161;
const T_BASE: u32 = 0x11A7;
const L_COUNT: u32 = 19;
const V_COUNT: u32 = 21;
const T_COUNT: u32 = 28;
const N_COUNT: u32 = V_COUNT * T_COUNT;
const S_COUNT: u32 = L_COUNT * N_COUNT;

/// The NFC tables of one Unicode version.
#[derive(Debug)]
pub(crate) struct Nfc {
    /// (code point, class), by code point: the characters of non-zero class.
    classes: Vec<(u32, u8)>,
    /// (code point, start, end) into `decomposed`, by code point.
    decompositions: Vec<(u32, u32, u32)>,
    decomposed: Vec<char>,
    /// (first, second, composite), by (first, second).
    composites: Vec<(u32, u32, char)>,
    /// The code points that are not stable (see the module doc), sorted.
    unstable: Vec<u32>,
}

/// What `cargo xtask vocab` takes from the reference's tables.
#[derive(Debug)]
pub struct NfcTables {
    pub classes: Vec<(char, u8)>,
    pub decompositions: Vec<(char, Vec<char>)>,
    pub composites: Vec<(char, char, char)>,
}

/// Writes the tables as an `FBN1` section (to go in front of a vocabulary's data).
pub fn encode(tables: &NfcTables) -> Vec<u8> {
    let mut words: Vec<u32> = Vec::new();
    words.push(tables.classes.len() as u32);
    words.extend(tables.classes.iter().map(|&(c, class)| c as u32 | u32::from(class) << 24));
    words.push(tables.decompositions.len() as u32);
    for (c, chars) in &tables.decompositions {
        words.push(*c as u32 | (chars.len() as u32) << 24);
        words.extend(chars.iter().map(|&d| d as u32));
    }
    words.push(tables.composites.len() as u32);
    for &(a, b, c) in &tables.composites {
        words.extend([a as u32, b as u32, c as u32]);
    }
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&((8 + 4 * words.len()) as u32).to_le_bytes());
    for w in words {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out
}

impl Nfc {
    /// Reads the `FBN1` section at the start of `data`: the tables and the data after them.
    pub(crate) fn read(data: &[u8]) -> Result<(Nfc, &[u8]), VocabError> {
        const BAD: VocabError = VocabError::Corrupt("the NFC tables");
        if data.get(..4) != Some(&MAGIC[..]) {
            return Err(VocabError::Corrupt("no NFC tables before the vocabulary"));
        }
        let len = data.get(4..8).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize).ok_or(BAD)?;
        let section = data.get(8..len).ok_or(BAD)?;
        if section.len() % 4 != 0 {
            return Err(BAD);
        }
        let mut words = section.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let mut next = || words.next().ok_or(BAD);
        let char_of = |w: u32| char::from_u32(w & 0x00FF_FFFF).ok_or(BAD);

        let mut classes = Vec::new();
        for _ in 0..next()? {
            let w = next()?;
            classes.push((char_of(w)? as u32, (w >> 24) as u8));
        }
        let (mut decompositions, mut decomposed) = (Vec::new(), Vec::new());
        for _ in 0..next()? {
            let w = next()?;
            let start = decomposed.len() as u32;
            for _ in 0..w >> 24 {
                decomposed.push(char_of(next()?)?);
            }
            decompositions.push((char_of(w)? as u32, start, decomposed.len() as u32));
        }
        let mut composites = Vec::new();
        for _ in 0..next()? {
            let (a, b, c) = (char_of(next()?)?, char_of(next()?)?, char_of(next()?)?);
            composites.push((a as u32, b as u32, c));
        }
        if next().is_ok() {
            return Err(BAD);
        }
        let sorted = classes.windows(2).all(|w| w[0].0 < w[1].0)
            && decompositions.windows(2).all(|w| w[0].0 < w[1].0)
            && composites.windows(2).all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1));
        if !sorted {
            return Err(BAD);
        }
        // Unstable: a non-zero class; the second of a composite (Hangul's
        // vowels and trailing consonants among them); a decomposition that
        // does not compose back (singletons, exclusions).
        let mut unstable: Vec<u32> = classes.iter().map(|c| c.0).collect();
        unstable.extend(composites.iter().map(|c| c.1));
        unstable.extend(V_BASE..V_BASE + V_COUNT);
        unstable.extend(T_BASE + 1..T_BASE + T_COUNT);
        let mut composed: Vec<u32> = composites.iter().map(|k| k.2 as u32).collect();
        composed.sort_unstable();
        unstable.extend(decompositions.iter().map(|d| d.0).filter(|c| composed.binary_search(c).is_err()));
        unstable.sort_unstable();
        unstable.dedup();
        let nfc = Nfc { classes, decompositions, decomposed, composites, unstable };
        Ok((nfc, &data[len..]))
    }

    fn class(&self, c: char) -> u8 {
        match self.classes.binary_search_by_key(&(c as u32), |e| e.0) {
            Ok(i) => self.classes[i].1,
            Err(_) => 0,
        }
    }

    fn stable(&self, c: char) -> bool {
        (c as u32) < 0x300 || self.unstable.binary_search(&(c as u32)).is_err()
    }

    /// `text` in NFC: borrowed when it is already (every character stable).
    pub(crate) fn normalize<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if text.chars().all(|c| self.stable(c)) {
            return Cow::Borrowed(text);
        }
        // Decompose, then order each run of non-starters by class (stable sort).
        let mut chars: Vec<(char, u8)> = Vec::with_capacity(text.len());
        for c in text.chars() {
            self.decompose(c, &mut chars);
        }
        let mut i = 0;
        while i < chars.len() {
            let run = chars[i..].iter().take_while(|c| c.1 != 0).count();
            order_by_class(&mut chars[i..i + run]);
            i += run.max(1);
        }
        // Compose with the last starter, as the reference's `Recompositions` does.
        let mut out: Vec<char> = Vec::with_capacity(chars.len());
        let (mut starter, mut last_class): (Option<usize>, Option<u8>) = (None, None);
        for (c, class) in chars {
            if let Some(s) = starter {
                let blocked = last_class.is_some_and(|l| l >= class);
                if let Some(composite) = (!blocked).then(|| self.compose(out[s], c)).flatten() {
                    out[s] = composite;
                    continue;
                }
            }
            if class == 0 {
                starter = Some(out.len());
                last_class = None;
            } else if starter.is_some() {
                last_class = Some(class);
            }
            out.push(c);
        }
        Cow::Owned(out.into_iter().collect::<String>())
    }

    /// Pushes `c`'s full canonical decomposition, each character with its class.
    fn decompose(&self, c: char, out: &mut Vec<(char, u8)>) {
        let cp = c as u32;
        if (S_BASE..S_BASE + S_COUNT).contains(&cp) {
            let s = cp - S_BASE;
            let jamo = [L_BASE + s / N_COUNT, V_BASE + (s % N_COUNT) / T_COUNT, T_BASE + s % T_COUNT];
            let parts = if jamo[2] == T_BASE { &jamo[..2] } else { &jamo[..] };
            out.extend(parts.iter().filter_map(|&j| char::from_u32(j)).map(|j| (j, 0)));
            return;
        }
        match self.decompositions.binary_search_by_key(&cp, |d| d.0) {
            Ok(i) => {
                let (_, start, end) = self.decompositions[i];
                out.extend(self.decomposed[start as usize..end as usize].iter().map(|&d| (d, self.class(d))));
            }
            Err(_) => out.push((c, self.class(c))),
        }
    }

    /// The primary composite of `a` then `b`, if there is one.
    fn compose(&self, a: char, b: char) -> Option<char> {
        let (a, b) = (a as u32, b as u32);
        if (L_BASE..L_BASE + L_COUNT).contains(&a) && (V_BASE..V_BASE + V_COUNT).contains(&b) {
            return char::from_u32(S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT);
        }
        let lv = (S_BASE..S_BASE + S_COUNT).contains(&a) && (a - S_BASE) % T_COUNT == 0;
        if lv && (T_BASE + 1..T_BASE + T_COUNT).contains(&b) {
            return char::from_u32(a + (b - T_BASE));
        }
        let i = self.composites.binary_search_by_key(&(a, b), |k| (k.0, k.1)).ok()?;
        Some(self.composites[i].2)
    }
}

/// Sorts a run of non-starters by class, stably (canonical ordering): by
/// insertion, as runs are a few marks long, or by counting when a run is long
/// (a text of nothing but marks), so that any text stays linear.
fn order_by_class(run: &mut [(char, u8)]) {
    if run.len() <= 32 {
        for k in 1..run.len() {
            let mut j = k;
            while j > 0 && run[j - 1].1 > run[j].1 {
                run.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    let mut starts = [0usize; 257];
    for c in run.iter() {
        starts[usize::from(c.1) + 1] += 1;
    }
    for k in 1..starts.len() {
        starts[k] += starts[k - 1];
    }
    let mut sorted = alloc::vec![('\0', 0u8); run.len()];
    for &c in run.iter() {
        sorted[starts[usize::from(c.1)]] = c;
        starts[usize::from(c.1)] += 1;
    }
    run.copy_from_slice(&sorted);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Nfc {
        // e + ◌́ = é; ◌̣ (class 220) sorts before ◌́ (230); Ω (U+2126) is a singleton.
        let tables = NfcTables {
            classes: alloc::vec![('\u{301}', 230), ('\u{323}', 220)],
            decompositions: alloc::vec![('é', alloc::vec!['e', '\u{301}']), ('\u{2126}', alloc::vec!['Ω'])],
            composites: alloc::vec![('e', '\u{301}', 'é')],
        };
        let mut data = encode(&tables);
        data.extend_from_slice(b"rest");
        let (nfc, rest) = Nfc::read(&data).unwrap();
        assert_eq!(rest, b"rest");
        nfc
    }

    #[test]
    fn composes_orders_and_maps_singletons() {
        let nfc = tiny();
        assert!(matches!(nfc.normalize("plain é text"), Cow::Borrowed(_)));
        assert_eq!(nfc.normalize("e\u{301}"), "é");
        // The dot below (220) comes first, then é composes past it (220 < 230).
        assert_eq!(nfc.normalize("e\u{301}\u{323}"), "é\u{323}");
        assert_eq!(nfc.normalize("\u{2126}"), "Ω");
        assert_eq!(nfc.normalize("\u{301}e"), "\u{301}e");
        // Hangul by arithmetic: ᄀ + ᅡ + ᆨ = 각.
        assert_eq!(nfc.normalize("\u{1100}\u{1161}\u{11a8}"), "각");
        assert_eq!(nfc.normalize("각"), "각");
    }

    #[test]
    fn long_runs_of_marks_are_ordered_stably() {
        let nfc = tiny();
        // 40 pairs of ◌́ (230) then ◌̣ (220): every ◌̣ moves before every ◌́, in order.
        let text = "x".to_string() + &"\u{301}\u{323}".repeat(40);
        let expected = "x".to_string() + &"\u{323}".repeat(40) + &"\u{301}".repeat(40);
        assert_eq!(nfc.normalize(&text), expected);
        let mut run = [('a', 2), ('b', 1), ('c', 2), ('d', 1)];
        order_by_class(&mut run);
        assert_eq!(run, [('b', 1), ('d', 1), ('a', 2), ('c', 2)]);
    }

    #[test]
    fn corrupt_tables_are_an_error() {
        let data = encode(&NfcTables {
            classes: alloc::vec![('\u{301}', 230)],
            decompositions: alloc::vec![],
            composites: alloc::vec![],
        });
        assert!(Nfc::read(&data[..data.len() - 1]).is_err());
        assert!(Nfc::read(b"FBV4").is_err());
        let mut long = data.clone();
        long[4] += 4;
        long.extend_from_slice(&[0; 4]);
        assert!(Nfc::read(&long).is_err());
    }
}
