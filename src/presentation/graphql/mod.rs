//! The GraphQL API: a third adapter over the same application layer as REST and the socket.
//! `POST /graphql` runs queries and mutations, and a WebSocket upgrade of `GET /graphql` speaks
//! `graphql-transport-ws` for subscriptions; the schema is in `docs/schema.graphql`.

mod auth;
mod contacts;
mod conversations;
mod error;
mod events;
mod messages;
mod notifications;
mod observe;
mod realtime;
mod socket;
mod subscriptions;
mod users;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, MergedObject, Schema, SchemaBuilder};

use super::http::AppState;
use super::http::extract::{ClientMeta, bearer_token};
use super::http::problem::Problem;
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
    conversations::ConversationsQuery,
    messages::MessagesQuery,
    notifications::NotificationsQuery,
    realtime::RealtimeQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    auth::AuthMutation,
    users::UsersMutation,
    contacts::ContactsMutation,
    conversations::ConversationsMutation,
    messages::MessagesMutation,
    notifications::NotificationsMutation,
    realtime::RealtimeMutation,
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
    cfg.service(execute).service(socket::subscribe);
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

/// Queries and mutations. A bad token is refused as on REST (401 problem+json); without one,
/// only what needs no caller answers, and the rest says `unauthenticated` per field.
#[post("/graphql")]
pub async fn execute(
    state: web::Data<AppState>,
    endpoint: web::Data<Endpoint>,
    req: HttpRequest,
    meta: ClientMeta,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let request: async_graphql::Request = serde_json::from_slice(&body).map_err(|e| {
        Problem::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("The body is not a GraphQL request: {e}"),
        )
    })?;
    let statements = StatementCount::default();
    let mut request = request.data(loaders(&state, statements.clone())).data(meta);
    if let Some(token) = bearer_token(&req) {
        let claims = state.auth.authenticate.handle(&token).await?;
        request = request.data(Viewer(claims));
    }
    let mut response = statements.scope(endpoint.schema.execute(request)).await;
    if endpoint.report_statements {
        response
            .extensions
            .insert("statements".to_owned(), statements.get().into());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(serde_json::to_vec(&response).map_err(|e| AppError::Unexpected(e.into()))?))
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
