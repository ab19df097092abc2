//! What every framework helper answers when a check fails, so that they
//! agree: whether the request wants JSON, and the HTML page otherwise (no
//! script, so it breaks no Content Security Policy).

use crate::widget::escape;

/// Requests the framework helpers let through unverified: HTTP's safe
/// methods (RFC 9110 §9.2.1), which must not change anything.
pub const SAFE_METHODS: [&str; 4] = ["GET", "HEAD", "OPTIONS", "TRACE"];

/// JSON for API clients: a JSON body, `X-Requested-With: XMLHttpRequest`,
/// or an `Accept` that names JSON but not HTML. Browsers' form posts get
/// HTML.
pub fn wants_json(accept: &str, content_type: &str, requested_with: &str) -> bool {
    let content_type = content_type.to_ascii_lowercase();
    let accept = accept.to_ascii_lowercase();
    content_type.contains("application/json")
        || requested_with.eq_ignore_ascii_case("XMLHttpRequest")
        || (accept.contains("application/json") && !accept.contains("text/html"))
}

/// The language an `Accept-Language` header prefers: its first tag of the
/// highest quality, `*` and `q=0` left out, else `en` (the messages fall
/// back to English for a language they lack).
pub fn preferred_language(accept_language: &str) -> String {
    let mut best = ("en", 0.0_f64);
    for part in accept_language.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim();
        let q = pieces
            .filter_map(|param| param.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case("q"))
            .map_or(1.0, |(_, value)| value.trim().parse::<f64>().unwrap_or(0.0));
        let usable = !tag.is_empty() && tag != "*" && tag.len() <= 35;
        if usable && q > best.1 {
            best = (tag, q);
        }
    }
    best.0.to_string()
}

/// A short page with the (already translated) message and how to get back
/// to the form with what was typed: the browser's Back button, not a
/// `javascript:` link, which a strict CSP refuses.
pub fn failure_page(message: &str, lang: &str) -> String {
    let back = crate::messages::go_back(lang);
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{message}</title></head>\
         <body><p role=\"alert\">{message}</p><p>{back}</p></body></html>",
        lang = escape(lang),
        message = escape(message),
        back = escape(back),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_posts_get_html_and_api_clients_json() {
        let html = "text/html,application/xhtml+xml,*/*;q=0.8";
        assert!(!wants_json(html, "application/x-www-form-urlencoded", ""));
        assert!(!wants_json("", "multipart/form-data; boundary=x", ""));
        assert!(wants_json("", "application/json; charset=utf-8", ""));
        assert!(wants_json(html, "", "XMLHttpRequest"));
        assert!(wants_json("application/json", "", ""));
        assert!(!wants_json("application/json, text/html", "", ""));
    }

    #[test]
    fn the_preferred_language_is_the_first_of_the_highest_quality() {
        assert_eq!(
            preferred_language("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5"),
            "fr-CH"
        );
        assert_eq!(preferred_language("en;q=0.5, ja"), "ja");
        assert_eq!(preferred_language("*, de;q=0.1"), "de");
        assert_eq!(preferred_language("de;q=0, *"), "en");
        assert_eq!(preferred_language(""), "en");
        assert_eq!(preferred_language("es;q=bogus, ko;q=0.2"), "ko");
    }

    #[test]
    fn the_page_escapes_the_message_and_runs_no_script() {
        let page = failure_page("<b>nope</b>", "fr");
        assert!(page.contains("&lt;b&gt;nope&lt;/b&gt;"));
        assert!(!page.contains("<b>"));
        assert!(!page.contains("javascript:") && !page.contains("<script"));
        assert!(page.contains(&escape(crate::messages::go_back("fr"))));
    }
}
