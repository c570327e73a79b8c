//! Random secrets from the OS generator.

use rand::{rngs::OsRng, TryRngCore};

/// `len` random bytes from the operating system's generator.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    // The OS generator failing is not recoverable in any useful way; fall back to the
    // thread generator (itself seeded from the OS) rather than panicking a worker.
    if OsRng.try_fill_bytes(&mut bytes).is_err() {
        rand::fill(&mut bytes[..]);
    }
    bytes
}

/// `len` random bytes as lowercase hex.
pub fn random_hex(len: usize) -> String {
    random_bytes(len)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
