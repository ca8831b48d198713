use std::collections::BTreeSet;
use std::sync::Arc;

use crate::application::conversations::{
    ConversationView, ConversationsPorts, check_invitees, member_of,
};
use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::ports::Clock;
use crate::application::users::Relationships;
use crate::domain::conversations::{
    Conversation, ConversationKind, ConversationRepository, Description, Participant,
    ParticipantRepository, Role, Title,
};
use crate::domain::shared::{ConversationId, DomainEvent, MemberChange, RepoError, UserId};
use crate::domain::users::ProfileRepository;

pub enum CreateConversation {
    Direct {
        with: UserId,
    },
    Group {
        kind: ConversationKind,
        title: Title,
        description: Description,
        members: Vec<UserId>,
    },
}

/// Creates a conversation; a direct chat that exists already is returned as it is
/// (`false`: not created).
pub struct CreateConversationHandler {
    conversations: Arc<dyn ConversationRepository>,
    participants: Arc<dyn ParticipantRepository>,
    profiles: Arc<dyn ProfileRepository>,
    relationships: Relationships,
    clock: Arc<dyn Clock>,
    max_group_participants: u64,
    limit: WriteLimit,
}

impl CreateConversationHandler {
    pub fn new(ports: &ConversationsPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            participants: ports.participants.clone(),
            profiles: ports.profiles.clone(),
            relationships: ports.relationships.clone(),
            clock: ports.clock.clone(),
            max_group_participants: ports.max_group_participants,
            limit: ports.create_limit.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn handle(
        &self,
        me: UserId,
        command: CreateConversation,
    ) -> Result<(ConversationView, bool), AppError> {
        self.limit.spend(me).await?;
        match command {
            CreateConversation::Direct { with } => self.create_direct(me, with).await,
            CreateConversation::Group {
                kind,
                title,
                description,
                members,
            } => {
                self.create_group(me, kind, title, description, members)
                    .await
            }
        }
    }

    async fn create_direct(
        &self,
        me: UserId,
        with: UserId,
    ) -> Result<(ConversationView, bool), AppError> {
        if me == with {
            return Err(AppError::invalid("user_id", "must be someone else"));
        }
        if self.profiles.find(with).await?.is_none() {
            return Err(AppError::NotFound("user_not_found"));
        }
        let key = Conversation::direct_key(me, with);
        if let Some(existing) = self.conversations.find_direct(&key).await? {
            return Ok((self.existing(existing.id, me).await?, false));
        }
        // A block answers exactly like a contacts-only setting, so it cannot be told apart.
        if !self.relationships.may_message_directly(me, with).await? {
            return Err(AppError::Forbidden("direct_chat_not_allowed"));
        }
        let now = self.clock.now();
        let conversation = Conversation::new(
            ConversationKind::Direct,
            None,
            Description::default(),
            me,
            now,
        );
        let members = [
            Participant::new(me, Role::Member, now),
            Participant::new(with, Role::Member, now),
        ];
        let created = DomainEvent::ConversationCreated {
            conversation_id: conversation.id,
            members: vec![me, with],
        };
        match self
            .conversations
            .create(&conversation, &members, Some(&key), &[created])
            .await
        {
            Ok(()) => {}
            // Both sides opened it at the same moment: the other request won.
            Err(RepoError::Duplicate(_)) => {
                let existing = self
                    .conversations
                    .find_direct(&key)
                    .await?
                    .ok_or(AppError::Conflict("direct_chat_changed"))?;
                return Ok((self.existing(existing.id, me).await?, false));
            }
            Err(error) => return Err(error.into()),
        }
        let [mine, _] = members;
        Ok((
            ConversationView {
                conversation,
                me: mine,
                participant_count: 2,
                other_user: Some(with),
            },
            true,
        ))
    }

    async fn create_group(
        &self,
        me: UserId,
        kind: ConversationKind,
        title: Title,
        description: Description,
        members: Vec<UserId>,
    ) -> Result<(ConversationView, bool), AppError> {
        let others: BTreeSet<UserId> = members.into_iter().filter(|id| *id != me).collect();
        if others.len() as u64 + 1 > self.max_group_participants {
            return Err(AppError::Conflict("conversation_full"));
        }
        let others: Vec<UserId> = others.into_iter().collect();
        check_invitees(
            self.profiles.as_ref(),
            &self.relationships,
            me,
            &others,
            "member_ids",
        )
        .await?;
        let now = self.clock.now();
        let conversation = Conversation::new(kind, Some(title), description, me, now);
        let mut participants = vec![Participant::new(me, Role::Owner, now)];
        participants.extend(
            others
                .iter()
                .map(|id| Participant::new(*id, Role::Member, now)),
        );
        let mut events = vec![DomainEvent::ConversationCreated {
            conversation_id: conversation.id,
            members: participants.iter().map(|p| p.user_id).collect(),
        }];
        events.extend(others.iter().map(|user_id| {
            DomainEvent::ParticipantAdded(MemberChange {
                conversation_id: conversation.id,
                user_id: *user_id,
                by: me,
            })
        }));
        self.conversations
            .create(&conversation, &participants, None, &events)
            .await?;
        let count = participants.len() as u64;
        let mine = participants.swap_remove(0);
        Ok((
            ConversationView {
                conversation,
                me: mine,
                participant_count: count,
                other_user: None,
            },
            true,
        ))
    }

    /// The direct chat that exists already, as `me` sees it.
    async fn existing(&self, id: ConversationId, me: UserId) -> Result<ConversationView, AppError> {
        let (conversation, participant) = member_of(self.conversations.as_ref(), id, me).await?;
        ConversationView::read(self.participants.as_ref(), conversation, participant).await
    }
}
