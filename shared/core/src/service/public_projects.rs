//! `GET /v2/projects/kyc?id=`: what a browser may know about a project
//! before anyone signs in (`domain::public_project`), rate-limited per
//! source IP because anyone may ask.

use crate::domain::ids::Record;
use crate::domain::limits::AbuseLimits;
use crate::domain::login::RequestOrigin;
use crate::domain::public_project::PublicProject;
use crate::domain::ClientId;
use crate::error::Result;
use crate::ports::{Clock, ConfigStore, Directory, LoginStore, Ports};
use std::sync::Arc;

pub struct PublicProjects<P: Ports> {
    directory: P::Directory,
    config: P::Config,
    /// Holds the limit counters.
    counters: P::Sessions,
    limits: AbuseLimits,
    clock: Arc<dyn Clock>,
}

impl<P: Ports> PublicProjects<P> {
    pub fn new(
        directory: P::Directory,
        config: P::Config,
        counters: P::Sessions,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            directory,
            config,
            counters,
            limits: AbuseLimits::default(),
            clock,
        }
    }

    pub fn with_limits(mut self, limits: AbuseLimits) -> Self {
        self.limits = limits;
        self
    }

    #[tracing::instrument(skip_all, fields(project = %id))]
    pub async fn kyc(&self, id: &str, origin: &RequestOrigin) -> Result<PublicProject> {
        if let Some(ip) = origin.ip_address.as_deref() {
            let now = self.clock.now();
            let charge = self.limits.project_read_charge(now, ip);
            if !self.counters.charge(&charge).await? {
                return Err(charge.refusal(now));
            }
        }
        Record::Project.id(id)?;
        let project = self
            .directory
            .project(id)
            .await?
            .filter(|p| p.archived_at.is_none())
            .ok_or_else(|| Record::Project.not_found())?;
        let flows = self.config.flows(&ClientId(project.client.clone())).await?;
        Ok(PublicProject::of(&project, &flows))
    }
}
