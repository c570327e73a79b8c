//! The janitor purges what can no longer be used, in batches, on both databases.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use studio_auth::Janitor;
use studio_core::{
    db_run,
    schema::{auth_sessions, email_tokens, oauth_flows, refresh_tokens},
    time::now,
    DbPool,
};
use studio_tests::{db_test, register, smtp::MailServer, TestApp, TestDb};

/// An abandoned sign-in.
#[derive(Insertable)]
#[diesel(table_name = oauth_flows)]
struct Flow {
    state_hash: String,
    provider: &'static str,
    nonce: &'static str,
    pkce_verifier: &'static str,
    redirect_uri: &'static str,
    redirect_to: &'static str,
    browser_hash: &'static str,
    expires_at: chrono::NaiveDateTime,
}

async fn count(pool: &DbPool) -> [i64; 4] {
    db_run!(pool, |conn| {
        Ok([
            refresh_tokens::table.count().get_result(conn).await?,
            auth_sessions::table.count().get_result(conn).await?,
            oauth_flows::table.count().get_result(conn).await?,
            email_tokens::table.count().get_result(conn).await?,
        ])
    })
    .unwrap()
}

#[db_test]
async fn expired_rows_are_purged_in_batches_and_live_ones_kept(db: TestDb) {
    let mail = MailServer::start().await;
    let app = TestApp::spawn_with(&db, &[("EMAIL_SMTP_URL", &mail.url)]).await;
    let first = register(&app, "ada@example.com").await;
    app.post(
        "/api/auth/refresh",
        &json!({"refreshToken": first["refreshToken"]}),
    )
    .await
    .expect(200);
    let target = TestApp::config(&db, &[]).unwrap().database;
    let pool = studio_core::db::connect(&target, 2).await.unwrap();
    // More abandoned sign-ins than one batch holds.
    let stale = now() - chrono::Duration::minutes(1);
    let flows: Vec<_> = (0..1_200)
        .map(|i| Flow {
            state_hash: format!("state-{i}"),
            provider: "google",
            nonce: "n",
            pkce_verifier: "v",
            redirect_uri: "http://x/cb",
            redirect_to: "/",
            browser_hash: "b",
            expires_at: stale,
        })
        .collect();
    db_run!(&pool, |conn| conn
        .transaction::<_, diesel::result::Error, _>(async |conn| {
            for flow in &flows {
                diesel::insert_into(oauth_flows::table)
                    .values(flow)
                    .execute(conn)
                    .await?;
            }
            Ok(())
        })
        .await)
    .unwrap();
    mail.wait_for("ada@example.com", "verify-email", 0).await;
    assert_eq!(count(&pool).await, [2, 1, 1_200, 1]);

    let janitor = Janitor::new(pool.clone(), 10_080);
    let purged = janitor.run_once(now()).await.unwrap();
    assert_eq!(purged.oauth_flows, 1_200);
    assert_eq!(
        purged.refresh_tokens + purged.sessions + purged.email_tokens,
        0
    );
    assert_eq!(count(&pool).await, [2, 1, 0, 1]);
    // The user is still signed in; a week and more later, everything has expired.
    app.get_auth("/api/auth/me", first["accessToken"].as_str().unwrap())
        .await
        .expect(200);
    let later = janitor
        .run_once(now() + chrono::Duration::days(15))
        .await
        .unwrap();
    assert_eq!((later.sessions, later.email_tokens), (1, 1));
    assert_eq!(count(&pool).await, [0, 0, 0, 0]);
}

#[db_test]
async fn audit_events_past_their_retention_are_purged(db: TestDb) {
    // The app's own janitor (365 days) runs too, at start-up: it must find nothing to purge.
    let app = TestApp::spawn(&db).await;
    let target = TestApp::config(&db, &[]).unwrap().database;
    let pool = studio_core::db::connect(&target, 2).await.unwrap();
    let store = studio_audit::AuditStore::new(pool.clone());
    let event = |days_ago: i64| {
        let mut event =
            studio_audit::AuditEvent::new("auth.sign_in", studio_audit::Outcome::Succeeded);
        event.created_at = now() - chrono::Duration::days(days_ago);
        event
    };
    store
        .insert(&[event(31), event(300), event(29)])
        .await
        .unwrap();
    let purged = Janitor::new(pool.clone(), 60)
        .keep_audit_events_for(30)
        .run_once(now())
        .await
        .unwrap();
    assert_eq!(purged.audit_events, 2);
    let left: i64 = db_run!(&pool, |conn| studio_core::schema::audit_events::table
        .count()
        .get_result(conn)
        .await)
    .unwrap();
    assert_eq!(left, 1);
    // Zero days would purge the log on every run: refused at start-up.
    let zero = TestApp::config(&db, &[("STUDIO_AUDIT_RETENTION_DAYS", "0")])
        .err()
        .unwrap();
    assert!(zero.iter().any(|e| e.var == "STUDIO_AUDIT_RETENTION_DAYS"));
    app.stop().await;
}
