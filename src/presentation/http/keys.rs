//! `/api/v1/users/…/keys`: the E2EE public key directory.

use actix_web::{HttpResponse, get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::extract::AuthUser;
use super::input::Json;
use super::problem::Problem;
use crate::application::error::{AppError, FieldErrors};
use crate::application::users::UploadKeys;
use crate::domain::shared::UserId;
use crate::domain::users::{
    KeyBundle, KeyStatus, OneTimePrekey, PublicKey, SignedPrekey, check_prekeys,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `/users/me/keys` before `/users/{id}/keys`, so `me` is never read as an `{id}`.
    cfg.service(upload_keys)
        .service(key_status)
        .service(get_key_bundle);
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedPrekeyBody {
    #[schema(value_type = u64, maximum = 4294967295_u64)]
    pub key_id: u32,
    /// Standard base64, 1 to 512 bytes.
    #[schema(
        min_length = 4,
        max_length = 684,
        pattern = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$"
    )]
    pub public_key: String,
    /// Standard base64, 1 to 512 bytes.
    #[schema(
        min_length = 4,
        max_length = 684,
        pattern = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$"
    )]
    pub signature: String,
}

impl From<&SignedPrekey> for SignedPrekeyBody {
    fn from(key: &SignedPrekey) -> Self {
        Self {
            key_id: key.key_id,
            public_key: key.public_key.as_str().to_owned(),
            signature: key.signature.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OneTimePrekeyBody {
    #[schema(value_type = u64, maximum = 4294967295_u64)]
    pub key_id: u32,
    /// Standard base64, 1 to 512 bytes.
    #[schema(
        min_length = 4,
        max_length = 684,
        pattern = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$"
    )]
    pub public_key: String,
}

/// Public keys only; the identity key and signed prekey replace earlier ones, one-time
/// prekeys are added (up to 100 per upload).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadKeysBody {
    /// Standard base64, 1 to 512 bytes.
    #[schema(
        min_length = 4,
        max_length = 684,
        pattern = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$"
    )]
    pub identity_key: String,
    pub signed_prekey: SignedPrekeyBody,
    /// Signed last-resort prekey, handed out once the one-time prekeys run out; replaces the
    /// stored one when given, kept when omitted.
    #[serde(default)]
    pub fallback_prekey: Option<SignedPrekeyBody>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub one_time_prekeys: Vec<OneTimePrekeyBody>,
}

impl UploadKeysBody {
    pub(crate) fn into_command(self) -> Result<UploadKeys, AppError> {
        let mut errors = FieldErrors::default();
        let identity_key = errors.check("identity_key", PublicKey::parse(&self.identity_key));
        let public_key = errors.check(
            "signed_prekey.public_key",
            PublicKey::parse(&self.signed_prekey.public_key),
        );
        let signature = errors.check(
            "signed_prekey.signature",
            PublicKey::parse(&self.signed_prekey.signature),
        );
        let mut one_time_prekeys = Vec::with_capacity(self.one_time_prekeys.len());
        for (i, key) in self.one_time_prekeys.into_iter().enumerate() {
            if let Some(public_key) = errors.check(
                &format!("one_time_prekeys[{i}].public_key"),
                PublicKey::parse(&key.public_key),
            ) {
                one_time_prekeys.push(OneTimePrekey {
                    key_id: key.key_id,
                    public_key,
                });
            }
        }
        errors.check("one_time_prekeys", check_prekeys(&one_time_prekeys));
        let fallback_prekey = self.fallback_prekey.and_then(|body| {
            let public_key = errors.check(
                "fallback_prekey.public_key",
                PublicKey::parse(&body.public_key),
            )?;
            let signature = errors.check(
                "fallback_prekey.signature",
                PublicKey::parse(&body.signature),
            )?;
            Some(SignedPrekey {
                key_id: body.key_id,
                public_key,
                signature,
            })
        });
        let (Some(identity_key), Some(public_key), Some(signature), true) =
            (identity_key, public_key, signature, errors.is_empty())
        else {
            return Err(AppError::Invalid(errors));
        };
        let signed_prekey = SignedPrekey {
            key_id: self.signed_prekey.key_id,
            public_key,
            signature,
        };
        Ok(UploadKeys {
            identity_key,
            signed_prekey,
            fallback_prekey,
            one_time_prekeys,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyStatusResponse {
    /// One-time prekeys still unclaimed; upload more when it runs low.
    pub one_time_prekeys_left: u64,
    /// Whether a fallback prekey is stored for when they run out.
    pub has_fallback_prekey: bool,
}

impl From<KeyStatus> for KeyStatusResponse {
    fn from(status: KeyStatus) -> Self {
        Self {
            one_time_prekeys_left: status.one_time_prekeys_left,
            has_fallback_prekey: status.has_fallback_prekey,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyBundleResponse {
    pub user_id: Uuid,
    pub identity_key: String,
    pub signed_prekey: SignedPrekeyBody,
    /// Claimed for the caller alone; `null` when the owner has none left.
    pub one_time_prekey: Option<OneTimePrekeyBody>,
    /// The owner's signed last-resort prekey, only when `one_time_prekey` is `null` (and the
    /// owner uploaded one).
    pub fallback_prekey: Option<SignedPrekeyBody>,
}

impl KeyBundleResponse {
    pub(crate) fn new(user_id: Uuid, bundle: KeyBundle) -> Self {
        Self {
            user_id,
            identity_key: bundle.identity_key.as_str().to_owned(),
            signed_prekey: SignedPrekeyBody::from(&bundle.signed_prekey),
            one_time_prekey: bundle.one_time_prekey.map(|k| OneTimePrekeyBody {
                key_id: k.key_id,
                public_key: k.public_key.as_str().to_owned(),
            }),
            fallback_prekey: bundle.fallback_prekey.as_ref().map(SignedPrekeyBody::from),
        }
    }
}

/// How many of the caller's one-time prekeys are left, and whether a fallback is stored.
#[utoipa::path(get, path = "/api/v1/users/me/keys", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = KeyStatusResponse),
    (status = 404, description = "`keys_not_found`: none uploaded yet")))]
#[get("/users/me/keys")]
pub async fn key_status(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, Problem> {
    let status = state.users.key_status.handle(user.id()).await?;
    Ok(HttpResponse::Ok().json(KeyStatusResponse::from(status)))
}

/// Upload the caller's public E2EE keys.
#[utoipa::path(put, path = "/api/v1/users/me/keys", tag = "users", security(("bearer" = [])),
    request_body = UploadKeysBody,
    responses((status = 200, body = KeyStatusResponse),
    (status = 422, description = "Invalid keys")))]
#[put("/users/me/keys")]
pub async fn upload_keys(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<UploadKeysBody>,
) -> Result<HttpResponse, Problem> {
    let command = body.into_inner().into_command()?;
    let status = state.users.upload_keys.handle(user.id(), command).await?;
    Ok(HttpResponse::Ok().json(KeyStatusResponse::from(status)))
}

/// Fetch a user's key bundle; claims one of their one-time prekeys for the caller (or, once
/// they are gone, hands out the fallback prekey).
#[utoipa::path(get, path = "/api/v1/users/{id}/keys", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = KeyBundleResponse),
    (status = 429, description = "`rate_limited`: this caller claimed too many of this user's prekeys; see `Retry-After`"),
    (status = 404, description = "`keys_not_found`: no keys uploaded (or not visible)")))]
#[get("/users/{id}/keys")]
pub async fn get_key_bundle(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let owner = UserId::from_uuid(*id);
    let bundle = state
        .users
        .claim_key_bundle
        .handle(user.id(), owner)
        .await?;
    Ok(HttpResponse::Ok().json(KeyBundleResponse::new(*id, bundle)))
}
