//! JSON Web Keys. Key generation, signing and encryption at rest (josekit) arrive with the
//! OpenID Connect issue; this module already owns the wire shapes of RFC 7517.

pub mod wire;
