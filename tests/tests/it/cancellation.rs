//! A client that goes away, by closing its side (FIN) or resetting the connection (RST), stops
//! the upstream's work at once, for answers and streams alike, and is accounted as cancelled.

use std::time::{Duration, Instant};

use serde_json::json;
use studio_tests::{access_token, db_test, upstream::gateway_with_upstream, TestApp, TestDb};
use tokio::{io::AsyncWriteExt, net::TcpStream};

#[derive(Clone, Copy, Debug)]
enum Leave {
    /// `shutdown(SHUT_WR)`: the ordinary way a client closes.
    Fin,
    /// SO_LINGER 0 then close: a reset.
    Rst,
}

/// Sends a request by hand on a raw socket, waits, then leaves the way `leave` says.
async fn send_and_leave(app: &TestApp, token: &str, body: &serde_json::Value, leave: Leave) {
    let address = app.base_url.trim_start_matches("http://");
    let mut socket = TcpStream::connect(address).await.unwrap();
    let body = body.to_string();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    actix_web::rt::time::sleep(Duration::from_millis(700)).await;
    match leave {
        Leave::Fin => {
            socket.shutdown().await.unwrap();
            // Keep the socket (its read side) open: only the client's sending side closed.
            actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
        }
        Leave::Rst => {
            // A zero linger never blocks on drop (the deprecation is about waiting ones).
            #[allow(deprecated)]
            socket.set_linger(Some(Duration::ZERO)).unwrap();
            drop(socket);
        }
    }
}

#[db_test]
async fn a_client_that_leaves_a_slow_answer_cancels_it_and_is_recorded_as_499(db: TestDb) {
    let (app, up) = gateway_with_upstream(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let body = json!({"model": "slow-reply", "messages": [{"role": "user", "content": "hi"}]});
    for (round, leave) in [Leave::Fin, Leave::Rst].into_iter().enumerate() {
        let left = Instant::now();
        send_and_leave(&app, &token, &body, leave).await;
        let deadline = left + Duration::from_secs(4);
        while up.stats.snapshot().abandoned < round as u64 + 1 {
            assert!(
                Instant::now() < deadline,
                "{leave:?}: the upstream kept working"
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        let records = studio_tests::usage_records(&db, round + 1).await;
        assert_eq!(records.len(), round + 1, "{leave:?}");
        let record = &records[round];
        assert_eq!(record.status, 499, "{leave:?}");
        assert!(record.cancelled, "{leave:?}");
        // Nothing was produced: only the prompt is billed, and it is marked as an estimate.
        assert_eq!(record.completion_tokens, 0, "{leave:?}");
        assert!(record.prompt_tokens > 0 && record.estimated, "{leave:?}");
    }
    let report = app.get_auth("/api/usage", &token).await.expect(200);
    assert_eq!(report["totals"]["cancelledRequests"], 2);
    assert_eq!(report["byModel"][0]["cancelledRequests"], 2);
    assert!(report["totals"]["estimatedTokens"].as_i64().unwrap() > 0);
    assert_eq!(report["byDay"][0]["cancelledRequests"], 2);
}

#[db_test]
async fn a_client_that_closes_a_stream_cancels_it(db: TestDb) {
    let (app, up) = gateway_with_upstream(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let body = json!({"model": "slow", "stream": true,
        "messages": [{"role": "user", "content": "hi"}]});
    send_and_leave(&app, &token, &body, Leave::Fin).await;
    let deadline = Instant::now() + Duration::from_secs(3);
    while up.stats.snapshot().abandoned == 0 {
        assert!(
            Instant::now() < deadline,
            "the upstream stream was not cancelled"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    let records = studio_tests::usage_records(&db, 1).await;
    assert!(records[0].cancelled && records[0].status == 499);
    assert!(records[0].completion_tokens > 0);
}
