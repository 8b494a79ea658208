//! An execution's page: its graph coloured by each state's outcome, its states (each
//! visit's input and output), its history, its error, and the stop and redrive buttons.
//! While it runs, the page's script asks `progress` every second and, when the history has
//! grown, reloads the live part of the page in place.
use std::collections::HashMap;
use std::fmt::Write;

use axum::extract::{Form, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use serde_json::{json, Value};
use stepwise_engine::model::{ExecutionRecord, ExecutionStatus, RedriveStatus};
use stepwise_engine::Engine;

use super::machines::LEGEND_EDGES;
use super::ArnParam;
use crate::html::{self, esc, query, Nav};
use crate::outcome::{self, Outcome, Visit};
use crate::{graph, html_response, Page};

mod history;

/// `GET /console/execution?arn=…`.
pub async fn show(State(engine): State<Engine>, Query(ArnParam { arn }): Query<ArnParam>) -> Page {
    let e = engine.describe_execution(&arn)?;
    let events = engine.history(&arn)?;
    let now = chrono::Utc::now().timestamp_millis();
    let visits = outcome::visits(&events, e.status);
    let by_state = outcome::by_state(&visits);
    let definition: Value = serde_json::from_str(&e.definition).unwrap_or(Value::Null);

    let mut live = String::new();
    let _ = write!(
        live,
        r#"<div id="live" data-arn="{a}" data-status="{s}" data-events="{n}" aria-live="polite">"#,
        a = esc(&e.arn),
        s = e.status.as_str(),
        n = events.len(),
    );
    summary(&e, now, &mut live);
    if let Some(error) = execution_error(&e) {
        live.push_str(&error);
    }
    let selected = default_visit(&visits);
    let _ = write!(
        live,
        r#"<div class="split"><section aria-labelledby="graph-h" class="pane"><h2 id="graph-h">Graph</h2><div class="graph-box">{g}</div>{legend}{states_legend}</section>
<section aria-labelledby="io-h" class="pane" id="state-panel"><h2 id="io-h">State <span id="io-name">{name}</span></h2>{panel}</section></div>"#,
        g = graph::svg(&definition, Some(&by_state)),
        legend = LEGEND_EDGES,
        states_legend = STATES_LEGEND,
        name = selected.map_or(String::new(), |i| esc(&visits[i].name)),
        panel = panel(selected.map(|i| &visits[i])),
    );
    states_table(&visits, now, selected, &mut live);
    let _ = write!(
        live,
        r#"<section aria-labelledby="eio-h"><h2 id="eio-h">Execution input and output</h2><div class="io"><div><h3>Input</h3>{i}</div><div><h3>Output</h3>{o}</div></div></section>"#,
        i = html::json_block(&e.input),
        o = e
            .output
            .as_deref()
            .map_or("<p class=\"muted\">None yet</p>".to_owned(), html::json_block),
    );
    history::render(&events, e.start_ms, &mut live);
    live.push_str(&visits_json(&visits, now));
    live.push_str("</div>");
    let title = format!("Execution {}", e.name);
    Ok(html_response(html::page(&title, Nav::Executions, &live)))
}

/// The outcomes, explained under the execution's graph.
const STATES_LEGEND: &str = r#"<p class="legend states"><span class="key st-succeeded">Succeeded</span> <span class="key st-failed">Failed</span> <span class="key st-caught">Caught</span> <span class="key st-running">Running</span> <span class="key st-not-reached">Not reached</span></p>"#;

fn summary(e: &ExecutionRecord, now: i64, out: &mut String) {
    let end = e.stop_ms.unwrap_or(now);
    let _ = write!(
        out,
        r#"<div class="summary"><p class="status-line">{badge} <span>{dur}</span></p><dl class="facts"><dt>State machine</dt><dd><a href="/console/machine?arn={mq}">{m}</a></dd><dt>ARN</dt><dd><code>{a}</code></dd><dt>Started</dt><dd>{start}</dd><dt>Ended</dt><dd>{stop}</dd>"#,
        badge = html::status_badge(e.status.as_str()),
        dur = html::duration(end - e.start_ms),
        mq = query(&e.state_machine_arn),
        m = esc(html::short(&e.state_machine_arn)),
        a = esc(&e.arn),
        start = html::date(e.start_ms),
        stop = e.stop_ms.map_or("—".to_owned(), html::date),
    );
    if let Some(v) = &e.state_machine_version_arn {
        let _ = write!(out, "<dt>Version</dt><dd><code>{}</code></dd>", esc(v));
    }
    if let Some(a) = &e.state_machine_alias_arn {
        let _ = write!(out, "<dt>Alias</dt><dd><code>{}</code></dd>", esc(a));
    }
    if e.redrive.count > 0 {
        let _ = write!(out, "<dt>Redrives</dt><dd>{}</dd>", e.redrive.count);
    }
    out.push_str("</dl><div class=\"actions\">");
    if e.status == ExecutionStatus::Running {
        let _ = write!(
            out,
            r#"<form method="post" action="/console/stop" data-confirm="Stop this execution?"><input type="hidden" name="arn" value="{a}"><button type="submit" class="danger">Stop execution</button></form>"#,
            a = esc(&e.arn)
        );
    }
    if let RedriveStatus::Redrivable = e.redrive_status(now) {
        let _ = write!(
            out,
            r#"<form method="post" action="/console/redrive"><input type="hidden" name="arn" value="{a}"><button type="submit">Redrive</button></form>"#,
            a = esc(&e.arn)
        );
    }
    out.push_str("</div></div>");
}

/// The error and cause that ended the execution, first thing on the page.
fn execution_error(e: &ExecutionRecord) -> Option<String> {
    if e.error.is_none() && e.cause.is_none() {
        return None;
    }
    Some(format!(
        r#"<div class="error-box" role="alert"><p><strong>Error</strong> <code id="exec-error">{}</code></p><p><strong>Cause</strong></p>{}</div>"#,
        esc(e.error.as_deref().unwrap_or("")),
        cause_block(e.cause.as_deref().unwrap_or("")),
    ))
}

fn cause_block(cause: &str) -> String {
    if cause.trim_start().starts_with('{') {
        html::json_block(cause)
    } else {
        format!("<pre class=\"cause\">{}</pre>", esc(cause))
    }
}

/// The visit shown first: the first that failed, else the latest.
fn default_visit(visits: &[Visit]) -> Option<usize> {
    visits.iter().position(|v| v.outcome == Outcome::Failed).or_else(|| visits.len().checked_sub(1))
}

/// A visit's input and output side by side, and its error.
fn panel(visit: Option<&Visit>) -> String {
    let Some(v) = visit else {
        return "<p class=\"muted\">No state entered yet.</p>".to_owned();
    };
    let mut out = format!(
        r#"<p id="io-status">{kind} · {badge}</p>"#,
        kind = esc(v.kind),
        badge = html::status_badge(v.outcome.as_str()),
    );
    if let Some(error) = &v.error {
        let _ = write!(
            out,
            r#"<div class="error-box small" id="io-error"><p><strong>Error</strong> <code>{}</code></p>{}</div>"#,
            esc(error.error.as_deref().unwrap_or("")),
            cause_block(error.cause.as_deref().unwrap_or("")),
        );
    }
    let _ = write!(
        out,
        r#"<div class="io"><div><h3>Input</h3><pre class="json" id="io-input">{i}</pre></div><div><h3>Output</h3><pre class="json" id="io-output">{o}</pre></div></div>"#,
        i = esc(&pretty(&v.input)),
        o = esc(&v.output.as_deref().map_or(String::new(), pretty)),
    );
    out
}

/// JSON text indented (the script indents the same way: two spaces).
fn pretty(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

fn states_table(visits: &[Visit], now: i64, selected: Option<usize>, out: &mut String) {
    out.push_str(
        r#"<section aria-labelledby="states-h" class="long"><h2 id="states-h">States</h2>"#,
    );
    if visits.is_empty() {
        out.push_str("<p class=\"muted\">No state entered yet.</p></section>");
        return;
    }
    out.push_str(r#"<div class="scroll"><table class="list states" id="states"><thead><tr><th>State</th><th>Type</th><th>Status</th><th>Started (UTC)</th><th>Duration</th></tr></thead><tbody>"#);
    // Visits in Map iterations come one row per state: its visits counted, its worst
    // outcome, from the first start to the last end; choosing it shows its latest visit.
    let mut in_maps: HashMap<&str, (usize, usize, Outcome, i64)> = HashMap::new();
    for (i, v) in visits.iter().enumerate().filter(|(_, v)| v.in_map) {
        let end = v.end_ms.unwrap_or(now);
        let entry = in_maps.entry(v.name.as_str()).or_insert((i, 0, v.outcome, end));
        entry.1 += 1;
        entry.2 = entry.2.max(v.outcome);
        entry.3 = entry.3.max(end);
    }
    for (i, v) in visits.iter().enumerate() {
        let (name, latest, outcome, end) = if v.in_map {
            let Some(&(first, count, worst, last_end)) = in_maps.get(v.name.as_str()) else {
                continue;
            };
            if first != i {
                continue;
            }
            let latest = visits.iter().rposition(|w| w.in_map && w.name == v.name).unwrap_or(i);
            (format!("{} ×{count}", v.name), latest, worst, last_end)
        } else {
            (v.name.clone(), i, v.outcome, v.end_ms.unwrap_or(now))
        };
        let _ = write!(
            out,
            r#"<tr data-visit="{latest}" data-state="{n}" tabindex="0"{sel}><td>{label}</td><td>{k}</td><td class="badge s-{s}">{S}</td><td>{d}</td><td>{t}</td></tr>"#,
            n = esc(&v.name),
            label = esc(&name),
            k = esc(v.kind),
            s = outcome.as_str(),
            S = outcome.as_str().to_ascii_uppercase(),
            d = html::date(v.start_ms),
            t = html::duration(end - v.start_ms),
            sel = if Some(latest) == selected { " aria-selected=\"true\"" } else { "" },
        );
    }
    out.push_str("</tbody></table></div></section>");
}

/// The visits as data for the script (the panel of a state clicked in the graph or table).
fn visits_json(visits: &[Visit], now: i64) -> String {
    let data: Vec<Value> = visits
        .iter()
        .map(|v| {
            json!({
                "name": v.name,
                "kind": v.kind,
                "status": v.outcome.as_str(),
                "input": v.input,
                "output": v.output,
                "error": v.error.as_ref().and_then(|e| e.error.clone()),
                "cause": v.error.as_ref().and_then(|e| e.cause.clone()),
                "ms": v.end_ms.unwrap_or(now) - v.start_ms,
            })
        })
        .collect();
    let text = serde_json::to_string(&data).unwrap_or_default().replace("</", "<\\/");
    format!(r#"<script type="application/json" id="visits">{text}</script>"#)
}

/// `GET /console/execution/progress?arn=…`: the status and the history's length, which the
/// page compares with its own to know when to refresh.
pub async fn progress(
    State(engine): State<Engine>,
    Query(ArnParam { arn }): Query<ArnParam>,
) -> Page {
    let e = engine.describe_execution(&arn)?;
    let events = engine.history(&arn)?.len();
    let body = json!({ "status": e.status.as_str(), "events": events }).to_string();
    Ok(([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body)
        .into_response())
}

/// `GET /console/execution/events?arn=…`: the details of every event, for the history's rows
/// as they are opened.
pub async fn events(
    State(engine): State<Engine>,
    Query(ArnParam { arn }): Query<ArnParam>,
) -> Page {
    let events = engine.history(&arn)?;
    let body = history::details_json(&events);
    Ok(([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body)
        .into_response())
}

/// `POST /console/stop`.
pub async fn stop(State(engine): State<Engine>, Form(ArnParam { arn }): Form<ArnParam>) -> Page {
    engine.stop_execution(&arn, None, Some("Stopped from the console".into())).await?;
    Ok(Redirect::to(&format!("/console/execution?arn={}", query(&arn))).into_response())
}

/// `POST /console/redrive`.
pub async fn redrive(State(engine): State<Engine>, Form(ArnParam { arn }): Form<ArnParam>) -> Page {
    engine.redrive_execution(&arn, None).await?;
    Ok(Redirect::to(&format!("/console/execution?arn={}", query(&arn))).into_response())
}
