//! Tags for filter menus and the tag typeahead: the most used tags, or those
//! starting with what the visitor typed, a few at a time (a page never
//! carries the thousands of tags a corpus can hold).

use super::{Store, StoreResult};
use crate::store::backend::on_pool;

/// Longest prefix looked up (tags themselves are at most 100 characters).
pub const TAG_PREFIX_MAX: usize = 100;

/// One tag and the number of incidents carrying it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TagCount {
    pub tag: String,
    pub incidents: i64,
}

/// How many tags a filter form offers before the visitor types.
pub const TOP_TAGS: u32 = 20;

impl Store {
    /// The [`TOP_TAGS`] most used tags, the suggestions a filter form offers
    /// before the visitor types (the typeahead asks for the rest).
    pub async fn top_tags(&self) -> StoreResult<Vec<String>> {
        let tags = self.tags_by_prefix("", TOP_TAGS).await?;
        Ok(tags.into_iter().map(|t| t.tag).collect())
    }

    /// Up to `limit` tags starting with `prefix` (tags are stored lower-case;
    /// the prefix is compared lower-cased), most used first, then by name.
    /// An empty prefix gives the most used tags overall.
    pub async fn tags_by_prefix(&self, prefix: &str, limit: u32) -> StoreResult<Vec<TagCount>> {
        let low = prefix.trim().to_lowercase();
        // A range on the tag index: every string starting with `low` sorts
        // at or after it and before `low` followed by the last code point.
        let high = format!("{low}\u{10FFFF}");
        let rows: Vec<(String, i64)> = on_pool!(&self.pool, |db| sqlx::query_as(
            // Counts kept by the triggers of migration 0026.
            "SELECT tag, incidents FROM tag_counts \
             WHERE tag >= $1 AND tag < $2 \
             ORDER BY incidents DESC, tag LIMIT $3",
        )
        .bind(&low)
        .bind(&high)
        .bind(i64::from(limit))
        .fetch_all(db)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(tag, incidents)| TagCount { tag, incidents })
            .collect())
    }
}
