//! Domain models. Nothing here knows about HTTP, Lambda or the AWS SDK.

pub mod authorization;
pub mod code;
pub mod console;
pub mod contact;
pub mod face_settings;
pub mod flow;
pub mod identity;
pub mod ids;
pub mod limits;
pub mod login;
pub mod message;
pub mod oidc;
pub mod onboarding;
pub mod operator;
pub mod public_project;
pub mod registration;
pub mod rsa_keys;
pub mod session_proof;
pub mod tenant_config;
pub mod text;
pub mod time;
pub mod token;
pub mod webhook;

pub use code::{CodeHash, CodeHasher, OneTimeCode};
pub use contact::{Channel, Email, Phone};
pub use flow::{FlowStatus, FlowType, LoginSettings, Project, ProjectFlow};
pub use ids::ClientId;
pub use login::{AccessEvent, AccessEventKind, Login, LoginStatus, LoginType, Step, Validation};
pub use onboarding::{OnboardingSettings, Requirement, StepName};
pub use registration::{Registration, RegistrationStatus};
pub use time::Timestamp;
