use std::sync::Arc;

use crate::application::business::{BusinessPorts, supervisor_of};
use crate::application::error::AppError;
use crate::domain::business::{BusinessError, BusinessId, BusinessRepository, Member, MemberRole};
use crate::domain::shared::UserId;
use crate::domain::users::ProfileRepository;

/// Adds a user to the staff or changes their role. Supervisors add and manage agents; owners
/// anyone.
pub struct PutMemberHandler {
    businesses: Arc<dyn BusinessRepository>,
    profiles: Arc<dyn ProfileRepository>,
}

impl PutMemberHandler {
    pub fn new(ports: &BusinessPorts) -> Self {
        Self {
            businesses: ports.businesses.clone(),
            profiles: ports.profiles.clone(),
        }
    }

    pub async fn handle(
        &self,
        me: UserId,
        id: BusinessId,
        user: UserId,
        role: MemberRole,
    ) -> Result<Member, AppError> {
        let actor = supervisor_of(self.businesses.as_ref(), id, me).await?;
        let existing = self.businesses.member(id, user).await?;
        let touches_managers =
            role.supervises() || existing.as_ref().is_some_and(|m| m.role.supervises());
        if touches_managers && actor.role != MemberRole::Owner {
            return Err(BusinessError::OwnerOnly.into());
        }
        if user == me && role != MemberRole::Owner && actor.role == MemberRole::Owner {
            let owners = self.businesses.members(id).await?;
            if owners
                .iter()
                .filter(|m| m.role == MemberRole::Owner)
                .count()
                <= 1
            {
                return Err(AppError::Conflict("last_owner"));
            }
        }
        if existing.is_none() && self.profiles.find(user).await?.is_none() {
            return Err(AppError::invalid("user_id", "is not a user"));
        }
        let mut member = existing.unwrap_or_else(|| Member::new(id, user, role));
        member.role = role;
        self.businesses.put_member(&member).await?;
        Ok(member)
    }
}
