//! Checking a code: count the attempt first, then compare, then record.

use crate::domain::code::{CodeHasher, OneTimeCode};
use crate::domain::ids::Record;
use crate::domain::limits::AbuseLimits;
use crate::domain::login::AttemptRejected;
use crate::domain::login::{AccessEventKind, RequestOrigin, ValidationStatus};
use crate::domain::token::TokenIssuer;
use crate::domain::webhook::WebhookEvent;
use crate::domain::{Channel, Login, LoginStatus, Timestamp};
use crate::error::{codes, Error, Result};
use crate::ports::{AttemptOutcome, Clock, EventSink, LoginStore, NoEvents, SuccessOutcome};
use crate::service::webhooks::raise;
use std::sync::Arc;
use std::time::Duration;

/// Which login a code is for.
#[derive(Clone, Debug)]
pub enum LoginRef {
    /// `POST /v2/app-logins/{id}/validate`
    Id(String),
    /// Verifik's `POST /v2/{email,phone}-validations/validate`: the pending
    /// login of this identifier on this flow.
    Identifier {
        project_flow: String,
        channel: Channel,
        identifier: String,
    },
}

#[derive(Clone, Debug)]
pub struct ValidateLogin {
    pub login: LoginRef,
    pub channel: Option<Channel>,
    pub otp: OneTimeCode,
}

#[derive(Clone, Debug)]
pub struct ValidatedLogin {
    pub login: Login,
    /// Present once every channel of the login is verified.
    pub token: Option<String>,
    /// Present when the codes are verified and the face is still owed
    /// (`requires2FA` with face login): it lets the browser take the face
    /// step, and signs nobody in.
    pub face_token: Option<String>,
}

pub struct CodeChecker<S> {
    store: S,
    hasher: CodeHasher,
    tokens: TokenIssuer,
    clock: Arc<dyn Clock>,
    retention: Duration,
    limits: AbuseLimits,
    events: Arc<dyn EventSink>,
}

impl<S: LoginStore> CodeChecker<S> {
    pub fn new(
        store: S,
        hasher: CodeHasher,
        tokens: TokenIssuer,
        clock: Arc<dyn Clock>,
        retention: Duration,
    ) -> Self {
        Self {
            store,
            hasher,
            tokens,
            clock,
            retention,
            limits: AbuseLimits::default(),
            events: Arc::new(NoEvents),
        }
    }

    /// Where `app_login.validated` and `app_login.failed` go.
    pub fn with_events(mut self, events: Arc<dyn EventSink>) -> Self {
        self.events = events;
        self
    }

    /// Replaces the default abuse limits.
    pub fn with_limits(mut self, limits: AbuseLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Checks a sign-in code; a login whose every code is verified gets the
    /// end user's token.
    #[tracing::instrument(skip_all, fields(login_id = tracing::field::Empty))]
    pub async fn validate(
        &self,
        request: ValidateLogin,
        origin: &RequestOrigin,
    ) -> Result<ValidatedLogin> {
        let login = self.check(request, None, origin).await?;
        let now = self.clock.now();
        let token = if login.status == LoginStatus::Validated {
            Some(self.issue_token(&login, now)?)
        } else {
            None
        };
        let face_token = if login.status == LoginStatus::Pending
            && login.codes_verified()
            && login.face_pending()
        {
            Some(self.tokens.sign_face_step_for(&login, now)?)
        } else {
            None
        };
        Ok(ValidatedLogin {
            login,
            token,
            face_token,
        })
    }

    /// Checks one code of a session under every code rule, and returns the
    /// session as it now stands. `registration` names the App Registration
    /// the session must belong to; `None` means a sign-in, which a
    /// registration's session never passes for.
    pub async fn check(
        &self,
        request: ValidateLogin,
        registration: Option<&str>,
        origin: &RequestOrigin,
    ) -> Result<Login> {
        let by_identifier = matches!(request.login, LoginRef::Identifier { .. });
        let checked = self
            .check_code(request, registration, by_identifier, origin)
            .await;
        match checked {
            // Verifik's identifier forms are public: whether a login is
            // pending, locked or used must not show. Every failure but an
            // abuse limit looks like a wrong code (docs/limits.md "No enumeration").
            Err(err) if by_identifier && reveals_a_login(&err) => Err(uniform_mismatch()),
            other => other,
        }
    }

    async fn check_code(
        &self,
        request: ValidateLogin,
        registration: Option<&str>,
        by_identifier: bool,
        origin: &RequestOrigin,
    ) -> Result<Login> {
        let now = self.clock.now();
        if let Some(ip) = origin.ip_address.as_deref() {
            let charge = self.limits.check_charge(now, ip);
            if !self.store.charge(&charge).await? {
                tracing::warn!("code checks from this IP over the limit");
                return Err(charge.refusal(now));
            }
        }
        let (login_id, channel) = match self.resolve(&request).await {
            Ok(found) => found,
            Err(err @ Error::NotFound { .. }) if by_identifier => {
                // Take as long as a wrong code on a pending login: the same
                // two conditional writes (on an id no login has, so they
                // change nothing) and one bcrypt.
                let channel = request.channel.unwrap_or(Channel::Email);
                for _ in 0..2 {
                    self.store
                        .count_attempt(NO_LOGIN, channel, registration, now)
                        .await?;
                }
                self.hasher.hash(&OneTimeCode::generate()).await?;
                return Err(err);
            }
            Err(other) => return Err(other),
        };
        tracing::Span::current().record("login_id", login_id.as_str());
        let (login, hash) = match self
            .store
            .count_attempt(&login_id, channel, registration, now)
            .await?
        {
            AttemptOutcome::Counted { login, hash } => (*login, hash),
            AttemptOutcome::Rejected(why) => return Err(rejection(why, channel)),
        };
        let validation = login
            .validation(channel)
            .ok_or_else(|| Error::internal("counted an attempt on a missing validation"))?;
        let locks = validation.attempts >= validation.max_attempts;
        let right_code = self.hasher.verify(&request.otp, &hash).await?;

        // On a public identifier form, only the holder of the right code
        // learns that it expired.
        if now > validation.expires_at && (right_code || !by_identifier) {
            self.record_failure(
                &login,
                channel,
                AccessEventKind::CheckExpired,
                locks,
                origin,
                now,
            )
            .await?;
            return Err(Error::Expired {
                code: match channel {
                    Channel::Email => "emailValidation_has_expired",
                    Channel::Phone => "phoneValidation_has_expired",
                },
                message: "the code has expired; ask for a new one".into(),
            });
        }

        if !right_code || now > validation.expires_at {
            let remaining = validation.max_attempts.saturating_sub(validation.attempts);
            self.record_failure(
                &login,
                channel,
                AccessEventKind::CheckFailed,
                locks,
                origin,
                now,
            )
            .await?;
            tracing::info!(login_id = %login.id, %channel, remaining, "wrong code");
            return Err(Error::CodeMismatch {
                attempts_remaining: remaining,
            });
        }

        self.record_success(login, channel, origin, now).await
    }

    async fn resolve(&self, request: &ValidateLogin) -> Result<(String, Channel)> {
        match &request.login {
            LoginRef::Identifier {
                project_flow,
                channel,
                identifier,
            } => {
                let not_found = || match channel {
                    Channel::Email => Error::not_found(
                        codes::EMAIL_VALIDATION_NOT_FOUND,
                        "no pending email validation for this email",
                    ),
                    Channel::Phone => Error::not_found(
                        codes::PHONE_VALIDATION_NOT_FOUND,
                        "no pending phone validation for this phone",
                    ),
                };
                if !crate::domain::ids::is_plausible_id(project_flow) {
                    return Err(not_found());
                }
                let id = self
                    .store
                    .find_active(project_flow, *channel, identifier)
                    .await?
                    .ok_or_else(not_found)?;
                Ok((id, *channel))
            }
            LoginRef::Id(id) => {
                if !crate::domain::ids::is_plausible_id(id) {
                    return Err(Record::Login.not_found());
                }
                if let Some(channel) = request.channel {
                    return Ok((id.clone(), channel));
                }
                // Without `type`, the login must have exactly one pending code.
                let login = self
                    .store
                    .get(id)
                    .await?
                    .ok_or_else(|| Record::Login.not_found())?;
                let pending: Vec<Channel> = login
                    .channels()
                    .into_iter()
                    .filter(|c| {
                        login
                            .validation(*c)
                            .is_some_and(|v| v.status == ValidationStatus::Pending)
                    })
                    .collect();
                match pending.as_slice() {
                    [only] => Ok((id.clone(), *only)),
                    [] => Ok((
                        id.clone(),
                        login.channels().first().copied().unwrap_or(Channel::Email),
                    )),
                    _ => Err(Error::MissingParameters(vec!["type".into()])),
                }
            }
        }
    }

    async fn record_failure(
        &self,
        login: &Login,
        channel: Channel,
        kind: AccessEventKind,
        locks: bool,
        origin: &RequestOrigin,
        now: Timestamp,
    ) -> Result<()> {
        let mut events = vec![origin.event(kind, Some(channel), now)];
        if locks {
            events.push(origin.event(AccessEventKind::LockedOut, Some(channel), now));
            tracing::warn!(login_id = %login.id, %channel, "attempts exhausted: login locked");
        }
        let failure = login.failure(channel, events, locks, now, self.retention_end(now));
        self.store.record_failure(login, &failure).await?;
        if locks {
            let event = {
                let mut failed = login.clone();
                failed.apply_failure(&failure);
                WebhookEvent::for_login(&failed, now)
            };
            raise(&*self.events, &login.client, event).await;
        }
        Ok(())
    }

    async fn record_success(
        &self,
        mut login: Login,
        channel: Channel,
        origin: &RequestOrigin,
        now: Timestamp,
    ) -> Result<Login> {
        let event = origin.event(AccessEventKind::ChannelValidated, Some(channel), now);
        // Two codes of one login may be checked at the same time; the store
        // refuses a write based on a stale view, and we look again.
        for _ in 0..3 {
            let mut success = login.success(channel, event.clone(), now, self.retention_end(now));
            // The verified SMS counts on a random shard of the flow's tally.
            if let Some((key, _)) = success.sms_tally.as_mut() {
                *key = self
                    .limits
                    .sms_tally_shard(&login.project_flow, rand::random());
            }
            match self.store.record_success(&login, &success).await? {
                SuccessOutcome::Recorded => {
                    login.apply_success(&success);
                    let completes_login = success.completes_login;
                    tracing::info!(login_id = %login.id, %channel, completes_login, "code verified");
                    if completes_login {
                        raise(
                            &*self.events,
                            &login.client,
                            WebhookEvent::for_login(&login, now),
                        )
                        .await;
                    }
                    return Ok(login);
                }
                SuccessOutcome::Raced => {
                    login = self
                        .store
                        .get(&login.id)
                        .await?
                        .ok_or_else(|| Record::Login.not_found())?;
                    match login.validation(channel).map(|v| v.status) {
                        Some(ValidationStatus::Validated) => {
                            return Err(rejection(AttemptRejected::AlreadyValidated, channel))
                        }
                        Some(ValidationStatus::Failed) => {
                            return Err(rejection(AttemptRejected::Exhausted, channel))
                        }
                        _ if login.status != LoginStatus::Pending => {
                            return Err(rejection(AttemptRejected::Exhausted, channel))
                        }
                        _ => {}
                    }
                }
            }
        }
        Err(Error::Unavailable(
            "the login kept changing while being validated".into(),
        ))
    }

    fn retention_end(&self, now: Timestamp) -> Timestamp {
        now.plus_seconds(self.retention.as_secs() as i64)
    }

    fn issue_token(&self, login: &Login, now: Timestamp) -> Result<String> {
        let proof = login
            .session_proof()
            .ok_or_else(|| Error::internal("validated login without an identifier"))?;
        self.tokens.sign_session(proof, now)
    }
}

/// A plausible id no login ever has (ids are ULIDs, which never start
/// with `0000`): the target of the no-login path's equalising writes.
const NO_LOGIN: &str = "00000000000000000000000000";

/// What a public identifier form answers for every failure that would
/// otherwise tell whether a login is pending: no `attemptsRemaining`.
fn uniform_mismatch() -> Error {
    Error::Forbidden {
        code: codes::OTP_DOES_NOT_MATCH,
        message: "the code does not match".into(),
    }
}

/// Errors whose kind depends on whether, and in what state, a login exists
/// for an identifier. An expired code shows as expired only when the code
/// itself was right: the sender of the code may know that much.
fn reveals_a_login(err: &Error) -> bool {
    matches!(
        err,
        Error::NotFound { .. }
            | Error::CodeMismatch { .. }
            | Error::Conflict { .. }
            | Error::InvalidInput {
                code: codes::CHANNEL_NOT_REQUESTED,
                ..
            }
            | Error::TooManyRequests {
                code: codes::ATTEMPTS_EXHAUSTED,
                ..
            }
    )
}

fn rejection(why: AttemptRejected, channel: Channel) -> Error {
    match why {
        AttemptRejected::NotFound => Record::Login.not_found(),
        AttemptRejected::ChannelNotRequested => Error::invalid(
            codes::CHANNEL_NOT_REQUESTED,
            format!("this login has no {channel} code"),
        ),
        AttemptRejected::AlreadyValidated => {
            Error::conflict(codes::OTP_ALREADY_USED, "this code was already used")
        }
        AttemptRejected::Exhausted => Error::TooManyRequests {
            code: codes::ATTEMPTS_EXHAUSTED,
            message: "too many wrong codes: this login is locked; start a new one".into(),
            retry_after: None,
        },
    }
}
