mod change_password;
mod forgot_password;
mod login;
mod logout;
mod refresh;
mod register;
mod reset_password;
mod revoke_session;

pub use change_password::{ChangePassword, ChangePasswordHandler};
pub use forgot_password::{ForgotPassword, ForgotPasswordHandler};
pub use login::{LogIn, LoginHandler};
pub use logout::LogoutHandler;
pub use refresh::{Refresh, RefreshHandler};
pub use register::{Register, RegisterHandler};
pub use reset_password::{ResetPassword, ResetPasswordHandler};
pub use revoke_session::{RevokeOtherSessionsHandler, RevokeSessionHandler};
