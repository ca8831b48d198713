//! Profiles, settings, contacts, blocks and the E2EE key directory.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, Statement, Value,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::conversations::placeholders;
use super::db::Db;
use super::entities::{blocks, contacts, one_time_prekeys, user_keys, user_settings, users};
use super::outbox::{self, OutboxSignal};
use super::{repo_error, unexpected};
use crate::domain::shared::{DomainEvent, RepoError, UserId};
use crate::domain::users::{
    Bio, BlockRepository, Contact, ContactRepository, ContactStatus, DirectMessagePolicy,
    DisplayName, KeyBundle, KeyRepository, KeyStatus, NotificationPreferences, OneTimePrekey,
    Profile, ProfileRepository, PublicKey, SearchPage, Settings, SettingsRepository, SignedPrekey,
    StatusText, Username, Visibility,
};

const USER_COLUMNS: &str = "id, username, email, display_name, password_hash, bio, status_text, avatar_id, \
    search_name, created_at, updated_at";

fn corrupt(what: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!("stored {what} is invalid"))
}

fn profile_from_row(row: users::Model) -> Result<Profile, RepoError> {
    Ok(Profile {
        id: UserId::from_uuid(row.id),
        username: Username::parse(&row.username).map_err(|_| corrupt("username"))?,
        display_name: DisplayName::parse(&row.display_name).map_err(|_| corrupt("display_name"))?,
        bio: Bio::parse(&row.bio).map_err(|_| corrupt("bio"))?,
        status_text: StatusText::parse(&row.status_text).map_err(|_| corrupt("status_text"))?,
        avatar_id: row.avatar_id,
        created_at: row.created_at,
    })
}

pub struct SeaOrmProfileRepository {
    db: Db,
}

impl SeaOrmProfileRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ProfileRepository for SeaOrmProfileRepository {
    async fn find(&self, id: UserId) -> Result<Option<Profile>, RepoError> {
        let row = users::Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        row.map(profile_from_row).transpose()
    }

    async fn find_many(&self, ids: &[UserId]) -> Result<Vec<Profile>, RepoError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = users::Entity::find()
            .filter(users::Column::Id.is_in(ids.iter().map(UserId::as_uuid)))
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        rows.into_iter().map(profile_from_row).collect()
    }

    async fn update(&self, profile: &Profile, now: OffsetDateTime) -> Result<(), RepoError> {
        users::Entity::update_many()
            .col_expr(
                users::Column::DisplayName,
                Expr::value(profile.display_name.as_str()),
            )
            .col_expr(
                users::Column::SearchName,
                Expr::value(profile.display_name.as_str().to_lowercase()),
            )
            .col_expr(users::Column::Bio, Expr::value(profile.bio.as_str()))
            .col_expr(
                users::Column::StatusText,
                Expr::value(profile.status_text.as_str()),
            )
            .col_expr(users::Column::AvatarId, Expr::value(profile.avatar_id))
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(profile.id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn search(
        &self,
        viewer: UserId,
        prefix: &str,
        after: Option<&str>,
        limit: u64,
    ) -> Result<SearchPage, RepoError> {
        // `[prefix, prefix + U+10FFFF)` is exactly "starts with prefix" in byte order (both
        // columns sort bytewise: SQLite's default, PostgreSQL's "C" collation). Each side of the
        // UNION is an index range scan that stops after one page; only two pages get merged.
        let upper = format!("{prefix}\u{10FFFF}");
        let backend = self.db.get_database_backend();
        let after_clause = if after.is_some() {
            " AND username > ?"
        } else {
            ""
        };
        let branch = |column: &str| {
            format!(
                "SELECT * FROM (SELECT {USER_COLUMNS} FROM users WHERE {column} >= ? AND {column} < ?{after_clause} \
                 AND id <> ? AND id NOT IN (SELECT blocker_id FROM blocks WHERE blocked_id = ?) \
                 ORDER BY username LIMIT ?) AS b_{column}"
            )
        };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM ({} UNION {}) AS found ORDER BY username LIMIT ?",
            branch("username"),
            branch("search_name")
        );
        let page = i64::try_from(limit + 1).unwrap_or(i64::MAX);
        let mut values: Vec<Value> = Vec::new();
        for _ in 0..2 {
            values.extend([prefix.into(), upper.as_str().into()]);
            if let Some(after) = after {
                values.push(after.into());
            }
            values.extend([
                viewer.as_uuid().into(),
                viewer.as_uuid().into(),
                page.into(),
            ]);
        }
        values.push(page.into());
        let statement =
            Statement::from_sql_and_values(backend, placeholders(backend, &sql), values);
        let rows = users::Model::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        let more = rows.len() as u64 > limit;
        let profiles: Vec<Profile> = rows
            .into_iter()
            .take(limit as usize)
            .map(profile_from_row)
            .collect::<Result<_, _>>()?;
        let next_after = more
            .then(|| profiles.last().map(|p| p.username.as_str().to_owned()))
            .flatten();
        Ok(SearchPage {
            profiles,
            next_after,
        })
    }
}

pub struct SeaOrmSettingsRepository {
    db: Db,
}

impl SeaOrmSettingsRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn visibility_to_str(v: Visibility) -> &'static str {
    match v {
        Visibility::Everyone => "everyone",
        Visibility::Contacts => "contacts",
        Visibility::Nobody => "nobody",
    }
}

fn visibility_from_str(v: &str) -> Result<Visibility, RepoError> {
    match v {
        "everyone" => Ok(Visibility::Everyone),
        "contacts" => Ok(Visibility::Contacts),
        "nobody" => Ok(Visibility::Nobody),
        _ => Err(corrupt("visibility")),
    }
}

#[async_trait]
impl SettingsRepository for SeaOrmSettingsRepository {
    async fn get(&self, user: UserId) -> Result<Settings, RepoError> {
        let Some(row) = user_settings::Entity::find_by_id(user.as_uuid())
            .one(&self.db)
            .await
            .map_err(unexpected)?
        else {
            return Ok(Settings::default());
        };
        Ok(Settings {
            presence: visibility_from_str(&row.presence)?,
            last_seen: visibility_from_str(&row.last_seen)?,
            direct_messages: match row.direct_messages.as_str() {
                "everyone" => DirectMessagePolicy::Everyone,
                "contacts" => DirectMessagePolicy::Contacts,
                _ => return Err(corrupt("direct_messages")),
            },
            group_invites: visibility_from_str(&row.group_invites)?,
            notifications: NotificationPreferences {
                messages: row.notify_messages,
                mentions: row.notify_mentions,
                contact_requests: row.notify_contact_requests,
                group_invites: row.notify_group_invites,
                email_digest: row.email_digest,
            },
        })
    }

    async fn save(
        &self,
        user: UserId,
        settings: &Settings,
        now: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let row = user_settings::ActiveModel {
            user_id: Set(user.as_uuid()),
            presence: Set(visibility_to_str(settings.presence).to_owned()),
            last_seen: Set(visibility_to_str(settings.last_seen).to_owned()),
            direct_messages: Set(match settings.direct_messages {
                DirectMessagePolicy::Everyone => "everyone",
                DirectMessagePolicy::Contacts => "contacts",
            }
            .to_owned()),
            group_invites: Set(visibility_to_str(settings.group_invites).to_owned()),
            notify_messages: Set(settings.notifications.messages),
            notify_mentions: Set(settings.notifications.mentions),
            notify_contact_requests: Set(settings.notifications.contact_requests),
            notify_group_invites: Set(settings.notifications.group_invites),
            email_digest: Set(settings.notifications.email_digest),
            updated_at: Set(now),
        };
        use user_settings::Column as C;
        let upsert = OnConflict::column(C::UserId)
            .update_columns([
                C::Presence,
                C::LastSeen,
                C::DirectMessages,
                C::GroupInvites,
                C::NotifyMessages,
                C::NotifyMentions,
                C::NotifyContactRequests,
                C::NotifyGroupInvites,
                C::EmailDigest,
                C::UpdatedAt,
            ])
            .to_owned();
        user_settings::Entity::insert(row)
            .on_conflict(upsert)
            .exec_without_returning(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}

pub struct SeaOrmContactRepository {
    db: Db,
    signal: OutboxSignal,
}

impl SeaOrmContactRepository {
    pub fn new(db: Db, signal: OutboxSignal) -> Self {
        Self { db, signal }
    }
}

/// The pair's key: the smaller id first.
fn pair(a: UserId, b: UserId) -> (Uuid, Uuid) {
    let (a, b) = (a.as_uuid(), b.as_uuid());
    if a < b { (a, b) } else { (b, a) }
}

fn contact_seen_by(me: UserId, row: &contacts::Model) -> Contact {
    let other = if row.user_low == me.as_uuid() {
        row.user_high
    } else {
        row.user_low
    };
    let status = match (row.accepted, row.requested_by == me.as_uuid()) {
        (true, _) => ContactStatus::Accepted,
        (false, true) => ContactStatus::Outgoing,
        (false, false) => ContactStatus::Incoming,
    };
    Contact {
        user_id: UserId::from_uuid(other),
        status,
        since: row.updated_at,
    }
}

#[async_trait]
impl ContactRepository for SeaOrmContactRepository {
    async fn between(&self, me: UserId, other: UserId) -> Result<Option<Contact>, RepoError> {
        let row = contacts::Entity::find_by_id(pair(me, other))
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(row.map(|row| contact_seen_by(me, &row)))
    }

    async fn request(
        &self,
        from: UserId,
        to: UserId,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError> {
        let (low, high) = pair(from, to);
        let row = contacts::ActiveModel {
            user_low: Set(low),
            user_high: Set(high),
            requested_by: Set(from.as_uuid()),
            accepted: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let txn = self.db.begin().await.map_err(unexpected)?;
        contacts::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| repo_error(e, &["contacts"]))?;
        outbox::commit_with(txn, announce, &self.signal).await
    }

    async fn accept(
        &self,
        me: UserId,
        requester: UserId,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError> {
        let (low, high) = pair(me, requester);
        let txn = self.db.begin().await.map_err(unexpected)?;
        let result = contacts::Entity::update_many()
            .col_expr(contacts::Column::Accepted, Expr::value(true))
            .col_expr(contacts::Column::UpdatedAt, Expr::value(now))
            .filter(contacts::Column::UserLow.eq(low))
            .filter(contacts::Column::UserHigh.eq(high))
            .filter(contacts::Column::RequestedBy.eq(requester.as_uuid()))
            .filter(contacts::Column::Accepted.eq(false))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        let accepted = result.rows_affected == 1;
        outbox::commit_with(txn, if accepted { announce } else { &[] }, &self.signal).await?;
        Ok(accepted)
    }

    async fn remove(&self, me: UserId, other: UserId) -> Result<bool, RepoError> {
        let result = contacts::Entity::delete_by_id(pair(me, other))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected == 1)
    }

    async fn list(&self, me: UserId) -> Result<Vec<Contact>, RepoError> {
        let rows = contacts::Entity::find()
            .filter(
                Condition::any()
                    .add(contacts::Column::UserLow.eq(me.as_uuid()))
                    .add(contacts::Column::UserHigh.eq(me.as_uuid())),
            )
            .order_by_desc(contacts::Column::UpdatedAt)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows.iter().map(|row| contact_seen_by(me, row)).collect())
    }
}

pub struct SeaOrmBlockRepository {
    db: Db,
}

impl SeaOrmBlockRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl BlockRepository for SeaOrmBlockRepository {
    async fn block(
        &self,
        blocker: UserId,
        blocked: UserId,
        now: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let row = blocks::ActiveModel {
            blocker_id: Set(blocker.as_uuid()),
            blocked_id: Set(blocked.as_uuid()),
            created_at: Set(now),
        };
        let inserted = blocks::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([blocks::Column::BlockerId, blocks::Column::BlockedId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await;
        match inserted {
            Ok(_) | Err(DbErr::RecordNotInserted) => {}
            Err(error) => return Err(unexpected(error)),
        }
        contacts::Entity::delete_by_id(pair(blocker, blocked))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        txn.commit().await.map_err(unexpected)
    }

    async fn unblock(&self, blocker: UserId, blocked: UserId) -> Result<bool, RepoError> {
        let result = blocks::Entity::delete_by_id((blocker.as_uuid(), blocked.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected == 1)
    }

    async fn list(&self, blocker: UserId) -> Result<Vec<(UserId, OffsetDateTime)>, RepoError> {
        let rows = blocks::Entity::find()
            .filter(blocks::Column::BlockerId.eq(blocker.as_uuid()))
            .order_by_desc(blocks::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|row| (UserId::from_uuid(row.blocked_id), row.created_at))
            .collect())
    }

    async fn blockers(&self, blocked: UserId) -> Result<Vec<UserId>, RepoError> {
        let rows = blocks::Entity::find()
            .filter(blocks::Column::BlockedId.eq(blocked.as_uuid()))
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|row| UserId::from_uuid(row.blocker_id))
            .collect())
    }

    async fn has_blocked(&self, blocker: UserId, blocked: UserId) -> Result<bool, RepoError> {
        let row = blocks::Entity::find_by_id((blocker.as_uuid(), blocked.as_uuid()))
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(row.is_some())
    }

    async fn either_blocked(&self, a: UserId, b: UserId) -> Result<bool, RepoError> {
        let count = blocks::Entity::find()
            .filter(
                Condition::any()
                    .add(
                        blocks::Column::BlockerId
                            .eq(a.as_uuid())
                            .and(blocks::Column::BlockedId.eq(b.as_uuid())),
                    )
                    .add(
                        blocks::Column::BlockerId
                            .eq(b.as_uuid())
                            .and(blocks::Column::BlockedId.eq(a.as_uuid())),
                    ),
            )
            .count(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(count > 0)
    }
}

pub struct SeaOrmKeyRepository {
    db: Db,
}

impl SeaOrmKeyRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn stored_key(raw: &str) -> Result<PublicKey, RepoError> {
    PublicKey::parse(raw).map_err(|_| corrupt("key"))
}

#[async_trait]
impl KeyRepository for SeaOrmKeyRepository {
    async fn save(
        &self,
        user: UserId,
        identity_key: &PublicKey,
        signed_prekey: &SignedPrekey,
        fallback_prekey: Option<&SignedPrekey>,
        one_time_prekeys: &[OneTimePrekey],
        now: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let keys = user_keys::ActiveModel {
            user_id: Set(user.as_uuid()),
            identity_key: Set(identity_key.as_str().to_owned()),
            signed_prekey_id: Set(i64::from(signed_prekey.key_id)),
            signed_prekey: Set(signed_prekey.public_key.as_str().to_owned()),
            signed_prekey_signature: Set(signed_prekey.signature.as_str().to_owned()),
            fallback_prekey_id: Set(fallback_prekey.map(|k| i64::from(k.key_id))),
            fallback_prekey: Set(fallback_prekey.map(|k| k.public_key.as_str().to_owned())),
            fallback_prekey_signature: Set(fallback_prekey.map(|k| k.signature.as_str().to_owned())),
            updated_at: Set(now),
        };
        use user_keys::Column as K;
        let mut replaced = vec![
            K::IdentityKey,
            K::SignedPrekeyId,
            K::SignedPrekey,
            K::SignedPrekeySignature,
            K::UpdatedAt,
        ];
        // An upload without a fallback keeps the one there.
        if fallback_prekey.is_some() {
            replaced.extend([
                K::FallbackPrekeyId,
                K::FallbackPrekey,
                K::FallbackPrekeySignature,
            ]);
        }
        user_keys::Entity::insert(keys)
            .on_conflict(
                OnConflict::column(K::UserId)
                    .update_columns(replaced)
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .map_err(unexpected)?;
        if !one_time_prekeys.is_empty() {
            let rows = one_time_prekeys
                .iter()
                .map(|key| one_time_prekeys::ActiveModel {
                    user_id: Set(user.as_uuid()),
                    key_id: Set(i64::from(key.key_id)),
                    public_key: Set(key.public_key.as_str().to_owned()),
                    created_at: Set(now),
                });
            use one_time_prekeys::Column as P;
            one_time_prekeys::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([P::UserId, P::KeyId])
                        .update_columns([P::PublicKey, P::CreatedAt])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .map_err(unexpected)?;
        }
        txn.commit().await.map_err(unexpected)
    }

    async fn claim_bundle(&self, user: UserId) -> Result<Option<KeyBundle>, RepoError> {
        let Some(keys) = user_keys::Entity::find_by_id(user.as_uuid())
            .one(&self.db)
            .await
            .map_err(unexpected)?
        else {
            return Ok(None);
        };
        let signed_prekey = SignedPrekey {
            key_id: u32::try_from(keys.signed_prekey_id)
                .map_err(|_| corrupt("signed_prekey_id"))?,
            public_key: stored_key(&keys.signed_prekey)?,
            signature: stored_key(&keys.signed_prekey_signature)?,
        };
        // Whoever deletes the row owns the key: a lost race just tries the next one.
        let mut one_time_prekey = None;
        for _ in 0..16 {
            let Some(candidate) = one_time_prekeys::Entity::find()
                .filter(one_time_prekeys::Column::UserId.eq(user.as_uuid()))
                .order_by_asc(one_time_prekeys::Column::KeyId)
                .one(&self.db)
                .await
                .map_err(unexpected)?
            else {
                break;
            };
            let deleted =
                one_time_prekeys::Entity::delete_by_id((candidate.user_id, candidate.key_id))
                    .exec(&self.db)
                    .await
                    .map_err(unexpected)?;
            if deleted.rows_affected == 1 {
                one_time_prekey = Some(OneTimePrekey {
                    key_id: u32::try_from(candidate.key_id).map_err(|_| corrupt("key_id"))?,
                    public_key: stored_key(&candidate.public_key)?,
                });
                break;
            }
        }
        let fallback_prekey = match &one_time_prekey {
            Some(_) => None,
            None => fallback(&keys)?,
        };
        Ok(Some(KeyBundle {
            identity_key: stored_key(&keys.identity_key)?,
            signed_prekey,
            one_time_prekey,
            fallback_prekey,
        }))
    }

    async fn status(&self, user: UserId) -> Result<Option<KeyStatus>, RepoError> {
        let Some(keys) = user_keys::Entity::find_by_id(user.as_uuid())
            .one(&self.db)
            .await
            .map_err(unexpected)?
        else {
            return Ok(None);
        };
        let left = one_time_prekeys::Entity::find()
            .filter(one_time_prekeys::Column::UserId.eq(user.as_uuid()))
            .count(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(Some(KeyStatus {
            one_time_prekeys_left: left,
            has_fallback_prekey: keys.fallback_prekey.is_some(),
        }))
    }
}

fn fallback(keys: &user_keys::Model) -> Result<Option<SignedPrekey>, RepoError> {
    let (Some(id), Some(key), Some(signature)) = (
        keys.fallback_prekey_id,
        &keys.fallback_prekey,
        &keys.fallback_prekey_signature,
    ) else {
        return Ok(None);
    };
    Ok(Some(SignedPrekey {
        key_id: u32::try_from(id).map_err(|_| corrupt("fallback_prekey_id"))?,
        public_key: stored_key(key)?,
        signature: stored_key(signature)?,
    }))
}
