//! One error vocabulary: every code the server answers is an engine `Code` or a
//! `ServerCode`, each server code has one status, and the OpenAPI document and the
//! package's types name exactly these codes.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

use drawdown::error::{Code, ALL};
use drawdown::server::outcome::{ServerCode, STATUSES};
use std::collections::BTreeSet;

fn engine_codes() -> BTreeSet<&'static str> {
    ALL.iter().map(|c| c.as_str()).collect()
}

fn server_codes() -> BTreeSet<&'static str> {
    ServerCode::ALL.iter().map(|c| c.as_str()).collect()
}

#[test]
fn server_codes_are_snake_case_once_and_apart_from_the_engines() {
    let names: Vec<&str> = ServerCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(names.len(), server_codes().len(), "a server code twice");
    for n in &names {
        assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{n}");
        assert!(
            Code::parse(n).is_none(),
            "{n} is an engine code: use Code::{n}"
        );
    }
}

#[test]
fn every_server_code_has_a_status_of_the_contract() {
    for c in ServerCode::ALL {
        let status = c.kind().status();
        assert!(
            STATUSES.iter().any(|(_, s)| *s == status) && status >= 400,
            "{} answers {status}",
            c.as_str()
        );
    }
    assert_eq!(ServerCode::AccountNotFound.kind().status(), 404);
    assert_eq!(ServerCode::InsufficientScope.kind().status(), 403);
    assert_eq!(ServerCode::StoreUnavailable.kind().status(), 503);
}

#[test]
fn the_openapi_document_names_every_code_and_no_other() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../docs/openapi.json")).expect("openapi.json");
    let listed: BTreeSet<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("an ErrorCode enum")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let ours: BTreeSet<&str> = engine_codes().union(&server_codes()).copied().collect();
    assert_eq!(listed, ours);
    assert_eq!(
        doc["components"]["schemas"]["Error"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
}

#[test]
fn the_package_types_name_every_server_code() {
    let types = include_str!("../js/types.d.ts");
    let start = types
        .find("export type ServerErrorCode")
        .expect("ServerErrorCode");
    let union = &types[start..];
    let union = &union[..union.find(';').expect("the union ends")];
    assert!(union.contains("| DrawdownErrorCode"));
    let named: BTreeSet<&str> = union.split('"').skip(1).step_by(2).collect();
    assert_eq!(named, server_codes());
}
