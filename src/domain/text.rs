//! What a stored text may hold, whatever its source (a request, a BKN snapshot line).

/// Whether `c` has no business in a record: C0 controls but tab, newline and carriage
/// return, DEL, and C1 controls. PostgreSQL refuses NUL in text outright.
pub fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}'
}

/// The longest a text may be, by its field's name: free text 10 000 characters, anything
/// else 2 000 (the document states the same for every string of a request).
pub fn max_text(field: &str) -> usize {
    match field.rsplit('.').next().unwrap_or(field) {
        "description" | "note" | "reason" => 10_000,
        _ => 2_000,
    }
}
