//! The GraphQL API: a third adapter over the same application layer as REST and the socket.
//! `POST /graphql` runs queries and mutations, and a WebSocket upgrade of `GET /graphql` speaks
//! `graphql-transport-ws` for subscriptions; the schema is in `docs/schema.graphql`.

mod attachments;
mod auth;
mod business;
mod contacts;
mod conversation_commands;
mod conversations;
mod error;
mod events;
mod keys;
mod message_commands;
mod messages;
mod notifications;
mod observe;
mod realtime;
mod requests;
mod settings;
mod socket;
mod subscriptions;
mod users;

use actix_web::web;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, MergedObject, Schema, SchemaBuilder};

use super::http::AppState;
use crate::application::error::AppError;
use crate::application::ports::AccessClaims;
use crate::config::GraphqlSettings;
use crate::domain::shared::UserId;
use crate::telemetry::statements::StatementCount;

pub use subscriptions::SubscriptionRoot;
pub use users::ProfileLoader;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    auth::AuthQuery,
    users::UsersQuery,
    contacts::ContactsQuery,
    keys::KeysQuery,
    conversations::ConversationsQuery,
    messages::MessagesQuery,
    notifications::NotificationsQuery,
    realtime::RealtimeQuery,
    settings::SettingsQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    auth::AuthMutation,
    users::UsersMutation,
    contacts::ContactsMutation,
    keys::KeysMutation,
    conversation_commands::ConversationsMutation,
    message_commands::MessagesMutation,
    notifications::NotificationsMutation,
    attachments::AttachmentsMutation,
    realtime::RealtimeMutation,
    settings::SettingsMutation,
);

pub type ChatSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema without its data or limits: enough to print the SDL.
pub fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
}

/// What `/graphql` serves: the schema, reaching the application through `state`.
pub struct Endpoint {
    schema: ChatSchema,
    report_statements: bool,
}

pub fn endpoint(state: web::Data<AppState>, settings: &GraphqlSettings) -> web::Data<Endpoint> {
    let schema = builder()
        .limit_depth(settings.max_depth)
        .limit_complexity(settings.max_complexity)
        .extension(observe::Observe::new())
        .data(state)
        .finish();
    web::Data::new(Endpoint {
        schema,
        report_statements: settings.report_statements,
    })
}

/// The schema in SDL, as committed in `docs/schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(requests::multipart)
        .service(requests::execute)
        .service(socket::subscribe);
}

/// The caller, when the request or socket carried a valid access token.
struct Viewer(AccessClaims);

/// The caller of a resolver that needs one.
fn viewer(ctx: &Context<'_>) -> Result<UserId, AppError> {
    claims(ctx).map(|claims| claims.user_id)
}

/// The caller's token claims, for what acts on its session.
fn claims(ctx: &Context<'_>) -> Result<AccessClaims, AppError> {
    ctx.data_opt::<Viewer>()
        .map(|viewer| viewer.0)
        .ok_or(AppError::Unauthenticated("missing_token"))
}

/// What every operation reads beside its caller: profiles, batched per request or socket.
fn loaders(state: &web::Data<AppState>, statements: StatementCount) -> DataLoader<ProfileLoader> {
    // Batches run in tasks of their own; they count towards the operation that asked.
    let spawn = move |batch| {
        let statements = statements.clone();
        tokio::spawn(async move { statements.scope(batch).await })
    };
    DataLoader::new(ProfileLoader::new(state.clone()), spawn)
}

fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<web::Data<AppState>>()
}

#[cfg(test)]
mod tests {
    /// The committed SDL is the schema the code serves. After a change to the schema, run
    /// `UPDATE_GRAPHQL_SCHEMA=1 cargo test graphql` and commit `docs/schema.graphql`.
    #[test]
    fn committed_sdl_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.graphql");
        let sdl = super::sdl();
        if std::env::var_os("UPDATE_GRAPHQL_SCHEMA").is_some() {
            std::fs::write(path, &sdl).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == sdl,
            "docs/schema.graphql differs from the schema the code serves; \
             run UPDATE_GRAPHQL_SCHEMA=1 cargo test graphql and commit the file"
        );
    }
}
