//! XML answers. The query protocol's are small and flat (`<MessageId>` of a publish,
//! `<Code>`/`<Message>` of an error): `text_of` finds the text of the first element of a
//! name. S3's (REST-XML) hold lists of structures: `parse` reads them into a tree with
//! quick-xml, a pull parser that checks well-formedness and resolves entities.
use quick_xml::events::Event;
use quick_xml::Reader;

/// One element: its local name (namespace prefix dropped), its text, its children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// The document's root element, or why it is not well-formed XML.
pub(crate) fn parse(doc: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(doc);
    // Open elements, innermost last; the root is returned when it closes.
    let mut open: Vec<Element> = Vec::new();
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(start) => open.push(Element {
                name: start.local_name().as_ref().to_owned(),
                ..Element::default()
            }),
            Event::Empty(start) => {
                let empty =
                    Element { name: start.local_name().as_ref().to_owned(), ..Element::default() };
                match open.last_mut() {
                    Some(parent) => parent.children.push(empty),
                    None => return Ok(empty),
                }
            }
            Event::End(_) => {
                let done = open.pop().ok_or("a closing tag without its opening tag")?;
                match open.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Text(text) => {
                if let Some(current) = open.last_mut() {
                    current.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(current) = open.last_mut() {
                    current.text.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                let name = reference.xml10_content();
                let resolved = match reference.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("unknown entity &{name};"))?
                        .to_owned(),
                };
                if let Some(current) = open.last_mut() {
                    current.text.push_str(&resolved);
                }
            }
            Event::Eof => return Err("the document ends before its root element closes".into()),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
}

/// The unescaped text of the first `<name>…</name>` (with or without attributes or a
/// namespace prefix on the tag), `None` when there is none.
pub(crate) fn text_of(doc: &str, name: &str) -> Option<String> {
    let mut rest = doc;
    loop {
        let at = rest.find('<')?;
        rest = &rest[at + 1..];
        let end = rest.find('>')?;
        let tag = &rest[..end];
        let tag_name = tag.split_whitespace().next().unwrap_or("").trim_end_matches('/');
        let local = tag_name.rsplit(':').next().unwrap_or(tag_name);
        if local == name && !tag.ends_with('/') {
            let body = &rest[end + 1..];
            let close = body.find(&format!("</{tag_name}>"))?;
            return Some(unescape(&body[..close]));
        }
        if local == name {
            return Some(String::new());
        }
        rest = &rest[end + 1..];
    }
}

/// The five predefined entities and numeric character references.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_unescapes() {
        let doc = r#"<?xml version="1.0"?><PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r&amp;1&#65;</RequestId></ResponseMetadata></PublishResponse>"#;
        assert_eq!(text_of(doc, "MessageId").as_deref(), Some("m-1"));
        assert_eq!(text_of(doc, "RequestId").as_deref(), Some("r&1A"));
        assert_eq!(text_of(doc, "SequenceNumber"), None);
        assert_eq!(text_of("<a><b/></a>", "b").as_deref(), Some(""));
    }

    #[test]
    fn parses_trees_with_entities() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix/>
<Contents><Key>a&amp;b&#233;</Key><Size>3</Size></Contents><Contents><Key><![CDATA[<c>]]></Key></Contents></ListBucketResult>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "ListBucketResult");
        assert_eq!(root.child("Name").unwrap().text, "b");
        assert_eq!(root.child("Prefix").unwrap().text, "");
        let keys: Vec<&str> = root
            .children
            .iter()
            .filter(|c| c.name == "Contents")
            .map(|c| c.child("Key").unwrap().text.as_str())
            .collect();
        assert_eq!(keys, vec!["a&bé", "<c>"]);
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").is_err());
    }
}
