//! Links between operations: where the ids an answer carries can be used next, so that a
//! reader (or a stateful fuzzer) can follow the main flows without guessing.

use serde_json::{Map, Value, json};

/// (path, method, status) of an answer → (link name, operation it leads to, its parameters).
type Source = (&'static str, &'static str, &'static str);
type Target = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const CONVERSATION: &[(&str, &str)] = &[("id", "$response.body#/id")];
const MESSAGE: &[(&str, &str)] = &[
    ("id", "$request.path.id"),
    ("message_id", "$response.body#/id"),
];
const ATTACHMENT: &[(&str, &str)] = &[("id", "$response.body#/id")];
const USER: &[(&str, &str)] = &[("id", "$response.body#/user/id")];

const LINKS: &[(Source, &[Target])] = &[
    (
        ("/api/v1/auth/register", "post", "201"),
        &[("TheNewUser", "get_user", USER)],
    ),
    (
        ("/api/v1/conversations", "post", "201"),
        &[
            ("TheConversation", "get_conversation", CONVERSATION),
            ("ItsMessages", "history", CONVERSATION),
            ("SendIntoIt", "send_message", CONVERSATION),
            ("ItsParticipants", "list_participants", CONVERSATION),
            ("RenameIt", "update_conversation", CONVERSATION),
        ],
    ),
    (
        ("/api/v1/conversations/{id}/messages", "post", "201"),
        &[
            ("EditIt", "edit_message", MESSAGE),
            ("DeleteIt", "delete_message", MESSAGE),
            ("ReactToIt", "add_reaction", MESSAGE),
            ("ItsThread", "thread", MESSAGE),
            ("ItsReceipts", "receipts", MESSAGE),
        ],
    ),
    (
        ("/api/v1/attachments", "post", "201"),
        &[("DownloadIt", "download_attachment", ATTACHMENT)],
    ),
];

/// Adds the links to the serialised document. (Written as JSON: the document model of the
/// generator spells `operationId` as `operation_id`.)
pub fn add(doc: &mut Value) {
    for ((path, method, status), targets) in LINKS {
        let response = &mut doc["paths"][path][method]["responses"][status];
        if !response.is_object() {
            continue;
        }
        let links: Map<String, Value> = targets
            .iter()
            .map(|(name, operation_id, parameters)| {
                let parameters: Map<String, Value> = parameters
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), json!(v)))
                    .collect();
                let link = json!({"operationId": operation_id, "parameters": parameters});
                ((*name).to_owned(), link)
            })
            .collect();
        response["links"] = Value::Object(links);
    }
}

#[cfg(test)]
mod tests {
    use super::LINKS;
    use crate::presentation::http::openapi::document;

    #[test]
    fn every_link_leaves_and_reaches_a_documented_operation() {
        let doc = document();
        let ids: Vec<&str> = doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .flat_map(|item| item.as_object().expect("item").values())
            .filter_map(|operation| operation["operationId"].as_str())
            .collect();
        for ((path, method, status), targets) in LINKS {
            let links = &doc["paths"][path][method]["responses"][status]["links"];
            for (name, operation_id, _) in *targets {
                assert!(ids.contains(operation_id), "{operation_id} is an operation");
                assert_eq!(links[name]["operationId"], *operation_id, "{path} {name}");
            }
        }
    }
}
