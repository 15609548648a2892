//! The callback page: no message can open a tag or leave the text it is put in, and the escaped
//! text reads back as the message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::auth::callback_page::{escape_html, render, PageKind};

fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fuzz_target!(|input: (bool, String)| {
    let (success, message) = input;
    let escaped = escape_html(&message);
    assert!(!escaped.contains(['<', '>', '"', '\'']));
    assert_eq!(unescape(&escaped), message);

    let kind = if success {
        PageKind::Success
    } else {
        PageKind::Error
    };
    let page = render(kind, &message);
    let start = page
        .find("<p>")
        .map(|i| i + 3)
        .expect("a message paragraph");
    let end = page[start..]
        .find("</p>")
        .map(|i| start + i)
        .expect("a closed paragraph");
    let inner = &page[start..end];
    assert!(!inner.contains(['<', '>', '"', '\'']), "{inner}");
    if !message.trim().is_empty() {
        assert_eq!(unescape(inner), message.trim());
    }
    assert_eq!(
        page.matches("<p").count(),
        2,
        "exactly the message and the hint"
    );
});
