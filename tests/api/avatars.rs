//! Avatars are uploads kept for a profile or conversation, readable by who may see it; files of
//! deleted conversations and replaced avatars are removed; cleanup removes bytes before rows.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::attachments::{form, post_form};
use crate::helpers::{ResponseExt, TestApp, TestUser, eventually, spawn_app_with};

pub fn png(seed: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(48, 48, |x, y| image::Rgb([seed, x as u8, y as u8]));
    let mut bytes = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .expect("png");
    bytes
}

pub async fn upload(app: &TestApp, user: &TestUser, bytes: &[u8]) -> String {
    let body = form("file", "f", "application/octet-stream", bytes);
    let response = post_form(app, user, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let stored: Value = response.json().await.expect("json");
    stored["id"].as_str().expect("id").to_owned()
}

async fn status(app: &TestApp, user: &TestUser, id: &str) -> StatusCode {
    app.get(
        &format!("/api/v1/attachments/{id}"),
        Some(&user.access_token),
    )
    .await
    .status()
}

/// Cleanup every second, uploads orphaned after one: and on the local folder, to look in it.
async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.attachments.orphan_ttl_secs = 1;
        s.attachments.cleanup_interval_secs = 1;
        s.attachments.s3.bucket = String::new();
    })
    .await
}

/// Waits until an orphan uploaded now is removed: cleanup has run past everything before it.
async fn cleanup_has_run(app: &TestApp, user: &TestUser) {
    let marker = upload(app, user, b"%PDF-1.7\nmarker").await;
    eventually("an orphan is removed", || async {
        (status(app, user, &marker).await == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
}

#[tokio::test]
async fn avatars_are_kept_and_readable_by_who_may_see_them() {
    let app = app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let mine = upload(&app, &alice, &png(1)).await;
    let groups = upload(&app, &alice, &png(2)).await;

    let me = app
        .patch_json(
            "/api/v1/users/me",
            &json!({"avatar_id": mine}),
            &alice.access_token,
        )
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    let path = format!("/api/v1/conversations/{group}");
    let updated = app
        .patch_json(&path, &json!({"avatar_id": groups}), &alice.access_token)
        .await;
    assert_eq!(updated.status(), StatusCode::OK);
    // Setting the same one again changes nothing.
    let again = app
        .patch_json(
            "/api/v1/users/me",
            &json!({"avatar_id": mine}),
            &alice.access_token,
        )
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    cleanup_has_run(&app, &alice).await;

    assert_eq!(status(&app, &bob, &mine).await, StatusCode::OK);
    assert_eq!(status(&app, &carol, &mine).await, StatusCode::OK);
    assert_eq!(status(&app, &bob, &groups).await, StatusCode::OK);
    assert_eq!(status(&app, &carol, &groups).await, StatusCode::NOT_FOUND);
    let thumbnail = app
        .get(
            &format!("/api/v1/attachments/{mine}/thumbnail"),
            Some(&carol.access_token),
        )
        .await;
    assert_eq!(thumbnail.status(), StatusCode::OK);
}

#[tokio::test]
async fn only_an_unsent_image_of_one_s_own_becomes_an_avatar() {
    let app = app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let document = upload(&app, &alice, b"%PDF-1.7\nnot an image").await;
    let bobs = upload(&app, &bob, &png(3)).await;
    let sent = upload(&app, &alice, &png(4)).await;
    let response = app
        .post_json(
            &format!("/api/v1/conversations/{group}/messages"),
            &json!({"attachment_ids": [sent]}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let avatar = upload(&app, &alice, &png(5)).await;
    app.patch_json(
        "/api/v1/users/me",
        &json!({"avatar_id": avatar}),
        &alice.access_token,
    )
    .await;

    for id in [document, bobs, sent, uuid::Uuid::now_v7().to_string()] {
        let refused = app
            .patch_json(
                "/api/v1/users/me",
                &json!({"avatar_id": id}),
                &alice.access_token,
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{id}");
        assert_eq!(refused.problem().await.fields, ["avatar_id"]);
    }
    // An avatar cannot be sent in a message either.
    let response = app
        .post_json(
            &format!("/api/v1/conversations/{group}/messages"),
            &json!({"attachment_ids": [avatar]}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let profile = app.get_ok("/api/v1/users/me", &alice.access_token).await;
    assert_eq!(profile["avatar_id"], avatar.as_str());
}

fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&app.settings.attachments_dir(), &mut found);
    found
}

#[tokio::test]
async fn replaced_avatars_and_a_deleted_conversation_s_files_are_removed() {
    let app = app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let first = upload(&app, &alice, &png(1)).await;
    app.patch_json(
        "/api/v1/users/me",
        &json!({"avatar_id": first}),
        &alice.access_token,
    )
    .await;
    let second = upload(&app, &alice, &png(2)).await;
    let replaced = app
        .patch_json(
            "/api/v1/users/me",
            &json!({"avatar_id": second}),
            &alice.access_token,
        )
        .await;
    assert_eq!(replaced.status(), StatusCode::OK);
    let sent = upload(&app, &alice, &png(3)).await;
    app.post_json(
        &format!("/api/v1/conversations/{group}/messages"),
        &json!({"attachment_ids": [sent]}),
        Some(&alice.access_token),
    )
    .await;
    let groups = upload(&app, &alice, &png(4)).await;
    let path = format!("/api/v1/conversations/{group}");
    app.patch_json(&path, &json!({"avatar_id": groups}), &alice.access_token)
        .await;
    assert_eq!(status(&app, &bob, &sent).await, StatusCode::OK);

    let deleted = app.delete(&path, Some(&alice.access_token)).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    // Left: the current avatar and its thumbnail, nothing else.
    eventually("only the current avatar is stored", || async {
        let files = stored_files(&app);
        (files.len() == 2).then_some(())
    })
    .await;
    assert!(stored_files(&app).iter().all(|f| f.ends_with(&second)));
    for id in [&first, &sent, &groups] {
        assert_eq!(
            status(&app, &alice, id).await,
            StatusCode::NOT_FOUND,
            "{id}"
        );
    }
}

#[tokio::test]
async fn cleanup_removes_bytes_before_rows_and_carries_on_past_a_failure() {
    let app = app().await;
    let alice = app.register("alice").await;
    let stuck = upload(&app, &alice, &png(1)).await;
    let thumbnail = app
        .settings
        .attachments_dir()
        .join("thumbnails")
        .join(&stuck);
    // A directory where the thumbnail is: removing it fails.
    std::fs::remove_file(&thumbnail).expect("the thumbnail is a file");
    std::fs::create_dir_all(thumbnail.join("blocker")).expect("a directory in its place");
    let other = upload(&app, &alice, &png(2)).await;

    eventually("the other orphan is removed", || async {
        let gone = !stored_files(&app).iter().any(|f| f.ends_with(&other));
        (gone && status(&app, &alice, &other).await == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
    // The stuck one lost its main file, but its row was kept to try again: once the thumbnail
    // can be removed, it is.
    std::fs::remove_dir_all(&thumbnail).expect("blocker removed");
    std::fs::write(&thumbnail, b"thumbnail").expect("a file again");
    eventually("the stuck orphan is retried", || async {
        (!thumbnail.exists()).then_some(())
    })
    .await;
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
}
