//! Abuse limits: fixed-window counters, each with a key, a window and a
//! scope. A send's counters are charged in the same transaction as the
//! send's own write, so a refused send writes nothing at all.
//!
//! The counters a whole flow shares (its sends, its SMS) would be one hot
//! item: DynamoDB writes one item at most 1,000 units a second, and a
//! transactional write costs two, so one flow would stop near 500 sends a
//! second. A large limit is therefore split over shards (`shards_for`),
//! each holding an equal share of it, and every send charges one shard
//! picked at random. The total never passes the limit; see `shards_for`
//! for how early a sharded limit can refuse.

use super::contact::{Channel, Phone};
use super::time::Timestamp;
use crate::error::Error;

/// One counter a write must stay under.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitCharge {
    /// The counter, e.g. `SEND#IDENT#{client}#{identifier}`.
    pub key: String,
    pub window_start: Timestamp,
    pub window_end: Timestamp,
    /// How many this write adds.
    pub amount: u64,
    /// The limit of the whole counter, over all its shards.
    pub limit: u64,
    /// How many shards share `limit` (1: the counter is one item).
    pub shards: u64,
    /// The stable error code a refusal answers with.
    pub code: &'static str,
}

impl LimitCharge {
    /// The window's id, part of the counter's key.
    pub fn window(&self) -> String {
        self.window_start.to_string()
    }

    /// The highest count of this charge's item before it that still fits:
    /// the item holds its shard's share of the limit.
    pub fn max_before(&self) -> Option<u64> {
        (self.limit / self.shards.max(1)).checked_sub(self.amount)
    }

    /// 429 with `Retry-After` up to the end of the window.
    pub fn refusal(&self, now: Timestamp) -> Error {
        Error::TooManyRequests {
            code: self.code,
            message: format!(
                "too many requests ({} per {} s); try again later",
                self.limit,
                self.window_start.seconds_until(self.window_end)
            ),
            retry_after: Some(now.seconds_until(self.window_end).max(1)),
        }
    }
}

/// The fixed window of `seconds` that holds `now`.
pub fn window_of(now: Timestamp, seconds: i64) -> (Timestamp, Timestamp) {
    let start = now.unix() - now.unix().rem_euclid(seconds);
    let start = Timestamp::from_unix(start).unwrap_or(now);
    (start, start.plus_seconds(seconds))
}

/// One shard per this much of a limit; smaller limits stay on one item.
pub const SHARD_SHARE: u64 = 20_000;
/// At most this many shards: 64 × 500 transactional writes a second is
/// three times the 10,000 sends a second one flow is built for.
pub const MAX_SHARDS: u64 = 64;

/// How many shards a flow-wide counter with `limit` per window is split
/// over: one per 20,000 of the limit, 1 to 64. Limits under 40,000 an hour
/// (the defaults among them) stay one item and exact. A sharded limit is
/// exact as a ceiling (the shares add up to at most the limit, at most
/// `shards - 1` less), and starts refusing once the random pick lands on a
/// full shard: with shares of at least 20,000, that is within about 2 % of
/// the limit (`sharded_limits_refuse_close_to_the_limit`).
pub fn shards_for(limit: u64) -> u64 {
    (limit / SHARD_SHARE).clamp(1, MAX_SHARDS)
}

/// Shard `index` of counter `key`. Shard 0 keeps the unsharded key, so
/// counters written before sharding are still read.
pub fn shard_key(key: &str, index: u64) -> String {
    if index == 0 {
        key.to_string()
    } else {
        format!("{key}#{index}")
    }
}

/// The SMS counter of one flow and hour: `count` is SMS sent, `validated`
/// the phone codes verified from them. The circuit breaker reads it.
pub fn sms_tally_key(flow: &str) -> String {
    format!("SMS#FLOW#{flow}")
}

/// Country code and the first three national digits: `+57300`.
pub fn phone_prefix(phone: &Phone) -> String {
    let national: String = phone.number.chars().take(3).collect();
    format!("{}{national}", phone.country_code)
}

/// The limits and their defaults; see docs/limits.md "Abuse limits".
#[derive(Clone, Debug, PartialEq)]
pub struct AbuseLimits {
    /// Codes sent to one email or phone, per client, per hour.
    pub sends_per_identifier_hour: u64,
    /// Codes sent on requests from one source IP, all clients, per hour.
    pub sends_per_ip_hour: u64,
    /// Codes sent by one project flow per hour.
    pub sends_per_flow_hour: u64,
    /// SMS to one phone prefix (`+57300`) per flow per hour.
    pub sms_per_prefix_hour: u64,
    /// SMS per flow per hour (also the circuit breaker's counter).
    pub sms_per_flow_hour: u64,
    /// Code checks from one source IP, all clients, per 10 minutes.
    pub checks_per_ip_10_minutes: u64,
    /// Public project reads (`GET /v2/projects/kyc`) from one source IP,
    /// per 10 minutes.
    pub project_reads_per_ip_10_minutes: u64,
    /// Failed face checks on one identifier (per client) in 3 minutes
    /// before a 30-minute lockout.
    pub face_failures_per_identifier: u64,
    /// Failed face checks from one source IP (all clients) in 3 minutes
    /// before a 30-minute lockout.
    pub face_failures_per_ip: u64,
    /// Identity uploads and checks (documents read, live faces and still
    /// frames judged) on one registration per hour: each is a paid
    /// Textract or Rekognition call.
    pub identity_checks_per_registration_hour: u64,
    /// Identity uploads and checks from one source IP, all clients, per
    /// hour.
    pub identity_checks_per_ip_hour: u64,
    /// The breaker looks at a flow's hour once this many SMS went out...
    pub breaker_min_sms: u64,
    /// ...and opens when fewer than this percentage were verified.
    pub breaker_min_success_percent: u64,
}

impl Default for AbuseLimits {
    fn default() -> Self {
        Self {
            sends_per_identifier_hour: 5,
            sends_per_ip_hour: 30,
            sends_per_flow_hour: 1_000,
            sms_per_prefix_hour: 20,
            sms_per_flow_hour: 500,
            checks_per_ip_10_minutes: 30,
            project_reads_per_ip_10_minutes: 120,
            face_failures_per_identifier: 5,
            face_failures_per_ip: 5,
            identity_checks_per_registration_hour: 10,
            identity_checks_per_ip_hour: 30,
            breaker_min_sms: 30,
            breaker_min_success_percent: 20,
        }
    }
}

/// One code about to be sent.
#[derive(Clone, Debug)]
pub struct Send<'a> {
    pub channel: Channel,
    pub identifier: &'a str,
    pub phone: Option<&'a Phone>,
}

impl AbuseLimits {
    /// Every shard of a flow's SMS tally, for the breaker to add up.
    pub fn sms_tally_keys(&self, flow: &str) -> Vec<String> {
        let key = sms_tally_key(flow);
        (0..shards_for(self.sms_per_flow_hour))
            .map(|index| shard_key(&key, index))
            .collect()
    }

    /// The shard of a flow's SMS tally that `spread` (any random number)
    /// picks.
    pub fn sms_tally_shard(&self, flow: &str, spread: u64) -> String {
        shard_key(
            &sms_tally_key(flow),
            spread % shards_for(self.sms_per_flow_hour),
        )
    }

    /// Everything sending `sends` charges, per-item amounts merged.
    /// `spread`, any random number, picks the shard of each flow counter.
    pub fn send_charges(
        &self,
        now: Timestamp,
        client: &str,
        flow: &str,
        ip: Option<&str>,
        sends: &[Send<'_>],
        spread: u64,
    ) -> Vec<LimitCharge> {
        let (start, end) = window_of(now, 3_600);
        let charge = |key: String, amount: u64, limit: u64, code: &'static str| LimitCharge {
            key,
            window_start: start,
            window_end: end,
            amount,
            limit,
            shards: 1,
            code,
        };
        let sharded = |key: String, amount: u64, limit: u64, code: &'static str| {
            let shards = shards_for(limit);
            LimitCharge {
                key: shard_key(&key, spread % shards),
                shards,
                ..charge(key, amount, limit, code)
            }
        };
        let total = sends.len() as u64;
        let sms: Vec<&Send> = sends
            .iter()
            .filter(|s| s.channel == Channel::Phone)
            .collect();
        let mut charges = Vec::new();
        for send in sends {
            charges.push(charge(
                format!(
                    "SEND#IDENT#{client}#{}",
                    crate::domain::contact::mailbox_key(send.identifier)
                ),
                1,
                self.sends_per_identifier_hour,
                "identifier_rate_limited",
            ));
        }
        if let Some(ip) = ip {
            charges.push(charge(
                format!("SEND#IP#{ip}"),
                total,
                self.sends_per_ip_hour,
                "ip_rate_limited",
            ));
        }
        charges.push(sharded(
            format!("SEND#FLOW#{flow}"),
            total,
            self.sends_per_flow_hour,
            "flow_rate_limited",
        ));
        if !sms.is_empty() {
            charges.push(sharded(
                sms_tally_key(flow),
                sms.len() as u64,
                self.sms_per_flow_hour,
                "flow_sms_rate_limited",
            ));
            for send in sms {
                if let Some(phone) = send.phone {
                    charges.push(charge(
                        format!("SEND#PREFIX#{flow}#{}", phone_prefix(phone)),
                        1,
                        self.sms_per_prefix_hour,
                        "phone_prefix_rate_limited",
                    ));
                }
            }
        }
        charges
    }

    /// The charge for one code check from `ip`.
    pub fn check_charge(&self, now: Timestamp, ip: &str) -> LimitCharge {
        let (start, end) = window_of(now, 600);
        LimitCharge {
            key: format!("CHECK#IP#{ip}"),
            window_start: start,
            window_end: end,
            amount: 1,
            limit: self.checks_per_ip_10_minutes,
            shards: 1,
            code: "ip_check_rate_limited",
        }
    }

    /// The charge for one face session started from `ip`: it counts with
    /// the code sends, each being something a stranger makes the tenant
    /// pay for.
    pub fn face_start_charge(&self, now: Timestamp, ip: &str) -> LimitCharge {
        let (start, end) = window_of(now, 3_600);
        LimitCharge {
            key: format!("SEND#IP#{ip}"),
            window_start: start,
            window_end: end,
            amount: 1,
            limit: self.sends_per_ip_hour,
            shards: 1,
            code: "ip_rate_limited",
        }
    }

    /// The charge for one public project read from `ip`.
    pub fn project_read_charge(&self, now: Timestamp, ip: &str) -> LimitCharge {
        let (start, end) = window_of(now, 600);
        LimitCharge {
            key: format!("KYC#IP#{ip}"),
            window_start: start,
            window_end: end,
            amount: 1,
            limit: self.project_reads_per_ip_10_minutes,
            shards: 1,
            code: "project_read_rate_limited",
        }
    }

    /// What one identity upload or check charges, before anything is stored
    /// or read: the registration's hourly budget, then the source IP's.
    pub fn identity_charges(
        &self,
        now: Timestamp,
        registration: &str,
        ip: Option<&str>,
    ) -> Vec<LimitCharge> {
        let (start, end) = window_of(now, 3_600);
        let charge = |key: String, limit: u64, code: &'static str| LimitCharge {
            key,
            window_start: start,
            window_end: end,
            amount: 1,
            limit,
            shards: 1,
            code,
        };
        let mut charges = vec![charge(
            format!("IDENTITY#REG#{registration}"),
            self.identity_checks_per_registration_hour,
            "registration_identity_rate_limited",
        )];
        if let Some(ip) = ip {
            charges.push(charge(
                format!("IDENTITY#IP#{ip}"),
                self.identity_checks_per_ip_hour,
                "ip_identity_rate_limited",
            ));
        }
        charges
    }

    /// Whether a flow's SMS hour looks like SMS pumping: many sent, few
    /// verified.
    pub fn breaker_open(&self, sent: u64, validated: u64) -> bool {
        sent >= self.breaker_min_sms
            && validated.saturating_mul(100) < sent.saturating_mul(self.breaker_min_success_percent)
    }
}

/// Failed face checks: the limit of a subject (an identifier per client,
/// a source IP across clients) in one window locks that subject out of face
/// checks for `lockout_seconds`.
#[derive(Clone, Debug, PartialEq)]
pub struct FaceLockout {
    pub per_identifier: u64,
    pub per_ip: u64,
    pub window_seconds: i64,
    pub lockout_seconds: i64,
}

/// One counter a failed face check adds to, and the count that locks it.
#[derive(Clone, Debug, PartialEq)]
pub struct FaceSubject {
    pub key: String,
    pub limit: u64,
}

impl Default for FaceLockout {
    fn default() -> Self {
        AbuseLimits::default().face_lockout()
    }
}

impl AbuseLimits {
    pub fn face_lockout(&self) -> FaceLockout {
        FaceLockout {
            per_identifier: self.face_failures_per_identifier,
            per_ip: self.face_failures_per_ip,
            window_seconds: 180,
            lockout_seconds: 1_800,
        }
    }
}

impl FaceLockout {
    /// What a face check is counted against.
    pub fn subjects(&self, client: &str, identifier: &str, ip: Option<&str>) -> Vec<FaceSubject> {
        let mut subjects = vec![FaceSubject {
            key: format!(
                "FACE#IDENT#{client}#{}",
                crate::domain::contact::mailbox_key(identifier)
            ),
            limit: self.per_identifier,
        }];
        if let Some(ip) = ip {
            subjects.push(FaceSubject {
                key: format!("FACE#IP#{ip}"),
                limit: self.per_ip,
            });
        }
        subjects
    }

    /// The counting window that holds `now`.
    pub fn window(&self, now: Timestamp) -> (Timestamp, Timestamp) {
        window_of(now, self.window_seconds)
    }

    /// 429 until the lockout ends.
    pub fn refusal(&self, until: Timestamp, now: Timestamp) -> Error {
        Error::TooManyRequests {
            code: "face_checks_locked",
            message: format!(
                "too many failed face checks in {} s; face sign-in is locked for {} minutes",
                self.window_seconds,
                self.lockout_seconds / 60
            ),
            retry_after: Some(now.seconds_until(until).max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_and_retry_after_reaches_their_end() {
        let now = Timestamp::parse("2026-11-25T14:37:12Z").unwrap();
        let (start, end) = window_of(now, 3_600);
        assert_eq!(start.to_string(), "2026-11-25T14:00:00.000Z");
        assert_eq!(end.to_string(), "2026-11-25T15:00:00.000Z");
        let phone = Phone::parse("+57", "3001234567").unwrap();
        let charges = AbuseLimits::default().send_charges(
            now,
            "c",
            "f",
            Some("203.0.113.7"),
            &[
                Send {
                    channel: Channel::Email,
                    identifier: "a@example.com",
                    phone: None,
                },
                Send {
                    channel: Channel::Phone,
                    identifier: "+573001234567",
                    phone: Some(&phone),
                },
            ],
            7,
        );
        let ip = charges
            .iter()
            .find(|c| c.key == "SEND#IP#203.0.113.7")
            .unwrap();
        assert_eq!(ip.amount, 2);
        assert!(charges.iter().any(|c| c.key == "SEND#PREFIX#f#+57300"));
        match ip.refusal(now) {
            Error::TooManyRequests { retry_after, .. } => assert_eq!(retry_after, Some(1368)),
            other => panic!("{other:?}"),
        }
    }

    fn flow_charge(limits: &AbuseLimits, spread: u64) -> LimitCharge {
        let now = Timestamp::parse("2026-11-25T14:37:12Z").unwrap();
        let send = Send {
            channel: Channel::Email,
            identifier: "a@example.com",
            phone: None,
        };
        limits
            .send_charges(now, "c", "f", None, &[send], spread)
            .into_iter()
            .find(|c| c.key.starts_with("SEND#FLOW#"))
            .unwrap()
    }

    #[test]
    fn small_limits_stay_one_item_and_large_ones_spread() {
        assert_eq!(shards_for(1_000), 1);
        assert_eq!(shards_for(39_999), 1);
        assert_eq!(shards_for(40_000), 2);
        assert_eq!(shards_for(36_000_000), MAX_SHARDS);
        let default = AbuseLimits::default();
        assert_eq!(flow_charge(&default, 12_345).key, "SEND#FLOW#f");
        assert_eq!(flow_charge(&default, 12_345).max_before(), Some(999));
        let hot = AbuseLimits {
            sends_per_flow_hour: 200_000,
            sms_per_flow_hour: 200_000,
            ..AbuseLimits::default()
        };
        let keys: std::collections::BTreeSet<String> = (0..40)
            .map(|spread| flow_charge(&hot, spread).key)
            .collect();
        assert_eq!(keys.len(), 10);
        assert!(keys.contains("SEND#FLOW#f") && keys.contains("SEND#FLOW#f#9"));
        let charge = flow_charge(&hot, 3);
        assert_eq!((charge.shards, charge.max_before()), (10, Some(19_999)));
        // The refusal names the flow's whole limit, not a shard's share.
        let message = charge.refusal(Timestamp::from_unix(0).unwrap()).to_string();
        assert!(message.contains("200000 per 3600 s"), "{message}");
        // The breaker reads every shard the tally is written to.
        let tally: std::collections::BTreeSet<String> = (0..40)
            .map(|spread| hot.sms_tally_shard("f", spread))
            .collect();
        assert_eq!(tally, hot.sms_tally_keys("f").into_iter().collect());
    }

    /// Random shards fill unevenly, so a sharded limit refuses a little
    /// early. With the largest fan-out and the smallest shares, count
    /// random sends until the first refusal.
    #[test]
    fn sharded_limits_refuse_close_to_the_limit() {
        use rand::{Rng, SeedableRng};
        let limit = MAX_SHARDS * SHARD_SHARE;
        let shards = shards_for(limit);
        for seed in 1..=3 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut counts = vec![0u64; shards as usize];
            let mut sent = 0u64;
            loop {
                let shard = rng.random_range(0..shards) as usize;
                if counts[shard] >= limit / shards {
                    break;
                }
                counts[shard] += 1;
                sent += 1;
            }
            assert!(sent <= limit);
            assert!(
                sent * 100 >= limit * 97,
                "seed {seed}: refused at {sent} of {limit}"
            );
        }
    }

    #[test]
    fn the_breaker_needs_volume_and_a_collapsed_ratio() {
        let limits = AbuseLimits::default();
        assert!(!limits.breaker_open(10, 0));
        assert!(limits.breaker_open(30, 5));
        assert!(!limits.breaker_open(30, 6));
    }
}
