use std::sync::Arc;

use super::BusinessDeps;
use crate::application::error::AppError;
use crate::domain::business::{
    Business, BusinessError, BusinessId, Handle, Hours, Member, MemberRole, Opening, Routing, Team,
    TeamId, parse_name, parse_reply,
};
use crate::domain::shared::{RepoError, UserId};

pub struct NewBusiness {
    pub handle: Handle,
    pub name: String,
    pub description: String,
}

/// A change of profile: `None` keeps a field.
#[derive(Default)]
pub struct ProfileChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub show_agent_names: Option<bool>,
    pub time_zone: Option<String>,
    pub hours: Option<Vec<Opening>>,
    pub holidays: Option<Vec<String>>,
    pub closed_reply: Option<String>,
}

/// A team as a supervisor sets it, whole.
pub struct TeamChange {
    pub name: String,
    pub agents: Vec<UserId>,
    pub routing: Routing,
    pub first_response_secs: Option<u32>,
    pub escalate_to: Option<TeamId>,
}

/// Businesses, their profile, staff and teams.
pub struct DirectoryHandler(Arc<BusinessDeps>);

impl DirectoryHandler {
    pub fn new(deps: Arc<BusinessDeps>) -> Self {
        Self(deps)
    }

    /// Creates a business owned by `me`, with one team, "General", that `me` works in.
    pub async fn create(&self, me: UserId, new: NewBusiness) -> Result<Business, AppError> {
        let deps = &self.0;
        deps.create_limit.spend(me).await?;
        let now = deps.clock.now();
        let business = Business::new(new.handle, &new.name, &new.description, me, now)?;
        let owner = Member::new(business.id, me, MemberRole::Owner);
        let team = Team {
            id: TeamId::new(),
            business_id: business.id,
            name: "General".to_owned(),
            agents: vec![me],
            routing: Routing::default(),
            first_response_secs: None,
            escalate_to: None,
            created_at: now,
        };
        match deps.businesses.create(&business, &owner, &team).await {
            Err(RepoError::Duplicate(_)) => Err(AppError::Conflict("handle_taken")),
            other => other.map(|()| business).map_err(AppError::from),
        }
    }

    /// Any user may look a business up.
    pub async fn profile(&self, id: BusinessId) -> Result<Business, AppError> {
        self.0.business(id).await
    }

    pub async fn search(&self, query: &str, limit: u64) -> Result<Vec<Business>, AppError> {
        Ok(self.0.businesses.search(query.trim(), limit).await?)
    }

    /// Owners change the profile.
    pub async fn update(
        &self,
        me: UserId,
        id: BusinessId,
        change: ProfileChange,
    ) -> Result<Business, AppError> {
        let deps = &self.0;
        let member = deps.staff(id, me).await?;
        if member.role != MemberRole::Owner {
            return Err(BusinessError::OwnerOnly.into());
        }
        let mut business = deps.business(id).await?;
        let mut errors = crate::application::error::FieldErrors::default();
        if let Some(name) = change.name {
            business.name = errors.check("name", parse_name(&name)).unwrap_or_default();
        }
        if let Some(description) = change.description {
            let description = description.trim();
            if description.chars().count() > 1000 {
                errors.add("description", BusinessError::DescriptionTooLong.to_string());
            }
            business.description = description.to_owned();
        }
        if let Some(reply) = change.closed_reply {
            business.closed_reply = errors
                .check("closed_reply", parse_reply(&reply))
                .unwrap_or_default();
        }
        if change.time_zone.is_some() || change.hours.is_some() || change.holidays.is_some() {
            let was = &business.hours;
            let zone = change
                .time_zone
                .unwrap_or_else(|| was.time_zone().to_owned());
            let weekly = change.hours.unwrap_or_else(|| was.weekly().to_vec());
            let holidays = change.holidays.unwrap_or_else(|| was.holidays());
            match Hours::new(&zone, weekly, &holidays) {
                Ok(hours) => business.hours = hours,
                Err(error @ BusinessError::TimeZoneUnknown) => {
                    errors.add("time_zone", error.to_string())
                }
                Err(error @ BusinessError::HolidayInvalid) => {
                    errors.add("holidays", error.to_string())
                }
                Err(error) => errors.add("hours", error.to_string()),
            }
        }
        errors.into_result()?;
        if let Some(show) = change.show_agent_names {
            business.show_agent_names = show;
        }
        deps.businesses.update(&business).await?;
        Ok(business)
    }

    /// The staff, for its members.
    pub async fn members(&self, me: UserId, id: BusinessId) -> Result<Vec<Member>, AppError> {
        let deps = &self.0;
        deps.staff(id, me).await?;
        Ok(deps.businesses.members(id).await?)
    }

    /// Adds `user` to the staff or changes their role. Supervisors add and manage agents;
    /// owners anyone.
    pub async fn put_member(
        &self,
        me: UserId,
        id: BusinessId,
        user: UserId,
        role: MemberRole,
    ) -> Result<Member, AppError> {
        let deps = &self.0;
        let actor = deps.supervisor(id, me).await?;
        let existing = deps.businesses.member(id, user).await?;
        let touches_managers =
            role.supervises() || existing.as_ref().is_some_and(|m| m.role.supervises());
        if touches_managers && actor.role != MemberRole::Owner {
            return Err(BusinessError::OwnerOnly.into());
        }
        if user == me && role != MemberRole::Owner && actor.role == MemberRole::Owner {
            let owners = deps.businesses.members(id).await?;
            if owners
                .iter()
                .filter(|m| m.role == MemberRole::Owner)
                .count()
                <= 1
            {
                return Err(AppError::Conflict("last_owner"));
            }
        }
        if existing.is_none() && deps.profiles.find(user).await?.is_none() {
            return Err(AppError::invalid("user_id", "is not a user"));
        }
        let mut member = existing.unwrap_or_else(|| Member::new(id, user, role));
        member.role = role;
        deps.businesses.put_member(&member).await?;
        Ok(member)
    }

    pub async fn teams(&self, me: UserId, id: BusinessId) -> Result<Vec<Team>, AppError> {
        let deps = &self.0;
        deps.staff(id, me).await?;
        Ok(deps.businesses.teams(id).await?)
    }

    /// Creates a team (`team` is `None`) or renames one and sets its agents, who must be on
    /// the staff.
    pub async fn put_team(
        &self,
        me: UserId,
        id: BusinessId,
        team: Option<TeamId>,
        change: TeamChange,
    ) -> Result<Team, AppError> {
        let deps = &self.0;
        deps.supervisor(id, me).await?;
        let TeamChange {
            name,
            agents,
            routing,
            first_response_secs,
            escalate_to,
        } = change;
        let name = parse_name(&name).map_err(|e| AppError::invalid("name", e.to_string()))?;
        if let Some(secs) = first_response_secs {
            Team::check_first_response(secs)?;
        }
        if let Some(to) = escalate_to {
            let elsewhere = Some(to) != team && deps.team(id, to).await.is_ok();
            if !elsewhere {
                return Err(BusinessError::EscalationInvalid.into());
            }
        }
        let staff = deps.businesses.members(id).await?;
        let mut agents = agents;
        agents.sort();
        agents.dedup();
        if agents.len() > 500 {
            return Err(AppError::invalid("agent_ids", "at most 500"));
        }
        if let Some(stranger) = agents
            .iter()
            .find(|a| !staff.iter().any(|m| m.user_id == **a))
        {
            return Err(AppError::invalid(
                "agent_ids",
                format!("{stranger} is not on the staff"),
            ));
        }
        let team = match team {
            Some(existing) => Team {
                name,
                agents,
                routing,
                first_response_secs,
                escalate_to,
                ..deps.team(id, existing).await?
            },
            None => Team {
                id: TeamId::new(),
                business_id: id,
                name,
                agents,
                routing,
                first_response_secs,
                escalate_to,
                created_at: deps.clock.now(),
            },
        };
        match deps.businesses.put_team(&team).await {
            Err(RepoError::Duplicate(_)) => Err(AppError::Conflict("team_name_taken")),
            other => other.map(|()| team).map_err(AppError::from),
        }
    }
}
