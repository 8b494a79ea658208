//! The history: one expandable row per event, filtered by type in the page. An event's
//! details are not in the page: the script fetches them all (`details_json`) the first time
//! a row is opened. A 5,000-event page with every event's details inline weighed 2.3 MB and
//! took over a second to parse.
use std::collections::BTreeSet;
use std::fmt::Write;

use serde_json::Value;
use stepwise_engine::history::{EventKind, HistoryEvent};

use crate::html::{self, esc};

/// Writes the history section.
pub fn render(events: &[HistoryEvent], start_ms: i64, out: &mut String) {
    let types: BTreeSet<&str> = events.iter().map(|e| e.kind.type_name()).collect();
    let mut options = String::from("<option value=\"\">All types</option>");
    for t in &types {
        let _ = write!(options, "<option>{t}</option>");
    }
    let _ = write!(
        out,
        r#"<section aria-labelledby="history-h"><h2 id="history-h">History <span class="muted">({n} events)</span></h2>
<p class="history-tools"><label>Type <select id="event-filter">{options}</select></label> <button type="button" id="expand-all">Expand all</button> <button type="button" id="collapse-all">Collapse all</button></p>
<ol class="history" id="history">"#,
        n = events.len(),
    );
    for e in events {
        let kind = e.kind.type_name();
        let state = match &e.kind {
            EventKind::StateEntered { name, .. } | EventKind::StateExited { name, .. } => {
                format!(" · {}", esc(name))
            }
            _ => String::new(),
        };
        let bad =
            kind.ends_with("Failed") || kind.ends_with("TimedOut") || kind.ends_with("Aborted");
        // Kept short: a long execution has thousands of rows. The time is the time since
        // the start; the event's own date is in its details.
        let _ = write!(
            out,
            r#"<li data-type="{kind}"><button class="ev" aria-expanded="false">{id} <b{c}>{kind}</b>{state} · +{elapsed}</button></li>"#,
            id = e.id,
            c = if bad { " class=\"bad\"" } else { "" },
            elapsed = html::duration(e.timestamp_ms - start_ms),
        );
    }
    out.push_str("</ol></section>");
}

/// Every event's details, in order, as a JSON list of texts.
pub fn details_json(events: &[HistoryEvent]) -> String {
    let all: Vec<String> = events.iter().map(details).collect();
    serde_json::to_string(&all).unwrap_or_default()
}

/// The event's details as AWS's API shows them (`…EventDetails`), indented.
fn details(e: &HistoryEvent) -> String {
    let shape = stepwise_api::wire::event(e, true);
    let detail = shape
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.ends_with("EventDetails")).map(|(_, v)| v.clone()));
    let mut text = format!(
        "timestamp: {}\npreviousEventId: {}",
        html::date(e.timestamp_ms),
        e.previous_event_id
    );
    if let Some(Value::Object(mut d)) = detail {
        // Inputs and outputs are JSON text: shown as JSON.
        for key in ["input", "output", "parameters"] {
            if let Some(Value::String(s)) = d.get(key) {
                if let Ok(v) = serde_json::from_str::<Value>(s) {
                    d.insert(key.to_owned(), v);
                }
            }
        }
        d.remove("inputDetails");
        d.remove("outputDetails");
        text.push('\n');
        text.push_str(&serde_json::to_string_pretty(&Value::Object(d)).unwrap_or_default());
    }
    text
}
