//! Which profiles a viewer may not see: agents, to the customers of businesses that hide them.

use async_trait::async_trait;
use uuid::Uuid;

use super::SeaOrmBusinessRepository;
use crate::application::ports::HiddenProfiles;
use crate::domain::shared::{RepoError, UserId};
use crate::infrastructure::persistence::{statement, unexpected};

#[derive(sea_orm::FromQueryResult)]
struct HiddenRow {
    user_id: Uuid,
}

#[async_trait]
impl HiddenProfiles for SeaOrmBusinessRepository {
    /// On the staff of a business that hides agents' names and that `viewer` is a customer
    /// of: indexed look-ups from the viewer's cases (most users have none).
    async fn hidden_among(
        &self,
        viewer: UserId,
        users: &[UserId],
    ) -> Result<Vec<UserId>, RepoError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let places = vec!["?"; users.len()].join(", ");
        let sql = format!(
            "SELECT DISTINCT m.user_id FROM business_cases c \
             JOIN businesses b ON b.id = c.business_id AND NOT b.show_agent_names \
             JOIN business_members m ON m.business_id = c.business_id \
             WHERE c.customer_id = ? AND m.user_id IN ({places})"
        );
        let mut values = vec![viewer.as_uuid().into()];
        values.extend(users.iter().map(|u| u.as_uuid().into()));
        let rows = <HiddenRow as sea_orm::FromQueryResult>::find_by_statement(statement(
            &self.db, &sql, values,
        ))
        .all(&self.db)
        .await
        .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|r| UserId::from_uuid(r.user_id))
            .collect())
    }
}
