use std::sync::Arc;

use super::BusinessDeps;
use crate::application::error::AppError;
use crate::domain::business::{
    Business, BusinessError, BusinessId, Handle, Member, MemberRole, Team, TeamId, parse_name,
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
        name: &str,
        agents: Vec<UserId>,
    ) -> Result<Team, AppError> {
        let deps = &self.0;
        deps.supervisor(id, me).await?;
        let name = parse_name(name).map_err(|e| AppError::invalid("name", e.to_string()))?;
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
                ..deps.team(id, existing).await?
            },
            None => Team {
                id: TeamId::new(),
                business_id: id,
                name,
                agents,
                created_at: deps.clock.now(),
            },
        };
        match deps.businesses.put_team(&team).await {
            Err(RepoError::Duplicate(_)) => Err(AppError::Conflict("team_name_taken")),
            other => other.map(|()| team).map_err(AppError::from),
        }
    }
}
