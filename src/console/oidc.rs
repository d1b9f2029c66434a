//! Sign-in with OpenID Connect: authorization code with PKCE (S256), `state` and `nonce`,
//! through the maintained `openidconnect` client. The provider is discovered on first use;
//! the pending request (nonce, PKCE verifier) is kept server-side under the `state`'s hash
//! and used once. Scopes and agency come from configured claims of the userinfo response.

use super::session::{self, Person};
use super::{lang_of, Fail, OrPage};
use crate::auth::Scope;
use crate::clock::Clock;
use crate::db::{self, console as store, Pool};
use crate::error::{ApiError, ErrorCode};
use crate::i18n::L10n;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// `ASN_OIDC_ISSUER`
    pub issuer: String,
    /// `ASN_OIDC_CLIENT_ID`
    pub client_id: String,
    /// `ASN_OIDC_CLIENT_SECRET` (none for a public client: PKCE alone)
    pub client_secret: Option<String>,
    /// `ASN_OIDC_REDIRECT_URL`: this service's `/console/sign-in/callback`
    pub redirect_url: String,
    /// Scopes asked of the provider besides `openid` (`ASN_OIDC_SCOPES`, default `profile`).
    pub request_scopes: Vec<String>,
    /// The claim listing this service's scopes (`ASN_OIDC_SCOPES_CLAIM`, default `asn_scopes`):
    /// a space-separated string or an array.
    pub scopes_claim: String,
    /// The claim naming the agency a writer is limited to (`ASN_OIDC_AGENCY_CLAIM`, `agency`).
    pub agency_claim: String,
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The configured provider, discovered once.
pub struct Provider {
    settings: OidcSettings,
    http: openidconnect::reqwest::Client,
    client: tokio::sync::OnceCell<Client>,
}

/// Every claim the userinfo endpoint sent beyond the standard ones.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Extra {
    #[serde(flatten)]
    claims: HashMap<String, serde_json::Value>,
}
impl AdditionalClaims for Extra {}

fn refused(why: impl Into<String>) -> ApiError {
    let why = why.into();
    ApiError::with_detail(
        ErrorCode::Unauthorized,
        format!("Masuk melalui SSO gagal: {why}"),
        format!("Signing in with SSO failed: {why}"),
    )
}

impl Provider {
    pub fn new(settings: OidcSettings) -> anyhow::Result<Provider> {
        IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| anyhow::anyhow!("ASN_OIDC_ISSUER is not a URL: {e}"))?;
        RedirectUrl::new(settings.redirect_url.clone())
            .map_err(|e| anyhow::anyhow!("ASN_OIDC_REDIRECT_URL is not a URL: {e}"))?;
        let http = openidconnect::reqwest::ClientBuilder::new()
            // The provider's answers are read as sent, never followed elsewhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(Provider {
            settings,
            http,
            client: tokio::sync::OnceCell::new(),
        })
    }

    async fn client(&self) -> Result<&Client, ApiError> {
        self.client
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.settings.issuer.clone())
                    .map_err(|e| ApiError::internal(e.into()))?;
                let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| {
                        tracing::warn!(error = %e, "OpenID provider discovery failed");
                        ApiError::unavailable(anyhow::anyhow!("OpenID discovery: {e}"))
                    })?;
                let redirect = RedirectUrl::new(self.settings.redirect_url.clone())
                    .map_err(|e| ApiError::internal(e.into()))?;
                Ok(CoreClient::from_provider_metadata(
                    metadata,
                    ClientId::new(self.settings.client_id.clone()),
                    self.settings.client_secret.clone().map(ClientSecret::new),
                )
                .set_redirect_uri(redirect))
            })
            .await
    }

    /// The scopes of this service a claim value names (unknown ones ignored).
    fn scopes(&self, claims: &HashMap<String, serde_json::Value>) -> String {
        let named: Vec<String> = match claims.get(&self.settings.scopes_claim) {
            Some(serde_json::Value::String(s)) => {
                s.split_whitespace().map(str::to_string).collect()
            }
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        let mut kept: Vec<String> = named
            .into_iter()
            .filter(|s| known.contains(&s.as_str()))
            .collect();
        kept.sort();
        kept.dedup();
        kept.join(" ")
    }
}

fn parts(req: &HttpRequest) -> Option<(&Provider, Pool, Clock)> {
    let console = req.app_data::<web::Data<super::Console>>()?;
    let pool = req.app_data::<web::Data<Pool>>()?;
    let clock = req.app_data::<web::Data<Clock>>()?;
    Some((
        console.provider.as_ref()?,
        pool.get_ref().clone(),
        *clock.get_ref(),
    ))
}

/// `GET /console/sign-in/oidc`: sends the browser to the provider.
pub async fn start(req: HttpRequest) -> Result<HttpResponse, Fail> {
    let (lang, _) = lang_of(&req);
    let (provider, pool, clock) = parts(&req).ok_or(Fail::not_found(lang))?;
    let client = provider.client().await.or_page(lang)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for s in &provider.settings.request_scopes {
        request = request.add_scope(openidconnect::Scope::new(s.clone()));
    }
    let (url, state, nonce) = request.url();
    let row = store::SigninRow {
        key_hash: session::digest(state.secret()),
        kind: "oidc".into(),
        sub: None,
        scopes: None,
        agency: None,
        nonce: Some(nonce.secret().clone()),
        pkce_verifier: Some(verifier.secret().clone()),
        expires_at: clock.now_naive() + session::LINK_TTL,
    };
    db::run(&pool, move |c| Ok(store::insert_signin(c, &row)?))
        .await
        .or_page(lang)?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /console/sign-in/callback`: the provider's answer; a verified ID token and its
/// userinfo start a session.
pub async fn callback(req: HttpRequest, q: web::Query<Callback>) -> Result<HttpResponse, Fail> {
    let (lang, _) = lang_of(&req);
    let (provider, pool, clock) = parts(&req).ok_or(Fail::not_found(lang))?;
    if let Some(error) = &q.error {
        return Err(Fail::api(lang, refused(format!("provider: {error}"))));
    }
    let (Some(code), Some(state)) = (q.code.clone(), q.state.as_deref()) else {
        return Err(Fail::bad_request(
            lang,
            L10n::new(
                "Jawaban penyedia tidak lengkap",
                "The provider's answer is incomplete",
            ),
        ));
    };
    let (hash, now) = (session::digest(state), clock.now_naive());
    let pending = db::run(&pool, move |c| {
        Ok(store::take_signin(c, &hash, "oidc", now)?)
    })
    .await
    .or_page(lang)?
    .ok_or_else(|| {
        Fail::bad_request(
            lang,
            L10n::new(
                "Permintaan masuk ini sudah dipakai atau kedaluwarsa; coba masuk lagi",
                "This sign-in request has been used or has expired; sign in again",
            ),
        )
    })?;
    let person = provider.person(code, pending).await.or_page(lang)?;
    let id = db::run(&pool, move |c| Ok(session::create(c, person, now)?))
        .await
        .or_page(lang)?;
    Ok(session::signed_in(&req, id))
}

impl Provider {
    /// Exchanges the code (with the PKCE verifier), verifies the ID token (signature,
    /// issuer, audience, expiry, nonce) and reads the claims the session needs.
    async fn person(&self, code: String, pending: store::SigninRow) -> Result<Person, ApiError> {
        let client = self.client().await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| refused(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(
                pending.pkce_verifier.unwrap_or_default(),
            ))
            .request_async(&self.http)
            .await
            .map_err(|e| refused(format!("token exchange: {e}")))?;
        let id_token = token.id_token().ok_or_else(|| refused("no ID token"))?;
        let nonce = Nonce::new(pending.nonce.unwrap_or_default());
        let claims = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .map_err(|e| refused(format!("ID token: {e}")))?;
        let subject = claims.subject().clone();
        let info: UserInfoClaims<Extra, CoreGenderClaim> = client
            .user_info(token.access_token().clone(), Some(subject.clone()))
            .map_err(|e| refused(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| refused(format!("userinfo: {e}")))?;
        let extra = &info.additional_claims().claims;
        let name = info
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string())
            .or_else(|| info.preferred_username().map(|u| u.as_str().to_string()))
            .unwrap_or_else(|| subject.as_str().to_string());
        let agency = extra
            .get(&self.settings.agency_claim)
            .and_then(|v| v.as_str())
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        Ok(Person {
            sub: subject.as_str().to_string(),
            name,
            scopes: self.scopes(extra),
            agency,
        })
    }
}
