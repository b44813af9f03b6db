//! Sending codes: starting a session (a sign-in, or a registration's
//! contact check) and re-sending its codes, under the abuse limits.

use crate::domain::code::{CodeHasher, OneTimeCode};
use crate::domain::ids::Record;
use crate::domain::limits::{window_of, AbuseLimits, LimitCharge, Send};
use crate::domain::login::CodeReplacement;
use crate::domain::login::{
    AccessEventKind, DeliveryStatus, LoginContacts, RequestOrigin, ValidationStatus,
};
use crate::domain::message::{login_email, login_sms, Locale, Purpose};
use crate::domain::{
    Channel, ClientId, Email, Login, LoginStatus, Phone, Project, ProjectFlow, Timestamp,
};
use crate::error::{codes, Error, Result};
use crate::ports::{
    Clock, CodePorts, CreateOutcome, Directory, EmailSender, LoginStore, NewCode, ReplaceOutcome,
    SmsSender,
};
use std::sync::Arc;
use std::time::Duration;

/// `POST /v2/app-logins`, validated.
#[derive(Clone, Debug)]
pub struct CreateLogin {
    pub project_flow: String,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub name: Option<String>,
    /// ISO 639-1; messages are in English or Spanish.
    pub language: Option<String>,
}

#[derive(Clone, Debug)]
pub struct SentLogin {
    pub login: Login,
    /// The identifier already had a pending login on this flow; its codes
    /// were re-sent instead of starting another.
    pub existing: bool,
}

pub struct CodeSender<P: CodePorts> {
    store: P::Sessions,
    directory: P::Directory,
    email: P::Email,
    sms: P::Sms,
    hasher: CodeHasher,
    clock: Arc<dyn Clock>,
    retention: Duration,
    limits: AbuseLimits,
    send_latency: SendLatency,
}

/// A moving average of how long real sends take in this container, so a
/// withheld send can take about as long.
#[derive(Default)]
struct SendLatency {
    micros: std::sync::atomic::AtomicU64,
}

impl SendLatency {
    /// Before any real send: a typical SES/SNS call from Lambda.
    const INITIAL_MICROS: u64 = 40_000;

    fn record(&self, took: Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        let sample = took.as_micros().min(5_000_000) as u64;
        let old = self.micros.load(Relaxed);
        let new = if old == 0 {
            sample
        } else {
            (old * 7 + sample) / 8
        };
        self.micros.store(new, Relaxed);
    }

    /// The average, give or take a quarter, like real sends vary.
    fn pretend(&self) -> Duration {
        use rand::Rng;
        let average = match self.micros.load(std::sync::atomic::Ordering::Relaxed) {
            0 => Self::INITIAL_MICROS,
            m => m,
        };
        let jitter = rand::rng().random_range(0.75..1.25);
        Duration::from_micros((average as f64 * jitter) as u64)
    }
}

impl<P: CodePorts> CodeSender<P> {
    pub fn new(
        store: P::Sessions,
        directory: P::Directory,
        email: P::Email,
        sms: P::Sms,
        hasher: CodeHasher,
        clock: Arc<dyn Clock>,
        retention: Duration,
    ) -> Self {
        Self {
            store,
            directory,
            email,
            sms,
            hasher,
            clock,
            retention,
            limits: AbuseLimits::default(),
            send_latency: SendLatency::default(),
        }
    }

    /// Replaces the default abuse limits.
    pub fn with_limits(mut self, limits: AbuseLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn directory(&self) -> &P::Directory {
        &self.directory
    }

    pub(crate) fn store(&self) -> &P::Sessions {
        &self.store
    }

    pub(crate) fn retention(&self) -> Duration {
        self.retention
    }

    #[tracing::instrument(skip_all, fields(client = %client, project_flow = %request.project_flow))]
    pub async fn create(
        &self,
        client: &ClientId,
        request: CreateLogin,
        origin: &RequestOrigin,
    ) -> Result<SentLogin> {
        let flow = self.flow_of_client(client, &request.project_flow).await?;
        flow.ensure_usable_for_login()?;
        let contacts = LoginContacts {
            email: request.email,
            phone: request.phone,
        };
        let project = self.admit(&flow, &contacts, origin).await?;
        let now = self.clock.now();
        let name = request
            .name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| project.name.clone());
        let mut login = Login::start(&flow, name, &contacts, origin, now);
        if let Some(language) = request.language {
            login.language = language;
        }

        let prepared = self.prepare(&flow, &contacts, origin, now).await?;
        let new_codes = prepared.stored();
        let ttl = login.latest_expiry().unwrap_or(now);
        let mut stale_owner: Option<String> = None;
        // At most twice: a pointer left behind by a finished login is taken over once.
        for _ in 0..2 {
            match self
                .store
                .create(
                    &login.with_withheld(&flow.security),
                    &new_codes,
                    ttl,
                    stale_owner.as_deref(),
                    &prepared.charges,
                )
                .await?
            {
                CreateOutcome::Limited(charge) => return Err(charge.refusal(now)),
                CreateOutcome::Created => {
                    tracing::info!(login_id = %login.id, "login created");
                    self.deliver_all(&project, &flow, &login, &prepared.codes, origin)
                        .await?;
                    return Ok(SentLogin {
                        login,
                        existing: false,
                    });
                }
                CreateOutcome::ActiveLoginExists { login_id } => {
                    match self.store.get(&login_id).await? {
                        Some(existing) if existing.status == LoginStatus::Pending => {
                            tracing::info!(login_id = %login_id, "identifier has a pending login: re-sending");
                            let wanted: Vec<Channel> =
                                new_codes.iter().map(|c| c.channel).collect();
                            let login = self
                                .resend_login(existing, &wanted, &flow, &project, origin)
                                .await?;
                            return Ok(SentLogin {
                                login,
                                existing: true,
                            });
                        }
                        _ => stale_owner = Some(login_id),
                    }
                }
            }
        }
        Err(Error::conflict(
            "login_busy",
            "another login for this identifier is being created; try again",
        ))
    }

    /// Verifik's `POST /v2/{email,phone}-validations` with `type: login`:
    /// the browser asks with no key, so the flow alone names the tenant (the
    /// public-flow rules of a registration start). A resend inside the
    /// cooldown answers like a send and sends nothing, so the answer never
    /// tells a stranger that someone is signing in right now.
    ///
    /// With the login comes the flow's resend cooldown, whole whether or
    /// not this call sent: the wait before asking again, the same for
    /// anyone's identifier.
    pub async fn create_public(
        &self,
        request: CreateLogin,
        project: Option<&str>,
        origin: &RequestOrigin,
    ) -> Result<(Login, u32)> {
        let flow = self
            .flow_named(&request.project_flow, None, project)
            .await?;
        let cooldown = flow.login_settings.resend_cooldown_seconds;
        self.create_public_on(&flow, request, origin)
            .await
            .map(|login| (login, cooldown))
    }

    async fn create_public_on(
        &self,
        flow: &ProjectFlow,
        request: CreateLogin,
        origin: &RequestOrigin,
    ) -> Result<Login> {
        let client = ClientId(flow.client.clone());
        let channels = LoginContacts {
            email: request.email.clone(),
            phone: request.phone.clone(),
        };
        match self.create(&client, request.clone(), origin).await {
            Ok(sent) => Ok(sent.login),
            Err(Error::TooManyRequests {
                code: codes::RESEND_TOO_SOON,
                ..
            }) => {
                let identifier = channels
                    .channels()
                    .first()
                    .and_then(|c| channels.identifier(*c).map(|i| (*c, i)));
                let pending = match identifier {
                    Some((channel, identifier)) => {
                        self.store
                            .find_active(&flow.id, channel, &identifier)
                            .await?
                    }
                    None => None,
                };
                match pending {
                    Some(id) => self
                        .store
                        .get(&id)
                        .await?
                        .ok_or_else(|| Record::Flow.not_found()),
                    None => Err(Record::Flow.not_found()),
                }
            }
            Err(other) => Err(other),
        }
    }

    /// `POST /v2/app-logins/{id}/resend` and a registration's resend: a new
    /// code for each pending channel (or the one asked for). The old code
    /// dies; the attempt count stays. `registration` names the App
    /// Registration the session must belong to; `None` means a sign-in, and
    /// a registration's session is then not found.
    #[tracing::instrument(skip_all, fields(login_id = %login_id))]
    pub async fn resend(
        &self,
        login_id: &str,
        registration: Option<&str>,
        channel: Option<Channel>,
        origin: &RequestOrigin,
    ) -> Result<Login> {
        let login = self
            .store
            .get(login_id)
            .await?
            .filter(|login| login.registration.as_deref() == registration)
            .ok_or_else(|| Record::Login.not_found())?;
        let flow = self
            .directory
            .flow(&login.project_flow)
            .await?
            .ok_or_else(|| Record::Flow.not_found())?;
        let project = self.project_of(&flow).await?;
        project.check_origin(origin.web_origin.as_deref())?;
        let channels = match channel {
            Some(c) => vec![c],
            None => login.channels(),
        };
        self.resend_login(login, &channels, &flow, &project, origin)
            .await
    }

    async fn resend_login(
        &self,
        mut login: Login,
        channels: &[Channel],
        flow: &ProjectFlow,
        project: &Project,
        origin: &RequestOrigin,
    ) -> Result<Login> {
        if login.status != LoginStatus::Pending {
            return Err(Error::conflict(
                "login_not_pending",
                "this login is no longer pending",
            ));
        }
        let settings = &flow.login_settings;
        let now = self.clock.now();
        let mut resent = 0;
        for &channel in channels {
            let Some(validation) = login.validation(channel) else {
                return Err(Error::invalid(
                    codes::CHANNEL_NOT_REQUESTED,
                    format!("this login has no {channel} code"),
                ));
            };
            if validation.status != ValidationStatus::Pending {
                continue;
            }
            // Check the cooldown on the snapshot first, so a flood of resends
            // costs no bcrypt; the conditional write below stays the authority.
            let cooldown = i64::from(settings.resend_cooldown_seconds);
            let cooldown_edge = now.plus_seconds(-cooldown);
            if validation.delivery_status != DeliveryStatus::Failed
                && validation.sent_at > cooldown_edge
            {
                return Err(too_soon(now, validation.sent_at, cooldown));
            }
            let had_failures = validation.attempts > 0;
            let identifier = login.identifier(channel).unwrap_or_default();
            let code = OneTimeCode::generate();
            let hash = self.hasher.hash(&code).await?;
            let expires_at = now.plus_seconds(i64::from(settings.code_lifetime_seconds));
            let resent_to = LoginContacts {
                email: (channel == Channel::Email)
                    .then(|| Email::parse(&identifier).ok())
                    .flatten(),
                phone: (channel == Channel::Phone)
                    .then(|| {
                        Phone::parse(validation_country(&login), validation_number(&login)).ok()
                    })
                    .flatten(),
            };
            let charges = self.charges_for(flow, &resent_to, origin, now).await?;
            let replacement = CodeReplacement {
                delivery: if flow.security.permits(&identifier) {
                    DeliveryStatus::Sent
                } else {
                    DeliveryStatus::Withheld
                },
                charges,
                channel,
                identifier: identifier.clone(),
                hash,
                now,
                expires_at,
                cooldown_edge,
                // A login that has seen wrong codes is kept for audit; a
                // registration's session lives as long as any registration can.
                ttl: if login.registration.is_some() {
                    self.retention_end(now).plus_seconds(
                        i64::from(crate::domain::onboarding::MAX_LIFETIME_MINUTES) * 60,
                    )
                } else if had_failures {
                    self.retention_end(now)
                } else {
                    expires_at
                },
                event: origin.event(AccessEventKind::CodeResent, Some(channel), now),
            };
            match self.store.replace_code(&login, &replacement).await? {
                ReplaceOutcome::Replaced => {}
                ReplaceOutcome::TooSoon { last_sent_at } => {
                    return Err(too_soon(now, last_sent_at, cooldown))
                }
                ReplaceOutcome::Limited(charge) => return Err(charge.refusal(now)),
                ReplaceOutcome::NotPending => {
                    return Err(Error::conflict(
                        "login_not_pending",
                        "this login is no longer pending",
                    ));
                }
            }
            let to = PreparedCode {
                code,
                stored: NewCode {
                    channel,
                    identifier,
                    hash: replacement.hash.clone(),
                },
            };
            // The answer shows every send as sent: a withheld one must not show.
            login.apply_replacement(&CodeReplacement {
                delivery: DeliveryStatus::Sent,
                ..replacement
            });
            self.deliver(project, flow, &login, &to, origin).await?;
            resent += 1;
        }
        if resent == 0 {
            return Err(Error::conflict(
                codes::OTP_ALREADY_USED,
                "every code of this login is already verified",
            ));
        }
        Ok(login)
    }

    /// The abuse-limit charges of sending a code to each of `contacts`,
    /// after the SMS circuit breaker has let the flow send SMS at all.
    async fn charges_for(
        &self,
        flow: &ProjectFlow,
        contacts: &LoginContacts,
        origin: &RequestOrigin,
        now: Timestamp,
    ) -> Result<Vec<LimitCharge>> {
        let identifiers: Vec<(Channel, String)> = contacts
            .channels()
            .into_iter()
            .filter_map(|c| contacts.identifier(c).map(|i| (c, i)))
            .collect();
        let sends: Vec<Send> = identifiers
            .iter()
            .map(|(channel, identifier)| Send {
                channel: *channel,
                identifier,
                phone: contacts
                    .phone
                    .as_ref()
                    .filter(|_| *channel == Channel::Phone),
            })
            .collect();
        if contacts.phone.is_some() {
            let (start, end) = window_of(now, 3_600);
            let (sent, verified) = self
                .store
                .sms_tally(&self.limits.sms_tally_keys(&flow.id), &start.to_string())
                .await?;
            if self.limits.breaker_open(sent, verified) {
                tracing::warn!(project_flow = %flow.id, sent, verified, "SMS circuit breaker open");
                return Err(Error::TooManyRequests {
                    code: "sms_circuit_open",
                    message:
                        "SMS to this flow is paused: too few of the codes sent this hour were used"
                            .into(),
                    retry_after: Some(now.seconds_until(end).max(1)),
                });
            }
        }
        Ok(self.limits.send_charges(
            now,
            &flow.client,
            &flow.id,
            origin.ip_address.as_deref(),
            &sends,
            rand::random(),
        ))
    }

    /// The project behind `flow`, once `contacts` pass the flow's contact
    /// rule and the request's web origin is one the project accepts.
    pub(crate) async fn admit(
        &self,
        flow: &ProjectFlow,
        contacts: &LoginContacts,
        origin: &RequestOrigin,
    ) -> Result<Project> {
        let project = self.project_of(flow).await?;
        contacts.check_for(flow, &project)?;
        project.check_origin(origin.web_origin.as_deref())?;
        Ok(project)
    }

    /// Codes ready to store and send to each of `contacts`: the limit
    /// charges they cost, and a fresh code with its hash per channel.
    pub(crate) async fn prepare(
        &self,
        flow: &ProjectFlow,
        contacts: &LoginContacts,
        origin: &RequestOrigin,
        now: Timestamp,
    ) -> Result<PreparedCodes> {
        let charges = self.charges_for(flow, contacts, origin, now).await?;
        let mut codes = Vec::with_capacity(2);
        for channel in contacts.channels() {
            let code = OneTimeCode::generate();
            let hash = self.hasher.hash(&code).await?;
            codes.push(PreparedCode {
                code,
                stored: NewCode {
                    channel,
                    identifier: contacts.identifier(channel).unwrap_or_default(),
                    hash,
                },
            });
        }
        Ok(PreparedCodes { charges, codes })
    }

    /// Sends each prepared code; stops at the first failed delivery, which
    /// is recorded on the session.
    pub(crate) async fn deliver_all(
        &self,
        project: &Project,
        flow: &ProjectFlow,
        session: &Login,
        prepared: &[PreparedCode],
        origin: &RequestOrigin,
    ) -> Result<()> {
        for code in prepared {
            self.deliver(project, flow, session, code, origin).await?;
        }
        Ok(())
    }

    async fn deliver(
        &self,
        project: &Project,
        flow: &ProjectFlow,
        session: &Login,
        to: &PreparedCode,
        origin: &RequestOrigin,
    ) -> Result<()> {
        let (channel, identifier, code) =
            (to.stored.channel, to.stored.identifier.as_str(), &to.code);
        let login_id = session.id.as_str();
        let locale = Locale::from_language(&session.language);
        if !flow.security.permits(identifier) {
            // No enumeration: a denied identifier gets the same answer, after
            // about as long as a real send takes, and nothing is sent.
            tracing::info!(login_id, %channel, "identifier not permitted by the flow: code not sent");
            tokio::time::sleep(self.send_latency.pretend()).await;
            return Ok(());
        }
        let minutes = flow.login_settings.code_lifetime_seconds.div_ceil(60);
        let purpose = match flow.flow_type {
            crate::domain::FlowType::Login => Purpose::SignIn,
            crate::domain::FlowType::Onboarding => Purpose::SignUp,
        };
        let started = std::time::Instant::now();
        let sent = match channel {
            Channel::Email => {
                self.email
                    .send_email(&login_email(
                        project, identifier, code, minutes, purpose, locale,
                    ))
                    .await
            }
            Channel::Phone => {
                self.sms
                    .send_sms(&login_sms(
                        project, identifier, code, minutes, purpose, locale,
                    ))
                    .await
            }
        };
        if sent.is_ok() {
            self.send_latency.record(started.elapsed());
        }
        if let Err(error) = sent {
            tracing::warn!(login_id, %channel, error = %error, "code delivery failed");
            let event = origin.event(
                AccessEventKind::DeliveryFailed,
                Some(channel),
                self.clock.now(),
            );
            if let Err(mark_error) = self
                .store
                .mark_delivery_failed(login_id, channel, &event)
                .await
            {
                tracing::error!(login_id, error = %mark_error, "could not record the failed delivery");
            }
            return Err(Error::Delivery {
                channel: channel.as_str(),
                login_id: login_id.to_string(),
                source: Box::new(error),
            });
        }
        Ok(())
    }

    /// The client's flow `flow_id`; another tenant's answers as missing.
    pub(crate) async fn flow_of_client(
        &self,
        client: &ClientId,
        flow_id: &str,
    ) -> Result<ProjectFlow> {
        self.flow_named(flow_id, Some(client), None).await
    }

    /// Flow `flow_id`, which must belong to `client` and `project` where
    /// they are given; any other answers exactly like a missing flow.
    pub(crate) async fn flow_named(
        &self,
        flow_id: &str,
        client: Option<&ClientId>,
        project: Option<&str>,
    ) -> Result<ProjectFlow> {
        Record::Flow.id(flow_id)?;
        self.directory
            .flow(flow_id)
            .await?
            .filter(|f| client.is_none_or(|c| c.as_str() == f.client))
            .filter(|f| project.is_none_or(|p| p == f.project))
            .ok_or_else(|| Record::Flow.not_found())
    }

    pub(crate) async fn project_of(&self, flow: &ProjectFlow) -> Result<Project> {
        match self.directory.project(&flow.project).await? {
            Some(project) if project.client == flow.client && project.archived_at.is_none() => {
                Ok(project)
            }
            _ => Err(Record::Project.not_found()),
        }
    }

    fn retention_end(&self, now: Timestamp) -> Timestamp {
        now.plus_seconds(self.retention.as_secs() as i64)
    }
}

fn validation_country(login: &Login) -> &str {
    login
        .phone_validation
        .as_ref()
        .and_then(|v| v.country_code.as_deref())
        .unwrap_or_default()
}

fn validation_number(login: &Login) -> &str {
    login
        .phone_validation
        .as_ref()
        .and_then(|v| v.phone.as_deref())
        .unwrap_or_default()
}

/// A code to send, and the hash to store for it.
pub(crate) struct PreparedCode {
    pub code: OneTimeCode,
    pub stored: NewCode,
}

/// What `prepare` made: the charges and the codes of one send.
pub(crate) struct PreparedCodes {
    pub charges: Vec<LimitCharge>,
    pub codes: Vec<PreparedCode>,
}

impl PreparedCodes {
    /// The hashes to store.
    pub fn stored(&self) -> Vec<NewCode> {
        self.codes.iter().map(|p| p.stored.clone()).collect()
    }
}

fn too_soon(now: Timestamp, last_sent_at: Timestamp, cooldown_seconds: i64) -> Error {
    Error::TooManyRequests {
        code: codes::RESEND_TOO_SOON,
        message: "a code was sent moments ago; wait before asking again".into(),
        retry_after: Some(
            now.seconds_until(last_sent_at.plus_seconds(cooldown_seconds))
                .max(1),
        ),
    }
}
