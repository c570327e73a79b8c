//! Image tests' fixtures: a catalog of image models that each ask the dev server for one
//! behaviour, and a moto S3 server started for the test.

use std::{net::TcpListener, process::Child, time::Duration};

use studio_dev_inference::DevServer;

use crate::{upstream::gateway_with_catalog, TestApp, TestDb};

/// Image models: `id` served by the dev server as `upstream_model`.
pub fn catalog(up: &str, refused: &str) -> String {
    let model = |id: &str, upstream_model: &str, timeout: u32| {
        format!(
            "[[models]]\nid = \"{id}\"\ntype = \"image\"\nsizes = [\"256x256\", \"512x512\", \"128x64\"]\n\
             [[models.upstreams]]\nbaseUrl = \"{up}\"\nmodel = \"{upstream_model}\"\ntimeoutSecs = {timeout}\n\n"
        )
    };
    let mut text = String::new();
    text += &model("image", "dev-image", 5);
    text += &model("image-other", "dev-image", 5);
    text += &model("image-url", "dev-image:reply=url", 5);
    text += &model("image-corrupt-bytes", "dev-image:corrupt=bytes", 5);
    text += &model("image-corrupt-truncated", "dev-image:corrupt=truncated", 5);
    text += &model("image-corrupt-base64", "dev-image:corrupt=base64", 5);
    text += &model("image-corrupt-bomb", "dev-image:corrupt=bomb", 5);
    text += &model("image-fails-400", "dev-image:fail=400", 5);
    text += &model("image-fails-429", "dev-image:fail=429", 5);
    text += &model("image-fails-500", "dev-image:fail=500", 5);
    text += &model("image-stalls", "dev-image:stall=4000", 1);
    text += &model("image-slow", "dev-image:stall=5000", 10);
    text += &format!(
        "[[models]]\nid = \"image-refused\"\ntype = \"image\"\nsizes = [\"256x256\"]\n\
         [[models.upstreams]]\nbaseUrl = \"{refused}\"\n\n\
         [[models]]\nid = \"image-retry-500\"\ntype = \"image\"\nsizes = [\"256x256\"]\n\
         [[models.upstreams]]\nbaseUrl = \"{up}\"\nmodel = \"dev-image:fail=500\"\nweight = 100000\n\
         [[models.upstreams]]\nbaseUrl = \"{up}\"\nmodel = \"dev-image\"\nweight = 1\n\n\
         [[models]]\nid = \"chat\"\ntype = \"chat\"\n[[models.upstreams]]\nbaseUrl = \"{up}\"\nmodel = \"dev-chat\"\n"
    );
    text
}

/// A dev inference server and a gateway whose catalog holds the image models above.
pub async fn gateway_with_images(db: &TestDb, overrides: &[(&str, &str)]) -> (TestApp, DevServer) {
    gateway_with_catalog(db, overrides, catalog).await
}

/// The names of the files under `folder` of the test's media root (none if it is missing).
pub fn media_files(db: &TestDb, folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(db.dir().join("media").join(folder))
        .map(|dir| {
            dir.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A moto S3 server on a free port, stopped (by its own pid) when dropped.
pub struct Moto {
    pub endpoint: String,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts `moto_server` and creates `bucket`; `None` (with a message) if moto is not
    /// installed (`pip install 'moto[server]'`).
    pub async fn start(bucket: &str) -> Option<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let child = match std::process::Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(error) => {
                eprintln!("S3 test skipped: moto_server cannot be started ({error}); pip install 'moto[server]'");
                return None;
            }
        };
        let moto = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        };
        let client = awc::Client::default();
        let started = std::time::Instant::now();
        loop {
            let created = client
                .put(format!("{}/{bucket}", moto.endpoint))
                .send()
                .await;
            match created {
                Ok(response) if response.status().is_success() => return Some(moto),
                _ if started.elapsed() > Duration::from_secs(30) => {
                    panic!("moto_server did not come up on port {port}")
                }
                _ => actix_web::rt::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}
