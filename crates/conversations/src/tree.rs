//! The message tree: each message points at its parent, a session at its current leaf.

use crate::rows::MessageRow;

/// The branch ending at `leaf`, root first (empty without a leaf).
pub(crate) fn branch<'a>(messages: &'a [MessageRow], leaf: Option<&str>) -> Vec<&'a MessageRow> {
    let mut path = Vec::new();
    let mut at = leaf;
    // Bounded by the number of messages, so a corrupt cycle cannot loop forever.
    while let Some(id) = at {
        if path.len() > messages.len() {
            break;
        }
        let Some(message) = messages.iter().find(|m| m.id == id) else {
            break;
        };
        path.push(message);
        at = message.parent_id.as_deref();
    }
    path.reverse();
    path
}

/// The leaf reached from `id` by always taking the newest child.
pub(crate) fn newest_leaf(messages: &[MessageRow], id: &str) -> String {
    let mut at = id.to_owned();
    for _ in 0..=messages.len() {
        // Messages are loaded oldest first, so the last child is the newest.
        match messages
            .iter()
            .rev()
            .find(|m| m.parent_id.as_deref() == Some(at.as_str()))
        {
            Some(child) => at = child.id.clone(),
            None => break,
        }
    }
    at
}

/// The messages sharing `message`'s parent, itself included, oldest first.
pub(crate) fn siblings<'a>(
    messages: &'a [MessageRow],
    message: &MessageRow,
) -> Vec<&'a MessageRow> {
    messages
        .iter()
        .filter(|m| m.parent_id == message.parent_id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, parent: Option<&str>) -> MessageRow {
        MessageRow {
            id: id.into(),
            session_id: "s".into(),
            parent_id: parent.map(Into::into),
            role: "user".into(),
            content: id.into(),
            model: None,
            status: "complete".into(),
            error: None,
            prompt_tokens: None,
            completion_tokens: None,
            estimated: false,
            owner: None,
            checkpointed_at: None,
            created_at: studio_core::time::now(),
            completed_at: None,
        }
    }

    #[test]
    fn branches_follow_parents_and_new_leaves_follow_the_newest_child() {
        // a → b → c, and a → b2 (an edit of b) → c2
        let tree = vec![
            message("a", None),
            message("b", Some("a")),
            message("c", Some("b")),
            message("b2", Some("a")),
            message("c2", Some("b2")),
        ];
        let ids = |path: Vec<&MessageRow>| path.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(branch(&tree, Some("c"))), ["a", "b", "c"]);
        assert_eq!(ids(branch(&tree, Some("c2"))), ["a", "b2", "c2"]);
        assert!(branch(&tree, None).is_empty());
        assert_eq!(newest_leaf(&tree, "a"), "c2");
        assert_eq!(newest_leaf(&tree, "b"), "c");
        assert_eq!(ids(siblings(&tree, &tree[1])), ["b", "b2"]);
    }
}
