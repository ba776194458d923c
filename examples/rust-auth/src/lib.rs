//! `example.auth.env_token`: an auth plugin in Rust. Reads a token from the
//! environment variable named by `with.variable`, or from `with.token`, and
//! sets the secret output `headers` = {"Authorization": "Bearer <token>"}.
mod ffi;

use ffi::*;
use std::ffi::c_void;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicPtr, Ordering};

// Set by negotiation, before any run; valid while the library is loaded.
static HOST: AtomicPtr<PwHostServicesV1> = AtomicPtr::new(std::ptr::null_mut());

static DESCRIPTOR: PwPluginV1 = PwPluginV1 {
    struct_size: std::mem::size_of::<PwPluginV1>() as u32,
    kind: PW_KIND_AUTH,
    name: c_str!("example.auth.env_token"),
    version: c_str!("1.0.0"),
    description: c_str!("Bearer token from an environment variable or a parameter"),
    params_schema: c_str!(
        r#"{"type":"object","additionalProperties":false,"properties":{
        "variable":{"type":"string","description":"environment variable holding the token"},
        "token":{"type":"string","description":"the token, e.g. ${{ secrets.NAME }}"}}}"#
    ),
    outputs_schema: c_str!(
        r#"{"type":"object","properties":{"headers":{"type":"object","x-secret":true}}}"#
    ),
    run: Some(run),
    plugin_data: std::ptr::null_mut(),
    documentation: c_str!("Give exactly one of `variable` or `token`."),
};

/// An error diagnostic: summary, detail, JSON Pointer into `with`.
struct Failure(String, &'static str, &'static str);

fn fail<T>(summary: impl Into<String>, hint: &'static str, at: &'static str) -> Result<T, Failure> {
    Err(Failure(summary.into(), hint, at))
}

/// Reads one JSON string after optional whitespace. Escapes other than \" \\
/// \/ stand for control characters (the host writes non-ASCII as UTF-8),
/// which no variable name or token holds: they read as U+FFFD.
fn json_string(chars: &mut std::str::Chars) -> Option<String> {
    *chars = chars.as_str().trim_start().strip_prefix('"')?.chars();
    let mut out = String::new();
    loop {
        out.push(match chars.next()? {
            '"' => return Some(out),
            '\\' => Some(chars.next()?).filter(|c| "\"\\/".contains(*c)).unwrap_or('\u{fffd}'),
            c => c,
        });
    }
}

/// The member of `with` if it is an object of one string. Its schema was
/// checked before `${{ }}` expressions were resolved, so this is checked again.
fn only_member(json: &str) -> Option<(String, String)> {
    let mut chars = json.trim().strip_prefix('{')?.strip_suffix('}')?.chars();
    let key = json_string(&mut chars)?;
    chars = chars.as_str().trim_start().strip_prefix(':')?.chars();
    let value = json_string(&mut chars)?;
    chars.as_str().trim().is_empty().then_some((key, value))
}

/// The token `with` configures, checked.
fn token(with: Option<&str>) -> Result<String, Failure> {
    let (token, at) = match with.and_then(only_member) {
        Some((key, name)) if key == "variable" => match std::env::var(&name) {
            Ok(value) => (value, "/variable"),
            Err(_) => {
                let hint = "export it before running pipewright, or name another in `variable`";
                return fail(format!("environment variable {name} is not set"), hint, "/variable");
            }
        },
        Some((_, token)) => (token, "/token"),
        None => {
            let hint = "`variable` names an environment variable holding the token; `token` is \
                        the token itself, e.g. ${{ secrets.NAME }}; each a string";
            return fail("give exactly one of `variable` or `token`", hint, "");
        }
    };
    let bearer = |b: u8| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b);
    match token.trim() {
        token if !token.is_empty() && token.bytes().all(bearer) => Ok(token.to_owned()),
        _ => fail("the token is empty or not a Bearer token", "letters, digits, -._~+/= only", at),
    }
}

unsafe extern "C" fn run(_: *mut c_void, call: *mut PwCall, with: PwStr, _: PwStr) -> i32 {
    let host = HOST.load(Ordering::Acquire);
    // A panic must not unwind into the host: it becomes a diagnostic too.
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let token = token(with.as_str())?;
        if has_member!(host, PwHostServicesV1, add_secret) {
            if let Some(add_secret) = (*host).add_secret {
                add_secret(call, PwStr::of(&token)); // masked alone, not only inside the header
            }
        }
        let headers = format!(r#"{{"Authorization":"Bearer {token}"}}"#);
        let set_output = (*host).set_output.expect("set_output is ABI 1.0");
        match set_output(call, PwStr::of("headers"), PwStr::of(&headers), 1) {
            PW_STATUS_OK => Ok(()),
            _ => fail("the host refused the headers output", "", ""),
        }
    }));
    let Failure(summary, detail, at) = match result {
        Ok(Ok(())) => return PW_STATUS_OK,
        Ok(Err(failure)) => failure,
        Err(_) => Failure("failed unexpectedly".into(), "the plugin panicked", ""),
    };
    let summary = format!("example.auth.env_token: {summary}");
    if let Some(report) = (*host).diagnostic {
        report(call, PW_SEVERITY_ERROR, PwStr::of(&summary), PwStr::of(detail), PwStr::of(at));
    }
    PW_STATUS_FAILED
}

/// # Safety
/// The host calls it once, with a valid `pw_negotiate_v1`, before any run.
#[no_mangle]
pub unsafe extern "C" fn pw_plugin_negotiate_v1(n: *mut PwNegotiateV1) -> i32 {
    if !has_member!(n, PwNegotiateV1, plugin) || (*n).host.is_null() {
        return PW_STATUS_FAILED;
    }
    // The default hook prints to stderr, which bypasses the host's masking.
    panic::set_hook(Box::new(|_| {}));
    HOST.store((*n).host as *mut _, Ordering::Release);
    (*n).plugin_abi_minor = (*n).host_abi_minor.min(1); // add_secret, documentation
    (*n).plugin = &DESCRIPTOR;
    PW_STATUS_OK
}
