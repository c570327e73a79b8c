//! The order in which a model's upstreams are tried: weighted, each at most once, at most
//! [`MAX_ATTEMPTS`]. Shared by every proxy (chat, images) so they retry the same way.

use crate::Upstream;

pub const MAX_ATTEMPTS: usize = 3;

/// The upstreams to try, in order: each pick is weighted among those not tried yet.
pub fn attempt_order(upstreams: &[Upstream]) -> Vec<&Upstream> {
    let mut left: Vec<&Upstream> = upstreams.iter().collect();
    let mut order = Vec::with_capacity(left.len().min(MAX_ATTEMPTS));
    while !left.is_empty() && order.len() < MAX_ATTEMPTS {
        let total: u64 = left.iter().map(|u| u64::from(u.weight.max(1))).sum();
        let mut pick = rand::random_range(0..total);
        let index = left
            .iter()
            .position(|u| {
                let weight = u64::from(u.weight.max(1));
                if pick < weight {
                    true
                } else {
                    pick -= weight;
                    false
                }
            })
            .unwrap_or(0);
        order.push(left.remove(index));
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn upstream(name: &str, weight: u32) -> Upstream {
        Upstream {
            base_url: format!("http://{name}"),
            api_key: None,
            model: name.into(),
            weight,
            timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            first_token_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn every_upstream_is_tried_once_and_weights_bias_the_first_pick() {
        let upstreams = vec![upstream("a", 1), upstream("b", 9)];
        let mut b_first = 0;
        for _ in 0..1000 {
            let order = attempt_order(&upstreams);
            assert_eq!(order.len(), 2);
            assert_ne!(order[0].model, order[1].model);
            b_first += usize::from(order[0].model == "b");
        }
        assert!((800..=970).contains(&b_first), "b first {b_first} times");
        let many: Vec<_> = (0..5).map(|i| upstream(&i.to_string(), 1)).collect();
        assert_eq!(attempt_order(&many).len(), MAX_ATTEMPTS);
    }
}
