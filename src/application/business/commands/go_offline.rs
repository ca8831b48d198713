use std::sync::Arc;

use super::store_availability;
use crate::application::business::BusinessPorts;
use crate::application::error::AppError;
use crate::domain::business::{AgentStatus, BusinessRepository};
use crate::domain::shared::UserId;

/// A user's last connection closed: they are offline in every business they work for, so
/// nothing more is assigned to them (what they hold stays theirs).
pub struct GoOfflineHandler {
    businesses: Arc<dyn BusinessRepository>,
}

impl GoOfflineHandler {
    pub fn new(ports: &BusinessPorts) -> Self {
        Self {
            businesses: ports.businesses.clone(),
        }
    }

    pub async fn handle(&self, user: UserId) -> Result<(), AppError> {
        for mut member in self.businesses.memberships(user).await? {
            if member.status != AgentStatus::Offline {
                member.status = AgentStatus::Offline;
                store_availability(self.businesses.as_ref(), &member).await?;
            }
        }
        Ok(())
    }
}
