//! Navigator layer import: the layer reader, the plan against the release,
//! and the import into a scratch store (as `POST /api/v1/matrix/layer`).
#![no_main]

mod common;

use atlasview::export::{layer_plan, navigator};
use atlasview::service::layers::import_layer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let db = common::db("layer");
    let Ok(parsed) = navigator::parse_layer(data) else {
        return;
    };
    let plan = layer_plan::plan(&db.atlas, &parsed);
    let _ = db.rt.block_on(import_layer(&db.store, &db.atlas, &plan));
});
