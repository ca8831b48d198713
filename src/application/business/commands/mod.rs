//! The business context's commands: one use case per file, each handler holding only its
//! ports (the case handlers share the case desk).

mod create_business;
mod go_offline;
mod put_member;
mod put_team;
mod resolve_case;
mod set_availability;
mod start_case;
mod transfer_case;
mod update_business;

pub use create_business::{CreateBusinessHandler, NewBusiness};
pub use go_offline::GoOfflineHandler;
pub use put_member::PutMemberHandler;
pub use put_team::{PutTeamHandler, TeamChange};
pub use resolve_case::ResolveCaseHandler;
pub use set_availability::{Availability, SetAvailabilityHandler};
pub use start_case::StartCaseHandler;
pub use transfer_case::{Transfer, TransferCaseHandler};
pub use update_business::{ProfileChange, UpdateBusinessHandler};

use crate::application::business::supervisors_of;
use crate::application::error::AppError;
use crate::domain::business::{BusinessRepository, Member, StaffChange};
use crate::domain::shared::DomainEvent;

/// Stores a member's status and capacity, announced to the business's supervisors.
async fn store_availability(
    businesses: &dyn BusinessRepository,
    member: &Member,
) -> Result<(), AppError> {
    let changed = DomainEvent::StaffChanged(StaffChange {
        business_id: member.business_id,
        user_id: member.user_id,
        status: member.status,
        capacity: member.capacity,
        audience: supervisors_of(businesses, member.business_id).await?,
    });
    businesses.set_availability(member, &[changed]).await?;
    Ok(())
}
