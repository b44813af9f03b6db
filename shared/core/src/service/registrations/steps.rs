//! Moving a registration forward: contact codes, submitted data, external
//! results, and sync.

use super::{enrollee_not_allowed, Audited, Caller, Registrations};
use crate::domain::login::{AccessEventKind, RequestOrigin};
use crate::domain::onboarding::StepName;
use crate::domain::operator::{Actor, AuditAction};
use crate::domain::registration::{
    ManualReview, NewResult, RedFlagCode, ReviewDecision, StepStatus,
};
use crate::domain::{Channel, Login, OneTimeCode, Registration};
use crate::error::{codes, Error, Result};
use crate::ports::{LoginStore, Ports};
use crate::service::{LoginRef, ValidateLogin};
use serde_json::{Map, Value};

/// Submitted step data is stored inline: this keeps an item far from
/// DynamoDB's 400 KB limit.
pub const MAX_INFORMATION_BYTES: usize = 8 * 1024;

/// An operator's decision on a held registration.
#[derive(Clone, Debug)]
pub struct Review {
    pub decision: ReviewDecision,
    /// Who decided, as the client names them, such as `ops:maria`.
    pub reviewer: String,
    pub reason: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ContactCheck {
    pub channel: Channel,
    pub otp: OneTimeCode,
}

/// What a front end's sync says.
#[derive(Clone, Debug)]
pub enum SyncClaim {
    /// Verifik's `{step, status}`: compared with the server's view and
    /// logged, never obeyed.
    Step { step: StepName, status: String },
    /// Verifik's `{step: "skipKYC", status: "COMPLETED_WITHOUT_KYC"}`: stop
    /// after the sign-up form, where the flow allows it.
    SkipKyc,
}

/// An active registration and a fresh, short-lived enrollee token for it.
#[derive(Clone, Debug)]
pub struct ResumedRegistration {
    pub registration: Registration,
    pub token: String,
    pub expires_in: i64,
}

#[derive(Clone, Debug)]
pub struct SyncedRegistration {
    pub registration: Registration,
    /// The end user's token once the registration completed; before that,
    /// once the sign-up form passed, a fresh enrollee token to continue
    /// with (Verifik's front end expects one from its `signUpForm` sync).
    pub token: Option<String>,
}

impl<P: Ports> Registrations<P> {
    async fn session(&self, registration: &Registration) -> Result<Login> {
        self.codes
            .send
            .store()
            .get(&registration.verification_session)
            .await?
            .ok_or_else(|| Error::internal("registration without its code session"))
    }

    /// `POST /v2/app-registrations/{id}/validate`: one contact code, under
    /// the login code rules. Every outcome lands on the registration.
    #[tracing::instrument(skip_all, fields(registration_id = %id, channel = %check.channel))]
    pub async fn validate_contact(
        &self,
        caller: &Caller,
        id: &str,
        check: ContactCheck,
        origin: &RequestOrigin,
    ) -> Result<Registration> {
        let (registration, _) = self.update(caller, id, true, |_, _, _| Ok(())).await?;
        if registration
            .step(StepName::SignUpForm)
            .is_some_and(|s| s.status != StepStatus::Pending)
        {
            return Err(Error::conflict(
                "signUpForm_already_decided",
                "contact verification for this registration is already decided",
            ));
        }
        let channel = check.channel;
        let checked = self
            .codes
            .check
            .check(
                ValidateLogin {
                    login: LoginRef::Id(registration.verification_session.clone()),
                    channel: Some(channel),
                    otp: check.otp,
                },
                Some(&registration.id),
                origin,
            )
            .await;
        let session = match &checked {
            Ok(session) => session.clone(),
            Err(_) => self.session(&registration).await?,
        };
        let failure = checked.as_ref().err().map(|e| e.to_string());
        let (registration, _) = self
            .update_from(caller, id, Some(registration), false, |r, _, now| {
                r.absorb_contacts(&session, now);
                let kind = match &failure {
                    None => AccessEventKind::ChannelValidated,
                    Some(reason) => {
                        r.record_failed_validation(
                            StepName::SignUpForm,
                            format!("{channel}: {reason}"),
                            now,
                        );
                        AccessEventKind::CheckFailed
                    }
                };
                r.log(origin.event(kind, Some(channel), now));
                Ok(())
            })
            .await?;
        checked.map(|_| registration)
    }

    /// `POST /v2/app-registrations/{id}/resend`: the login resend rules
    /// (cooldown, attempts kept, old code dead) on the registration's session.
    #[tracing::instrument(skip_all, fields(registration_id = %id))]
    pub async fn resend(
        &self,
        caller: &Caller,
        id: &str,
        channel: Option<Channel>,
        origin: &RequestOrigin,
    ) -> Result<Registration> {
        let (registration, _) = self.update(caller, id, true, |_, _, _| Ok(())).await?;
        let resent = self
            .codes
            .send
            .resend(
                &registration.verification_session,
                Some(&registration.id),
                channel,
                origin,
            )
            .await;
        let session = self.session(&registration).await?;
        let (registration, _) = self
            .update_from(caller, id, Some(registration), false, |r, _, now| {
                r.absorb_contacts(&session, now);
                if resent.is_ok() {
                    r.log(origin.event(AccessEventKind::CodeResent, channel, now));
                }
                Ok(())
            })
            .await?;
        resent.map(|_| registration)
    }

    /// `POST /v2/app-registrations/{id}/verification-results`: an external
    /// verifier's result, accepted only from the client's backend.
    #[tracing::instrument(skip_all, fields(registration_id = %id, step = %result.step))]
    pub async fn report_result(
        &self,
        caller: &Caller,
        id: &str,
        result: NewResult,
        origin: &RequestOrigin,
    ) -> Result<Registration> {
        let Caller::Client(client) = caller else {
            return Err(enrollee_not_allowed());
        };
        if !result.step.is_external() {
            return Err(Error::invalid(
                "step_not_external",
                format!(
                    "{} is not decided by an external verifier; use document, liveness or criminalHistory",
                    result.step
                ),
            ));
        }
        let reporter = format!("client:{client}");
        let (registration, _) = self
            .update(caller, id, true, |r, flow, now| {
                ensure_step_in_flow(r, result.step)?;
                if flow
                    .onboarding_settings
                    .identity_verification
                    .gatehouse_verifies()
                    && matches!(result.step, StepName::Document | StepName::Liveness)
                {
                    return Err(Error::conflict(
                        "step_verified_by_gatehouse",
                        format!(
                            "Gatehouse verifies {} itself on this projectFlow; it takes no reported result",
                            result.step
                        ),
                    ));
                }
                r.apply_result(&result, &reporter, now);
                r.log(origin.event(AccessEventKind::ResultReported, None, now));
                Ok(())
            })
            .await?;
        Ok(registration)
    }

    /// `POST /v2/app-registrations/{id}/review`: an operator settles a
    /// registration held in NEEDS_MANUAL_VERIFICATION, from the client's
    /// backend only. Approval completes it (its next sync returns the user
    /// token); rejection fails it. The decision goes in the audit log under
    /// `actor`, in the same write.
    #[tracing::instrument(skip_all, fields(registration_id = %id, decision = ?review.decision))]
    pub async fn review(
        &self,
        caller: &Caller,
        actor: Actor,
        id: &str,
        review: Review,
        origin: &RequestOrigin,
    ) -> Result<Registration> {
        let Review {
            decision,
            reviewer,
            reason,
        } = review;
        let Caller::Client(client) = caller else {
            return Err(enrollee_not_allowed());
        };
        let reported_by = format!("client:{client}");
        let audited = Audited {
            actor,
            action: match decision {
                ReviewDecision::Approve => AuditAction::RegistrationApproved,
                ReviewDecision::Reject => AuditAction::RegistrationRejected,
            },
            detail: Some(match &reason {
                Some(reason) => format!("by {reviewer}: {reason}"),
                None => format!("by {reviewer}"),
            }),
        };
        let (registration, _) = self
            .update_audited(caller, id, &audited, |r, _, now| {
                let settled = r.settle_review(ManualReview {
                    decision,
                    reviewer: reviewer.clone(),
                    reported_by: reported_by.clone(),
                    reason: reason.clone(),
                    decided_at: now,
                });
                if !settled {
                    return Err(Error::conflict(
                        "appRegistration_not_awaiting_review",
                        format!(
                            "this registration is {}; only one in NEEDS_MANUAL_VERIFICATION can be reviewed",
                            r.status.as_str()
                        ),
                    ));
                }
                r.log(origin.event(AccessEventKind::ManualReview, None, now));
                Ok(())
            })
            .await?;
        Ok(registration)
    }

    /// `POST /v2/app-registrations/{id}/resume`: the client's backend asks
    /// for a fresh enrollee token (30 minutes, like Verifik's resume link)
    /// so an enrollee whose 120-minute token ran out can carry on. Only an
    /// active registration can be resumed; each resume is logged.
    #[tracing::instrument(skip_all, fields(registration_id = %id))]
    pub async fn resume(
        &self,
        caller: &Caller,
        id: &str,
        origin: &RequestOrigin,
    ) -> Result<ResumedRegistration> {
        if let Caller::Enrollee(_) = caller {
            return Err(enrollee_not_allowed());
        }
        let (registration, _) = self
            .update(caller, id, true, |r, _, now| {
                r.log(origin.event(AccessEventKind::Resumed, None, now));
                Ok(())
            })
            .await?;
        let token =
            self.enrollee_token(&registration, self.clock.now(), super::RESUME_TOKEN_SECONDS)?;
        Ok(ResumedRegistration {
            registration,
            token,
            expires_in: super::RESUME_TOKEN_SECONDS,
        })
    }

    /// `PUT /v2/app-registrations/{id}/information`: `basicInformation` or
    /// `form` (custom fields and signature) data.
    #[tracing::instrument(skip_all, fields(registration_id = %id, step = %step))]
    pub async fn submit_information(
        &self,
        caller: &Caller,
        id: &str,
        step: StepName,
        data: Map<String, Value>,
        origin: &RequestOrigin,
    ) -> Result<Registration> {
        if !step.is_submitted_data() {
            return Err(Error::invalid(
                "step_not_submitted_data",
                format!("{step} is not submitted by the enrollee; use basicInformation or form"),
            ));
        }
        let size = serde_json::to_vec(&data)
            .map(|b| b.len())
            .unwrap_or(usize::MAX);
        if size > MAX_INFORMATION_BYTES {
            return Err(Error::TooLarge {
                code: "information_too_large",
                message: format!(
                    "data is {size} bytes; the limit is {MAX_INFORMATION_BYTES} bytes"
                ),
            });
        }
        storable(&Value::Object(data.clone()), 0)?;
        if step == StepName::BasicInformation {
            for name in ["firstName", "lastName", "fullName"] {
                match data.get(name) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 120 => {}
                    Some(_) => {
                        return Err(Error::invalid(
                            codes::INVALID_PARAMETER,
                            format!(
                                "data.{name} must be a non-empty string of at most 120 characters"
                            ),
                        ))
                    }
                }
            }
        }
        let (registration, _) = self
            .update(caller, id, true, |r, _, now| {
                ensure_step_in_flow(r, step)?;
                r.submit_information(step, data.clone(), now);
                r.log(origin.event(AccessEventKind::InformationSubmitted, None, now));
                Ok(())
            })
            .await?;
        Ok(registration)
    }

    /// Verifik's `POST /v2/{email,phone}-validations` with `type:
    /// onboarding`: makes sure a code for `channel` is on its way. The start
    /// already sent one; inside the resend cooldown nothing is sent again
    /// and the registration is answered as it stands.
    pub async fn ensure_code(
        &self,
        caller: &Caller,
        id: &str,
        channel: Channel,
        origin: &RequestOrigin,
    ) -> Result<Registration> {
        match self.resend(caller, id, Some(channel), origin).await {
            Err(Error::TooManyRequests {
                code: codes::RESEND_TOO_SOON,
                ..
            }) => self.load(caller, id).await,
            other => other,
        }
    }

    /// `PUT /v2/app-registrations/{id}/sync`: the server decides the status
    /// from the step results and the clock; a claim in the body is only
    /// compared and logged. A completed registration gets the user token.
    #[tracing::instrument(skip_all, fields(registration_id = %id))]
    pub async fn sync(
        &self,
        caller: &Caller,
        id: &str,
        claim: Option<SyncClaim>,
        origin: &RequestOrigin,
    ) -> Result<SyncedRegistration> {
        let current = self.load(caller, id).await?;
        let session = self.session(&current).await?;
        let (registration, _) = self
            .update_from(caller, id, Some(current), false, |r, flow, now| {
                r.absorb_contacts(&session, now);
                if let Some(SyncClaim::SkipKyc) = &claim {
                    r.recompute(flow, now);
                    return r.skip_kyc(flow);
                }
                if let Some(SyncClaim::Step { step, status }) = &claim {
                    let server = r.step(*step).map(|s| s.status);
                    let claimed_done = matches!(
                        status.to_ascii_lowercase().as_str(),
                        "completed" | "passed" | "done" | "success"
                    );
                    if claimed_done && server != Some(StepStatus::Passed) {
                        r.flag(
                            RedFlagCode::ClientStatusMismatch,
                            format!(
                                "the front end reported {step} as {status} before the server saw it pass"
                            ),
                            now,
                        );
                        r.log(origin.event(AccessEventKind::ClientReportedStatus, None, now));
                    }
                }
                Ok(())
            })
            .await?;
        let now = self.clock.now();
        let token = match self.user_token(&registration, now)? {
            Some(user) => Some(user),
            None if registration.status.is_active()
                && registration
                    .step(StepName::SignUpForm)
                    .is_some_and(|s| s.status == StepStatus::Passed) =>
            {
                // Never past the registration's own end.
                let left = now.seconds_until(registration.expires_at);
                Some(self.enrollee_token(
                    &registration,
                    now,
                    (left as i64).min(super::ENROLLEE_TOKEN_SECONDS),
                )?)
            }
            None => None,
        };
        Ok(SyncedRegistration {
            registration,
            token,
        })
    }
}

/// What DynamoDB can store: nesting at most 8 deep (it allows 32), no
/// empty field names, and numbers within its range (about 1e-130 to 1e125,
/// 38 digits).
fn storable(value: &Value, depth: usize) -> Result<()> {
    let too_deep = || {
        Error::invalid(
            codes::INVALID_PARAMETER,
            "data is nested more than 8 levels deep",
        )
    };
    match value {
        Value::Object(map) => {
            if depth >= 8 {
                return Err(too_deep());
            }
            // DynamoDB refuses an empty attribute name, nested ones too.
            if map.contains_key("") {
                return Err(Error::invalid(
                    codes::INVALID_PARAMETER,
                    "data holds an empty field name",
                ));
            }
            map.values().try_for_each(|v| storable(v, depth + 1))
        }
        Value::Array(items) => {
            if depth >= 8 {
                return Err(too_deep());
            }
            items.iter().try_for_each(|v| storable(v, depth + 1))
        }
        Value::Number(n) => {
            let ok = n
                .as_f64()
                .is_some_and(|f| f == 0.0 || (f.is_finite() && (1e-100..1e100).contains(&f.abs())))
                && n.to_string().trim_start_matches('-').len() <= 38;
            if ok {
                Ok(())
            } else {
                Err(Error::invalid(
                    codes::INVALID_PARAMETER,
                    "data holds a number outside what can be stored (1e-100 to 1e100, 38 digits)",
                ))
            }
        }
        _ => Ok(()),
    }
}

pub(super) fn ensure_step_in_flow(registration: &Registration, step: StepName) -> Result<()> {
    if registration.step(step).is_none() {
        return Err(Error::conflict(
            "step_not_in_flow",
            format!("this registration's flow skips {step}"),
        ));
    }
    Ok(())
}
