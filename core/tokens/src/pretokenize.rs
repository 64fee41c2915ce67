//! Hand-written pre-tokenizers, one per regex family, that split text into
//! exactly the pieces tiktoken's regexes find — without a regex engine.
//!
//! tiktoken runs `find_iter` with a leftmost-first alternation; every code
//! point matches some alternative, so the pieces tile the text and each piece
//! is decided by the first alternative that matches at its start. Below, each
//! alternative is resolved in closed form from *runs* of character classes,
//! with the backtracking of the regex worked out in the comment next to it.
//! Every scan moves forward over a run that the piece then consumes (or that
//! the next alternative consumes), so splitting is linear in the text.
//!
//! The regexes, as the reference (tiktoken-rs 0.12.1) writes them:
//!
//! r50k/p50k: `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
//!
//! cl100k: `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
//!
//! o200k: `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`
//! `|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?`
//! `|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
//!
//! Mistral's Tekken (`tekken_240718.json`'s `pattern`, which mistral-common
//! hands to tiktoken) is o200k's without the contractions and with one digit
//! a piece: `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+`
//! `|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*`
//! `|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
//!
//! Hugging Face's byte-level BPEs split with `Split` pre-tokenizers, run by
//! Oniguruma (the same leftmost-first alternation; the text between matches,
//! if any, is a piece too). Llama 3's regex is cl100k's with whitespace
//! alternatives `\s*[\r\n]+|\s+(?!\S)|\s+` (no `\s++$`); Qwen 3's is Llama 3's
//! with `\p{N}` for `\p{N}{1,3}`. DeepSeek V3 splits three times, each on the
//! pieces of the one before: `\p{N}{1,3}`; runs of
//! `[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]` (CJK ideographs and kana); then
//! ``[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+``
//! `| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.

use super::unicode::{classes, decode, is_mark, LETTER, LOWERISH, NUMBER, PUNCT_SYMBOL, SPACE, UPPERISH};

/// Which regex a vocabulary was trained with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Splitter {
    Gpt2,
    Cl100k,
    Llama3,
    Qwen,
    O200k,
    Tekken,
    DeepSeek,
}

/// Calls `piece` with each piece of `text`, in order; the pieces tile `text`.
pub(crate) fn split(splitter: Splitter, text: &str, mut piece: impl FnMut(&str)) {
    let t = Text::new(text);
    let mut i = 0;
    while i < t.b.len() {
        let end = match splitter {
            Splitter::Gpt2 => t.gpt2(i),
            Splitter::Cl100k => t.cl100k(i, false, 3),
            Splitter::Llama3 => t.cl100k(i, true, 3),
            Splitter::Qwen => t.cl100k(i, true, 1),
            Splitter::O200k => t.o200k(i, true, 3),
            Splitter::Tekken => t.o200k(i, false, 1),
            Splitter::DeepSeek => {
                let (end, words) = t.deepseek_segment(i);
                if words {
                    Text::new(&text[i..end]).deepseek_words(&mut piece);
                } else {
                    piece(&text[i..end]);
                }
                i = end;
                continue;
            }
        };
        debug_assert!(end > i && t.s.is_char_boundary(end));
        piece(&text[i..end]);
        i = end;
    }
}

/// DeepSeek V3's second split: kana and the CJK ideographs up to U+9FA5.
fn deepseek_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fa5}' | '\u{3040}'..='\u{309f}' | '\u{30a0}'..='\u{30ff}')
}

/// A character at a byte position: the char, its class bits and where the next one starts.
#[derive(Clone, Copy)]
struct At {
    c: char,
    bits: u8,
    next: usize,
}

struct Text<'a> {
    s: &'a str,
    b: &'a [u8],
}

/// `[^\s\p{L}\p{N}]`: punctuation, symbols, marks, controls.
fn other(bits: u8) -> bool {
    bits & (SPACE | LETTER | NUMBER) == 0
}

/// `[^\r\n\p{L}\p{N}]`: the one-character prefix that may lead a word.
fn prefix(a: At) -> bool {
    a.bits & (LETTER | NUMBER) == 0 && a.c != '\r' && a.c != '\n'
}

fn newline(c: char) -> bool {
    c == '\r' || c == '\n'
}

impl<'a> Text<'a> {
    fn new(s: &'a str) -> Self {
        Text { s, b: s.as_bytes() }
    }

    fn len(&self) -> usize {
        self.b.len()
    }

    /// The character at byte `i` (a char boundary below `len`).
    ///
    /// Always inlined: out of line, `At` came back through memory and the
    /// caller read it back as one wider word, a store-forwarding stall per
    /// character that halved DeepSeek V3's speed (docs/PERFORMANCE.md).
    #[inline(always)]
    fn at(&self, i: usize) -> At {
        let byte = self.b[i];
        if byte < 0x80 {
            let c = byte as char;
            return At { c, bits: classes(c), next: i + 1 };
        }
        // `s` is UTF-8 and `i` a boundary, so the lead byte says the length
        // and the bytes after it are there.
        debug_assert!(self.s.is_char_boundary(i));
        let (code, len) = decode(self.b, i);
        let c = char::from_u32(code).unwrap_or('\u{FFFD}');
        At { c, bits: classes(c), next: i + len }
    }

    /// Always inlined too: it is the loop step of every run of characters
    /// (out of line, a call per character: −6 to −9% instructions
    /// inlined, on a first count of `multilingual.txt`).
    #[inline(always)]
    fn at_opt(&self, i: usize) -> Option<At> {
        (i < self.len()).then(|| self.at(i))
    }

    /// End of the run of characters from `i` whose bits intersect `class`.
    fn run(&self, mut i: usize, class: u8) -> usize {
        while let Some(a) = self.at_opt(i) {
            if a.bits & class == 0 {
                break;
            }
            i = a.next;
        }
        i
    }

    /// End of the run from `i` satisfying `pred`.
    fn run_by(&self, mut i: usize, pred: impl Fn(At) -> bool) -> usize {
        while let Some(a) = self.at_opt(i) {
            if !pred(a) {
                break;
            }
            i = a.next;
        }
        i
    }

    /// The whitespace run from `i`: (its end, the start of its last character,
    /// the end of its last `\r` or `\n` if any).
    fn spaces(&self, mut i: usize) -> (usize, usize, Option<usize>) {
        let (mut last, mut last_newline) = (i, None);
        while let Some(a) = self.at_opt(i) {
            if a.bits & SPACE == 0 {
                break;
            }
            if newline(a.c) {
                last_newline = Some(a.next);
            }
            last = i;
            i = a.next;
        }
        (i, last, last_newline)
    }

    /// `\s+(?!\S)` at `i` (a whitespace char): greedy `\s+` gives back one
    /// character when a non-space follows, and fails if that leaves nothing.
    fn spaces_not_before_word(&self, i: usize) -> Option<usize> {
        let (end, last, _) = self.spaces(i);
        if end == self.len() {
            Some(end)
        } else if last > i {
            Some(last)
        } else {
            None
        }
    }

    /// `' ?X++` (X a class test): with the leading space when X follows it.
    fn space_then(&self, i: usize, a: At, x: impl Fn(At) -> bool + Copy) -> Option<usize> {
        if a.c == ' ' {
            if let Some(b) = self.at_opt(a.next) {
                if x(b) {
                    return Some(self.run_by(a.next, x));
                }
            }
        }
        x(a).then(|| self.run_by(i, x))
    }

    /// Length of a contraction after `'` at `i`, GPT-2 style (case-sensitive).
    fn contraction_gpt2(&self, i: usize) -> Option<usize> {
        let rest = &self.b[i..];
        match rest {
            [b'\'', b's' | b'd' | b'm' | b't', ..] => Some(2),
            [b'\'', b'l', b'l', ..] | [b'\'', b'v', b'e', ..] | [b'\'', b'r', b'e', ..] => Some(3),
            _ => None,
        }
    }

    /// Byte length of a case-insensitive contraction at `i`: the letters are
    /// those of `singles` (one letter) or `pairs` (two). Unicode simple case
    /// folding adds one non-ASCII form: `ſ` (U+017F) folds to `s`.
    fn contraction_ci(&self, i: usize, singles: &[u8], pairs: &[[u8; 2]]) -> usize {
        if self.b.get(i) != Some(&b'\'') {
            return 0;
        }
        let lower = |k: usize| self.b.get(i + k).map(u8::to_ascii_lowercase);
        if let Some(c) = lower(1) {
            if singles.contains(&c) {
                return 2;
            }
            if let Some(d) = lower(2) {
                if pairs.contains(&[c, d]) {
                    return 3;
                }
            }
        }
        if singles.contains(&b's') && self.b[i + 1..].starts_with("ſ".as_bytes()) {
            return 1 + "ſ".len();
        }
        0
    }

    fn gpt2(&self, i: usize) -> usize {
        let a = self.at(i);
        if let Some(n) = self.contraction_gpt2(i) {
            return i + n;
        }
        let letter = |a: At| a.bits & LETTER != 0;
        let number = |a: At| a.bits & NUMBER != 0;
        let punct = |a: At| other(a.bits);
        if let Some(end) = self
            .space_then(i, a, letter)
            .or_else(|| self.space_then(i, a, number))
            .or_else(|| self.space_then(i, a, punct))
        {
            return end;
        }
        // Whitespace: `\s++$`, then `\s+(?!\S)`, then one `\s`.
        let (end, _, _) = self.spaces(i);
        if end == self.len() {
            return end;
        }
        self.spaces_not_before_word(i).unwrap_or(a.next)
    }

    /// cl100k's regex, or (`hugging_face`) Llama 3's, and with
    /// `\p{N}{1,digits}` (Qwen 3: one digit).
    fn cl100k(&self, i: usize, hugging_face: bool, digits: usize) -> usize {
        let a = self.at(i);
        let n = self.contraction_ci(i, b"sdmt", &[*b"ll", *b"ve", *b"re"]);
        if n > 0 {
            return i + n;
        }
        // `[^\r\n\p{L}\p{N}]?+\p{L}++`: the possessive prefix is taken when it
        // matches and never given back, so it must be followed by a letter.
        if prefix(a) {
            if let Some(b) = self.at_opt(a.next) {
                if b.bits & LETTER != 0 {
                    return self.run(a.next, LETTER);
                }
            }
        } else if a.bits & LETTER != 0 {
            return self.run(i, LETTER);
        }
        // `\p{N}{1,3}+`
        if a.bits & NUMBER != 0 {
            return self.numbers(i, digits);
        }
        // ` ?[^\s\p{L}\p{N}]++[\r\n]*+`
        if let Some(end) = self.space_then(i, a, |a| other(a.bits)) {
            return self.run_by(end, |a| newline(a.c));
        }
        // Whitespace: `\s++$` (not in Llama 3's); `\s*[\r\n]` (Llama 3's
        // `\s*[\r\n]+`) ends after the run's last newline (greedy `\s*`
        // backs off to it); `\s+(?!\S)`; one `\s` (Llama 3's `\s+`, which
        // only gets here with one).
        let (end, _, last_newline) = self.spaces(i);
        if end == self.len() && !hugging_face {
            return end;
        }
        if let Some(nl) = last_newline {
            return nl;
        }
        self.spaces_not_before_word(i).unwrap_or(a.next)
    }

    /// `\p{N}{1,max}`
    fn numbers(&self, mut i: usize, max: usize) -> usize {
        for _ in 0..max {
            match self.at_opt(i) {
                Some(a) if a.bits & NUMBER != 0 => i = a.next,
                _ => break,
            }
        }
        i
    }

    /// o200k's regex; without its contractions and with `\p{N}{1,digits}`
    /// for the regexes that differ from it only there (Tekken).
    fn o200k(&self, i: usize, contractions: bool, digits: usize) -> usize {
        const SINGLES: &[u8] = b"stmd";
        const PAIRS: &[[u8; 2]] = &[*b"re", *b"ve", *b"ll"];
        let contraction = |end: usize| if contractions { self.contraction_ci(end, SINGLES, PAIRS) } else { 0 };
        let a = self.at(i);
        // Both word alternatives try `P?` taken first, then not taken.
        let starts = [prefix(a).then_some(a.next), Some(i)];

        // 1: `P? U* W+ C?` — U = [Lu Lt Lm Lo M], W = [Ll Lm Lo M]. `U*` is greedy
        // and backs off until `W+` can start: the first try is the char right
        // after the U-run; failing that, the last W char inside the run (Lm,
        // Lo and M are in both), where `W+` then takes just that char (what
        // follows it in the run is U but not W). No W anywhere: no match.
        for j in starts.into_iter().flatten() {
            let (mut k, mut last_w_end) = (j, None);
            while let Some(b) = self.at_opt(k) {
                if b.bits & UPPERISH == 0 {
                    break;
                }
                if b.bits & LOWERISH != 0 {
                    last_w_end = Some(b.next);
                }
                k = b.next;
            }
            let end = match self.at_opt(k) {
                Some(b) if b.bits & LOWERISH != 0 => Some(self.run(k, LOWERISH)),
                _ => last_w_end,
            };
            if let Some(end) = end {
                return end + contraction(end);
            }
        }
        // 2: `P? U+ W* C?` — everything after `U+` is optional: greedy runs.
        for j in starts.into_iter().flatten() {
            if self.at_opt(j).is_some_and(|b| b.bits & UPPERISH != 0) {
                let end = self.run(self.run(j, UPPERISH), LOWERISH);
                return end + contraction(end);
            }
        }
        // 3: `\p{N}{1,3}` (Tekken: `\p{N}`)
        if a.bits & NUMBER != 0 {
            return self.numbers(i, digits);
        }
        // 4: ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
        if let Some(end) = self.space_then(i, a, |a| other(a.bits)) {
            return self.run_by(end, |a| newline(a.c) || a.c == '/');
        }
        // 5: `\s*[\r\n]+` ends after the whitespace run's last newline.
        let (_, _, last_newline) = self.spaces(i);
        if let Some(nl) = last_newline {
            return nl;
        }
        // 6: `\s+(?!\S)`, 7: `\s+`.
        self.spaces_not_before_word(i).unwrap_or_else(|| self.spaces(i).0)
    }

    /// DeepSeek V3's first two splits: the segment at `i` (its end), and
    /// whether the third split cuts it further. `\p{N}{1,3}` is a segment of
    /// its own that no alternative of the third matches (no digit is a
    /// letter, mark, punctuation, symbol or space, and nothing follows it
    /// inside the segment), so it stays whole; so does a run of the CJK
    /// ranges, apart from the third split; and the text between them.
    fn deepseek_segment(&self, i: usize) -> (usize, bool) {
        let a = self.at(i);
        if a.bits & NUMBER != 0 {
            (self.numbers(i, 3), false)
        } else if deepseek_cjk(a.c) {
            (self.run_by(i, |b| deepseek_cjk(b.c)), true)
        } else {
            // To the next digit or CJK character; ASCII bytes need no decoding
            // (their only numbers are the digits).
            let mut j = i;
            loop {
                while self.b.get(j).is_some_and(|&b| b < 0x80 && !b.is_ascii_digit()) {
                    j += 1;
                }
                match self.at_opt(j) {
                    Some(b) if b.bits & NUMBER == 0 && !deepseek_cjk(b.c) => j = b.next,
                    _ => break,
                }
            }
            (j, true)
        }
    }

    /// DeepSeek V3's third split over a whole segment (`self`): each match,
    /// and each stretch where no match starts, is a piece.
    fn deepseek_words(&self, piece: &mut impl FnMut(&str)) {
        let (mut i, mut gap) = (0, None);
        while i < self.len() {
            match self.deepseek_word(i) {
                Some(end) => {
                    if let Some(start) = gap.take() {
                        piece(&self.s[start..i]);
                    }
                    piece(&self.s[i..end]);
                    i = end;
                }
                None => {
                    gap.get_or_insert(i);
                    i = self.at(i).next;
                }
            }
        }
        if let Some(start) = gap {
            piece(&self.s[start..]);
        }
    }

    /// The match of DeepSeek V3's third regex at `i`, if one starts there.
    /// Deciding that none does looks at two characters, so the stretches
    /// between matches cost no more than the matches.
    fn deepseek_word(&self, i: usize) -> Option<usize> {
        let a = self.at(i);
        let next = self.at_opt(a.next);
        let ascii_letter = |b: At| b.c.is_ascii_alphabetic();
        let letter_or_mark = |b: At| b.bits & LETTER != 0 || is_mark(b.bits);
        // 1: an ASCII punctuation character then ASCII letters.
        if a.c.is_ascii_punctuation() && next.is_some_and(ascii_letter) {
            return Some(self.run_by(a.next, ascii_letter));
        }
        // 2: `[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+`: a letter or mark starts
        // the run itself (a mark taken as the prefix gives the same end);
        // another character may lead one that follows it.
        if letter_or_mark(a) {
            return Some(self.run_by(i, letter_or_mark));
        }
        if !newline(a.c) && a.bits & (LETTER | PUNCT_SYMBOL) == 0 && next.is_some_and(letter_or_mark) {
            return Some(self.run_by(a.next, letter_or_mark));
        }
        // 3: ` ?[\p{P}\p{S}]+[\r\n]*`
        if let Some(end) = self.space_then(i, a, |b| b.bits & PUNCT_SYMBOL != 0) {
            return Some(self.run_by(end, |b| newline(b.c)));
        }
        if a.bits & SPACE == 0 {
            return None;
        }
        // 4: `\s*[\r\n]+` ends after the whitespace run's last newline;
        // 5: `\s+(?!\S)` (the segment's end is the text's); 6: `\s+`.
        let (end, _, last_newline) = self.spaces(i);
        Some(last_newline.unwrap_or_else(|| self.spaces_not_before_word(i).unwrap_or(end)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;

    fn pieces(s: Splitter, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        split(s, text, |p| out.push(String::from(p)));
        out
    }

    #[test]
    fn o200k_pieces() {
        let p = |t| pieces(Splitter::O200k, t);
        assert_eq!(p("Hello world"), ["Hello", " world"]);
        assert_eq!(p("I'LL don't"), ["I'LL", " don't"]);
        assert_eq!(p("HTTPServer"), ["HTTPServer"]);
        assert_eq!(p("12345"), ["123", "45"]);
        assert_eq!(p("a  b"), ["a", " ", " b"]);
        assert_eq!(p("a \n\n b"), ["a", " \n\n", " b"]);
        assert_eq!(p("x  "), ["x", "  "]);
        assert_eq!(p("path/to\n"), ["path", "/to", "\n"]);
        assert_eq!(p("!!/\n\nx"), ["!!/\n\n", "x"]);
    }

    #[test]
    fn tekken_pieces() {
        let p = |t| pieces(Splitter::Tekken, t);
        assert_eq!(p("I'LL don't"), ["I", "'LL", " don", "'t"]);
        assert_eq!(p("12345"), ["1", "2", "3", "4", "5"]);
        assert_eq!(p("HTTPServer path/to\n"), ["HTTPServer", " path", "/to", "\n"]);
    }

    #[test]
    fn cl100k_pieces() {
        let p = |t| pieces(Splitter::Cl100k, t);
        assert_eq!(p("Hello world"), ["Hello", " world"]);
        assert_eq!(p("don't"), ["don", "'t"]);
        assert_eq!(p("1234"), ["123", "4"]);
        assert_eq!(p("a \n\n b"), ["a", " \n\n", " b"]);
        assert_eq!(p("a\n  "), ["a", "\n  "]);
        assert_eq!(p("\tfoo"), ["\tfoo"]);
    }

    #[test]
    fn hugging_face_cl100k_pieces() {
        // No `\s++$`: trailing whitespace after a newline is a piece of its own.
        assert_eq!(pieces(Splitter::Cl100k, "a\n  "), ["a", "\n  "]);
        assert_eq!(pieces(Splitter::Llama3, "a\n  "), ["a", "\n", "  "]);
        assert_eq!(pieces(Splitter::Llama3, "1234"), ["123", "4"]);
        assert_eq!(pieces(Splitter::Qwen, "1234 don't"), ["1", "2", "3", "4", " don", "'t"]);
    }

    #[test]
    fn deepseek_pieces() {
        let p = |t| pieces(Splitter::DeepSeek, t);
        assert_eq!(p("Hello world.com"), ["Hello", " world", ".com"]);
        assert_eq!(p("abc12345def"), ["abc", "123", "45", "def"]);
        assert_eq!(p("日本語のテキストです"), ["日本語のテキストです"]);
        assert_eq!(p("中文abc"), ["中文", "abc"]);
        assert_eq!(p("x  y\n\n z"), ["x", " ", " y", "\n\n", " z"]);
        assert_eq!(p("a  "), ["a", "  "]);
        assert_eq!(p("a  1"), ["a", "  ", "1"]);
        assert_eq!(p("(!!)\n"), ["(!!)\n"]);
        assert_eq!(p("e\u{301}t\u{e9}"), ["e\u{301}t\u{e9}"]);
        // Nothing matches at a format character unless a letter follows it.
        assert_eq!(p("\u{200d}\u{200d}a\u{200d}"), ["\u{200d}", "\u{200d}a", "\u{200d}"]);
    }

    #[test]
    fn gpt2_pieces() {
        let p = |t| pieces(Splitter::Gpt2, t);
        assert_eq!(p("Hello world's"), ["Hello", " world", "'s"]);
        assert_eq!(p("a   b"), ["a", "  ", " b"]);
        assert_eq!(p("a\tb"), ["a", "\t", "b"]);
        assert_eq!(p("x \n"), ["x", " \n"]);
    }
}
