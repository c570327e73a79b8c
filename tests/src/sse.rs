//! A server-sent events reader that follows the WHATWG spec, to check what a real client sees.

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `data:` lines joined with `\n`.
    pub data: String,
    pub event: Option<String>,
    pub id: Option<String>,
}

/// Every event of a complete body, in order; comments and data-less events are skipped.
pub fn parse(body: &str) -> Vec<SseEvent> {
    let mut events = Vec::new();
    let mut current = SseEvent::default();
    let mut data: Vec<&str> = Vec::new();
    for line in body.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)) {
        if line.is_empty() {
            if !data.is_empty() {
                current.data = data.join("\n");
                events.push(std::mem::take(&mut current));
            }
            current = SseEvent::default();
            data.clear();
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => data.push(value),
            "event" => current.event = Some(value.to_owned()),
            "id" => current.id = Some(value.to_owned()),
            _ => {}
        }
    }
    events
}
