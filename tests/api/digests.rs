//! E-mail digests: only to users who opted in and are away, counts without content, at most
//! one per period. Mails go to the file transport's folder.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, eventually, spawn_app_with};

/// Every mail written to `to` so far.
fn mails_to(app: &TestApp, to: &str) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(&app.mail_dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| serde_json::from_slice::<Value>(&std::fs::read(e.path()).ok()?).ok())
        .filter(|mail| mail["to"] == to)
        .collect()
}

async fn unread(app: &TestApp, user: &TestUser) -> u64 {
    app.get_ok("/api/v1/notifications", &user.access_token)
        .await["unread_count"]
        .as_u64()
        .unwrap_or_default()
}

async fn opt_in(app: &TestApp, user: &TestUser) {
    let response = app
        .patch_json(
            "/api/v1/users/me/settings",
            &json!({"notifications": {"email_digest": true}}),
            &user.access_token,
        )
        .await;
    assert!(response.status().is_success());
}

#[tokio::test]
async fn a_digest_goes_once_per_period_to_users_who_opted_in_and_are_away() {
    let app = spawn_app_with(|s| {
        s.notifications.digest_away_secs = 0;
        s.notifications.digest_period_secs = 3600;
        s.notifications.digest_interval_ms = 50;
    })
    .await;
    // Passes look at users in id order, which is registration order: when `frank`'s digest is
    // out, a pass has looked at everyone registered before him.
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let erin = app.register("erin").await;
    let frank = app.register("frank").await;
    let alice = app.register("alice").await;
    let settings = app
        .get_ok("/api/v1/users/me/settings", &dave.access_token)
        .await;
    assert_eq!(
        settings["notifications"]["email_digest"], false,
        "off unless turned on"
    );

    let group = app
        .create_group(&alice, "digest", &[&carol, &dave, &erin, &frank])
        .await;
    app.send_message(&alice, &group, "the secret plan").await;
    for user in [&carol, &dave, &erin, &frank] {
        eventually("the offline members are notified", || async {
            (unread(&app, user).await >= 2).then_some(())
        })
        .await;
    }
    // Opted in once both notifications are in: the digest may go out at any moment after.
    opt_in(&app, &carol).await;
    // Online: her unread notifications wait in the app, not in her mailbox.
    let _erin_online = app.ws(&erin.access_token).await;
    opt_in(&app, &erin).await;

    let mail = eventually("carol's digest", || async {
        mails_to(&app, &carol.email).pop()
    })
    .await;
    let body = mail["body"].as_str().unwrap();
    assert!(body.contains("You have 2 unread notifications"), "{body}");
    assert!(body.contains("- new messages: 1"), "{body}");
    assert!(
        !body.contains("secret plan"),
        "no message content in e-mail: {body}"
    );

    // More for carol within the period; then frank opts in.
    app.send_message(&alice, &group, "and another thing").await;
    eventually("carol's next notification", || async {
        (unread(&app, &carol).await >= 3).then_some(())
    })
    .await;
    opt_in(&app, &frank).await;
    eventually("frank's digest", || async {
        (!mails_to(&app, &frank.email).is_empty()).then_some(())
    })
    .await;

    assert_eq!(mails_to(&app, &carol.email).len(), 1, "one per period");
    assert!(
        mails_to(&app, &dave.email).is_empty(),
        "dave never opted in"
    );
    assert!(mails_to(&app, &erin.email).is_empty(), "erin is online");
}
