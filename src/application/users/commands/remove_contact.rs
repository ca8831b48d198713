use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::users::UsersPorts;
use crate::domain::shared::UserId;
use crate::domain::users::ContactRepository;

/// Removes a contact, declines an incoming request or withdraws an outgoing one.
pub struct RemoveContactHandler {
    contacts: Arc<dyn ContactRepository>,
}

impl RemoveContactHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            contacts: ports.contacts.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, %other))]
    pub async fn handle(&self, me: UserId, other: UserId) -> Result<(), AppError> {
        if self.contacts.remove(me, other).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("contact_not_found"))
        }
    }
}
