//! The page frame and the small pieces every page uses: escaping, dates, durations,
//! links, and JSON shown highlighted.
use std::fmt::Write;

use serde_json::Value;

/// `text` safe inside HTML text and double-quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` as a URL query value.
pub fn query(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Epoch milliseconds as `2026-12-03 16:52:01.123` (UTC).
pub fn date(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(d) => d.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        None => ms.to_string(),
    }
}

/// A duration in milliseconds, as a person reads it: `850 ms`, `12.4 s`, `3 min 5 s`.
pub fn duration(ms: i64) -> String {
    match ms {
        ms if ms < 1_000 => format!("{ms} ms"),
        ms if ms < 60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        ms if ms < 3_600_000 => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
        ms => format!("{} h {} min", ms / 3_600_000, (ms % 3_600_000) / 60_000),
    }
}

/// The last part of an ARN (a machine's or execution's name).
pub fn short(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// The whole page around `body`; `title` goes to `<title>` and `<h1>`.
pub fn page(title: &str, nav: Nav, body: &str) -> String {
    let current = |n: Nav| if n == nav { " aria-current=\"page\"" } else { "" };
    format!(
        r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{t} · Stepwise</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/console/">Stepwise</a>
<nav aria-label="Sections"><a href="/console/"{m}>State machines</a><a href="/console/executions"{e}>Executions</a><a href="/console/activities"{a}>Activities</a></nav></header>
<main id="main" tabindex="-1"><h1>{t}</h1>
{body}</main></body></html>"##,
        t = esc(title),
        m = current(Nav::Machines),
        e = current(Nav::Executions),
        a = current(Nav::Activities),
    )
}

/// Which section a page belongs to (marked in the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// State machines and their pages.
    Machines,
    /// Executions and their pages.
    Executions,
    /// Activities.
    Activities,
}

/// A status as a coloured badge.
pub fn status_badge(status: &str) -> String {
    format!("<span class=\"badge s-{}\">{}</span>", esc(&status.to_ascii_lowercase()), esc(status))
}

/// JSON text pretty-printed and highlighted (keys, strings, numbers, literals), or the text
/// as it is when it is not JSON.
pub fn json_block(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => highlight(&value),
        Err(_) => format!("<pre class=\"json\">{}</pre>", esc(text)),
    }
}

/// `value` pretty-printed in a `<pre>`, its tokens in spans the stylesheet colours.
pub fn highlight(value: &Value) -> String {
    let mut out = String::from("<pre class=\"json\">");
    write_value(&mut out, value, 0);
    out.push_str("</pre>");
    out
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    let pad = |out: &mut String, d: usize| {
        out.push('\n');
        for _ in 0..d {
            out.push_str("  ");
        }
    };
    match value {
        Value::Null => out.push_str("<span class=\"j-lit\">null</span>"),
        Value::Bool(b) => {
            let _ = write!(out, "<span class=\"j-lit\">{b}</span>");
        }
        Value::Number(n) => {
            let _ = write!(out, "<span class=\"j-num\">{n}</span>");
        }
        Value::String(s) => {
            let quoted = serde_json::to_string(s).unwrap_or_default();
            let _ = write!(out, "<span class=\"j-str\">{}</span>", esc(&quoted));
        }
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pad(out, depth + 1);
                write_value(out, item, depth + 1);
            }
            pad(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pad(out, depth + 1);
                let quoted = serde_json::to_string(key).unwrap_or_default();
                let _ = write!(out, "<span class=\"j-key\">{}</span>: ", esc(&quoted));
                write_value(out, item, depth + 1);
            }
            pad(out, depth);
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn highlights_each_kind_of_token() {
        let html = highlight(&serde_json::json!({"a": [1, "<b>", true, null]}));
        assert!(html.contains("<span class=\"j-key\">&quot;a&quot;</span>"), "{html}");
        assert!(html.contains("<span class=\"j-num\">1</span>"));
        assert!(html.contains("<span class=\"j-str\">&quot;&lt;b&gt;&quot;</span>"));
        assert!(html.contains("<span class=\"j-lit\">true</span>"));
        assert!(html.contains("<span class=\"j-lit\">null</span>"));
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(12_400), "12.4 s");
        assert_eq!(duration(185_000), "3 min 5 s");
    }
}
