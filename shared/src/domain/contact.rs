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

/// A syntactically valid email address, trimmed and lowercased.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Error> {
        let normalized = input.trim().to_lowercase();
        if normalized.len() > 254 || !email_address::EmailAddress::is_valid(&normalized) {
            return Err(Error::invalid(
                "invalid_email",
                "email is not a valid email address",
            ));
        }
        Ok(Self(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
