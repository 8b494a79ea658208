//! State machines: the list, a machine's page (graph, definition, versions and aliases,
//! the start form), and the start itself.
use std::collections::HashMap;
use std::fmt::Write;

use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use serde_json::Value;
use stepwise_engine::model::{ExecutionStatus, MachineType};
use stepwise_engine::Engine;

use super::ArnParam;
use crate::html::{self, esc, query, Nav};
use crate::{graph, html_response, Failure, Page};

/// The statuses in the order the console shows them.
pub const STATUSES: [ExecutionStatus; 5] = [
    ExecutionStatus::Running,
    ExecutionStatus::Succeeded,
    ExecutionStatus::Failed,
    ExecutionStatus::TimedOut,
    ExecutionStatus::Aborted,
];

/// `GET /console/`: every state machine with its executions counted by status.
pub async fn list(State(engine): State<Engine>) -> Page {
    let mut machines = engine.list_state_machines()?;
    machines.sort_by(|a, b| a.name.cmp(&b.name));
    let mut rows = String::new();
    for m in &machines {
        let counts = match m.machine_type {
            MachineType::Standard => counts(&engine, &m.arn)?,
            MachineType::Express => HashMap::new(),
        };
        let mut cells = String::new();
        for status in STATUSES {
            let n = counts.get(&status).copied().unwrap_or(0);
            let _ = write!(
                cells,
                r#"<td class="num">{}</td>"#,
                if n == 0 {
                    "<span class=\"muted\">0</span>".to_owned()
                } else {
                    format!(
                        r#"<a href="/console/executions?machine={}&amp;status={s}">{n}</a>"#,
                        query(&m.arn),
                        s = status.as_str()
                    )
                }
            );
        }
        let _ = write!(
            rows,
            r#"<tr><td><a href="/console/machine?arn={q}">{name}</a></td><td>{t}</td><td>{d}</td>{cells}</tr>"#,
            q = query(&m.arn),
            name = esc(&m.name),
            t = m.machine_type.as_str(),
            d = html::date(m.creation_ms),
        );
    }
    let headers: String = STATUSES
        .iter()
        .map(|s| format!("<th class=\"num\">{}</th>", crate::html::status_badge(s.as_str())))
        .collect();
    let body = if machines.is_empty() {
        "<p class=\"empty\">No state machines yet. Create one with <code>aws stepfunctions create-state-machine</code> or an SDK.</p>".to_owned()
    } else {
        format!(
            r#"<div class="scroll"><table class="list"><thead><tr><th>Name</th><th>Type</th><th>Created (UTC)</th>{headers}</tr></thead><tbody>{rows}</tbody></table></div>"#
        )
    };
    Ok(html_response(html::page("State machines", Nav::Machines, &body)))
}

/// A machine's executions counted by status.
fn counts(engine: &Engine, arn: &str) -> Result<HashMap<ExecutionStatus, usize>, Failure> {
    let (all, _) = engine.list_executions_page(arn, None, 0, usize::MAX)?;
    let mut counts = HashMap::new();
    for e in all {
        *counts.entry(e.status).or_insert(0) += 1;
    }
    Ok(counts)
}

/// `GET /console/machine?arn=…`.
pub async fn show(State(engine): State<Engine>, Query(ArnParam { arn }): Query<ArnParam>) -> Page {
    let m = engine.describe_state_machine(&arn)?;
    let definition: Value = serde_json::from_str(&m.definition).unwrap_or(Value::Null);
    let mut body = String::new();
    let _ = write!(
        body,
        r#"<dl class="facts"><dt>ARN</dt><dd><code>{a}</code></dd><dt>Type</dt><dd>{t}</dd><dt>Created</dt><dd>{c}</dd><dt>Role</dt><dd><code>{r}</code></dd></dl>
<p><a class="button" href="/console/executions?machine={q}">Executions</a></p>"#,
        a = esc(&m.arn),
        t = m.machine_type.as_str(),
        c = html::date(m.creation_ms),
        r = esc(&m.role_arn),
        q = query(&m.arn),
    );
    if m.machine_type == MachineType::Standard {
        let _ = write!(
            body,
            r#"<section aria-labelledby="start-h"><h2 id="start-h">Start an execution</h2>
<form class="start" method="post" action="/console/start" data-json-check>
<input type="hidden" name="arn" value="{a}">
<label>Name (optional) <input name="name" maxlength="80" autocomplete="off"></label>
<label>Input (JSON) <textarea name="input" rows="6" spellcheck="false" data-json>{{}}</textarea></label>
<p class="json-error" role="alert" hidden></p>
<button type="submit">Start execution</button></form></section>"#,
            a = esc(&m.arn),
        );
    }
    let _ = write!(
        body,
        r#"<section aria-labelledby="graph-h"><h2 id="graph-h">Graph</h2><div class="graph-box">{g}</div>{legend}</section>
<section aria-labelledby="def-h"><h2 id="def-h">Definition</h2>
<details class="definition" open><summary>JSON</summary>{d}</details>
<details class="definition"><summary>YAML</summary>{y}</details></section>"#,
        g = graph::svg(&definition, None),
        legend = LEGEND_EDGES,
        d = html::highlight(&definition),
        y = crate::yaml::highlight(&definition),
    );
    versions_and_aliases(&engine, &m.arn, &mut body)?;
    Ok(html_response(html::page(&m.name, Nav::Machines, &body)))
}

/// The edge kinds, explained under every graph.
pub const LEGEND_EDGES: &str = r#"<p class="legend"><span class="l-next">— Next</span> <span class="l-choice">— Choice rule</span> <span class="l-default">- - Default</span> <span class="l-catch">- - Catch</span> <span>↻ has Retry</span> <span>⚑ has Catch</span></p>"#;

fn versions_and_aliases(engine: &Engine, arn: &str, body: &mut String) -> Result<(), Failure> {
    let versions = engine.list_versions(arn)?;
    let aliases = engine.list_aliases(arn)?;
    if versions.is_empty() && aliases.is_empty() {
        return Ok(());
    }
    body.push_str(r#"<section aria-labelledby="ver-h"><h2 id="ver-h">Versions and aliases</h2>"#);
    if !versions.is_empty() {
        body.push_str("<table class=\"list\"><thead><tr><th>Version</th><th>Created</th><th>Description</th></tr></thead><tbody>");
        for v in &versions {
            let _ = write!(
                body,
                r#"<tr><td><a href="/console/executions?machine={q}">{n}</a></td><td>{c}</td><td>{d}</td></tr>"#,
                q = query(&v.arn),
                n = v.number,
                c = html::date(v.creation_ms),
                d = esc(v.description.as_deref().unwrap_or("")),
            );
        }
        body.push_str("</tbody></table>");
    }
    if !aliases.is_empty() {
        body.push_str("<table class=\"list\"><thead><tr><th>Alias</th><th>Routes</th><th>Description</th></tr></thead><tbody>");
        for a in &aliases {
            let routes: Vec<String> = a
                .routes
                .iter()
                .map(|r| format!("version {} ({}%)", html::short(&r.version_arn), r.weight))
                .collect();
            let _ = write!(
                body,
                r#"<tr><td><a href="/console/executions?machine={q}">{n}</a></td><td>{r}</td><td>{d}</td></tr>"#,
                q = query(&a.arn),
                n = esc(&a.name),
                r = esc(&routes.join(", ")),
                d = esc(a.description.as_deref().unwrap_or("")),
            );
        }
        body.push_str("</tbody></table>");
    }
    body.push_str("</section>");
    Ok(())
}

/// The start form.
#[derive(Debug, Deserialize)]
pub struct StartForm {
    arn: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    input: String,
}

/// `POST /console/start`: starts an execution and shows it.
pub async fn start(State(engine): State<Engine>, Form(form): Form<StartForm>) -> Page {
    let name = Some(form.name.trim().to_owned()).filter(|n| !n.is_empty());
    let input = Some(form.input).filter(|i| !i.trim().is_empty());
    let record = engine.start_execution(&form.arn, name, input).await?;
    Ok(Redirect::to(&format!("/console/execution?arn={}", query(&record.arn))).into_response())
}
