//! A small least-recently-used map bounded by entries and by bytes, for the
//! caches of derived pages: however many distinct URLs visitors try, memory
//! stays under the bound (the least recently used entry goes first).
//! Eviction scans the map: the bounds are a few hundred entries at most.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

/// An [`Lru`] shared by requests (the caches' statics). A panic while it
/// was held leaves nothing but a cache behind, so a poisoned lock is used
/// as it is rather than failing every later request.
pub struct SharedLru<K, V>(Mutex<Lru<K, V>>);

impl<K: Eq + Hash + Clone, V> SharedLru<K, V> {
    pub fn new(max_entries: usize, max_bytes: usize, weigh: fn(&V) -> usize) -> Self {
        SharedLru(Mutex::new(Lru::new(max_entries, max_bytes, weigh)))
    }

    pub fn lock(&self) -> MutexGuard<'_, Lru<K, V>> {
        match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// How many entries it holds and their weight in bytes.
    pub fn sizes(&self) -> (usize, usize) {
        let lru = self.lock();
        (lru.len(), lru.bytes())
    }

    /// Its lookups so far and what it holds (for `/metrics`).
    pub fn stats(&self) -> CacheStats {
        let lru = self.lock();
        CacheStats {
            hits: lru.hits,
            misses: lru.misses,
            entries: lru.len(),
            bytes: lru.bytes(),
        }
    }
}

/// A cache's lookups since the process started, and what it holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found an entry (for the aggregate caches possibly one
    /// of an earlier data version, which is then patched).
    pub hits: u64,
    pub misses: u64,
    pub entries: usize,
    pub bytes: usize,
}

pub struct Lru<K, V> {
    map: HashMap<K, Entry<V>>,
    tick: u64,
    max_entries: usize,
    max_bytes: usize,
    bytes: usize,
    weigh: fn(&V) -> usize,
    hits: u64,
    misses: u64,
}

struct Entry<V> {
    used: u64,
    size: usize,
    value: V,
}

impl<K: Eq + Hash + Clone, V> Lru<K, V> {
    /// At most `max_entries` entries weighing at most `max_bytes` in all
    /// (by `weigh`); an entry heavier than `max_bytes` alone is not kept.
    pub fn new(max_entries: usize, max_bytes: usize, weigh: fn(&V) -> usize) -> Self {
        Lru {
            map: HashMap::new(),
            tick: 0,
            max_entries: max_entries.max(1),
            max_bytes,
            bytes: 0,
            weigh,
            hits: 0,
            misses: 0,
        }
    }

    /// The entry of `key`, now the most recently used; counted as a hit or a miss.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        self.tick += 1;
        let tick = self.tick;
        match self.map.get_mut(key) {
            Some(e) => {
                self.hits += 1;
                e.used = tick;
                Some(&e.value)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    pub fn insert(&mut self, key: K, value: V) {
        let size = (self.weigh)(&value);
        self.remove(&key);
        if size > self.max_bytes {
            return;
        }
        while !self.map.is_empty()
            && (self.map.len() >= self.max_entries || self.bytes + size > self.max_bytes)
        {
            let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.remove(&oldest);
        }
        self.tick += 1;
        self.bytes += size;
        self.map.insert(
            key,
            Entry {
                used: self.tick,
                size,
                value,
            },
        );
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        let e = self.map.remove(key)?;
        self.bytes -= e.size;
        Some(e.value)
    }

    /// Drops the entries `keep` refuses.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        let bytes = &mut self.bytes;
        self.map.retain(|k, e| {
            let kept = keep(k, &e.value);
            if !kept {
                *bytes -= e.size;
            }
            kept
        });
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The weight of every entry kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used_within_both_bounds() {
        let mut lru: Lru<u32, Vec<u8>> = Lru::new(3, 100, Vec::len);
        lru.insert(1, vec![0; 10]);
        lru.insert(2, vec![0; 10]);
        lru.insert(3, vec![0; 10]);
        assert!(lru.get(&1).is_some());
        lru.insert(4, vec![0; 10]);
        assert!(lru.get(&2).is_none(), "2 was the least recently used");
        assert_eq!(lru.len(), 3);
        lru.insert(5, vec![0; 90]);
        assert!(lru.bytes() <= 100);
        assert!(lru.get(&5).is_some());
        lru.insert(6, vec![0; 101]);
        assert!(lru.get(&6).is_none(), "too heavy to keep");
        assert!(lru.bytes() <= 100 && lru.len() <= 3);
        // Lookups: 1, 2, 5 and 6 above.
        assert_eq!((lru.hits, lru.misses), (2, 2));
    }
}
