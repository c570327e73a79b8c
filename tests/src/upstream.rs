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
             [[models.upstreams]]\nbaseUrl = \"{up}\"\nmodel = \"{upstream_model}\"\ntimeoutSecs = 2\n\n"
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
