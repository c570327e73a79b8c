//! A session's default title: its first user message, cut at a word boundary.

const MAX_CHARS: usize = 60;

pub(crate) fn from_message(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= MAX_CHARS {
        return text;
    }
    let cut: String = text.chars().take(MAX_CHARS).collect();
    // Back to the last space, unless that leaves almost nothing (one very long word).
    match cut.rfind(' ') {
        Some(space) if space >= MAX_CHARS / 3 => cut[..space].to_owned(),
        _ => cut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_at_a_word_boundary() {
        assert_eq!(from_message("  hello\n world "), "hello world");
        let long = "word ".repeat(30);
        let title = from_message(&long);
        assert!(
            title.len() <= MAX_CHARS && title.ends_with("word"),
            "{title}"
        );
        assert_eq!(from_message(&"x".repeat(100)).len(), MAX_CHARS);
    }
}
