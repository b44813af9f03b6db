//! One-time codes: drawn from a CSPRNG, stored only as a peppered bcrypt hash.

use crate::error::{Error, Result};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use std::sync::Arc;

pub const CODE_DIGITS: usize = 6;

/// A code as the user receives it. Its `Debug` is redacted so that it cannot
/// reach a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    pub fn generate() -> Self {
        // ThreadRng is a CSPRNG (ChaCha12 seeded from the OS).
        let n: u32 = rand::rng().random_range(0..1_000_000);
        Self(format!("{n:06}"))
    }

    /// Accepts exactly six ASCII digits, nothing around them.
    pub fn parse(input: &str) -> Result<Self> {
        if input.len() != CODE_DIGITS || !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid("invalid_otp", "otp must be six digits"));
        }
        Ok(Self(input.to_string()))
    }

    /// The digits, for the message that carries them and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimeCode(<redacted>)")
    }
}

/// A bcrypt hash of a peppered code. Redacted in `Debug` as well.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeHash(pub String);

impl std::fmt::Debug for CodeHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeHash(<redacted>)")
    }
}

/// Hashes and checks codes. The pepper (server-side secret) is mixed in with
/// HMAC-SHA256 first, so a leaked table alone does not let anyone brute-force
/// the 10^6 possible codes offline. bcrypt runs on the blocking pool, off the
/// async executor.
#[derive(Clone)]
pub struct CodeHasher {
    /// None in functions that never hash or check a code: they are not
    /// given the pepper.
    pepper: Option<Arc<[u8]>>,
    cost: u32,
}

impl CodeHasher {
    pub fn new(pepper: &str, cost: u32) -> Self {
        Self {
            pepper: Some(Arc::from(pepper.as_bytes())),
            cost,
        }
    }

    /// For a function that never hashes or checks a code; trying is an error.
    pub fn without_pepper() -> Self {
        Self {
            pepper: None,
            cost: 4,
        }
    }

    fn peppered(&self, code: &OneTimeCode) -> Result<String> {
        let pepper = self
            .pepper
            .as_deref()
            .ok_or_else(|| Error::internal("this function holds no pepper"))?;
        let mut mac = Hmac::<Sha256>::new_from_slice(pepper).expect("HMAC takes any key size");
        mac.update(code.0.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    pub fn hash_blocking(&self, code: &OneTimeCode) -> Result<CodeHash> {
        bcrypt::hash(self.peppered(code)?, self.cost)
            .map(CodeHash)
            .map_err(Error::internal)
    }

    pub async fn hash(&self, code: &OneTimeCode) -> Result<CodeHash> {
        let this = self.clone();
        let code = code.clone();
        tokio::task::spawn_blocking(move || this.hash_blocking(&code))
            .await
            .map_err(Error::internal)?
    }

    pub fn verify_blocking(&self, code: &OneTimeCode, hash: &CodeHash) -> Result<bool> {
        bcrypt::verify(self.peppered(code)?, &hash.0).map_err(Error::internal)
    }

    pub async fn verify(&self, code: &OneTimeCode, hash: &CodeHash) -> Result<bool> {
        let this = self.clone();
        let code = code.clone();
        let hash = hash.clone();
        tokio::task::spawn_blocking(move || this.verify_blocking(&code, &hash))
            .await
            .map_err(Error::internal)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..50)
            .map(|_| OneTimeCode::generate().expose().to_string())
            .collect();
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(
            codes.len() > 40,
            "50 draws gave only {} distinct codes",
            codes.len()
        );
    }

    #[test]
    fn hash_verifies_only_the_same_code_and_pepper() {
        let hasher = CodeHasher::new("pepper-pepper-pepper-pepper-pepper", 4);
        let code = OneTimeCode::parse("123456").unwrap();
        let hash = hasher.hash_blocking(&code).unwrap();
        assert!(!hash.0.contains("123456"));
        assert!(hasher.verify_blocking(&code, &hash).unwrap());
        assert!(!hasher
            .verify_blocking(&OneTimeCode::parse("123457").unwrap(), &hash)
            .unwrap());
        let other = CodeHasher::new("another-pepper-another-pepper-xx", 4);
        assert!(!other.verify_blocking(&code, &hash).unwrap());
        let unpeppered = CodeHasher::without_pepper();
        assert!(unpeppered.hash_blocking(&code).is_err());
        assert!(unpeppered.verify_blocking(&code, &hash).is_err());
    }

    #[test]
    fn debug_never_shows_the_code() {
        let code = OneTimeCode::parse("654321").unwrap();
        assert!(!format!("{code:?}").contains("654321"));
    }

    #[test]
    fn parse_rejects_non_six_digit_input() {
        for bad in ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"] {
            assert!(OneTimeCode::parse(bad).is_err(), "{bad:?}");
        }
    }
}
