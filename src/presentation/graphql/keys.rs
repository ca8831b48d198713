//! End-to-end encryption keys: the caller's upload and status, and claiming a user's bundle.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use uuid::Uuid;

use super::{state, viewer};
use crate::domain::shared::UserId;
use crate::presentation::http::keys::{
    KeyBundleResponse, OneTimePrekeyBody, SignedPrekeyBody, UploadKeysBody,
};

/// Keys are base64 text, as over REST.
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "SignedPrekeyInput")]
pub struct SignedPrekey {
    key_id: u32,
    public_key: String,
    /// The identity key's signature of `publicKey`.
    signature: String,
}

impl From<SignedPrekeyBody> for SignedPrekey {
    fn from(body: SignedPrekeyBody) -> Self {
        Self {
            key_id: body.key_id,
            public_key: body.public_key,
            signature: body.signature,
        }
    }
}

impl From<SignedPrekey> for SignedPrekeyBody {
    fn from(key: SignedPrekey) -> Self {
        Self {
            key_id: key.key_id,
            public_key: key.public_key,
            signature: key.signature,
        }
    }
}

#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "OneTimePrekeyInput")]
pub struct OneTimePrekey {
    key_id: u32,
    public_key: String,
}

#[derive(InputObject)]
pub struct UploadKeysInput {
    identity_key: String,
    signed_prekey: SignedPrekey,
    /// A signed last-resort prekey, handed out once the one-time prekeys run out.
    fallback_prekey: Option<SignedPrekey>,
    #[graphql(default)]
    one_time_prekeys: Vec<OneTimePrekey>,
}

#[derive(SimpleObject)]
pub struct KeyStatus {
    /// One-time prekeys still unclaimed; upload more when it runs low.
    one_time_prekeys_left: u64,
    has_fallback_prekey: bool,
}

#[derive(SimpleObject)]
pub struct KeyBundle {
    user_id: Uuid,
    identity_key: String,
    signed_prekey: SignedPrekey,
    /// Claimed for the caller alone; `null` when the owner has none left.
    one_time_prekey: Option<OneTimePrekey>,
    /// Only when `oneTimePrekey` is `null` (and the owner uploaded one).
    fallback_prekey: Option<SignedPrekey>,
}

#[derive(Default)]
pub struct KeysQuery;

#[Object]
impl KeysQuery {
    /// How many of the caller's one-time prekeys are left.
    async fn key_status(&self, ctx: &Context<'_>) -> Result<KeyStatus> {
        let status = state(ctx).users.key_status.handle(viewer(ctx)?).await?;
        Ok(KeyStatus {
            one_time_prekeys_left: status.one_time_prekeys_left,
            has_fallback_prekey: status.has_fallback_prekey,
        })
    }
}

#[derive(Default)]
pub struct KeysMutation;

#[Object]
impl KeysMutation {
    /// Upload the caller's public keys (one-time prekeys are added to those left).
    async fn upload_keys(&self, ctx: &Context<'_>, input: UploadKeysInput) -> Result<KeyStatus> {
        let me = viewer(ctx)?;
        let body = UploadKeysBody {
            identity_key: input.identity_key,
            signed_prekey: input.signed_prekey.into(),
            fallback_prekey: input.fallback_prekey.map(Into::into),
            one_time_prekeys: input
                .one_time_prekeys
                .into_iter()
                .map(|k| OneTimePrekeyBody {
                    key_id: k.key_id,
                    public_key: k.public_key,
                })
                .collect(),
        };
        let status = state(ctx)
            .users
            .upload_keys
            .handle(me, body.into_command()?)
            .await?;
        Ok(KeyStatus {
            one_time_prekeys_left: status.one_time_prekeys_left,
            has_fallback_prekey: status.has_fallback_prekey,
        })
    }

    /// Claim a user's key bundle: one of their one-time prekeys becomes the caller's alone (a
    /// mutation, as it spends one).
    async fn claim_key_bundle(&self, ctx: &Context<'_>, user_id: Uuid) -> Result<KeyBundle> {
        let me = viewer(ctx)?;
        let bundle = state(ctx)
            .users
            .claim_key_bundle
            .handle(me, UserId::from_uuid(user_id))
            .await?;
        let wire = KeyBundleResponse::new(user_id, bundle);
        Ok(KeyBundle {
            user_id,
            identity_key: wire.identity_key,
            signed_prekey: wire.signed_prekey.into(),
            one_time_prekey: wire.one_time_prekey.map(|k| OneTimePrekey {
                key_id: k.key_id,
                public_key: k.public_key,
            }),
            fallback_prekey: wire.fallback_prekey.map(Into::into),
        })
    }
}
