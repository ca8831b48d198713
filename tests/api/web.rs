//! The web client is served by the binary itself: the page, every module it imports (so a
//! file left out of the embedding fails here), revalidation by ETag, gzip, and the CSP.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use reqwest::header::HeaderValue;

use crate::helpers::{TestApp, spawn_app};

async fn fetch(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap_or_default())
}

/// The paths a module imports, resolved against its own (`./x.js`, `../y.js`).
fn imports(path: &str, source: &str) -> Vec<String> {
    let dir: Vec<&str> = path
        .rsplit_once('/')
        .map_or(vec![], |(d, _)| d.split('/').collect());
    source
        .lines()
        .filter(|l| l.starts_with("import ") || l.starts_with("} from "))
        .filter_map(|l| {
            l.split(" from '")
                .nth(1)
                .or_else(|| l.split("import '").nth(1))
        })
        .filter_map(|rest| rest.split('\'').next())
        .filter(|spec| spec.starts_with('.'))
        .map(|spec| {
            let mut parts = dir.clone();
            for segment in spec.split('/') {
                match segment {
                    "." => {}
                    ".." => {
                        parts.pop();
                    }
                    s => parts.push(s),
                }
            }
            parts.join("/")
        })
        .collect()
}

#[tokio::test]
async fn the_page_and_every_module_it_imports_are_served() {
    let app = spawn_app().await;
    let (status, headers, page) = fetch(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    // Under that policy inline scripts would not run: the page has none.
    assert!(
        !page.contains("<script>") && !page.contains(" on"),
        "{page}"
    );
    assert!(page.contains(r#"<script type="module" src="/app/js/main.js"></script>"#));
    assert!(page.contains(r#"href="/app/styles.css""#));

    let (status, headers, _) = fetch(&app, "/app/styles.css").await;
    assert_eq!(
        (status, &headers["content-type"]),
        (StatusCode::OK, &"text/css; charset=utf-8".parse().unwrap())
    );

    let mut seen = BTreeSet::new();
    let mut queue = vec!["/app/js/main.js".to_owned()];
    while let Some(path) = queue.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let (status, headers, source) = fetch(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(
            headers["content-type"], "text/javascript; charset=utf-8",
            "{path}"
        );
        queue.extend(imports(&path, &source));
    }
    assert!(seen.len() >= 8, "{seen:?}");
    assert!(seen.contains("/app/js/ui/conversation.js"), "{seen:?}");
}

/// `/app/js/store.js` with one request header.
async fn store_js(app: &TestApp, (name, value): (&str, HeaderValue)) -> reqwest::Response {
    let request = app.client.get(app.url("/app/js/store.js"));
    request.header(name, value).send().await.unwrap()
}

#[tokio::test]
async fn files_revalidate_by_etag_and_go_gzipped_to_clients_that_take_it() {
    let app = spawn_app().await;
    let plain = app
        .client
        .get(app.url("/app/js/store.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.headers()["cache-control"], "no-cache");
    assert!(plain.headers().get("content-encoding").is_none());
    let etag = plain.headers()["etag"].clone();
    let plain_len = plain.bytes().await.unwrap().len();

    let again = store_js(&app, ("if-none-match", etag.clone())).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], etag);
    assert!(again.bytes().await.unwrap().is_empty());

    let gzipped = store_js(
        &app,
        ("accept-encoding", "br;q=1, gzip;q=0.8".parse().unwrap()),
    )
    .await;
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let body = gzipped.bytes().await.unwrap();
    assert_eq!(&body[..2], &[0x1f, 0x8b]);
    assert!(body.len() < plain_len / 2, "{} of {plain_len}", body.len());

    let refused = store_js(
        &app,
        ("accept-encoding", "gzip;q=0, identity".parse().unwrap()),
    )
    .await;
    assert!(refused.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn an_unknown_file_is_a_problem_and_the_page_takes_only_get() {
    let app = spawn_app().await;
    for path in ["/app/js/missing.js", "/app/../Cargo.toml", "/app/"] {
        let (status, headers, _) = fetch(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            headers["content-type"], "application/problem+json",
            "{path}"
        );
    }
    let response = app.client.post(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "GET");
}
