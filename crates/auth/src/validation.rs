//! Input rules for accounts: emails and passwords.

use crate::AuthError;

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;
const MAX_NAME_CHARS: usize = 100;

/// Trims and lower-cases an email, or says why it is not one.
pub fn normalize_email(raw: &str) -> Result<String, AuthError> {
    let email = raw.trim().to_lowercase();
    let invalid = || {
        AuthError::field(
            "email",
            "email must be a valid address like name@example.com",
        )
    };
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return Err(invalid());
    }
    Ok(email)
}

pub fn check_password(field: &'static str, password: &str) -> Result<(), AuthError> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(AuthError::field(
            field,
            format!(
                "password must be between {MIN_PASSWORD_CHARS} and {MAX_PASSWORD_CHARS} characters"
            ),
        ));
    }
    Ok(())
}

pub fn clean_name(field: &'static str, name: Option<String>) -> Result<Option<String>, AuthError> {
    let Some(name) = name else { return Ok(None) };
    let name = name.trim().to_owned();
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AuthError::field(
            field,
            format!("{field} must be at most {MAX_NAME_CHARS} printable characters"),
        ));
    }
    Ok(Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        assert!(normalize_email("abc123@privaterelay.appleid.com").is_ok());
        for bad in [
            "",
            "plain",
            "a@b",
            "@example.com",
            "a b@example.com",
            "a@.com",
            "a@example..com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn passwords_must_be_8_to_128_characters() {
        assert!(check_password("password", "1234567").is_err());
        assert!(check_password("password", "12345678").is_ok());
        assert!(check_password("password", &"x".repeat(128)).is_ok());
        assert!(check_password("password", &"x".repeat(129)).is_err());
        assert!(check_password("password", "ééééééé").is_err());
    }
}
