//! Keyed hashing of the ids budgets are keyed by, so a ledger (a Durable
//! Object, a log, a metrics label) never holds a raw user id: the seed's
//! `cost.user_id` is "hashed".
//!
//! HMAC-SHA256 (RFC 2104) with a salt only the host knows: a plain hash of
//! an email address is reversed by hashing a list of addresses, a keyed one
//! is not without the key. The output is the first 16 bytes (128 bits, far
//! beyond any collision concern for user counts) as 32 lowercase hex digits.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use sha2::{Digest, Sha256};

const BLOCK: usize = 64;

/// HMAC-SHA256 of ids under a host-provided salt.
#[derive(Clone)]
pub struct IdHasher {
    /// The key XOR ipad and XOR opad, precomputed once per salt.
    inner_pad: [u8; BLOCK],
    outer_pad: [u8; BLOCK],
}

impl fmt::Debug for IdHasher {
    /// Never prints the key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdHasher(..)")
    }
}

impl IdHasher {
    /// A hasher keyed by `salt` (any length; longer than 64 bytes is hashed first, per RFC 2104).
    pub fn new(salt: &[u8]) -> IdHasher {
        let mut key = [0u8; BLOCK];
        if salt.len() > BLOCK {
            key[..32].copy_from_slice(&Sha256::digest(salt));
        } else {
            key[..salt.len()].copy_from_slice(salt);
        }
        let mut inner_pad = [0x36u8; BLOCK];
        let mut outer_pad = [0x5cu8; BLOCK];
        for i in 0..BLOCK {
            inner_pad[i] ^= key[i];
            outer_pad[i] ^= key[i];
        }
        IdHasher { inner_pad, outer_pad }
    }

    /// The full 32-byte HMAC-SHA256 of `message`.
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        let inner = Sha256::new().chain_update(self.inner_pad).chain_update(message).finalize();
        Sha256::new().chain_update(self.outer_pad).chain_update(inner).finalize().into()
    }

    /// The id as 32 lowercase hex digits: the first 16 bytes of its HMAC.
    pub fn hash(&self, id: &str) -> String {
        hex(&self.mac(id.as_bytes())[..16])
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let out: Vec<u8> = bytes.iter().flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]]).collect();
    // Only ASCII hex digits were written.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_test_vectors() {
        // Test case 2: key "Jefe".
        let h = IdHasher::new(b"Jefe");
        assert_eq!(
            hex(&h.mac(b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a 131-byte key, hashed first.
        let h = IdHasher::new(&[0xaa; 131]);
        assert_eq!(
            hex(&h.mac(b"Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn hash_is_truncated_lowercase_hex_and_keyed() {
        let a = IdHasher::new(b"salt-a").hash("user_abc");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(a, IdHasher::new(b"salt-a").hash("user_abc"));
        assert_ne!(a, IdHasher::new(b"salt-b").hash("user_abc"));
        assert_ne!(a, IdHasher::new(b"salt-a").hash("user_abd"));
    }
}
