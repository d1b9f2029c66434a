//! Signed eligibility receipts: a compact JWS (EdDSA or ES256, signed with the key pair parsed
//! once at start) over what a decision said, verifiable offline against `GET /.well-known/jwks.json`.
//! Rotation: sign with a new key, list the old one in `ASN_RECEIPT_PREVIOUS_KEYS`; the JWKS
//! keeps publishing it, so every receipt it signed still verifies.

use crate::audit::canonical;
use anyhow::{bail, Context};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use jsonwebtoken::{Algorithm, Header};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The key that signs eligibility receipts, and the retired keys still published.
#[derive(Debug, Clone)]
pub struct ReceiptSettings {
    /// PKCS#8 PEM (Ed25519 or P-256); generated into the data directory when unset.
    pub key_file: Option<PathBuf>,
    /// PEM files (public or private) of earlier keys, kept in the JWKS so that receipts
    /// they signed still verify after a rotation.
    pub previous_keys: Vec<PathBuf>,
    /// `iss` of every receipt.
    pub issuer: String,
}

/// What a receipt asserts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptClaims {
    pub iss: String,
    /// The NIP.
    pub sub: String,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// The decision id.
    pub jti: String,
    pub decision_id: String,
    pub nip: String,
    pub purpose: String,
    pub as_of: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_known_at: Option<DateTime<Utc>>,
    pub outcome: String,
    pub eligible: bool,
    pub reason_codes: Vec<String>,
    /// The codes of the decision's notices (an open case where it does not decide).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notice_codes: Vec<String>,
    pub eligible_from: Option<NaiveDate>,
    pub policy_version: String,
}

/// A public key as the JWKS publishes it.
#[derive(Debug, Clone)]
struct PublicKey {
    alg: Algorithm,
    jwk: Value,
}

impl PublicKey {
    fn ed25519(x: &[u8]) -> PublicKey {
        let members = json!({ "crv": "Ed25519", "kty": "OKP", "x": B64URL.encode(x) });
        PublicKey::finish(Algorithm::EdDSA, "EdDSA", members)
    }

    /// `point`: the uncompressed SEC1 point (0x04 ‖ x ‖ y).
    fn p256(point: &[u8]) -> anyhow::Result<PublicKey> {
        if point.len() != 65 || point[0] != 4 {
            bail!("a P-256 public key is an uncompressed point of 65 bytes");
        }
        let members = json!({
            "crv": "P-256", "kty": "EC",
            "x": B64URL.encode(&point[1..33]), "y": B64URL.encode(&point[33..]),
        });
        Ok(PublicKey::finish(Algorithm::ES256, "ES256", members))
    }

    /// Adds `kid` (the RFC 7638 thumbprint of the required members), `alg` and `use`.
    fn finish(alg: Algorithm, alg_name: &str, mut jwk: Value) -> PublicKey {
        let kid = B64URL.encode(Sha256::digest(canonical(&jwk).as_bytes()));
        jwk["kid"] = json!(kid);
        jwk["alg"] = json!(alg_name);
        jwk["use"] = json!("sig");
        PublicKey { alg, jwk }
    }

    fn kid(&self) -> &str {
        self.jwk["kid"].as_str().unwrap_or_default()
    }
}

/// A private key, parsed once (jsonwebtoken would parse its PKCS#8 again for every signature).
enum KeyPairOf {
    Ed25519(Ed25519KeyPair),
    P256(EcdsaKeyPair, SystemRandom),
}

struct SigningKey {
    public: PublicKey,
    pair: KeyPairOf,
}

impl SigningKey {
    /// The JWS signature of `message`: Ed25519's 64 bytes, or ES256's fixed r ‖ s.
    fn sign(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        match &self.pair {
            KeyPairOf::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
            KeyPairOf::P256(k, rng) => Ok(k
                .sign(rng, message)
                .map_err(|_| anyhow::anyhow!("ES256 signing failed"))?
                .as_ref()
                .to_vec()),
        }
    }
}

/// Parses a PKCS#8 private key (Ed25519 or P-256) from its DER.
fn signing_key(der: &[u8]) -> anyhow::Result<SigningKey> {
    if let Ok(pair) = Ed25519KeyPair::from_pkcs8(der) {
        return Ok(SigningKey {
            public: PublicKey::ed25519(pair.public_key().as_ref()),
            pair: KeyPairOf::Ed25519(pair),
        });
    }
    if let Ok(pair) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
        return Ok(SigningKey {
            public: PublicKey::p256(pair.public_key().as_ref())?,
            pair: KeyPairOf::P256(pair, SystemRandom::new()),
        });
    }
    bail!("not a PKCS#8 Ed25519 or P-256 private key")
}

const ED25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
const P256_OID: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// The public half of a PEM file: a private key, or a SubjectPublicKeyInfo.
fn public_key_of(pem_text: &str) -> anyhow::Result<PublicKey> {
    let block = pem::parse(pem_text).context("not a PEM file")?;
    let der = block.contents();
    match block.tag() {
        "PRIVATE KEY" => Ok(signing_key(der)?.public),
        "PUBLIC KEY" if contains(der, ED25519_OID) && der.len() >= 32 => {
            Ok(PublicKey::ed25519(&der[der.len() - 32..]))
        }
        "PUBLIC KEY" if contains(der, P256_OID) && der.len() >= 65 => {
            PublicKey::p256(&der[der.len() - 65..])
        }
        other => bail!("a '{other}' PEM block is not an Ed25519 or P-256 key"),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The signer in force and every key the JWKS publishes.
pub struct Receipts {
    signer: SigningKey,
    /// The JWS protected header, base64url, the same for every receipt.
    header: String,
    published: Vec<PublicKey>,
    issuer: String,
}

impl Receipts {
    /// Loads the configured key, or the development key in `data_dir` (generated on first
    /// use). `Ok((receipts, true))` when a key was generated.
    pub fn load(settings: &ReceiptSettings, data_dir: &Path) -> anyhow::Result<(Receipts, bool)> {
        let (pem_text, generated) = match &settings.key_file {
            Some(path) => (
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read ASN_RECEIPT_KEY {}", path.display()))?,
                false,
            ),
            None => dev_key(data_dir)?,
        };
        let block = pem::parse(&pem_text).context("ASN_RECEIPT_KEY is not a PEM file")?;
        if block.tag() != "PRIVATE KEY" {
            bail!("ASN_RECEIPT_KEY must be a PKCS#8 'PRIVATE KEY' (Ed25519 or P-256)");
        }
        let signer = signing_key(block.contents()).context("ASN_RECEIPT_KEY")?;
        let mut published = vec![signer.public.clone()];
        for path in &settings.previous_keys {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("cannot read ASN_RECEIPT_PREVIOUS_KEYS {}", path.display())
            })?;
            let key = public_key_of(&text)
                .with_context(|| format!("ASN_RECEIPT_PREVIOUS_KEYS {}", path.display()))?;
            if published.iter().all(|k| k.kid() != key.kid()) {
                published.push(key);
            }
        }
        let mut header = Header::new(signer.public.alg);
        header.kid = Some(signer.public.kid().to_string());
        let header = B64URL.encode(serde_json::to_vec(&header)?);
        let receipts = Receipts {
            signer,
            header,
            published,
            issuer: settings.issuer.clone(),
        };
        Ok((receipts, generated))
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn kid(&self) -> &str {
        self.signer.public.kid()
    }

    /// `{"keys": [...]}`: the signing key first, then the retired ones.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.published.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// The compact JWS of `claims`: header, payload and signature, each base64url.
    pub fn sign(&self, claims: &ReceiptClaims) -> anyhow::Result<String> {
        let payload = B64URL.encode(serde_json::to_vec(claims)?);
        let mut jws = String::with_capacity(self.header.len() + payload.len() + 90);
        jws.push_str(&self.header);
        jws.push('.');
        jws.push_str(&payload);
        let signature = self.signer.sign(jws.as_bytes())?;
        jws.push('.');
        jws.push_str(&B64URL.encode(signature));
        Ok(jws)
    }
}

/// Verifies a receipt against a JWKS (`{"keys": [...]}`): the key named by its `kid`, the
/// algorithm that key is for (EdDSA or ES256), the signature over header and payload. The
/// reason it is refused otherwise, in words.
pub fn verify(receipt: &str, jwks: &Value) -> Result<ReceiptClaims, String> {
    let header = jsonwebtoken::decode_header(receipt.trim())
        .map_err(|_| "not a compact JWS receipt".to_string())?;
    if !matches!(header.alg, Algorithm::EdDSA | Algorithm::ES256) {
        return Err(format!("algorithm {:?} is not accepted", header.alg));
    }
    let jwk = jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|k| k["kid"].as_str().is_some() && k["kid"].as_str() == header.kid.as_deref())
        .ok_or_else(|| "signed with a key the JWKS does not list".to_string())?;
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone())
        .map_err(|e| format!("the JWKS key is unreadable: {e}"))?;
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk)
        .map_err(|e| format!("the JWKS key is unusable: {e}"))?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    jsonwebtoken::decode::<ReceiptClaims>(receipt.trim(), &key, &validation)
        .map(|d| d.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                "the signature does not match: the receipt was altered".to_string()
            }
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                "the key is not for this algorithm".to_string()
            }
            _ => format!("not a valid receipt: {e}"),
        })
}

/// The development key in `dir/receipt-key.pem`: read, or generated (Ed25519).
fn dev_key(dir: &Path) -> anyhow::Result<(String, bool)> {
    let path = dir.join("receipt-key.pem");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok((existing, false));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let doc = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
        .map_err(|_| anyhow::anyhow!("cannot generate an Ed25519 key"))?;
    let text = pem::encode(&pem::Pem::new("PRIVATE KEY", doc.as_ref().to_vec()));
    crate::keyfile::write_private(&path, &text)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok((text, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> ReceiptClaims {
        ReceiptClaims {
            iss: "asn-eligibility".into(),
            sub: "198503302010011002".into(),
            iat: 1_795_000_000,
            jti: "d-1".into(),
            decision_id: "d-1".into(),
            nip: "198503302010011002".into(),
            purpose: "promotion".into(),
            as_of: "2024-06-01".parse().unwrap(),
            as_known_at: None,
            outcome: "ineligible".into(),
            eligible: false,
            reason_codes: vec!["active_sanction".into()],
            notice_codes: vec![],
            eligible_from: Some("2025-03-25".parse().unwrap()),
            policy_version: "v1".into(),
        }
    }

    fn settings(key: Option<&Path>, previous: Vec<std::path::PathBuf>) -> ReceiptSettings {
        ReceiptSettings {
            key_file: key.map(Path::to_path_buf),
            previous_keys: previous,
            issuer: "asn-eligibility".into(),
        }
    }

    #[test]
    fn a_generated_key_signs_and_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (r, generated) = Receipts::load(&settings(None, vec![]), dir.path()).unwrap();
        assert!(generated);
        let (again, generated) = Receipts::load(&settings(None, vec![]), dir.path()).unwrap();
        assert!(!generated);
        assert_eq!(r.kid(), again.kid());
        let jwks = r.jwks();
        assert_eq!(jwks["keys"][0]["kty"], "OKP");
        assert_eq!(jwks["keys"][0]["kid"], r.kid());
        let token = r.sign(&claims()).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(
            (header.alg, header.kid.as_deref()),
            (Algorithm::EdDSA, Some(r.kid()))
        );
    }

    /// Each algorithm's receipt verifies against its published JWK, and only as signed; a
    /// key the JWKS does not list is refused.
    #[test]
    fn receipts_verify_against_the_published_key_for_both_algorithms() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let dir = tempfile::tempdir().unwrap();
        let mut jwks_seen = Vec::new();
        for key in [None, Some(fixtures.join("es256-private.pem"))] {
            let (r, _) = Receipts::load(&settings(key.as_deref(), vec![]), dir.path()).unwrap();
            let alg = r.signer.public.alg;
            let token = r.sign(&claims()).unwrap();
            assert_eq!(verify(&token, &r.jwks()), Ok(claims()), "{alg:?}");
            let mut other = claims();
            other.outcome = "eligible".into();
            let forged = r.sign(&other).unwrap();
            let parts: Vec<&str> = token.split('.').collect();
            let forged_parts: Vec<&str> = forged.split('.').collect();
            let spliced = format!("{}.{}.{}", parts[0], forged_parts[1], parts[2]);
            let refused = verify(&spliced, &r.jwks()).unwrap_err();
            assert!(refused.contains("altered"), "{alg:?}: {refused}");
            jwks_seen.push((token, r.jwks()));
        }
        // The EdDSA receipt against the ES256 key set: its kid is not listed.
        let refused = verify(&jwks_seen[0].0, &jwks_seen[1].1).unwrap_err();
        assert!(refused.contains("does not list"), "{refused}");
        assert!(verify("not.a.receipt", &jwks_seen[0].1).is_err());
    }

    #[test]
    fn p256_keys_and_retired_public_keys_are_published() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let es = fixtures.join("es256-private.pem");
        let ed_public = fixtures.join("ed25519-public.pem");
        let (r, _) = Receipts::load(
            &settings(Some(&es), vec![ed_public]),
            Path::new("/nonexistent"),
        )
        .unwrap();
        let keys = r.jwks()["keys"].as_array().unwrap().clone();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            (keys[0]["kty"].as_str(), keys[0]["alg"].as_str()),
            (Some("EC"), Some("ES256"))
        );
        assert_eq!(
            (keys[1]["kty"].as_str(), keys[1]["alg"].as_str()),
            (Some("OKP"), Some("EdDSA"))
        );
        // The published Ed25519 key is the one whose private half the fixtures hold.
        let (from_private, _) = Receipts::load(
            &settings(Some(&fixtures.join("ed25519-private.pem")), vec![]),
            Path::new("/nonexistent"),
        )
        .unwrap();
        assert_eq!(keys[1]["x"], from_private.jwks()["keys"][0]["x"]);
        assert_eq!(
            jsonwebtoken::decode_header(r.sign(&claims()).unwrap())
                .unwrap()
                .alg,
            Algorithm::ES256
        );
    }

    #[test]
    fn other_keys_are_refused_with_the_variable_named() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.pem");
        std::fs::write(&bad, "not a key").unwrap();
        let err = Receipts::load(&settings(Some(&bad), vec![]), dir.path())
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("ASN_RECEIPT_KEY"), "{err:#}");
    }
}
