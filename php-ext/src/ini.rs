//! `php.ini` entries `passgate.<option>`, one per option of the core's table.
//! PHP-FPM's default `clear_env = yes` hides the environment from workers;
//! these survive it and can be set per pool (`php_admin_value`). Anything
//! not given to the constructor is read from the environment first, then
//! from here. `php --ri passgate` and `phpinfo()` show them, secrets masked.

use std::ffi::{CStr, CString};

use ext_php_rs::ffi::{
    php_info_print_table_end, php_info_print_table_header, php_info_print_table_row,
    php_info_print_table_start, zend_ini_entry,
};
use ext_php_rs::flags::IniEntryPermission;
use ext_php_rs::zend::{ExecutorGlobals, IniEntryDef, ModuleEntry};
use passgate_core::{ConfigError, OptionKind, OptionSpec, OptionValue, Options, OPTIONS};

/// The entry name of an option.
fn entry_name(spec: &OptionSpec) -> String {
    format!("passgate.{}", spec.name)
}

/// Registers the entries (startup). The table lives as long as the process,
/// as the engine requires.
pub extern "C" fn startup(_type: i32, module_number: i32) -> i32 {
    let mut entries: Vec<IniEntryDef> = OPTIONS
        .iter()
        .filter_map(|spec| CString::new(entry_name(spec)).ok())
        .map(|name| {
            let name: &'static CStr = Box::leak(name.into_boxed_c_str());
            // System and per-directory: php.ini, conf.d, php_admin_value and
            // .user.ini; never ini_set() from request code.
            IniEntryDef::new(
                name,
                c"",
                IniEntryPermission::System | IniEntryPermission::PerDir,
            )
        })
        .collect();
    entries.push(IniEntryDef::end());
    IniEntryDef::register(Box::leak(entries.into_boxed_slice()), module_number);
    0
}

/// The entry's value, when set and not empty.
fn value(spec: &OptionSpec) -> Option<String> {
    let globals = ExecutorGlobals::get();
    // SAFETY: EG(ini_directives) is set at engine startup and outlives the
    // request; entries are zend_ini_entry pointers owned by that table.
    let table = unsafe { globals.ini_directives.as_ref() }?;
    let entry = table.get(entry_name(spec).as_str())?;
    let entry = unsafe { entry.ptr::<zend_ini_entry>()?.as_ref()? };
    let text = unsafe { entry.value.as_ref() }?;
    let text = String::from_utf8_lossy(text.as_bytes()).trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// Where each setting came from, for `__debugInfo` and the doctor.
pub type Sources = Vec<(&'static str, &'static str)>;

/// A non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Fill `options` (what the constructor was given) from the environment and
/// then from php.ini, for the options that apply to the chosen provider.
pub fn fill(options: Options) -> Result<(Options, Sources), ConfigError> {
    let (options, sources) = gather(options)?;
    Ok((options.with_env(env)?, sources))
}

/// `options` plus the php.ini entries of the options the environment does
/// not set, and where every setting comes from; the environment's values are
/// not read into `options` yet (the doctor has the core read them, so that a
/// bad one is a failed check rather than an exception).
pub fn gather(mut options: Options) -> Result<(Options, Sources), ConfigError> {
    let given: Vec<&'static str> = options.given().into_iter().map(|(name, _)| name).collect();
    let mut sources: Sources = given.iter().map(|name| (*name, "argument")).collect();
    // The provider decides which options apply, so it is settled first.
    if options.provider.is_none() {
        if let Some(spec) = OPTIONS.iter().find(|spec| spec.name == "provider") {
            match env("PASSGATE_PROVIDER") {
                Some(_) => sources.push(("provider", "environment")),
                None => {
                    if let Some(text) = value(spec) {
                        options.set("provider", OptionValue::Str(text))?;
                        sources.push(("provider", "php.ini"));
                    }
                }
            }
        }
    }
    let probe = Options {
        provider: options
            .provider
            .clone()
            .or_else(|| env("PASSGATE_PROVIDER")),
        ..Options::default()
    };
    // An unknown provider: which entries apply is unknown too. The core
    // names the provider when it resolves the options (or the doctor's
    // configuration check fails on it).
    let Ok(provider) = probe.provider_kind() else {
        return Ok((options, sources));
    };
    for spec in OPTIONS {
        let known = sources.iter().any(|(name, _)| *name == spec.name);
        if known || !spec.applies_to(provider) {
            continue;
        }
        if spec.env.and_then(env).is_some() {
            sources.push((spec.name, "environment"));
        } else if let Some(text) = value(spec) {
            options.set(spec.name, OptionValue::Str(text))?;
            sources.push((spec.name, "php.ini"));
        }
    }
    Ok((options, sources))
}

/// `php --ri passgate` / `phpinfo()`: every entry, secrets masked.
pub extern "C" fn info(_module: *mut ModuleEntry) {
    let row = |name: &str, shown: &str| {
        if let (Ok(name), Ok(shown)) = (CString::new(name), CString::new(shown)) {
            // SAFETY: two NUL-terminated strings for a two-column row.
            unsafe { php_info_print_table_row(2, name.as_ptr(), shown.as_ptr()) };
        }
    };
    // SAFETY: called by the engine while it prints module information.
    unsafe {
        php_info_print_table_start();
        php_info_print_table_header(2, c"passgate support".as_ptr(), c"enabled".as_ptr());
    }
    row("version", env!("CARGO_PKG_VERSION"));
    for spec in OPTIONS {
        let shown = match (value(spec), spec.kind) {
            (None, _) => "(not set)".to_string(),
            (Some(_), OptionKind::Secret) => "******** (set)".to_string(),
            (Some(text), OptionKind::Url) => passgate_core::redact_url(&text),
            (Some(text), _) => text,
        };
        row(&entry_name(spec), &shown);
    }
    unsafe { php_info_print_table_end() };
}
