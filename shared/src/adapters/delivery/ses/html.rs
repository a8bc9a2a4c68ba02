//! The HTML body, made from the rendered text: every character escaped (the text carries the
//! username, which a user chose), paragraphs at blank lines, line breaks kept.

fn escape(text: &str, out: &mut String) {
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
}

pub fn from_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 128);
    out.push_str("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>");
    let normalized = text.replace("\r\n", "\n");
    for paragraph in normalized.split("\n\n").filter(|p| !p.trim().is_empty()) {
        out.push_str("<p>");
        for (i, line) in paragraph.trim_matches('\n').split('\n').enumerate() {
            if i > 0 {
                out.push_str("<br>");
            }
            escape(line, &mut out);
        }
        out.push_str("</p>");
    }
    out.push_str("</body></html>");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn paragraphs_lines_and_escaping() {
        let html = super::from_text("Hello <b>jo&e</b>,\n\nYour code is 123456.\nBye \"now\" 'x'");
        assert!(
            html.contains("<p>Hello &lt;b&gt;jo&amp;e&lt;/b&gt;,</p>"),
            "{html}"
        );
        assert!(
            html.contains("<p>Your code is 123456.<br>Bye &quot;now&quot; &#39;x&#39;</p>"),
            "{html}"
        );
        assert!(!html.contains("<b>"));
    }
}
