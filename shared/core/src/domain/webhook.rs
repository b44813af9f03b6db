//! Webhooks: the events a flow's `webhookUrl` receives, how they are
//! signed, which addresses a delivery may reach, and when a failed one is
//! tried again. docs/webhooks.md "Webhooks" is the customer's side of this.

use super::login::Login;
use super::registration::{Registration, RegistrationStatus};
use super::time::Timestamp;
use super::LoginStatus;
use crate::error::{Error, Result};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// The header carrying `t={unix seconds},v1={hex HMAC-SHA256}`.
pub const SIGNATURE_HEADER: &str = "Gatehouse-Signature";
/// How old a signed timestamp docs/webhooks.md's snippet accepts.
pub const REPLAY_WINDOW_SECONDS: i64 = 300;
const SECRET_PREFIX: &str = "whsec_";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "app_login.validated")]
    LoginValidated,
    #[serde(rename = "app_login.failed")]
    LoginFailed,
    #[serde(rename = "app_registration.completed")]
    RegistrationCompleted,
    #[serde(rename = "app_registration.failed")]
    RegistrationFailed,
    #[serde(rename = "app_registration.needs_review")]
    RegistrationNeedsReview,
}

impl EventType {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventType::LoginValidated => "app_login.validated",
            EventType::LoginFailed => "app_login.failed",
            EventType::RegistrationCompleted => "app_registration.completed",
            EventType::RegistrationFailed => "app_registration.failed",
            EventType::RegistrationNeedsReview => "app_registration.needs_review",
        }
    }

    /// The event a registration's move from `before` to `after` raises.
    pub fn for_registration(before: RegistrationStatus, after: RegistrationStatus) -> Option<Self> {
        if before == after {
            return None;
        }
        match after {
            RegistrationStatus::Completed | RegistrationStatus::CompletedWithoutKyc => {
                Some(EventType::RegistrationCompleted)
            }
            RegistrationStatus::Failed => Some(EventType::RegistrationFailed),
            RegistrationStatus::NeedsManualVerification => Some(EventType::RegistrationNeedsReview),
            _ => None,
        }
    }
}

/// What an event says about its record: ids, status and times. Never a
/// code, a contact, an image or a score: the customer's backend reads the
/// record with its API key when it needs more.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRecord {
    #[serde(rename = "_id")]
    pub id: String,
    pub status: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
}

/// One event, exactly as POSTed to the webhook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    /// `evt_…`, unique per event: deliveries are at least once, so a
    /// receiver dedupes on it.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub created_at: Timestamp,
    pub project: String,
    pub project_flow: String,
    pub data: EventRecord,
}

impl WebhookEvent {
    fn new(
        event_type: EventType,
        project: &str,
        flow: &str,
        data: EventRecord,
        now: Timestamp,
    ) -> Self {
        Self {
            id: format!("evt_{}", super::ids::new_id()),
            event_type,
            created_at: now,
            project: project.to_string(),
            project_flow: flow.to_string(),
            data,
        }
    }

    /// `app_login.validated` or `app_login.failed`, for a login that just
    /// reached that status. Registration contact sessions raise none.
    pub fn for_login(login: &Login, now: Timestamp) -> Option<Self> {
        let event_type = match login.status {
            LoginStatus::Validated => EventType::LoginValidated,
            LoginStatus::Failed => EventType::LoginFailed,
            _ => return None,
        };
        if login.registration.is_some() {
            return None;
        }
        let data = EventRecord {
            id: login.id.clone(),
            status: match login.status {
                LoginStatus::Validated => "validated",
                _ => "failed",
            }
            .to_string(),
            created_at: login.created_at,
            updated_at: login.updated_at,
            completed_at: login.completed_at,
        };
        Some(Self::new(
            event_type,
            &login.project,
            &login.project_flow,
            data,
            now,
        ))
    }

    /// The event a registration's move from `before` raises, if any.
    pub fn for_registration(
        before: RegistrationStatus,
        registration: &Registration,
        now: Timestamp,
    ) -> Option<Self> {
        let event_type = EventType::for_registration(before, registration.status)?;
        let data = EventRecord {
            id: registration.id.clone(),
            status: registration.status.as_str().to_string(),
            created_at: registration.created_at,
            updated_at: registration.updated_at,
            completed_at: None,
        };
        Some(Self::new(
            event_type,
            &registration.project,
            &registration.project_flow,
            data,
            now,
        ))
    }
}

/// What goes on the delivery queue: the event and whose it is. The URL and
/// secret are read from the flow at delivery, so a changed or removed
/// webhook applies to events already queued.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedEvent {
    pub client: String,
    pub event: WebhookEvent,
}

/// A new signing secret: `whsec_` and 32 bytes from the OS CSPRNG.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// `t={timestamp},v1={hex HMAC-SHA256 of "{timestamp}.{body}"}`, keyed with
/// the whole secret string as its UTF-8 bytes.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Which addresses a delivery may connect to. In production only public
/// unicast ones; `make dev` and the tests add loopback, so a receiver on
/// 127.0.0.1 works, and nothing else.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    pub allow_loopback: bool,
}

impl AddressPolicy {
    pub fn permits(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => self.permits_v4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => self.permits_v4(v4),
                None => self.permits_v6(v6),
            },
        }
    }

    fn permits_v4(&self, ip: Ipv4Addr) -> bool {
        if ip.is_loopback() {
            return self.allow_loopback;
        }
        let [a, b, ..] = ip.octets();
        let shared = a == 100 && (64..128).contains(&b); // 100.64.0.0/10, carrier NAT
        let benchmarking = a == 198 && (b == 18 || b == 19); // 198.18.0.0/15
        let reserved = a >= 240; // 240.0.0.0/4 and broadcast
        let this_network = a == 0;
        let protocol = a == 192 && b == 0 && ip.octets()[2] == 0; // 192.0.0.0/24
        !(ip.is_private()
            || ip.is_link_local() // 169.254.0.0/16: the instance metadata address
            || ip.is_unspecified()
            || ip.is_multicast()
            || ip.is_documentation()
            || shared
            || benchmarking
            || reserved
            || this_network
            || protocol)
    }

    fn permits_v6(&self, ip: Ipv6Addr) -> bool {
        if ip.is_loopback() {
            return self.allow_loopback;
        }
        let first = ip.segments()[0];
        let unique_local = first & 0xfe00 == 0xfc00; // fc00::/7, incl. fd00:ec2::254
        let link_local = first & 0xffc0 == 0xfe80; // fe80::/10
        let documentation = first == 0x2001 && ip.segments()[1] == 0x0db8;
        let nat64 = first == 0x0064 && ip.segments()[1] == 0xff9b; // 64:ff9b::/96 reaches IPv4
        let translated = ip.to_ipv4().is_some() && ip.to_ipv4_mapped().is_none(); // ::a.b.c.d
        !(ip.is_unspecified()
            || ip.is_multicast()
            || unique_local
            || link_local
            || documentation
            || nat64
            || translated)
    }
}

/// A flow's `webhookUrl` as stored: an absolute https URL without
/// credentials, whose host is a name or a public address. With the local
/// exception, `http` to localhost or a loopback address too.
pub fn webhook_url(value: &str, policy: AddressPolicy) -> Result<String> {
    let bad = |why: &str| Error::invalid("invalid_webhook_url", format!("webhookUrl {why}"));
    let url = url::Url::parse(value.trim()).map_err(|_| bad("must be an absolute https URL"))?;
    if value.len() > 2048 {
        return Err(bad("must be at most 2048 characters"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    let host = url.host().ok_or_else(|| bad("must name a host"))?;
    let ip = match host {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    };
    let loopback = ip.is_some_and(|ip| ip.is_loopback()) || url.host_str() == Some("localhost");
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !scheme_ok || (loopback && !policy.allow_loopback) {
        return Err(bad("must be an absolute https URL"));
    }
    if ip.is_some_and(|ip| !policy.permits(ip)) {
        return Err(bad(
            "must not point at a private, loopback or link-local address",
        ));
    }
    Ok(url.to_string())
}

/// When a failed delivery is tried again: `base × 4^(attempt-1)`, at most
/// 12 hours (SQS's longest visibility timeout), plus up to 10 % jitter so
/// a receiver's outage does not end in one burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetrySchedule {
    pub base: Duration,
    /// Deliveries in all, the first included: the queue's `maxReceiveCount`.
    pub max_attempts: u32,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(30),
            max_attempts: 8,
        }
    }
}

impl RetrySchedule {
    pub const LONGEST: Duration = Duration::from_secs(12 * 3600);

    /// The wait after failed attempt `attempt` (1-based), before jitter.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 4u32.saturating_pow(attempt.saturating_sub(1));
        self.base.saturating_mul(factor).min(Self::LONGEST)
    }

    /// `delay` with `jitter` in [0, 1) adding up to 10 %.
    pub fn delay_with_jitter(&self, attempt: u32, jitter: f64) -> Duration {
        let delay = self.delay(attempt);
        delay
            .saturating_add(delay.mul_f64(jitter.clamp(0.0, 1.0) * 0.1))
            .min(Self::LONGEST)
    }

    pub fn is_last(&self, attempt: u32) -> bool {
        attempt >= self.max_attempts
    }
}

/// A delivery that used up its attempts: what the operator view lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedDelivery {
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub project: String,
    pub project_flow: String,
    /// The record the event is about.
    pub record: String,
    /// The webhook's host, never its path or query (they may carry tokens).
    pub host: String,
    pub attempts: u32,
    /// The receiver's last HTTP status, when it answered at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    pub last_error: String,
    pub event_created_at: Timestamp,
    pub failed_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_public_addresses_are_reachable() {
        let strict = AddressPolicy::default();
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!strict.permits(ip(refused)), "{refused} must be refused");
        }
        for allowed in ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"] {
            assert!(strict.permits(ip(allowed)), "{allowed} must be allowed");
        }
        let local = AddressPolicy {
            allow_loopback: true,
        };
        assert!(local.permits(ip("127.0.0.1")) && local.permits(ip("::1")));
        assert!(!local.permits(ip("169.254.169.254")) && !local.permits(ip("10.0.0.1")));
    }

    #[test]
    fn webhook_urls_are_https_to_public_hosts() {
        let strict = AddressPolicy::default();
        assert_eq!(
            webhook_url("https://hooks.acme.example/gatehouse", strict).unwrap(),
            "https://hooks.acme.example/gatehouse"
        );
        for bad in [
            "http://hooks.acme.example/",
            "ftp://hooks.acme.example/",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.5/hook",
            "https://[::1]/hook",
            "http://127.0.0.1:9/hook",
            "https://user:pass@hooks.acme.example/",
            "hooks.acme.example",
        ] {
            assert!(webhook_url(bad, strict).is_err(), "{bad} must be refused");
        }
        let local = AddressPolicy {
            allow_loopback: true,
        };
        assert!(webhook_url("http://127.0.0.1:9/hook", local).is_ok());
        assert!(webhook_url("http://10.0.0.5/hook", local).is_err());
    }

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        let secret = "whsec_test";
        let sig = signature(secret, 1_700_000_000, br#"{"a":1}"#);
        // Python: hmac.new(b"whsec_test", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
        assert_eq!(
            sig,
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
        assert_ne!(sig, signature(secret, 1_700_000_001, br#"{"a":1}"#));
        assert_ne!(sig, signature(secret, 1_700_000_000, br#"{"a":2}"#));
        assert_ne!(sig, signature("whsec_other", 1_700_000_000, br#"{"a":1}"#));
        assert!(new_secret().starts_with("whsec_") && new_secret().len() == 6 + 43);
    }

    #[test]
    fn retries_back_off_to_twelve_hours() {
        let schedule = RetrySchedule::default();
        let delays: Vec<u64> = (1..=7).map(|a| schedule.delay(a).as_secs()).collect();
        assert_eq!(delays, [30, 120, 480, 1920, 7680, 30720, 43200]);
        assert!(schedule.delay_with_jitter(1, 0.99) <= Duration::from_secs(33));
        assert!(!schedule.is_last(7) && schedule.is_last(8));
    }
}
