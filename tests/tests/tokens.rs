//! farebox's tokenizer against the reference of each encoding: tiktoken-rs
//! (OpenAI's tiktoken in Rust) for OpenAI's; Hugging Face's `tokenizers` on
//! the published `tokenizer.json` for Llama 3, DeepSeek V3 and Qwen 3; for Mistral's Tekken,
//! tiktoken-rs on Tekken's ranks and pattern, as mistral-common hands them
//! to tiktoken; for Llama 4, tiktoken-rs on the ranks and o200k_base's
//! pattern, as Meta's `llama-models` hands them to tiktoken. The files are
//! the ones `cargo xtask vocab` generated the vocabularies from, pinned in
//! `tests/reference-tokenizers/` (Llama 4's: the pinned `llama-models` wheel,
//! which `cargo xtask vocab` unpacks under `target/pypi/`). The same token ids for every encoding, on
//! generated text built to hit every regex alternative, Unicode class
//! boundary and added token, on adversarial runs, and on the corpus in
//! `tests/corpus/`.

use std::sync::OnceLock;

use farebox_core::tokens::{Encoding, Tokenizer};
use farebox_tests::references::reference;
use proptest::prelude::*;

fn ours(e: Encoding) -> &'static Tokenizer {
    static T: OnceLock<Vec<Tokenizer>> = OnceLock::new();
    let all = T.get_or_init(|| Encoding::ALL.iter().map(|&e| Tokenizer::embedded(e)).collect());
    &all[Encoding::ALL.iter().position(|&x| x == e).unwrap()]
}

fn check(e: Encoding, text: &str) {
    let expected = reference(e).ids(text);
    let got = ours(e).encode(text);
    if got != expected {
        let first = got.iter().zip(&expected).position(|(a, b)| a != b).unwrap_or(got.len().min(expected.len()));
        panic!(
            "{e}: differs at token {first} for {:?}…\n ours: {:?}\n reference: {:?}",
            text.chars().take(200).collect::<String>(),
            &got[first.saturating_sub(3)..(first + 5).min(got.len())],
            &expected[first.saturating_sub(3)..(first + 5).min(expected.len())]
        );
    }
    assert_eq!(ours(e).count(text), expected.len(), "{e}: count");
    // Again: now the pieces that needed merging are answered from the
    // tokenizer's memo of piece counts (the tokenizers are shared by every
    // test, so earlier tests' pieces are in it too).
    assert_eq!(ours(e).count(text), expected.len(), "{e}: count again");
}

/// Every encoding with a reference here: all but the SentencePiece ones
/// (sentencepiece's fixtures, tests/gemma3.rs and tests/mistral.rs).
fn check_all(text: &str) {
    let sentencepiece = [Encoding::Gemma3, Encoding::MistralV1, Encoding::MistralV3, Encoding::MistralV7];
    for e in Encoding::ALL.into_iter().filter(|e| !sentencepiece.contains(e)) {
        check(e, text);
    }
}

/// Characters chosen to sit on every class boundary the regexes test.
const ALPHABET: &[char] = &[
    'a',
    'z',
    'A',
    'Z',
    's',
    'S',
    't',
    'T',
    'l',
    'L',
    'v',
    'e',
    'r',
    'd',
    'm',
    'ſ',
    '\'',
    '’',
    ' ',
    ' ',
    ' ',
    '\t',
    '\n',
    '\n',
    '\r',
    '\u{0b}',
    '\u{0c}',
    '\u{85}',
    '\u{a0}',
    '\u{1680}',
    '\u{2000}',
    '\u{2028}',
    '\u{2029}',
    '\u{202f}',
    '\u{3000}',
    '\u{200b}',
    '\u{feff}',
    '0',
    '7',
    '9',
    '²',
    'Ⅻ',
    '٣',
    '.',
    ',',
    '!',
    '?',
    '/',
    '/',
    '-',
    '_',
    '"',
    '(',
    ')',
    '{',
    '}',
    '#',
    '$',
    '€',
    '😀',
    '👍',
    '🏽',
    '\u{200d}',
    '\u{fe0f}',
    'é',
    'ß',
    'ǅ',
    'ǈ',
    'ʰ',
    'ˆ',
    '中',
    '文',
    'の',
    'カ',
    '한',
    'ا',
    'ب',
    'א',
    'ह',
    '\u{0301}',
    '\u{0308}',
    '\u{093f}',
    '\u{20dd}',
    'İ',
    'ı',
    'Ω',
    'ω',
    'Ж',
    'ж',
    '𝔘',
    '𐍈',
    '\u{e000}',
    '\u{0}',
    '\u{7f}',
    // DeepSeek V3's classes: ASCII punctuation and symbols, the edges of its CJK ranges.
    '$',
    '+',
    '<',
    '|',
    '~',
    '@',
    '[',
    '\\',
    '`',
    '^',
    '*',
    ';',
    ':',
    '©',
    '°',
    '\u{9fa5}',
    '\u{9fa6}',
    '\u{3040}',
    '\u{30a0}',
    '\u{30fb}',
    '\u{30fc}',
    '\u{3400}',
    'ー',
    '・',
    // Qwen 3's NFC: marks of other classes, Hangul jamo, singletons, exclusions, expansions.
    '\u{0323}',
    '\u{0345}',
    '\u{05bc}',
    '\u{1100}',
    '\u{1161}',
    '\u{11a8}',
    '각',
    '\u{2126}',
    '\u{212b}',
    'Å',
    '\u{0958}',
    '\u{1d160}',
    '\u{fb2c}',
    '\u{0344}',
    '\u{0f73}',
];

fn text_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            8 => prop::sample::select(ALPHABET).prop_map(String::from),
            2 => prop::sample::select(vec!["Hello", " world", "don't", "I'LL", "we'Re", "HTTPServer", "x86_64", "\r\n", "  \n\n  ", "1234567", "...", "//", "—", "中文字符", "<|eot_id|>", "<|begin_of_text|>", "<|eot_id", "<|endoftext|>", "<｜User｜>", "<｜begin▁of▁sentence｜>", "<think>", ".com", "_init", "$x", "<", "|>"]).prop_map(String::from),
            1 => (prop::sample::select(ALPHABET), 1usize..40).prop_map(|(c, n)| c.to_string().repeat(n)),
            1 => any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn same_tokens_as_the_reference_on_generated_text(text in text_strategy()) {
        check_all(&text);
    }
}

/// The characters of cjk.txt in order, and those of it and emoji.txt from
/// U+3000 up, each once: what the encoders cut pieces between (`seams` in core).
fn wide_chars() -> &'static (Vec<char>, Vec<char>) {
    static CHARS: OnceLock<(Vec<char>, Vec<char>)> = OnceLock::new();
    CHARS.get_or_init(|| {
        let read = |f: &str| {
            std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(f)).unwrap()
        };
        let cjk: Vec<char> = read("cjk.txt").chars().collect();
        let mut wide: Vec<char> =
            cjk.iter().copied().chain(read("emoji.txt").chars()).filter(|&c| c >= '\u{3000}').collect();
        wide.sort_unstable();
        wide.dedup();
        (cjk, wide)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Text of the characters pieces are cut between, in random order (most
    /// neighbours then no token joins, so most places are seams) and in
    /// runs of the corpus's order (words, so seams are few): the same tokens as
    /// the reference. The corpus test covers their natural order.
    #[test]
    fn same_tokens_as_the_reference_on_text_cut_at_seams(
        picks in proptest::collection::vec((0usize..1 << 20, 1usize..6, any::<bool>()), 1..30)
    ) {
        let (cjk, chars) = wide_chars();
        let mut text = String::new();
        for (at, len, from_corpus) in picks {
            if from_corpus {
                let at = at % (cjk.len() - len);
                text.extend(&cjk[at..at + len]);
            } else {
                text.extend((0..len).map(|i| chars[(at + i * 7919) % chars.len()]));
            }
        }
        check_all(&text);
    }
}

/// Qwen 3 normalises to NFC (Unicode 9.0's, the reference's) before it
/// splits: every character NFC can change, move or compose (a non-zero
/// class, a decomposition, a part of a composite), alone, after a letter,
/// before and after marks of other classes and between Hangul jamo, counts
/// as the reference counts it.
#[test]
fn qwen3_normalizes_every_character_as_the_reference() {
    use unicode_normalization_alignments::char::{canonical_combining_class, decompose_canonical};
    let mut touched = std::collections::BTreeSet::new();
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        let mut parts = Vec::new();
        decompose_canonical(c, |d| parts.push(d));
        if canonical_combining_class(c) != 0 || parts != [c] {
            touched.insert(c);
            touched.extend(parts);
        }
    }
    assert!(touched.len() > 10_000, "{} characters", touched.len());
    // Hangul syllables are arithmetic: a sample of them is enough.
    let chars: Vec<char> = touched
        .into_iter()
        .filter(|c| !('\u{AC01}'..='\u{D7A3}').contains(c) || (*c as u32).is_multiple_of(97))
        .collect();
    for chunk in chars.chunks(64) {
        let run: String = chunk.iter().collect();
        let spaced: String = chunk.iter().map(|c| format!("a{c}\u{0323}\u{0301} {c}\u{1161}\u{11a8}")).collect();
        check(Encoding::Qwen3, &run);
        check(Encoding::Qwen3, &spaced);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The bounds without counting hold for Qwen 3 though NFC changes a
    /// text's length: at most `factor` tokens per byte of the text as
    /// given, at least one per `longest × factor` bytes.
    #[test]
    fn qwen3_counts_stay_within_the_normalization_bounds(
        parts in proptest::collection::vec(prop::sample::select(vec![
            "\u{1d160}", "\u{1100}\u{1161}\u{11a8}", "\u{0958}", "\u{fb2c}", "e\u{0301}", "\u{2126}", "a", " ", "각",
        ]), 0..200)
    ) {
        use farebox_core::tokens::Vocabulary;
        let text = parts.concat();
        let (n, factor) = (text.len() as u64, Vocabulary::Qwen3.normalization_factor());
        let count = ours(Encoding::Qwen3).count(&text) as u64;
        prop_assert!(count <= n * factor, "{count} tokens for {n} bytes");
        prop_assert!(count >= n.div_ceil(Vocabulary::Qwen3.longest_token() * factor), "{count} tokens for {n} bytes");
        check(Encoding::Qwen3, &text);
    }
}

#[test]
fn same_tokens_on_long_runs() {
    for unit in ["a", " ", "\n", "1", "!", " a", "ab", "中", "\u{0301}", "A", "aA", "\t \n", "'s", "😀"] {
        for n in [1, 2, 3, 97, 98, 500, 5_000] {
            check_all(&unit.repeat(n));
            check_all(&format!("x{}y", unit.repeat(n)));
        }
    }
}

/// Long pieces of every class, which go to the backtracking encoder: runs of
/// one character and of mixed characters, letters, digits (long pieces in
/// r50k/p50k), spaces, newlines, mixed whitespace, CJK, emoji and punctuation,
/// alone and between other text, and a CJK text long enough to repeat nothing.
#[test]
fn same_tokens_on_long_pieces_of_every_class() {
    let units = [
        "a",
        "z",
        "Q",
        "é",
        "ab",
        "abc",
        "aaab",
        "xyzzy",
        "Straße",
        "1",
        "42",
        "9876543210",
        " ",
        "  a",
        "\n",
        "\r\n",
        "\t",
        " \t\n",
        "\u{3000}\u{a0} ",
        "中",
        "中文",
        "日本語のテキスト",
        "한국어",
        "😀",
        "👍🏽",
        "👨\u{200d}👩",
        "!",
        "?!",
        "->",
        "...",
        "{}",
        "/*",
        "\u{0301}",
        "ا",
        "Ж",
    ];
    for unit in units {
        for n in [40, 333, 4_000] {
            let run = unit.repeat(n);
            check_all(&run);
            check_all(&format!("Hi {run}!\n"));
        }
    }
    // Distinct CJK characters, so that the pieces are long and unrepetitive.
    let cjk: String = (0x4e00u32..0x4e00 + 3_000).filter_map(char::from_u32).collect();
    check_all(&cjk);
}

#[test]
fn same_tokens_on_the_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "txt") {
            let text = std::fs::read_to_string(&path).unwrap();
            check_all(&text);
            files += 1;
        }
    }
    assert!(files >= 5, "only {files} corpus files in {}", dir.display());
}

/// The OpenAI cookbook's published examples ("How to count tokens with tiktoken").
#[test]
fn cookbook_examples() {
    let cl100k = ours(Encoding::Cl100kBase);
    let r50k = ours(Encoding::R50kBase);
    assert_eq!(cl100k.encode("tiktoken is great!"), [83, 1609, 5963, 374, 2294, 0]);
    assert_eq!(cl100k.encode("antidisestablishmentarianism"), [519, 85342, 34500, 479, 8997, 2191]);
    assert_eq!(r50k.encode("antidisestablishmentarianism"), [415, 29207, 44390, 3699, 1042]);
    assert_eq!(ours(Encoding::P50kBase).count("antidisestablishmentarianism"), 5);
    assert_eq!(cl100k.count("2 + 2 = 4"), 7);
    assert_eq!(r50k.count("2 + 2 = 4"), 5);
    assert_eq!(cl100k.count("お誕生日おめでとう"), 9);
    assert_eq!(r50k.count("お誕生日おめでとう"), 14);
}

/// Core's character classes are regex-syntax's (core's own test checks its
/// table against them, code point by code point); the `tokenizer.json`
/// references split with Oniguruma. The classes the splitters test must be
/// the same in both engines for every code point, or a character one engine
/// knows and the other does not would split differently.
#[test]
fn oniguruma_classes_are_regex_syntax_classes() {
    use regex_syntax::hir::{Class, HirKind};
    let classes = [
        r"\p{L}",
        r"\p{N}",
        r"\s",
        r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]",
        r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]",
        r"[\p{P}\p{S}]",
        r"\p{M}",
    ];
    for class in classes {
        let hir = regex_syntax::parse(class).unwrap();
        let HirKind::Class(Class::Unicode(ranges)) = hir.kind() else { panic!("{class}") };
        let mut ours = vec![false; 0x11_0000];
        for r in ranges.ranges() {
            for cp in u32::from(r.start())..=u32::from(r.end()) {
                ours[cp as usize] = true;
            }
        }
        let onig = onig::Regex::new(&format!(r"\A{class}\z")).unwrap();
        let mut differ = Vec::new();
        let mut buf = [0u8; 4];
        for c in (0..0x11_0000u32).filter_map(char::from_u32) {
            if onig.is_match(c.encode_utf8(&mut buf)) != ours[c as usize] {
                differ.push(format!("U+{:04X}", c as u32));
            }
        }
        assert!(
            differ.is_empty(),
            "{class}: {} code points differ, e.g. {:?}",
            differ.len(),
            &differ[..differ.len().min(10)]
        );
    }
}
