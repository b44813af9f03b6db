//! In-memory implementations of every port, with the same conditions as the
//! DynamoDB adapter. They drive the fast service tests and the benchmarks;
//! storage behaviour itself is tested against DynamoDB Local.

use crate::domain::limits::LimitCharge;
use crate::domain::login::DeliveryStatus;
use crate::domain::login::{
    AttemptRejected, ChannelFailure, ChannelSuccess, CodeReplacement, ReplaceRefused,
};
use crate::domain::message::{EmailMessage, SmsMessage};
use crate::domain::tenant_config::{KeyGrant, KeyScope};
use crate::domain::{Channel, ClientId, CodeHash, Login, Project, ProjectFlow, Timestamp};
use crate::error::{Error, Result};
use crate::ports::{
    AttemptOutcome, CreateOutcome, Directory, EmailSender, ListCursor, ListStart, LoginPage,
    LoginQuery, LoginStore, NewCode, Page, Populate, ReplaceOutcome, SmsSender, SuccessOutcome,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

type PointerKey = (String, Channel, String);

#[derive(Default)]
struct State {
    logins: HashMap<String, (Login, HashMap<Channel, CodeHash>)>,
    pointers: HashMap<PointerKey, (String, Timestamp)>,
    /// (key, window) -> (count, validated)
    counters: HashMap<(String, String), (u64, u64)>,
    /// Face lockouts: subject -> until.
    face_locks: HashMap<String, Timestamp>,
    grants: HashMap<String, crate::domain::authorization::AuthorizationGrant>,
}

/// Whether every charge fits; if so, counts them all.
fn charge_all(
    counters: &mut HashMap<(String, String), (u64, u64)>,
    charges: &[LimitCharge],
) -> Option<LimitCharge> {
    for charge in charges {
        let count = counters
            .get(&(charge.key.clone(), charge.window()))
            .map(|c| c.0)
            .unwrap_or(0);
        if charge.max_before().is_none_or(|max| count > max) {
            return Some(charge.clone());
        }
    }
    for charge in charges {
        counters
            .entry((charge.key.clone(), charge.window()))
            .or_default()
            .0 += charge.amount;
    }
    None
}

/// Clones share one store.
#[derive(Clone, Default)]
pub struct MemoryLoginStore {
    state: std::sync::Arc<Mutex<State>>,
}

impl MemoryLoginStore {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

fn pointer_free(
    pointers: &HashMap<PointerKey, (String, Timestamp)>,
    key: &PointerKey,
    me: &str,
    stale: Option<&str>,
    now: Timestamp,
) -> std::result::Result<(), String> {
    match pointers.get(key) {
        None => Ok(()),
        Some((owner, expires))
            if *expires < now || owner == me || Some(owner.as_str()) == stale =>
        {
            Ok(())
        }
        Some((owner, _)) => Err(owner.clone()),
    }
}

impl LoginStore for MemoryLoginStore {
    async fn save_face(
        &self,
        login: &Login,
        guard: &crate::domain::login::FaceGuard,
        _ttl: Timestamp,
        failure: Option<&crate::ports::FaceFailure>,
    ) -> Result<crate::ports::FaceSaved> {
        use crate::ports::FaceSaved;
        Ok(self.with(|s| {
            let Some((stored, _)) = s.logins.get_mut(&login.id) else {
                return FaceSaved::Refused;
            };
            if !guard.holds_on(stored) {
                return FaceSaved::Refused;
            }
            stored.status = login.status;
            stored.steps = login.steps.clone();
            stored.access_control_log = login.access_control_log.clone();
            stored.biometric_validation = login.biometric_validation.clone();
            stored.completed_at = login.completed_at;
            stored.updated_at = login.updated_at;
            let mut locked_until = None;
            if let Some(failure) = failure {
                let (start, _) = failure.lockout.window(failure.now);
                for subject in &failure.subjects {
                    let count = &mut s
                        .counters
                        .entry((subject.key.clone(), start.to_string()))
                        .or_default()
                        .0;
                    *count += 1;
                    if *count >= subject.limit {
                        let until = failure.now.plus_seconds(failure.lockout.lockout_seconds);
                        s.face_locks.insert(subject.key.clone(), until);
                        locked_until = Some(until);
                    }
                }
            }
            FaceSaved::Saved { locked_until }
        }))
    }

    async fn save_grant(
        &self,
        grant: &crate::domain::authorization::AuthorizationGrant,
    ) -> Result<()> {
        self.with(|s| match s.grants.entry(grant.id.clone()) {
            std::collections::hash_map::Entry::Occupied(_) => {
                Err(crate::error::Error::internal("grant id taken"))
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(grant.clone());
                Ok(())
            }
        })
    }

    async fn take_grant(
        &self,
        id: &str,
    ) -> Result<Option<crate::domain::authorization::AuthorizationGrant>> {
        Ok(self.with(|s| s.grants.remove(id)))
    }

    async fn face_lockout(
        &self,
        subjects: &[crate::domain::limits::FaceSubject],
    ) -> Result<Option<Timestamp>> {
        Ok(self.with(|s| {
            subjects
                .iter()
                .filter_map(|subject| s.face_locks.get(&subject.key).copied())
                .max()
        }))
    }

    async fn create(
        &self,
        login: &Login,
        codes: &[NewCode],
        _ttl: Timestamp,
        stale_owner: Option<&str>,
        charges: &[LimitCharge],
    ) -> Result<CreateOutcome> {
        self.with(|state| {
            for code in codes {
                let key = (
                    login.project_flow.clone(),
                    code.channel,
                    code.identifier.clone(),
                );
                if let Err(owner) = pointer_free(
                    &state.pointers,
                    &key,
                    &login.id,
                    stale_owner,
                    login.created_at,
                ) {
                    return Ok(CreateOutcome::ActiveLoginExists { login_id: owner });
                }
            }
            if state.logins.contains_key(&login.id) {
                return Err(Error::internal("duplicate login id"));
            }
            if let Some(refused) = charge_all(&mut state.counters, charges) {
                return Ok(CreateOutcome::Limited(refused));
            }
            for code in codes {
                let expires = login
                    .validation(code.channel)
                    .map(|v| v.expires_at)
                    .unwrap_or(login.created_at);
                state.pointers.insert(
                    (
                        login.project_flow.clone(),
                        code.channel,
                        code.identifier.clone(),
                    ),
                    (login.id.clone(), expires),
                );
            }
            let hashes = codes.iter().map(|c| (c.channel, c.hash.clone())).collect();
            state
                .logins
                .insert(login.id.clone(), (login.clone(), hashes));
            Ok(CreateOutcome::Created)
        })
    }

    async fn get(&self, id: &str) -> Result<Option<Login>> {
        Ok(self.with(|s| s.logins.get(id).map(|(l, _)| l.clone())))
    }

    async fn charge(&self, charge: &LimitCharge) -> Result<bool> {
        Ok(self.with(|s| charge_all(&mut s.counters, std::slice::from_ref(charge)).is_none()))
    }

    async fn sms_tally(&self, keys: &[String], window: &str) -> Result<(u64, u64)> {
        Ok(self.with(|s| {
            keys.iter()
                .filter_map(|key| s.counters.get(&(key.clone(), window.to_string())))
                .fold((0, 0), |(sent, verified), (s, v)| (sent + s, verified + v))
        }))
    }

    async fn find_active(
        &self,
        flow_id: &str,
        channel: Channel,
        identifier: &str,
    ) -> Result<Option<String>> {
        Ok(self.with(|s| {
            s.pointers
                .get(&(flow_id.to_string(), channel, identifier.to_string()))
                .map(|(id, _)| id.clone())
        }))
    }

    async fn count_attempt(
        &self,
        id: &str,
        channel: Channel,
        registration: Option<&str>,
        now: Timestamp,
    ) -> Result<AttemptOutcome> {
        Ok(self.with(|s| {
            let Some((login, hashes)) = s.logins.get_mut(id) else {
                return AttemptOutcome::Rejected(AttemptRejected::NotFound);
            };
            if login.registration.as_deref() != registration {
                return AttemptOutcome::Rejected(AttemptRejected::NotFound);
            }
            if let Err(rejected) = login.count_attempt(channel, now) {
                return AttemptOutcome::Rejected(rejected);
            }
            match hashes.get(&channel) {
                Some(hash) => AttemptOutcome::Counted {
                    login: Box::new(login.clone()),
                    hash: hash.clone(),
                },
                None => AttemptOutcome::Rejected(AttemptRejected::Exhausted),
            }
        }))
    }

    async fn record_success(
        &self,
        login: &Login,
        success: &ChannelSuccess,
    ) -> Result<SuccessOutcome> {
        Ok(self.with(|s| {
            let Some((stored, hashes)) = s.logins.get_mut(&login.id) else {
                return SuccessOutcome::Raced;
            };
            if !stored.admits(success) {
                return SuccessOutcome::Raced;
            }
            stored.apply_success(success);
            hashes.remove(&success.channel);
            if success.completes_login {
                hashes.clear();
            }
            let key = (
                login.project_flow.clone(),
                success.channel,
                success.identifier.clone(),
            );
            if s.pointers
                .get(&key)
                .is_some_and(|(owner, _)| owner == &login.id)
            {
                s.pointers.remove(&key);
            }
            SuccessOutcome::Recorded
        }))
    }

    async fn record_failure(&self, login: &Login, failure: &ChannelFailure) -> Result<()> {
        self.with(|s| {
            if let Some((stored, hashes)) = s.logins.get_mut(&login.id) {
                stored.apply_failure(failure);
                if failure.locks_login {
                    hashes.clear();
                    for (channel, identifier) in &failure.identifiers {
                        let key = (login.project_flow.clone(), *channel, identifier.clone());
                        if s.pointers
                            .get(&key)
                            .is_some_and(|(owner, _)| owner == &login.id)
                        {
                            s.pointers.remove(&key);
                        }
                    }
                }
            }
        });
        Ok(())
    }

    async fn replace_code(&self, login: &Login, r: &CodeReplacement) -> Result<ReplaceOutcome> {
        Ok(self.with(|s| {
            let key = (login.project_flow.clone(), r.channel, r.identifier.clone());
            if pointer_free(&s.pointers, &key, &login.id, None, r.now).is_err() {
                return ReplaceOutcome::NotPending;
            }
            let Some((stored, _)) = s.logins.get_mut(&login.id) else {
                return ReplaceOutcome::NotPending;
            };
            match stored.admits_replacement(r) {
                Ok(()) => {}
                Err(ReplaceRefused::NotPending) => return ReplaceOutcome::NotPending,
                Err(ReplaceRefused::TooSoon { last_sent_at }) => {
                    return ReplaceOutcome::TooSoon { last_sent_at }
                }
            }
            if let Some(refused) = charge_all(&mut s.counters, &r.charges) {
                return ReplaceOutcome::Limited(refused);
            }
            let Some((stored, hashes)) = s.logins.get_mut(&login.id) else {
                return ReplaceOutcome::NotPending;
            };
            stored.apply_replacement(r);
            hashes.insert(r.channel, r.hash.clone());
            s.pointers.insert(key, (login.id.clone(), r.expires_at));
            ReplaceOutcome::Replaced
        }))
    }

    async fn mark_delivery_failed(
        &self,
        login_id: &str,
        channel: Channel,
        event: &crate::domain::AccessEvent,
    ) -> Result<()> {
        self.with(|s| {
            if let Some((stored, _)) = s.logins.get_mut(login_id) {
                if let Some(v) = stored.validation_mut(channel) {
                    v.delivery_status = DeliveryStatus::Failed;
                }
                stored.access_control_log.push(event.clone());
            }
        });
        Ok(())
    }

    async fn list(&self, client: &ClientId, query: &LoginQuery) -> Result<LoginPage> {
        Ok(self.with(|s| {
            let mut matching: Vec<Login> = s
                .logins
                .values()
                .map(|(l, _)| l)
                .filter(|l| l.client == client.as_str())
                .filter(|l| query.filter.matches(&listed(l)))
                .cloned()
                .collect();
            matching.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            if query.newest_first {
                matching.reverse();
            }
            let place = |l: &Login| ListCursor {
                created_at: l.created_at,
                id: l.id.clone(),
            };
            if let ListStart::After(cursor) = &query.start {
                // "After" in list order: older when newest first, newer otherwise.
                matching.retain(|l| {
                    if query.newest_first {
                        place(l) < *cursor
                    } else {
                        place(l) > *cursor
                    }
                });
            }
            matching.truncate(query.start.read_at_most(query.limit));
            Page::select(matching, &query.start, query.limit, |l| Some(place(l)))
        }))
    }
}

/// Clients' keys, projects and flows.
#[derive(Default)]
pub struct MemoryDirectory {
    pub keys: Mutex<HashMap<String, ClientId>>,
    pub projects: Mutex<HashMap<String, Project>>,
    pub flows: Mutex<HashMap<String, ProjectFlow>>,
}

impl Directory for MemoryDirectory {
    async fn client_for_key(&self, key_digest: &str) -> Result<Option<KeyGrant>> {
        Ok(self
            .keys
            .lock()
            .unwrap()
            .get(key_digest)
            .map(|client| KeyGrant {
                client: client.clone(),
                scope: KeyScope::Admin,
            }))
    }
    async fn project(&self, id: &str) -> Result<Option<Project>> {
        Ok(self.projects.lock().unwrap().get(id).cloned())
    }
    async fn flow(&self, id: &str) -> Result<Option<ProjectFlow>> {
        Ok(self.flows.lock().unwrap().get(id).cloned())
    }
}

/// Keeps what it was asked to send; `fail` makes every send fail.
#[derive(Default)]
pub struct MemoryOutbox {
    pub emails: Mutex<Vec<EmailMessage>>,
    pub sms: Mutex<Vec<SmsMessage>>,
    pub fail: AtomicBool,
}

impl MemoryOutbox {
    fn check(&self) -> Result<()> {
        if self.fail.load(Ordering::Relaxed) {
            Err(Error::Unavailable("outbox set to fail".into()))
        } else {
            Ok(())
        }
    }
}

impl EmailSender for std::sync::Arc<MemoryOutbox> {
    async fn send_email(&self, message: &EmailMessage) -> Result<()> {
        self.check()?;
        self.emails.lock().unwrap().push(message.clone());
        Ok(())
    }
}

impl SmsSender for std::sync::Arc<MemoryOutbox> {
    async fn send_sms(&self, message: &SmsMessage) -> Result<()> {
        self.check()?;
        self.sms.lock().unwrap().push(message.clone());
        Ok(())
    }
}

/// The in-memory code-session adapters, as one bundle.
pub struct MemoryPorts;

impl crate::ports::CodePorts for MemoryPorts {
    type Sessions = MemoryLoginStore;
    type Directory = std::sync::Arc<MemoryDirectory>;
    type Email = std::sync::Arc<MemoryOutbox>;
    type Sms = std::sync::Arc<MemoryOutbox>;
}

/// What a list filter looks at in a login.
fn listed(login: &Login) -> crate::ports::Listed<'_> {
    let mut present = std::collections::BTreeSet::new();
    if login.email_validation.is_some() {
        present.insert(Populate::EmailValidation);
    }
    if login.phone_validation.is_some() {
        present.insert(Populate::PhoneValidation);
    }
    if login.biometric_validation.is_some() {
        present.insert(Populate::BiometricValidation);
    }
    crate::ports::Listed {
        status: login.status.as_str(),
        project: &login.project,
        project_flow: &login.project_flow,
        login_type: Some(login.login_type.as_str()),
        current_step: None,
        created_at: login.created_at,
        name: &login.name,
        email: login
            .email_validation
            .as_ref()
            .and_then(|v| v.email.as_deref()),
        phone_digits: login.phone_validation.as_ref().and_then(|v| {
            let number = [v.country_code.as_deref()?, v.phone.as_deref()?].concat();
            Some(number.chars().filter(char::is_ascii_digit).collect())
        }),
        present,
    }
}
