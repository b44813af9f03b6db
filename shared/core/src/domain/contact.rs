//! Contact identifiers, validated on construction.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a code reaches the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Phone,
}

impl Channel {
    pub fn as_str(&self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Phone => "phone",
        }
    }

    /// The RFC 8176 authentication method reference for the token's `amr`.
    pub fn amr(&self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Phone => "sms",
        }
    }

    /// Verifik names the per-channel record `emailValidation`/`phoneValidation`.
    pub fn validation_name(&self) -> &'static str {
        match self {
            Channel::Email => "emailValidation",
            Channel::Phone => "phoneValidation",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bare mailbox, `local@domain`, in the one canonical form that the
/// token's `sub`, the security lists and every limit key use.
///
/// Only what real mail delivery agrees on is accepted: no display name,
/// comment, quoted local part, IP literal, control, format or bidi
/// character. The local part is ASCII (SES sends to no other), lowercased
/// as Verifik does; the domain is lowercased and an internationalised one is
/// stored as its IDNA (punycode) ASCII form.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

/// RFC 5321 limits.
const MAX_EMAIL: usize = 254;
const MAX_LOCAL: usize = 64;

impl Email {
    pub fn parse(input: &str) -> Result<Self, Error> {
        Self::canonical(input.trim()).map(Self).ok_or_else(|| {
            Error::invalid(
                "invalid_email",
                "email must be a bare address such as ana@example.com: no name, quotes, \
                 comments, brackets, IP address or control characters",
            )
        })
    }

    fn canonical(input: &str) -> Option<String> {
        if input.len() > MAX_EMAIL || input.chars().any(crate::domain::text::is_control_or_format) {
            return None;
        }
        let (local, domain) = input.split_once('@')?;
        if !is_dot_atom(local) || local.len() > MAX_LOCAL {
            return None;
        }
        let domain = canonical_domain(domain)?;
        let email = format!("{}@{domain}", local.to_ascii_lowercase());
        (email.len() <= MAX_EMAIL).then_some(email)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// RFC 5322 dot-atom of ASCII `atext`: what is left once quoted strings,
/// comments and display names are refused.
fn is_dot_atom(local: &str) -> bool {
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b);
    !local.is_empty()
        && local
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(atext))
}

/// A host name with a dot, lowercased; IDNA for internationalised names.
/// IP literals (`[127.0.0.1]`) and all-numeric top-level labels are refused.
fn canonical_domain(domain: &str) -> Option<String> {
    if domain.starts_with('[') {
        return None;
    }
    let ascii = idna::domain_to_ascii_strict(domain).ok()?;
    let labels: Vec<&str> = ascii.split('.').collect();
    let ldh = |label: &&str| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
    (labels.len() >= 2 && labels.iter().all(ldh) && tld_ok).then_some(ascii)
}

/// The key the per-identifier limits and reuse counters count under: an
/// email without its `+tag` (most providers deliver `ana+1@` to `ana@`,
/// so the tags are one mailbox), a phone as it is. The token's `sub` keeps
/// the whole address.
pub fn mailbox_key(identifier: &str) -> String {
    match identifier.split_once('@') {
        Some((local, domain)) => {
            let base = local.split_once('+').map_or(local, |(base, _)| base);
            if base.is_empty() {
                identifier.to_string()
            } else {
                format!("{base}@{domain}")
            }
        }
        None => identifier.to_string(),
    }
}

/// A phone number that parses as a valid number for its country code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Phone {
    /// `+57`
    pub country_code: String,
    /// National digits as given, e.g. `3001234567`.
    pub number: String,
    /// `+573001234567`
    pub e164: String,
    /// ISO 3166 alpha-2 region, e.g. `CO`, when the number maps to one.
    pub region: Option<String>,
}

impl Phone {
    /// A whole international number, `+573001234567`.
    pub fn parse_international(input: &str) -> Result<Self, Error> {
        let invalid = || Error::invalid("invalid_phone", "phone is not a valid phone number");
        let input = input.trim();
        if !input.starts_with('+') {
            return Err(invalid());
        }
        let parsed = phonenumber::parse(None, input).map_err(|_| invalid())?;
        Self::parse(
            &format!("+{}", parsed.code().value()),
            &parsed.national().value().to_string(),
        )
    }

    pub fn parse(country_code: &str, number: &str) -> Result<Self, Error> {
        let country_code = country_code.trim();
        let valid_cc = country_code.len() >= 2
            && country_code.len() <= 4
            && country_code.starts_with('+')
            && country_code[1..].bytes().all(|b| b.is_ascii_digit());
        if !valid_cc {
            return Err(Error::invalid(
                "invalid_country_code",
                "countryCode must look like +57: a plus sign and one to three digits",
            ));
        }
        let number = number.trim();
        if number.is_empty() || number.len() > 15 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(
                "invalid_phone",
                "phone must contain digits only, without the country code",
            ));
        }
        let full = format!("{country_code}{number}");
        let parsed = phonenumber::parse(None, &full)
            .map_err(|_| Error::invalid("invalid_phone", "phone is not a valid phone number"))?;
        if !phonenumber::is_valid(&parsed) {
            return Err(Error::invalid(
                "invalid_phone",
                "phone is not a valid number for its country code",
            ));
        }
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        let region = parsed.country().id().map(|id| format!("{id:?}"));
        Ok(Self {
            country_code: country_code.to_string(),
            number: number.to_string(),
            e164,
            region,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_international_number_splits_into_country_code_and_number() {
        let phone = Phone::parse_international("+573001234567").unwrap();
        assert_eq!(phone.country_code, "+57");
        assert_eq!(phone.number, "3001234567");
        assert!(Phone::parse_international("3001234567").is_err());
        assert!(Phone::parse_international("+57").is_err());
    }

    #[test]
    fn email_is_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
    }

    #[test]
    fn bad_emails_are_rejected() {
        for bad in ["", "ana", "ana@", "@example.com", "a b@example.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    /// The outside probe's inputs (issue 9): each reached a mailbox other
    /// than the one the checks saw, or hid what it was.
    #[test]
    fn only_a_bare_mailbox_is_accepted() {
        for bad in [
            "X <dl@blocked.test>",
            "\"victim@bank.example\" <attacker@evil.example>",
            "n1 <one@example.com>",
            "a@[127.0.0.1]",
            "a@127.0.0.1",
            "a\u{202e}@example.com",
            "a\u{0}@example.com",
            "a@exa\u{200b}mple.com",
            "\"quoted\"@example.com",
            "a(comment)@example.com",
            "a..b@example.com",
            ".a@example.com",
            "a@localhost",
            "a@-bad.com",
            "a@b@example.com",
            "josé@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
        let long = format!("a@{}.com", "b.".repeat(130));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn an_internationalised_domain_has_one_canonical_form() {
        let unicode = Email::parse("Ana@Bücher.Example").unwrap();
        let punycode = Email::parse("ana@xn--bcher-kva.example").unwrap();
        assert_eq!(unicode, punycode);
        assert_eq!(unicode.as_str(), "ana@xn--bcher-kva.example");
        assert_eq!(
            Email::parse("o'brien+news@example.co").unwrap().as_str(),
            "o'brien+news@example.co"
        );
    }

    #[test]
    fn tags_share_one_mailbox_key() {
        assert_eq!(mailbox_key("ana+1@example.com"), "ana@example.com");
        assert_eq!(mailbox_key("ana@example.com"), "ana@example.com");
        assert_eq!(mailbox_key("+1@example.com"), "+1@example.com");
        assert_eq!(mailbox_key("+573001234567"), "+573001234567");
    }

    #[test]
    fn colombian_mobile_parses_to_e164_with_region() {
        let phone = Phone::parse("+57", "3001234567").unwrap();
        assert_eq!(phone.e164, "+573001234567");
        assert_eq!(phone.region.as_deref(), Some("CO"));
    }

    #[test]
    fn bad_phones_are_rejected() {
        assert!(Phone::parse("57", "3001234567").is_err());
        assert!(Phone::parse("+57", "300-123-4567").is_err());
        assert!(Phone::parse("+57", "12").is_err());
        assert!(Phone::parse("+1234", "3001234567").is_err());
    }
}
