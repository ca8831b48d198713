//! 405 with `Allow` for a method a known path does not take. The paths and their methods are
//! read from the OpenAPI document, so the answer and the document cannot disagree.

use std::sync::LazyLock;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use utoipa::OpenApi;

use super::openapi::ApiDoc;
use super::problem::Problem;

/// Routes served but not described as operations: the socket upgrade and the web client's page.
const UNDOCUMENTED: [(&str, &str); 2] = [("/api/v1/ws", "GET"), ("/", "GET")];

struct Route {
    /// `None` stands for a `{parameter}` segment.
    segments: Vec<Option<String>>,
    methods: Vec<&'static str>,
}

static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| routes(&ApiDoc::openapi()));

fn routes(doc: &utoipa::openapi::OpenApi) -> Vec<Route> {
    let documented = doc.paths.paths.iter().map(|(path, item)| {
        let methods = [
            ("GET", item.get.is_some()),
            ("PUT", item.put.is_some()),
            ("POST", item.post.is_some()),
            ("DELETE", item.delete.is_some()),
            ("PATCH", item.patch.is_some()),
            ("HEAD", item.head.is_some()),
            ("OPTIONS", item.options.is_some()),
        ];
        let methods = methods.into_iter().filter(|(_, on)| *on).map(|(m, _)| m);
        (path.as_str(), methods.collect::<Vec<_>>())
    });
    let extra = UNDOCUMENTED
        .iter()
        .map(|(path, method)| (*path, vec![*method]));
    documented
        .chain(extra)
        .map(|(path, methods)| Route {
            segments: path
                .split('/')
                .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                .collect(),
            methods,
        })
        .collect()
}

/// The methods the routes matching `path` take. A literal segment beats a parameter, as in
/// the router: `/auth/sessions/revoke-others` is not a `/auth/sessions/{id}`.
fn allowed(routes: &[Route], path: &str) -> Vec<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    let matching: Vec<&Route> = routes
        .iter()
        .filter(|route| {
            route.segments.len() == segments.len()
                && route.segments.iter().zip(&segments).all(|(want, got)| {
                    want.as_deref()
                        .map_or(!got.is_empty(), |literal| literal == *got)
                })
        })
        .collect();
    let parameters = |route: &Route| route.segments.iter().filter(|s| s.is_none()).count();
    let fewest = matching.iter().map(|route| parameters(route)).min();
    let mut methods: Vec<&'static str> = matching
        .iter()
        .filter(|route| Some(parameters(route)) == fewest)
        .flat_map(|route| route.methods.iter().copied())
        .collect();
    methods.sort_unstable();
    methods.dedup();
    methods
}

/// What no route answered: 405 with `Allow` when the path exists, else 404.
pub async fn unrouted(req: HttpRequest) -> HttpResponse {
    wrong_method(&req)
        .unwrap_or_else(|| Problem::for_status(StatusCode::NOT_FOUND).error_response())
}

/// The 405 for a request whose path is known but not with its method. The router can still
/// have matched it to a parameter route (`DELETE /auth/sessions/revoke-others` reaches
/// `/auth/sessions/{id}`), so a refused path parameter asks here first.
pub fn wrong_method(req: &HttpRequest) -> Option<HttpResponse> {
    let methods = allowed(&ROUTES, req.path());
    if methods.is_empty() || methods.contains(&req.method().as_str()) {
        return None;
    }
    let mut response = Problem::for_status(StatusCode::METHOD_NOT_ALLOWED).error_response();
    if let Ok(value) = header::HeaderValue::from_str(&methods.join(", ")) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_s_methods_are_the_union_of_the_routes_that_match_it() {
        let routes = &*ROUTES;
        assert_eq!(allowed(routes, "/api/v1/users/me"), ["GET", "PATCH"]);
        assert_eq!(allowed(routes, "/api/v1/users/someone"), ["GET"]);
        assert_eq!(allowed(routes, "/api/v1/ws"), ["GET"]);
        assert_eq!(
            allowed(routes, "/api/v1/auth/sessions/revoke-others"),
            ["POST"]
        );
        assert!(allowed(routes, "/api/v1/nowhere").is_empty());
        assert!(allowed(routes, "/api/v1/users//block").is_empty());
    }
}
