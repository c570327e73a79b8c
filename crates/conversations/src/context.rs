//! What goes upstream: the system prompt and the current branch, trimmed from the oldest
//! message (never the system prompt, never the newest message) to fit the model's context
//! minus the reply's budget, counted with the same estimate as usage.

use serde_json::{json, Map, Value};
use studio_chat::estimate_tokens;
use studio_models::Model;

/// OpenAI's framing per message, as the usage estimate counts it.
const PER_MESSAGE: i64 = 4;

pub(crate) struct Turn {
    pub role: String,
    pub content: String,
}

/// The request body and its prompt estimate. Blocking (it tokenizes): call off the workers.
pub(crate) fn build(
    model: &Model,
    system_prompt: Option<&str>,
    params: &Map<String, Value>,
    turns: &[Turn],
) -> (bytes::Bytes, i64) {
    let budget = params
        .get("max_tokens")
        .or_else(|| params.get("max_completion_tokens"))
        .and_then(Value::as_i64)
        .unwrap_or(i64::from(model.max_output_tokens));
    let limit = i64::from(model.context_length) - budget;
    let cost = |text: &str| estimate_tokens(text) + PER_MESSAGE;
    let system_cost = system_prompt.map_or(0, cost);
    let costs: Vec<i64> = turns.iter().map(|t| cost(&t.content)).collect();
    let mut total: i64 = system_cost + costs.iter().sum::<i64>();
    let mut first = 0;
    // Drop the oldest turns while over the limit; the last one always stays.
    while total > limit && first + 1 < turns.len() {
        total -= costs[first];
        first += 1;
    }
    let mut messages = Vec::with_capacity(turns.len() + 1);
    if let Some(system) = system_prompt {
        messages.push(json!({"role": "system", "content": system}));
    }
    for turn in &turns[first..] {
        messages.push(json!({"role": turn.role, "content": turn.content}));
    }
    let mut body = params.clone();
    body.insert("model".into(), model.id.clone().into());
    body.insert("messages".into(), Value::Array(messages));
    body.insert("stream".into(), true.into());
    // The reply's token counts come from the usage chunk, which the proxy only passes on
    // when asked.
    body.insert("stream_options".into(), json!({"include_usage": true}));
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    (bytes.into(), total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(context: u32) -> Model {
        let text = format!(
            "[[models]]\nid = \"m\"\ntype = \"chat\"\ncontextLength = {context}\nmaxOutputTokens = 10\n\
             [[models.upstreams]]\nbaseUrl = \"http://x\"\n"
        );
        let catalog = studio_models::Catalog::parse(
            "test",
            &text,
            0,
            &studio_models::Defaults {
                inference_url: "http://x",
                inference_api_key: None,
                env: &|_| None,
            },
        );
        let catalog = catalog.unwrap();
        let model = studio_models::ModelCatalog::model(&catalog, "m").unwrap();
        (*model).clone()
    }

    #[test]
    fn the_oldest_turns_go_first_and_the_newest_always_stays() {
        let turns: Vec<Turn> = (0..20)
            .map(|i| Turn {
                role: "user".into(),
                content: format!("message number {i} with some words"),
            })
            .collect();
        let (body, estimate) = build(&model(60), Some("be brief"), &Map::new(), &turns);
        let body: Value = serde_json::from_slice(&body).unwrap();
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages[0]["role"], "system");
        assert_eq!(
            messages.last().unwrap()["content"],
            "message number 19 with some words"
        );
        assert!(
            messages.len() < 21 && estimate <= 50,
            "{} {estimate}",
            messages.len()
        );
        assert_eq!(body["stream"], true);
        let (body, _) = build(&model(10), None, &Map::new(), &turns);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    }
}
