//! The soak's traffic: blocking HTTP/1.1 clients on their own threads, each request on its own
//! connection, a mix of answers, streams, client aborts and upstream faults.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::{Duration, Instant},
};

/// One kind of request, and the catalog model it uses (each kind has its own model, so the
/// usage report's per-model rows reconcile kind by kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A 200-token stream read to its end.
    Stream,
    /// The same stream, abandoned after a random number of events.
    AbortedStream,
    /// A non-stream answer.
    Answer,
    /// A slow non-stream answer whose client leaves before it comes.
    AbortedAnswer,
    /// An upstream without usage counts (Studio estimates).
    Unmetered,
    /// An upstream answering 500 (retried, then 502).
    Failing,
    /// A stream the upstream cuts mid-way.
    Cut,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Stream,
        Kind::AbortedStream,
        Kind::Answer,
        Kind::AbortedAnswer,
        Kind::Unmetered,
        Kind::Failing,
        Kind::Cut,
    ];

    pub fn model(self) -> &'static str {
        match self {
            Kind::Stream => "soak-stream",
            Kind::AbortedStream => "soak-abort",
            Kind::Answer => "soak-answer",
            Kind::AbortedAnswer => "soak-slow",
            Kind::Unmetered => "soak-unmetered",
            Kind::Failing => "soak-fail",
            Kind::Cut => "soak-cut",
        }
    }

    /// The dev inference server's behaviour behind the model.
    pub fn upstream(self) -> &'static str {
        match self {
            Kind::Stream | Kind::AbortedStream => "dev-chat:tokens=200,delay=2",
            Kind::Answer => "dev-chat:tokens=40",
            Kind::AbortedAnswer => "dev-chat:tokens=40,stall=1500",
            Kind::Unmetered => "dev-chat:tokens=40,usage=false",
            Kind::Failing => "dev-chat:fail=500",
            Kind::Cut => "dev-chat:tokens=50,delay=2,cut=10",
        }
    }

    fn stream(self) -> bool {
        matches!(self, Kind::Stream | Kind::AbortedStream | Kind::Cut)
    }

    /// Picks a kind: mostly successful traffic, a fifth aborted, a tenth faults.
    fn pick(roll: u64) -> Kind {
        match roll % 100 {
            0..=29 => Kind::Stream,
            30..=49 => Kind::AbortedStream,
            50..=69 => Kind::Answer,
            70..=74 => Kind::AbortedAnswer,
            75..=89 => Kind::Unmetered,
            90..=94 => Kind::Failing,
            _ => Kind::Cut,
        }
    }
}

/// Words that are one token each in o200k_base (with their leading space), so the dev server's
/// one-token-per-word counts and Studio's BPE estimates measure the same thing.
const PROMPT: &str = "the quick brown fox jumps over the lazy dog and the cat sat on the mat";

/// xorshift64*: reproducible per thread, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Sends one request of `kind`; `Ok(true)` once the gateway has the whole request (it then
/// owes a usage record, whatever happens next).
pub fn send(addr: SocketAddr, token: &str, kind: Kind, rng: &mut Rng) -> std::io::Result<bool> {
    let prompt = std::iter::repeat_n(PROMPT, 8).collect::<Vec<_>>().join(" ");
    let body = format!(
        r#"{{"model":"{}","stream":{},"messages":[{{"role":"user","content":"{prompt}"}}]}}"#,
        kind.model(),
        kind.stream()
    );
    let mut socket = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    socket.set_read_timeout(Some(Duration::from_secs(60)))?;
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes())?;
    // From here the request is the gateway's: how reading ends does not change what it owes.
    match kind {
        Kind::AbortedStream => {
            let events = 20 + rng.next() % 160;
            let _ = read_events(&mut socket, events);
        }
        Kind::AbortedAnswer => {
            std::thread::sleep(Duration::from_millis(300 + rng.next() % 500));
        }
        _ => {
            let mut sink = Vec::new();
            let _ = socket.read_to_end(&mut sink);
        }
    }
    Ok(true)
}

/// Reads until `count` SSE `data:` events arrived (or the stream ended).
fn read_events(socket: &mut TcpStream, count: u64) -> std::io::Result<()> {
    let mut seen = 0u64;
    let mut buffer = [0u8; 8192];
    let mut tail = Vec::new();
    let started = Instant::now();
    while seen < count && started.elapsed() < Duration::from_secs(30) {
        let read = socket.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        tail.extend_from_slice(&buffer[..read]);
        seen += tail.windows(6).filter(|w| w == b"data: ").count() as u64;
        // Keep a few bytes so a marker split across reads is still seen once.
        let keep = tail.len().min(5);
        tail.drain(..tail.len() - keep);
    }
    Ok(())
}

/// Runs one client thread until `until`; returns how many requests of each kind it sent.
pub fn client(
    addr: SocketAddr,
    token: String,
    seed: u64,
    until: Instant,
) -> std::collections::BTreeMap<Kind, u64> {
    let mut rng = Rng::new(seed);
    let mut sent = std::collections::BTreeMap::new();
    while Instant::now() < until {
        let kind = Kind::pick(rng.next());
        match send(addr, &token, kind, &mut rng) {
            Ok(true) => *sent.entry(kind).or_insert(0) += 1,
            Ok(false) => {}
            Err(error) => {
                // Counted only if the request went out whole; a refused connection did not.
                eprintln!("soak: {kind:?}: {error}");
            }
        }
    }
    sent
}
