//! Content negotiation on `Accept` with q-values (RFC 9110 §12.5.1), for the few endpoints
//! that answer a browser and a script differently.

/// The weight `accept` gives `media` (`type/subtype`): that of the most specific matching range
/// (`type/subtype` over `type/*` over `*/*`), 0 when none matches.
fn quality(accept: &str, media: &str) -> f32 {
    let (kind, _) = media.split_once('/').unwrap_or((media, ""));
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let specificity = if name == media {
            3
        } else if name == format!("{kind}/*") {
            2
        } else if name == "*/*" {
            1
        } else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

/// Whether the caller would rather have JSON than an HTML page (a redirect): only when it
/// weighs `application/json` strictly above `text/html`. No `Accept` means a browser.
pub fn prefers_json(accept: Option<&str>) -> bool {
    accept.is_some_and(|accept| quality(accept, "application/json") > quality(accept, "text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_only_when_weighted_above_html() {
        assert!(prefers_json(Some("application/json")));
        assert!(prefers_json(Some("text/html;q=0.5, application/json")));
        assert!(!prefers_json(None));
        assert!(!prefers_json(Some("*/*")));
        assert!(!prefers_json(Some("text/html, application/json;q=0.9")));
        assert!(!prefers_json(Some(
            "text/html,application/xhtml+xml,application/xml;q=0.9,application/json;q=0.8,*/*;q=0.7"
        )));
        assert!(!prefers_json(Some("application/json;q=0, */*")));
    }
}
