use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{ResponseExt, eventually, spawn_app, spawn_app_with};

#[tokio::test]
async fn liveness_and_readiness_report_ok() {
    let app = spawn_app().await;

    let live = app.get("/health/live", None).await;
    let ready = app.get("/health/ready", None).await;

    assert_eq!(live.status(), StatusCode::OK);
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["database"], "ok");
    if std::env::var("TEST_REDIS_URL").is_ok() {
        assert_eq!(body["checks"]["redis"], "ok");
    }
    if std::env::var("TEST_S3_URL").is_ok() {
        assert_eq!(body["checks"]["storage"], "ok");
    }
}

#[tokio::test]
#[ignore = "needs an S3-compatible store: set TEST_S3_URL and run with --include-ignored (CI's second pass does)"]
async fn readiness_fails_while_the_bucket_is_missing() {
    let app = spawn_app_with(|s| s.attachments.s3.bucket = "chat-test-no-such-bucket".into()).await;
    assert!(std::env::var("TEST_S3_URL").is_ok(), "TEST_S3_URL is set");

    let ready = app.get("/health/ready", None).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.get("/health/live", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_well_formed_request_id_is_echoed_and_otherwise_one_is_made() {
    let app = spawn_app().await;

    let given = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "trace-abc_123")
        .send()
        .await
        .unwrap();
    let hostile = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "bad id\twith spaces")
        .send()
        .await
        .unwrap();
    let none = app.get("/health/live", None).await;

    assert_eq!(given.headers()["x-request-id"], "trace-abc_123");
    for response in [hostile, none] {
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    }
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = spawn_app().await;

    let response = app.get("/health/live", None).await;

    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert!(response.headers().contains_key("strict-transport-security"));
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn security_headers_are_settings_and_empty_ones_are_not_sent() {
    let app = spawn_app_with(|s| {
        let headers = &mut s.server.headers;
        headers.hsts = "max-age=600; includeSubDomains".into();
        headers.frame_options = String::new();
        headers.content_security_policy = "default-src 'none'".into();
    })
    .await;

    let response = app.get("/health/live", None).await;

    let headers = response.headers();
    assert_eq!(
        headers["strict-transport-security"],
        "max-age=600; includeSubDomains"
    );
    assert!(!headers.contains_key("x-frame-options"));
    assert_eq!(headers["content-security-policy"], "default-src 'none'");
}

/// The default CSP allows same-origin scripts only: every page the server serves must load
/// all of its scripts from its own origin, none inline.
#[tokio::test]
async fn the_pages_served_need_no_inline_or_foreign_script() {
    let app = spawn_app().await;
    let csp = app.get("/health/live", None).await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    assert!(
        !csp.contains("script-src"),
        "scripts follow default-src: {csp}"
    );

    let page = app.get("/docs/", None).await.text().await.unwrap();
    let scripts: Vec<&str> = page.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "{page}");
    for script in scripts {
        let (tag, rest) = script.split_once('>').expect("a closed tag");
        let src = tag
            .split("src=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("an inline script: {script}"));
        assert!(
            !src.contains("//") && !src.starts_with("data:"),
            "a foreign script: {src}"
        );
        let body = rest.split("</script>").next().unwrap_or_default();
        assert!(
            body.trim().is_empty(),
            "script with src and a body: {script}"
        );
        let fetched = app
            .get(&format!("/docs/{}", src.trim_start_matches("./")), None)
            .await;
        assert_eq!(fetched.status(), StatusCode::OK, "{src}");
    }
    assert!(
        !page.contains(" onload=") && !page.contains(" onclick="),
        "{page}"
    );
}

#[tokio::test]
async fn metrics_can_require_a_token() {
    let app = spawn_app_with(|s| s.metrics.token = Some("a metrics token".to_owned().into())).await;

    let without = app.get("/metrics", None).await;
    let wrong = app.get("/metrics", Some("another token")).await;
    let right = app.get("/metrics", Some("a metrics token")).await;

    assert_eq!(without.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(without.problem().await.code, "unauthenticated");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right.text().await.unwrap().contains("http_requests_total"));
}

#[tokio::test]
async fn metrics_can_have_an_address_of_their_own() {
    let app = spawn_app_with(|s| s.metrics.listen = "127.0.0.1:0".into()).await;
    app.get("/health/live", None).await;

    let on_main_port = app.get("/metrics", None).await;
    let own = reqwest::get(app.metrics_address.as_deref().expect("a metrics address"))
        .await
        .expect("metrics answer");

    assert_eq!(on_main_port.status(), StatusCode::NOT_FOUND);
    assert_eq!(own.status(), StatusCode::OK);
    assert!(
        own.text()
            .await
            .unwrap()
            .contains(r#"route="/health/live""#)
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/health/live", None).await;
    app.get("/api/v1/auth/sessions", None).await;

    let body = app.get("/metrics", None).await.text().await.unwrap();

    assert!(
        body.contains(r#"route="/health/live",status="200""#),
        "{body}"
    );
    assert!(
        body.contains(r#"route="/api/v1/auth/sessions",status="401""#),
        "{body}"
    );
    assert!(
        body.contains("http_request_duration_seconds_bucket"),
        "{body}"
    );
}

#[tokio::test]
async fn metrics_count_unknown_methods_as_other() {
    let app = spawn_app().await;
    let method = reqwest::Method::from_bytes(b"BREW").unwrap();
    for _ in 0..3 {
        app.client
            .request(method.clone(), app.url("/health/live"))
            .send()
            .await
            .expect("request sent");
    }

    let body = app.get("/metrics", None).await.text().await.unwrap();

    assert!(!body.contains("BREW"), "{body}");
    assert!(body.contains(r#"method="other""#), "{body}");
}

#[tokio::test]
async fn metrics_follow_the_pipeline_from_send_to_socket() {
    let app = spawn_app_with(|s| s.rate_limit.messages_per_user.max = 1).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "ops", &[&bob]).await;
    let mut socket = app.ws(&bob.access_token).await;
    app.send_message(&alice, &group, "hello").await;
    socket.expect("message.created").await;
    let refused = app
        .post_json(
            &format!("/api/v1/conversations/{group}/messages"),
            &serde_json::json!({"content": "again"}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    drop(socket);

    let expected = [
        "message_send_duration_seconds_bucket",
        r#"realtime_frames_total{kind="message.created"}"#,
        r#"events_delay_seconds_bucket{consumer="realtime""#,
        r#"events_lag_seconds{consumer="notifications"}"#,
        r#"db_statement_duration_seconds_bucket{kind="insert""#,
        r#"db_pool_connections{pool="#,
        // Values are not checked: under `cargo test` every test shares one recorder.
        r#"rate_limit_refusals_total{limit="messages",reason="limited"}"#,
        r#"ws_closed_total{reason="client"}"#,
        "# TYPE ws_connections gauge",
    ];
    eventually("every pipeline metric reported", || async {
        let body = app.get("/metrics", None).await.text().await.ok()?;
        expected
            .iter()
            .all(|line| body.contains(line))
            .then_some(())
    })
    .await;
}

async fn openapi(app: &crate::helpers::TestApp) -> Value {
    let response = app.get("/api-docs/openapi.json", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_openapi_document_describes_every_auth_endpoint() {
    let app = spawn_app().await;

    let spec = openapi(&app).await;

    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let expected = [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/sessions", "get"),
        ("/api/v1/auth/sessions/{id}", "delete"),
        ("/api/v1/auth/sessions/revoke-others", "post"),
        ("/api/v1/auth/password/change", "post"),
        ("/api/v1/auth/password/forgot", "post"),
        ("/api/v1/auth/password/reset", "post"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
    ];
    for (path, method) in expected {
        let operation = &spec["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} missing");
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('4')) || path.starts_with("/health"),
            "{path} lists no errors"
        );
    }
    for schema in [
        "RegisterBody",
        "LoginBody",
        "AuthResponse",
        "TokensResponse",
        "SessionListResponse",
        "Problem",
    ] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "{schema} missing"
        );
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn swagger_ui_is_served_without_the_network() {
    let app = spawn_app().await;

    let page = app.get("/docs/", None).await;

    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("swagger"));
    let script = app.get("/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(script.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_describes_attachments_and_notifications() {
    let app = spawn_app().await;

    let spec = openapi(&app).await;

    for (path, method) in [
        ("/api/v1/attachments", "post"),
        ("/api/v1/attachments/{id}", "get"),
        ("/api/v1/attachments/{id}/thumbnail", "get"),
        ("/api/v1/notifications", "get"),
        ("/api/v1/notifications/read", "post"),
        ("/api/v1/devices", "get"),
        ("/api/v1/devices", "post"),
        ("/api/v1/devices/{id}", "delete"),
    ] {
        let operation = &spec["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} missing");
        let errors = operation["responses"].as_object().unwrap();
        assert!(
            errors.keys().any(|s| s.starts_with('4')),
            "{path} lists no errors"
        );
    }
    // A generated SDK needs the multipart form with its binary `file` field.
    let upload = &spec["paths"]["/api/v1/attachments"]["post"]["requestBody"]["content"];
    let form = &upload["multipart/form-data"]["schema"];
    assert!(form.is_object(), "no multipart body: {upload}");
    let reference = form["$ref"].as_str().unwrap_or_default();
    let name = reference.rsplit('/').next().unwrap_or_default();
    let file = &spec["components"]["schemas"][name]["properties"]["file"];
    assert_eq!(file["format"], "binary", "{form}");
    for status in ["413", "415"] {
        assert!(spec["paths"]["/api/v1/attachments"]["post"]["responses"][status].is_object());
    }
}
