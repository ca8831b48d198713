//! Any text a client may send on the socket: parsed into a command or answered with an
//! `error` frame that is itself JSON, never a panic.
#![no_main]

use chat_server::presentation::ws::protocol;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(frame) = protocol::parse(text) {
        let answer: serde_json::Value = serde_json::from_str(&frame).expect("error frames are JSON");
        assert_eq!(answer["type"], "error");
    }
});
