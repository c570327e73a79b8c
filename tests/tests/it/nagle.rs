//! No Nagle stalls: a small final write (the last event, `[DONE]`, the chunk terminator) must
//! not wait ~40 ms for the client's delayed ACK. The client is a bare TCP socket that never
//! sets quick-ACK and reuses one keep-alive connection, where delayed ACKs are in force. The
//! upstream sends a few events 1 ms apart, so the gateway makes several small writes per stream:
//! without `TCP_NODELAY` each stream ends ~45 ms late.

use std::time::{Duration, Instant};

use studio_tests::{access_token, api_key, db_test, upstream::gateway_with_upstream, TestDb};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const STREAMS: usize = 50;
/// Far above a loopback stream of 50 events (~1 ms), far below a delayed ACK (~40 ms).
const LIMIT: Duration = Duration::from_millis(20);

#[db_test]
async fn fifty_streams_in_a_row_end_without_a_delayed_ack_stall(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let body = r#"{"model":"fast","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {key}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut socket = TcpStream::connect(&address).await.unwrap();
    let mut times = Vec::with_capacity(STREAMS);
    let mut buffer = vec![0u8; 64 * 1024];
    // One untimed stream first: it pays for the key lookup and the upstream connection.
    for round in 0..=STREAMS {
        let start = Instant::now();
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut received = Vec::new();
        // The response is chunked; its terminator is the last byte of the stream.
        while !received.ends_with(b"\r\n0\r\n\r\n") {
            let read = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buffer))
                .await
                .unwrap()
                .unwrap();
            assert!(read > 0, "the gateway closed the connection");
            received.extend_from_slice(&buffer[..read]);
        }
        if round > 0 {
            times.push(start.elapsed());
        }
        let text = String::from_utf8_lossy(&received);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.contains("data: [DONE]"), "{text}");
    }
    let slow: Vec<_> = times.iter().filter(|t| **t > LIMIT).collect();
    assert!(
        slow.is_empty(),
        "streams over {LIMIT:?}: {slow:?} of {times:?}"
    );
}
