//! The business context: businesses with a public profile, their staff (owners, supervisors,
//! agents) and teams, and the cases that route a customer's conversation to an agent.

mod case;
mod figures;
mod profile;
mod repository;

pub use case::{AgentLoad, Case, CaseChange, CaseState, StaffChange, pick_agent};
pub use figures::Figures;
pub use profile::{
    AgentStatus, Business, BusinessError, BusinessId, Handle, Member, MemberRole, Team, TeamId,
    parse_name,
};
pub use repository::{Announce, BusinessRepository, CaseFilter};
