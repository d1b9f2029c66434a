//! Loading verification keys: the development HS256 secret, PEM public keys, or a JWKS file.

use super::VerifyKey;
use anyhow::{bail, Context};
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::path::Path;

pub fn hs256(secret: &[u8]) -> VerifyKey {
    VerifyKey {
        kid: None,
        alg: Algorithm::HS256,
        key: DecodingKey::from_secret(secret),
    }
}

/// Reads a JWKS document (`{"keys": [...]}`) or one or more PEM public keys.
pub fn load_file(path: &Path) -> anyhow::Result<Vec<VerifyKey>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read ASN_JWT_KEYS file {}", path.display()))?;
    let keys = if text.trim_start().starts_with('{') {
        from_jwks(&text)?
    } else {
        from_pem(&text)?
    };
    if keys.is_empty() {
        bail!("ASN_JWT_KEYS file {} holds no key", path.display());
    }
    Ok(keys)
}

fn from_jwks(text: &str) -> anyhow::Result<Vec<VerifyKey>> {
    let set: JwkSet = serde_json::from_str(text).context("ASN_JWT_KEYS is not a JWKS document")?;
    set.keys
        .iter()
        .map(|jwk| {
            let alg =
                match (&jwk.common.key_algorithm, &jwk.algorithm) {
                    (Some(KeyAlgorithm::RS256), _) | (None, AlgorithmParameters::RSA(_)) => {
                        Algorithm::RS256
                    }
                    (Some(KeyAlgorithm::ES256), _)
                    | (None, AlgorithmParameters::EllipticCurve(_)) => Algorithm::ES256,
                    (Some(KeyAlgorithm::EdDSA), _)
                    | (None, AlgorithmParameters::OctetKeyPair(_)) => Algorithm::EdDSA,
                    (other, _) => bail!(
                        "JWKS key {:?}: algorithm {other:?} is not accepted (RS256, ES256, EdDSA)",
                        jwk.common.key_id
                    ),
                };
            let key = DecodingKey::from_jwk(jwk).context("JWKS key cannot be used")?;
            Ok(VerifyKey {
                kid: jwk.common.key_id.clone(),
                alg,
                key,
            })
        })
        .collect()
}

fn from_pem(text: &str) -> anyhow::Result<Vec<VerifyKey>> {
    let mut keys = Vec::new();
    for block in text
        .split_inclusive("-----END PUBLIC KEY-----")
        .filter(|b| b.contains("-----BEGIN"))
    {
        let pem = block.trim().as_bytes();
        let key = if let Ok(k) = DecodingKey::from_rsa_pem(pem).map(|k| (Algorithm::RS256, k)) {
            k
        } else if let Ok(k) = DecodingKey::from_ec_pem(pem).map(|k| (Algorithm::ES256, k)) {
            k
        } else if let Ok(k) = DecodingKey::from_ed_pem(pem).map(|k| (Algorithm::EdDSA, k)) {
            k
        } else {
            bail!("a PEM block in ASN_JWT_KEYS is not an RSA, EC P-256 or Ed25519 public key");
        };
        keys.push(VerifyKey {
            kid: None,
            alg: key.0,
            key: key.1,
        });
    }
    Ok(keys)
}

/// Reads the development secret from `dir/jwt-secret`, generating it on first use.
/// `Ok((secret, created))`.
pub fn dev_secret(dir: &Path) -> anyhow::Result<(String, bool)> {
    let path = dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let s = existing.trim().to_string();
        if s.len() >= 32 {
            return Ok((s, false));
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let bytes: [u8; 32] = rand::random();
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    crate::keyfile::write_private(&path, &secret)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok((secret, true))
}
