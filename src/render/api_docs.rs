//! The API reference page, from the OpenAPI document itself (as JSON, the
//! form it is served in): operations by tag with their parameters, bodies,
//! responses and security, then the schemas. Nothing here is written twice.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiDocsView {
    pub title: String,
    pub version: String,
    pub description: String,
    pub security_schemes: Vec<SchemeView>,
    pub tags: Vec<TagView>,
    pub schemas: Vec<SchemaView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeView {
    pub name: String,
    pub kind: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagView {
    pub name: String,
    pub operations: Vec<OperationView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationView {
    pub method: String,
    pub path: String,
    /// `GET /api/v1/…`: the page's anchor and the test's handle.
    pub key: String,
    pub anchor: String,
    pub summary: String,
    pub security: String,
    pub parameters: Vec<FieldView>,
    pub bodies: Vec<ContentView>,
    pub responses: Vec<ResponseView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldView {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub kind: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentView {
    pub media_type: String,
    pub schema: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseView {
    pub status: String,
    pub description: String,
    pub contents: Vec<ContentView>,
    pub headers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaView {
    pub name: String,
    pub anchor: String,
    pub kind: String,
    pub description: String,
    pub fields: Vec<FieldView>,
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// A schema in a few words: `IncidentJson`, `array of StepJson`,
/// `string (pattern …)`, `one of: low, medium`.
pub fn schema_text(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(values) = s["enum"].as_array() {
        let words: Vec<String> = values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect();
        return format!("one of: {}", words.join(", "));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = s[key].as_array() {
            let parts: Vec<String> = list.iter().map(schema_text).collect();
            return parts.join(if key == "allOf" { " and " } else { " or " });
        }
    }
    let kind = match &s["type"] {
        Value::Array(types) => types
            .iter()
            .map(|t| t.as_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" or "),
        t => t.as_str().unwrap_or("any").to_string(),
    };
    let mut text = if kind.starts_with("array") {
        format!("{kind} of {}", schema_text(&s["items"]))
    } else {
        kind
    };
    if let Some(f) = s["format"].as_str() {
        text.push_str(&format!(" ({f})"));
    }
    if let Some(p) = s["pattern"].as_str() {
        text.push_str(&format!(", matching {p}"));
    }
    for (key, word) in [
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("maxLength", "length ≤"),
    ] {
        if let Some(n) = s[key].as_u64() {
            text.push_str(&format!(", {word} {n}"));
        }
    }
    text
}

fn contents(content: &Value) -> Vec<ContentView> {
    content
        .as_object()
        .map(|c| {
            c.iter()
                .map(|(media, v)| ContentView {
                    media_type: media.clone(),
                    schema: schema_text(&v["schema"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn security_text(op: &Value) -> String {
    let names: Vec<String> = op["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_object())
        .flat_map(|r| r.keys().cloned())
        .collect();
    if names.is_empty() {
        "none (public)".to_string()
    } else {
        names.join(" or ")
    }
}

fn operation(method: &str, path: &str, op: &Value) -> OperationView {
    let key = format!("{} {path}", method.to_uppercase());
    let anchor: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let parameters = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| FieldView {
            name: str_of(&p["name"]),
            location: str_of(&p["in"]),
            required: p["required"].as_bool().unwrap_or(false),
            kind: schema_text(&p["schema"]),
            description: str_of(&p["description"]),
        })
        .collect();
    let mut responses: Vec<ResponseView> = op["responses"]
        .as_object()
        .map(|r| {
            r.iter()
                .map(|(status, v)| ResponseView {
                    status: status.clone(),
                    description: str_of(&v["description"]),
                    contents: contents(&v["content"]),
                    headers: v["headers"]
                        .as_object()
                        .map(|h| h.keys().cloned().collect())
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    responses.sort_by(|a, b| a.status.cmp(&b.status));
    OperationView {
        method: method.to_uppercase(),
        path: path.to_string(),
        key,
        anchor,
        summary: str_of(&op["summary"]),
        security: security_text(op),
        parameters,
        bodies: contents(&op["requestBody"]["content"]),
        responses,
    }
}

fn schema(name: &str, s: &Value) -> SchemaView {
    let required: Vec<&str> = s["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let fields = s["properties"]
        .as_object()
        .map(|p| {
            p.iter()
                .map(|(field, v)| FieldView {
                    name: field.clone(),
                    location: String::new(),
                    required: required.contains(&field.as_str()),
                    kind: schema_text(v),
                    description: str_of(&v["description"]),
                })
                .collect()
        })
        .unwrap_or_default();
    SchemaView {
        name: name.to_string(),
        anchor: format!("schema-{name}"),
        kind: schema_text(s),
        description: str_of(&s["description"]),
        fields,
    }
}

/// The page's view of an OpenAPI document (as JSON).
pub fn api_docs_view(doc: &Value) -> ApiDocsView {
    let mut tags: Vec<TagView> = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
            let view = operation(method, path, op);
            match tags.iter_mut().find(|t| t.name == tag) {
                Some(t) => t.operations.push(view),
                None => tags.push(TagView {
                    name: tag,
                    operations: vec![view],
                }),
            }
        }
    }
    let security_schemes = doc["components"]["securitySchemes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| SchemeView {
            name: name.clone(),
            kind: match s["type"].as_str() {
                Some("http") => format!("HTTP {}", s["scheme"].as_str().unwrap_or_default())
                    .replace("bearer", "Bearer"),
                Some("apiKey") => format!(
                    "{} {}",
                    s["in"].as_str().unwrap_or_default(),
                    s["name"].as_str().unwrap_or_default()
                ),
                other => other.unwrap_or_default().to_string(),
            },
            description: str_of(&s["description"]),
        })
        .collect();
    let schemas = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| schema(name, s))
        .collect();
    ApiDocsView {
        title: str_of(&doc["info"]["title"]),
        version: str_of(&doc["info"]["version"]),
        description: str_of(&doc["info"]["description"]),
        security_schemes,
        tags,
        schemas,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schemas_read_in_a_few_words() {
        assert_eq!(
            schema_text(&json!({"$ref": "#/components/schemas/StepJson"})),
            "StepJson"
        );
        assert_eq!(
            schema_text(&json!({"type": "array", "items": {"$ref": "#/components/schemas/Task"}})),
            "array of Task"
        );
        assert_eq!(
            schema_text(&json!({"type": ["string", "null"]})),
            "string or null"
        );
        assert_eq!(
            schema_text(&json!({"enum": ["low", "high"]})),
            "one of: low, high"
        );
        assert_eq!(
            schema_text(&json!({"type": "integer", "minimum": 1, "maximum": 200})),
            "integer, ≥ 1, ≤ 200"
        );
    }
}
