use std::sync::Arc;

use super::store_availability;
use crate::application::business::routing::Router;
use crate::application::business::{BusinessPorts, staff_of};
use crate::application::error::AppError;
use crate::domain::business::{AgentStatus, BusinessId, BusinessRepository, Member};
use crate::domain::shared::UserId;

/// A change of availability: `None` keeps a field.
#[derive(Debug, Default)]
pub struct Availability {
    pub status: Option<AgentStatus>,
    pub capacity: Option<u32>,
}

/// Sets the caller's own status and capacity in a business. Coming online or raising the
/// capacity assigns queued cases at once.
pub struct SetAvailabilityHandler {
    businesses: Arc<dyn BusinessRepository>,
    router: Arc<Router>,
}

impl SetAvailabilityHandler {
    pub(in crate::application::business) fn new(
        ports: &BusinessPorts,
        router: Arc<Router>,
    ) -> Self {
        Self {
            businesses: ports.businesses.clone(),
            router,
        }
    }

    pub async fn handle(
        &self,
        me: UserId,
        id: BusinessId,
        change: Availability,
    ) -> Result<Member, AppError> {
        let mut member = staff_of(self.businesses.as_ref(), id, me).await?;
        if let Some(capacity) = change.capacity {
            member.capacity = Member::check_capacity(capacity)?;
        }
        if let Some(status) = change.status {
            member.status = status;
        }
        store_availability(self.businesses.as_ref(), &member).await?;
        if member.status == AgentStatus::Available {
            self.router.route_for(id, me).await?;
        }
        Ok(member)
    }
}
