//! Application-generated IDs: random, URL-safe, portable across databases.

/// `prefix` + 12 characters of lowercase base32 (60 bits of randomness).
pub fn new_id(prefix: &str) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 12];
    // getrandom only fails when the OS has no entropy source at all.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (nanos >> (i * 5)) as u8;
        }
    }
    let mut id = String::with_capacity(prefix.len() + bytes.len());
    id.push_str(prefix);
    id.extend(bytes.iter().map(|b| ALPHABET[(*b & 31) as usize] as char));
    id
}

/// `prefix` + 9 characters of the time in milliseconds + 7 random ones, in
/// a base32 alphabet in ASCII order: IDs made later sort after, so rows
/// written in bulk (alerts: thousands a second) are appended to their
/// indexes instead of scattered over them. 35 random bits per millisecond
/// keep several nodes apart.
pub fn new_time_ordered_id(prefix: &str) -> String {
    const SORTED: &[u8; 32] = b"23456789abcdefghijkmnpqrstuvwxyz";
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let random = new_id("");
    let mut id = String::with_capacity(prefix.len() + 16);
    id.push_str(prefix);
    for i in (0..9).rev() {
        id.push(SORTED[((millis >> (i * 5)) & 31) as usize] as char);
    }
    id.push_str(&random[..7]);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ordered_ids_sort_by_time_and_differ() {
        let a = new_time_ordered_id("alert-");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_time_ordered_id("alert-");
        assert!(a < b, "{a} {b}");
        assert_eq!(a.len(), "alert-".len() + 16);
        assert_ne!(new_time_ordered_id("x"), new_time_ordered_id("x"));
    }
}
