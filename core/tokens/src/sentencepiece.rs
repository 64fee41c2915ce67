//! SentencePiece BPE encoding, exactly as `sentencepiece` (the C++ library
//! Google's `google-genai` SDK counts Gemini text with, and mistral-common
//! Mistral's v1 and v3 vocabularies) encodes with models like Gemma 3's and
//! Mistral's: identity normaliser, spaces escaped as `▁`, a dummy prefix
//! (Mistral's) or none (Gemma 3's), byte fallback. (`cargo xtask vocab`
//! refuses any other model, so these are the only rules needed.)
//!
//! The library's rule (`bpe_model.cc`, `Model::SampleEncode` without
//! sampling): the text, spaces made `▁`, is cut into symbols: at each
//! position the longest user-defined piece that starts there (frozen: never
//! merged), else one character. Then, over the whole text, the adjacent pair
//! of unfrozen symbols whose concatenation is a piece with the highest score
//! is merged (the leftmost on a tie), until no pair is a piece. A symbol left
//! that is not a piece (a character the vocabulary lacks) becomes the byte
//! pieces of its UTF-8 bytes.
//!
//! The library runs that over the whole text at once (one heap, O(n log n)).
//! Here the text is first cut where no merge can ever cross, so that each
//! part is merged alone (and remembered, [`super::memo`]): before a frozen
//! symbol and after it, and before a space whose preceding character is
//! followed by `▁` in no piece (computed from the vocabulary when it is
//! loaded; in Gemma 3 only `>▁</` has one). A merge joining the two sides
//! of such a cut would make a piece holding that pair of characters, and
//! there is none; merges on one side never create or remove a pair on the
//! other. So the parts' merges are the library's, in another order that
//! changes nothing: each part's highest pair is the highest pair in it
//! either way.
//!
//! Within a part: a part that is a piece its own text encodes to (most
//! words; the file lists the few that are not) is that token; otherwise up
//! to [`SCAN_MAX`] characters a scan for the best pair (fastest when short),
//! beyond it the candidate pairs in buckets by priority, each merged left to
//! right (the library's heap order; see `merge_long`), with the library's
//! own test for stale entries. Priority is the id: the file's writer checked
//! that scores fall as ids rise, but for the pieces the file lists as merging
//! last, which share one score (Mistral's runs of `▁`): they share the
//! priority after every id, so that among them the leftmost pair merges
//! first, as in the library's heap.

use super::memo::{self, Memo};
use super::spm_file::{self, Kind};
use super::unicode::utf8_len;
use super::vocab::{hash, Recent, Vocab, VocabError};
use alloc::collections::BinaryHeap;
use alloc::vec::Vec;
use core::cmp::Reverse;

/// Parts of at most this many characters are merged by scanning for the best
/// pair; longer ones by buckets of pairs (`merge_long`).
const SCAN_MAX: usize = 32;

/// Parts at least this many longest pieces long are checked for being one
/// character repeated ([`SentencePiece::run`]).
const RUN_MIN: usize = 8;

/// A loaded SentencePiece vocabulary.
pub(crate) struct SentencePiece {
    /// The normal pieces (ranks are ids; every other id is empty here, so a
    /// lookup finds only what a merge can make: the library looks merges up
    /// among normal pieces).
    pub(super) vocab: Vocab,
    /// The id of the byte piece of each byte.
    byte_ids: [u32; 256],
    /// By id, one bit: the normal pieces that their own text encodes to
    /// (every one but the file's unreached list). A stretch equal to one of
    /// them is that one token, without merging.
    whole: Vec<u64>,
    user: UserDefined,
    /// The characters (UTF-8) that precede a `▁` inside some normal piece:
    /// before a space after any other, the text can be cut.
    space_joiners: Vec<Vec<u8>>,
    /// The most bytes of text one token covers: the longest piece, with `▁`
    /// as the 3 bytes a `▁` in the text is (which it also matches).
    longest: usize,
    /// Whether a `▁` goes before any non-empty text ([`SentencePiece::normalize`]).
    dummy_prefix: bool,
    /// The pieces that merge last, tied (one bit per id, as `whole`): their
    /// priority is the vocabulary's length, after every id.
    last: Vec<u64>,
}

/// The user-defined pieces, for the longest match at a position.
struct UserDefined {
    /// (text, id), sorted by text.
    entries: Vec<(Vec<u8>, u32)>,
    /// Per first byte, the range of `entries` starting with it.
    first: [(u32, u32); 256],
}

impl UserDefined {
    /// The longest user-defined piece `text` starts with: (its length, its id).
    #[inline]
    fn longest(&self, text: &[u8]) -> Option<(usize, u32)> {
        let (lo, hi) = self.first[usize::from(*text.first()?)];
        let (mut lo, mut hi) = (lo as usize, hi as usize);
        let mut best = None;
        let mut d = 0;
        // Invariant: entries[lo..hi] are those starting with text[..=d]; an
        // entry equal to text[..=d] sorts first among them.
        while lo < hi {
            let (entry, id) = &self.entries[lo];
            if entry.len() == d + 1 {
                best = Some((d + 1, *id));
            }
            d += 1;
            let Some(&b) = text.get(d) else { break };
            let range = &self.entries[lo..hi];
            let start = range.partition_point(|(e, _)| e.get(d).is_none_or(|&x| x < b));
            let end = range.partition_point(|(e, _)| e.get(d).is_none_or(|&x| x <= b));
            (lo, hi) = (lo + start, lo + end);
        }
        best
    }
}

/// Buffers a count reuses.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Start of each part, then the end.
    starts: Vec<u32>,
    /// Scan: priority of the pair (i, i + 1) (u32::MAX: not a piece).
    ranks: Vec<u32>,
    /// Long parts: per symbol, its end (0 once merged into its left
    /// neighbour), its next and previous symbols; the candidate pairs.
    ends: Vec<u32>,
    next: Vec<u32>,
    prev: Vec<u32>,
    buckets: Buckets,
    /// Long parts: pairs made as good as the bucket being merged, or better.
    urgent: BinaryHeap<Reverse<(u32, [u32; 3])>>,
    pub(super) recent: Recent,
    /// A run's probe's symbol boundaries ([`SentencePiece::run`]).
    run_starts: Vec<u32>,
}

const NONE: u32 = u32::MAX;

/// Candidate pairs of a long part by priority: [left symbol, right symbol, length].
///
/// A binary heap of the priorities that have a bucket, and per priority its
/// bucket's place (a table as long as the vocabulary, made on the first long
/// part): no ordered map, whose code would grow the WebAssembly module more
/// than this whole encoder.
#[derive(Default)]
struct Buckets {
    ranks: BinaryHeap<Reverse<u32>>,
    /// By priority: 1 + its bucket's index in `lists`, or 0.
    slot: Vec<u32>,
    lists: Vec<Vec<[u32; 3]>>,
    /// Emptied buckets, kept for their memory.
    spare: Vec<Vec<[u32; 3]>>,
}

impl Buckets {
    fn reset(&mut self, ranks: usize) {
        // Every slot is 0 again when a part is done (each bucket is popped),
        // so the table is made once, not cleared per part: 1 MB per long
        // part made CJK text 5× slower.
        if self.slot.len() != ranks {
            self.slot.clear();
            self.slot.resize(ranks, 0);
        }
        debug_assert!(self.ranks.is_empty());
        self.ranks.clear();
        self.spare.extend(self.lists.drain(..).map(|mut l| {
            l.clear();
            l
        }));
    }

    fn push(&mut self, rank: u32, entries: &[[u32; 3]]) {
        let slot = &mut self.slot[rank as usize];
        if *slot == 0 {
            self.lists.push(self.spare.pop().unwrap_or_default());
            *slot = self.lists.len() as u32;
            self.ranks.push(Reverse(rank));
        }
        self.lists[*slot as usize - 1].extend_from_slice(entries);
    }

    /// The best priority's bucket (given back with [`Buckets::give_back`]).
    fn pop(&mut self) -> Option<(u32, Vec<[u32; 3]>)> {
        let Reverse(rank) = self.ranks.pop()?;
        let slot = core::mem::take(&mut self.slot[rank as usize]) as usize;
        Some((rank, core::mem::take(&mut self.lists[slot - 1])))
    }

    fn give_back(&mut self, mut list: Vec<[u32; 3]>) {
        list.clear();
        self.spare.push(list);
    }
}

/// What [`SentencePiece::split`] cuts text into.
enum Stretch<'t> {
    /// Characters merged alone.
    Part(&'t [u8]),
    /// A user-defined piece (its id): one token, never merged.
    Frozen(u32),
}

impl SentencePiece {
    pub(crate) fn from_file(data: &[u8]) -> Result<SentencePiece, VocabError> {
        let spm_file::Decoded { dummy_prefix, kinds, bytes, offsets, byte_of, last: listed_last, unreached } =
            spm_file::decode(data)?;
        let mut whole = alloc::vec![0u64; kinds.len().div_ceil(64)];
        for (id, kind) in kinds.iter().enumerate() {
            if *kind == Kind::Normal && unreached.binary_search(&(id as u32)).is_err() {
                whole[id / 64] |= 1 << (id % 64);
            }
        }
        let mut last = alloc::vec![0u64; if listed_last.is_empty() { 0 } else { kinds.len().div_ceil(64) }];
        for id in listed_last {
            last[id as usize / 64] |= 1 << (id % 64);
        }
        let piece = |id: usize| &bytes[offsets[id] as usize..offsets[id + 1] as usize];
        let (mut normal_bytes, mut normal_offsets) =
            (Vec::with_capacity(bytes.len()), Vec::with_capacity(offsets.len()));
        normal_offsets.push(0u32);
        let mut byte_ids = [NONE; 256];
        let (mut entries, mut space_joiners, mut longest) = (Vec::new(), Vec::<Vec<u8>>::new(), 1usize);
        for (id, kind) in kinds.iter().enumerate() {
            let text = piece(id);
            match kind {
                Kind::Normal => {
                    normal_bytes.extend_from_slice(text);
                    let s = core::str::from_utf8(text).map_err(|_| VocabError::Corrupt("a piece that is not UTF-8"))?;
                    for (i, c) in s.char_indices().skip(1) {
                        if c == ' ' {
                            let before = s[..i].chars().next_back().map(|p| s.as_bytes()[i - p.len_utf8()..i].to_vec());
                            if let Some(before) = before.filter(|b| !space_joiners.contains(b)) {
                                space_joiners.push(before);
                            }
                        }
                    }
                }
                Kind::UserDefined => entries.push((text.to_vec(), id as u32)),
                Kind::Byte => {
                    let slot = &mut byte_ids[usize::from(byte_of[id])];
                    if *slot != NONE {
                        return Err(VocabError::Corrupt("a byte piece appears twice"));
                    }
                    *slot = id as u32;
                }
                Kind::Unknown | Kind::Control => {}
            }
            if matches!(kind, Kind::Normal | Kind::UserDefined) {
                let spaces = text.iter().filter(|&&b| b == b' ').count();
                longest = longest.max(text.len() + 2 * spaces);
                if text.is_empty() {
                    return Err(VocabError::Corrupt("an empty piece"));
                }
            }
            normal_offsets.push(normal_bytes.len() as u32);
        }
        if byte_ids.contains(&NONE) {
            return Err(VocabError::Corrupt("a byte without its byte piece"));
        }
        entries.sort_unstable();
        if entries.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(VocabError::Corrupt("a user-defined piece appears twice"));
        }
        let mut first = [(0u32, 0u32); 256];
        for b in 0..=255u8 {
            let lo = entries.partition_point(|(e, _)| e[0] < b);
            let hi = entries.partition_point(|(e, _)| e[0] <= b);
            first[usize::from(b)] = (lo as u32, hi as u32);
        }
        let vocab = Vocab::index(normal_bytes, normal_offsets, Vec::new())?;
        Ok(SentencePiece {
            vocab,
            byte_ids,
            whole,
            user: UserDefined { entries, first },
            space_joiners,
            longest,
            dummy_prefix,
            last,
        })
    }

    /// The normal pieces of a file that their own text does not encode to
    /// (whatever its list says: each is encoded here, by the merges alone).
    pub(crate) fn unreached(data: &[u8]) -> Result<Vec<u32>, VocabError> {
        let mut model = SentencePiece::from_file(data)?;
        model.whole.fill(0);
        let mut scratch = Scratch::default();
        let mut unreached = Vec::new();
        for id in 0..model.vocab.len() as u32 {
            let text = model.vocab.token(id);
            if text.is_empty() {
                continue;
            }
            let mut out = Vec::new();
            model.encode(text, &mut scratch, &mut out);
            if out != [id] {
                unreached.push(id);
            }
        }
        Ok(unreached)
    }

    #[inline]
    fn is_whole(&self, id: u32) -> bool {
        bit(&self.whole, id)
    }

    /// A normal piece's merge priority (lower first): its id, or after every
    /// id for the pieces that merge last, which then tie (leftmost first).
    #[inline]
    fn priority(&self, id: u32) -> u32 {
        if bit(&self.last, id) {
            self.vocab.len() as u32
        } else {
            id
        }
    }

    /// `text` as the library's normaliser leaves it for the merges, with
    /// spaces for `▁` ([`escape`]): a dummy prefix (a space) first when the
    /// model adds one and the text is not empty.
    pub(crate) fn normalize<'t>(&self, text: &'t str) -> alloc::borrow::Cow<'t, [u8]> {
        let escaped = escape(text);
        if !self.dummy_prefix || text.is_empty() {
            return escaped;
        }
        let mut out = Vec::with_capacity(escaped.len() + 1);
        out.push(b' ');
        out.extend_from_slice(&escaped);
        alloc::borrow::Cow::Owned(out)
    }

    /// The most bytes of text one token covers.
    pub(crate) fn longest(&self) -> usize {
        self.longest
    }

    /// Calls `each` with the stretches of `text` merged alone and the
    /// user-defined pieces between them, in order.
    #[inline]
    fn split<'t>(&self, text: &'t [u8], mut each: impl FnMut(Stretch<'t>)) {
        let (mut start, mut i, mut last_char) = (0, 0, 0);
        while i < text.len() {
            let b = text[i];
            let (lo, hi) = self.user.first[usize::from(b)];
            if lo < hi {
                if let Some((len, id)) = self.user.longest(&text[i..]) {
                    if start < i {
                        each(Stretch::Part(&text[start..i]));
                    }
                    each(Stretch::Frozen(id));
                    i += len;
                    start = i;
                    continue;
                }
            }
            if b == b' ' && start < i && !self.space_joiners.iter().any(|j| j[..] == text[last_char..i]) {
                each(Stretch::Part(&text[start..i]));
                start = i;
            }
            last_char = i;
            i += utf8_len(b);
        }
        if start < text.len() {
            each(Stretch::Part(&text[start..]));
        }
    }

    /// The number of tokens `text` encodes to (text with its spaces; a `▁`
    /// in it must be written as a space first, and the dummy prefix added: see
    /// [`SentencePiece::normalize`]).
    pub(crate) fn count(&self, text: &[u8], scratch: &mut Scratch, mut memo: Option<&mut Memo>) -> usize {
        let mut total = 0;
        self.split(text, |stretch| {
            let part = match stretch {
                Stretch::Part(part) => part,
                Stretch::Frozen(_) => {
                    total += 1;
                    return;
                }
            };
            // One hash serves the memo and the index. The memo first: it is
            // a quarter of a megabyte, the index megabytes, and text repeats
            // (counting prose again: the index lookup was half the time).
            let h = (part.len() <= memo::LONGEST.max(self.vocab.max_len())).then(|| hash(part));
            let memo_h = h.filter(|_| part.len() <= memo::LONGEST).map(|h| h as usize);
            if let (Some(h), Some(memo)) = (memo_h, memo.as_deref()) {
                if let Some(n) = memo.get(part, h) {
                    total += n;
                    return;
                }
            }
            let whole = h.filter(|_| part.len() <= self.vocab.max_len()).and_then(|h| self.vocab.find(part, h));
            let n = if whole.is_some_and(|id| self.is_whole(id)) {
                1
            } else if let Some((head, (period, repeats, tail))) = self.headed_run(part, scratch) {
                let body = &part[head..];
                self.count_merged(&part[..head], scratch)
                    + repeats * self.count_merged(&body[..period], scratch)
                    + self.count_merged(&body[..tail], scratch)
            } else {
                self.count_merged(part, scratch)
            };
            if let (Some(h), Some(memo)) = (memo_h, memo.as_deref_mut()) {
                memo.insert(part, h, n);
            }
            total += n;
        });
        total
    }

    /// The token ids of `text` (spaces as in [`SentencePiece::count`]).
    pub(crate) fn encode(&self, text: &[u8], scratch: &mut Scratch, out: &mut Vec<u32>) {
        self.split(text, |stretch| match stretch {
            Stretch::Frozen(id) => out.push(id),
            Stretch::Part(part) => match self.headed_run(part, scratch) {
                Some((head, (period, repeats, tail))) => {
                    self.push_ids(&part[..head], scratch, out);
                    let body = &part[head..];
                    let from = out.len();
                    self.push_ids(&body[..period], scratch, out);
                    let to = out.len();
                    for _ in 1..repeats {
                        out.extend_from_within(from..to);
                    }
                    self.push_ids(&body[..tail], scratch, out);
                }
                None => self.push_ids(part, scratch, out),
            },
        });
    }

    /// Appends the ids of `part` merged.
    fn push_ids(&self, part: &[u8], scratch: &mut Scratch, out: &mut Vec<u32>) {
        if part.is_empty() {
            return;
        }
        self.merge(part, scratch);
        for w in scratch.starts.windows(2) {
            let piece = &part[w[0] as usize..w[1] as usize];
            match self.vocab.rank(piece) {
                Some(id) => out.push(id),
                None => out.extend(piece.iter().map(|&b| self.byte_ids[usize::from(b)])),
            }
        }
    }

    /// The tokens of `part` merged.
    fn count_merged(&self, part: &[u8], scratch: &mut Scratch) -> usize {
        if part.is_empty() {
            return 0;
        }
        self.merge(part, scratch);
        self.count_parts(part, scratch)
    }

    /// A part that is one character repeated (a megabyte of "a" is one
    /// part), merged from a short probe instead of symbol by symbol:
    /// `Some((p, k, r))` when its symbols are those of its first `p` bytes
    /// `k` times, then those of its first `r` bytes (`k·p + r` bytes).
    ///
    /// Why, by the lemmas of the byte-level backtracking encoder
    /// ([`super::backtrack`]), which hold for any merging that takes the
    /// best pair by the rank of what it makes, leftmost on a tie, as this
    /// one does: (1) the symbols of a merged text up to any boundary p are
    /// those of its first p bytes merged alone; (2) a sequence of symbols,
    /// each what its own bytes merge to, is what their concatenation merges
    /// to iff every adjacent pair is what the pair's bytes merge to; (3) the
    /// merging is a function. The probe is the first four longest pieces
    /// merged; at each of its boundaries p, its symbols so far are the first p
    /// bytes merged, by (1). If the last of them followed by the first
    /// merges to exactly those two, the sequence repeated is valid by (2);
    /// followed by the first r bytes merged, valid when the period's last
    /// symbol and the tail's first merge to themselves too; by (3) it is the
    /// part merged. The run makes each pair's bytes a prefix of the part, so
    /// a check is one short merge. Every join is checked: a run whose
    /// boundaries all fail goes to the general merging.
    fn run(&self, part: &[u8], scratch: &mut Scratch) -> Option<(usize, usize, usize)> {
        let n = part.len();
        if n < RUN_MIN * self.longest {
            return None;
        }
        let unit = utf8_len(part[0]);
        if n % unit != 0 || part[unit..] != part[..n - unit] {
            return None;
        }
        let probe = (4 * self.longest).next_multiple_of(unit);
        self.merge(&part[..probe], scratch);
        let mut starts = core::mem::take(&mut scratch.run_starts);
        starts.clone_from(&scratch.starts);
        // Whether a symbol of the run's first `a` bytes then one of `b` bytes is what `a + b` bytes merge to.
        let joins = |a: usize, b: usize, scratch: &mut Scratch| {
            self.merge(&part[..a + b], scratch);
            scratch.starts[..] == [0, a as u32, (a + b) as u32]
        };
        let mut found = None;
        'periods: for w in starts.windows(2) {
            let (from, period) = (w[0] as usize, w[1] as usize);
            if 2 * period > probe {
                break;
            }
            let (last, first) = (period - from, starts[1] as usize);
            if !joins(last, first, scratch) {
                continue;
            }
            for extra in 0..3 {
                let tail = n % period + extra * period;
                let joined = tail == 0 || {
                    self.merge(&part[..tail], scratch);
                    let tail_first = scratch.starts[1] as usize;
                    joins(last, tail_first, scratch)
                };
                if joined {
                    found = Some((period, (n - tail) / period, tail));
                    break 'periods;
                }
            }
        }
        scratch.run_starts = starts;
        found
    }

    /// [`SentencePiece::run`], or else a head and a run after it: `Some((h,
    /// run))` when the part merged is its first `h` bytes merged alone, then
    /// `part[h..]` merged as that run. The dummy prefix puts a `▁` before a
    /// text's first character, so text of one character repeated is a `▁`
    /// then a run (1 MB of "a" took 4× the prose's time before this).
    ///
    /// Why, by `run`'s lemmas: the first symbol of a short probe merged is
    /// the first `h` bytes merged alone (1), and `part[h..]` is a run whose
    /// symbols `run` gives; the two sequences together are the part merged
    /// (2, 3) when the head's symbol and the run's first symbol join, which
    /// is checked by merging their bytes.
    fn headed_run(&self, part: &[u8], scratch: &mut Scratch) -> Option<(usize, (usize, usize, usize))> {
        if let Some(run) = self.run(part, scratch) {
            return Some((0, run));
        }
        if part.len() < RUN_MIN * self.longest {
            return None;
        }
        let body = &part[utf8_len(part[0])..];
        let unit = utf8_len(body[0]);
        if body.len() % unit != 0 || body[unit..] != body[..body.len() - unit] {
            return None;
        }
        let probe = part.len() - body.len() + (4 * self.longest).next_multiple_of(unit);
        self.merge(&part[..probe], scratch);
        let head = scratch.starts[1] as usize;
        let run = self.run(&part[head..], scratch)?;
        self.merge(&part[head..head + run.0], scratch);
        let first = scratch.starts[1] as usize;
        self.merge(&part[..head + first], scratch);
        (scratch.starts[..] == [0, head as u32, (head + first) as u32]).then_some((head, run))
    }

    /// Tokens of a merged part: one per piece, one per byte of a character
    /// that is not a piece (only single characters can be left unmerged
    /// without being pieces: every merge makes a piece).
    fn count_parts(&self, part: &[u8], scratch: &mut Scratch) -> usize {
        let mut n = 0;
        for w in scratch.starts.windows(2) {
            let piece = &part[w[0] as usize..w[1] as usize];
            n += if piece.len() > 1
                && utf8_len(piece[0]) == piece.len()
                && self.rank(piece, &mut scratch.recent).is_none()
            {
                piece.len()
            } else {
                1
            };
        }
        n
    }

    #[inline]
    fn rank(&self, bytes: &[u8], recent: &mut Recent) -> Option<u32> {
        recent.rank(&self.vocab, bytes)
    }

    /// Merges `part` (whole characters), leaving its final symbols'
    /// boundaries in `scratch.starts`.
    fn merge(&self, part: &[u8], scratch: &mut Scratch) {
        scratch.starts.clear();
        let mut i = 0;
        while i < part.len() {
            scratch.starts.push(i as u32);
            i += utf8_len(part[i]);
        }
        scratch.starts.push(part.len() as u32);
        if scratch.starts.len() - 1 <= SCAN_MAX {
            self.merge_scan(part, scratch);
        } else {
            self.merge_long(part, scratch);
        }
    }

    fn pair_rank(&self, part: &[u8], from: u32, to: u32, recent: &mut Recent) -> u32 {
        let bytes = &part[from as usize..to as usize];
        if bytes.len() > self.vocab.max_len() {
            return NONE;
        }
        self.rank(bytes, recent).map_or(NONE, |id| self.priority(id))
    }

    fn merge_scan(&self, part: &[u8], scratch: &mut Scratch) {
        let Scratch { starts, ranks, recent, .. } = scratch;
        ranks.clear();
        for w in starts.windows(3) {
            ranks.push(self.pair_rank(part, w[0], w[2], recent));
        }
        // The best pair: lowest priority, leftmost on a tie (`min_by_key` keeps the first).
        while let Some((i, &rank)) = ranks.iter().enumerate().min_by_key(|&(_, &r)| r) {
            if rank == NONE {
                break;
            }
            starts.remove(i + 1);
            ranks.remove(i);
            if i + 2 < starts.len() {
                ranks[i] = self.pair_rank(part, starts[i], starts[i + 2], recent);
            }
            if i > 0 {
                ranks[i - 1] = self.pair_rank(part, starts[i - 1], starts[i + 1], recent);
            }
        }
    }

    fn merge_long(&self, part: &[u8], scratch: &mut Scratch) {
        let Scratch { starts, ends, next, prev, buckets, urgent, recent, .. } = scratch;
        let n = starts.len() - 1;
        ends.clear();
        ends.extend_from_slice(&starts[1..]);
        next.clear();
        next.extend((1..=n as u32).map(|j| if j as usize == n { NONE } else { j }));
        prev.clear();
        prev.extend((0..n as u32).map(|j| j.wrapping_sub(1)));
        buckets.reset(self.vocab.len() + 1);
        urgent.clear();
        let starts = &starts[..n];
        // The library pops (priority, left) from one heap. Here the pairs
        // wait in buckets of one priority; the best bucket is taken whole,
        // sorted by position and read in order, not sifted entry by entry
        // through a heap of millions (1 MB of one letter: the heap was 86%
        // of the time). A merge can make a pair as good as the bucket's or
        // better (a vocabulary need not forbid it): such a pair goes to
        // `urgent`, a small heap, and each step takes the better of its top
        // and the bucket's next entry by (priority, position). That is the
        // library's order exactly, as every other bucket is worse; and each
        // pair is stored once, so the work stays O(n log n).
        let pair = |ends: &[u32], l: u32, r: u32, recent: &mut Recent| {
            let (from, to) = (starts[l as usize], ends[r as usize]);
            (self.pair_rank(part, from, to, recent), [l, r, to - from])
        };
        for l in 0..n.saturating_sub(1) as u32 {
            let (rank, entry) = pair(ends, l, l + 1, recent);
            if rank != NONE {
                buckets.push(rank, &[entry]);
            }
        }
        let len = |ends: &[u32], s: u32| ends[s as usize] - starts[s as usize];
        while let Some((rank, mut entries)) = buckets.pop() {
            if !entries.is_sorted_by_key(|e| e[0]) {
                entries.sort_unstable_by_key(|e| e[0]);
            }
            let mut k = 0;
            loop {
                let from_urgent = match (urgent.peek(), entries.get(k)) {
                    (Some(Reverse((u_rank, u))), Some(e)) => (*u_rank, u[0]) < (rank, e[0]),
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (None, None) => break,
                };
                let [l, r, size] = if from_urgent {
                    urgent.pop().map(|Reverse((_, e))| e).unwrap_or_default()
                } else {
                    k += 1;
                    entries[k - 1]
                };
                // The library's test: an entry is stale when either side was
                // merged away or grew (sizes only grow, so equal sizes mean
                // neither changed).
                if ends[l as usize] == 0 || ends[r as usize] == 0 || len(ends, l) + len(ends, r) != size {
                    continue;
                }
                ends[l as usize] = ends[r as usize];
                ends[r as usize] = 0;
                let after = next[r as usize];
                next[l as usize] = after;
                if after != NONE {
                    prev[after as usize] = l;
                }
                let before = prev[l as usize];
                for (a, b) in [(before, l), (l, after)] {
                    if a == NONE || b == NONE {
                        continue;
                    }
                    match pair(ends, a, b, recent) {
                        (NONE, _) => {}
                        (new, entry) if new <= rank => urgent.push(Reverse((new, entry))),
                        (new, entry) => buckets.push(new, &[entry]),
                    }
                }
            }
            buckets.give_back(entries);
        }
        // The symbols left, into `prev` (not needed any more), which then
        // becomes `starts`: no allocation per part.
        let mut s = 0u32;
        let mut at = 0;
        while s != NONE {
            prev[at] = starts[s as usize];
            at += 1;
            s = next[s as usize];
        }
        prev.truncate(at);
        prev.push(part.len() as u32);
        core::mem::swap(&mut scratch.starts, &mut scratch.prev);
    }
}

/// Whether `id`'s bit is set in a bit set by id (an empty set has none).
#[inline]
fn bit(set: &[u64], id: u32) -> bool {
    set.get(id as usize / 64).is_some_and(|w| w >> (id % 64) & 1 == 1)
}

/// `text` with each `▁` written as a space, when it has one: the library
/// turns spaces into `▁`, so the two are the same symbol, and the
/// vocabulary stores `▁` as a space.
fn escape(text: &str) -> alloc::borrow::Cow<'_, [u8]> {
    // Bytes, not `str::replace`: its searcher is code the WebAssembly
    // tokenizer module would carry for this alone.
    const LOWER_ONE_EIGHTH: &[u8] = "\u{2581}".as_bytes();
    let bytes = text.as_bytes();
    // Its first byte first: a byte search is a fast scan.
    if !bytes.contains(&LOWER_ONE_EIGHTH[0]) || !bytes.windows(3).any(|w| w == LOWER_ONE_EIGHTH) {
        return alloc::borrow::Cow::Borrowed(bytes);
    }
    let (mut out, mut i) = (Vec::with_capacity(bytes.len()), 0);
    while i < bytes.len() {
        if bytes[i..].starts_with(LOWER_ONE_EIGHTH) {
            out.push(b' ');
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    alloc::borrow::Cow::Owned(out)
}

#[cfg(all(test, feature = "embedded-vocab"))]
mod tests {
    use super::*;
    use crate::tokenizer::Engine;
    use crate::{Encoding, Tokenizer};
    use proptest::prelude::*;

    /// sentencepiece's `Model::SampleEncode` (bpe_model.cc) as the library
    /// writes it: one heap over the whole text, no cuts, no scan, no memo.
    /// The encoder's cuts and per-part merging must give the same ids on any
    /// text (tests/gemma3.rs checks both against the library itself).
    fn library(model: &SentencePiece, text: &[u8]) -> Vec<u32> {
        struct Symbol {
            start: usize,
            end: usize,
            prev: usize,
            next: usize,
            frozen: bool,
        }
        let mut symbols: Vec<Symbol> = Vec::new();
        let mut i = 0;
        while i < text.len() {
            let (len, frozen) = match model.user.longest(&text[i..]) {
                Some((len, _)) => (len, true),
                None => (utf8_len(text[i]), false),
            };
            let n = symbols.len();
            symbols.push(Symbol { start: i, end: i + len, prev: n.wrapping_sub(1), next: n + 1, frozen });
            i += len;
        }
        let mut heap = BinaryHeap::new();
        let pair = |symbols: &[Symbol],
                    heap: &mut BinaryHeap<(Reverse<u32>, Reverse<usize>, usize, usize)>,
                    l: usize,
                    r: usize| {
            if l >= symbols.len() || r >= symbols.len() || symbols[l].frozen || symbols[r].frozen {
                return;
            }
            if let Some(id) = model.vocab.rank(&text[symbols[l].start..symbols[r].end]) {
                heap.push((Reverse(model.priority(id)), Reverse(l), r, symbols[r].end - symbols[l].start));
            }
        };
        for l in 1..symbols.len() {
            pair(&symbols, &mut heap, l - 1, l);
        }
        while let Some((_, Reverse(l), r, size)) = heap.pop() {
            let (left, right) = (&symbols[l], &symbols[r]);
            if left.start == left.end
                || right.start == right.end
                || (left.end - left.start) + (right.end - right.start) != size
            {
                continue;
            }
            symbols[l].end = symbols[r].end;
            symbols[r].end = symbols[r].start;
            let next = symbols[r].next;
            symbols[l].next = next;
            if next < symbols.len() {
                symbols[next].prev = l;
            }
            pair(&symbols, &mut heap, symbols[l].prev, l);
            pair(&symbols, &mut heap, l, next);
        }
        let mut ids = Vec::new();
        let mut s = 0;
        while s < symbols.len() {
            let piece = &text[symbols[s].start..symbols[s].end];
            match (symbols[s].frozen, model.vocab.rank(piece)) {
                (true, _) => ids.push(model.user.longest(piece).unwrap().1),
                (false, Some(id)) => ids.push(id),
                (false, None) => ids.extend(piece.iter().map(|&b| model.byte_ids[usize::from(b)])),
            }
            s = symbols[s].next;
        }
        ids
    }

    /// The embedded SentencePiece vocabularies: Gemma 3's, and Mistral's v3
    /// (v1's pieces with user-defined ones; its runs of `▁` merge last, tied).
    fn models() -> [&'static SentencePiece; 2] {
        static T: [crate::Once<Tokenizer>; 2] = [crate::Once::new(), crate::Once::new()];
        [Encoding::Gemma3, Encoding::MistralV3].map(|e| {
            let i = usize::from(e == Encoding::MistralV3);
            match &T[i].get_or_init(|| Tokenizer::embedded(e)).engine {
                Engine::SentencePiece(model) => &**model,
                Engine::Bpe(..) => unreachable!("{e} is SentencePiece"),
            }
        })
    }

    /// Pieces of text that sit on the encoder's cuts: spaces before and
    /// after the one piece with `▁` inside (`>▁</`), runs of the
    /// user-defined whitespace, tags, characters that are not pieces; runs
    /// of spaces (Mistral's tied pieces) and its user-defined pieces.
    const BITS: &[&str] = &[
        " ",
        "  ",
        "             ",
        "[REFERENCE_DOC_1]",
        ">",
        "</",
        "> </",
        "<",
        "/",
        "a",
        "b",
        "th",
        "e ",
        "\n",
        "\t",
        "\n\n",
        "<mask>",
        "<unused7>",
        "中",
        "文",
        "😀",
        "\u{e000}",
        "\u{f0000}",
        "1",
        "23",
        ".",
        ",",
        "'",
        "é",
        "e\u{301}",
        "ab",
        "the",
        " the",
        "ing",
    ];

    #[test]
    fn the_file_s_unreached_list_is_the_encoder_s() {
        for data in [
            &include_bytes!("../../data/vocab/gemma3.bin")[..],
            include_bytes!("../../data/vocab/mistral_v1.bin"),
            include_bytes!("../../data/vocab/mistral_v3.bin"),
        ] {
            let listed = spm_file::decode(data).unwrap().unreached;
            assert_eq!(listed, SentencePiece::unreached(data).unwrap());
            assert!(listed.len() < 10_000, "{}", listed.len());
        }
    }

    /// Runs of one character, of every length from the shortest the
    /// shortcut takes to a probe longer, and characters the vocabulary
    /// merges differently (letters, digits, CJK, an emoji, a character that
    /// is no piece): the library's ids, and the shortcut taken.
    #[test]
    fn a_run_merges_as_the_library_does() {
        let mut shortcuts = 0;
        for (model, unit) in models()
            .into_iter()
            .flat_map(|m| ["a", "7", ".", "中", "😀", "\u{e000}", "x\u{301}", " ", "\n"].map(|u| (m, u)))
        {
            let min = RUN_MIN * model.longest;
            let mut scratch = Scratch::default();
            let u = unit.len();
            for n in (min.div_ceil(u)..(min + 4 * model.longest) / u).step_by(u.max(3)) {
                // The run alone, and after a dummy prefix or another character (`headed_run`).
                for text in [unit.repeat(n), format!(" {}", unit.repeat(n)), format!("b{}", unit.repeat(n))] {
                    let mut out = Vec::new();
                    model.encode(text.as_bytes(), &mut scratch, &mut out);
                    assert_eq!(out, library(model, text.as_bytes()), "{text:?}");
                    assert_eq!(model.count(text.as_bytes(), &mut scratch, None), out.len());
                    shortcuts += usize::from(model.headed_run(text.as_bytes(), &mut scratch).is_some());
                }
            }
        }
        assert!(shortcuts > 100, "the run shortcut was taken {shortcuts} times");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn cuts_never_change_the_library_s_ids(bits in prop::collection::vec(0..BITS.len(), 0..120)) {
            let text: String = bits.iter().map(|&i| BITS[i]).collect();
            for model in models() {
                let (mut out, mut scratch) = (Vec::new(), Scratch::default());
                model.encode(text.as_bytes(), &mut scratch, &mut out);
                prop_assert_eq!(&out, &library(model, text.as_bytes()), "{:?}", text);
                let mut memo = Memo::default();
                prop_assert_eq!(model.count(text.as_bytes(), &mut scratch, Some(&mut memo)), out.len());
                prop_assert_eq!(model.count(text.as_bytes(), &mut scratch, Some(&mut memo)), out.len());
            }
        }
    }
}
