//! What every context shares: typed ids, domain events and the repository error.

mod error;
mod events;
mod ids;

pub use error::RepoError;
pub use events::{DomainEvent, MarkerChange, MemberChange, MessageChange, ReactionChange};
pub use ids::{
    AttachmentId, BusinessId, ConversationId, DeviceId, MessageId, NotificationId, SessionId,
    TeamId, UserId,
};
