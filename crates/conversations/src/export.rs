//! A session written out as JSON or Markdown (its current branch).

use crate::{ConversationError, SessionDetail};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Markdown,
}

impl std::str::FromStr for ExportFormat {
    type Err = ConversationError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "json" => Ok(ExportFormat::Json),
            "markdown" | "md" => Ok(ExportFormat::Markdown),
            _ => Err(ConversationError::invalid(
                "format",
                "format must be json or markdown",
            )),
        }
    }
}

pub struct Export {
    pub content_type: &'static str,
    pub file_name: String,
    pub body: Vec<u8>,
}

pub(crate) fn render(detail: &SessionDetail, format: ExportFormat) -> Export {
    let stem: String = detail
        .session
        .title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    let stem = if stem.trim_matches('-').is_empty() {
        "chat".to_owned()
    } else {
        stem
    };
    match format {
        ExportFormat::Json => Export {
            content_type: "application/json",
            file_name: format!("{stem}.json"),
            body: serde_json::to_vec_pretty(detail).unwrap_or_default(),
        },
        ExportFormat::Markdown => {
            let mut out = format!("# {}\n\n", detail.session.title);
            out.push_str(&format!("Model: {}\n\n", detail.session.model));
            if let Some(system) = &detail.session.system_prompt {
                out.push_str(&format!("## System\n\n{system}\n\n"));
            }
            for message in &detail.messages {
                let heading = match message.role.as_str() {
                    "user" => "User",
                    "assistant" => "Assistant",
                    other => other,
                };
                out.push_str(&format!("## {heading}\n\n{}\n\n", message.content));
            }
            Export {
                content_type: "text/markdown; charset=utf-8",
                file_name: format!("{stem}.md"),
                body: out.into_bytes(),
            }
        }
    }
}
