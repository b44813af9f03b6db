//! What a browser may read about a project before anyone signs in: the
//! fields Verifik's web front end reads from `GET /v2/projects/kyc` (see
//! ../shared/reference/verifik-compat.md), and nothing else. Never the
//! client, the security lists, limits, keys or timestamps.

use super::flow::{FlowStatus, FlowType, Project, ProjectFlow};
use super::onboarding::OnboardingSteps;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicProject {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    pub branding: PublicBranding,
    pub allowed_countries: Vec<String>,
    pub terms_and_conditions_url: Option<String>,
    pub privacy_url: Option<String>,
    /// Active flows only: a draft or paused flow is nobody's business.
    pub project_flows: Vec<PublicFlow>,
}

/// Verifik's branding names; the colours Gatehouse does not keep are null.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicBranding {
    pub logo: Option<String>,
    pub button_color: Option<String>,
    pub button_txt_color: Option<String>,
    pub bg_color: Option<String>,
    pub title_color: Option<String>,
    pub txt_color: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicFlow {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(rename = "type")]
    pub flow_type: FlowType,
    pub status: FlowStatus,
    pub redirect_url: Option<String>,
    /// Narrows the project's countries for this flow; empty inherits.
    pub allowed_countries: Vec<String>,
    pub login_settings: PublicLoginSettings,
    pub onboarding_settings: PublicOnboardingSettings,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicLoginSettings {
    pub email: bool,
    pub phone: bool,
    /// Gatehouse sends codes by SMS only.
    pub phone_gateway: &'static str,
    #[serde(rename = "requires2FA")]
    pub requires_2fa: bool,
    pub face_liveness: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicOnboardingSettings {
    pub steps: OnboardingSteps,
    pub sign_up_form: SignUpForm,
    #[serde(rename = "allowSkipKYC")]
    pub allow_skip_kyc: bool,
}

/// Which fields the sign-up form shows, derived from the flow: Gatehouse
/// takes a full name or first and last names, and the contacts whose
/// channel the flow sends codes by.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpForm {
    pub full_name: bool,
    pub first_name: bool,
    pub last_name: bool,
    pub email: bool,
    pub email_gateway: &'static str,
    pub phone: bool,
    pub phone_gateway: &'static str,
    pub show_terms_and_conditions: bool,
    pub show_privacy_notice: bool,
    pub extra_fields: Vec<String>,
}

impl PublicProject {
    /// The project as a browser may see it, with those of `flows` that
    /// belong to it and are active.
    pub fn of(project: &Project, flows: &[ProjectFlow]) -> Self {
        let project_flows = flows
            .iter()
            .filter(|f| {
                f.project == project.id && f.status == FlowStatus::Active && f.archived_at.is_none()
            })
            .map(|f| PublicFlow::of(project, f))
            .collect();
        Self {
            id: project.id.clone(),
            name: project.name.clone(),
            branding: PublicBranding {
                logo: project.branding.logo.clone(),
                button_color: project.branding.button_color.clone(),
                button_txt_color: project.branding.button_text_color.clone(),
                bg_color: None,
                title_color: None,
                txt_color: None,
            },
            allowed_countries: project.allowed_countries.clone(),
            terms_and_conditions_url: project.terms_url.clone(),
            privacy_url: project.privacy_url.clone(),
            project_flows,
        }
    }
}

impl PublicFlow {
    fn of(project: &Project, flow: &ProjectFlow) -> Self {
        let login = &flow.login_settings;
        Self {
            id: flow.id.clone(),
            flow_type: flow.flow_type,
            status: flow.status,
            redirect_url: flow.redirect_url.clone(),
            allowed_countries: flow.allowed_countries.clone(),
            login_settings: PublicLoginSettings {
                email: login.email,
                phone: login.phone,
                phone_gateway: "sms",
                requires_2fa: login.requires_2fa,
                face_liveness: login.face_liveness.is_some(),
            },
            onboarding_settings: PublicOnboardingSettings {
                steps: flow.onboarding_settings.steps.clone(),
                sign_up_form: SignUpForm {
                    full_name: true,
                    first_name: true,
                    last_name: true,
                    email: login.email,
                    email_gateway: "email",
                    phone: login.phone,
                    phone_gateway: "sms",
                    show_terms_and_conditions: project.terms_url.is_some(),
                    show_privacy_notice: project.privacy_url.is_some(),
                    extra_fields: vec![],
                },
                allow_skip_kyc: flow.onboarding_settings.allow_skip_kyc,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::flow::LoginSettings;

    #[test]
    fn a_public_project_never_shows_a_webhook() {
        let project = Project::for_tests("project", "client");
        let mut flow = ProjectFlow::login_for_tests(LoginSettings::default());
        flow.webhook_url = Some("https://hooks.acme.example/secret-path".into());
        flow.webhook_secret = Some(crate::domain::webhook::new_secret());
        let public = serde_json::to_string(&PublicProject::of(&project, &[flow])).unwrap();
        assert!(public.contains("\"_id\":\"flow\""), "{public}");
        assert!(
            !public.contains("webhook") && !public.contains("whsec_"),
            "{public}"
        );
    }
}
