//! `studio-gateway admin …`: bootstrap and rescue operators without a database shell.
//!
//! ```text
//! studio-gateway admin create-user --email E [--admin]   password from stdin, else generated
//! studio-gateway admin set-role --email E admin|user
//! studio-gateway admin disable --email E
//! studio-gateway admin enable --email E
//! ```
//! It works on the database directly (running instances see disables within the revocation
//! window, like any revocation), and it is audited as actions with no actor, `via: cli`.

use std::io::{IsTerminal, Read};

use anyhow::{bail, Context};
use studio_api_keys::{ApiKeyService, ApiKeys};
use studio_audit::{AuditEvent, AuditLog, Outcome};
use studio_auth::{Auth, Role, User, UserAdmin};
use studio_core::{db, Config};

use crate::state::{api_key_settings, auth_settings};

pub const USAGE: &str = "usage: studio-gateway admin <command>

  create-user --email EMAIL [--admin]  create a verified account; the password is read from
                                       standard input, or generated and printed when there is none
  set-role --email EMAIL admin|user    change an account's role
  disable --email EMAIL                lock an account out (sessions and API keys end)
  enable --email EMAIL                 let a disabled account sign in again";

struct Args {
    command: String,
    email: String,
    admin: bool,
    role: Option<Role>,
}

fn parse(args: &[String]) -> anyhow::Result<Args> {
    let mut iter = args.iter();
    let command = iter.next().cloned().unwrap_or_default();
    let (mut email, mut admin, mut role) = (None, false, None);
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--email" => email = iter.next().cloned(),
            "--admin" if command == "create-user" => admin = true,
            other if command == "set-role" && role.is_none() => {
                role = Some(Role::parse(other).context("the role must be admin or user")?)
            }
            other => bail!("unexpected argument '{other}'"),
        }
    }
    if !matches!(
        command.as_str(),
        "create-user" | "set-role" | "disable" | "enable"
    ) {
        bail!("unknown command '{command}'");
    }
    if command == "set-role" && role.is_none() {
        bail!("set-role needs a role: admin or user");
    }
    let email = email.context("--email is required")?;
    Ok(Args {
        command,
        email,
        admin,
        role,
    })
}

/// A password piped in (first line), or none when standard input is a terminal or empty.
fn password_from_stdin() -> anyhow::Result<Option<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut text = String::new();
    stdin.lock().read_to_string(&mut text)?;
    let line = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    Ok((!line.is_empty()).then(|| line.to_owned()))
}

/// Exit code 2 for bad arguments, 1 when the action fails.
pub async fn run(config: Config, args: &[String]) -> anyhow::Result<std::process::ExitCode> {
    let args = match parse(args) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("studio-gateway admin: {error}\n\n{USAGE}");
            return Ok(std::process::ExitCode::from(2));
        }
    };
    db::run_migrations(&config.database).await?;
    let pool = db::connect(&config.database, 2).await?;
    let auth = Auth::new(pool.clone(), auth_settings(&config)).await?;
    let keys = ApiKeys::new(pool.clone(), api_key_settings(&config));
    let audit = AuditLog::start(pool);
    let result = act(&args, &auth, &keys, &audit).await;
    audit.close().await;
    match result {
        Ok(()) => Ok(std::process::ExitCode::SUCCESS),
        Err(error) => {
            eprintln!("studio-gateway admin {}: {error}", args.command);
            Ok(std::process::ExitCode::FAILURE)
        }
    }
}

async fn act(args: &Args, auth: &Auth, keys: &ApiKeys, audit: &AuditLog) -> anyhow::Result<()> {
    let record = |action: &str, outcome: Outcome, subject: Option<&str>| {
        audit.record(
            AuditEvent::new(action, outcome)
                .subject(subject)
                .details(serde_json::json!({ "via": "cli", "email": args.email })),
        )
    };
    if args.command == "create-user" {
        let role = if args.admin { Role::Admin } else { Role::User };
        let created = auth
            .create_account(&args.email, password_from_stdin()?, role)
            .await;
        let subject = created.as_ref().ok().map(|(u, _)| u.id.as_str());
        let outcome = if subject.is_some() {
            Outcome::Succeeded
        } else {
            Outcome::Refused
        };
        record("admin.user.create", outcome, subject);
        let (user, generated) = created?;
        println!("created {} {} ({})", user.role, user.email, user.id);
        if let Some(password) = generated {
            println!("password: {password}");
        }
        return Ok(());
    }
    let user: User = auth
        .user_by_email(&args.email)
        .await?
        .with_context(|| format!("no account has the address {}", args.email))?;
    let (action, result) = match (args.command.as_str(), args.role) {
        ("set-role", Some(role)) => (
            format!("admin.user.role.{}", role.as_str()),
            auth.set_role(&user.id, role).await,
        ),
        ("disable", _) => ("admin.user.disable".to_owned(), {
            let disabled = auth.set_disabled(&user.id, true).await;
            if disabled.is_ok() {
                keys.revoke_all(&user.id).await?;
            }
            disabled
        }),
        _ => (
            "admin.user.enable".to_owned(),
            auth.set_disabled(&user.id, false).await,
        ),
    };
    let outcome = if result.is_ok() {
        Outcome::Succeeded
    } else {
        Outcome::Refused
    };
    record(&action, outcome, Some(&user.id));
    let user = result?;
    let state = if user.disabled_at.is_some() {
        "disabled"
    } else {
        "enabled"
    };
    println!("{} {}: role {}, {state}", user.email, user.id, user.role);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn bad_arguments_are_refused_before_touching_the_database() {
        assert!(parse(&args(&["create-user", "--email", "a@b.c", "--admin"])).is_ok());
        assert!(parse(&args(&["set-role", "--email", "a@b.c", "root"])).is_err());
        assert!(parse(&args(&["set-role", "--email", "a@b.c"])).is_err());
        assert!(parse(&args(&["disable"])).is_err());
        assert!(parse(&args(&["drop-tables", "--email", "a@b.c"])).is_err());
    }
}
