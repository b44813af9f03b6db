//! Reading registrations and their analytics, always within one tenant.

use super::{Caller, Registrations};
use crate::domain::public_project::PublicProject;
use crate::domain::registration::AnalyticsReport;
use crate::domain::{ClientId, FlowType, Registration};
use crate::error::{codes, Error, Result};
use crate::ports::{Directory, Ports, RegistrationPage, RegistrationQuery, RegistrationStore};

/// The longest range one analytics call may cover.
pub const MAX_ANALYTICS_DAYS: i64 = 366;

impl<P: Ports> Registrations<P> {
    #[tracing::instrument(skip_all, fields(registration_id = %id))]
    pub async fn get(&self, caller: &Caller, id: &str) -> Result<Registration> {
        self.load(caller, id).await
    }

    /// What a browser may know of the registration's project and flow
    /// (`domain::public_project`); `None` once either is gone.
    pub async fn public_project(
        &self,
        registration: &Registration,
    ) -> Result<Option<PublicProject>> {
        let directory = self.codes.send.directory();
        let project = directory.project(&registration.project).await?;
        let flow = directory.flow(&registration.project_flow).await?;
        Ok(project
            .zip(flow)
            .map(|(project, flow)| PublicProject::of(&project, std::slice::from_ref(&flow))))
    }

    #[tracing::instrument(skip_all, fields(client = %client))]
    pub async fn list(
        &self,
        client: &ClientId,
        query: &RegistrationQuery,
    ) -> Result<RegistrationPage> {
        self.store.list(client, query).await
    }

    /// Counts per status, success rate, per-step funnel and median time to
    /// complete, for registrations started on `from`..=`to` (UTC days).
    #[tracing::instrument(skip_all, fields(client = %client, project_flow = %flow_id))]
    pub async fn analytics(
        &self,
        client: &ClientId,
        flow_id: &str,
        from: &str,
        to: &str,
    ) -> Result<AnalyticsReport> {
        let flow = self.codes.send.flow_of_client(client, flow_id).await?;
        if flow.flow_type != FlowType::Onboarding {
            return Err(Error::conflict(
                codes::FLOW_NOT_ONBOARDING,
                "projectFlow is not an onboarding flow",
            ));
        }
        let days = self.store.analytics(flow_id, from, to).await?;
        Ok(AnalyticsReport::from_days(
            &days,
            flow.onboarding_settings.lifetime_seconds(),
            self.clock.now(),
        ))
    }
}
