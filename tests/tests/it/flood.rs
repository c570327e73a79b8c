//! A login flood against a gateway running as its own process: memory stays bounded, health
//! keeps answering, and the real user still signs in from elsewhere.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use actix_web::http::Method;
use serde_json::json;
use studio_tests::{db_test, eventually, register, TestApp, TestDb};

const FLOOD: usize = 200;
const MAX_RSS_KIB: u64 = 256 * 1024;

struct Gateway(Child);

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Peak resident memory of a process (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

async fn spawn_gateway(db: &TestDb) -> (Gateway, TestApp) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut env = TestApp::env(db, &[("STUDIO_TRUSTED_PROXIES", "127.0.0.1")]);
    env.insert("STUDIO_BIND".into(), format!("127.0.0.1:{port}"));
    env.insert("STUDIO_WORKERS".into(), "2".into());
    env.insert("STUDIO_LOG".into(), "error".into());
    let child = Command::new(env!("CARGO_BIN_EXE_studio-test-gateway"))
        .env_clear()
        .envs(env)
        .current_dir(db.dir())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .connector(awc::Connector::new().limit(FLOOD * 2))
        .finish();
    let app = TestApp::external(format!("http://127.0.0.1:{port}"), client, db);
    let up = |app: &TestApp| {
        let request = app.client.get(app.url("/healthz")).send();
        async move { request.await.ok().filter(|r| r.status() == 200).map(drop) }
    };
    eventually(30, "the gateway binary never answered", || up(&app)).await;
    (Gateway(child), app)
}

#[db_test]
async fn a_wrong_password_flood_keeps_memory_bounded_and_the_owner_signs_in(db: TestDb) {
    let (gateway, app) = spawn_gateway(&db).await;
    register(&app, "ada@example.com").await;
    let wrong = json!({"email": "ada@example.com", "password": "not the password"});
    let flood = futures_util::future::join_all((0..FLOOD).map(|i| {
        let (app, wrong) = (&app, &wrong);
        async move {
            let ip = format!("10.{}.{}.1", i / 250, i % 250);
            let headers = [("x-forwarded-for", ip.as_str())];
            app.request(Method::POST, "/api/auth/login", &headers, Some(wrong))
                .await
                .status
                .as_u16()
        }
    }));
    let owner = async {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        let right = json!({"email": "ada@example.com", "password": "correct horse battery"});
        let headers = [("x-forwarded-for", "1.2.3.4")];
        let started = Instant::now();
        // A busy gateway may answer 503 with Retry-After; a real client retries.
        let status = eventually(60, "the owner never signed in", || async {
            let response = app
                .request(Method::POST, "/api/auth/login", &headers, Some(&right))
                .await;
            match response.status.as_u16() {
                503 => None,
                status => Some(status),
            }
        })
        .await;
        (status, started.elapsed())
    };
    let health = async {
        let mut slowest = Duration::ZERO;
        for _ in 0..20 {
            let started = Instant::now();
            app.get("/healthz").await.expect(200);
            slowest = slowest.max(started.elapsed());
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        slowest
    };
    let (statuses, (owner_status, owner_took), slowest_health) =
        futures_util::join!(flood, owner, health);
    assert_eq!(owner_status, 200);
    assert!(
        statuses.iter().all(|s| matches!(s, 401 | 429 | 503)),
        "{statuses:?}"
    );
    let peak = peak_rss_kib(gateway.0.id());
    eprintln!(
        "flood: {FLOOD} logins, peak RSS {} MiB, owner signed in after {owner_took:?}, \
         slowest /healthz {slowest_health:?}, 401s {}, 503s {}",
        peak / 1024,
        statuses.iter().filter(|s| **s == 401).count(),
        statuses.iter().filter(|s| **s == 503).count(),
    );
    assert!(peak < MAX_RSS_KIB, "peak RSS {} MiB", peak / 1024);
}
