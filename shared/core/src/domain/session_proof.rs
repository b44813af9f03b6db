//! What a verified session proves: the value a login or a registration
//! hands to the token issuer. It imports nothing, so the login (which
//! produces it) and the token (which signs it) need not know each other.

/// What a verified session proves, for its token (`TokenIssuer::sign_session`).
#[derive(Clone, Debug)]
pub struct SessionProof {
    /// The verified identifier: the email, or else the E.164 phone.
    pub subject: String,
    pub project: String,
    /// RFC 8176 method names.
    pub amr: Vec<String>,
    pub login_id: String,
    pub project_flow: String,
    pub registration_id: Option<String>,
}
