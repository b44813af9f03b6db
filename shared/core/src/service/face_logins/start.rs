//! Binding a liveness session to a login: face first, the face after the
//! codes, or a face added by a signed-in user.

use super::{face_settings, FaceCaller, FaceLogins};
use crate::domain::ids::Record;
use crate::domain::login::{
    AccessEventKind, BiometricValidation, FaceGuard, FacePurpose, RequestOrigin, SessionGuard,
};
use crate::domain::{Email, Login, LoginStatus, Phone, Project, ProjectFlow, Timestamp};
use crate::error::{Error, Result};
use crate::ports::{
    CreateOutcome, Directory, FaceEngine, FaceSaved, IdentityPorts, LivenessOutput, LoginStore,
};

/// Who the face is: the identifier it is enrolled under.
#[derive(Clone, Debug)]
pub enum FaceIdentifier {
    Email(Email),
    Phone(Phone),
}

impl FaceIdentifier {
    /// The lowercased email or the E.164 phone: what onboarding and code
    /// logins enrol and sign in under.
    pub fn canonical(&self) -> String {
        match self {
            FaceIdentifier::Email(email) => email.as_str().to_string(),
            FaceIdentifier::Phone(phone) => phone.e164.clone(),
        }
    }
}

/// `POST /v2/biometric-validations`, validated.
#[derive(Clone, Debug)]
pub struct StartFaceLogin {
    pub project_flow: String,
    pub project: Option<String>,
    pub identifier: FaceIdentifier,
    pub name: Option<String>,
    pub language: Option<String>,
}

/// A session bound to a login, for the client's liveness component.
#[derive(Clone, Debug)]
pub struct StartedFace {
    pub login: Login,
    pub session_id: String,
    pub expires_at: Timestamp,
    /// For a sign-in: the token the check is submitted with.
    pub face_token: Option<String>,
}

fn session_active() -> Error {
    Error::conflict(
        "liveness_session_active",
        "this login has a liveness session in progress; finish it or let it expire",
    )
}

impl<P: IdentityPorts> FaceLogins<P> {
    /// `POST /v2/biometric-validations`: a new login whose only factor is
    /// the face. Public, like the code forms: the flow names the tenant.
    #[tracing::instrument(skip_all, fields(project_flow = %request.project_flow))]
    pub async fn start(
        &self,
        request: StartFaceLogin,
        origin: &RequestOrigin,
    ) -> Result<StartedFace> {
        Record::Flow.id(&request.project_flow)?;
        let flow = self
            .directory
            .flow(&request.project_flow)
            .await?
            .filter(|f| request.project.as_deref().is_none_or(|p| p == f.project))
            .ok_or_else(|| Record::Flow.not_found())?;
        flow.ensure_usable_for_login()?;
        face_settings(&flow)?;
        if flow.login_settings.requires_2fa {
            return Err(Error::conflict(
                "face_is_second_factor",
                "this projectFlow asks for the face after a code: start with the code",
            ));
        }
        let project = self.project_of(&flow, origin).await?;
        if let FaceIdentifier::Phone(phone) = &request.identifier {
            flow.ensure_country_allowed(&project, phone)?;
        }
        let identifier = request.identifier.canonical();
        let now = self.clock.now();
        let name = request
            .name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| project.name.clone());
        let mut login = Login::start_face(&flow, name, identifier.clone(), origin, now);
        if let Some(language) = request.language {
            login.language = language;
        }
        self.ensure_not_locked(&self.subjects(&login, &identifier, origin), now)
            .await?;
        let charges: Vec<_> = origin
            .ip_address
            .as_deref()
            .map(|ip| self.limits.face_start_charge(now, ip))
            .into_iter()
            .collect();
        self.bind_session(&mut login, origin, now).await?;
        match self
            .logins
            .create(&login, &[], self.retention_end(now), None, &charges)
            .await?
        {
            CreateOutcome::Created => {}
            CreateOutcome::Limited(charge) => return Err(charge.refusal(now)),
            CreateOutcome::ActiveLoginExists { .. } => {
                return Err(Error::internal("a face login holds no identifier pointer"))
            }
        }
        tracing::info!(login_id = %login.id, "face login started");
        self.started(login, true, now)
    }

    /// `POST /v2/biometric-validations/app-login`: with a face-step token,
    /// the face after the codes; with a sign-in token, a face added to the
    /// signed-in user (Verifik's `showFaceLivenessRecommendation`).
    #[tracing::instrument(skip_all)]
    pub async fn start_for_login(
        &self,
        caller: &FaceCaller,
        origin: &RequestOrigin,
    ) -> Result<StartedFace> {
        let mut login = self.login_of(caller).await?;
        let (flow, _) = self.face_flow(&login.project_flow).await?;
        self.project_of(&flow, origin).await?;
        let now = self.clock.now();
        let read_status = login.status;
        let previous = login
            .biometric_validation
            .as_ref()
            .and_then(|b| b.session_id.clone());
        let live_session = login.biometric_validation.as_ref().is_some_and(|b| {
            b.used_at.is_none() && b.session_expires_at.is_some_and(|end| now <= end)
        });
        match caller {
            FaceCaller::Step(_) => {
                let owed = login
                    .biometric_validation
                    .as_ref()
                    .is_some_and(|b| b.purpose == FacePurpose::SecondFactor)
                    && login.face_pending();
                if login.status != LoginStatus::Pending || !owed || !login.codes_verified() {
                    return Err(Error::conflict(
                        "face_step_not_pending",
                        "this login does not wait for a face",
                    ));
                }
                if live_session {
                    return Err(session_active());
                }
            }
            FaceCaller::Session(_) => {
                if login.status != LoginStatus::Validated {
                    return Err(Record::Login.not_found());
                }
                if !login.enrolment_open(now) {
                    return Err(Error::conflict(
                        "face_enrolment_window_closed",
                        "a face is added within 10 minutes of the code that proved the \
                         identifier: sign in with a code again",
                    ));
                }
                match &login.biometric_validation {
                    Some(b) if b.purpose != FacePurpose::Enrolment => {
                        return Err(Error::conflict(
                            "face_already_verified",
                            "this sign-in already checked a face",
                        ))
                    }
                    Some(_) if live_session => return Err(session_active()),
                    _ => {}
                }
                let identifier = login
                    .verified_identifier()
                    .ok_or_else(|| Record::Login.not_found())?;
                login.biometric_validation = Some(BiometricValidation::new(
                    FacePurpose::Enrolment,
                    identifier,
                    origin,
                    now,
                ));
            }
        }
        let identifier = login
            .biometric_validation
            .as_ref()
            .map(|b| b.identifier.clone())
            .unwrap_or_default();
        self.ensure_not_locked(&self.subjects(&login, &identifier, origin), now)
            .await?;
        if let Some(ip) = origin.ip_address.as_deref() {
            let charge = self.limits.face_start_charge(now, ip);
            if !self.logins.charge(&charge).await? {
                return Err(charge.refusal(now));
            }
        }
        self.bind_session(&mut login, origin, now).await?;
        let guard = FaceGuard {
            status: read_status,
            session: SessionGuard::Replaces(previous),
        };
        let saved = self
            .logins
            .save_face(&login, &guard, self.retention_end(now), None)
            .await?;
        if saved == FaceSaved::Refused {
            return Err(session_active());
        }
        let sign_in = matches!(caller, FaceCaller::Step(_));
        self.started(login, sign_in, now)
    }

    /// Starts a liveness session and binds it to the login.
    async fn bind_session(
        &self,
        login: &mut Login,
        origin: &RequestOrigin,
        now: Timestamp,
    ) -> Result<()> {
        let session_id = self
            .faces
            .start_liveness(&LivenessOutput {
                bucket: self.bucket.clone(),
                key_prefix: format!("{}liveness/", Self::image_prefix(login)),
            })
            .await?;
        if let Some(face) = login.biometric_validation.as_mut() {
            face.bind(session_id, now);
        }
        login.access_control_log.push(origin.event(
            AccessEventKind::LivenessSessionStarted,
            None,
            now,
        ));
        login.updated_at = now;
        Ok(())
    }

    fn started(&self, login: Login, sign_in: bool, now: Timestamp) -> Result<StartedFace> {
        let face = login
            .biometric_validation
            .as_ref()
            .ok_or_else(|| Error::internal("a face step without its validation"))?;
        let session_id = face.session_id.clone().unwrap_or_default();
        let expires_at = face.session_expires_at.unwrap_or(now);
        let face_token = if sign_in {
            Some(self.tokens.sign_face_step_for(&login, now)?)
        } else {
            None
        };
        Ok(StartedFace {
            login,
            session_id,
            expires_at,
            face_token,
        })
    }

    /// The flow's project, if the browser's origin may use it.
    async fn project_of(&self, flow: &ProjectFlow, origin: &RequestOrigin) -> Result<Project> {
        let project = match self.directory.project(&flow.project).await? {
            Some(project) if project.client == flow.client && project.archived_at.is_none() => {
                project
            }
            _ => return Err(Record::Project.not_found()),
        };
        project.check_origin(origin.web_origin.as_deref())?;
        Ok(project)
    }
}
