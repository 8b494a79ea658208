//! Executions: one machine's, or all of them, filtered by status, searched by name, paged.
use std::fmt::Write;

use axum::extract::{Query, State};
use serde::Deserialize;
use stepwise_engine::model::{ExecutionRecord, ExecutionStatus, MachineType};
use stepwise_engine::Engine;

use super::machines::STATUSES;
use crate::html::{self, esc, query, Nav};
use crate::{html_response, Page};

/// Rows on a page.
const PAGE: usize = 50;

/// The list's filters.
#[derive(Debug, Deserialize, Default)]
pub struct Filters {
    /// A machine (or version, or alias) ARN; all machines when absent.
    #[serde(default)]
    machine: String,
    /// A status name (`RUNNING`, …).
    #[serde(default)]
    status: String,
    /// A part of the execution's name.
    #[serde(default)]
    q: String,
    /// The page, from 1.
    #[serde(default)]
    page: Option<usize>,
}

/// `GET /console/executions`.
pub async fn list(State(engine): State<Engine>, Query(f): Query<Filters>) -> Page {
    let status = ExecutionStatus::parse(&f.status);
    let page = f.page.unwrap_or(1).max(1);
    let needle = f.q.trim().to_lowercase();
    let mut all = if f.machine.is_empty() {
        let mut all = Vec::new();
        for m in engine.list_state_machines()? {
            if m.machine_type == MachineType::Standard {
                all.extend(engine.list_executions_page(&m.arn, status, 0, usize::MAX)?.0);
            }
        }
        all
    } else {
        engine.list_executions_page(&f.machine, status, 0, usize::MAX)?.0
    };
    if !needle.is_empty() {
        all.retain(|e| e.name.to_lowercase().contains(&needle));
    }
    all.sort_by(|a, b| b.start_ms.cmp(&a.start_ms).then_with(|| b.arn.cmp(&a.arn)));
    let total = all.len();
    let shown: Vec<&ExecutionRecord> = all.iter().skip((page - 1) * PAGE).take(PAGE).collect();
    let title = if f.machine.is_empty() {
        "Executions".to_owned()
    } else {
        format!("Executions of {}", html::short(&f.machine))
    };
    let mut body = filters_form(&f, status);
    if shown.is_empty() {
        body.push_str("<p class=\"empty\">No executions match.</p>");
    } else {
        body.push_str(r#"<div class="scroll"><table class="list" id="executions"><thead><tr><th>Name</th><th>State machine</th><th>Status</th><th>Started (UTC)</th><th>Duration</th></tr></thead><tbody>"#);
        for e in &shown {
            let end = e.stop_ms.unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
            let _ = write!(
                body,
                r#"<tr><td><a href="/console/execution?arn={q}">{n}</a></td><td><a href="/console/machine?arn={mq}">{m}</a></td><td>{s}</td><td>{d}</td><td>{t}</td></tr>"#,
                q = query(&e.arn),
                n = esc(&e.name),
                mq = query(&e.state_machine_arn),
                m = esc(html::short(&e.state_machine_arn)),
                s = html::status_badge(e.status.as_str()),
                d = html::date(e.start_ms),
                t = html::duration(end - e.start_ms),
            );
        }
        body.push_str("</tbody></table></div>");
    }
    body.push_str(&pager(&f, page, total));
    Ok(html_response(html::page(&title, Nav::Executions, &body)))
}

fn filters_form(f: &Filters, status: Option<ExecutionStatus>) -> String {
    let mut options = String::from("<option value=\"\">Any status</option>");
    for s in STATUSES {
        let selected = if Some(s) == status { " selected" } else { "" };
        let _ = write!(options, "<option{selected}>{}</option>", s.as_str());
    }
    format!(
        r#"<form class="filters" method="get" action="/console/executions" role="search">
<input type="hidden" name="machine" value="{m}">
<label>Status <select name="status">{options}</select></label>
<label>Name <input type="search" name="q" value="{q}" placeholder="part of a name"></label>
<button type="submit">Filter</button></form>"#,
        m = esc(&f.machine),
        q = esc(&f.q),
    )
}

fn pager(f: &Filters, page: usize, total: usize) -> String {
    let pages = total.div_ceil(PAGE).max(1);
    let link = |p: usize, text: &str, rel: &str| {
        format!(
            r#"<a rel="{rel}" href="/console/executions?machine={m}&amp;status={s}&amp;q={q}&amp;page={p}">{text}</a>"#,
            m = query(&f.machine),
            s = query(&f.status),
            q = query(&f.q),
        )
    };
    let prev = if page > 1 { link(page - 1, "← Newer", "prev") } else { String::new() };
    let next = if page < pages { link(page + 1, "Older →", "next") } else { String::new() };
    format!(
        r#"<nav class="pager" aria-label="Pages">{prev}<span>Page {page} of {pages} · {total} executions</span>{next}</nav>"#
    )
}
