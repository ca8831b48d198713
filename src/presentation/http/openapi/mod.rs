//! The OpenAPI document, generated from the route annotations, then completed by modifiers:
//! the refusals every operation can give, binary downloads, and links between operations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

mod files;
mod links;
mod refusals;

use files::BinaryFiles;
use refusals::CommonRefusals;

use super::{
    activity, attachments, auth, business, cases, chat_list, contacts, conversations, health, keys,
    messages, metrics, notifications, participants, passwords, problem, reactions, receipts,
    search, sessions, settings, staff, users,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Chat API", description = "REST API of the chat server. Errors are `application/problem+json` (RFC 9457); branch on `code`. Text fields never hold U+0000 (NUL): 422 naming the field."),
    paths(
        auth::register, auth::login, auth::refresh, auth::logout, sessions::list_sessions,
        sessions::revoke_session, sessions::revoke_other_sessions, passwords::change_password,
        passwords::forgot_password, passwords::reset_password, activity::list_activity,
        users::get_me, users::update_me, settings::get_settings, settings::update_settings,
        users::search_users, users::get_user, contacts::block_user, contacts::unblock_user,
        contacts::list_blocks, keys::upload_keys, keys::key_status, keys::get_key_bundle,
        contacts::list_contacts, contacts::request_contact, contacts::accept_contact,
        contacts::remove_contact,
        chat_list::chat_list, conversations::create_conversation, conversations::get_conversation,
        conversations::update_conversation, conversations::delete_conversation,
        participants::list_participants, participants::add_participants,
        participants::remove_participant, participants::change_role, conversations::mute,
        conversations::unmute,
        messages::history, messages::send_message, messages::edit_message, messages::delete_message,
        reactions::add_reaction, reactions::remove_reaction, messages::thread, receipts::receipts,
        receipts::mark_read, receipts::mark_delivered, search::search_messages,
        notifications::list_notifications, notifications::mark_notifications_read,
        notifications::list_devices, notifications::register_device, notifications::remove_device,
        attachments::upload_attachment, attachments::download_attachment, attachments::get_thumbnail,
        business::create_business, business::search_businesses, business::get_business,
        business::update_business, staff::list_staff, staff::put_staff, staff::list_teams,
        staff::create_team, staff::update_team, staff::set_availability,
        cases::open_case, cases::queue, cases::inbox, cases::figures, cases::get_case, cases::case_history, cases::resolve_case,
        cases::transfer_case,
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
        (name = "business", description = "Business chat: businesses, staff, teams, agents' availability, and cases routed to agents"),
        (name = "health", description = "Probes and metrics"),
    )
)]
pub struct ApiDoc;

/// The document as served at `/api-docs/openapi.json`.
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    links::add(&mut doc);
    doc
}

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
