//! The conversations context: direct chats, groups and channels, their participants and roles,
//! and each participant's read, delivered and mute state.

mod conversation;
mod participant;
mod posting;
mod queries;
mod repository;

pub use conversation::{Conversation, ConversationError, ConversationKind, Description, Title};
pub use participant::{Marker, Participant, Role};
pub use posting::{OpenToMembers, Post, PostError, PostFacts};
pub use queries::{Activity, AsOfLog, ChatListCursor, ChatListEntry, ChatListQueries, LastMessage};
pub use repository::{
    ConversationRepository, DeliveredMark, MarkerRepository, ParticipantRepository,
};
