//! Identifiers: UUIDv7 stored as text, so they sort by creation time on both backends.

/// A new time-ordered identifier, as stored in every `id` column.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Whether `value` looks like an id this crate would have produced (cheap guard before a query).
pub fn is_valid_id(value: &str) -> bool {
    uuid::Uuid::parse_str(value).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_parseable_and_time_ordered() {
        let first = new_id();
        let second = new_id();
        assert!(is_valid_id(&first));
        assert_ne!(first, second);
        assert!(first < second);
        assert!(!is_valid_id("not-an-id"));
    }
}
