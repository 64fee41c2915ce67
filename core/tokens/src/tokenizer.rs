//! A loaded vocabulary that counts ([`Tokenizer`]), and the set a host keeps
//! ([`Tokenizers`]).

use alloc::vec::Vec;
use core::fmt;

use super::bpe::{Encoder, Scratch};
use super::exclusive::Exclusive;
use super::memo::Memo;
use super::normalize::Nfc;
use super::pretokenize::{self, Splitter};
use super::sentencepiece::{self, SentencePiece};
use super::vocab::{Vocab, VocabError};
use super::{vocab_file, Encoding, Vocabulary};

/// The regex a byte-level BPE encoding splits text with (`None`: not one).
/// Llama 3's `tokenizer.json` splits with cl100k_base's regex (written
/// without its possessive quantifiers, which match the same pieces here:
/// every alternative's greedy run is followed by a class it cannot take
/// back), but for the whitespace at the end of a text.
fn splitter(encoding: Encoding) -> Option<Splitter> {
    match encoding {
        Encoding::O200kBase | Encoding::O200kHarmony | Encoding::Llama4 => Some(Splitter::O200k),
        Encoding::Cl100kBase => Some(Splitter::Cl100k),
        Encoding::Llama3 => Some(Splitter::Llama3),
        Encoding::DeepSeekV3 => Some(Splitter::DeepSeek),
        Encoding::Qwen3 => Some(Splitter::Qwen),
        Encoding::P50kBase | Encoding::R50kBase => Some(Splitter::Gpt2),
        Encoding::Tekken => Some(Splitter::Tekken),
        Encoding::Gemma3 | Encoding::MistralV1 | Encoding::MistralV3 | Encoding::MistralV7 => None,
    }
}

/// A vocabulary's file as compiled into this build.
#[cfg(feature = "embedded-vocab")]
fn embedded(vocabulary: Vocabulary) -> &'static [u8] {
    match vocabulary {
        Vocabulary::O200kBase => include_bytes!("../../data/vocab/o200k_base.bin"),
        Vocabulary::Cl100kBase => include_bytes!("../../data/vocab/cl100k_base.bin"),
        Vocabulary::P50kBase => include_bytes!("../../data/vocab/p50k_base.bin"),
        Vocabulary::R50kBase => include_bytes!("../../data/vocab/r50k_base.bin"),
        Vocabulary::Gemma3 => include_bytes!("../../data/vocab/gemma3.bin"),
        Vocabulary::Llama3 => include_bytes!("../../data/vocab/llama3.bin"),
        Vocabulary::Tekken => include_bytes!("../../data/vocab/tekken.bin"),
        Vocabulary::Llama4 => include_bytes!("../../data/vocab/llama4.bin"),
        Vocabulary::MistralV1 => include_bytes!("../../data/vocab/mistral_v1.bin"),
        Vocabulary::MistralV3 => include_bytes!("../../data/vocab/mistral_v3.bin"),
        Vocabulary::MistralV7 => include_bytes!("../../data/vocab/mistral_v7.bin"),
        Vocabulary::DeepSeekV3 => include_bytes!("../../data/vocab/deepseek_v3.bin"),
        Vocabulary::Qwen3 => include_bytes!("../../data/vocab/qwen3.bin"),
    }
}

/// How a tokenizer merges: tiktoken's byte-level BPE after a regex split, or
/// SentencePiece's BPE over characters. (Boxed: both are kilobytes of
/// tables, and a `Tokenizers` holds one slot per vocabulary.)
pub(crate) enum Engine {
    Bpe(Splitter, alloc::boxed::Box<Encoder>),
    SentencePiece(alloc::boxed::Box<SentencePiece>),
}

/// Buffers kept from one count to the next: the engine's, and the piece counts remembered.
#[derive(Default)]
struct Reused {
    bpe: Scratch,
    spm: sentencepiece::Scratch,
    memo: Memo,
}

/// A loaded encoding: counts and encodes text.
pub struct Tokenizer {
    encoding: Encoding,
    pub(crate) engine: Engine,
    /// The Unicode normalisation text goes through first (Qwen 3's NFC).
    nfc: Option<alloc::boxed::Box<Nfc>>,
    /// Buffers and remembered piece counts kept from one count to the next
    /// (see [`super::memo`]); a count that finds them in use (another
    /// thread's) runs with fresh ones.
    reused: Exclusive<Reused>,
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokenizer").field("encoding", &self.encoding).finish_non_exhaustive()
    }
}

impl Tokenizer {
    /// A tokenizer from vocabulary data (the file of `encoding.vocabulary()`).
    pub fn from_vocab(encoding: Encoding, data: &[u8]) -> Result<Tokenizer, VocabError> {
        let (nfc, data) = match encoding {
            Encoding::Qwen3 => {
                let (nfc, rest) = Nfc::read(data)?;
                (Some(alloc::boxed::Box::new(nfc)), rest)
            }
            _ => (None, data),
        };
        let engine = match splitter(encoding) {
            Some(splitter) => {
                let (vocab, whole) = vocab_file::read(data)?;
                let encoder = Encoder::new(vocab, encoding.vocabulary().every_token_merged(), whole);
                Engine::Bpe(splitter, alloc::boxed::Box::new(encoder))
            }
            None => Engine::SentencePiece(alloc::boxed::Box::new(SentencePiece::from_file(data)?)),
        };
        Ok(Tokenizer { encoding, engine, nfc, reused: Default::default() })
    }

    /// A tokenizer from the vocabulary compiled into this build.
    #[cfg(feature = "embedded-vocab")]
    pub fn embedded(encoding: Encoding) -> Tokenizer {
        Tokenizer::from_vocab(encoding, embedded(encoding.vocabulary()))
            .expect("embedded vocabularies are valid (tested)")
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The number of tokens `text` encodes to: tiktoken's
    /// `len(encode_ordinary(text))`; for a vocabulary with added tokens
    /// (Llama 3's), Hugging Face's `len(encode(text,
    /// add_special_tokens=False))`; for Gemma 3, sentencepiece's
    /// `len(encode(text))` (no `<bos>`), which is what the `google-genai`
    /// SDK's local tokenizer sums; for Mistral's SentencePiece vocabularies
    /// the same (its dummy prefix included), which is how mistral-common
    /// encodes a message's text.
    pub fn count(&self, text: &str) -> usize {
        self.reused.with(|reused| match reused {
            Some(reused) => self.count_with(text, reused, true),
            None => self.count_with(text, &mut Reused::default(), false),
        })
    }

    /// Forgets the piece counts remembered so far (and the short strings
    /// and pairs of tokens looked up lately): the next count of any text does the work of a first count (what a benchmark of text seen
    /// for the first time measures). The memo keeps its memory.
    pub fn forget(&self) {
        self.reused.with(|reused| {
            if let Some(reused) = reused {
                reused.memo.clear();
                reused.bpe.forget();
                reused.spm.recent.clear();
            }
        })
    }

    fn count_with(&self, text: &str, reused: &mut Reused, remember: bool) -> usize {
        let Reused { bpe: scratch, spm, memo } = reused;
        let mut memo = remember.then_some(memo);
        match &self.engine {
            Engine::Bpe(splitter, bpe) => {
                let mut total = 0;
                segments(&bpe.vocab, text, |segment| match segment {
                    Segment::Text(text) => pretokenize::split(*splitter, &self.normalize(text), |piece| {
                        total += bpe.count(piece.as_bytes(), scratch, memo.as_deref_mut())
                    }),
                    Segment::Added(_) => total += 1,
                });
                total
            }
            Engine::SentencePiece(model) => model.count(&model.normalize(text), spm, memo),
        }
    }

    /// The token ids of `text`: tiktoken's `encode_ordinary(text)`; for a
    /// vocabulary with added tokens, Hugging Face's `encode(text,
    /// add_special_tokens=False)`; sentencepiece's `encode(text)` for Gemma 3
    /// and Mistral's SentencePiece vocabularies.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        match &self.engine {
            Engine::Bpe(splitter, bpe) => {
                let mut scratch = Scratch::default();
                segments(&bpe.vocab, text, |segment| match segment {
                    Segment::Text(text) => pretokenize::split(*splitter, &self.normalize(text), |piece| {
                        bpe.encode(piece.as_bytes(), &mut scratch, &mut out)
                    }),
                    Segment::Added(rank) => out.push(rank),
                });
            }
            Engine::SentencePiece(model) => {
                let mut scratch = sentencepiece::Scratch::default();
                model.encode(&model.normalize(text), &mut scratch, &mut out);
            }
        }
        out
    }

    /// A stretch of text between added tokens as the vocabulary's
    /// normaliser leaves it (Hugging Face normalises each such stretch
    /// alone, after matching the added tokens in the raw text).
    fn normalize<'t>(&self, text: &'t str) -> alloc::borrow::Cow<'t, str> {
        match &self.nfc {
            Some(nfc) => nfc.normalize(text),
            None => alloc::borrow::Cow::Borrowed(text),
        }
    }

    /// The most bytes of text one token covers (what
    /// [`Vocabulary::longest_token`] states without loading it).
    pub fn longest_token(&self) -> usize {
        match &self.engine {
            Engine::Bpe(_, bpe) => bpe.vocab.max_len(),
            Engine::SentencePiece(model) => model.longest(),
        }
    }
}

/// Calls `each` with the stretches of `text` between added tokens and with
/// each added token, in order. Hugging Face matches added tokens first
/// (leftmost, then longest) and splits and merges only the text between
/// them; a vocabulary without any (OpenAI's: tiktoken counts `<|endoftext|>`
/// in text as its characters) is one stretch.
fn segments<'t>(vocab: &Vocab, text: &'t str, mut each: impl FnMut(Segment<'t>)) {
    if !vocab.has_added() {
        if !text.is_empty() {
            each(Segment::Text(text));
        }
        return;
    }
    let (bytes, mut start, mut i) = (text.as_bytes(), 0, 0);
    while i < bytes.len() {
        match vocab.added_at(&bytes[i..]) {
            Some(rank) => {
                if start < i {
                    each(Segment::Text(&text[start..i]));
                }
                each(Segment::Added(rank));
                // Added tokens are whole UTF-8 text, so this is a char boundary.
                i += vocab.token(rank).len();
                start = i;
            }
            None => i += 1,
        }
    }
    if start < bytes.len() {
        each(Segment::Text(&text[start..]));
    }
}

/// A stretch of text to split and merge, or an added token matched in it.
enum Segment<'t> {
    Text(&'t str),
    Added(u32),
}

/// Where a host's vocabularies not yet loaded come from: the file's bytes
/// when the host holds them (compiled in), else `None`.
pub type VocabularySource = fn(Vocabulary) -> Option<&'static [u8]>;

/// The tokenizers a host has loaded, one per [`Vocabulary`].
///
/// `o200k_harmony` shares `o200k_base`'s vocabulary and so its tokenizer.
/// A host either holds its vocabularies' bytes ([`Tokenizers::embedded`],
/// [`Tokenizers::with_source`]: each parsed the first time a count needs it)
/// or loads the ones it fetches ([`Tokenizers::load`]): a count that needs
/// one not loaded fails with farebox-core's `Error::TokenizerNotLoaded` naming it.
#[derive(Default)]
pub struct Tokenizers {
    loaded: [crate::Once<Tokenizer>; Vocabulary::ALL.len()],
    source: Option<VocabularySource>,
}

impl fmt::Debug for Tokenizers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loaded: Vec<Vocabulary> = Vocabulary::ALL.into_iter().filter(|&v| self.slot(v).get().is_some()).collect();
        f.debug_struct("Tokenizers").field("loaded", &loaded).field("source", &self.source.is_some()).finish()
    }
}

impl Tokenizers {
    /// None loaded.
    pub fn new() -> Tokenizers {
        Tokenizers::default()
    }

    /// Every vocabulary compiled in, each parsed on first use.
    #[cfg(feature = "embedded-vocab")]
    pub fn embedded() -> Tokenizers {
        Tokenizers::with_source(|v| Some(embedded(v)))
    }

    /// The vocabularies `source` has bytes for, each parsed on first use
    /// (a file that does not parse counts as not loaded).
    pub fn with_source(source: VocabularySource) -> Tokenizers {
        Tokenizers { source: Some(source), ..Tokenizers::default() }
    }

    fn slot(&self, vocabulary: Vocabulary) -> &crate::Once<Tokenizer> {
        &self.loaded[vocabulary as usize]
    }

    /// Adds a loaded tokenizer (replacing none: the first one for a vocabulary stays).
    pub fn insert(&self, tokenizer: Tokenizer) {
        let _ = self.slot(tokenizer.encoding.vocabulary()).set(tokenizer);
    }

    /// Adds `vocabulary` from its file's bytes. The bytes are read even when
    /// it is loaded already (the loaded one stays): bytes that are not a
    /// vocabulary are an error whenever they are given, never accepted
    /// because an earlier call happened to succeed. Hosts that only want it
    /// loaded ask [`Tokenizers::has`] first.
    pub fn load(&self, vocabulary: Vocabulary, data: &[u8]) -> Result<(), VocabError> {
        let tokenizer = Tokenizer::from_vocab(vocabulary.encoding(), data)?;
        if self.slot(vocabulary).get().is_none() {
            self.insert(tokenizer);
        }
        Ok(())
    }

    /// Whether `vocabulary` is loaded, or can be from the source.
    pub fn has(&self, vocabulary: Vocabulary) -> bool {
        self.get(vocabulary.encoding()).is_some()
    }

    /// Whether `vocabulary` is loaded or the source holds its bytes, without
    /// parsing them (a source's bytes are taken to be a vocabulary: the
    /// embedded ones are tested).
    pub fn available(&self, vocabulary: Vocabulary) -> bool {
        self.slot(vocabulary).get().is_some() || self.source.is_some_and(|source| source(vocabulary).is_some())
    }

    /// Whether the host said it will not have `vocabulary`: it gave a
    /// source, the source has no bytes for it, and it was not loaded. A
    /// model whose own tokenizer a host lacks this way is estimated as a
    /// model without a public tokenizer (a host that fetches vocabularies on
    /// need gives no source, and gets farebox-core's `Error::TokenizerNotLoaded`
    /// naming the one to fetch).
    pub fn lacks(&self, vocabulary: Vocabulary) -> bool {
        self.source.is_some_and(|source| source(vocabulary).is_none()) && self.slot(vocabulary).get().is_none()
    }

    /// The tokenizer for `encoding`, if its vocabulary is loaded or the
    /// source holds it.
    pub fn get(&self, encoding: Encoding) -> Option<&Tokenizer> {
        let vocabulary = encoding.vocabulary();
        let cell = self.slot(vocabulary);
        if let Some(tokenizer) = cell.get() {
            return Some(tokenizer);
        }
        let data = self.source?(vocabulary)?;
        let _ = cell.set(Tokenizer::from_vocab(vocabulary.encoding(), data).ok()?);
        cell.get()
    }
}

#[cfg(all(test, feature = "embedded-vocab"))]
mod tests {
    use super::*;

    #[test]
    fn counts_known_strings() {
        let t = Tokenizer::embedded(Encoding::O200kBase);
        assert_eq!(t.count(""), 0);
        assert_eq!(t.count("hello world"), 2);
        assert_eq!(t.encode("hello world"), [24912, 2375]);
        let c = Tokenizer::embedded(Encoding::Cl100kBase);
        assert_eq!(c.encode("hello world"), [15339, 1917]);
        // Llama 3 shares cl100k_base's first ranks; its added tokens are
        // matched in text (Hugging Face's rule), one token each.
        let l = Tokenizer::embedded(Encoding::Llama3);
        assert_eq!(l.encode("hello world"), [15339, 1917]);
        assert_eq!(l.encode("a<|eot_id|>b<|eot_id"), [64, 128009, 65, 27, 91, 68, 354, 851]);
        assert_eq!(l.count("<|begin_of_text|><|begin_of_text|>"), 2);
    }

    #[test]
    fn counts_gemma3_as_sentencepiece() {
        // Ids from sentencepiece 0.2.3 with the model the google-genai SDK pins.
        let g = Tokenizer::embedded(Encoding::Gemma3);
        assert_eq!(g.encode("hello world"), [23391, 1902]);
        assert_eq!(g.encode("What is your name?"), [3689, 563, 822, 1463, 236881]);
        // A user-defined piece, then two spaces (one user-defined piece), then a letter.
        assert_eq!(g.encode("<mask>  x"), [4, 138, 236781]);
        // A character that is a piece, then one that is not: its four UTF-8 bytes.
        assert_eq!(g.encode("\u{e001}\u{f0000}"), [247368, 481, 414, 366, 366]);
        assert_eq!(g.count("\u{e001}\u{f0000}"), 5);
        assert_eq!(g.count(""), 0);
    }

    #[test]
    fn counts_mistral_s_sentencepiece_with_its_dummy_prefix() {
        // Ids from sentencepiece 0.2.3 with mistral-common 1.13.1's models:
        // a `▁` before the text (none for empty text), v3's ids 768 above v1's.
        let (v1, v3) = (Tokenizer::embedded(Encoding::MistralV1), Tokenizer::embedded(Encoding::MistralV3));
        assert_eq!(v1.encode("hello world"), [6312, 28709, 1526]);
        assert_eq!(v3.encode("hello world"), [7080, 29477, 2294]);
        assert_eq!(v1.count(""), 0);
        // 18 `▁`: the tied runs of `▁` merge leftmost first, 16 then 2.
        assert_eq!(v1.encode(&" ".repeat(17)), [359, 259]);
        // v3's user-defined piece, after the dummy prefix; text to v1.
        assert_eq!(v3.encode("[REFERENCE_DOC_2]a"), [29473, 768, 29476]);
        assert_eq!(v1.count("[REFERENCE_DOC_2]a"), 11);
    }

    #[test]
    fn longest_tokens_are_the_files() {
        for vocabulary in Vocabulary::ALL {
            let t = Tokenizer::embedded(vocabulary.encoding());
            assert_eq!(t.longest_token() as u64, vocabulary.longest_token(), "{vocabulary}");
        }
    }

    #[test]
    fn one_tokenizer_per_vocabulary() {
        let tokenizers = Tokenizers::new();
        assert!(tokenizers.get(Encoding::O200kHarmony).is_none());
        tokenizers.load(Vocabulary::O200kBase, embedded(Vocabulary::O200kBase)).unwrap();
        assert!(tokenizers.has(Vocabulary::O200kBase));
        assert_eq!(tokenizers.get(Encoding::O200kHarmony).map(|t| t.count("hello world")), Some(2));
        assert!(!tokenizers.has(Vocabulary::Cl100kBase));
        // Loaded already: bad bytes are still an error, and the loaded one stays.
        assert_eq!(tokenizers.load(Vocabulary::O200kBase, b"not a vocabulary"), Err(VocabError::NotAVocabulary));
        assert_eq!(tokenizers.get(Encoding::O200kBase).map(|t| t.count("hello world")), Some(2));
        assert!(tokenizers.load(Vocabulary::Cl100kBase, b"not a vocabulary").is_err());

        let some = Tokenizers::with_source(|v| (v == Vocabulary::Cl100kBase).then(|| embedded(v)));
        assert!(some.available(Vocabulary::Cl100kBase) && !some.available(Vocabulary::P50kBase));
        assert!(some.slot(Vocabulary::Cl100kBase).get().is_none(), "available parses nothing");
        assert!(some.has(Vocabulary::Cl100kBase) && !some.has(Vocabulary::P50kBase));
        assert!(tokenizers.available(Vocabulary::O200kBase) && !tokenizers.available(Vocabulary::P50kBase));
        // Only a source can say a vocabulary will not come.
        assert!(some.lacks(Vocabulary::P50kBase) && !some.lacks(Vocabulary::Cl100kBase));
        assert!(!tokenizers.lacks(Vocabulary::P50kBase));
    }
}
