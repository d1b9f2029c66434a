//! The law as code: identifiers, periods, the sanction catalogue, the eligibility policy
//! and the eligibility decision. Nothing here does I/O or reads a clock.

pub mod calendar;
pub mod eligibility;
pub mod nip;
pub mod nip_set;
pub mod period;
pub mod policy;
pub mod sanction;
pub mod text;

use crate::i18n::L10n;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use utoipa::ToSchema;

/// What is wrong with one field of a request: its JSON path and the message in both languages.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: String,
    pub message: L10n,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: L10n) -> Self {
        FieldError {
            field: field.into(),
            message,
        }
    }
}

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        // Stored as its wire name (`db::stored` reads and writes it).
        #[derive(diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $(#[serde(rename = $wire)] $variant),+ }

        /// Documented exactly as serialised: the wire names.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($wire),+]))
                    .into()
            }
        }
        impl ToSchema for $name {}

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(format!("'{}' is not one of: {}", s,
                        [$($wire),+].join(", "))),
                }
            }
        }
    };
}

wire_enum!(
    /// What a caller wants to do with the ASN.
    Purpose {
        Promotion => "promotion",
        JptSelection => "jpt_selection",
        PositionAppointment => "position_appointment",
        Transfer => "transfer",
        SalaryIncrement => "salary_increment",
        Pension => "pension",
    }
);

wire_enum!(
    /// Employment status as BKN reports it; `unknown` until BKN sends a profile.
    AsnStatus {
        Active => "active",
        Suspended => "suspended",
        Retired => "retired",
        Dismissed => "dismissed",
        Deceased => "deceased",
        Unknown => "unknown",
    }
);

wire_enum!(
    /// Disciplinary level (tingkat hukuman): ringan, sedang, berat.
    Level { Light => "light", Moderate => "moderate", Severe => "severe" }
);

wire_enum!(
    /// Disciplinary (PP 94/2021, PP 53/2010) or code-of-ethics (PP 42/2004).
    Kind { Disciplinary => "disciplinary", Ethics => "ethics" }
);

wire_enum!(
    /// Employment type of an ASN.
    EmploymentType { Pns => "PNS", Pppk => "PPPK" }
);

wire_enum!(
    /// A sanction's status, derived for a given day from its record and its dates.
    SanctionStatus {
        Scheduled => "scheduled",
        Active => "active",
        Expired => "expired",
        Lifted => "lifted",
        UnderAppeal => "under_appeal",
        Superseded => "superseded",
        Annulled => "annulled",
    }
);

wire_enum!(
    /// Where a sanction stands in its lifecycle, independent of the calendar.
    SanctionState {
        Recorded => "recorded",
        UnderAppeal => "under_appeal",
        Lifted => "lifted",
        Annulled => "annulled",
        Superseded => "superseded",
    }
);

wire_enum!(
    /// Upaya administratif (PP 79/2021): keberatan to the superior, banding to BPASN.
    AppealKind { Keberatan => "keberatan", Banding => "banding" }
);

wire_enum!(
    /// What an appeal decided: memperkuat, memperingan, memperberat, mengubah, membatalkan.
    AppealOutcome {
        Upheld => "upheld",
        Reduced => "reduced",
        Increased => "increased",
        Changed => "changed",
        Annulled => "annulled",
    }
);

wire_enum!(
    /// Why a sanction was lifted early.
    LiftReason { FollowedUp => "followed_up", ObligationEnded => "obligation_ended", Other => "other" }
);

wire_enum!(
    /// What happened to an ASN, in the timeline and (where [`EventType::published`]) in the
    /// change feed and webhooks (api.md's list). The wire names are the stored ones.
    EventType {
        SanctionRecorded => "sanction.recorded",
        SanctionActivated => "sanction.activated",
        SanctionExpired => "sanction.expired",
        SanctionLifted => "sanction.lifted",
        SanctionAnnulled => "sanction.annulled",
        SanctionAppealed => "sanction.appealed",
        SanctionAppealDecided => "sanction.appeal_decided",
        SanctionSuperseded => "sanction.superseded",
        AsnRegistered => "asn.registered",
        AsnProfileUpdated => "asn.profile_updated",
        AsnStatusChanged => "asn.status_changed",
        BlockOrdered => "block.ordered",
        BlockReleased => "block.released",
        EligibilityChanged => "eligibility.changed",
        CaseReported => "case.reported",
        CaseRecommended => "case.recommended",
        CaseEscalated => "case.escalated",
        CaseBlockRequested => "case.block_requested",
        CaseOverdue => "case.overdue",
        CaseSanctioned => "case.sanctioned",
        CaseClosed => "case.closed",
        CaseBlockReleaseDue => "case.block_release_due",
        CaseNoted => "case.noted",
    }
);

impl EventType {
    /// The types subscribers can hear of.
    pub const PUBLISHED: &'static [EventType] = &[
        EventType::SanctionRecorded,
        EventType::SanctionActivated,
        EventType::SanctionExpired,
        EventType::SanctionLifted,
        EventType::SanctionAnnulled,
        EventType::SanctionSuperseded,
        EventType::AsnStatusChanged,
        EventType::BlockOrdered,
        EventType::BlockReleased,
        EventType::EligibilityChanged,
        EventType::CaseReported,
        EventType::CaseRecommended,
        EventType::CaseEscalated,
        EventType::CaseBlockRequested,
        EventType::CaseOverdue,
        EventType::CaseSanctioned,
        EventType::CaseClosed,
        EventType::CaseBlockReleaseDue,
    ];

    pub fn published(self) -> bool {
        Self::PUBLISHED.contains(&self)
    }

    /// Whether the ASN is judged again in the event's own transaction. A sanction starting
    /// or ending is a date boundary instead: the jobs record it, and the sweep that ends
    /// each job run judges every ASN whose `next_change` has come.
    pub fn affects_eligibility(self) -> bool {
        use EventType::*;
        match self {
            SanctionRecorded
            | SanctionLifted
            | SanctionAnnulled
            | SanctionAppealed
            | SanctionAppealDecided
            | SanctionSuperseded => true,
            BlockOrdered | BlockReleased | AsnStatusChanged | AsnProfileUpdated => true,
            SanctionActivated | SanctionExpired | AsnRegistered | EligibilityChanged => false,
            // A case opens for eligibility when recommended and stops counting at its end.
            CaseRecommended | CaseSanctioned | CaseClosed => true,
            CaseReported | CaseEscalated | CaseBlockRequested | CaseOverdue
            | CaseBlockReleaseDue | CaseNoted => false,
        }
    }
}

// After `wire_enum!`, which it uses.
pub mod case;
