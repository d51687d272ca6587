//! The runtime-backed [`crate::Runner`].
