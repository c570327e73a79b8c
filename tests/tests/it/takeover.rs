//! Pre-account takeover: someone registers the victim's address with a password; the moment
//! the real owner signs in with a provider that vouches for the address, everything the
//! squatter held stops working.

use serde_json::json;
use studio_tests::{api_key, db_test, oidc::Identity, sign_in::*, TestDb};

const PASSWORD: &str = "correct horse battery";

#[db_test]
async fn a_verified_provider_sign_in_takes_an_unverified_account_from_its_squatter(db: TestDb) {
    let p = setup(&db).await;
    let squatter = studio_tests::register(&p.app, "victim@example.com").await;
    let squatter_token = squatter["accessToken"].as_str().unwrap();
    let key = api_key(&p.app, squatter_token).await;
    p.app.get_auth("/v1/models", &key).await.expect(200);
    let second_session = p
        .app
        .post(
            "/api/auth/login",
            &json!({"email": "victim@example.com", "password": PASSWORD}),
        )
        .await
        .expect(200);

    let owner = p.google("victim-google", "victim@example.com").await;
    assert_eq!(owner["user"]["id"], squatter["user"]["id"]);
    assert_eq!(owner["user"]["emailVerified"], true);

    // At once, with no waiting: tokens, sessions, the key and the password are all dead.
    for session in [&squatter, &second_session] {
        p.app
            .get_auth("/api/auth/me", session["accessToken"].as_str().unwrap())
            .await
            .expect_api_error(401, "invalid_token");
        p.app
            .post(
                "/api/auth/refresh",
                &json!({"refreshToken": session["refreshToken"]}),
            )
            .await
            .expect_api_error(401, "invalid_refresh_token");
    }
    p.app
        .get_auth("/v1/models", &key)
        .await
        .expect_openai_error(401);
    p.app
        .post(
            "/api/auth/login",
            &json!({"email": "victim@example.com", "password": PASSWORD}),
        )
        .await
        .expect_api_error(401, "invalid_credentials");
    // The owner is signed in, sees no key of the squatter's, and only their own identity.
    let owner_token = owner["accessToken"].as_str().unwrap();
    let keys = p.app.get_auth("/api/keys", owner_token).await.expect(200);
    assert!(keys
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["revokedAt"].is_string()));
    let identities = p
        .app
        .get_auth("/api/auth/identities", owner_token)
        .await
        .expect(200);
    assert_eq!(identities.as_array().unwrap().len(), 1);
    assert_eq!(identities[0]["provider"], "google");
}

#[db_test]
async fn a_squatters_unverified_identity_is_unlinked_by_the_hand_over(db: TestDb) {
    let p = setup(&db).await;
    let mut claimed = Identity::new("squatter-corp", "victim@example.com");
    claimed.email_verified = false;
    let landed = sign_in(&p.app, &p.corp, "corp", claimed.clone()).await;
    let squatter = exchange(&p.app, &landed["code"]).await.expect(200);
    assert_eq!(squatter["user"]["emailVerified"], false);

    let owner = p.google("victim-google", "victim@example.com").await;
    assert_eq!(owner["user"]["id"], squatter["user"]["id"]);
    p.app
        .get_auth("/api/auth/me", squatter["accessToken"].as_str().unwrap())
        .await
        .expect_api_error(401, "invalid_token");
    // The squatter's provider identity no longer leads into the account.
    let again = sign_in(&p.app, &p.corp, "corp", claimed).await;
    assert_eq!(again["error"], "account_exists");
}

#[db_test]
async fn a_verified_account_is_linked_not_taken_over(db: TestDb) {
    let p = setup(&db).await;
    let owner = studio_tests::register_verified(&p.app, &p.mail, "ada@example.com").await;
    p.google("ada-google", "ada@example.com").await;
    p.app
        .get_auth("/api/auth/me", owner["accessToken"].as_str().unwrap())
        .await
        .expect(200);
    p.app
        .post(
            "/api/auth/login",
            &json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await
        .expect(200);
}
