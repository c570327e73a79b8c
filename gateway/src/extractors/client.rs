//! `Client`: who is calling (IP and user agent), for sessions and rate limits, and the
//! request's own origin. Forwarding headers are believed only from a configured trusted proxy:
//! from anyone else they are whatever the caller wants them to be.

use std::{
    future::{ready, Ready},
    net::{IpAddr, SocketAddr},
};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use studio_auth::ClientInfo;
use studio_core::Config;

pub struct Client(pub ClientInfo);

/// One `X-Forwarded-For` hop: `ip`, `ip:port` or `[v6]:port`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
}

/// The client's address: the socket's, unless the socket is a trusted proxy. Then every
/// `X-Forwarded-For` line is read (together they are one list), walking from the right past
/// our own proxies; the first untrusted hop is the client. An unparsable hop ends the walk
/// (nothing left of it can be believed), and the last trusted hop stands for the client.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(','))
        .collect();
    let mut nearest = peer;
    for hop in hops.into_iter().rev() {
        match parse_hop(hop) {
            Some(ip) if trusted.contains(&ip) => nearest = ip,
            Some(ip) => return Some(ip),
            None => break,
        }
    }
    Some(nearest)
}

/// `scheme://host` of the request as the client sent it. `X-Forwarded-Host`/`-Proto` (and
/// `Forwarded`) count only when the peer is a trusted proxy.
pub fn request_origin(req: &HttpRequest, trusted: &[IpAddr]) -> String {
    let from_proxy = req.peer_addr().is_some_and(|p| trusted.contains(&p.ip()));
    if from_proxy {
        let info = req.connection_info();
        return format!("{}://{}", info.scheme(), info.host());
    }
    let scheme = if req.app_config().secure() {
        "https"
    } else {
        "http"
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_else(|| req.app_config().host().to_owned());
    format!("{scheme}://{host}")
}

pub fn trusted_proxies(req: &HttpRequest) -> &[IpAddr] {
    req.app_data::<web::Data<Config>>()
        .map(|c| c.trusted_proxies.as_slice())
        .unwrap_or_default()
}

impl FromRequest for Client {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        ready(Ok(Client(ClientInfo {
            ip: client_ip(req, trusted_proxies(req)).map(|ip| ip.to_string()),
            user_agent,
        })))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn from_proxy(lines: &[&str]) -> Option<IpAddr> {
        let mut req = TestRequest::default().peer_addr("10.0.0.1:5000".parse().unwrap());
        for line in lines {
            req = req.append_header(("x-forwarded-for", *line));
        }
        client_ip(&req.to_http_request(), &[ip("10.0.0.1"), ip("10.0.0.2")])
    }

    #[test]
    fn every_forwarded_for_line_is_walked_from_the_right_past_trusted_proxies() {
        assert_eq!(
            from_proxy(&["6.6.6.6, 1.2.3.4", "10.0.0.2"]),
            Some(ip("1.2.3.4"))
        );
        assert_eq!(from_proxy(&["1.2.3.4:5678"]), Some(ip("1.2.3.4")));
        assert_eq!(from_proxy(&["[2001:db8::1]:443"]), Some(ip("2001:db8::1")));
        // An unparsable hop stops the walk: what is left of it cannot be believed.
        assert_eq!(
            from_proxy(&["1.2.3.4, garbage, 10.0.0.2"]),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(from_proxy(&[]), Some(ip("10.0.0.1")));
    }

    #[test]
    fn forwarded_headers_from_anyone_else_are_ignored() {
        let req = TestRequest::default()
            .peer_addr("7.7.7.7:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4"))
            .insert_header(("x-forwarded-host", "evil.example"))
            .insert_header(("host", "studio.example.com"))
            .to_http_request();
        assert_eq!(client_ip(&req, &[ip("10.0.0.1")]), Some(ip("7.7.7.7")));
        assert_eq!(
            request_origin(&req, &[ip("10.0.0.1")]),
            "http://studio.example.com"
        );
    }
}
