//! Schema drift: every table of the migrations round-trips a row through the hand-kept diesel
//! schema, on both backends.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use studio_core::{db, db_run, ids::new_id, schema::*, time::now, DbError};
use studio_tests::{db_test, TestApp, TestDb};

mod rows;

use rows::*;

/// The tables added after the first: usage, identities, OAuth flows and codes, mailed tokens,
/// audit events.
async fn round_trip_later_tables(
    pool: &studio_core::DbPool,
    user_id: &str,
    key_id: &str,
) -> Result<(), DbError> {
    let t = now();
    let usage = studio_usage::UsageRecord {
        id: new_id(),
        user_id: user_id.into(),
        api_key_id: Some(key_id.into()),
        kind: "chat".into(),
        model: "m".into(),
        upstream: Some("http://u/v1".into()),
        stream: true,
        prompt_tokens: 1,
        completion_tokens: 2,
        total_tokens: 3,
        estimated: true,
        ttft_ms: Some(4),
        latency_ms: 5,
        status: 200,
        cancelled: false,
        created_at: t,
        cost_usd: 0.5,
        session_id: Some("session".into()),
        message_id: Some("message".into()),
        images: 2,
    };
    let identity = IdentityRow {
        id: new_id(),
        user_id: user_id.into(),
        provider: "google".into(),
        subject: "sub".into(),
        email: None,
        created_at: t,
    };
    let flow = FlowRow {
        state_hash: "s".into(),
        provider: "google".into(),
        nonce: "n".into(),
        pkce_verifier: "v".into(),
        redirect_uri: "http://x/cb".into(),
        redirect_to: "/".into(),
        browser_hash: "b".into(),
        expires_at: t,
    };
    let code = CodeRow {
        code_hash: "c".into(),
        user_id: user_id.into(),
        expires_at: t,
    };
    let mailed = EmailTokenRow {
        token_hash: "e".into(),
        user_id: user_id.into(),
        purpose: "verify".into(),
        email: "drift@example.com".into(),
        created_at: t,
        expires_at: t,
        used_at: Some(t),
    };
    db_run!(pool, |conn| {
        diesel::insert_into(usage_records::table)
            .values(&usage)
            .execute(conn)
            .await?;
        diesel::insert_into(user_identities::table)
            .values(&identity)
            .execute(conn)
            .await?;
        diesel::insert_into(oauth_flows::table)
            .values(&flow)
            .execute(conn)
            .await?;
        diesel::insert_into(oauth_codes::table)
            .values(&code)
            .execute(conn)
            .await?;
        let stored = usage_records::table
            .select(studio_usage::UsageRecord::as_select())
            .first(conn)
            .await?;
        assert_eq!(stored, usage);
        assert_eq!(
            user_identities::table
                .select(IdentityRow::as_select())
                .first(conn)
                .await?,
            identity
        );
        assert_eq!(
            oauth_flows::table
                .select(FlowRow::as_select())
                .first(conn)
                .await?,
            flow
        );
        assert_eq!(
            oauth_codes::table
                .select(CodeRow::as_select())
                .first(conn)
                .await?,
            code
        );
        diesel::insert_into(email_tokens::table)
            .values(&mailed)
            .execute(conn)
            .await?;
        assert_eq!(
            email_tokens::table
                .select(EmailTokenRow::as_select())
                .first(conn)
                .await?,
            mailed
        );
        let mut audited = studio_audit::AuditEvent::new("drift", studio_audit::Outcome::Refused)
            .actor(Some(user_id))
            .subject(Some(user_id))
            .details(serde_json::json!({ "k": 1 }));
        audited.ip_address = Some("127.0.0.1".into());
        audited.user_agent = Some("ua".into());
        audited.request_id = Some("r".into());
        audited.created_at = t;
        diesel::insert_into(audit_events::table)
            .values(&audited)
            .execute(conn)
            .await?;
        assert_eq!(
            audit_events::table
                .select(studio_audit::AuditEvent::as_select())
                .first(conn)
                .await?,
            audited
        );
        Ok(())
    })
}

async fn round_trip(pool: &studio_core::DbPool) -> Result<(), DbError> {
    let t = now();
    let user = UserRow {
        id: new_id(),
        email: "drift@example.com".into(),
        password_hash: Some("$argon2id$...".into()),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        avatar_url: Some("https://example.com/a.png".into()),
        created_at: t,
        updated_at: t,
        email_verified: true,
        role: "admin".into(),
        disabled_at: Some(t),
    };
    let session = SessionRow {
        id: new_id(),
        user_id: user.id.clone(),
        user_agent: Some("test".into()),
        ip_address: Some("127.0.0.1".into()),
        created_at: t,
        last_used_at: t,
        expires_at: t,
        revoked_at: Some(t),
    };
    let refresh = RefreshRow {
        id: new_id(),
        session_id: session.id.clone(),
        token_hash: "hash".into(),
        created_at: t,
        expires_at: t,
        used_at: Some(t),
        successor_sealed: Some("sealed".into()),
    };
    let key = ApiKeyRow {
        id: new_id(),
        user_id: user.id.clone(),
        name: "key".into(),
        key_hash: "digest".into(),
        prefix: "sk-studio-abcd".into(),
        last_four: "wxyz".into(),
        created_at: t,
        last_used_at: Some(t),
        expires_at: None,
        revoked_at: Some(t),
        requests_per_minute: Some(1),
        tokens_per_minute: Some(2),
        concurrent_streams: None,
        monthly_token_budget: Some(3),
        monthly_cost_budget_usd: Some(4.5),
    };
    db_run!(pool, |conn| {
        diesel::insert_into(users::table)
            .values(&user)
            .execute(conn)
            .await?;
        diesel::insert_into(auth_sessions::table)
            .values(&session)
            .execute(conn)
            .await?;
        diesel::insert_into(refresh_tokens::table)
            .values(&refresh)
            .execute(conn)
            .await?;
        diesel::insert_into(api_keys::table)
            .values(&key)
            .execute(conn)
            .await?;
        assert_eq!(
            api_keys::table
                .select(ApiKeyRow::as_select())
                .first(conn)
                .await?,
            key
        );
        assert_eq!(
            users::table
                .select(UserRow::as_select())
                .first(conn)
                .await?,
            user
        );
        assert_eq!(
            auth_sessions::table
                .select(SessionRow::as_select())
                .first(conn)
                .await?,
            session
        );
        assert_eq!(
            refresh_tokens::table
                .select(RefreshRow::as_select())
                .first(conn)
                .await?,
            refresh
        );
        Ok(())
    })
}

#[db_test]
async fn the_diesel_schema_matches_what_the_migrations_create(db: TestDb) {
    let target = TestApp::config(&db, &[]).unwrap().database;
    db::run_migrations(&target).await.unwrap();
    let pool = db::connect(&target, 2).await.unwrap();
    round_trip(&pool).await.unwrap();
    let (user_id, key_id): (String, String) = db_run!(&pool, |conn| api_keys::table
        .select((api_keys::user_id, api_keys::id))
        .first(conn)
        .await)
    .unwrap();
    round_trip_later_tables(&pool, &user_id, &key_id)
        .await
        .unwrap();
}
