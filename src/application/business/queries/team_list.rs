use std::sync::Arc;

use crate::application::business::{BusinessPorts, staff_of};
use crate::application::error::AppError;
use crate::domain::business::{BusinessId, BusinessRepository, Team};
use crate::domain::shared::UserId;

/// The business's teams, for its staff.
pub struct TeamListHandler {
    businesses: Arc<dyn BusinessRepository>,
}

impl TeamListHandler {
    pub fn new(ports: &BusinessPorts) -> Self {
        Self {
            businesses: ports.businesses.clone(),
        }
    }

    pub async fn handle(&self, me: UserId, id: BusinessId) -> Result<Vec<Team>, AppError> {
        staff_of(self.businesses.as_ref(), id, me).await?;
        Ok(self.businesses.teams(id).await?)
    }
}
