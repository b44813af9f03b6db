//! See benches/ and src/bin/hello-floor.rs.
