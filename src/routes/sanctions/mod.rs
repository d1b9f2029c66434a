//! `/api/v1/sanctions`: the wire types (`wire`), recording and reading (`record`), and the
//! lifecycle's moves (`lifecycle`). Handlers convert wire types into the domain's and back;
//! the rules live in `domain::sanction`, the workflows in `service::sanctions`.

mod lifecycle;
mod record;
mod wire;

pub use lifecycle::*;
pub use record::*;
pub use wire::*;
