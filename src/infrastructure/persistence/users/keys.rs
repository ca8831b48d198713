//! The E2EE key directory: identity keys, signed and one-time prekeys.

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use time::OffsetDateTime;

use crate::domain::shared::{RepoError, UserId};
use crate::domain::users::{
    KeyBundle, KeyRepository, KeyStatus, OneTimePrekey, PublicKey, SignedPrekey,
};
use crate::infrastructure::persistence::db::Db;
use crate::infrastructure::persistence::entities::{one_time_prekeys, user_keys};
use crate::infrastructure::persistence::{corrupt, row_by_id, unexpected};

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
        let Some(keys) = row_by_id::<user_keys::Entity>(&self.db, user.as_uuid()).await? else {
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
        let Some(keys) = row_by_id::<user_keys::Entity>(&self.db, user.as_uuid()).await? else {
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
