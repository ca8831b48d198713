//! The OpenAPI document, generated from the route annotations.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::application::attachments::THUMBNAIL_TYPE;
use crate::domain::attachments::MediaType;

use super::{
    activity, attachments, auth, conversations, health, messages, metrics, notifications, problem,
    users,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Chat API", description = "REST API of the chat server. Errors are `application/problem+json` (RFC 9457); branch on `code`."),
    paths(
        auth::register, auth::login, auth::refresh, auth::logout, auth::list_sessions,
        auth::revoke_session, auth::revoke_other_sessions, auth::change_password,
        auth::forgot_password, auth::reset_password, activity::list_activity,
        users::get_me, users::update_me, users::get_settings, users::update_settings,
        users::search_users, users::get_user, users::block_user, users::unblock_user,
        users::list_blocks, users::upload_keys, users::key_status, users::get_key_bundle,
        users::list_contacts, users::request_contact, users::accept_contact, users::remove_contact,
        conversations::chat_list, conversations::create_conversation, conversations::get_conversation,
        conversations::update_conversation, conversations::delete_conversation,
        conversations::list_participants, conversations::add_participants,
        conversations::remove_participant, conversations::change_role, conversations::mute,
        conversations::unmute,
        messages::history, messages::send_message, messages::edit_message, messages::delete_message,
        messages::add_reaction, messages::remove_reaction, messages::thread, messages::receipts,
        messages::mark_read, messages::mark_delivered, messages::search_messages,
        notifications::list_notifications, notifications::mark_notifications_read,
        notifications::list_devices, notifications::register_device, notifications::remove_device,
        attachments::upload_attachment, attachments::download_attachment, attachments::get_thumbnail,
        health::live, health::ready, metrics::render,
    ),
    components(schemas(problem::Problem, problem::ProblemField)),
    modifiers(&BearerAuth, &CommonRefusals, &BinaryFiles),
    tags(
        (name = "auth", description = "Accounts, sessions and tokens"),
        (name = "users", description = "Profiles, settings, search, blocks and E2EE keys"),
        (name = "contacts", description = "Contact requests and contacts"),
        (name = "conversations", description = "Direct chats, groups, channels, participants and the chat list"),
        (name = "messages", description = "Messages, history, threads, reactions, receipts and search"),
        (name = "notifications", description = "The notification inbox and push devices"),
        (name = "attachments", description = "File uploads, downloads and thumbnails"),
        (name = "health", description = "Probes and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The refusals every operation of a kind can answer, added where an operation does not
/// describe them itself: they come from the extractors, not from the handlers.
struct CommonRefusals;

const COMMON: [(&str, &str, &str); 5] = [
    (
        "400",
        "BadRequest",
        "`invalid_path`: an id in the path is not a UUID; `malformed_body`: the body is not JSON.",
    ),
    (
        "401",
        "Unauthorized",
        "`missing_token`, `invalid_token` or `session_revoked`.",
    ),
    (
        "413",
        "PayloadTooLarge",
        "`payload_too_large`: the body is over the size limit.",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "`unsupported_media_type`: send `application/json`.",
    ),
    (
        "422",
        "UnprocessableEntity",
        "`validation_failed`: `errors` names each field or query parameter that does not fit \
         (a wrong type, a missing or unknown field, a value out of range).",
    ),
];

impl Modify for CommonRefusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (_, name, description) in COMMON {
            let mut response = Response::new(description);
            let content = Content::new(Some(Ref::from_schema_name("Problem")));
            response
                .content
                .insert(problem::CONTENT_TYPE.to_owned(), content);
            components
                .responses
                .insert(name.to_owned(), RefOr::T(response));
        }
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for status in refusals(operation) {
                    let name = COMMON.iter().find(|(s, ..)| *s == status).map(|c| c.1);
                    if let Some(name) = name {
                        operation
                            .responses
                            .responses
                            .entry(status.to_owned())
                            .or_insert_with(|| {
                                RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
                            });
                    }
                }
            }
        }
    }
}

/// The statuses `operation` can answer before its handler runs.
fn refusals(operation: &Operation) -> Vec<&'static str> {
    let params = operation.parameters.iter().flatten();
    let mut statuses = Vec::new();
    if params.clone().any(|p| p.parameter_in == ParameterIn::Path) {
        statuses.push("400");
    }
    if params.clone().any(|p| p.parameter_in == ParameterIn::Query) {
        statuses.push("422");
    }
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| body.content.keys().any(|c| c.contains("json")));
    if json_body {
        statuses.extend(["400", "413", "415", "422"]);
    }
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    if secured {
        statuses.push("401");
    }
    statuses
}

/// Files are served with their own type: each type a download can have is listed with a binary
/// schema, so that generated clients hand back bytes rather than trying to parse them.
struct BinaryFiles;

impl Modify for BinaryFiles {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let file_types: Vec<&str> = MediaType::ALL.iter().map(|t| t.as_mime()).collect();
        let downloads = [
            ("/api/v1/attachments/{id}", &["200", "206"][..], file_types),
            (
                "/api/v1/attachments/{id}/thumbnail",
                &["200"][..],
                vec![THUMBNAIL_TYPE],
            ),
        ];
        let binary = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .build();
        for (path, statuses, types) in downloads {
            let Some(operation) = openapi
                .paths
                .paths
                .get_mut(path)
                .and_then(|p| p.get.as_mut())
            else {
                continue;
            };
            for status in statuses {
                if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(*status) {
                    response.content = types
                        .iter()
                        .map(|t| ((*t).to_owned(), Content::new(Some(binary.clone()))))
                        .collect();
                }
            }
        }
    }
}
