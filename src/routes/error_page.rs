//! `GET /error?error=CODE&error_description=...`: the HTML page Better-Auth's redirects point
//! to when an error has nowhere else to go. The code is shown only when it is made of
//! `[A-Za-z0-9_'-]` (else `UNKNOWN`, as Better-Auth does); everything from the query is
//! HTML-escaped. The markup is authgate's own.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};

use super::request::AuthRequest;

/// Better-Auth's rule for a code worth showing.
fn is_displayable_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'\''))
}

/// `text` with every character that means something in HTML (text or attribute) escaped.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page for `code` (already checked) and an optional description.
fn page(code: &str, description: Option<&str>) -> String {
    let code = escape_html(code);
    let description = description.map_or_else(
        || {
            "An unexpected error occurred. Please try again, or go back to the home page."
                .to_owned()
        },
        escape_html,
    );
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Error</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center; background: #fff; color: #222; }}
main {{ max-width: 36rem; padding: 2rem; border: 1px solid #ddd; text-align: center; }}
code {{ font-family: ui-monospace, monospace; word-break: break-all; }}
a {{ color: inherit; }}
@media (prefers-color-scheme: dark) {{ body {{ background: #161616; color: #eee; }} main {{ border-color: #444; }} }}
</style>
</head>
<body>
<main>
<h1>Something went wrong</h1>
<p>Error code: <code>{code}</code></p>
<p>{description}</p>
<p><a href="/">Go to the home page</a></p>
</main>
</body>
</html>
"#
    )
}

pub(super) async fn error_page(request: AuthRequest) -> Response {
    let code = request
        .query("error")
        .filter(|code| is_displayable_code(code))
        .unwrap_or_else(|| "UNKNOWN".to_owned());
    let description = request.query("error_description").filter(|d| !d.is_empty());
    let mut response = page(&code, description.as_deref()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_descriptions_are_escaped() {
        assert!(is_displayable_code("INVALID_TOKEN"));
        assert!(is_displayable_code("it's-fine_1"));
        assert!(!is_displayable_code(""));
        assert!(!is_displayable_code("<script>"));
        assert!(!is_displayable_code("A B"));
        assert_eq!(
            escape_html(r#"<img src=x onerror="alert('1')">&amp;"#),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;"
        );
        let html = page("it's", Some("<b>bold</b>"));
        assert!(html.contains("<code>it&#39;s</code>"));
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"));
        assert!(!html.contains("<b>"));
    }
}
