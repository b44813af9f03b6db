//! Projects and project flows: the configuration that App Logins follow.

use super::contact::{Channel, Phone};
pub use super::onboarding::{
    ManualVerification, OnboardingSettings, OnboardingSteps, Requirement, StepName,
};
use super::time::Timestamp;
use crate::domain::ids::Record;
use crate::error::{codes, Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Branding {
    pub logo: Option<String>,
    pub button_color: Option<String>,
    pub button_text_color: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    #[serde(rename = "_id")]
    pub id: String,
    pub client: String,
    pub name: String,
    /// ISO 3166 alpha-2 codes; empty means every country.
    #[serde(default)]
    pub allowed_countries: Vec<String>,
    pub contact_email: Option<String>,
    #[serde(default)]
    pub privacy_url: Option<String>,
    #[serde(default)]
    pub terms_url: Option<String>,
    #[serde(default)]
    pub branding: Branding,
    /// Browser origins allowed to send codes for this project, within the
    /// stack's own list; empty means the stack's list alone decides.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Set when deleted through the API: kept for audit, never used again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<Timestamp>,
}

impl Project {
    /// A request from `origin` (its `Origin` header; none from a server)
    /// may act for this project only if the project lists no
    /// `allowedOrigins` or lists this one: a browser may send codes for a
    /// project only from one of its origins.
    pub fn check_origin(&self, origin: Option<&str>) -> Result<()> {
        match origin {
            Some(origin)
                if !self.allowed_origins.is_empty()
                    && !self.allowed_origins.iter().any(|o| o == origin) =>
            {
                Err(Error::Forbidden {
                    code: codes::ORIGIN_NOT_ALLOWED,
                    message: format!(
                        "this project does not accept requests from the web origin {}: add it \
                         to the project's allowedOrigins",
                        origin.chars().take(256).collect::<String>()
                    ),
                })
            }
            _ => Ok(()),
        }
    }
}

/// An exact web origin, `scheme://host[:port]`, lowercased: https, or http
/// for localhost only. No path, query, wildcard or `null`.
pub fn web_origin(value: &str) -> Option<String> {
    let url = url::Url::parse(value).ok()?;
    let host = url.host_str()?;
    let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && local);
    let bare = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && !value.trim_end_matches('/').contains(['*', '?', '#'])
        && value.trim_end_matches('/').matches('/').count() == 2;
    (scheme_ok && bare).then(|| url.origin().ascii_serialization())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowType {
    Login,
    Onboarding,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowStatus {
    Draft,
    Active,
    Paused,
}

/// How a login flow sends and checks codes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct LoginSettings {
    pub email: bool,
    pub phone: bool,
    /// Two factors (Verifik's `requires2FA`): both codes, or a code and
    /// the face when `faceLiveness` is on.
    #[serde(rename = "requires2FA")]
    pub requires_2fa: bool,
    pub code_lifetime_seconds: u32,
    pub max_attempts: u32,
    pub resend_cooldown_seconds: u32,
    /// Face sign-in (Verifik's `faceLiveness`): alone, or after the codes
    /// when `requires2FA` is set.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::face_settings::face_liveness_setting"
    )]
    pub face_liveness: Option<super::face_settings::FaceLoginSettings>,
}

impl Default for LoginSettings {
    fn default() -> Self {
        Self {
            email: true,
            phone: false,
            requires_2fa: false,
            code_lifetime_seconds: 600,
            max_attempts: 5,
            resend_cooldown_seconds: 60,
            face_liveness: None,
        }
    }
}

impl LoginSettings {
    pub const MAX_CODE_LIFETIME: u32 = 600;

    pub fn validate(&self) -> Result<()> {
        if !self.email && !self.phone {
            return Err(Error::invalid(
                "invalid_login_settings",
                "loginSettings must enable email, phone or both",
            ));
        }
        if !(30..=Self::MAX_CODE_LIFETIME).contains(&self.code_lifetime_seconds) {
            return Err(Error::invalid(
                "invalid_login_settings",
                "codeLifetimeSeconds must be between 30 and 600",
            ));
        }
        if !(1..=10).contains(&self.max_attempts) {
            return Err(Error::invalid(
                "invalid_login_settings",
                "maxAttempts must be between 1 and 10",
            ));
        }
        if self.resend_cooldown_seconds > 3600 {
            return Err(Error::invalid(
                "invalid_login_settings",
                "resendCooldownSeconds must be at most 3600",
            ));
        }
        match &self.face_liveness {
            Some(face) => face.validate(),
            None => Ok(()),
        }
    }

    pub fn allows(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => self.email,
            Channel::Phone => self.phone,
        }
    }
}

/// Who may receive codes on a flow: Verifik's `security` whitelist and
/// blacklist. Entries are lowercased emails, `@domain` for a whole email
/// domain, or E.164 phones.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FlowSecurity {
    /// When not empty, only these identifiers get codes.
    #[serde(alias = "whitelist")]
    pub allow_list: Vec<String>,
    /// These identifiers never get codes.
    #[serde(alias = "blacklist")]
    pub deny_list: Vec<String>,
}

impl FlowSecurity {
    fn matches(list: &[String], identifier: &str) -> bool {
        let domain = identifier.rsplit_once('@').map(|(_, d)| format!("@{d}"));
        list.iter().any(|entry| {
            let entry = entry.trim().to_lowercase();
            entry == identifier || domain.as_deref() == Some(entry.as_str())
        })
    }

    /// Whether codes may go to `identifier`, in `Email`'s canonical form or
    /// E.164. A denied address is denied with any `+tag` too; an allowed
    /// one is allowed only as written.
    pub fn permits(&self, identifier: &str) -> bool {
        let identifier = identifier.to_lowercase();
        let mailbox = super::contact::mailbox_key(&identifier);
        (self.allow_list.is_empty() || Self::matches(&self.allow_list, &identifier))
            && !Self::matches(&self.deny_list, &identifier)
            && !Self::matches(&self.deny_list, &mailbox)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectFlow {
    #[serde(rename = "_id")]
    pub id: String,
    pub client: String,
    pub project: String,
    pub name: String,
    #[serde(rename = "type")]
    pub flow_type: FlowType,
    pub status: FlowStatus,
    pub redirect_url: Option<String>,
    /// How the hosted pages hand the user back to `redirect_url`.
    #[serde(default)]
    pub redirect_mode: super::authorization::RedirectMode,
    /// Narrows the project's allowed countries for this flow; empty = inherit.
    #[serde(default)]
    pub allowed_countries: Vec<String>,
    #[serde(default)]
    pub login_settings: LoginSettings,
    #[serde(default)]
    pub onboarding_settings: OnboardingSettings,
    #[serde(default)]
    pub security: FlowSecurity,
    /// Where this flow's events are POSTed (docs/webhooks.md "Webhooks").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// The HMAC key of those events: shown to the tenant's admin keys,
    /// never on a public read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Set when deleted through the API: kept for audit, never used again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<Timestamp>,
}

#[cfg(test)]
impl Project {
    /// A live project of `client` with no settings, for unit tests.
    pub(crate) fn for_tests(id: &str, client: &str) -> Self {
        let now = Timestamp::now();
        Project {
            id: id.into(),
            client: client.into(),
            name: "Acme".into(),
            allowed_countries: vec![],
            contact_email: None,
            privacy_url: None,
            terms_url: None,
            branding: Branding::default(),
            allowed_origins: vec![],
            created_at: now,
            updated_at: now,
            archived_at: None,
        }
    }
}

#[cfg(test)]
impl ProjectFlow {
    /// An active login flow of one client and project, for unit tests.
    pub(crate) fn login_for_tests(login_settings: LoginSettings) -> Self {
        let now = Timestamp::now();
        ProjectFlow {
            id: "flow".into(),
            client: "client".into(),
            project: "project".into(),
            name: "login".into(),
            flow_type: FlowType::Login,
            status: FlowStatus::Active,
            redirect_url: None,
            redirect_mode: Default::default(),
            allowed_countries: vec![],
            login_settings,
            onboarding_settings: Default::default(),
            security: Default::default(),
            webhook_url: None,
            webhook_secret: None,
            created_at: now,
            updated_at: now,
            archived_at: None,
        }
    }
}

impl ProjectFlow {
    /// A login can start only on an active flow of type `login`.
    pub fn ensure_usable_for_login(&self) -> Result<()> {
        if self.archived_at.is_some() {
            return Err(Record::Flow.not_found());
        }
        if self.flow_type != FlowType::Login {
            return Err(Error::conflict(
                "projectFlow_not_login",
                "projectFlow is not a login flow",
            ));
        }
        if self.status != FlowStatus::Active {
            return Err(Error::conflict(
                "projectFlow_not_active",
                "projectFlow is not active",
            ));
        }
        Ok(())
    }

    /// A registration can start only on an active flow of type `onboarding`.
    pub fn ensure_usable_for_onboarding(&self) -> Result<()> {
        if self.archived_at.is_some() {
            return Err(Record::Flow.not_found());
        }
        if self.flow_type != FlowType::Onboarding {
            return Err(Error::conflict(
                codes::FLOW_NOT_ONBOARDING,
                "projectFlow is not an onboarding flow",
            ));
        }
        if self.status != FlowStatus::Active {
            return Err(Error::conflict(
                "projectFlow_not_active",
                "projectFlow is not active",
            ));
        }
        Ok(())
    }

    /// SMS goes only to the countries the flow (or else its project) allows.
    pub fn ensure_country_allowed(&self, project: &Project, phone: &Phone) -> Result<()> {
        let allowed = if self.allowed_countries.is_empty() {
            &project.allowed_countries
        } else {
            &self.allowed_countries
        };
        if allowed.is_empty() {
            return Ok(());
        }
        let ok = phone
            .region
            .as_ref()
            .is_some_and(|r| allowed.iter().any(|a| a.eq_ignore_ascii_case(r)));
        if ok {
            Ok(())
        } else {
            Err(Error::Forbidden {
                code: "country_not_allowed",
                message: "phone numbers from this country are not allowed in this flow".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(status: FlowStatus, flow_type: FlowType) -> ProjectFlow {
        let now = Timestamp::now();
        ProjectFlow {
            id: "f".into(),
            client: "c".into(),
            project: "p".into(),
            name: "n".into(),
            flow_type,
            status,
            redirect_url: None,
            redirect_mode: Default::default(),
            allowed_countries: vec![],
            login_settings: LoginSettings::default(),
            onboarding_settings: OnboardingSettings::default(),
            security: FlowSecurity::default(),
            webhook_url: None,
            webhook_secret: None,
            created_at: now,
            updated_at: now,
            archived_at: None,
        }
    }

    #[test]
    fn only_active_login_flows_are_usable() {
        assert!(flow(FlowStatus::Active, FlowType::Login)
            .ensure_usable_for_login()
            .is_ok());
        assert!(flow(FlowStatus::Paused, FlowType::Login)
            .ensure_usable_for_login()
            .is_err());
        assert!(flow(FlowStatus::Active, FlowType::Onboarding)
            .ensure_usable_for_login()
            .is_err());
    }

    #[test]
    fn security_lists_allow_and_deny_by_identifier_or_domain() {
        let open = FlowSecurity::default();
        assert!(open.permits("a@example.com"));
        let allow = FlowSecurity {
            allow_list: vec!["@acme.com".into(), "+573001234567".into()],
            deny_list: vec!["Boss@Acme.com".into()],
        };
        assert!(allow.permits("ana@acme.com"));
        assert!(allow.permits("+573001234567"));
        assert!(!allow.permits("ana@example.com"));
        assert!(!allow.permits("boss@acme.com"));
        assert!(!allow.permits("boss+x@acme.com"));
        assert!(allow.permits("ana+x@acme.com"));
    }

    #[test]
    fn settings_reject_out_of_range_values() {
        let mut s = LoginSettings::default();
        assert!(s.validate().is_ok());
        s.code_lifetime_seconds = 601;
        assert!(s.validate().is_err());
        s = LoginSettings {
            max_attempts: 0,
            ..Default::default()
        };
        assert!(s.validate().is_err());
    }
}
