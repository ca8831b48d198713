//! `POST /graphql`: a JSON request, or a multipart one carrying files (the GraphQL multipart
//! request spec). A bad token is refused as on REST (401 problem+json); without one, only what
//! needs no caller answers, and the rest says `missing_token` per field.

use actix_web::guard::GuardContext;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use async_graphql::ParseRequestError;
use async_graphql::http::MultipartOptions;
use futures_util::{StreamExt, TryStreamExt};

use super::{Endpoint, Viewer, loaders};
use crate::application::error::AppError;
use crate::presentation::http::AppState;
use crate::presentation::http::extract::{ClientMeta, bearer_token};
use crate::presentation::http::problem::Problem;
use crate::telemetry::statements::StatementCount;

#[post("/graphql")]
pub async fn execute(
    state: web::Data<AppState>,
    endpoint: web::Data<Endpoint>,
    req: HttpRequest,
    meta: ClientMeta,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let request: async_graphql::Request = serde_json::from_slice(&body).map_err(|e| {
        let detail = format!("The body is not a GraphQL request: {e}");
        Problem::new(StatusCode::BAD_REQUEST, "invalid_json", detail)
    })?;
    run(&state, &endpoint, &req, meta, request).await
}

fn is_multipart(ctx: &GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"multipart/form-data"))
}

/// One file at most, within the upload size limit; multer spools it to a temporary file.
#[post("/graphql", guard = "is_multipart")]
pub async fn multipart(
    state: web::Data<AppState>,
    endpoint: web::Data<Endpoint>,
    req: HttpRequest,
    meta: ClientMeta,
    payload: web::Payload,
) -> Result<HttpResponse, Problem> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    // The parser wants a `Send` reader; the request's body is read on this worker and handed
    // over a channel.
    let (sender, receiver) = tokio::sync::mpsc::channel(8);
    let mut payload = payload.into_inner();
    actix_web::rt::spawn(async move {
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(std::io::Error::other);
            if sender.send(chunk).await.is_err() {
                break;
            }
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let options = MultipartOptions::default()
        .max_num_files(1)
        .max_file_size(usize::try_from(state.attachments.upload.max_bytes()).unwrap_or(usize::MAX));
    let request = async_graphql::http::receive_body(content_type, body.into_async_read(), options)
        .await
        .map_err(|e| match e {
            ParseRequestError::PayloadTooLarge => AppError::TooLarge {
                limit_bytes: state.attachments.upload.max_bytes(),
            }
            .into(),
            e => {
                let detail = format!("The body is not a GraphQL multipart request: {e}");
                Problem::new(StatusCode::BAD_REQUEST, "invalid_multipart", detail)
            }
        })?;
    run(&state, &endpoint, &req, meta, request).await
}

async fn run(
    state: &web::Data<AppState>,
    endpoint: &Endpoint,
    req: &HttpRequest,
    meta: ClientMeta,
    request: async_graphql::Request,
) -> Result<HttpResponse, Problem> {
    let statements = StatementCount::default();
    let mut request = request.data(loaders(state, statements.clone())).data(meta);
    if let Some(token) = bearer_token(req) {
        let claims = state.auth.authenticate.handle(&token).await?;
        request = request.data(Viewer(claims));
    }
    let mut response = statements.scope(endpoint.schema.execute(request)).await;
    if endpoint.report_statements {
        let count = statements.get().into();
        response.extensions.insert("statements".to_owned(), count);
    }
    let body = serde_json::to_vec(&response).map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(body))
}
