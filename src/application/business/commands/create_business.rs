use std::sync::Arc;

use crate::application::business::BusinessPorts;
use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::ports::Clock;
use crate::domain::business::{
    Business, BusinessRepository, Handle, Member, MemberRole, Routing, Team, TeamId,
};
use crate::domain::shared::{RepoError, UserId};

pub struct NewBusiness {
    pub handle: Handle,
    pub name: String,
    pub description: String,
}

/// Creates a business owned by the caller, with one team, "General", that they work in.
pub struct CreateBusinessHandler {
    businesses: Arc<dyn BusinessRepository>,
    clock: Arc<dyn Clock>,
    limit: WriteLimit,
}

impl CreateBusinessHandler {
    pub fn new(ports: &BusinessPorts) -> Self {
        Self {
            businesses: ports.businesses.clone(),
            clock: ports.clock.clone(),
            limit: ports.create_limit.clone(),
        }
    }

    pub async fn handle(&self, me: UserId, new: NewBusiness) -> Result<Business, AppError> {
        self.limit.spend(me).await?;
        let now = self.clock.now();
        let business = Business::new(new.handle, &new.name, &new.description, me, now)?;
        let owner = Member::new(business.id, me, MemberRole::Owner);
        let team = Team {
            id: TeamId::new(),
            business_id: business.id,
            name: "General".to_owned(),
            agents: vec![me],
            routing: Routing::default(),
            first_response_secs: None,
            escalate_to: None,
            created_at: now,
        };
        match self.businesses.create(&business, &owner, &team).await {
            Err(RepoError::Duplicate(_)) => Err(AppError::Conflict("handle_taken")),
            other => other.map(|()| business).map_err(AppError::from),
        }
    }
}
