//! The DigitalOcean Apps API as a spec source: `GET /v2/apps`, every page,
//! with rate limits and transient errors handled. The live spec is what
//! actually deploys — the incident's `stamp head` was only there.

use serde_json::Value;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the DigitalOcean API rejected the token (HTTP {0}); check its scopes and expiry")]
    Unauthorized(u16),
    #[error("DigitalOcean API request to {url} failed: {message}")]
    Request { url: String, message: String },
    #[error("DigitalOcean API answered HTTP {status} for {url}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    #[error("DigitalOcean API response from {url} is not the documented format: {message}")]
    Format { url: String, message: String },
}

/// A client for the Apps API.
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    /// Longest single wait for a rate limit to reset.
    pub max_rate_limit_wait: Duration,
}

/// One live app: its id and spec.
#[derive(Debug, Clone)]
pub struct LiveApp {
    pub id: String,
    pub name: String,
    pub spec: Value,
}

impl Client {
    pub fn new(base: &str, token: String) -> Result<Client, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("preflight/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Request {
                url: base.into(),
                message: e.to_string(),
            })?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            token,
            max_rate_limit_wait: Duration::from_secs(60),
        })
    }

    /// Every app of the account, following `links.pages.next`.
    pub async fn list_apps(&self) -> Result<Vec<LiveApp>, ApiError> {
        let mut url = format!("{}/v2/apps?page=1&per_page=100", self.base);
        let mut apps = Vec::new();
        for _ in 0..1000 {
            let page = self.get(&url).await?;
            let items = page
                .get("apps")
                .map(|a| {
                    a.as_array().cloned().ok_or_else(|| ApiError::Format {
                        url: url.clone(),
                        message: "`apps` is not a list".into(),
                    })
                })
                .transpose()?
                .unwrap_or_default();
            for a in items {
                let id = a
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let Some(spec) = a.get("spec").cloned() else {
                    continue;
                };
                let name = spec
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                apps.push(LiveApp { id, name, spec });
            }
            match page.pointer("/links/pages/next").and_then(Value::as_str) {
                // Follow the API's own link, but only on the configured host.
                Some(next) if !next.is_empty() => {
                    url = match next.find("/v2/") {
                        Some(i) => format!("{}{}", self.base, &next[i..]),
                        None => {
                            return Err(ApiError::Format {
                                url,
                                message: format!("unexpected next-page link `{next}`"),
                            });
                        }
                    }
                }
                _ => return Ok(apps),
            }
        }
        Ok(apps)
    }

    /// The live app whose id or spec name is `app`.
    pub async fn find_app(&self, app: &str) -> Result<Option<LiveApp>, ApiError> {
        Ok(self
            .list_apps()
            .await?
            .into_iter()
            .find(|a| a.id == app || a.name == app))
    }

    /// GET with retries: 429 waits for the rate limit to reset (`Retry-After`,
    /// `ratelimit-reset`), 5xx and network errors back off; 401/403 fail at once.
    async fn get(&self, url: &str) -> Result<Value, ApiError> {
        let mut wait = Duration::from_millis(500);
        let mut last = None;
        for _attempt in 0..5 {
            let sent = self
                .http
                .get(url)
                .bearer_auth(&self.token)
                .header("accept", "application/json")
                .send()
                .await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    last = Some(ApiError::Request {
                        url: url.into(),
                        message: e.without_url().to_string(),
                    });
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    continue;
                }
            };
            let status = resp.status().as_u16();
            match status {
                200..=299 => {
                    return resp.json::<Value>().await.map_err(|e| ApiError::Format {
                        url: url.into(),
                        message: e.without_url().to_string(),
                    });
                }
                401 | 403 => return Err(ApiError::Unauthorized(status)),
                429 => {
                    let delay = rate_limit_delay(resp.headers())
                        .unwrap_or(wait)
                        .min(self.max_rate_limit_wait);
                    tracing::warn!(
                        url,
                        delay_ms = delay.as_millis() as u64,
                        "DigitalOcean API rate limit hit; waiting"
                    );
                    last = Some(ApiError::Status {
                        url: url.into(),
                        status,
                        message: "rate limited".into(),
                    });
                    tokio::time::sleep(delay).await;
                }
                500..=599 => {
                    last = Some(ApiError::Status {
                        url: url.into(),
                        status,
                        message: api_message(resp).await,
                    });
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                _ => {
                    return Err(ApiError::Status {
                        url: url.into(),
                        status,
                        message: api_message(resp).await,
                    });
                }
            }
        }
        Err(last.unwrap_or_else(|| ApiError::Request {
            url: url.into(),
            message: "no response".into(),
        }))
    }
}

/// The API's error body is `{"id": "...", "message": "..."}`.
async fn api_message(resp: reqwest::Response) -> String {
    let body = resp.text().await.unwrap_or_default();
    serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(String::from))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

fn rate_limit_delay(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(s) = h
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_secs(s));
    }
    // `ratelimit-reset` is a Unix time.
    let reset = h
        .get("ratelimit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
}
