//! The usage tap of a stream: reads each complete event for what accounting needs (usage,
//! the first token, the answer's end) and writes the frame the client gets into the relay's
//! output buffer, the upstream's bytes with only `model` spliced.

use bytes::{Bytes, BytesMut};

use crate::{probe::ChunkProbe, scan, sse, usage::Accounting};

const DONE: &[u8] = b"[DONE]";

pub(crate) struct Tap {
    /// The public model id as a JSON string.
    pub public_model: Bytes,
    pub client_wants_usage: bool,
    pub accounting: Accounting,
    /// A choice ended (`finish_reason`): an upstream that then closes without `[DONE]` has
    /// still answered completely.
    pub saw_finish: bool,
    pub got_first_token: bool,
    /// The stream's last frame is written: nothing more is forwarded.
    pub finished: bool,
    /// The layout the stream's chunks repeat, read once (see [`crate::shape::Shape`]).
    pub shape: crate::shape::Shape,
}

impl Tap {
    /// Ends the stream with an OpenAI-shaped error event: never a silent truncation.
    pub fn fail(&mut self, out: &mut BytesMut, status: u16, code: &str, message: &str) {
        tracing::warn!(reason = message, "upstream stream failed");
        self.finished = true;
        self.accounting.finish(status);
        let body = serde_json::json!({
            "error": { "message": message, "type": "server_error", "param": null, "code": code }
        });
        sse::frame(out, None, &serde_json::to_vec(&body).unwrap_or_default());
    }

    pub fn done(&mut self, out: &mut BytesMut, fields: Option<&[u8]>) {
        self.finished = true;
        self.accounting.finish(200);
        sse::frame(out, fields, DONE);
    }

    /// One complete event (without its blank line) in; its frame, if it has one, appended to
    /// `out`. `one_line`: the event is known to be a single line.
    pub fn event(&mut self, event: &[u8], one_line: bool, out: &mut BytesMut) {
        // A single line's data is a slice of it: no newline in it either.
        let sse::Event { data, fields } = sse::parse(event, one_line);
        let fields = fields.as_deref();
        let Some(data) = data else {
            // `retry:` or `id:` alone still mean something to the client; comments do not.
            if let Some(fields) = fields {
                out.extend_from_slice(fields);
                out.extend_from_slice(b"\n");
            }
            return;
        };
        if *data == *DONE {
            return self.done(out, fields);
        }
        match scan::scan(&data, &mut self.shape) {
            Some(scanned) => self.scanned(&data, fields, &scanned, one_line, out),
            None => self.probed(&data, fields, out),
        }
    }

    /// The common chunk, read by the fast scan.
    fn scanned(
        &mut self,
        data: &[u8],
        fields: Option<&[u8]>,
        scanned: &scan::Scanned<'_>,
        one_line: bool,
        out: &mut BytesMut,
    ) {
        if scanned.error {
            self.finished = true;
            self.accounting.finish(502);
            return sse::frame(out, fields, data);
        }
        if let Some(usage) = scanned.usage {
            self.accounting.reported(usage);
            if scanned.choices == 0 && !self.client_wants_usage {
                return;
            }
        }
        self.saw_finish |= scanned.finished;
        let mut produced = false;
        for text in scanned.texts() {
            self.accounting.completion_text(text);
            produced = true;
        }
        if produced {
            self.accounting.first_byte();
            self.got_first_token = true;
        }
        match scanned.model.clone() {
            Some(range) => {
                sse::frame_spliced(out, fields, data, (range, &self.public_model), one_line)
            }
            None => sse::frame(out, fields, data),
        }
    }

    /// Any other chunk (tool calls, escaped keys, …), read by serde.
    fn probed(&mut self, data: &[u8], fields: Option<&[u8]>, out: &mut BytesMut) {
        let Ok(probe) = serde_json::from_slice::<ChunkProbe<'_>>(data) else {
            return self.fail(
                out,
                502,
                "upstream_error",
                "the model's server sent a malformed event",
            );
        };
        if probe.error.is_some() {
            self.finished = true;
            self.accounting.finish(502);
            return sse::frame(out, fields, data);
        }
        let choices = probe.choices.as_deref().unwrap_or_default();
        if let Some(usage) = probe.usage {
            self.accounting.reported(usage);
            if choices.is_empty() && !self.client_wants_usage {
                return;
            }
        }
        for choice in choices {
            self.saw_finish |= choice.finish_reason.is_some_and(|r| r.get() != "null");
            if let Some(delta) = &choice.delta {
                if self.accounting.delta(delta) {
                    self.got_first_token = true;
                }
            }
        }
        match probe
            .model
            .and_then(|model| crate::splice::range(data, model))
        {
            Some(range) => {
                sse::frame_spliced(out, fields, data, (range, &self.public_model), false)
            }
            None => sse::frame(out, fields, data),
        }
    }
}
