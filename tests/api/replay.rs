//! The event log is delivered at least once: after a restart a consumer may handle events it
//! handled before. Handling one again must not undo what was decided since.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually};
use crate::process::{ProcessDatabase, ServerProcess, connect};
use crate::shops::{case, shop};

/// Waits until the consumer `name` has stored a position at or past every event logged so far.
async fn caught_up(db: &DatabaseConnection, name: &str) {
    let backend = db.get_database_backend();
    let newest = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT MAX(position) AS p FROM outbox",
        ))
        .await
        .expect("outbox read")
        .and_then(|row| row.try_get::<Option<i64>>("", "p").ok().flatten())
        .expect("events logged");
    eventually("the consumer is caught up", || async {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm::DbBackend::Postgres => {
                        "SELECT position FROM outbox_consumers WHERE name = $1"
                    }
                    _ => "SELECT position FROM outbox_consumers WHERE name = ?",
                },
                [name.into()],
            ))
            .await
            .ok()??;
        let position: i64 = row.try_get("", "position").ok()?;
        (position >= newest).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_customer_message_handled_again_does_not_reopen_the_case_it_was_resolved_after() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = ProcessDatabase::create().await;
    let url = database.as_ref().map(ProcessDatabase::url);
    let mut server = ServerProcess::start(dir.path(), url.as_deref(), 2).await;
    let app = TestApp::remote(server.address.clone());
    let shop = shop(&app, "replay_shop").await;
    let agent = shop.agent(&app, "replay_agent", 1).await;
    let customer = app.register("replay_customer").await;
    let (_, opened) = shop.open(&app, &customer).await;
    let id = opened["conversation_id"].clone();
    let conversation = id.as_str().unwrap();
    app.send_message(&customer, conversation, "My order has not come")
        .await;
    let resolve = format!("/api/v1/conversations/{conversation}/case/resolve");
    let resolved = app
        .post_json(&resolve, &json!({}), Some(&agent.access_token))
        .await;
    assert_eq!(resolved.json::<Value>().await.unwrap()["state"], "resolved");

    // The business consumer starts over from the first event, as after a crash that lost
    // its position: the customer's message comes to it again.
    let db = connect(dir.path(), database.as_ref()).await;
    caught_up(&db, "business").await;
    // SAFETY: kill(2) on our own child's pid; it is reaped below.
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
    server.reap().await;
    db.execute_unprepared("UPDATE outbox_consumers SET position = 0 WHERE name = 'business'")
        .await
        .expect("position rewound");
    let server = ServerProcess::start(dir.path(), url.as_deref(), 2).await;
    let app = TestApp::remote(server.address.clone());
    caught_up(&db, "business").await;
    assert_eq!(case(&app, &id, &customer).await["state"], "resolved");

    // Writing after the resolution still reopens it.
    app.send_message(&customer, conversation, "It came broken")
        .await;
    eventually("the case reopens", || async {
        (case(&app, &id, &customer).await["state"] != "resolved").then_some(())
    })
    .await;
    drop(db);
    drop(server);
    if let Some(database) = database {
        database.drop_now().await;
    }
}
