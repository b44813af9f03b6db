//! The ports: what the services need from the outside world. Adapters in
//! `adapters/` implement them for DynamoDB, SES v2 and SNS; tests and
//! benchmarks implement them in memory.

use crate::domain::authorization::AuthorizationGrant;
use crate::domain::limits::{FaceLockout, FaceSubject, LimitCharge};
use crate::domain::login::{
    AccessEvent, AttemptRejected, ChannelFailure, ChannelSuccess, CodeReplacement, FaceGuard, Login,
};
use crate::domain::message::{EmailMessage, SmsMessage};
use crate::domain::operator::AuditEntry;
use crate::domain::registration::{AnalyticsDelta, DayCounters, Registration};
use crate::domain::tenant_config::{ApiKeyInfo, KeyGrant};
use crate::domain::{Channel, ClientId, CodeHash, Project, ProjectFlow, Timestamp};
use crate::error::Result;
use std::collections::BTreeSet;
use std::future::Future;

mod page;
pub use page::{ListCursor, ListStart, Page, COUNT_CAP};

mod list_filter;
pub use list_filter::{ListFilter, Listed};

mod webhooks;
pub use webhooks::{
    BoxFuture, DeliveryLog, EventQueue, EventSink, NoEvents, PostFailure, WebhookTransport,
};

mod identity;
mod oidc;
mod operators;
pub use identity::{
    DocumentReader, FaceEngine, IdentityPorts, ImageStore, LivenessOutput, LivenessResult,
    LivenessStatus, UserMatch,
};
pub use oidc::{NewRefresh, OidcStore};
pub use operators::{ConsoleSessionStore, OperatorStore};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Clients, API keys, projects and flows.
pub trait Directory: Send + Sync + 'static {
    /// The tenant and scope of an active API key, by the key's SHA-256
    /// digest.
    fn client_for_key(
        &self,
        key_digest: &str,
    ) -> impl Future<Output = Result<Option<KeyGrant>>> + Send;
    fn project(&self, id: &str) -> impl Future<Output = Result<Option<Project>>> + Send;
    fn flow(&self, id: &str) -> impl Future<Output = Result<Option<ProjectFlow>>> + Send;
}

/// The adapters the code-session service runs on, as one bundle: a
/// service is generic over one `P: CodePorts`, and these bounds are written
/// here once. An implementation is a type-level list (`wiring::AwsPorts`,
/// `memory::MemoryPorts`).
pub trait CodePorts: Send + Sync + 'static {
    type Sessions: LoginStore;
    type Directory: Directory + Clone;
    type Email: EmailSender;
    type Sms: SmsSender;
}

/// Everything else a service may need: registrations and the tenant's
/// configuration, beside the code-session adapters.
pub trait Ports: CodePorts {
    type Registrations: RegistrationStore;
    type Config: ConfigStore;
}

pub trait EmailSender: Send + Sync + 'static {
    fn send_email(&self, message: &EmailMessage) -> impl Future<Output = Result<()>> + Send;
}

pub trait SmsSender: Send + Sync + 'static {
    fn send_sms(&self, message: &SmsMessage) -> impl Future<Output = Result<()>> + Send;
}

/// A code hash to store for one channel of a new login.
#[derive(Clone, Debug)]
pub struct NewCode {
    pub channel: Channel,
    pub identifier: String,
    pub hash: CodeHash,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CreateOutcome {
    Created,
    /// A pending login already holds this identifier on this flow.
    ActiveLoginExists {
        login_id: String,
    },
    /// A counter was full: nothing was written.
    Limited(LimitCharge),
}

#[derive(Clone, Debug)]
pub enum AttemptOutcome {
    /// The attempt was counted; `login` is the state after counting.
    Counted {
        login: Box<Login>,
        hash: CodeHash,
    },
    Rejected(AttemptRejected),
}

#[derive(Clone, Debug, PartialEq)]
pub enum SuccessOutcome {
    Recorded,
    /// Another channel changed under us, or the code was used concurrently.
    Raced,
}

/// A failed face check, to count against its subjects.
#[derive(Clone, Debug)]
pub struct FaceFailure {
    /// `FaceLockout::subjects`: the identifier and the source IP.
    pub subjects: Vec<FaceSubject>,
    pub lockout: FaceLockout,
    pub now: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FaceSaved {
    /// Written; `locked_until` when this failure locked a subject out.
    Saved { locked_until: Option<Timestamp> },
    /// The guard did not hold: a replay, a race, a session started twice.
    Refused,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ReplaceOutcome {
    Replaced,
    TooSoon { last_sent_at: Timestamp },
    NotPending,
    Limited(LimitCharge),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Populate {
    AccessControlLog,
    EmailValidation,
    PhoneValidation,
    BiometricValidation,
}

/// `GET /v2/app-logins`, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct LoginQuery {
    pub start: ListStart,
    pub limit: u32,
    pub newest_first: bool,
    pub populates: BTreeSet<Populate>,
    pub filter: ListFilter,
}

impl Default for LoginQuery {
    fn default() -> Self {
        Self {
            start: ListStart::Page(1),
            limit: 10,
            newest_first: true,
            populates: BTreeSet::new(),
            filter: ListFilter::default(),
        }
    }
}

pub type LoginPage = Page<Login>;

pub trait LoginStore: Send + Sync + 'static {
    /// Writes the login, its code hashes and one pointer per identifier in a
    /// single transaction. The pointer condition fails, and nothing is
    /// written, when a pending login already holds the identifier.
    /// `stale_owner` names a finished login whose pointer may be taken over.
    fn create(
        &self,
        login: &Login,
        codes: &[NewCode],
        ttl: Timestamp,
        stale_owner: Option<&str>,
        charges: &[LimitCharge],
    ) -> impl Future<Output = Result<CreateOutcome>> + Send;

    /// Adds one charge on its own; false (and nothing counted) when full.
    fn charge(&self, charge: &LimitCharge) -> impl Future<Output = Result<bool>> + Send;

    /// A flow's SMS tally for one window, added up over the tally's
    /// shards `keys`: (sent, verified).
    fn sms_tally(
        &self,
        keys: &[String],
        window: &str,
    ) -> impl Future<Output = Result<(u64, u64)>> + Send;

    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Login>>> + Send;

    /// The pending login holding this identifier on this flow, if any.
    fn find_active(
        &self,
        flow_id: &str,
        channel: Channel,
        identifier: &str,
    ) -> impl Future<Output = Result<Option<String>>> + Send;

    /// Counts one attempt with a conditional write before any comparison, so
    /// concurrent guesses can never exceed the limit.
    fn count_attempt(
        &self,
        id: &str,
        channel: Channel,
        registration: Option<&str>,
        now: Timestamp,
    ) -> impl Future<Output = Result<AttemptOutcome>> + Send;

    fn record_success(
        &self,
        login: &Login,
        success: &ChannelSuccess,
    ) -> impl Future<Output = Result<SuccessOutcome>> + Send;

    fn record_failure(
        &self,
        login: &Login,
        failure: &ChannelFailure,
    ) -> impl Future<Output = Result<()>> + Send;

    fn replace_code(
        &self,
        login: &Login,
        replacement: &CodeReplacement,
    ) -> impl Future<Output = Result<ReplaceOutcome>> + Send;

    /// The send failed: say so, and let the user ask again without waiting.
    fn mark_delivery_failed(
        &self,
        login_id: &str,
        channel: Channel,
        event: &AccessEvent,
    ) -> impl Future<Output = Result<()>> + Send;

    fn list(
        &self,
        client: &ClientId,
        query: &LoginQuery,
    ) -> impl Future<Output = Result<LoginPage>> + Send;

    /// Writes a face step (the login's status, steps, access log,
    /// `biometricValidation`, `completedAt` and `ttl`) if `guard` still
    /// holds on the stored login, and counts a failed check against its
    /// subjects in the same transaction. `Refused`, and nothing written or
    /// counted, when the guard does not hold.
    fn save_face(
        &self,
        login: &Login,
        guard: &FaceGuard,
        ttl: Timestamp,
        failure: Option<&FaceFailure>,
    ) -> impl Future<Output = Result<FaceSaved>> + Send;

    /// When the latest face lockout of any of `subjects` ends, if one was
    /// ever set (an ended one may still be returned).
    fn face_lockout(
        &self,
        subjects: &[FaceSubject],
    ) -> impl Future<Output = Result<Option<Timestamp>>> + Send;

    /// Stores a hosted page's authorisation grant until `grant.expires_at`
    /// (a new id: refused if one exists).
    fn save_grant(&self, grant: &AuthorizationGrant) -> impl Future<Output = Result<()>> + Send;

    /// Removes and returns the grant `id`, if it is there: of two
    /// exchanges of one code, exactly one gets it.
    fn take_grant(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<AuthorizationGrant>>> + Send;
}

// Services share one directory (and its cache) through an Arc.
impl<T: Directory> Directory for std::sync::Arc<T> {
    fn client_for_key(
        &self,
        key_digest: &str,
    ) -> impl Future<Output = Result<Option<KeyGrant>>> + Send {
        (**self).client_for_key(key_digest)
    }
    fn project(&self, id: &str) -> impl Future<Output = Result<Option<Project>>> + Send {
        (**self).project(id)
    }
    fn flow(&self, id: &str) -> impl Future<Output = Result<Option<ProjectFlow>>> + Send {
        (**self).flow(id)
    }
}

/// The code session a new registration starts with, written in the same
/// transaction as the registration.
#[derive(Clone, Debug)]
pub struct NewSession<'a> {
    pub login: &'a Login,
    pub codes: &'a [NewCode],
    pub ttl: Timestamp,
    /// The abuse-limit counters its codes charge.
    pub charges: &'a [LimitCharge],
}

/// How often an identifier and a source IP have started registrations
/// recently, for the red flags. Read before the create, counted by it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReuseSignals {
    /// The most registrations any of the identifiers started (30 days).
    pub identifier_registrations: u64,
    /// Registrations started from the IP this hour.
    pub ip_registrations_this_hour: u64,
}

/// The counters a create bumps, by key.
#[derive(Clone, Debug)]
pub struct ReuseKeys {
    pub client: String,
    /// Lowercased email and E.164 phone.
    pub identifiers: Vec<String>,
    pub ip_address: Option<String>,
    /// `YYYY-MM-DDTHH` (UTC)
    pub hour: String,
    pub now: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SaveOutcome {
    Saved,
    /// Someone else wrote the registration first: read it again.
    Stale,
}

/// `GET /v2/app-registrations`, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct RegistrationQuery {
    pub start: ListStart,
    pub limit: u32,
    pub newest_first: bool,
    pub populates: BTreeSet<Populate>,
    pub filter: ListFilter,
}

impl Default for RegistrationQuery {
    fn default() -> Self {
        Self {
            start: ListStart::Page(1),
            limit: 10,
            newest_first: true,
            populates: BTreeSet::new(),
            filter: ListFilter::default(),
        }
    }
}

pub type RegistrationPage = Page<Registration>;

pub trait RegistrationStore: Send + Sync + 'static {
    /// Writes the registration, its code session, the reuse counters, the
    /// limit charges and the analytics delta in one transaction: all of it
    /// or none. `Some(charge)` names a full counter.
    fn create(
        &self,
        registration: &Registration,
        session: &NewSession<'_>,
        reuse: &ReuseKeys,
        analytics: &AnalyticsDelta,
    ) -> impl Future<Output = Result<Option<LimitCharge>>> + Send;

    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Registration>>> + Send;

    /// Replaces the registration if its stored version is still
    /// `registration.version - 1`, adding the analytics delta and the
    /// operator's audit entry, if any, in the same transaction.
    fn save(
        &self,
        registration: &Registration,
        analytics: &AnalyticsDelta,
        audit: Option<&AuditEntry>,
    ) -> impl Future<Output = Result<SaveOutcome>> + Send;

    fn reuse_signals(&self, keys: &ReuseKeys) -> impl Future<Output = Result<ReuseSignals>> + Send;

    fn list(
        &self,
        client: &ClientId,
        query: &RegistrationQuery,
    ) -> impl Future<Output = Result<RegistrationPage>> + Send;

    /// One flow's daily counters, `from` to `to` inclusive (`YYYY-MM-DD`).
    fn analytics(
        &self,
        flow_id: &str,
        from: &str,
        to: &str,
    ) -> impl Future<Output = Result<Vec<DayCounters>>> + Send;
}

/// What a configuration write expects to find.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Precondition {
    /// Nothing: a new record.
    New,
    /// The record as last read, by its `updatedAt` (optimistic lock).
    UpdatedAt(Timestamp),
}

/// Projects, flows and API keys, as the client's admin API changes them.
/// Reads here are never cached.
pub trait ConfigStore: Send + Sync + 'static {
    /// False when `expect` did not hold (a concurrent change).
    fn save_project(
        &self,
        project: &Project,
        expect: Precondition,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn save_flow(
        &self,
        flow: &ProjectFlow,
        expect: Precondition,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn project(&self, id: &str) -> impl Future<Output = Result<Option<Project>>> + Send;
    fn flow(&self, id: &str) -> impl Future<Output = Result<Option<ProjectFlow>>> + Send;
    /// The client's projects, newest first.
    fn projects(&self, client: &ClientId) -> impl Future<Output = Result<Vec<Project>>> + Send;
    /// The client's flows, newest first.
    fn flows(&self, client: &ClientId) -> impl Future<Output = Result<Vec<ProjectFlow>>> + Send;
    /// Stores the key's digest and its audit entry together, or neither.
    fn save_api_key(
        &self,
        client: &ClientId,
        digest: &str,
        key: &ApiKeyInfo,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<()>> + Send;
    fn api_keys(&self, client: &ClientId) -> impl Future<Output = Result<Vec<ApiKeyInfo>>> + Send;
    /// The revoked key, or `None` if the client has no active key with this
    /// prefix. The revocation and its audit entry are written together.
    fn revoke_api_key(
        &self,
        client: &ClientId,
        prefix: &str,
        now: Timestamp,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<Option<ApiKeyInfo>>> + Send;
}
