//! Character rules for text that people type: no control, format or bidi
//! characters, which can hide what a stored value really says.

/// Unicode general categories Cc (control) and Cf (format, which holds the
/// bidi overrides and isolates, zero-width characters and tags).
pub fn is_control_or_format(c: char) -> bool {
    c.is_control()
        || matches!(
            c as u32,
            0x00AD
                | 0x0600..=0x0605
                | 0x061C
                | 0x06DD
                | 0x070F
                | 0x0890..=0x0891
                | 0x08E2
                | 0x180E
                | 0x200B..=0x200F
                | 0x202A..=0x202E
                | 0x2060..=0x2064
                | 0x2066..=0x206F
                | 0xFEFF
                | 0xFFF9..=0xFFFB
                | 0x110BD
                | 0x110CD
                | 0x13430..=0x1343F
                | 0x1BCA0..=0x1BCA3
                | 0x1D173..=0x1D17A
                | 0xE0001
                | 0xE0020..=0xE007F
        )
}

/// The bidi embeddings, overrides and isolates: they make text display in
/// another order than it is stored ("Trojan Source").
pub fn is_bidi_control(c: char) -> bool {
    matches!(c as u32, 0x202A..=0x202E | 0x2066..=0x2069)
}

/// Free text may hold line breaks and tabs, never other controls (NUL
/// first of all) or bidi controls. Other format characters stay: the
/// zero-width (non-)joiners belong in Persian and Indic names and in emoji.
pub fn is_clean_text(text: &str) -> bool {
    !text
        .chars()
        .any(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_bidi_control(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_caught_but_words_are_not() {
        for bad in [
            "a\0b",
            "a\u{1}",
            "a\u{7f}",
            "a\u{85}",
            "a\u{202e}b",
            "a\u{2066}",
        ] {
            assert!(!is_clean_text(bad), "{bad:?}");
        }
        let persian = "می\u{200c}خواهم";
        for good in [
            "Ana María",
            "línea\nsegunda\tcol",
            "山田 太郎",
            "محمد",
            persian,
        ] {
            assert!(is_clean_text(good), "{good:?}");
        }
    }

    #[test]
    fn format_characters_are_known() {
        for c in [
            '\u{ad}',
            '\u{200b}',
            '\u{200c}',
            '\u{202e}',
            '\u{feff}',
            '\u{e0041}',
        ] {
            assert!(is_control_or_format(c), "{c:?}");
        }
        assert!(!is_control_or_format('a'));
    }
}
