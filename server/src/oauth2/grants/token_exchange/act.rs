//! RFC 8693 §4.1 `act` (who acts for the subject, earlier actors nested) and §4.4
//! `may_act` (who may).

use serde_json::{Map, Value, json};

use super::presented::Presented;
use crate::error::OAuth2Error;

/// The deepest `act` chain accepted or issued: each delegation nests the previous
/// chain one level deeper, so this bounds the claims a chain of exchanges can grow.
pub const MAX_ACT_DEPTH: usize = 8;

/// The party taking part in an exchange as actor: the actor token's subject, or for
/// impersonation the requesting client.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub subject: &'a str,
    /// `None` for the requesting client (known to this server only by its id).
    pub issuer: Option<&'a str>,
}

/// How many actors `act` names (0 for none).
fn depth(act: Option<&Value>) -> usize {
    let mut depth = 0;
    let mut current = act;
    while let Some(Value::Object(map)) = current {
        depth += 1;
        current = map.get("act");
    }
    depth
}

/// RFC 8693 §4.4: when the subject token names who may act for its subject, the actor
/// must be that party: `may_act.sub` equal to the actor's subject and, if given,
/// `may_act.iss` to its issuer. An unreadable `may_act` allows no one.
pub fn check_may_act(subject: &Presented, actor: Actor<'_>) -> Result<(), OAuth2Error> {
    let Some(may_act) = &subject.may_act else {
        return Ok(());
    };
    let allowed = may_act.as_object().is_some_and(|map: &Map<String, Value>| {
        let sub = map.get("sub").and_then(Value::as_str) == Some(actor.subject);
        let iss = match (map.get("iss"), actor.issuer) {
            (None, _) => true,
            (Some(Value::String(iss)), Some(actor_iss)) => iss == actor_iss,
            _ => false,
        };
        sub && iss
    });
    if allowed {
        Ok(())
    } else {
        Err(OAuth2Error::invalid_request(format!(
            "The subject_token's may_act claim does not name '{}' as a party that may act for its subject (RFC 8693 Section 4.4).",
            actor.subject.chars().take(100).collect::<String>()
        )))
    }
}

/// The `act` claim of the issued token. Delegation (an actor token): the actor, with
/// the subject token's own `act` nested as the prior chain (§4.1: "the least recent
/// actor is the most deeply nested"); the actor's `iss` is named when it is not this
/// server. Impersonation: the subject token's chain, unchanged.
pub fn issued_act(
    subject: &Presented,
    actor: Option<&Presented>,
    our_issuer: &str,
) -> Result<Option<Value>, OAuth2Error> {
    let prior = subject.act.clone().filter(Value::is_object);
    let Some(actor) = actor else {
        return Ok(prior);
    };
    if depth(prior.as_ref()) >= MAX_ACT_DEPTH {
        return Err(OAuth2Error::invalid_request(format!(
            "The subject_token already names {MAX_ACT_DEPTH} actors; a delegation chain may not grow longer."
        )));
    }
    let mut act = json!({ "sub": actor.subject });
    if let Value::Object(map) = &mut act {
        if actor.issuer != our_issuer {
            map.insert("iss".to_owned(), json!(actor.issuer));
        }
        if let Some(prior) = prior {
            map.insert("act".to_owned(), prior);
        }
    }
    Ok(Some(act))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(subject: &str, act: Option<Value>, may_act: Option<Value>) -> Presented {
        Presented {
            issuer: "https://as.example/".into(),
            subject: subject.into(),
            scope: Vec::new(),
            family_id: None,
            expires_at: None,
            act,
            may_act,
            id_token: None,
            authorization_details: Vec::new(),
        }
    }

    #[test]
    fn delegation_nests_the_prior_chain() {
        let ours = "https://as.example/";
        let subject = token("alice", Some(json!({"sub": "svc-a"})), None);
        let actor = token("svc-b", None, None);
        let act = issued_act(&subject, Some(&actor), ours).unwrap().unwrap();
        assert_eq!(act, json!({"sub": "svc-b", "act": {"sub": "svc-a"}}));
        let mut foreign = actor.clone();
        foreign.issuer = "https://idp.example".into();
        let act = issued_act(&subject, Some(&foreign), ours).unwrap().unwrap();
        assert_eq!(act["iss"], "https://idp.example");
        assert_eq!(
            issued_act(&subject, None, ours).unwrap(),
            Some(json!({"sub": "svc-a"})),
            "impersonation keeps the chain"
        );
    }

    #[test]
    fn chains_are_bounded() {
        let mut chain = json!({"sub": "a0"});
        for i in 1..MAX_ACT_DEPTH {
            chain = json!({"sub": format!("a{i}"), "act": chain});
        }
        let subject = token("alice", Some(chain), None);
        let actor = token("next", None, None);
        assert!(issued_act(&subject, Some(&actor), "x").is_err());
    }

    #[test]
    fn may_act_names_the_actor() {
        let subject = token(
            "alice",
            None,
            Some(json!({"sub": "svc", "iss": "https://idp.example"})),
        );
        let ok = Actor {
            subject: "svc",
            issuer: Some("https://idp.example"),
        };
        assert!(check_may_act(&subject, ok).is_ok());
        for bad in [
            Actor {
                subject: "other",
                issuer: Some("https://idp.example"),
            },
            Actor {
                subject: "svc",
                issuer: Some("https://evil.example"),
            },
            Actor {
                subject: "svc",
                issuer: None,
            },
        ] {
            assert!(check_may_act(&subject, bad).is_err(), "{bad:?}");
        }
        let any_issuer = token("alice", None, Some(json!({"sub": "svc"})));
        assert!(
            check_may_act(
                &any_issuer,
                Actor {
                    subject: "svc",
                    issuer: None
                }
            )
            .is_ok()
        );
        let garbage = token("alice", None, Some(json!("svc")));
        assert!(check_may_act(&garbage, ok).is_err());
        assert!(check_may_act(&token("alice", None, None), ok).is_ok());
    }
}
