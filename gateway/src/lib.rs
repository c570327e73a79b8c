//! The Studio gateway: composes the domain crates into one actix-web application.
//! Wiring, routing and middleware only; behaviour lives in the crates.

pub mod app;
pub mod errors;
pub mod extractors;
pub mod middleware;
pub mod negotiate;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use startup::Application;
