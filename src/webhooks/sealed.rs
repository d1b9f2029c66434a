//! Webhook signing secrets at rest: sealed with AES-256-GCM (aws-lc-rs) under a configured
//! key, so a copy of the database does not hand out the keys that prove a delivery genuine.
//!
//! Stored as `enc:v1:<kid>:<base64(nonce ‖ ciphertext ‖ tag)>`, where `kid` is the first 16
//! hex digits of SHA-256 of the key and the subscription id is the associated data (a sealed
//! secret moved to another row does not open). Rotation: set `ASN_WEBHOOK_SECRET_KEY` to the
//! new key and list the old one in `ASN_WEBHOOK_SECRET_PREVIOUS_KEYS`; secrets sealed under it
//! still open, and every secret still in plaintext or under an old key is sealed again under
//! the new one when the service starts. The embedded default generates the key into the data
//! directory, like the receipt key.

use anyhow::{bail, Context};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const PREFIX: &str = "enc:v1:";

struct SealKey {
    kid: String,
    key: LessSafeKey,
}

impl SealKey {
    fn new(raw: &[u8]) -> anyhow::Result<SealKey> {
        if raw.len() != 32 {
            bail!(
                "a webhook secret key is 32 bytes (base64 in its file), not {}",
                raw.len()
            );
        }
        let kid = hex::encode(&Sha256::digest(raw)[..8]);
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, raw)
                .map_err(|_| anyhow::anyhow!("not an AES-256 key"))?,
        );
        Ok(SealKey { kid, key })
    }
}

/// The key that seals new secrets, and the retired ones that still open old ones.
pub struct Sealer {
    current: SealKey,
    previous: Vec<SealKey>,
}

fn read_key(path: &Path) -> anyhow::Result<SealKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read webhook secret key {}", path.display()))?;
    let raw = STANDARD
        .decode(text.trim())
        .with_context(|| format!("{} is not base64", path.display()))?;
    SealKey::new(&raw).with_context(|| path.display().to_string())
}

impl Sealer {
    /// The configured key, or the development key in `data_dir` (generated on first use).
    pub fn load(
        key_file: Option<&Path>,
        previous: &[PathBuf],
        data_dir: &Path,
    ) -> anyhow::Result<Sealer> {
        let current = match key_file {
            Some(path) => read_key(path).context("ASN_WEBHOOK_SECRET_KEY")?,
            None => {
                let path = data_dir.join("webhook-secret.key");
                if !path.exists() {
                    let mut raw = [0u8; 32];
                    SystemRandom::new()
                        .fill(&mut raw)
                        .map_err(|_| anyhow::anyhow!("no randomness for a webhook secret key"))?;
                    std::fs::create_dir_all(data_dir)
                        .with_context(|| format!("cannot create {}", data_dir.display()))?;
                    crate::keyfile::write_private(&path, &STANDARD.encode(raw))
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                read_key(&path)?
            }
        };
        let previous = previous
            .iter()
            .map(|p| read_key(p).context("ASN_WEBHOOK_SECRET_PREVIOUS_KEYS"))
            .collect::<anyhow::Result<_>>()?;
        Ok(Sealer { current, previous })
    }

    /// `secret` sealed for the subscription `id`.
    pub fn seal(&self, id: &str, secret: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("no randomness for a nonce"))?;
        let mut data = secret.as_bytes().to_vec();
        self.current
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(id.as_bytes()),
                &mut data,
            )
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let sealed = [&nonce[..], &data].concat();
        Ok(format!(
            "{PREFIX}{}:{}",
            self.current.kid,
            STANDARD.encode(sealed)
        ))
    }

    /// The secret as stored opened: sealed under the current or a previous key, or (a row
    /// from before secrets were sealed) plaintext.
    pub fn open(&self, id: &str, stored: &str) -> anyhow::Result<String> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let (kid, b64) = rest
            .split_once(':')
            .context("a sealed secret names its key")?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.kid == kid)
            .with_context(|| format!("no configured key {kid} opens this secret"))?;
        let raw = STANDARD.decode(b64).context("a sealed secret is base64")?;
        if raw.len() < NONCE_LEN {
            bail!("a sealed secret is too short");
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let mut data = sealed.to_vec();
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| anyhow::anyhow!("bad nonce"))?;
        let plain = key
            .key
            .open_in_place(nonce, Aad::from(id.as_bytes()), &mut data)
            .map_err(|_| {
                anyhow::anyhow!("the sealed secret does not open (tampered, or another row's)")
            })?;
        Ok(String::from_utf8(plain.to_vec())?)
    }

    /// Whether `stored` should be sealed again (plaintext, or under a retired key).
    pub fn needs_resealing(&self, stored: &str) -> bool {
        !stored.starts_with(&format!("{PREFIX}{}:", self.current.kid))
    }
}

/// Seals every stored secret that is still plaintext or under a retired key, in one
/// transaction; returns how many. Run at start, after a key rotation too.
pub fn reseal_all(conn: &mut crate::db::AnyConnection, sealer: &Sealer) -> anyhow::Result<usize> {
    crate::db::write_tx(conn, |c| -> anyhow::Result<usize> {
        let mut n = 0;
        for (id, stored) in crate::db::webhooks::all_secrets(c)? {
            if sealer.needs_resealing(&stored) {
                let secret = sealer.open(&id, &stored)?;
                crate::db::webhooks::set_secret(c, &id, &sealer.seal(&id, &secret)?)?;
                n += 1;
            }
        }
        Ok(n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_for_their_row_only_and_survive_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let old = Sealer::load(None, &[], dir.path()).unwrap();
        let sealed = old.seal("sub-1", "whsec_abc").unwrap();
        assert!(sealed.starts_with("enc:v1:") && !sealed.contains("whsec_abc"));
        assert_eq!(old.open("sub-1", &sealed).unwrap(), "whsec_abc");
        assert!(old.open("sub-2", &sealed).is_err(), "another row's secret");
        assert_eq!(old.open("sub-1", "whsec_plain").unwrap(), "whsec_plain");
        let new_key = dir.path().join("new.key");
        std::fs::write(&new_key, STANDARD.encode([7u8; 32])).unwrap();
        let rotated = Sealer::load(
            Some(&new_key),
            &[dir.path().join("webhook-secret.key")],
            dir.path(),
        )
        .unwrap();
        assert_eq!(rotated.open("sub-1", &sealed).unwrap(), "whsec_abc");
        assert!(rotated.needs_resealing(&sealed));
        assert!(!rotated.needs_resealing(&rotated.seal("sub-1", "whsec_abc").unwrap()));
        let unknown = Sealer::load(Some(&new_key), &[], dir.path()).unwrap();
        assert!(
            unknown.open("sub-1", &sealed).is_err(),
            "an unknown key opens nothing"
        );
    }
}
