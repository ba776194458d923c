//! The part of `<pipewright/plugin.h>` (ABI major 1) this plugin uses, with the
//! header's exact layout. Members it never calls are untyped placeholders.
use std::ffi::c_void;
use std::mem::size_of;
use std::os::raw::c_char;

pub const PW_STATUS_OK: i32 = 0;
pub const PW_STATUS_FAILED: i32 = 1;
pub const PW_KIND_AUTH: i32 = 1;
pub const PW_SEVERITY_ERROR: i32 = 1;

/// `pw_call`: opaque, valid only inside `run`.
pub enum PwCall {}

/// `pw_str`: UTF-8, not NUL-terminated, borrowed for the call; NULL means absent.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PwStr {
    pub ptr: *const c_char,
    pub len: usize,
}

impl PwStr {
    pub fn of(s: &str) -> PwStr {
        PwStr { ptr: s.as_ptr().cast(), len: s.len() }
    }
    /// # Safety
    /// A non-NULL `ptr` points to `len` bytes that outlive the result.
    pub unsafe fn as_str<'a>(self) -> Option<&'a str> {
        let ptr = std::ptr::NonNull::new(self.ptr as *mut u8)?;
        std::str::from_utf8(std::slice::from_raw_parts(ptr.as_ptr(), self.len)).ok()
    }
}

/// Read through the host's pointer: a member after `diagnostic` (ABI 1.0)
/// exists only when `has_member!` finds it inside the host's `struct_size`.
#[repr(C)]
pub struct PwHostServicesV1 {
    pub struct_size: u32,
    pub abi_minor: u32,
    pub unused: [*const c_void; 6], // log, http, http_batch, progress, is_cancelled, deadline
    pub set_output: Option<unsafe extern "C" fn(*mut PwCall, PwStr, PwStr, i32) -> i32>,
    pub diagnostic: Option<unsafe extern "C" fn(*mut PwCall, i32, PwStr, PwStr, PwStr)>,
    pub add_secret: Option<unsafe extern "C" fn(*mut PwCall, PwStr)>, // since 1.1
}

/// `pw_plugin_v1` as of ABI 1.1; `struct_size` is this struct's size.
#[repr(C)]
pub struct PwPluginV1 {
    pub struct_size: u32,
    pub kind: i32,
    pub name: *const c_char,
    pub version: *const c_char,
    pub description: *const c_char,
    pub params_schema: *const c_char,
    pub outputs_schema: *const c_char,
    pub run: Option<unsafe extern "C" fn(*mut c_void, *mut PwCall, PwStr, PwStr) -> i32>,
    pub plugin_data: *mut c_void,
    pub documentation: *const c_char,
}

unsafe impl Sync for PwPluginV1 {} // a descriptor is immutable static data

#[repr(C)]
pub struct PwNegotiateV1 {
    pub struct_size: u32,
    pub host_abi_major: u32,
    pub host_abi_minor: u32,
    pub host: *const PwHostServicesV1,
    pub plugin_abi_minor: u32,
    pub plugin: *const PwPluginV1,
    pub refusal: *const c_char,
}

// What `sizeof` gives for these structs in plugin.h on a 64-bit target.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<PwHostServicesV1>() == 80 && size_of::<PwPluginV1>() == 72);
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<PwNegotiateV1>() == 48);

/// `PW_HAS_MEMBER`: `member` of the `$type` at `$ptr` lies inside its `struct_size`.
macro_rules! has_member {
    ($ptr:expr, $type:ty, $member:ident) => {{
        let (ptr, probe) = ($ptr, std::mem::MaybeUninit::<$type>::uninit());
        // Where the member ends in an uninitialised value: nothing is read.
        let end = unsafe { std::ptr::addr_of!((*probe.as_ptr()).$member) }.wrapping_add(1);
        !ptr.is_null()
            && unsafe { (*ptr).struct_size } as usize >= end as usize - probe.as_ptr() as usize
    }};
}
pub(crate) use has_member;

/// A NUL-terminated static string.
macro_rules! c_str {
    ($s:expr) => {
        concat!($s, "\0").as_ptr().cast::<std::os::raw::c_char>()
    };
}
pub(crate) use c_str;
