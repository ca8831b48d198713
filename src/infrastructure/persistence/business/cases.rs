//! Cases: opened, routed, assigned, resolved; the customer told their place in the queue.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use time::OffsetDateTime;

use super::rows::{case_from, case_row};
use super::{SeaOrmBusinessRepository, lock_routing, queue};
use crate::domain::business::CaseRepository;
use crate::domain::business::{Announce, BusinessId, Case, CaseState, Routing, TeamId};
use crate::domain::conversations::{Conversation, Participant};
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, RepoError, UserId};
use crate::infrastructure::persistence::conversations::{conversation_row, participant_row};
use crate::infrastructure::persistence::entities::{business_cases, business_teams, participants};
use crate::infrastructure::persistence::outbox;
use crate::infrastructure::persistence::{repo_error, row_by_id, unexpected};

#[async_trait]
impl CaseRepository for SeaOrmBusinessRepository {
    async fn open_case(
        &self,
        conversation: &Conversation,
        customer: &Participant,
        case: &Case,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        crate::infrastructure::persistence::entities::conversations::Entity::insert(
            conversation_row(conversation, None),
        )
        .exec_without_returning(&txn)
        .await
        .map_err(unexpected)?;
        participants::Entity::insert(participant_row(conversation.id, customer))
            .exec_without_returning(&txn)
            .await
            .map_err(unexpected)?;
        business_cases::Entity::insert(case_row(case))
            .exec_without_returning(&txn)
            .await
            .map_err(|e| repo_error(e, &["customer"]))?;
        outbox::commit_with(txn, announce, &self.signal).await
    }

    async fn case(&self, conversation: ConversationId) -> Result<Option<Case>, RepoError> {
        let row = row_by_id::<business_cases::Entity>(&self.db, conversation.as_uuid()).await?;
        row.map(case_from).transpose()
    }

    async fn case_of_customer(
        &self,
        business: BusinessId,
        customer: UserId,
    ) -> Result<Option<Case>, RepoError> {
        let row = business_cases::Entity::find()
            .filter(business_cases::Column::BusinessId.eq(business.as_uuid()))
            .filter(business_cases::Column::CustomerId.eq(customer.as_uuid()))
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        row.map(case_from).transpose()
    }

    async fn save_case(
        &self,
        case: &Case,
        was: &Case,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        if !queue::replace(&txn, case, was).await? {
            return Ok(false);
        }
        outbox::commit_with(txn, announce, &self.signal).await?;
        Ok(true)
    }

    async fn assign_queue(
        &self,
        business: BusinessId,
        team: TeamId,
        now: OffsetDateTime,
        most: usize,
        announce: Announce<'_>,
    ) -> Result<Vec<Case>, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        lock_routing(&txn, business).await?;
        let routing = row_by_id::<business_teams::Entity>(&txn, team.as_uuid())
            .await?
            .and_then(|t| Routing::parse(&t.routing))
            .unwrap_or_default();
        let mut assigned = Vec::new();
        let mut events = Vec::new();
        while assigned.len() < most {
            let Some(case) = queue::assign_head(&txn, business, team, routing, now).await? else {
                break;
            };
            events.extend(announce(&case));
            assigned.push(case);
        }
        if assigned.is_empty() {
            return Ok(assigned);
        }
        outbox::commit_with(txn, &events, &self.signal).await?;
        Ok(assigned)
    }

    async fn note_first_response(
        &self,
        conversation: ConversationId,
        agent: UserId,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        let updated = business_cases::Entity::update_many()
            .col_expr(business_cases::Column::FirstResponseAt, Expr::value(at))
            .filter(business_cases::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(business_cases::Column::AgentId.eq(agent.as_uuid()))
            .filter(business_cases::Column::State.eq(CaseState::Assigned.as_str()))
            .filter(business_cases::Column::FirstResponseAt.is_null())
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(updated.rows_affected == 1)
    }

    async fn claim_notice(
        &self,
        conversation: ConversationId,
        was: Option<u64>,
        place: u64,
    ) -> Result<bool, RepoError> {
        let new_place = place;
        let place = |p: u64| i64::try_from(p).unwrap_or(i64::MAX);
        let told = business_cases::Column::ToldPosition;
        let updated = business_cases::Entity::update_many()
            .col_expr(told, Expr::value(place(new_place)))
            .filter(business_cases::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(business_cases::Column::State.eq(CaseState::Queued.as_str()))
            .filter(match was {
                Some(was) => told.eq(place(was)),
                None => told.is_null(),
            })
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(updated.rows_affected == 1)
    }

    async fn note_notice(
        &self,
        conversation: ConversationId,
        notice: MessageId,
    ) -> Result<(), RepoError> {
        business_cases::Entity::update_many()
            .col_expr(
                business_cases::Column::NoticeId,
                Expr::value(notice.as_uuid()),
            )
            .filter(business_cases::Column::ConversationId.eq(conversation.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}
