//! A definition drawn as a graph, in SVG, laid out here (no layout library): each graph
//! (the machine's, each Parallel branch, each Map processor) is laid out in layers from its
//! `StartAt`, top to bottom, and a Parallel or Map state is a box holding its graphs, laid
//! out first so that its size is known.
//!
//! Layers: a state's layer is the longest path to it from `StartAt` over the edges that do
//! not close a loop (a depth-first search finds those); states in one layer are ordered by
//! the mean position of their predecessors, which removes most crossings. Edges that go
//! back up (loops) run along the right side. Choice edges carry their rule; `Default` and
//! `Catch` edges are dashed and coloured apart.
use std::collections::HashMap;
use std::fmt::Write;

use serde_json::Value;

use crate::html::esc;
use crate::outcome::Outcome;

const NODE_H: i32 = 36;
const MIN_NODE_W: i32 = 120;
const CHAR_W: i32 = 7;
const GAP_X: i32 = 32;
const GAP_Y: i32 = 56;
const PAD: i32 = 14;
const GROUP_TITLE: i32 = 26;
/// Room on the right for edges that go back up.
const LOOP_LANE: i32 = 22;

/// The graph of `definition` as an `<svg>` element; states are coloured by `outcomes`
/// (absent: not reached) when `outcomes` is given.
pub fn svg(definition: &Value, outcomes: Option<&HashMap<&str, Outcome>>) -> String {
    let block = graph(definition, outcomes, true);
    format!(
        r#"<svg class="graph" role="img" aria-label="The state machine's graph" viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg"><defs>{markers}</defs>{body}</svg>"#,
        w = block.w + 2,
        h = block.h + 2,
        markers = MARKERS,
        body = block.svg,
    )
}

const MARKERS: &str = concat!(
    r#"<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead"/></marker>"#,
    r#"<marker id="arrow-catch" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead catch"/></marker>"#,
    r#"<marker id="arrow-default" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead default"/></marker>"#,
);

/// A laid-out piece of drawing, its origin at its top left.
struct Block {
    w: i32,
    h: i32,
    svg: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EdgeKind {
    Next,
    Choice,
    Default,
    Catch,
}

impl EdgeKind {
    fn class(self) -> &'static str {
        match self {
            EdgeKind::Next => "edge",
            EdgeKind::Choice => "edge e-choice",
            EdgeKind::Default => "edge e-default",
            EdgeKind::Catch => "edge e-catch",
        }
    }

    fn marker(self) -> &'static str {
        match self {
            EdgeKind::Catch => "arrow-catch",
            EdgeKind::Default => "arrow-default",
            _ => "arrow",
        }
    }
}

struct Edge {
    from: usize,
    to: usize,
    kind: EdgeKind,
    label: Option<String>,
}

/// One graph: `StartAt` and `States`. The machine's own graph gets Start and End marks.
fn graph(def: &Value, outcomes: Option<&HashMap<&str, Outcome>>, root: bool) -> Block {
    let empty = serde_json::Map::new();
    let states = def.get("States").and_then(Value::as_object).unwrap_or(&empty);
    let mut names: Vec<&str> = Vec::new();
    let mut blocks: Vec<Block> = Vec::new();
    if root {
        names.push("");
        blocks.push(mark("Start"));
    }
    for (name, state) in states {
        names.push(name);
        blocks.push(node(name, state, outcomes));
    }
    let end = root.then(|| {
        names.push("");
        blocks.push(mark("End"));
        names.len() - 1
    });
    let index: HashMap<&str, usize> =
        names.iter().enumerate().filter(|(_, n)| !n.is_empty()).map(|(i, n)| (*n, i)).collect();
    let mut edges = Vec::new();
    let start_at = def.get("StartAt").and_then(Value::as_str).and_then(|s| index.get(s)).copied();
    if let (true, Some(start)) = (root, start_at) {
        edges.push(Edge { from: 0, to: start, kind: EdgeKind::Next, label: None });
    }
    for (name, state) in states {
        let from = index[name.as_str()];
        let mut add = |target: Option<&str>, kind, label| {
            if let Some(&to) = target.and_then(|t| index.get(t)) {
                edges.push(Edge { from, to, kind, label });
            }
        };
        if let Some(choices) = state.get("Choices").and_then(Value::as_array) {
            for choice in choices {
                let next = choice.get("Next").and_then(Value::as_str);
                add(next, EdgeKind::Choice, Some(rule(choice)));
            }
        }
        add(
            state.get("Default").and_then(Value::as_str),
            EdgeKind::Default,
            Some("Default".into()),
        );
        add(state.get("Next").and_then(Value::as_str), EdgeKind::Next, None);
        if let Some(catchers) = state.get("Catch").and_then(Value::as_array) {
            for catcher in catchers {
                let errors = catcher.get("ErrorEquals").and_then(Value::as_array);
                let label = errors
                    .map(|e| e.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                add(catcher.get("Next").and_then(Value::as_str), EdgeKind::Catch, Some(label));
            }
        }
        let kind = state.get("Type").and_then(Value::as_str).unwrap_or("");
        let ends = state.get("End").and_then(Value::as_bool) == Some(true)
            || matches!(kind, "Succeed" | "Fail");
        if let (true, Some(to)) = (ends, end) {
            edges.push(Edge { from, to, kind: EdgeKind::Next, label: None });
        }
    }
    let first = if root { Some(0) } else { start_at };
    place(&names, blocks, &edges, first)
}

/// Positions the nodes in layers and draws them with their edges.
fn place(names: &[&str], blocks: Vec<Block>, edges: &[Edge], first: Option<usize>) -> Block {
    let n = blocks.len();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        out[e.from].push(i);
    }
    // Depth-first from the start, then from any state left unreached: preorder and the
    // edges that close loops.
    let mut order = Vec::with_capacity(n);
    let mut state = vec![0u8; n]; // 0 unseen, 1 on the stack, 2 done
    let mut back = vec![false; edges.len()];
    let roots = first.into_iter().chain(0..n);
    for root in roots {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        order.push(root);
        while let Some((v, k)) = stack.pop() {
            if let Some(&e) = out[v].get(k) {
                stack.push((v, k + 1));
                let w = edges[e].to;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        order.push(w);
                        stack.push((w, 0));
                    }
                    1 => back[e] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
            }
        }
    }
    // Longest path over forward edges (the forward edges form a DAG: relax in a
    // topological order, found by Kahn's algorithm).
    let mut indegree = vec![0usize; n];
    for (i, e) in edges.iter().enumerate() {
        if !back[i] {
            indegree[e.to] += 1;
        }
    }
    let mut layer = vec![0usize; n];
    let mut ready: Vec<usize> = order.iter().copied().filter(|&v| indegree[v] == 0).collect();
    ready.reverse();
    while let Some(v) = ready.pop() {
        for &e in &out[v] {
            if back[e] {
                continue;
            }
            let w = edges[e].to;
            layer[w] = layer[w].max(layer[v] + 1);
            indegree[w] -= 1;
            if indegree[w] == 0 {
                ready.push(w);
            }
        }
    }
    let layers = layer.iter().max().map_or(0, |m| m + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for &v in &order {
        rows[layer[v]].push(v);
    }
    // Order each row by its predecessors' mean position in the rows above.
    let mut position = vec![0f64; n];
    for row in rows.iter_mut() {
        let keys: Vec<f64> = row
            .iter()
            .enumerate()
            .map(|(slot, &v)| {
                let preds: Vec<f64> = edges
                    .iter()
                    .enumerate()
                    .filter(|(i, e)| e.to == v && !back[*i] && layer[e.from] < layer[v])
                    .map(|(_, e)| position[e.from])
                    .collect();
                if preds.is_empty() {
                    slot as f64
                } else {
                    preds.iter().sum::<f64>() / preds.len() as f64
                }
            })
            .collect();
        let mut keyed: Vec<(f64, usize)> = keys.into_iter().zip(row.iter().copied()).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        *row = keyed.into_iter().map(|(_, v)| v).collect();
        let width: i32 =
            row.iter().map(|&v| blocks[v].w).sum::<i32>() + GAP_X * (row.len() as i32 - 1).max(0);
        let mut x = -width as f64 / 2.0;
        for &v in row.iter() {
            position[v] = x + blocks[v].w as f64 / 2.0;
            x += (blocks[v].w + GAP_X) as f64;
        }
    }
    let row_widths: Vec<i32> = rows
        .iter()
        .map(|r| r.iter().map(|&v| blocks[v].w).sum::<i32>() + GAP_X * (r.len() as i32 - 1).max(0))
        .collect();
    let has_loops = back.iter().any(|b| *b);
    let inner_w = row_widths.iter().copied().max().unwrap_or(0).max(MIN_NODE_W);
    let width = inner_w + 2 * PAD + if has_loops { LOOP_LANE * 2 } else { 0 };
    // Coordinates: x left edge, y top edge.
    let mut xy = vec![(0i32, 0i32); n];
    let mut y = PAD;
    for (r, row) in rows.iter().enumerate() {
        let row_h = row.iter().map(|&v| blocks[v].h).max().unwrap_or(0);
        let mut x = PAD + (inner_w - row_widths[r]) / 2;
        for &v in row {
            xy[v] = (x, y + (row_h - blocks[v].h) / 2);
            x += blocks[v].w + GAP_X;
        }
        y += row_h + GAP_Y;
    }
    let height = (y - GAP_Y + PAD).max(NODE_H + 2 * PAD);
    let mut svg = String::new();
    // Edges first, under the nodes. Each source spreads its edges along its bottom side.
    let mut labels = String::new();
    let mut loop_lane = 0;
    for (v, list) in out.iter().enumerate() {
        let forward: Vec<usize> = list.iter().copied().filter(|&e| !back[e]).collect();
        for (slot, &e) in forward.iter().enumerate() {
            let edge = &edges[e];
            let (fx, fy) = xy[v];
            let (tx, ty) = xy[edge.to];
            let x1 = fx + blocks[v].w * (slot as i32 + 1) / (forward.len() as i32 + 1);
            let y1 = fy + blocks[v].h;
            let x2 = tx + blocks[edge.to].w / 2;
            let y2 = ty;
            // An edge past a row of states goes around those in its way, on a lane beside them.
            let (lo, hi) = (x1.min(x2) - 6, x1.max(x2) + 6);
            let in_way: Vec<usize> = rows[layer[v] + 1..layer[edge.to].max(layer[v] + 1)]
                .iter()
                .flatten()
                .copied()
                .filter(|&u| xy[u].0 < hi && xy[u].0 + blocks[u].w > lo)
                .collect();
            let (d, lx, ly, anchor) = if in_way.is_empty() {
                let bend = ((y2 - y1) / 2).max(16);
                let d = format!(
                    "M{x1},{y1} C{x1},{a} {x2},{b} {x2},{y2}",
                    a = y1 + bend,
                    b = y2 - bend
                );
                (d, (x1 + x2) / 2, y1 + (y2 - y1) / 2, "middle")
            } else {
                let left = in_way.iter().map(|&u| xy[u].0).min().unwrap_or(0) - GAP_X / 2;
                let right =
                    in_way.iter().map(|&u| xy[u].0 + blocks[u].w).max().unwrap_or(0) + GAP_X / 2;
                let on_left = (x1 - left).abs() <= (right - x1).abs();
                let lane = if on_left { left } else { right }.clamp(2, width - 2);
                let d = format!(
                    "M{x1},{y1} C{x1},{a} {lane},{b} {lane},{c} L{lane},{e} C{lane},{f} {x2},{g} {x2},{y2}",
                    a = y1 + 16,
                    b = y1 + 8,
                    c = y1 + 28,
                    e = y2 - 28,
                    f = y2 - 8,
                    g = y2 - 16,
                );
                // The label goes on the lane's outer side, away from the states it passes.
                let label_w =
                    edge.label.as_deref().map_or(0, |l| l.chars().count().min(40) as i32 * 6);
                let (lx, anchor) = match on_left {
                    true if lane - 4 - label_w >= 0 => (lane - 4, "end"),
                    false if lane + 4 + label_w <= width => (lane + 4, "start"),
                    _ => (lane, "middle"),
                };
                (d, lx, y1 + (y2 - y1) / 2, anchor)
            };
            let _ = write!(
                svg,
                r#"<path class="{c}" data-from="{f}" data-to="{t}" d="{d}" marker-end="url(#{m})"/>"#,
                c = edge.kind.class(),
                f = esc(names[v]),
                t = esc(names[edge.to]),
                m = edge.kind.marker(),
            );
            if let Some(label) = &edge.label {
                write_label_at(&mut labels, lx, ly, label, edge.kind, anchor);
            }
        }
        for &e in list.iter().filter(|&&e| back[e]) {
            let edge = &edges[e];
            loop_lane += 1;
            let lane = width - PAD - LOOP_LANE + (loop_lane % 3) * 6;
            let (fx, fy) = xy[v];
            let (tx, ty) = xy[edge.to];
            let y1 = fy + blocks[v].h / 2;
            let y2 = ty + blocks[edge.to].h / 2;
            let x1 = fx + blocks[v].w;
            let x2 = tx + blocks[edge.to].w;
            let _ = write!(
                svg,
                r#"<path class="{c} e-loop" data-from="{f}" data-to="{t}" d="M{x1},{y1} H{lane} V{y2} H{x2}" marker-end="url(#{m})"/>"#,
                c = edge.kind.class(),
                f = esc(names[v]),
                t = esc(names[edge.to]),
                m = edge.kind.marker(),
            );
            if let Some(label) = &edge.label {
                write_label(&mut labels, lane, (y1 + y2) / 2, label, edge.kind);
            }
        }
    }
    for (v, block) in blocks.iter().enumerate() {
        let (x, y) = xy[v];
        let _ = write!(svg, r#"<g transform="translate({x},{y})">{}</g>"#, block.svg);
    }
    svg.push_str(&labels);
    Block { w: width, h: height, svg }
}

fn write_label(out: &mut String, x: i32, y: i32, label: &str, kind: EdgeKind) {
    write_label_at(out, x, y, label, kind, "middle");
}

/// A label whose `anchor` (`start`, `middle`, `end`) is at `x`: a lane's label sits beside it.
fn write_label_at(out: &mut String, x: i32, y: i32, label: &str, kind: EdgeKind, anchor: &str) {
    let class = match kind {
        EdgeKind::Catch => "elabel l-catch",
        EdgeKind::Default => "elabel l-default",
        _ => "elabel",
    };
    let _ = write!(
        out,
        r#"<text class="{class}" x="{x}" y="{y}" text-anchor="{anchor}" dominant-baseline="middle">{}</text>"#,
        esc(&clip(label, 40))
    );
}

/// The Start and End marks of the machine's graph.
fn mark(text: &str) -> Block {
    let w = 64;
    let h = 26;
    Block {
        w,
        h,
        svg: format!(
            r#"<g class="mark"><rect width="{w}" height="{h}" rx="13"/><text x="{x}" y="{y}" text-anchor="middle" dominant-baseline="middle">{text}</text></g>"#,
            x = w / 2,
            y = h / 2,
        ),
    }
}

/// One state: a box, or for Parallel and Map a box holding its graphs.
fn node(name: &str, state: &Value, outcomes: Option<&HashMap<&str, Outcome>>) -> Block {
    let kind = state.get("Type").and_then(Value::as_str).unwrap_or("?");
    let status = match outcomes {
        Some(o) => o.get(name).map_or("not-reached", |s| s.as_str()),
        None => "none",
    };
    let retries = state.get("Retry").and_then(Value::as_array).map_or(0, Vec::len);
    let catches = state.get("Catch").and_then(Value::as_array).map_or(0, Vec::len);
    let mut badges = String::new();
    if retries > 0 {
        badges.push_str(" ↻");
    }
    if catches > 0 {
        badges.push_str(" ⚑");
    }
    let attrs = format!(
        r#"class="node st-{status}" data-state="{n}" data-type="{kind}" data-status="{status}" tabindex="0" role="button" aria-label="{n}: {kind}, {status_words}""#,
        n = esc(name),
        kind = esc(kind),
        status_words = status.replace('-', " "),
    );
    let title = format!(
        "<title>{}: {}{}{}</title>",
        esc(name),
        esc(kind),
        if retries > 0 { format!(", {retries} Retry rule(s)") } else { String::new() },
        if catches > 0 { format!(", {catches} Catch rule(s)") } else { String::new() },
    );
    let children: Vec<Block> = match kind {
        "Parallel" => state
            .get("Branches")
            .and_then(Value::as_array)
            .map(|b| b.iter().map(|g| graph(g, outcomes, false)).collect())
            .unwrap_or_default(),
        "Map" => state
            .get("ItemProcessor")
            .or_else(|| state.get("Iterator"))
            .map(|g| vec![graph(g, outcomes, false)])
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let caption = format!("{name}{badges}");
    if children.is_empty() {
        let w = (caption.chars().count() as i32 * CHAR_W + 2 * PAD).max(MIN_NODE_W);
        let kind_w = kind.len() as i32 * 6;
        return Block {
            w,
            h: NODE_H,
            svg: format!(
                r#"<g {attrs}>{title}<rect width="{w}" height="{NODE_H}" rx="6"/><text class="kind" x="6" y="10" dominant-baseline="middle" textLength="{kind_w}">{k}</text><text x="{cx}" y="{cy}" text-anchor="middle" dominant-baseline="middle">{c}</text></g>"#,
                k = esc(kind),
                cx = w / 2,
                cy = NODE_H / 2 + 5,
                c = esc(&clip(&caption, 40)),
            ),
        };
    }
    // A group: its graphs side by side under a title bar.
    let inner_w: i32 =
        children.iter().map(|c| c.w).sum::<i32>() + GAP_X / 2 * (children.len() as i32 - 1);
    let title_w = (caption.chars().count() as i32 + kind.len() as i32 + 3) * CHAR_W + 2 * PAD;
    let w = (inner_w + 2 * PAD / 2).max(title_w).max(MIN_NODE_W);
    let inner_h = children.iter().map(|c| c.h).max().unwrap_or(0);
    let h = GROUP_TITLE + inner_h + PAD / 2;
    let mut svg = format!(
        r#"<g {attrs}>{title}<rect class="frame" width="{w}" height="{h}" rx="8"/><rect class="bar" width="{w}" height="{GROUP_TITLE}" rx="8"/><text x="10" y="{ty}" dominant-baseline="middle"><tspan class="kind">{k}</tspan> {c}</text></g>"#,
        k = esc(kind),
        ty = GROUP_TITLE / 2 + 1,
        c = esc(&caption),
    );
    let mut x = (w - inner_w) / 2;
    for (i, child) in children.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<g class="branch" data-branch="{i}" transform="translate({x},{y})"><rect class="lane" width="{cw}" height="{ch}" rx="6"/>{body}</g>"#,
            y = GROUP_TITLE,
            cw = child.w,
            ch = child.h,
            body = child.svg,
        );
        x += child.w + GAP_X / 2;
    }
    Block { w, h, svg }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// A Choice rule in one line: `$.n > 3`, `$.kind == "a" and not(…)`, or its JSONata
/// `Condition`.
pub fn rule(rule: &Value) -> String {
    if let Some(condition) = rule.get("Condition").and_then(Value::as_str) {
        return condition.trim_start_matches("{%").trim_end_matches("%}").trim().to_owned();
    }
    let list = |key: &str, word: &str| {
        rule.get(key).and_then(Value::as_array).map(|rules| {
            rules.iter().map(|r| format!("({})", self::rule(r))).collect::<Vec<_>>().join(word)
        })
    };
    if let Some(s) = list("And", " and ") {
        return s;
    }
    if let Some(s) = list("Or", " or ") {
        return s;
    }
    if let Some(inner) = rule.get("Not") {
        return format!("not ({})", self::rule(inner));
    }
    let variable = rule.get("Variable").and_then(Value::as_str).unwrap_or("?");
    let Some(obj) = rule.as_object() else { return String::from("?") };
    for (key, value) in obj {
        if matches!(key.as_str(), "Variable" | "Next" | "Comment" | "Assign" | "Output") {
            continue;
        }
        let (op, path) = match key.strip_suffix("Path") {
            Some(base) => (base, true),
            None => (key.as_str(), false),
        };
        let value = match value {
            Value::String(s) if path => s.clone(),
            other => other.to_string(),
        };
        let word = if let Some(test) = op.strip_prefix("Is") {
            return format!(
                "{variable} is {}{}",
                if value == "false" { "not " } else { "" },
                test.to_lowercase()
            );
        } else if op.ends_with("GreaterThanEquals") {
            ">="
        } else if op.ends_with("LessThanEquals") {
            "<="
        } else if op.ends_with("GreaterThan") {
            ">"
        } else if op.ends_with("LessThan") {
            "<"
        } else if op.ends_with("Equals") {
            "=="
        } else if op == "StringMatches" {
            "matches"
        } else {
            op
        };
        return format!("{variable} {word} {value}");
    }
    variable.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_read_as_one_line() {
        assert_eq!(
            rule(&json!({"Variable": "$.n", "NumericGreaterThan": 3, "Next": "A"})),
            "$.n > 3"
        );
        assert_eq!(rule(&json!({"Variable": "$.k", "StringEquals": "a"})), "$.k == \"a\"");
        assert_eq!(rule(&json!({"Variable": "$.k", "StringEqualsPath": "$.j"})), "$.k == $.j");
        assert_eq!(rule(&json!({"Variable": "$.k", "IsPresent": false})), "$.k is not present");
        assert_eq!(
            rule(
                &json!({"And": [{"Variable": "$.a", "BooleanEquals": true}, {"Not": {"Variable": "$.b", "IsNull": true}}]})
            ),
            "($.a == true) and (not ($.b is null))"
        );
        assert_eq!(rule(&json!({"Condition": "{% $states.input.n > 1 %}"})), "$states.input.n > 1");
    }

    fn definition() -> Value {
        json!({
            "StartAt": "Pick",
            "States": {
                "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 3, "Next": "Fan"}], "Default": "Work"},
                "Fan": {"Type": "Parallel", "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Map", "ItemProcessor": {"StartAt": "C", "States": {"C": {"Type": "Pass", "End": true}}}, "End": true}}}
                ], "Next": "Work"},
                "Work": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:1:activity:w", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Oops"}], "Next": "Loop"},
                "Loop": {"Type": "Choice", "Choices": [{"Variable": "$.again", "BooleanEquals": true, "Next": "Pick"}], "Default": "Done"},
                "Oops": {"Type": "Fail", "Error": "E"},
                "Done": {"Type": "Succeed"}
            }
        })
    }

    #[test]
    fn every_state_and_edge_is_drawn_with_its_kind() {
        let mut outcomes = HashMap::new();
        outcomes.insert("Pick", Outcome::Succeeded);
        outcomes.insert("Work", Outcome::Caught);
        outcomes.insert("Oops", Outcome::Failed);
        let svg = svg(&definition(), Some(&outcomes));
        for state in ["Pick", "Fan", "A", "B", "C", "Work", "Loop", "Oops", "Done"] {
            assert!(svg.contains(&format!("data-state=\"{state}\"")), "{state} missing");
        }
        assert!(svg.contains(r#"class="node st-caught" data-state="Work""#));
        assert!(svg.contains(r#"class="node st-not-reached" data-state="Done""#));
        assert!(svg.contains(r#"class="edge e-default" data-from="Pick" data-to="Work""#));
        assert!(svg.contains(r#"class="edge e-catch" data-from="Work" data-to="Oops""#));
        assert!(svg.contains(r#"class="edge e-choice e-loop" data-from="Loop" data-to="Pick""#));
        assert!(svg.contains(">$.n &gt; 3</text>"));
        assert!(svg.contains(">States.ALL</text>"));
        // Nested groups: two branches in the Parallel, one processor in the Map.
        assert_eq!(svg.matches("class=\"branch\"").count(), 3);
    }

    /// Forward edges go down: each target lies below its source.
    #[test]
    fn layers_go_down_along_forward_edges() {
        let def = json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": true, "Next": "A"}], "Default": "D"},
            "D": {"Type": "Succeed"}}});
        let svg = svg(&def, None);
        let y_of = |name: &str| -> i32 {
            let at = svg.find(&format!("data-state=\"{name}\"")).unwrap();
            let before = &svg[..at];
            let t = before.rfind("translate(").unwrap();
            let args = &before[t + 10..];
            args[args.find(',').unwrap() + 1..args.find(')').unwrap()].parse().unwrap()
        };
        assert!(y_of("A") < y_of("B") && y_of("B") < y_of("C") && y_of("C") < y_of("D"));
    }
}
