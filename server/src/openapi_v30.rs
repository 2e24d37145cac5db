//! Downgrade of the OpenAPI 3.1 document utoipa 6 emits to OpenAPI 3.0.3.
//!
//! progenitor 0.15 (through `openapiv3`) reads OpenAPI 3.0.x only: it fails on
//! `type: ["string", "null"]` and rejects `openapi: 3.1.0` outright. The SDK is
//! generated from `openapi/openapi.json`, so the exported document is rewritten here.
//!
//! The rewrite is structural: it walks the document along the positions where the
//! specification puts a Schema Object (components, parameters, request bodies,
//! responses, headers, callbacks) and rewrites only the keywords of those schema
//! objects. A *property* that happens to be named `const`, `type` or `examples` is a key
//! of a `properties` map, never a keyword, and is left alone.
//!
//! Pure JSON in, JSON out: no actix, no utoipa types.

use serde_json::{Map, Value, json};

/// The HTTP methods that may carry an Operation Object in a Path Item Object.
const OPERATION_KEYS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Schema keywords that OpenAPI 3.0 does not know and that carry no meaning progenitor
/// could use; dropped.
const DROPPED_SCHEMA_KEYS: [&str; 4] = [
    "propertyNames",
    "$schema",
    "contentEncoding",
    "contentMediaType",
];

/// Converts a utoipa 6 OpenAPI 3.1 document into a 3.0.3-compatible one that
/// progenitor 0.15 accepts.
///
/// Document level: `openapi` becomes `"3.0.3"`; `jsonSchemaDialect`, `webhooks`,
/// `info.summary` and `info.license.identifier` are dropped; a missing `paths` becomes
/// `{}` and a Response Object without `description` gets `""` (both required in 3.0).
///
/// In every schema position:
/// `type: [T, "null"]` → `type: T, nullable: true`; `oneOf`/`anyOf` with a
/// `{type: "null"}` member → the member removed and `nullable: true` (a lone remaining
/// member is wrapped as `allOf: [member]`, since 3.0 ignores siblings of `$ref`);
/// `examples: [..]` → `example`; numeric `exclusiveMinimum`/`exclusiveMaximum` → the
/// boolean form; `const: v` → `enum: [v]`; `propertyNames`, `$schema`,
/// `contentEncoding`, `contentMediaType` dropped.
#[must_use]
pub fn downgrade_to_3_0(mut doc: Value) -> Value {
    let Some(root) = doc.as_object_mut() else {
        return doc;
    };
    root.insert("openapi".to_owned(), Value::String("3.0.3".to_owned()));
    root.remove("jsonSchemaDialect");
    root.remove("webhooks");
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }

    match root.get_mut("paths") {
        Some(paths) => {
            for_each_value(paths, downgrade_path_item);
        }
        None => {
            root.insert("paths".to_owned(), json!({}));
        }
    }

    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        if let Some(schemas) = components.get_mut("schemas") {
            for_each_value(schemas, downgrade_schema);
        }
        if let Some(parameters) = components.get_mut("parameters") {
            for_each_value(parameters, downgrade_parameter);
        }
        if let Some(bodies) = components.get_mut("requestBodies") {
            for_each_value(bodies, downgrade_request_body);
        }
        if let Some(responses) = components.get_mut("responses") {
            for_each_value(responses, downgrade_response);
        }
        if let Some(headers) = components.get_mut("headers") {
            for_each_value(headers, downgrade_header);
        }
        if let Some(callbacks) = components.get_mut("callbacks") {
            for_each_value(callbacks, downgrade_callback);
        }
        // 3.1-only component kind; 3.0 readers do not know it.
        components.remove("pathItems");
    }
    doc
}

/// Applies `f` to every value of a JSON object (a map keyed by name); no-op otherwise.
fn for_each_value(map: &mut Value, f: fn(&mut Value)) {
    if let Some(map) = map.as_object_mut() {
        map.values_mut().for_each(f);
    }
}

/// Applies `f` to every element of a JSON array; no-op otherwise.
fn for_each_element(list: &mut Value, f: fn(&mut Value)) {
    if let Some(list) = list.as_array_mut() {
        list.iter_mut().for_each(f);
    }
}

fn downgrade_path_item(item: &mut Value) {
    let Some(item) = item.as_object_mut() else {
        return;
    };
    if let Some(parameters) = item.get_mut("parameters") {
        for_each_element(parameters, downgrade_parameter);
    }
    for method in OPERATION_KEYS {
        if let Some(operation) = item.get_mut(method) {
            downgrade_operation(operation);
        }
    }
}

fn downgrade_operation(operation: &mut Value) {
    let Some(operation) = operation.as_object_mut() else {
        return;
    };
    if let Some(parameters) = operation.get_mut("parameters") {
        for_each_element(parameters, downgrade_parameter);
    }
    if let Some(body) = operation.get_mut("requestBody") {
        downgrade_request_body(body);
    }
    if let Some(responses) = operation.get_mut("responses") {
        for_each_value(responses, downgrade_response);
    }
    if let Some(callbacks) = operation.get_mut("callbacks") {
        for_each_value(callbacks, downgrade_callback);
    }
}

/// A Callback Object: runtime expression → Path Item Object.
fn downgrade_callback(callback: &mut Value) {
    for_each_value(callback, downgrade_path_item);
}

/// Parameter Object: `schema`, or `content` (media type → Media Type Object).
fn downgrade_parameter(parameter: &mut Value) {
    downgrade_schema_and_content(parameter);
}

/// Header Object: same shape as a Parameter Object for our purpose.
fn downgrade_header(header: &mut Value) {
    downgrade_schema_and_content(header);
}

fn downgrade_schema_and_content(object: &mut Value) {
    let Some(object) = object.as_object_mut() else {
        return;
    };
    if let Some(schema) = object.get_mut("schema") {
        downgrade_schema(schema);
    }
    if let Some(content) = object.get_mut("content") {
        for_each_value(content, downgrade_media_type);
    }
}

fn downgrade_request_body(body: &mut Value) {
    if let Some(content) = body.get_mut("content") {
        for_each_value(content, downgrade_media_type);
    }
}

/// Response Object. utoipa 6 omits `description` when none is given; 3.0 requires it
/// (openapiv3 fails with "missing field `description`"), so an empty one is added.
fn downgrade_response(response: &mut Value) {
    let Some(response) = response.as_object_mut() else {
        return;
    };
    if !response.contains_key("$ref") && !response.contains_key("description") {
        response.insert("description".to_owned(), Value::String(String::new()));
    }
    if let Some(headers) = response.get_mut("headers") {
        for_each_value(headers, downgrade_header);
    }
    if let Some(content) = response.get_mut("content") {
        for_each_value(content, downgrade_media_type);
    }
}

/// Media Type Object: `schema`, plus `encoding.*.headers.*`. Its own `examples` is a
/// map of Example Objects, valid in 3.0, and is left alone.
fn downgrade_media_type(media: &mut Value) {
    let Some(media) = media.as_object_mut() else {
        return;
    };
    if let Some(schema) = media.get_mut("schema") {
        downgrade_schema(schema);
    }
    if let Some(encodings) = media.get_mut("encoding").and_then(Value::as_object_mut) {
        for encoding in encodings.values_mut() {
            if let Some(headers) = encoding.get_mut("headers") {
                for_each_value(headers, downgrade_header);
            }
        }
    }
}

/// `true` for the `{type: "null"}` member of a 3.1 `oneOf`/`anyOf` (also the
/// `["null"]` spelling). Checked before the member itself is rewritten.
fn is_null_schema(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => {
            !types.is_empty() && types.iter().all(|t| t.as_str() == Some("null"))
        }
        _ => false,
    }
}

/// Rewrites one Schema Object (and, recursively, its subschemas) from JSON Schema
/// 2020-12 / OpenAPI 3.1 to the OpenAPI 3.0 dialect. Booleans and non-objects are left
/// as they are (`additionalProperties: true` is valid 3.0).
fn downgrade_schema(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };

    // Recurse first into the subschema positions, so that the rules below see the
    // members as they were written (the null member is recognised by `type: "null"`).
    if let Some(properties) = object.get_mut("properties") {
        // A map of property name → schema: the map itself is not a schema.
        for_each_value(properties, downgrade_schema);
    }
    if let Some(properties) = object.get_mut("patternProperties") {
        for_each_value(properties, downgrade_schema);
    }
    if let Some(items) = object.get_mut("items") {
        if items.is_array() {
            for_each_element(items, downgrade_schema);
        } else {
            downgrade_schema(items);
        }
    }
    for key in ["additionalProperties", "not"] {
        if let Some(subschema) = object.get_mut(key) {
            downgrade_schema(subschema);
        }
    }
    for key in ["allOf", "prefixItems"] {
        if let Some(list) = object.get_mut(key) {
            for_each_element(list, downgrade_schema);
        }
    }
    for key in ["oneOf", "anyOf"] {
        downgrade_nullable_union(object, key);
    }

    downgrade_type(object);

    // `examples: [..]` (2020-12) → `example: first`; any other form has no 3.0 meaning.
    if let Some(Value::Array(mut examples)) = object.remove("examples")
        && !object.contains_key("example")
        && !examples.is_empty()
    {
        object.insert("example".to_owned(), examples.swap_remove(0));
    }

    downgrade_exclusive_bound(object, "exclusiveMinimum", "minimum", |new, old| new >= old);
    downgrade_exclusive_bound(object, "exclusiveMaximum", "maximum", |new, old| new <= old);

    if let Some(value) = object.remove("const")
        && !object.contains_key("enum")
    {
        object.insert("enum".to_owned(), Value::Array(vec![value]));
    }

    for key in DROPPED_SCHEMA_KEYS {
        object.remove(key);
    }
}

/// `type: [T, "null"]` → `type: T, nullable: true`; `type: "null"` or `["null"]` →
/// no `type`, `nullable: true`. Several non-null types cannot be said in 3.0 with one
/// `type`: they become `anyOf: [{type: A}, {type: B}]` (if the schema has no `anyOf`
/// yet) or no `type` at all.
fn downgrade_type(object: &mut Map<String, Value>) {
    let types: Vec<Value> = match object.get("type") {
        Some(Value::Array(types)) => types.clone(),
        Some(Value::String(t)) if t == "null" => vec![Value::String(t.clone())],
        _ => return,
    };
    let before = types.len();
    let mut types: Vec<Value> = types
        .into_iter()
        .filter(|t| t.as_str() != Some("null"))
        .collect();
    if types.len() != before {
        object.insert("nullable".to_owned(), Value::Bool(true));
    }
    match types.len() {
        0 => {
            object.remove("type");
        }
        1 => {
            object.insert("type".to_owned(), types.swap_remove(0));
        }
        _ => {
            object.remove("type");
            if !object.contains_key("anyOf") && !object.contains_key("oneOf") {
                let members = types.into_iter().map(|t| json!({ "type": t })).collect();
                object.insert("anyOf".to_owned(), Value::Array(members));
            }
        }
    }
}

/// Rewrites `oneOf`/`anyOf` (`key`): recurses into the members, and if one of them is
/// the null schema, removes it and sets `nullable: true`. A single remaining member
/// becomes `allOf: [member]` (3.0 ignores `nullable` next to a bare `$ref`).
fn downgrade_nullable_union(object: &mut Map<String, Value>, key: &str) {
    let Some(Value::Array(members)) = object.get_mut(key) else {
        return;
    };
    let before = members.len();
    members.retain(|member| !is_null_schema(member));
    let had_null = members.len() != before;
    members.iter_mut().for_each(downgrade_schema);
    if !had_null {
        return;
    }
    object.insert("nullable".to_owned(), Value::Bool(true));
    let Some(Value::Array(mut members)) = object.remove(key) else {
        return;
    };
    match members.len() {
        0 => {}
        1 if !object.contains_key("allOf") => {
            object.insert(
                "allOf".to_owned(),
                Value::Array(vec![members.swap_remove(0)]),
            );
        }
        1 => {
            if let Some(Value::Array(all_of)) = object.get_mut("allOf") {
                all_of.push(members.swap_remove(0));
            }
        }
        _ => {
            object.insert(key.to_owned(), Value::Array(members));
        }
    }
}

/// Numeric `exclusiveMinimum: n` (2020-12) → `minimum: n, exclusiveMinimum: true`
/// (3.0); likewise for the maximum. If an inclusive bound is also present, the tighter
/// one wins (`tighter(n, old)` says whether the exclusive bound `n` is at least as tight
/// as the inclusive `old`).
fn downgrade_exclusive_bound(
    object: &mut Map<String, Value>,
    exclusive_key: &str,
    inclusive_key: &str,
    tighter: fn(f64, f64) -> bool,
) {
    let Some(bound) = object.get(exclusive_key).filter(|v| v.is_number()).cloned() else {
        return;
    };
    let exclusive_wins = match (
        bound.as_f64(),
        object.get(inclusive_key).and_then(Value::as_f64),
    ) {
        (Some(new), Some(old)) => tighter(new, old),
        _ => true,
    };
    if exclusive_wins {
        object.insert(inclusive_key.to_owned(), bound);
        object.insert(exclusive_key.to_owned(), Value::Bool(true));
    } else {
        object.remove(exclusive_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wraps `schema` as `components.schemas.S` of a 3.1 document, downgrades it and
    /// returns the rewritten schema.
    fn via_components(schema: Value) -> Value {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"S": schema}},
        });
        downgrade_to_3_0(doc)["components"]["schemas"]["S"].clone()
    }

    #[test]
    fn document_level_fields() {
        let doc = json!({
            "openapi": "3.1.0",
            "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
            "info": {
                "title": "Portunus",
                "summary": "OAuth2",
                "version": "1",
                "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
            },
            "webhooks": {"x": {}},
            "paths": {},
        });
        let out = downgrade_to_3_0(doc);
        assert_eq!(
            out,
            json!({
                "openapi": "3.0.3",
                "info": {"title": "Portunus", "version": "1", "license": {"name": "Apache-2.0"}},
                "paths": {},
            })
        );
    }

    #[test]
    fn missing_paths_become_empty() {
        let out = downgrade_to_3_0(json!({"openapi": "3.1.0", "info": {}}));
        assert_eq!(out["paths"], json!({}));
    }

    #[test]
    fn non_object_document_is_returned_unchanged() {
        assert_eq!(downgrade_to_3_0(json!([1, 2])), json!([1, 2]));
    }

    #[test]
    fn type_array_with_null_becomes_nullable() {
        let out = via_components(json!({"type": ["string", "null"], "format": "date-time"}));
        assert_eq!(
            out,
            json!({"type": "string", "format": "date-time", "nullable": true})
        );
        let out = via_components(json!({"type": ["null", "integer"]}));
        assert_eq!(out, json!({"type": "integer", "nullable": true}));
    }

    #[test]
    fn type_array_without_null_is_flattened() {
        assert_eq!(
            via_components(json!({"type": ["object"]})),
            json!({"type": "object"})
        );
    }

    #[test]
    fn type_null_alone_drops_type() {
        assert_eq!(
            via_components(json!({"type": ["null"]})),
            json!({"nullable": true})
        );
        assert_eq!(
            via_components(json!({"type": "null"})),
            json!({"nullable": true})
        );
    }

    #[test]
    fn several_non_null_types_become_any_of() {
        assert_eq!(
            via_components(json!({"type": ["string", "integer", "null"]})),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
        );
    }

    #[test]
    fn one_of_ref_and_null_becomes_all_of_nullable() {
        let expected = json!({"allOf": [{"$ref": "#/components/schemas/A"}], "nullable": true});
        for key in ["oneOf", "anyOf"] {
            let out = via_components(
                json!({key: [{"type": "null"}, {"$ref": "#/components/schemas/A"}]}),
            );
            assert_eq!(out, expected, "{key}, null first");
            let out = via_components(
                json!({key: [{"$ref": "#/components/schemas/A"}, {"type": "null"}]}),
            );
            assert_eq!(out, expected, "{key}, null last");
        }
    }

    #[test]
    fn null_member_keeps_description_of_outer_schema() {
        let out = via_components(json!({
            "description": "d",
            "oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/A"}],
        }));
        assert_eq!(
            out,
            json!({
                "description": "d",
                "allOf": [{"$ref": "#/components/schemas/A"}],
                "nullable": true,
            })
        );
    }

    #[test]
    fn union_with_more_members_drops_null_member_only() {
        let out = via_components(json!({"oneOf": [
            {"$ref": "#/components/schemas/A"},
            {"type": "null"},
            {"$ref": "#/components/schemas/B"},
        ]}));
        assert_eq!(
            out,
            json!({
                "oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
                "nullable": true,
            })
        );
    }

    #[test]
    fn union_without_null_is_kept_and_members_rewritten() {
        let out = via_components(json!({"anyOf": [
            {"type": ["string", "null"]},
            {"type": "integer"},
        ]}));
        assert_eq!(
            out,
            json!({"anyOf": [{"type": "string", "nullable": true}, {"type": "integer"}]})
        );
    }

    #[test]
    fn examples_array_becomes_example() {
        assert_eq!(
            via_components(json!({"type": "string", "examples": ["a", "b"]})),
            json!({"type": "string", "example": "a"})
        );
        assert_eq!(
            via_components(json!({"type": "string", "examples": []})),
            json!({"type": "string"})
        );
        assert_eq!(
            via_components(json!({"type": "string", "example": "x", "examples": ["a"]})),
            json!({"type": "string", "example": "x"})
        );
    }

    #[test]
    fn exclusive_bounds_become_boolean() {
        assert_eq!(
            via_components(
                json!({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10})
            ),
            json!({
                "type": "integer",
                "minimum": 0,
                "exclusiveMinimum": true,
                "maximum": 10,
                "exclusiveMaximum": true,
            })
        );
    }

    #[test]
    fn exclusive_bound_with_inclusive_keeps_tighter() {
        // minimum 5 is tighter than > 0.
        assert_eq!(
            via_components(json!({"type": "number", "minimum": 5, "exclusiveMinimum": 0})),
            json!({"type": "number", "minimum": 5})
        );
        // < 3 is tighter than maximum 10.
        assert_eq!(
            via_components(json!({"type": "number", "maximum": 10, "exclusiveMaximum": 3})),
            json!({"type": "number", "maximum": 3, "exclusiveMaximum": true})
        );
        // Already the 3.0 boolean form: untouched.
        assert_eq!(
            via_components(json!({"type": "number", "minimum": 1, "exclusiveMinimum": true})),
            json!({"type": "number", "minimum": 1, "exclusiveMinimum": true})
        );
    }

    #[test]
    fn dropped_keywords() {
        assert_eq!(
            via_components(json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "propertyNames": {"pattern": "^[a-z]+$"},
                "additionalProperties": {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"},
            })),
            json!({"type": "object", "additionalProperties": {"type": "string"}})
        );
    }

    #[test]
    fn const_becomes_enum() {
        assert_eq!(
            via_components(json!({"type": "string", "const": "Bearer"})),
            json!({"type": "string", "enum": ["Bearer"]})
        );
    }

    #[test]
    fn properties_named_like_keywords_are_not_mangled() {
        let out = via_components(json!({
            "type": "object",
            "required": ["const", "type", "examples"],
            "properties": {
                "const": {"type": ["string", "null"], "const": "x"},
                "type": {"type": "string", "examples": ["a"]},
                "examples": {"type": "array", "items": {"type": "string"}},
                "propertyNames": {"type": "integer", "exclusiveMinimum": 1},
            },
        }));
        assert_eq!(
            out,
            json!({
                "type": "object",
                "required": ["const", "type", "examples"],
                "properties": {
                    "const": {"type": "string", "nullable": true, "enum": ["x"]},
                    "type": {"type": "string", "example": "a"},
                    "examples": {"type": "array", "items": {"type": "string"}},
                    "propertyNames": {"type": "integer", "minimum": 1, "exclusiveMinimum": true},
                },
            })
        );
    }

    #[test]
    fn nested_array_items_nullable_ref() {
        let out = via_components(json!({
            "type": "object",
            "properties": {
                "clients": {
                    "type": ["array", "null"],
                    "items": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/C"}]},
                },
                "meta": {
                    "type": "object",
                    "additionalProperties": {"type": ["integer", "null"], "format": "int64"},
                },
                "either": {"allOf": [{"not": {"type": ["string", "null"]}}]},
                "tuple": {"type": "array", "prefixItems": [{"type": ["boolean", "null"]}]},
            },
        }));
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": {
                    "clients": {
                        "type": "array",
                        "nullable": true,
                        "items": {"allOf": [{"$ref": "#/components/schemas/C"}], "nullable": true},
                    },
                    "meta": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "format": "int64", "nullable": true},
                    },
                    "either": {"allOf": [{"not": {"type": "string", "nullable": true}}]},
                    "tuple": {"type": "array", "prefixItems": [{"type": "boolean", "nullable": true}]},
                },
            })
        );
    }

    #[test]
    fn boolean_and_free_form_schemas_are_untouched() {
        assert_eq!(
            via_components(json!({"type": "object", "additionalProperties": true})),
            json!({"type": "object", "additionalProperties": true})
        );
        assert_eq!(via_components(json!({})), json!({}));
    }

    #[test]
    fn schemas_in_operations_are_rewritten() {
        let nullable_string = json!({"type": ["string", "null"]});
        let rewritten = json!({"type": "string", "nullable": true});
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/x/{id}": {
                "parameters": [{"name": "id", "in": "path", "schema": nullable_string}],
                "post": {
                    "parameters": [
                        {"name": "q", "in": "query", "schema": nullable_string},
                        {"name": "c", "in": "query", "content": {"application/json": {"schema": nullable_string}}},
                    ],
                    "requestBody": {"content": {"application/json": {
                        "schema": nullable_string,
                        "examples": {"one": {"value": {"type": "kept"}}},
                    }}},
                    "responses": {"200": {
                        "description": "ok",
                        "headers": {"Link": {"schema": nullable_string}},
                        "content": {"application/json": {"schema": nullable_string}},
                    }},
                    "callbacks": {"cb": {"{$request.body#/url}": {"post": {
                        "responses": {"200": {"description": "ok", "content": {"text/plain": {"schema": nullable_string}}}},
                    }}}},
                },
            }},
            "components": {
                "parameters": {"P": {"name": "p", "in": "query", "schema": nullable_string}},
                "requestBodies": {"B": {"content": {"application/json": {"schema": nullable_string}}}},
                "responses": {"R": {"description": "r", "content": {"application/json": {"schema": nullable_string}}}},
                "headers": {"H": {"schema": nullable_string}},
            },
        });
        let out = downgrade_to_3_0(doc);
        let item = &out["paths"]["/x/{id}"];
        assert_eq!(item["parameters"][0]["schema"], rewritten);
        let op = &item["post"];
        assert_eq!(op["parameters"][0]["schema"], rewritten);
        assert_eq!(
            op["parameters"][1]["content"]["application/json"]["schema"],
            rewritten
        );
        let media = &op["requestBody"]["content"]["application/json"];
        assert_eq!(media["schema"], rewritten);
        // A Media Type Object's `examples` map is valid 3.0 and not a schema keyword.
        assert_eq!(
            media["examples"],
            json!({"one": {"value": {"type": "kept"}}})
        );
        let response = &op["responses"]["200"];
        assert_eq!(response["headers"]["Link"]["schema"], rewritten);
        assert_eq!(response["content"]["application/json"]["schema"], rewritten);
        assert_eq!(
            op["callbacks"]["cb"]["{$request.body#/url}"]["post"]["responses"]["200"]["content"]["text/plain"]
                ["schema"],
            rewritten
        );
        let components = &out["components"];
        assert_eq!(components["parameters"]["P"]["schema"], rewritten);
        assert_eq!(
            components["requestBodies"]["B"]["content"]["application/json"]["schema"],
            rewritten
        );
        assert_eq!(
            components["responses"]["R"]["content"]["application/json"]["schema"],
            rewritten
        );
        assert_eq!(components["headers"]["H"]["schema"], rewritten);
    }

    #[test]
    fn responses_get_the_required_description() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/z": {"delete": {"responses": {
                "204": {},
                "400": {"$ref": "#/components/responses/E"},
                "404": {"description": "gone"},
            }}}},
            "components": {"responses": {"E": {"content": {}}}},
        });
        let out = downgrade_to_3_0(doc);
        let responses = &out["paths"]["/z"]["delete"]["responses"];
        assert_eq!(responses["204"], json!({"description": ""}));
        assert_eq!(
            responses["400"],
            json!({"$ref": "#/components/responses/E"})
        );
        assert_eq!(responses["404"], json!({"description": "gone"}));
        assert_eq!(
            out["components"]["responses"]["E"],
            json!({"description": "", "content": {}})
        );
    }

    #[test]
    fn non_schema_positions_are_not_rewritten() {
        // `type`/`const`/`examples` outside schema positions (here: in `info`, in an
        // extension, in a parameter's own `examples` map) stay as written.
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1", "x-const": {"const": 1, "type": ["a", "null"]}},
            "paths": {"/y": {"get": {
                "parameters": [{
                    "name": "q", "in": "query",
                    "schema": {"type": "string"},
                    "examples": {"e": {"value": "v"}},
                }],
                "responses": {},
            }}},
        });
        let out = downgrade_to_3_0(doc);
        assert_eq!(
            out["info"]["x-const"],
            json!({"const": 1, "type": ["a", "null"]})
        );
        assert_eq!(
            out["paths"]["/y"]["get"]["parameters"][0]["examples"],
            json!({"e": {"value": "v"}})
        );
    }
}
