//! `TestApp`: a real server on a free loopback port with its own database.

use std::path::{Path, PathBuf};

use atlasview::app;
use atlasview::store::Store;
use atlasview::web::AppState;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The shared read-only ATLAS data beside the repository (`../shared/atlas`).
pub fn shared_atlas(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/atlas")
        .join(file)
}

/// A fixture of ours in `tests/fixtures`.
pub fn fixture(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file)
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub state: AppState,
    _dir: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

impl TestApp {
    /// A fresh install: empty database, the embedded catalog seeded.
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("test.db");
        let (store, active) = app::open(db_path.to_str().expect("utf-8 path"))
            .await
            .expect("open store");
        let state = app::state(store.clone(), active);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let serve_state = state.clone();
        tokio::spawn(async move {
            let _ = app::serve(listener, serve_state, async {
                let _ = stopped.await;
            })
            .await;
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            base,
            client,
            store,
            state,
            _dir: dir,
            _stop: stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET a path; returns status and body text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    /// Imports a release file into this app's store and makes the server see it.
    pub async fn import(&self, path: &Path) -> atlasview::store::ImportOutcome {
        let fetched = atlasview::atlas::fetch::read_source(path.to_str().expect("utf-8 path"))
            .await
            .expect("read release");
        let outcome = app::import_release(&self.store, &fetched)
            .await
            .expect("import");
        self.reload().await;
        outcome
    }

    /// Reloads the active release into the running server.
    pub async fn reload(&self) {
        let active = app::load_or_seed(&self.store).await.expect("load active");
        self.state.atlas.set(active);
    }
}
