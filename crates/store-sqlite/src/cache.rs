//! Rows kept in memory beside the database, so the hottest reads skip SQLite.
//!
//! Each `StartExecution` reads its state machine, each `GetActivityTask` its activity, and
//! clients poll `DescribeExecution` on executions that just changed. A read through the
//! read connection costs a read transaction (file locks, and pages re-read after every
//! commit, since another connection wrote them) plus decoding; a cache hit costs a clone.
//!
//! The cache is filled by the store's own writes (after their transaction commits) and by
//! reads; one process owns a store directory, so nothing else changes the rows under it.
//! A read that missed fills the cache only if no write changed it meanwhile (the
//! generation below), so a row read just before a write commits never hides that write.
use std::collections::{HashMap, VecDeque};

use parking_lot::Mutex;

/// A bounded map from ARN to row; the oldest insertion leaves first.
pub(crate) struct RowCache<T> {
    inner: Mutex<Inner<T>>,
    capacity: usize,
}

struct Inner<T> {
    /// Counts writes (`put`, `remove`, `clear`).
    generation: u64,
    rows: HashMap<String, T>,
    /// ARNs in insertion order (one entry per ARN present in `rows`).
    order: VecDeque<String>,
}

impl<T: Clone> RowCache<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        RowCache {
            inner: Mutex::new(Inner {
                generation: 0,
                rows: HashMap::new(),
                order: VecDeque::new(),
            }),
            capacity: capacity.max(1),
        }
    }

    /// The row of `arn`, if cached.
    fn get(&self, arn: &str) -> Option<T> {
        self.inner.lock().rows.get(arn).cloned()
    }

    /// The row of `arn` from the cache, or from `load` (the database), which then fills
    /// the cache unless a write happened meanwhile.
    pub(crate) fn get_or_load<E>(
        &self,
        arn: &str,
        load: impl FnOnce() -> Result<Option<T>, E>,
    ) -> Result<Option<T>, E> {
        if let Some(row) = self.get(arn) {
            return Ok(Some(row));
        }
        let seen = self.generation();
        let row = load()?;
        if let Some(row) = &row {
            self.fill(arn, row.clone(), seen);
        }
        Ok(row)
    }

    /// The write count, to pass to [`RowCache::fill`] after reading the database.
    fn generation(&self) -> u64 {
        self.inner.lock().generation
    }

    /// Caches a row read from the database, unless a write happened since `generation`
    /// (the row read may be older than that write).
    fn fill(&self, arn: &str, row: T, generation: u64) {
        let mut inner = self.inner.lock();
        if inner.generation == generation && !inner.rows.contains_key(arn) {
            inner.insert(arn, row, self.capacity);
        }
    }

    /// Caches (or replaces) `arn`'s row: a write that has committed.
    pub(crate) fn put(&self, arn: &str, row: T) {
        let mut inner = self.inner.lock();
        inner.generation += 1;
        if let Some(slot) = inner.rows.get_mut(arn) {
            *slot = row;
            return;
        }
        inner.insert(arn, row, self.capacity);
    }

    /// Forgets `arn`'s row.
    pub(crate) fn remove(&self, arn: &str) {
        let mut inner = self.inner.lock();
        inner.generation += 1;
        if inner.rows.remove(arn).is_some() {
            inner.order.retain(|a| a != arn);
        }
    }

    /// Forgets every row.
    pub(crate) fn clear(&self) {
        let mut inner = self.inner.lock();
        inner.generation += 1;
        inner.rows.clear();
        inner.order.clear();
    }
}

impl<T> Inner<T> {
    /// Adds a row not present, evicting the oldest when full.
    fn insert(&mut self, arn: &str, row: T, capacity: usize) {
        if self.rows.len() >= capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.rows.remove(&oldest);
            }
        }
        self.rows.insert(arn.to_owned(), row);
        self.order.push_back(arn.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::RowCache;

    #[test]
    fn keeps_the_newest_rows_up_to_its_capacity() {
        let cache = RowCache::new(2);
        cache.put("a", 1);
        cache.put("b", 2);
        cache.put("a", 3); // a replacement keeps a's place
        cache.put("c", 4); // evicts a, the oldest insertion
        assert_eq!(cache.get("a"), None);
        assert_eq!((cache.get("b"), cache.get("c")), (Some(2), Some(4)));
        cache.remove("b");
        assert_eq!(cache.get("b"), None);
        cache.put("d", 5);
        assert_eq!((cache.get("c"), cache.get("d")), (Some(4), Some(5)));
        cache.clear();
        assert_eq!(cache.get("d"), None);
    }

    #[test]
    fn a_read_older_than_a_write_does_not_fill() {
        let cache = RowCache::new(4);
        let seen = cache.generation();
        cache.put("a", 2); // a write commits while the read was in flight
        cache.fill("a", 1, seen);
        assert_eq!(cache.get("a"), Some(2));
        cache.remove("a");
        cache.fill("a", 1, seen); // a read from before the delete
        assert_eq!(cache.get("a"), None);
        let seen = cache.generation();
        cache.fill("a", 3, seen);
        assert_eq!(cache.get("a"), Some(3));
    }
}
