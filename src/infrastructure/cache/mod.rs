//! Profile caches: in-process (moka) or shared (Redis), so that every instance sees an
//! invalidation at once when scaled out.

pub mod in_process;
pub mod redis;
