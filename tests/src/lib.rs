//! Test harness: the real services, built by the same wiring as the Lambda
//! binaries, against DynamoDB Local and moto. `make test` starts the stack
//! and exports its endpoints; nothing here fakes AWS.

pub mod api;
pub mod logs;
pub mod moto;
pub mod tenant;

pub use api::{Api, Reply};
pub use moto::Moto;
pub use tenant::Tenant;

/// A variable the test stack sets. Missing means the suite was not started
/// by `make test` (scripts/test.sh), which is a setup error, not a skip.
pub fn stack_var(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the suite with `make test`"))
}

/// A fresh address, so tests never see each other's logins or messages.
pub fn unique_email() -> String {
    format!(
        "user-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

/// A fresh valid Colombian mobile number (national digits).
pub fn unique_co_mobile() -> String {
    let n = ulid::Ulid::new().random() % 10_000_000;
    format!("300{n:07}")
}
