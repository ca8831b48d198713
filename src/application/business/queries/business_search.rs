use std::sync::Arc;

use crate::application::business::BusinessPorts;
use crate::application::error::AppError;
use crate::domain::business::{Business, BusinessRepository};

/// Businesses by handle or name.
pub struct BusinessSearchHandler {
    businesses: Arc<dyn BusinessRepository>,
}

impl BusinessSearchHandler {
    pub fn new(ports: &BusinessPorts) -> Self {
        Self {
            businesses: ports.businesses.clone(),
        }
    }

    pub async fn handle(&self, query: &str, limit: u64) -> Result<Vec<Business>, AppError> {
        Ok(self.businesses.search(query.trim(), limit).await?)
    }
}
