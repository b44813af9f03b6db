//! Reading logins: one login, or a page of them. Always within one tenant.

use crate::domain::ids::Record;
use crate::domain::{ClientId, Login};
use crate::error::Result;
use crate::ports::{LoginPage, LoginQuery, LoginStore};

pub struct LoginReader<S> {
    store: S,
}

impl<S: LoginStore> LoginReader<S> {
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// Another tenant's login answers exactly like a missing one.
    #[tracing::instrument(skip_all, fields(client = %client, login_id = %id))]
    pub async fn get(&self, client: &ClientId, id: &str) -> Result<Login> {
        Record::Login.id(id)?;
        match self.store.get(id).await? {
            // A registration's code session is read through its registration.
            Some(login) if login.client == client.as_str() && login.registration.is_none() => {
                Ok(login)
            }
            _ => Err(Record::Login.not_found()),
        }
    }

    #[tracing::instrument(skip_all, fields(client = %client))]
    pub async fn list(&self, client: &ClientId, query: &LoginQuery) -> Result<LoginPage> {
        self.store.list(client, query).await
    }
}
