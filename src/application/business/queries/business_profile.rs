use std::sync::Arc;

use crate::application::business::{BusinessPorts, business_of};
use crate::application::error::AppError;
use crate::domain::business::{Business, BusinessId, BusinessRepository};

/// A business's public profile: any user may look one up.
pub struct BusinessProfileHandler {
    businesses: Arc<dyn BusinessRepository>,
}

impl BusinessProfileHandler {
    pub fn new(ports: &BusinessPorts) -> Self {
        Self {
            businesses: ports.businesses.clone(),
        }
    }

    pub async fn handle(&self, id: BusinessId) -> Result<Business, AppError> {
        business_of(self.businesses.as_ref(), id).await
    }
}
