use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Hours;
use crate::domain::shared::UserId;
pub use crate::domain::shared::{BusinessId, TeamId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BusinessError {
    #[error("must be 3 to 32 characters: lowercase letters, digits and _, starting with a letter")]
    HandleInvalid,
    #[error("must be 1 to 100 characters on one line")]
    NameInvalid,
    #[error("must be at most 1000 characters")]
    DescriptionTooLong,
    #[error("must be between 1 and 50")]
    CapacityInvalid,
    #[error("only owners and supervisors may do this")]
    SupervisorOnly,
    #[error("only owners may do this")]
    OwnerOnly,
    #[error("the case is resolved")]
    Resolved,
    #[error("the case is not open")]
    NotOpen,
    #[error(
        "each opening needs a day (mon…sun) and HH:MM times, opening before closing; at most 28, and 100 holidays"
    )]
    HoursInvalid,
    #[error("must be a time zone of the IANA database, as in Europe/Paris")]
    TimeZoneUnknown,
    #[error("each must be a date, as in 2026-12-25")]
    HolidayInvalid,
    #[error("must be at most 1000 characters")]
    ReplyTooLong,
    #[error("must be between 60 and 604800 seconds")]
    FirstResponseInvalid,
    #[error("must be another team of this business")]
    EscalationInvalid,
}

/// A business's unique public name, as in `@acme_support`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle(String);

impl Handle {
    pub fn parse(handle: &str) -> Result<Self, BusinessError> {
        let valid = (3..=32).contains(&handle.len())
            && handle.starts_with(|c: char| c.is_ascii_lowercase())
            && handle
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(BusinessError::HandleInvalid);
        }
        Ok(Self(handle.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A business or team name: 1 to 100 characters, one line.
pub fn parse_name(raw: &str) -> Result<String, BusinessError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(BusinessError::NameInvalid);
    }
    Ok(name.to_owned())
}

/// The public profile any user can look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Business {
    pub id: BusinessId,
    pub handle: Handle,
    pub name: String,
    pub description: String,
    /// Whether customers see which agent answers them; otherwise only the business.
    pub show_agent_names: bool,
    pub hours: Hours,
    /// What a customer writing while it is closed is told, before the next opening time;
    /// empty for the default words.
    pub closed_reply: String,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
}

impl Business {
    pub fn new(
        handle: Handle,
        name: &str,
        description: &str,
        owner: UserId,
        now: OffsetDateTime,
    ) -> Result<Self, BusinessError> {
        let description = description.trim();
        if description.chars().count() > 1000 {
            return Err(BusinessError::DescriptionTooLong);
        }
        Ok(Self {
            id: BusinessId::new(),
            handle,
            name: parse_name(name)?,
            description: description.to_owned(),
            show_agent_names: false,
            hours: Hours::default(),
            closed_reply: String::new(),
            created_by: owner,
            created_at: now,
        })
    }
}

/// A closed reply: at most 1000 characters.
pub fn parse_reply(raw: &str) -> Result<String, BusinessError> {
    let reply = raw.trim();
    if reply.chars().count() > 1000 {
        return Err(BusinessError::ReplyTooLong);
    }
    Ok(reply.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Owner,
    Supervisor,
    Agent,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Supervisor => "supervisor",
            Self::Agent => "agent",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "owner" => Some(Self::Owner),
            "supervisor" => Some(Self::Supervisor),
            "agent" => Some(Self::Agent),
            _ => None,
        }
    }

    /// Sees every case of the business and manages its staff and teams.
    pub fn supervises(self) -> bool {
        matches!(self, Self::Owner | Self::Supervisor)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    Available,
    Away,
    Offline,
}

impl AgentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Away => "away",
            Self::Offline => "offline",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "available" => Some(Self::Available),
            "away" => Some(Self::Away),
            "offline" => Some(Self::Offline),
            _ => None,
        }
    }
}

/// One user's place in a business's staff. Everyone on the staff can take cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub business_id: BusinessId,
    pub user_id: UserId,
    pub role: MemberRole,
    pub status: AgentStatus,
    /// Most cases open at once.
    pub capacity: u32,
    pub last_assigned_at: Option<OffsetDateTime>,
}

impl Member {
    pub const DEFAULT_CAPACITY: u32 = 5;

    pub fn new(business_id: BusinessId, user_id: UserId, role: MemberRole) -> Self {
        Self {
            business_id,
            user_id,
            role,
            status: AgentStatus::Offline,
            capacity: Self::DEFAULT_CAPACITY,
            last_assigned_at: None,
        }
    }

    pub fn check_capacity(capacity: u32) -> Result<u32, BusinessError> {
        if (1..=50).contains(&capacity) {
            Ok(capacity)
        } else {
            Err(BusinessError::CapacityInvalid)
        }
    }

    pub fn check_supervises(&self) -> Result<(), BusinessError> {
        if self.role.supervises() {
            Ok(())
        } else {
            Err(BusinessError::SupervisorOnly)
        }
    }
}

/// How a team picks the agent for its next case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Routing {
    /// The least busy agent with room, ties to the one idle longest.
    #[default]
    LeastBusy,
    /// The agent with room who was assigned longest ago, however busy.
    RoundRobin,
}

impl Routing {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LeastBusy => "least_busy",
            Self::RoundRobin => "round_robin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "least_busy" => Some(Self::LeastBusy),
            "round_robin" => Some(Self::RoundRobin),
            _ => None,
        }
    }
}

/// A queue of cases and the agents who take them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub business_id: BusinessId,
    pub name: String,
    pub agents: Vec<UserId>,
    pub routing: Routing,
    /// A case waiting this long for its agent's first reply is escalated.
    pub first_response_secs: Option<u32>,
    /// Where an escalated case moves; `None` keeps it in the team.
    pub escalate_to: Option<TeamId>,
    pub created_at: OffsetDateTime,
}

impl Team {
    pub fn check_first_response(secs: u32) -> Result<u32, BusinessError> {
        if (60..=604_800).contains(&secs) {
            Ok(secs)
        } else {
            Err(BusinessError::FirstResponseInvalid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_lowercase_words() {
        assert_eq!(Handle::parse("acme_2").unwrap().as_str(), "acme_2");
        for bad in [
            "ab",
            "2acme",
            "Acme",
            " acme",
            "acme-support",
            "acmé",
            &"a".repeat(33),
        ] {
            assert_eq!(
                Handle::parse(bad),
                Err(BusinessError::HandleInvalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn capacity_is_one_to_fifty() {
        assert!(Member::check_capacity(0).is_err());
        assert_eq!(Member::check_capacity(50), Ok(50));
        assert!(Member::check_capacity(51).is_err());
    }
}
