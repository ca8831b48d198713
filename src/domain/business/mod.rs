//! The business context: businesses with a public profile, their staff (owners, supervisors,
//! agents) and teams, and the cases that route a customer's conversation to an agent.

mod case;
mod figures;
mod hours;
mod profile;
mod queries;
mod repository;

pub use case::{AgentLoad, Case, CaseChange, CaseState, CaseSummary, StaffChange, pick_agent};
pub use figures::Figures;
pub use hours::{Hours, Opening};
pub use profile::{
    AgentStatus, Business, BusinessError, BusinessId, Handle, Member, MemberRole, Routing, Team,
    TeamId, parse_name, parse_reply,
};
pub use queries::{CaseFilter, CaseQueries};
pub use repository::{Announce, BusinessRepository, CaseRepository};
