use std::sync::Arc;

use crate::application::business::desk::CaseDesk;
use crate::application::business::{BusinessPorts, CaseView, business_of, supervisors_of, team_of};
use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::domain::business::{BusinessId, BusinessRepository, Case, CaseChange, TeamId};
use crate::domain::conversations::{
    Conversation, ConversationKind, Description, Participant, Role, Title,
};
use crate::domain::shared::{DomainEvent, RepoError, UserId};

/// Opens the caller's conversation with a business (`true`), or returns the one they have,
/// reopened if it was resolved (`false`). It is assigned at once when an agent has room.
pub struct StartCaseHandler {
    businesses: Arc<dyn BusinessRepository>,
    limit: WriteLimit,
    desk: Arc<CaseDesk>,
}

impl StartCaseHandler {
    pub(in crate::application::business) fn new(
        ports: &BusinessPorts,
        desk: Arc<CaseDesk>,
    ) -> Self {
        Self {
            businesses: ports.businesses.clone(),
            limit: ports.create_limit.clone(),
            desk,
        }
    }

    pub async fn handle(
        &self,
        me: UserId,
        business: BusinessId,
        team: Option<TeamId>,
    ) -> Result<(CaseView, bool), AppError> {
        let businesses = self.businesses.as_ref();
        let profile = business_of(businesses, business).await?;
        if businesses.member(business, me).await?.is_some() {
            return Err(AppError::Forbidden("staff_cannot_be_customer"));
        }
        let team =
            match team {
                Some(team) => team_of(businesses, business, team).await?,
                None => businesses.teams(business).await?.into_iter().next().ok_or(
                    AppError::Unexpected(anyhow::anyhow!("a business without a team")),
                )?,
            };
        let desk = &self.desk;
        if let Some(existing) = desk.cases().case_of_customer(business, me).await? {
            let case = desk.reopen(me, existing, team.id).await?;
            return Ok((desk.view(case).await?, false));
        }
        self.limit.spend(me).await?;
        let now = desk.now();
        let title = Title::parse(&profile.name).ok();
        let conversation = Conversation::new(
            ConversationKind::Business,
            title,
            Description::default(),
            me,
            now,
        );
        let customer = Participant::new(me, Role::Member, now);
        let case = Case::new(conversation.id, business, team.id, me, now);
        let announce = [
            DomainEvent::ConversationCreated {
                conversation_id: conversation.id,
                members: vec![me],
            },
            DomainEvent::CaseChanged(CaseChange::of(
                &case,
                supervisors_of(businesses, business).await?,
            )),
        ];
        match desk
            .cases()
            .open_case(&conversation, &customer, &case, &announce)
            .await
        {
            // Opened by a request of theirs that raced this one.
            Err(RepoError::Duplicate(_)) => {
                let raced = desk.cases().case_of_customer(business, me).await?;
                let raced = raced.ok_or(AppError::Conflict("case_changed"))?;
                return Ok((desk.view(raced).await?, false));
            }
            other => other?,
        }
        desk.router.route(business, team.id).await?;
        let case = desk.tell_if_waiting(&profile, conversation.id).await?;
        Ok((desk.view(case).await?, true))
    }
}
