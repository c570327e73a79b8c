//! The database failing is a normal event: a 503 the client can retry, never a 500 or a panic.
//!
//! A client that leaves while its request waits on the database costs that one query, nothing
//! more: the connection it held never serves the next request half-used. (diesel-async's SQLite
//! wrapper panics when a connection whose query was abandoned is used again while the query
//! still runs: diesel_async#281.)

use std::time::Duration;

use serde_json::json;
use studio_tests::{access_token, db_test, outage::Outage, TestApp, TestDb};
use tokio::{io::AsyncWriteExt, net::TcpStream};

/// Sends `PATCH /api/auth/me` on a raw socket, waits, then resets the connection.
async fn patch_and_leave(app: &TestApp, token: &str) {
    let address = app.base_url.trim_start_matches("http://");
    let mut socket = TcpStream::connect(address).await.unwrap();
    let body = json!({"firstName": "Abandoned"}).to_string();
    let request = format!(
        "PATCH /api/auth/me HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    #[allow(deprecated)]
    socket.set_linger(Some(Duration::ZERO)).unwrap();
    drop(socket);
}

#[db_test]
async fn a_request_abandoned_while_its_query_waits_leaves_the_pool_healthy(db: TestDb) {
    // One connection: the next request gets exactly the one the abandoned request held.
    let app = TestApp::spawn_with(&db, &[("STUDIO_DATABASE_POOL_SIZE", "1")]).await;
    let token = access_token(&app, "ada@example.com").await;
    let outage = Outage::start(&db).await;
    patch_and_leave(&app, &token).await;
    // The abandoned write is still waiting on the lock; another request needs a connection now.
    let during = app.get_auth("/api/auth/me", &token).await;
    assert!(
        [200, 503].contains(&during.status.as_u16()),
        "during the outage: {} {}",
        during.status,
        during.text()
    );
    outage.end().await;
    for round in 0..5 {
        let me = app.get_auth("/api/auth/me", &token).await;
        assert_eq!(me.status.as_u16(), 200, "round {round}: {}", me.text());
        let update = json!({"firstName": format!("Ada {round}")});
        let patched = app
            .send_auth(
                actix_web::http::Method::PATCH,
                "/api/auth/me",
                &token,
                Some(&update),
            )
            .await;
        assert_eq!(
            patched.status.as_u16(),
            200,
            "round {round}: {}",
            patched.text()
        );
        assert_eq!(patched.json()["firstName"], format!("Ada {round}"));
    }
}

#[db_test]
async fn while_the_database_is_down_requests_are_answered_503_with_retry_after(db: TestDb) {
    let app = TestApp::spawn_with(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let outage = Outage::start(&db).await;
    let update = json!({"firstName": "Grace"});
    let patched = app
        .send_auth(
            actix_web::http::Method::PATCH,
            "/api/auth/me",
            &token,
            Some(&update),
        )
        .await;
    outage.end().await;
    assert_eq!(patched.status.as_u16(), 503, "{}", patched.text());
    assert_eq!(patched.json()["error"]["code"], "database_unavailable");
    assert_eq!(patched.header("retry-after"), Some("1"));
    let me = app.get_auth("/api/auth/me", &token).await;
    assert_eq!(me.status.as_u16(), 200, "{}", me.text());
    assert_ne!(me.json()["firstName"], "Grace");
}
