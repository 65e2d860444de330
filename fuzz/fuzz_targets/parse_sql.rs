//! Feeds arbitrary text to the SQL92 selector parser and evaluates what parses.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(expr) = rmq_filter::parse(&text) {
        let props = [("a", "10"), ("region", "hz"), ("b", "x")];
        let _ = expr.matches(&props[..]);
    }
});
