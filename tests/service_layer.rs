//! Use cases of `src/service` and the store queries behind them, checked
//! without HTTP.

use crate::support::{TestApp, shared_atlas};

/// `/admin/atlas` lists releases with one query; it must say what the list
/// of releases plus one `release_source` per release said.
#[tokio::test]
async fn the_admin_release_list_is_the_release_list_with_whole_sources() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-4.8.0.yaml")).await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let mut expected = app.store.list_releases().await.expect("list");
    for r in &mut expected {
        r.source = app
            .store
            .release_source(&r.version)
            .await
            .expect("source")
            .expect("stored");
    }
    assert!(expected.len() >= 2, "two releases: {expected:?}");
    assert!(
        expected.iter().any(|r| r.source.contains('/')),
        "a file's whole path is what admins see: {expected:?}"
    );
    let listed = atlasview::service::releases::list_for_admins(&app.store)
        .await
        .expect("admin list");
    assert_eq!(listed, expected);
}
