//! Businesses for the business chat tests: a shop, its staff, and its customers' cases.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};

pub struct Shop {
    pub id: String,
    pub owner: TestUser,
    pub team: String,
}

/// A business owned by a new user, who works in its first team but is not available yet.
pub async fn shop(app: &TestApp, handle: &str) -> Shop {
    let owner = app.register(&format!("{handle}_owner")).await;
    let response = app
        .post_json(
            "/api/v1/businesses",
            &json!({"handle": handle, "name": format!("{handle} Ltd"), "description": "We help"}),
            Some(&owner.access_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let teams = app
        .get_ok(
            &format!("/api/v1/businesses/{id}/teams"),
            &owner.access_token,
        )
        .await;
    let team = teams["teams"][0]["id"].as_str().unwrap().to_owned();
    Shop { id, owner, team }
}

impl Shop {
    /// A new agent on the staff, in the first team, available with `capacity`.
    pub async fn agent(&self, app: &TestApp, name: &str, capacity: u32) -> TestUser {
        let agent = app.register(name).await;
        self.hire(app, &agent, "agent").await;
        let teams = app
            .get_ok(
                &format!("/api/v1/businesses/{}/teams", self.id),
                &self.owner.access_token,
            )
            .await;
        let mut agents: Vec<Value> = teams["teams"][0]["agent_ids"].as_array().unwrap().clone();
        agents.push(json!(agent.id));
        let response = app
            .put_json(
                &format!("/api/v1/businesses/{}/teams/{}", self.id, self.team),
                &json!({"name": "General", "agent_ids": agents}),
                &self.owner.access_token,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        self.availability(
            app,
            &agent,
            json!({"status": "available", "capacity": capacity}),
        )
        .await;
        agent
    }

    pub async fn hire(&self, app: &TestApp, user: &TestUser, role: &str) {
        let response = app
            .put_json(
                &format!("/api/v1/businesses/{}/members/{}", self.id, user.id),
                &json!({"role": role}),
                &self.owner.access_token,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    pub async fn availability(&self, app: &TestApp, agent: &TestUser, body: Value) -> Value {
        let response = app
            .put_json(
                &format!("/api/v1/businesses/{}/agents/me", self.id),
                &body,
                &agent.access_token,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Opens `customer`'s case: (status, case).
    pub async fn open(&self, app: &TestApp, customer: &TestUser) -> (StatusCode, Value) {
        let response = app
            .post_json(
                &format!("/api/v1/businesses/{}/cases", self.id),
                &json!({}),
                Some(&customer.access_token),
            )
            .await;
        (response.status(), response.json().await.unwrap())
    }
}

pub async fn case(app: &TestApp, conversation: &Value, user: &TestUser) -> Value {
    let id = conversation.as_str().unwrap();
    app.get_ok(
        &format!("/api/v1/conversations/{id}/case"),
        &user.access_token,
    )
    .await
}
