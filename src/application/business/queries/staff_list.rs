use std::sync::Arc;

use crate::application::business::{BusinessPorts, staff_of};
use crate::application::error::AppError;
use crate::domain::business::{BusinessId, BusinessRepository, Member};
use crate::domain::shared::UserId;

/// The staff, for its members.
pub struct StaffListHandler {
    businesses: Arc<dyn BusinessRepository>,
}

impl StaffListHandler {
    pub fn new(ports: &BusinessPorts) -> Self {
        Self {
            businesses: ports.businesses.clone(),
        }
    }

    pub async fn handle(&self, me: UserId, id: BusinessId) -> Result<Vec<Member>, AppError> {
        staff_of(self.businesses.as_ref(), id, me).await?;
        Ok(self.businesses.members(id).await?)
    }
}
