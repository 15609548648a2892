//! The small static page the callback server shows in the browser after a sign-in attempt. No
//! scripts, no external resources; every interpolated value is HTML-escaped.

/// Which page to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Success,
    Error,
}

/// Escapes the five characters that matter in HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A complete `text/html; charset=utf-8` document. `message` is what happened (an empty one gets a
/// default); the page adds what to do next.
pub fn render(kind: PageKind, message: &str) -> String {
    let (title, default_message, hint) = match kind {
        PageKind::Success => (
            "Signed in to ChatGPT",
            "OpenCode can now use your ChatGPT plan.",
            "You can close this tab and return to OpenCode.",
        ),
        PageKind::Error => (
            "Sign-in failed",
            "The sign-in could not be completed.",
            "Return to OpenCode for details, then run opencode auth login to try again.",
        ),
    };
    let message = match message.trim() {
        "" => default_message,
        m => m,
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>{title}</title><style>\
body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}}\
h1{{font-size:1.4rem}}.hint{{color:#666}}\
</style></head>\n<body><main><h1>{title}</h1><p>{message}</p><p class=\"hint\">{hint}</p></main></body></html>\n",
        title = escape_html(title),
        message = escape_html(message),
        hint = escape_html(hint),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn an_error_page_carries_the_escaped_message() {
        let page = render(PageKind::Error, "<script>steal()</script> \"quoted\"");
        assert!(
            page.contains("<p>&lt;script&gt;steal()&lt;/script&gt; &quot;quoted&quot;</p>"),
            "{page}"
        );
        assert!(!page.contains("<script"));
        assert!(page.contains("<title>Sign-in failed</title>"));
    }

    #[test]
    fn a_success_page_with_no_message_gets_the_default() {
        let page = render(PageKind::Success, "  ");
        assert!(page.contains(
            "<h1>Signed in to ChatGPT</h1><p>OpenCode can now use your ChatGPT plan.</p>"
        ));
        assert!(page.contains("You can close this tab"));
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn no_message_can_open_a_tag_or_break_out_of_text(message in any::<String>()) {
            let page = render(PageKind::Error, &message);
            let start = page.find("<p>").unwrap_or(0) + 3;
            let end = page.find("</p>").unwrap_or(page.len());
            let inner = page.get(start..end).unwrap_or("");
            prop_assert!(!inner.contains(['<', '>', '"', '\'']), "{}", inner);
        }
    }
}
