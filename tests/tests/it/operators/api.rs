//! The CLI bootstraps an admin; every admin endpoint wants an admin's JWT.

use actix_web::http::Method;
use serde_json::json;
use studio_tests::{access_token, api_key, db_test, register, TestApp, TestDb};

use super::{admin_cli, admin_token, claims, PASSWORD};

#[db_test]
async fn the_cli_bootstraps_an_admin_on_a_fresh_database(db: TestDb) {
    // Nothing has run on this database yet: the CLI migrates it.
    let (code, out) = admin_cli(
        &db,
        &["create-user", "--email", "Root@Example.com", "--admin"],
        None,
    );
    assert_eq!(code, 0, "{out}");
    let password = out
        .lines()
        .find_map(|line| line.strip_prefix("password: "))
        .expect("a generated password is printed")
        .to_owned();
    assert!(password.len() >= 20, "{password}");
    let app = TestApp::spawn(&db).await;
    let body = app
        .post(
            "/api/auth/login",
            &json!({ "email": "root@example.com", "password": password }),
        )
        .await
        .expect(200);
    assert_eq!(body["user"]["role"], "admin");
    let token = body["accessToken"].as_str().unwrap();
    assert_eq!(claims(token)["role"], "admin");
    let me = app.get_auth("/api/auth/me", token).await.expect(200);
    assert_eq!(
        (me["role"].as_str(), me["disabledAt"].is_null()),
        (Some("admin"), true)
    );
    app.get_auth("/api/admin/users", token).await.expect(200);

    // The last admin cannot be demoted, even from the command line.
    let (code, _) = admin_cli(
        &db,
        &["set-role", "--email", "root@example.com", "user"],
        None,
    );
    assert_eq!(code, 1);
    // A user signed up normally, promoted, disabled and enabled again by the CLI.
    let ada = register(&app, "ada@example.com").await;
    assert_eq!(ada["user"]["role"], "user");
    assert_eq!(claims(ada["accessToken"].as_str().unwrap())["role"], "user");
    for args in [
        &["set-role", "--email", "ada@example.com", "admin"][..],
        &["disable", "--email", "ada@example.com"],
    ] {
        assert_eq!(admin_cli(&db, args, None).0, 0, "{args:?}");
    }
    let login = json!({ "email": "ada@example.com", "password": PASSWORD });
    app.post("/api/auth/login", &login)
        .await
        .expect_api_error(403, "account_disabled");
    assert_eq!(
        admin_cli(&db, &["enable", "--email", "ada@example.com"], None).0,
        0
    );
    let again = app.post("/api/auth/login", &login).await.expect(200);
    assert_eq!(again["user"]["role"], "admin");
    // Bad arguments: exit code 2, nothing done.
    assert_eq!(
        admin_cli(
            &db,
            &["set-role", "--email", "ada@example.com", "root"],
            None
        )
        .0,
        2
    );
    assert_eq!(
        admin_cli(&db, &["disable", "--email", "nobody@example.com"], None).0,
        1
    );
}

#[db_test]
async fn every_admin_endpoint_answers_401_without_a_token_and_403_to_a_user(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let admin = admin_token(&app, "root@example.com").await;
    let user = access_token(&app, "ada@example.com").await;
    let key = api_key(&app, &user).await;
    let keys = app.get_auth("/api/admin/keys", &admin).await.expect(200);
    let key_id = keys["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(keys["items"][0].get("key").is_none() && keys["items"][0].get("keyHash").is_none());
    assert_eq!(keys["items"][0]["ownerEmail"], "ada@example.com");
    let victim = register(&app, "victim@example.com").await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let users = format!("/api/admin/users/{victim}");
    let endpoints = [
        (Method::GET, "/api/admin/users".to_owned(), None, 200),
        (Method::GET, users.clone(), None, 200),
        (
            Method::PATCH,
            users.clone(),
            Some(json!({"role": "user"})),
            200,
        ),
        (Method::GET, "/api/admin/keys".to_owned(), None, 200),
        (
            Method::DELETE,
            format!("/api/admin/keys/{key_id}"),
            None,
            204,
        ),
        (Method::GET, "/api/admin/usage".to_owned(), None, 200),
        (Method::GET, "/api/admin/audit".to_owned(), None, 200),
        (Method::DELETE, users.clone(), None, 204),
    ];
    for (method, path, body, status) in &endpoints {
        app.request(method.clone(), path, &[], body.as_ref())
            .await
            .expect_api_error(401, "missing_token");
        app.send_auth(method.clone(), path, &user, body.as_ref())
            .await
            .expect_api_error(403, "forbidden");
        // An API key is never an operator's credential, not even an admin's own.
        app.send_auth(method.clone(), path, &key, body.as_ref())
            .await
            .expect_api_error(401, "invalid_token");
        app.send_auth(method.clone(), path, &admin, body.as_ref())
            .await
            .expect(*status);
    }
    app.get_auth(&users, &admin)
        .await
        .expect_api_error(404, "not_found");
    let _ = PASSWORD;
}

#[db_test]
async fn bad_admin_requests_are_4xx_naming_the_problem(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let admin = admin_token(&app, "root@example.com").await;
    let me = app.get_auth("/api/auth/me", &admin).await.expect(200);
    let mine = format!("/api/admin/users/{}", me["id"].as_str().unwrap());
    for change in [json!({"role": "user"}), json!({"disabled": true})] {
        app.send_auth(Method::PATCH, &mine, &admin, Some(&change))
            .await
            .expect_api_error(409, "last_admin");
    }
    app.send_auth(Method::DELETE, &mine, &admin, None)
        .await
        .expect_api_error(409, "last_admin");
    app.send_auth(Method::PATCH, &mine, &admin, Some(&json!({"role": "root"})))
        .await
        .expect_api_error(400, "validation_error");
    app.send_auth(
        Method::PATCH,
        &mine,
        &admin,
        Some(&json!({"monthlyTokenBudget": 5})),
    )
    .await
    .expect(400);
    for path in ["/api/admin/users/nope", "/api/admin/keys/nope"] {
        app.send_auth(Method::DELETE, path, &admin, None)
            .await
            .expect_api_error(404, "not_found");
    }
    for path in [
        "/api/admin/users?limit=0",
        "/api/admin/users?limit=ten",
        "/api/admin/users?role=root",
        "/api/admin/users?disabled=maybe",
        "/api/admin/usage?from=2026-13-01",
        "/api/admin/usage?tz=Mars/Olympus",
        "/api/admin/audit?limit=1000",
    ] {
        app.get_auth(path, &admin)
            .await
            .expect_api_error(400, "validation_error");
    }
}

#[db_test]
async fn users_are_listed_a_page_at_a_time_and_filtered(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let admin = admin_token(&app, "root@example.com").await;
    for email in [
        "ada@example.com",
        "bob@example.com",
        "ada_lovelace@example.org",
    ] {
        register(&app, email).await;
    }
    let first = app
        .get_auth("/api/admin/users?limit=3", &admin)
        .await
        .expect(200);
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let cursor = first["nextCursor"].as_str().unwrap();
    let next = app
        .get_auth(&format!("/api/admin/users?limit=3&cursor={cursor}"), &admin)
        .await
        .expect(200);
    assert_eq!(next["items"].as_array().unwrap().len(), 1);
    assert!(next["nextCursor"].is_null());
    let emails = |body: &serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_owned())
            .collect()
    };
    // `_` is a literal underscore, not a wildcard; matching ignores case.
    let found = app
        .get_auth("/api/admin/users?q=ADA_", &admin)
        .await
        .expect(200);
    assert_eq!(emails(&found), ["ada_lovelace@example.org"]);
    let admins = app
        .get_auth("/api/admin/users?role=admin", &admin)
        .await
        .expect(200);
    assert_eq!(emails(&admins), ["root@example.com"]);
    let bob = app
        .get_auth("/api/admin/users?q=bob", &admin)
        .await
        .expect(200);
    let path = format!(
        "/api/admin/users/{}",
        bob["items"][0]["id"].as_str().unwrap()
    );
    let disabled = app
        .send_auth(
            Method::PATCH,
            &path,
            &admin,
            Some(&json!({"disabled": true})),
        )
        .await
        .expect(200);
    assert!(disabled["disabledAt"].is_string());
    let listed = app
        .get_auth("/api/admin/users?disabled=true", &admin)
        .await
        .expect(200);
    assert_eq!(emails(&listed), ["bob@example.com"]);
    let detail = app.get_auth(&path, &admin).await.expect(200);
    assert_eq!(detail["keyCount"], 0);
    assert!(detail["sessions"].as_array().unwrap().is_empty());
    assert!(detail["usageThisMonth"]["totals"]["requests"].is_number());
}
