//! The dev inference server as the upstream, and a model catalog pointing at it.

use studio_dev_inference::{DevConfig, DevServer};

use crate::{TestApp, TestDb};

/// A port nothing listens on (bound, then released): connections to it are refused.
pub fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1")
}

/// The catalog used by proxy tests: each model asks the dev server for one behaviour.
pub fn catalog(up: &str, refused: &str) -> String {
    let model = |id: &str, upstream_model: &str| {
        format!(
            "[[models]]\nid = \"{id}\"\ntype = \"chat\"\nmaxOutputTokens = 100\n\
             [[models.upstreams]]\nbaseUrl = \"{up}\"\nmodel = \"{upstream_model}\"\nfirstTokenTimeoutSecs = 2\n\n"
        )
    };
    let mut text = String::new();
    text += &model("chat", "dev-chat");
    text += &model("no-usage", "dev-chat:usage=false");
    text += &model("fails-500", "dev-chat:fail=500");
    text += &model("fails-429", "dev-chat:fail=429");
    text += &model("fails-400", "dev-chat:fail=400");
    text += &model("stalls", "dev-chat:stall=4000");
    text += &model("cuts", "dev-chat:tokens=10,cut=3");
    text += &model("malformed", "dev-chat:tokens=10,malformed=2");
    text += &model("slow", "dev-chat:tokens=400,delay=20");
    text += &model("multiline", "dev-chat:tokens=6,multiline=true");
    text += &model("no-done", "dev-chat:tokens=6,nodone=true");
    // Nagle check: 50 events with no delay, so any wait is the network stack's.
    text += &model("fast", "dev-chat:tokens=3,delay=1");
    text += &model("tool-calls", "dev-chat:tokens=6,tools=true,usage=false");
    text += &format!(
        "[[models]]\nid = \"priced\"\ntype = \"chat\"\nmaxOutputTokens = 100\n\
         [models.pricing]\ninputPerMillion = 2.0\noutputPerMillion = 10.0\n\
         [[models.upstreams]]\nbaseUrl = \"{up}\"\nmodel = \"dev-chat\"\n\n"
    );
    // Chat sessions: a reply long enough to leave, resume or cancel midway (~2 s).
    text += &model("session-slow", "dev-chat:tokens=80,delay=25");
    let timed = |id: &str, upstream_model: &str, timeouts: &str| {
        format!(
            "[[models]]\nid = \"{id}\"\ntype = \"chat\"\nmaxOutputTokens = 100\n\
             [[models.upstreams]]\nbaseUrl = \"{up}\"\nmodel = \"{upstream_model}\"\n{timeouts}\n\n"
        )
    };
    text += &timed(
        "slow-reply",
        "dev-chat:stall=30000",
        "firstTokenTimeoutSecs = 60",
    );
    text += &timed(
        "silent-at-once",
        "dev-chat:tokens=6,silence=0",
        "firstTokenTimeoutSecs = 1",
    );
    text += &timed(
        "silent-midway",
        "dev-chat:tokens=6,silence=3",
        "idleTimeoutSecs = 1",
    );
    text += &timed(
        "too-long",
        "dev-chat:tokens=400,delay=20",
        "timeoutSecs = 1",
    );
    text += &format!(
        "[[models]]\nid = \"refused\"\ntype = \"chat\"\n[[models.upstreams]]\nbaseUrl = \"{refused}\"\n\n\
         [[models]]\nid = \"retry-refused\"\ntype = \"chat\"\n\
         [[models.upstreams]]\nbaseUrl = \"{refused}\"\nweight = 100000\n\
         [[models.upstreams]]\nbaseUrl = \"{up}\"\nmodel = \"dev-chat\"\nweight = 1\n\n\
         [[models]]\nid = \"retry-500\"\ntype = \"chat\"\n\
         [[models.upstreams]]\nbaseUrl = \"{up}\"\nmodel = \"dev-chat:fail=500\"\nweight = 100000\n\
         [[models.upstreams]]\nbaseUrl = \"{up}\"\nmodel = \"dev-chat\"\nweight = 1\n\n\
         [[models]]\nid = \"image\"\ntype = \"image\"\nsizes = [\"256x256\"]\n[[models.upstreams]]\nbaseUrl = \"{up}\"\nmodel = \"dev-image\"\n"
    );
    text
}

/// A dev inference server on a random port and a gateway whose catalog points at it.
pub async fn gateway_with_upstream(
    db: &TestDb,
    overrides: &[(&str, &str)],
) -> (TestApp, DevServer) {
    gateway_with_catalog(db, overrides, catalog).await
}

/// A dev inference server and a gateway whose catalog is `catalog(upstream, refused)`.
pub async fn gateway_with_catalog(
    db: &TestDb,
    overrides: &[(&str, &str)],
    catalog: fn(&str, &str) -> String,
) -> (TestApp, DevServer) {
    let upstream = studio_dev_inference::start(DevConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        workers: Some(1),
        ..DevConfig::default()
    })
    .await
    .unwrap();
    db.track(upstream.handle.clone());
    let path = db.dir().join("models.toml");
    std::fs::write(&path, catalog(&upstream.base_url(), &refused_url())).unwrap();
    let mut vars = vec![
        ("STUDIO_MODELS_FILE", path.to_str().unwrap()),
        ("STUDIO_USAGE_FLUSH_MS", "50"),
    ];
    vars.extend_from_slice(overrides);
    let app = TestApp::spawn_with(db, &vars).await;
    (app, upstream)
}
