//! The refusals every operation of a kind can answer, and the problem body of every refusal.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::{Content, Ref, RefOr};

use crate::presentation::http::problem;

/// The refusals every operation of a kind can answer, added where an operation does not
/// describe them itself: they come from the extractors, not from the handlers.
pub struct CommonRefusals;

const COMMON: [(&str, &str, &str); 6] = [
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
        "`invalid_body`, `invalid_query` or `validation_failed`: `errors` names each field or \
         query parameter that does not fit (a wrong type, a missing or unknown field, a value \
         out of range).",
    ),
    (
        "503",
        "ServiceUnavailable",
        "`busy`: too much work queued (password hashing, image decoding); \
         `rate_limiter_unavailable`: a limit cannot be counted (`when_redis_down = refuse`). \
         Retry after `Retry-After` seconds.",
    ),
];

impl Modify for CommonRefusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (_, name, description) in COMMON {
            let mut response = Response::new(description);
            with_problem_body(&mut response);
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
                problem_bodies(operation);
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

/// Every refusal an operation describes without a body has the problem body: routes name the
/// status and its codes, and this says once what the body looks like.
fn problem_bodies(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        let refusal = status.starts_with('4') || status.starts_with('5');
        if let (true, RefOr::T(response)) = (refusal, response)
            && response.content.is_empty()
        {
            with_problem_body(response);
        }
    }
}

fn with_problem_body(response: &mut Response) {
    let content = Content::new(Some(Ref::from_schema_name("Problem")));
    response
        .content
        .insert(problem::CONTENT_TYPE.to_owned(), content);
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
    // Whatever is rate limited can also find its limiter unavailable.
    if operation.responses.responses.contains_key("429") {
        statuses.push("503");
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
