use std::collections::BTreeSet;
use std::sync::Arc;

use uuid::Uuid;

use super::ConversationsDeps;
use crate::application::error::AppError;
use crate::domain::attachments::AvatarOf;
use crate::domain::conversations::{
    Conversation, ConversationKind, Description, Participant, Role, Title,
};
use crate::domain::shared::{ConversationId, DomainEvent, RepoError, UserId};

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

#[derive(Debug, Clone, Default)]
pub struct UpdateConversation {
    pub title: Option<Title>,
    pub description: Option<Description>,
    /// `Some(None)` removes the avatar.
    pub avatar_id: Option<Option<Uuid>>,
}

/// A conversation as one of its participants sees it.
#[derive(Debug, Clone)]
pub struct ConversationView {
    pub conversation: Conversation,
    pub me: Participant,
    pub participant_count: u64,
    /// The other participant of a direct chat.
    pub other_user: Option<UserId>,
}

pub struct ConversationsHandler(Arc<ConversationsDeps>);

impl ConversationsHandler {
    pub fn new(deps: Arc<ConversationsDeps>) -> Self {
        Self(deps)
    }

    async fn view(
        &self,
        conversation: Conversation,
        me: Participant,
    ) -> Result<ConversationView, AppError> {
        let ids = self.0.participants.participant_ids(conversation.id).await?;
        let other_user = (conversation.kind == ConversationKind::Direct)
            .then(|| ids.iter().copied().find(|id| *id != me.user_id))
            .flatten();
        Ok(ConversationView {
            participant_count: ids.len() as u64,
            conversation,
            me,
            other_user,
        })
    }

    /// Creates a conversation; a direct chat that exists already is returned as it is
    /// (`false`: not created).
    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn create(
        &self,
        me: UserId,
        command: CreateConversation,
    ) -> Result<(ConversationView, bool), AppError> {
        self.0.create_limit.spend(me).await?;
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
        let deps = &self.0;
        if me == with {
            return Err(AppError::invalid("user_id", "must be someone else"));
        }
        if deps.profiles.find(with).await?.is_none() {
            return Err(AppError::NotFound("user_not_found"));
        }
        let key = Conversation::direct_key(me, with);
        if let Some(existing) = deps.conversations.find_direct(&key).await? {
            let (conversation, participant) = deps.member_of(existing.id, me).await?;
            return Ok((self.view(conversation, participant).await?, false));
        }
        // A block answers exactly like a contacts-only setting, so it cannot be told apart.
        if !deps.relationships.may_message_directly(me, with).await? {
            return Err(AppError::Forbidden("direct_chat_not_allowed"));
        }
        let now = deps.clock.now();
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
        };
        match deps
            .conversations
            .create(&conversation, &members, Some(&key), &[created])
            .await
        {
            Ok(()) => {}
            // Both sides opened it at the same moment: the other request won.
            Err(RepoError::Duplicate(_)) => {
                let existing = deps
                    .conversations
                    .find_direct(&key)
                    .await?
                    .ok_or(AppError::Conflict("direct_chat_changed"))?;
                let (conversation, participant) = deps.member_of(existing.id, me).await?;
                return Ok((self.view(conversation, participant).await?, false));
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
        let deps = &self.0;
        let others: BTreeSet<UserId> = members.into_iter().filter(|id| *id != me).collect();
        if others.len() as u64 + 1 > deps.max_group_participants {
            return Err(AppError::Conflict("conversation_full"));
        }
        let others: Vec<UserId> = others.into_iter().collect();
        let found = deps.profiles.find_many(&others).await?;
        let mut missing = Vec::new();
        for id in &others {
            // Someone who blocked the creator cannot be put in a conversation with them.
            if !found.iter().any(|p| p.id == *id)
                || deps.relationships.is_blocked_by(*id, me).await?
            {
                missing.push(id.to_string());
            }
        }
        if !missing.is_empty() {
            return Err(AppError::invalid(
                "member_ids",
                format!("unknown users: {}", missing.join(", ")),
            ));
        }
        deps.check_invites(me, &others).await?;
        let now = deps.clock.now();
        let conversation = Conversation::new(kind, Some(title), description, me, now);
        let mut participants = vec![Participant::new(me, Role::Owner, now)];
        participants.extend(
            others
                .iter()
                .map(|id| Participant::new(*id, Role::Member, now)),
        );
        let mut events = vec![DomainEvent::ConversationCreated {
            conversation_id: conversation.id,
        }];
        events.extend(others.iter().map(|user_id| DomainEvent::ParticipantAdded {
            conversation_id: conversation.id,
            user_id: *user_id,
            by: me,
        }));
        deps.conversations
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

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn get(&self, me: UserId, id: ConversationId) -> Result<ConversationView, AppError> {
        let (conversation, participant) = self.0.member_of(id, me).await?;
        self.view(conversation, participant).await
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn update(
        &self,
        me: UserId,
        id: ConversationId,
        changes: UpdateConversation,
    ) -> Result<ConversationView, AppError> {
        let deps = &self.0;
        let (mut conversation, participant) = deps.member_of(id, me).await?;
        conversation.check_can_edit(&participant)?;
        if let Some(title) = changes.title {
            conversation.title = Some(title);
        }
        if let Some(description) = changes.description {
            conversation.description = description;
        }
        if let Some(avatar_id) = changes.avatar_id {
            let of = AvatarOf::Conversation(id);
            let current = conversation.avatar_id;
            deps.avatars.change(me, of, current, avatar_id).await?;
            conversation.avatar_id = avatar_id;
        }
        conversation.updated_at = deps.clock.now();
        let updated = DomainEvent::ConversationUpdated {
            conversation_id: id,
        };
        deps.conversations.update(&conversation, &[updated]).await?;
        self.view(conversation, participant).await
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn delete(&self, me: UserId, id: ConversationId) -> Result<(), AppError> {
        let deps = &self.0;
        let (conversation, participant) = deps.member_of(id, me).await?;
        conversation.check_can_delete(&participant)?;
        let participants = deps.participants.participant_ids(id).await?;
        let deleted = DomainEvent::ConversationDeleted {
            conversation_id: id,
            participants,
        };
        deps.conversations.delete(id, &[deleted]).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn set_muted(
        &self,
        me: UserId,
        id: ConversationId,
        muted: bool,
    ) -> Result<(), AppError> {
        self.0.member_of(id, me).await?;
        self.0.participants.set_muted(id, me, muted).await?;
        Ok(())
    }
}
