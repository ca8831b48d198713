use std::sync::Arc;

use super::BusinessDeps;
use super::routing::Router;
use crate::application::error::AppError;
use crate::domain::business::{AgentStatus, BusinessId, Member, StaffChange};
use crate::domain::shared::{DomainEvent, UserId};

/// A change of availability: `None` keeps a field.
#[derive(Debug, Default)]
pub struct Availability {
    pub status: Option<AgentStatus>,
    pub capacity: Option<u32>,
}

/// Agents' status and capacity.
pub struct AgentsHandler {
    deps: Arc<BusinessDeps>,
    router: Arc<Router>,
}

impl AgentsHandler {
    pub(super) fn new(deps: Arc<BusinessDeps>, router: Arc<Router>) -> Self {
        Self { deps, router }
    }

    /// Sets the caller's own status and capacity in business `id`. Coming online or raising
    /// the capacity assigns queued cases at once.
    pub async fn set(
        &self,
        me: UserId,
        id: BusinessId,
        change: Availability,
    ) -> Result<Member, AppError> {
        let mut member = self.deps.staff(id, me).await?;
        if let Some(capacity) = change.capacity {
            member.capacity = Member::check_capacity(capacity)?;
        }
        if let Some(status) = change.status {
            member.status = status;
        }
        self.store(&member).await?;
        if member.status == AgentStatus::Available {
            self.router.route_for(id, me).await?;
        }
        Ok(member)
    }

    /// `user`'s last connection closed: they are offline in every business they work for,
    /// so nothing more is assigned to them (what they hold stays theirs).
    pub async fn went_offline(&self, user: UserId) -> Result<(), AppError> {
        for mut member in self.deps.businesses.memberships(user).await? {
            if member.status != AgentStatus::Offline {
                member.status = AgentStatus::Offline;
                self.store(&member).await?;
            }
        }
        Ok(())
    }

    async fn store(&self, member: &Member) -> Result<(), AppError> {
        let deps = &self.deps;
        let changed = DomainEvent::StaffChanged(StaffChange {
            business_id: member.business_id,
            user_id: member.user_id,
            status: member.status,
            capacity: member.capacity,
            audience: deps.supervisors(member.business_id).await?,
        });
        deps.businesses.set_availability(member, &[changed]).await?;
        Ok(())
    }
}
