//! OpenAI's `x-ratelimit-*` headers, on every `/v1` answer a limit applies to.

use actix_web::HttpResponseBuilder;
use studio_limits::RateInfo;

/// `6m0s`, `1s`: how OpenAI writes the time until a limit resets.
fn duration(secs: u64) -> String {
    if secs >= 60 {
        format!("{}m{}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

pub fn insert(builder: &mut HttpResponseBuilder, rate: &RateInfo) {
    for (kind, slot) in [("requests", rate.requests), ("tokens", rate.tokens)] {
        if let Some((limit, remaining, reset)) = slot {
            builder.insert_header((format!("x-ratelimit-limit-{kind}"), limit.to_string()));
            builder.insert_header((
                format!("x-ratelimit-remaining-{kind}"),
                remaining.to_string(),
            ));
            builder.insert_header((format!("x-ratelimit-reset-{kind}"), duration(reset)));
        }
    }
}
