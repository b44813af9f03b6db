//! Timestamps as Verifik shows them: ISO-8601 UTC with milliseconds. Stored
//! the same way, so string order is time order in DynamoDB sort keys.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::{format_description::well_known::Rfc3339, Duration, OffsetDateTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        Self::from(OffsetDateTime::now_utc())
    }

    pub fn from_unix(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds).ok().map(Self)
    }

    pub fn unix(&self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn plus_seconds(&self, seconds: i64) -> Self {
        Self(self.0 + Duration::seconds(seconds))
    }

    /// Whole seconds from `self` until `later`, never negative.
    pub fn seconds_until(&self, later: Timestamp) -> u64 {
        (later.0 - self.0).whole_seconds().max(0) as u64
    }

    /// The UTC calendar day.
    pub fn date(&self) -> time::Date {
        self.0.date()
    }

    pub fn parse(input: &str) -> Option<Self> {
        OffsetDateTime::parse(input, &Rfc3339).ok().map(Self::from)
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Self {
        let t = t.to_offset(time::UtcOffset::UTC);
        // Millisecond precision, so a value survives a round trip unchanged.
        let millis = t.millisecond();
        Self(
            t.replace_nanosecond(u32::from(millis) * 1_000_000)
                .unwrap_or(t),
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Timestamp::parse(&raw).ok_or_else(|| serde::de::Error::custom("invalid timestamp"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_round_trips() {
        let t = Timestamp::parse("2024-09-13T20:19:18.660123Z").unwrap();
        assert_eq!(t.to_string(), "2024-09-13T20:19:18.660Z");
        assert_eq!(Timestamp::parse(&t.to_string()), Some(t));
    }

    #[test]
    fn seconds_until_is_never_negative() {
        let t = Timestamp::parse("2024-01-01T00:00:10Z").unwrap();
        assert_eq!(t.seconds_until(t.plus_seconds(5)), 5);
        assert_eq!(t.seconds_until(t.plus_seconds(-5)), 0);
    }
}
