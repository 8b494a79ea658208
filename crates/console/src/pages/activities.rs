//! Activities: each with the tasks waiting for a worker and the workers polling it.
use std::fmt::Write;

use axum::extract::State;
use stepwise_engine::Engine;

use crate::html::{self, esc, Nav};
use crate::{html_response, Page};

/// `GET /console/activities`.
pub async fn list(State(engine): State<Engine>) -> Page {
    let mut activities = engine.list_activities()?;
    activities.sort_by(|a, b| a.name.cmp(&b.name));
    let body = if activities.is_empty() {
        "<p class=\"empty\">No activities yet.</p>".to_owned()
    } else {
        let mut rows = String::new();
        for a in &activities {
            let queue = engine.activity_queue(&a.arn);
            let workers: Vec<String> =
                queue.pollers.iter().map(|w| esc(w.as_deref().unwrap_or("(unnamed)"))).collect();
            let _ = write!(
                rows,
                r#"<tr data-activity="{n}"><td>{n}</td><td><code>{arn}</code></td><td>{d}</td><td class="num waiting">{t}</td><td class="num">{p}</td><td>{w}</td></tr>"#,
                n = esc(&a.name),
                arn = esc(&a.arn),
                d = html::date(a.creation_ms),
                t = queue.waiting_tasks,
                p = queue.pollers.len(),
                w = workers.join(", "),
            );
        }
        format!(
            r#"<div class="scroll"><table class="list" id="activities"><thead><tr><th>Name</th><th>ARN</th><th>Created (UTC)</th><th class="num">Waiting tasks</th><th class="num">Polling</th><th>Workers</th></tr></thead><tbody>{rows}</tbody></table></div><p class="muted">Counts are as of this page's load.</p>"#
        )
    };
    Ok(html_response(html::page("Activities", Nav::Activities, &body)))
}
