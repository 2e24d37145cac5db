use serde_json::json;

use super::*;

fn config(types: &[&str]) -> Config {
    let mut config = Config::default();
    config.oauth2.authorization_details.types_supported =
        types.iter().map(|t| (*t).to_owned()).collect();
    config
}

fn client(types: &[&str]) -> Client {
    Client {
        authorization_details_types: types.iter().map(|t| (*t).to_owned()).collect(),
        ..Client::default()
    }
}

#[test]
fn rfc9396_2_details_are_arrays_of_typed_objects() {
    let ok = parse(r#"[{"type":"payment_initiation","actions":["initiate"],"instructedAmount":{"currency":"EUR","amount":"123.50"}}]"#).unwrap();
    assert_eq!(ok.len(), 1);
    assert_eq!(type_of(&ok[0]), "payment_initiation");
    for bad in [
        "not json",
        r#"{"type":"x"}"#,
        r#"["x"]"#,
        r#"[{"actions":["read"]}]"#,
        r#"[{"type":""}]"#,
        r#"[{"type":7}]"#,
        r#"[{"type":"x","actions":"read"}]"#,
        r#"[{"type":"x","locations":[1]}]"#,
        r#"[{"type":"x","identifier":["a"]}]"#,
    ] {
        let err = parse(bad).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidAuthorizationDetails, "{bad}");
    }
}

#[test]
fn rfc9396_2_details_are_bounded() {
    let long = format!(r#"[{{"type":"x","pad":"{}"}}]"#, "a".repeat(MAX_JSON_LEN));
    assert!(parse(&long).is_err());
    let many = format!("[{}]", vec![r#"{"type":"x"}"#; MAX_ENTRIES + 1].join(","));
    assert!(parse(&many).is_err());
    let deep = format!(
        r#"[{{"type":"x","n":{}1{}}}]"#,
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    );
    assert!(parse(&deep).is_err());
    let shallow = r#"[{"type":"x","n":[[1]]}]"#;
    assert!(parse(shallow).is_ok());
}

#[test]
fn rfc9396_5_types_must_be_supported_and_registered() {
    let details = parse(r#"[{"type":"payment"}]"#).unwrap();
    assert!(check_allowed(&details, &config(&["payment"]), &client(&["payment"])).is_ok());
    let unsupported = check_allowed(&details, &config(&[]), &client(&["payment"])).unwrap_err();
    assert!(unsupported.hint.unwrap().contains("not supported"));
    let unregistered =
        check_allowed(&details, &config(&["payment"]), &client(&["other"])).unwrap_err();
    assert!(unregistered.hint.unwrap().contains("not allowed"));
}

#[test]
fn rfc9396_7_consent_grants_only_requested_types() {
    let requested = parse(r#"[{"type":"a","actions":["read","write"]}]"#).unwrap();
    let narrowed = vec![json!({"type":"a","actions":["read"]})];
    assert_eq!(
        granted_by_consent(Some(narrowed.clone()), &requested).unwrap(),
        narrowed
    );
    assert!(granted_by_consent(None, &requested).unwrap().is_empty());
    let other = vec![json!({"type":"b"})];
    assert!(granted_by_consent(Some(other), &requested).is_err());
    let malformed = vec![json!({"actions":["read"]})];
    assert!(granted_by_consent(Some(malformed), &requested).is_err());
}

#[test]
fn rfc9396_6_2_token_requests_only_narrow() {
    let granted = json!({"type":"a","actions":["read","write"],"locations":["https://a.example/"]});
    assert!(within(
        &json!({"type":"a","actions":["read"],"locations":["https://a.example/"]}),
        &granted
    ));
    assert!(within(&granted, &granted));
    assert!(!within(
        &json!({"type":"a","actions":["delete"],"locations":["https://a.example/"]}),
        &granted
    ));
    assert!(!within(&json!({"type":"a","actions":["read"]}), &granted));
    assert!(!within(
        &json!({"type":"b","actions":["read"],"locations":["https://a.example/"]}),
        &granted
    ));
    let form = FormParams::from_pairs(&[(
        "authorization_details",
        r#"[{"type":"a","actions":["read"],"locations":["https://a.example/"]}]"#,
    )]);
    assert_eq!(
        narrowed(&form, std::slice::from_ref(&granted))
            .unwrap()
            .len(),
        1
    );
    let wider = FormParams::from_pairs(&[(
        "authorization_details",
        r#"[{"type":"a","actions":["admin"],"locations":["https://a.example/"]}]"#,
    )]);
    let err = narrowed(&wider, std::slice::from_ref(&granted)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidAuthorizationDetails);
    assert_eq!(
        narrowed(&FormParams::from_pairs(&[]), std::slice::from_ref(&granted)).unwrap(),
        vec![granted]
    );
}
