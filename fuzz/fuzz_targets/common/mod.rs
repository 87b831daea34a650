//! What the targets share: an allocator that refuses outsized allocations,
//! the embedded ATLAS catalog as the active release, and for the readers
//! that consult the database, a store on a scratch SQLite file with a
//! current-thread runtime, made once per process.

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::OnceLock;

use atlasview::atlas::{ActiveAtlas, ReleaseInfo, catalog};
use atlasview::store::Store;

/// libFuzzer's `-malloc_limit_mb` needs a sanitizer's malloc hooks, which a
/// build without sanitizer lacks; this allocator stands in: one allocation
/// above [`MALLOC_LIMIT`] (a thousand times the longest input) aborts, and
/// libFuzzer saves the input as a crash.
struct Limited;

pub const MALLOC_LIMIT: usize = 64 * 1024 * 1024;

fn check(size: usize) {
    if size > MALLOC_LIMIT {
        // No allocation from here on: a fixed message, then abort.
        let msg = b"==fuzz== ERROR: one allocation above 64 MiB (common::MALLOC_LIMIT)\n";
        // SAFETY: writing a static buffer to stderr.
        unsafe { libc_write(2, msg.as_ptr(), msg.len()) };
        std::process::abort();
    }
}

unsafe extern "C" {
    #[link_name = "write"]
    fn libc_write(fd: i32, buf: *const u8, count: usize) -> isize;
}

unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Limited = Limited;

/// The embedded catalog as the active release (no database needed).
pub fn atlas() -> &'static ActiveAtlas {
    static ATLAS: OnceLock<ActiveAtlas> = OnceLock::new();
    ATLAS.get_or_init(|| {
        let release = catalog::embedded_release();
        let info = ReleaseInfo {
            version: release.version.clone(),
            name: release.name.clone(),
            format: "catalog".to_string(),
            source: catalog::EMBEDDED_SOURCE.to_string(),
            imported_at: String::new(),
            is_active: true,
            has_descriptions: false,
            tactic_count: release.tactics.len() as i64,
            technique_count: release.techniques.len() as i64,
            mitigation_count: release.mitigations.len() as i64,
            case_study_count: release.case_studies.len() as i64,
        };
        ActiveAtlas::new(info, release)
    })
}

pub struct Db {
    pub rt: tokio::runtime::Runtime,
    pub store: Store,
    pub atlas: ActiveAtlas,
}

/// A migrated store seeded with the embedded catalog, on a file of its own
/// (one per process) under the temp directory; removed and made afresh at
/// start.
pub fn db(name: &str) -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = std::env::var_os("FUZZ_DB_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let path = dir.join(format!("atlasview-fuzz-{name}-{}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let (store, atlas) = rt.block_on(async {
            let store = Store::connect(&path.display().to_string())
                .await
                .expect("store");
            let atlas = atlasview::service::releases::load_or_seed(&store)
                .await
                .expect("seed");
            (store, atlas)
        });
        Db { rt, store, atlas }
    })
}
