//! The diesel schema, kept by hand in portable column types only (see DESIGN.md).
//! A test migrates both backends and round-trips a row of every table through these types.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Nullable<Text>,
        first_name -> Text,
        last_name -> Text,
        avatar_url -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        email_verified -> Bool,
        role -> Text,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    auth_sessions (id) {
        id -> Text,
        user_id -> Text,
        user_agent -> Nullable<Text>,
        ip_address -> Nullable<Text>,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        session_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        successor_sealed -> Nullable<Text>,
    }
}

diesel::table! {
    email_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        email -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(email_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(email_tokens, users);

diesel::joinable!(auth_sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> auth_sessions (session_id));

diesel::allow_tables_to_appear_in_same_query!(users, auth_sessions, refresh_tokens);

diesel::table! {
    api_keys (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        key_hash -> Text,
        prefix -> Text,
        last_four -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        requests_per_minute -> Nullable<BigInt>,
        tokens_per_minute -> Nullable<BigInt>,
        concurrent_streams -> Nullable<BigInt>,
        monthly_token_budget -> Nullable<BigInt>,
        monthly_cost_budget_usd -> Nullable<Double>,
    }
}

diesel::joinable!(api_keys -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(api_keys, users);

diesel::table! {
    usage_records (id) {
        id -> Text,
        user_id -> Text,
        api_key_id -> Nullable<Text>,
        kind -> Text,
        model -> Text,
        upstream -> Nullable<Text>,
        stream -> Bool,
        prompt_tokens -> BigInt,
        completion_tokens -> BigInt,
        total_tokens -> BigInt,
        estimated -> Bool,
        ttft_ms -> Nullable<BigInt>,
        latency_ms -> BigInt,
        status -> Integer,
        cancelled -> Bool,
        created_at -> Timestamp,
        cost_usd -> Double,
        session_id -> Nullable<Text>,
        message_id -> Nullable<Text>,
        images -> BigInt,
    }
}

diesel::joinable!(usage_records -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(usage_records, users);

diesel::table! {
    user_identities (id) {
        id -> Text,
        user_id -> Text,
        provider -> Text,
        subject -> Text,
        email -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oauth_flows (state_hash) {
        state_hash -> Text,
        provider -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        redirect_uri -> Text,
        redirect_to -> Text,
        browser_hash -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    oauth_codes (code_hash) {
        code_hash -> Text,
        user_id -> Text,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(user_identities -> users (user_id));
diesel::joinable!(oauth_codes -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(user_identities, oauth_codes, users);

diesel::table! {
    chat_sessions (id) {
        id -> Text,
        user_id -> Text,
        title -> Text,
        model -> Text,
        system_prompt -> Nullable<Text>,
        /// JSON object of completion parameters (temperature, max_tokens, ...).
        params -> Text,
        archived -> Bool,
        pinned -> Bool,
        current_leaf_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    chat_messages (id) {
        id -> Text,
        session_id -> Text,
        parent_id -> Nullable<Text>,
        role -> Text,
        content -> Text,
        model -> Nullable<Text>,
        /// `streaming`, `complete`, `cancelled` or `error`.
        status -> Text,
        error -> Nullable<Text>,
        prompt_tokens -> Nullable<BigInt>,
        completion_tokens -> Nullable<BigInt>,
        estimated -> Bool,
        /// The gateway instance generating a `streaming` reply.
        owner -> Nullable<Text>,
        /// The last checkpoint (or heartbeat) of a `streaming` reply.
        checkpointed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(chat_sessions -> users (user_id));
diesel::joinable!(chat_messages -> chat_sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(chat_sessions, chat_messages, users);

diesel::table! {
    images (id) {
        id -> Text,
        user_id -> Text,
        api_key_id -> Nullable<Text>,
        model -> Text,
        prompt -> Text,
        revised_prompt -> Nullable<Text>,
        size -> Text,
        width -> Integer,
        height -> Integer,
        format -> Text,
        bytes -> BigInt,
        file_name -> Text,
        thumbnail_name -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(images -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(images, users);

diesel::table! {
    audit_events (id) {
        id -> Text,
        created_at -> Timestamp,
        action -> Text,
        outcome -> Text,
        actor_id -> Nullable<Text>,
        subject_id -> Nullable<Text>,
        ip_address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        request_id -> Nullable<Text>,
        details -> Nullable<Text>,
    }
}
