//! `POST /v2/app-registrations`.
//!
//! Starting again with an identifier that already has a registration
//! creates a new, separate registration: the earlier one keeps all of its
//! progress, and the answer looks exactly like a first start (same status,
//! same shape), so it reveals nothing about who is enrolled. Only the
//! client sees the reuse, as an `identifier_reused` red flag.

use super::Registrations;
use crate::domain::login::{LoginContacts, RequestOrigin};
use crate::domain::registration::{analytics_delta, Enrollee, RedFlagCode};
use crate::domain::{ClientId, Email, Login, Phone, Registration};
use crate::error::{Error, Result};
use crate::ports::{LoginStore, NewSession, Ports, RegistrationStore, ReuseKeys};

/// This many earlier registrations of one identifier in 30 days raise
/// `identifier_reused`.
pub const IDENTIFIER_REUSE_THRESHOLD: u64 = 2;
/// This many earlier registrations from one IP in the hour raise `ip_velocity`.
pub const IP_VELOCITY_THRESHOLD: u64 = 5;

#[derive(Clone, Debug)]
pub struct StartRegistration {
    pub project_flow: String,
    /// When given (Verifik's front end sends it), the flow's project.
    pub project: Option<String>,
    /// The consent the front end showed, kept with the registration.
    pub agreements: Option<serde_json::Value>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub language: String,
}

#[derive(Clone, Debug)]
pub struct StartedRegistration {
    pub registration: Registration,
    /// The enrollee token: 120 minutes, this registration only.
    pub token: String,
    /// False when a code could not be delivered; a resend may work later.
    pub sent: bool,
}

impl<P: Ports> Registrations<P> {
    /// Starts an onboarding. Enrollees' browsers call it with the flow id
    /// alone; a client's backend may add its API key, which must then be
    /// the flow's own tenant.
    #[tracing::instrument(skip_all, fields(project_flow = %request.project_flow))]
    pub async fn start(
        &self,
        client: Option<&ClientId>,
        request: StartRegistration,
        origin: &RequestOrigin,
    ) -> Result<StartedRegistration> {
        let flow = self
            .codes
            .send
            .flow_named(&request.project_flow, client, request.project.as_deref())
            .await?;
        flow.ensure_usable_for_onboarding()?;
        let contacts = LoginContacts {
            email: request.email.clone(),
            phone: request.phone.clone(),
        };
        let project = self.codes.send.admit(&flow, &contacts, origin).await?;

        let now = self.clock.now();
        let enrollee = Enrollee {
            email: request.email,
            phone: request.phone,
            first_name: request.first_name,
            last_name: request.last_name,
            full_name: request.full_name,
            language: request.language,
        };
        let name = enrollee
            .full_name
            .clone()
            .unwrap_or_else(|| project.name.clone());
        let mut session = Login::start(&flow, name, &contacts, origin, now);
        let mut registration =
            Registration::start(&flow, &enrollee, session.id.clone(), origin, now);
        if let Some(agreements) = request.agreements {
            registration
                .information
                .insert("agreements".into(), agreements);
        }
        session.registration = Some(registration.id.clone());
        session.language = registration.language.clone();
        registration.absorb_contacts(&session, now);

        let reuse = ReuseKeys {
            client: flow.client.clone(),
            identifiers: contacts
                .channels()
                .into_iter()
                .filter_map(|c| contacts.identifier(c))
                .map(|i| crate::domain::contact::mailbox_key(&i))
                .collect(),
            ip_address: origin.ip_address.clone(),
            hour: now.to_string()[..13].to_string(),
            now,
        };
        let signals = self.store.reuse_signals(&reuse).await?;
        if signals.identifier_registrations >= IDENTIFIER_REUSE_THRESHOLD {
            registration.flag(
                RedFlagCode::IdentifierReused,
                format!(
                    "this email or phone started {} other registrations in 30 days",
                    signals.identifier_registrations
                ),
                now,
            );
        }
        if signals.ip_registrations_this_hour >= IP_VELOCITY_THRESHOLD {
            registration.flag(
                RedFlagCode::IpVelocity,
                format!(
                    "{} other registrations from this IP this hour",
                    signals.ip_registrations_this_hour
                ),
                now,
            );
        }
        registration.recompute(&flow, now);
        registration.version = 1;

        let prepared = self
            .codes
            .send
            .prepare(&flow, &contacts, origin, now)
            .await?;
        // The session lives as long as its registration can be read.
        let ttl = registration
            .expires_at
            .plus_seconds(self.codes.send.retention().as_secs() as i64);
        // Stored copies say which codes the security lists withheld; the
        // caller's answer is rendered from the unmarked ones.
        let stored_session = session.with_withheld(&flow.security);
        let mut stored_registration = registration.clone();
        stored_registration.absorb_contacts(&stored_session, now);
        let refused = self
            .store
            .create(
                &stored_registration,
                &NewSession {
                    login: &stored_session,
                    codes: &prepared.stored(),
                    ttl,
                    charges: &prepared.charges,
                },
                &reuse,
                &analytics_delta(None, &registration),
            )
            .await?;
        if let Some(charge) = refused {
            return Err(charge.refusal(now));
        }
        tracing::info!(registration_id = %registration.id, "registration started");
        let token = self.enrollee_token(&registration, now, super::ENROLLEE_TOKEN_SECONDS)?;

        let sent = match self
            .codes
            .send
            .deliver_all(&project, &flow, &session, &prepared.codes, origin)
            .await
        {
            Ok(()) => true,
            Err(Error::Delivery { .. }) => {
                // The session says which channel failed; show it, and let
                // the enrollee ask for a resend.
                if let Some(session) = self.codes.send.store().get(&session.id).await? {
                    registration.absorb_contacts(&session, now);
                }
                false
            }
            Err(other) => return Err(other),
        };
        Ok(StartedRegistration {
            registration,
            token,
            sent,
        })
    }
}
