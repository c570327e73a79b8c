//! `Client`: who is calling (IP and user agent), for sessions and rate limits.
//! The IP is the socket's unless the socket is a configured trusted proxy.

use std::{
    future::{ready, Ready},
    net::IpAddr,
};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use studio_auth::ClientInfo;
use studio_core::Config;

pub struct Client(pub ClientInfo);

pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    // Walk X-Forwarded-For from the right: the first hop that is not one of our proxies.
    let forwarded = req.headers().get("x-forwarded-for")?.to_str().ok()?;
    forwarded
        .rsplit(',')
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .or(Some(peer))
}

impl FromRequest for Client {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted = req
            .app_data::<web::Data<Config>>()
            .map(|c| c.trusted_proxies.as_slice())
            .unwrap_or_default();
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        ready(Ok(Client(ClientInfo {
            ip: client_ip(req, trusted).map(|ip| ip.to_string()),
            user_agent,
        })))
    }
}
