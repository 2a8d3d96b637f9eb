//! The integration tests, one crate (one link of the SDK) with a module per subject:
//! the adapters through the real SDK against the stand-in (`aws`, `appconfig`,
//! `conditions`, `revisions`, `faults`, `wakeups`, `chat`), the flow through fakes (`handler`, `sweep`,
//! `windows`, `hostile`), the release binary (`binary`, `cli`), the independent oracle of
//! `decide()` (`oracle`), the documentation (`docs`) and the example check function that
//! docs/ ships (`check_function_example`). `common` holds the shared fixtures.
//! Run one subject with `cargo test --test it sweep::`.

mod common;
mod schema;

mod appconfig;
mod approval_events;
mod aws;
mod binary;
mod bulkheads;
mod chat;
mod check_function_example;
mod cli;
mod conditions;
mod docs;
mod execution_modes;
mod faults;
mod handler;
mod hostile;
mod oracle;
mod produced;
mod revisions;
mod sweep;
mod unknown_values;
mod wakeups;
mod wakeups_at_scale;
mod windows;
