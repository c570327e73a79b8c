//! Operators: `studio-gateway admin` (the real binary), the admin API, disabling accounts across
//! instances, and the audit log.

mod api;
mod audit;
mod disable;
mod providers;

use std::{
    io::Write,
    process::{Command, Stdio},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{json, Value};
use studio_tests::{TestApp, TestDb};

pub const PASSWORD: &str = "correct horse battery";

/// Runs `studio-gateway admin <args>` against the test's database, `stdin` piped in; returns
/// the exit code and standard output.
pub fn admin_cli(db: &TestDb, args: &[&str], stdin: Option<&str>) -> (i32, String) {
    let env = TestApp::env(db, &[("STUDIO_LOG", "error")]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_studio-test-gateway"))
        .arg("admin")
        .args(args)
        .env_clear()
        .envs(env)
        .current_dir(db.dir())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// An admin created with the CLI, signed in: the sign-in body.
pub async fn admin_session(app: &TestApp, email: &str) -> Value {
    let (code, out) = admin_cli(
        &app.db,
        &["create-user", "--email", email, "--admin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert_eq!(code, 0, "{out}");
    app.post(
        "/api/auth/login",
        &json!({ "email": email, "password": PASSWORD }),
    )
    .await
    .expect(200)
}

pub async fn admin_token(app: &TestApp, email: &str) -> String {
    admin_session(app, email).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The claims of an access token (not verified: the gateway does that).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Stores one usage record of `tokens` tokens for `user_id`, as the usage writer would.
pub async fn record_usage(db: &TestDb, user_id: &str, tokens: i64) {
    use diesel_async::RunQueryDsl;
    let target = TestApp::config(db, &[]).unwrap().database;
    let pool = studio_core::db::connect(&target, 1).await.unwrap();
    let record = studio_usage::UsageRecord {
        id: studio_core::ids::new_id(),
        user_id: user_id.into(),
        api_key_id: None,
        kind: "chat".into(),
        model: "m".into(),
        upstream: None,
        stream: false,
        prompt_tokens: tokens,
        completion_tokens: 0,
        total_tokens: tokens,
        estimated: false,
        ttft_ms: None,
        latency_ms: 1,
        status: 200,
        cancelled: false,
        created_at: studio_core::time::now(),
        cost_usd: 0.0,
        session_id: None,
        message_id: None,
        images: 0,
    };
    studio_core::db_run!(&pool, |conn| diesel::insert_into(
        studio_core::schema::usage_records::table
    )
    .values(&record)
    .execute(conn)
    .await)
    .unwrap();
}
