//! Tables, restricted to types both backends share: text ids, naive UTC timestamps, dates,
//! integers and JSON as text.

diesel::table! {
    asn (nip) {
        nip -> Text,
        name -> Nullable<Text>,
        agency_code -> Nullable<Text>,
        agency_name -> Nullable<Text>,
        unit -> Nullable<Text>,
        rank -> Nullable<Text>,
        position -> Nullable<Text>,
        employment_type -> Nullable<Text>,
        status -> Text,
        status_since -> Nullable<Date>,
        last_event_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sanctions (id) {
        id -> Text,
        nip -> Text,
        type_code -> Text,
        regime -> Text,
        kind -> Text,
        level -> Nullable<Text>,
        decision_number -> Text,
        decision_date -> Date,
        received_date -> Nullable<Date>,
        issuer -> Text,
        issuer_agency -> Nullable<Text>,
        legal_basis -> Nullable<Text>,
        violation -> Nullable<Text>,
        effective_from -> Date,
        effective_until -> Nullable<Date>,
        blocked_purposes -> Text,
        document -> Nullable<Text>,
        state -> Text,
        lifted_on -> Nullable<Date>,
        lift -> Nullable<Text>,
        annulled_at -> Nullable<Timestamp>,
        annulment -> Nullable<Text>,
        content_hash -> Text,
        recorded_at -> Timestamp,
        recorded_by -> Text,
        updated_at -> Timestamp,
        appeal -> Nullable<Text>,
        appeal_filed_on -> Nullable<Date>,
        supersedes -> Nullable<Text>,
        superseded_by -> Nullable<Text>,
        activated_at -> Nullable<Timestamp>,
        expired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    job_runs (id) {
        id -> Text,
        job -> Text,
        trigger -> Text,
        started_at -> Timestamp,
        heartbeat_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        outcome -> Text,
        processed -> BigInt,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    asn_events (id) {
        id -> BigInt,
        nip -> Text,
        event_type -> Text,
        at -> Timestamp,
        actor -> Text,
        sanction_id -> Nullable<Text>,
        data -> Text,
    }
}

diesel::table! {
    bkn_events (event_id) {
        event_id -> Text,
        nip -> Text,
        event_type -> Text,
        occurred_at -> Timestamp,
        outcome -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    eligibility_decisions (id) {
        id -> Text,
        nip -> Text,
        purpose -> Text,
        as_of -> Date,
        outcome -> Text,
        policy_version -> Text,
        evaluated_at -> Timestamp,
        actor -> Text,
        body -> Text,
    }
}

diesel::table! {
    idempotency_keys (actor, idem_key) {
        actor -> Text,
        idem_key -> Text,
        route -> Text,
        request_hash -> Text,
        status_code -> Integer,
        location -> Nullable<Text>,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    blocks (id) {
        id -> Text,
        scope -> Text,
        nip -> Nullable<Text>,
        agency_code -> Nullable<Text>,
        reference -> Nullable<Text>,
        reason -> Nullable<Text>,
        ordered_at -> Timestamp,
        ordered_event_id -> Text,
        released_at -> Nullable<Timestamp>,
        release_reference -> Nullable<Text>,
        released_event_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        case_id -> Nullable<Text>,
    }
}

diesel::table! {
    bkn_receipts (id) {
        id -> BigInt,
        event_id -> Nullable<Text>,
        outcome -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor_sub -> Text,
        actor_client_id -> Nullable<Text>,
        action -> Text,
        nip -> Nullable<Text>,
        subject_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        data -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    record_history (id) {
        id -> BigInt,
        entity -> Text,
        entity_id -> Text,
        nip -> Nullable<Text>,
        agency_code -> Nullable<Text>,
        known_from -> Timestamp,
        known_until -> Timestamp,
        body -> Text,
    }
}

diesel::table! {
    policies (version) {
        version -> Text,
        content_hash -> Text,
        body -> Text,
        first_used_at -> Timestamp,
    }
}

diesel::table! {
    changes (id) {
        id -> BigInt,
        event_id -> Text,
        event_type -> Text,
        nip -> Nullable<Text>,
        seq -> Nullable<BigInt>,
        occurred_at -> Timestamp,
        data -> Text,
    }
}

diesel::table! {
    eligibility_states (nip) {
        nip -> Text,
        last_seq -> BigInt,
        as_of -> Nullable<Date>,
        outcomes -> Nullable<Text>,
        next_change -> Nullable<Date>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Text,
        url -> Text,
        event_types -> Text,
        secret -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        starts_after -> BigInt,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_dispatch (id) {
        id -> Integer,
        last_change_id -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        subscription_id -> Text,
        change_id -> BigInt,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        manual -> Bool,
        last_attempt_at -> Nullable<Timestamp>,
        last_response_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    console_sessions (id_hash) {
        id_hash -> Text,
        sub -> Text,
        display_name -> Text,
        scopes -> Text,
        agency -> Nullable<Text>,
        csrf -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    console_signins (key_hash) {
        key_hash -> Text,
        kind -> Text,
        sub -> Nullable<Text>,
        scopes -> Nullable<Text>,
        agency -> Nullable<Text>,
        nonce -> Nullable<Text>,
        pkce_verifier -> Nullable<Text>,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    console_checks (id) {
        id -> Text,
        sub -> Text,
        purpose -> Text,
        as_of -> Date,
        created_at -> Timestamp,
        items -> Text,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        nip -> Text,
        agency_code -> Nullable<Text>,
        source -> Text,
        source_reference -> Text,
        reported_on -> Date,
        election_kind -> Nullable<Text>,
        election_year -> Nullable<Integer>,
        election_region -> Nullable<Text>,
        conduct -> Text,
        stage -> Text,
        description -> Nullable<Text>,
        evidence -> Text,
        content_hash -> Text,
        state -> Text,
        state_since -> Date,
        deadline -> Nullable<Date>,
        overdue_recorded -> Nullable<Date>,
        recommended_on -> Nullable<Date>,
        followup_due -> Nullable<Date>,
        recommendation -> Nullable<Text>,
        recommendation_issuer -> Nullable<Text>,
        sanctioned_on -> Nullable<Date>,
        sanction_id -> Nullable<Text>,
        block_requested_on -> Nullable<Date>,
        closed_on -> Nullable<Date>,
        policy_version -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    case_steps (case_id, seq) {
        case_id -> Text,
        seq -> Integer,
        step -> Text,
        on_day -> Date,
        from_state -> Nullable<Text>,
        to_state -> Text,
        data -> Text,
        actor -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(case_steps -> cases (case_id));
diesel::allow_tables_to_appear_in_same_query!(cases, case_steps, blocks);
diesel::joinable!(sanctions -> asn (nip));
diesel::allow_tables_to_appear_in_same_query!(
    asn,
    sanctions,
    asn_events,
    bkn_events,
    eligibility_decisions,
    idempotency_keys
);
diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::joinable!(webhook_deliveries -> changes (change_id));
diesel::allow_tables_to_appear_in_same_query!(webhook_deliveries, webhook_subscriptions, changes);
