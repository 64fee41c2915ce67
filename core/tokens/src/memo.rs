//! Token counts of pieces already encoded, kept across counts.
//!
//! Text is counted again and again: an editor recounts the whole prompt on
//! every keystroke, a chat resends its history with one more message, a
//! gateway sees the same system prompt on every request. Most pieces are a
//! single token, found by one lookup; the rest need BPE's merges, which are
//! most of the time spent on text such as Chinese or Japanese (pieces of
//! dozens of characters). This remembers those: piece bytes → count.
//!
//! Exactness: an entry is used only when its stored bytes equal the piece,
//! so the count is the one the same vocabulary computed for the same bytes.
//! Bounded memory: pieces are kept in one arena of [`ARENA`] bytes, entries
//! in a direct-mapped table (a new piece replaces the one in its slot); when
//! the arena is full, both are emptied and refill with what comes next.

use alloc::vec::Vec;

/// Table slots (a power of two).
const SLOTS: usize = 1 << 14;
/// The arena's size: the pieces' bytes kept at most.
const ARENA: usize = 1 << 20;
/// Longer pieces are not kept: they are runs that the backtracking encoder
/// counts in linear time anyway, and they would evict everything else.
pub(super) const LONGEST: usize = 1 << 10;

#[derive(Clone, Copy, Default)]
struct Entry {
    /// The piece's hash; `len` 0 marks an empty slot.
    hash: u32,
    start: u32,
    len: u32,
    count: u32,
}

#[derive(Default)]
pub(crate) struct Memo {
    slots: Vec<Entry>,
    arena: Vec<u8>,
}

impl Memo {
    /// The count remembered for `piece` (whose hash is `hash`), if any.
    #[inline]
    pub(crate) fn get(&self, piece: &[u8], hash: usize) -> Option<usize> {
        let e = self.slots.get(hash & (SLOTS - 1))?;
        let (start, len) = (e.start as usize, e.len as usize);
        (e.hash == hash as u32 && len == piece.len() && &self.arena[start..start + len] == piece)
            .then_some(e.count as usize)
    }

    /// Forgets every piece (keeps the memory).
    pub(crate) fn clear(&mut self) {
        self.arena.clear();
        self.slots.fill(Entry::default());
    }

    /// Remembers that `piece` counts `count` tokens.
    pub(crate) fn insert(&mut self, piece: &[u8], hash: usize, count: usize) {
        if piece.is_empty() || piece.len() > LONGEST {
            return;
        }
        if self.slots.is_empty() {
            self.slots.resize(SLOTS, Entry::default());
            self.arena.reserve_exact(ARENA);
        }
        if self.arena.len() + piece.len() > ARENA {
            self.clear();
        }
        let start = self.arena.len() as u32;
        self.arena.extend_from_slice(piece);
        // Counts of pieces up to LONGEST bytes fit in u32.
        let (len, count) = (piece.len() as u32, count as u32);
        self.slots[hash & (SLOTS - 1)] = Entry { hash: hash as u32, start, len, count };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_by_bytes_not_by_hash() {
        let mut memo = Memo::default();
        assert_eq!(memo.get(b"abc", 7), None);
        memo.insert(b"abc", 7, 2);
        assert_eq!(memo.get(b"abc", 7), Some(2));
        // The same hash (a collision) with other bytes is not a hit.
        assert_eq!(memo.get(b"abd", 7), None);
        assert_eq!(memo.get(b"ab", 7), None);
        // A piece in the same slot replaces it.
        memo.insert(b"xyz", 7 + SLOTS, 3);
        assert_eq!(memo.get(b"abc", 7), None);
        assert_eq!(memo.get(b"xyz", 7 + SLOTS), Some(3));
    }

    #[test]
    fn stays_bounded_and_correct_when_the_arena_fills() {
        let mut memo = Memo::default();
        let piece = |i: usize| alloc::format!("{i:0>1000}").into_bytes();
        memo.insert(&piece(0), 0, 2);
        let capacity = memo.arena.capacity();
        for i in 1..3 * ARENA / 1000 {
            memo.insert(&piece(i), i, i % 7 + 2);
            assert_eq!(memo.get(&piece(i), i), Some(i % 7 + 2));
            assert!(memo.arena.len() <= ARENA);
        }
        // Emptied and refilled, never grown.
        assert_eq!(memo.arena.capacity(), capacity);
        // The first pieces went with an earlier arena.
        assert_eq!(memo.get(&piece(0), 0), None);
        // Too long to keep.
        memo.insert(&[b'a'; LONGEST + 1], 1, 1);
        assert_eq!(memo.get(&[b'a'; LONGEST + 1], 1), None);
    }
}
