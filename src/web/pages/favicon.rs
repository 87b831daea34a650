//! `/favicon.ico`: browsers ask for it for documents that link no icon (the
//! standalone SVG downloads opened in a tab); answering 404 puts an error in
//! every such page's console. The answer is the site's SVG icon.

use axum::http::header;
use axum::response::IntoResponse;

const FAVICON: &[u8] = include_bytes!("../../../static/favicon.svg");

pub async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
}
